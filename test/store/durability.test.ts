import { afterAll, beforeEach, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { backends, type Backend } from './backends.js';

const WRITER = resolve('test/store/durability-writer.ts');
/** More than can be written before the kill, so the child is always stopped mid-stream. */
const ITEMS = 20_000;
const KILL_AFTER = 40;

interface Outcome {
  readonly acked: string[];
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

/** Runs the writer, SIGKILLs it once KILL_AFTER items are acknowledged, and returns what it acknowledged. */
function runWriterAndKill(args: string[]): Promise<Outcome> {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: string[] = [];
    let stderr = '';
    let killed = false;
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = /^acked (\S+)$/.exec(line);
      if (!m) return;
      acked.push(m[1]!);
      if (!killed && acked.length >= KILL_AFTER) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`writer did not reach ${KILL_AFTER} acks in time; acked ${acked.length}; stderr: ${stderr}`));
    }, 60_000);
    child.on('error', fail);
    child.on('close', (_code, signal) => {
      clearTimeout(timer);
      ok({ acked, signal, stderr });
    });
  });
}

describe.each(backends())('durability on $label: acknowledged feedback survives SIGKILL', (backend: Backend) => {
  const run = backend.skipReason ? it.skip : it;
  beforeEach(async () => {
    if (!backend.skipReason) await backend.fresh();
  });
  afterAll(async () => {
    await backend.cleanup();
  });

  run(
    'every item acknowledged before the kill is there after reopening',
    async () => {
      // Create the schema first, so the child does not race the test for it.
      await (await backend.open()).close();
      const args = [...backend.locationArgs(), String(ITEMS)];
      const out = await runWriterAndKill(args);
      expect(out.stderr).toBe('');
      expect(out.signal).toBe('SIGKILL');
      expect(out.acked.length).toBeGreaterThanOrEqual(KILL_AFTER);
      expect(out.acked.length).toBeLessThan(ITEMS);

      const store = await backend.open();
      try {
        const rows = await backend.rows(store, 'feedback');
        const present = new Set(rows.map((r) => r['card_uuid'] as string));
        const missing = out.acked.filter((c) => !present.has(c));
        expect(missing).toEqual([]);
        // Nothing is written that was not asked for: at most the one in flight when killed.
        expect(rows.length - out.acked.length).toBeLessThanOrEqual(1);
        expect(rows.every((r) => !r['unknown_card'])).toBe(true);
      } finally {
        await store.close();
      }
    },
    90_000,
  );
});
