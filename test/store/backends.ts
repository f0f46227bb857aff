/**
 * The two store backends, for the shared suite: SQLite in a temp file (always), PostgreSQL in a
 * random schema of TEST_DATABASE_URL (skipped, with a printed reason, when that is unset).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { PostgresDecisionStore } from '../../src/store/postgres.js';
import { SqliteDecisionStore } from '../../src/store/sqlite.js';
import type { DecisionStore, Migration } from '../../src/store/types.js';

export type Row = Record<string, unknown>;

export interface Backend {
  readonly name: 'sqlite' | 'postgres';
  /** The name, plus the skip reason when skipped (shown in test titles). */
  readonly label: string;
  /** Why the backend cannot run here; undefined when it can. */
  readonly skipReason: string | undefined;
  /** A fresh, empty location (file / schema) for one test; what `open` and `rows` then use. */
  fresh(): Promise<void>;
  open(migrations?: readonly Migration[]): Promise<DecisionStore>;
  /** Every row of a table, read through the store's own connection. */
  rows(store: DecisionStore, table: string): Promise<Row[]>;
  tableExists(store: DecisionStore, table: string): Promise<boolean>;
  /** Runs one SQL statement (no parameters) through the store's own connection, e.g. to write rows an older version wrote. */
  exec(store: DecisionStore, sql: string): Promise<void>;
  /** Where the current location is, for a child process: [kind, location, schema?]. */
  locationArgs(): string[];
  /** Removes everything `fresh` made. */
  cleanup(): Promise<void>;
}

export const DATABASE_URL = process.env['TEST_DATABASE_URL'];
const POSTGRES_SKIP_REASON = 'TEST_DATABASE_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/test)';

export function sqliteBackend(): Backend {
  const dir = mkdtempSync(join(tmpdir(), 'precision-cds-store-'));
  let n = 0;
  let path = join(dir, 'store-0.sqlite');
  return {
    name: 'sqlite',
    label: 'sqlite',
    skipReason: undefined,
    async fresh() {
      path = join(dir, `store-${++n}.sqlite`);
    },
    open: (migrations) => SqliteDecisionStore.open({ path, ...(migrations ? { migrations } : {}) }),
    async rows(store, table) {
      return (store as SqliteDecisionStore).db.prepare(`SELECT * FROM ${table} ORDER BY 1, 2`).all() as Row[];
    },
    async tableExists(store, table) {
      return (store as SqliteDecisionStore).db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) !== undefined;
    },
    async exec(store, sql) {
      (store as SqliteDecisionStore).db.exec(sql);
    },
    locationArgs: () => ['sqlite', path],
    async cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function postgresBackend(): Backend {
  const url = DATABASE_URL;
  const prefix = `test_store_${randomBytes(4).toString('hex')}`;
  const made: string[] = [];
  let schema = `${prefix}_0`;
  return {
    name: 'postgres',
    label: url ? 'postgres' : `postgres [SKIPPED: ${POSTGRES_SKIP_REASON}]`,
    skipReason: url ? undefined : POSTGRES_SKIP_REASON,
    async fresh() {
      schema = `${prefix}_${made.length + 1}`;
      made.push(schema);
    },
    open: (migrations) => PostgresDecisionStore.open({ url: url!, schema, max: 4, ...(migrations ? { migrations } : {}) }),
    async rows(store, table) {
      return (await (store as PostgresDecisionStore).pool.query(`SELECT * FROM ${table} ORDER BY 1, 2`)).rows as Row[];
    },
    async tableExists(store, table) {
      const r = await (store as PostgresDecisionStore).pool.query('SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2', [schema, table]);
      return r.rowCount === 1;
    },
    async exec(store, sql) {
      await (store as PostgresDecisionStore).pool.query(sql);
    },
    locationArgs: () => ['postgres', url!, schema],
    async cleanup() {
      if (!url || made.length === 0) return;
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        for (const s of made) await client.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

export function backends(): Backend[] {
  const list = [sqliteBackend(), postgresBackend()];
  for (const b of list) {
    // Straight to stderr: jest's console capture is noisy, and hides output of fully skipped files.
    if (b.skipReason) process.stderr.write(`store tests: SKIPPED the ${b.name} backend: ${b.skipReason}\n`);
  }
  return list;
}
