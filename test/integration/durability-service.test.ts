import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { makeClientKey, signToken, TEST_ISSUER, type ClientKey } from '../helpers/harness.js';

const ROOT = resolve(process.cwd());
const BASE = 'https://cds.durability.test';
const DATABASE_URL = process.env['TEST_DATABASE_URL'];
if (!DATABASE_URL) process.stderr.write('service durability (postgres): SKIPPED: TEST_DATABASE_URL is not set\n');

interface Running {
  readonly child: ChildProcess;
  readonly port: number;
}

/** Starts the real entry point (no sandbox) against the given store and waits until it listens. */
async function start(env: Record<string, string>): Promise<Running> {
  // One process (node with the tsx loader): the tsx CLI would run the server in a child that SIGKILL misses.
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/index.ts'], { cwd: ROOT, env: { ...process.env, SANDBOX: 'off', PORT: '0', HOST: '127.0.0.1', PUBLIC_BASE_URL: BASE, LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const m = /"port":(\d+),"services"/.exec(out);
    if (m) return { child, port: Number(m[1]) };
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`service did not start: ${out.slice(-500)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Issue 5: feedback acknowledged while under concurrent load is all present after the service
 * process is killed with SIGKILL and restarted.
 */
async function killMidStream(env: Record<string, string>, key: ClientKey, readCards: () => Promise<Set<string>>): Promise<void> {
  const a = await start(env);
  const acked: string[] = [];
  const path = '/cds-services/cardiovascular-risk/feedback';
  let stop = false;
  const statuses: Record<number, number> = {};
  const errors: string[] = [];
  const worker = async (): Promise<void> => {
    while (!stop) {
      const card = randomUUID();
      try {
        const res = await fetch(`http://127.0.0.1:${a.port}${path}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${await signToken(path, key, { claims: { aud: BASE + path } })}` },
          body: JSON.stringify({ feedback: [{ card, outcome: 'overridden', outcomeTimestamp: new Date().toISOString() }] }),
        });
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        if (res.status === 200) acked.push(card);
      } catch (err) {
        errors.push(String((err as Error).cause ?? err));
        return; // the process is gone
      }
    }
  };
  const workers = Array.from({ length: 10 }, worker);
  const until = Date.now() + 30_000;
  while (acked.length < 150) {
    if (Date.now() > until) throw new Error(`no progress: ${JSON.stringify({ acked: acked.length, statuses, errors: errors.slice(0, 3) })}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  a.child.kill('SIGKILL'); // no graceful shutdown, no flush
  await Promise.all(workers.map((w) => w.catch(() => undefined)));
  stop = true;
  const b = await start(env); // restart on the same store: migrations are idempotent
  try {
    const present = await readCards();
    const missing = acked.filter((c) => !present.has(c));
    expect({ acked: acked.length, missing }).toEqual({ acked: acked.length, missing: [] });
  } finally {
    b.child.kill('SIGTERM');
  }
}

describe('service durability under SIGKILL', () => {
  const dir = mkdtempSync(join(tmpdir(), 'durability-'));
  let key: ClientKey;
  let clientsFile: string;
  const prepare = async (): Promise<void> => {
    if (clientsFile) return;
    key = await makeClientKey('ES384');
    clientsFile = join(dir, 'clients.json');
    writeFileSync(clientsFile, JSON.stringify([{ iss: TEST_ISSUER, jwks: { keys: [key.publicJwk] }, fhir_servers: [] }]));
  };

  it('SQLite: every acknowledged feedback survives', async () => {
    await prepare();
    const file = join(dir, 'store.sqlite');
    await killMidStream({ TRUSTED_CLIENTS: clientsFile, STORE: 'sqlite', SQLITE_PATH: file, PSEUDONYM_SECRET: 'durability-secret-0123456789' }, key, async () => {
      const db = new Database(file, { readonly: true });
      const rows = db.prepare('SELECT card_uuid FROM feedback').all() as { card_uuid: string }[];
      db.close();
      return new Set(rows.map((r) => r.card_uuid));
    });
  }, 120_000);

  const schema = `durability_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  afterAll(async () => {
    if (!DATABASE_URL) return;
    const c = new pg.Client({ connectionString: DATABASE_URL });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await c.end();
  });

  (DATABASE_URL ? it : it.skip)('PostgreSQL: every acknowledged feedback survives', async () => {
    await prepare();
    const c = new pg.Client({ connectionString: DATABASE_URL });
    await c.connect();
    await c.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await killMidStream({ TRUSTED_CLIENTS: clientsFile, STORE: 'postgres', DATABASE_URL: DATABASE_URL!, DATABASE_SCHEMA: schema, PSEUDONYM_SECRET: 'durability-secret-0123456789' }, key, async () => {
      const r = await c.query<{ card_uuid: string }>(`SELECT card_uuid FROM ${schema}.feedback`);
      return new Set(r.rows.map((x) => x.card_uuid));
    });
    await c.end();
  }, 120_000);
});
