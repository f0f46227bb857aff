/**
 * Child process of durability.test.ts: issues cards, then records feedback one item at a time,
 * printing "acked <card>" after each write's promise resolves, until it is killed.
 *   node --import tsx test/store/durability-writer.ts sqlite <path> <count>
 *   node --import tsx test/store/durability-writer.ts postgres <url> <schema> <count>
 */
import { PostgresDecisionStore } from '../../src/store/postgres.js';
import { SqliteDecisionStore } from '../../src/store/sqlite.js';
import type { DecisionStore } from '../../src/store/types.js';

async function main(): Promise<void> {
  const [kind, location, ...rest] = process.argv.slice(2);
  let store: DecisionStore;
  let count: number;
  if (kind === 'sqlite') {
    store = await SqliteDecisionStore.open({ path: location! });
    count = Number(rest[0]);
  } else if (kind === 'postgres') {
    store = await PostgresDecisionStore.open({ url: location!, schema: rest[0]!, max: 2 });
    count = Number(rest[1]);
  } else {
    throw new Error(`unknown backend ${String(kind)}`);
  }
  const uuids = Array.from({ length: count }, (_, i) => `durable-${i}`);
  await store.recordIssuedCards({
    serviceId: 'svc',
    hook: 'patient-view',
    hookInstance: 'hi-durable',
    cards: uuids.map((uuid) => ({ uuid, kind: 'A', summary: 's', indicator: 'info', source: { label: 't' } })),
    models: [],
    ruleTables: [],
    at: new Date(),
  });
  process.stdout.write('ready\n');
  for (const card of uuids) {
    const [status] = await store.recordFeedback('svc', [{ card, outcome: 'accepted', outcomeTimestamp: new Date().toISOString() }], new Date());
    if (status !== 'recorded') throw new Error(`unexpected status ${String(status)} for ${card}`);
    process.stdout.write(`acked ${card}\n`);
  }
  await store.close();
  process.stdout.write('done\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`durability-writer: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
