import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { FeedbackItem } from '../cds/types.js';
import {
  assembleAnalytics,
  assertDate,
  cardRows,
  checkApplied,
  checkAudit,
  checksum,
  DEFAULT_TOP_REASONS,
  errorText,
  feedbackRow,
  json,
  LATEST_FIRST,
  orderedMigrations,
  type AppliedMigration,
  type CountRow,
  type ReasonRow,
} from './common.js';
import { SQLITE_MIGRATIONS } from './migrations/sqlite.js';
import {
  MigrationError,
  type AnalyticsQuery,
  type AuditEntry,
  type CardAnalyticsRow,
  type DecisionStore,
  type FeedbackStatus,
  type IssuedCardsRecord,
  type Migration,
  type PurgeResult,
} from './types.js';

export const DEFAULT_SQLITE_PATH = './data/precision-cds.sqlite';

export interface SqliteStoreOptions {
  /** Database file (created with its folder), or ':memory:' for tests and the sandbox. Default ./data/precision-cds.sqlite. */
  readonly path?: string;
  /** How long a write waits for another process's lock. Default 5000 ms. */
  readonly busyTimeoutMs?: number;
  /** Schema migrations; tests only (default: the shipped ones). */
  readonly migrations?: readonly Migration[];
}

/**
 * Single-node store on SQLite (better-sqlite3, synchronous under an async interface).
 * WAL journal with synchronous=FULL: once a write's promise resolves, the commit has been fsynced.
 */
export class SqliteDecisionStore implements DecisionStore {
  /** The connection, for tests and operator tooling. */
  readonly db: Database.Database;
  readonly path: string;
  private readonly migrations: readonly Migration[];
  private readonly statements = new Map<string, Database.Statement>();

  private constructor(opts: SqliteStoreOptions) {
    const path = opts.path ?? DEFAULT_SQLITE_PATH;
    const memory = path === ':memory:' || path === '';
    this.path = memory ? ':memory:' : resolve(path);
    if (!memory) mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    this.migrations = opts.migrations ?? SQLITE_MIGRATIONS;
    const created = !memory && !existsSync(this.path);
    this.db = new Database(this.path);
    // Card summaries carry clinical values: a new file is readable by this user only (-wal/-shm follow it).
    if (created) chmodSync(this.path, 0o600);
    try {
      this.db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(opts.busyTimeoutMs ?? 5000))}`);
      if (!memory) {
        const mode = this.db.pragma('journal_mode = WAL', { simple: true });
        if (String(mode).toLowerCase() !== 'wal') throw new Error(`could not switch ${this.path} to WAL (journal_mode is ${String(mode)})`);
      }
      // FULL in WAL mode: every commit is fsynced before it returns (NORMAL could lose the last ones on power loss).
      this.db.pragma('synchronous = FULL');
      this.db.pragma('foreign_keys = ON');
    } catch (err) {
      this.db.close();
      throw err;
    }
  }

  /** Opens (creating when needed) the database and applies pending migrations. */
  static async open(opts: SqliteStoreOptions = {}): Promise<SqliteDecisionStore> {
    return SqliteDecisionStore.openSync(opts);
  }

  /** As `open`, synchronously (SQLite is): e.g. `openSync({ path: ':memory:' })` as a default store. */
  static openSync(opts: SqliteStoreOptions = {}): SqliteDecisionStore {
    const store = new SqliteDecisionStore(opts);
    try {
      store.migrateSync();
    } catch (err) {
      store.db.close();
      throw err;
    }
    return store;
  }

  async migrate(): Promise<void> {
    this.migrateSync();
  }

  private migrateSync(): void {
    const db = this.db;
    const known = orderedMigrations(this.migrations);
    const run = db.transaction(() => {
      db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
        id INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
      const applied = db.prepare('SELECT id, name, checksum FROM schema_migrations').all() as AppliedMigration[];
      checkApplied(applied, known);
      const done = new Set(applied.map((a) => a.id));
      const record = db.prepare('INSERT INTO schema_migrations (id, name, checksum, applied_at) VALUES (?, ?, ?, ?)');
      for (const m of known) {
        if (done.has(m.id)) continue;
        try {
          db.exec(m.sql);
        } catch (err) {
          throw new MigrationError(m.name, errorText(err), { cause: err });
        }
        record.run(m.id, m.name, checksum(m.sql), Date.now());
      }
    });
    try {
      // IMMEDIATE: take the write lock first, so two processes starting together apply each migration once.
      run.immediate();
    } catch (err) {
      if (err instanceof MigrationError) throw err;
      throw new MigrationError('schema_migrations', errorText(err), { cause: err });
    }
  }

  /** Prepared once per SQL text. */
  private stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) this.statements.set(sql, (s = this.db.prepare(sql)));
    return s;
  }

  async recordIssuedCards(rec: IssuedCardsRecord): Promise<void> {
    assertDate(rec.at, 'issued cards record "at"');
    const rows = cardRows(rec.cards);
    if (rows.length === 0) return;
    const insert = this.stmt(`INSERT INTO issued_cards
      (service_id, card_uuid, hook, hook_instance, kind, indicator, summary, suggestion_uuids, models, rule_tables, issued_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (service_id, card_uuid) DO NOTHING`);
    const models = json(rec.models.map(({ id, version }) => ({ id, version })));
    const ruleTables = json(rec.ruleTables.map(({ id, version }) => ({ id, version })));
    const at = rec.at.getTime();
    this.db.transaction(() => {
      for (const r of rows) {
        insert.run(rec.serviceId, r.uuid, rec.hook, rec.hookInstance, r.kind, r.indicator, r.summary, json(r.suggestionUuids), models, ruleTables, at);
      }
    })();
  }

  async recordFeedback(serviceId: string, items: readonly FeedbackItem[], receivedAt: Date): Promise<FeedbackStatus[]> {
    assertDate(receivedAt, 'receivedAt');
    const known = this.stmt('SELECT 1 FROM issued_cards WHERE service_id = ? AND card_uuid = ?');
    const insert = this.stmt(`INSERT INTO feedback
      (service_id, card_uuid, outcome, outcome_timestamp, outcome_at, received_at, unknown_card,
       accepted_suggestions, override_system, override_code, override_display, has_comment)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (service_id, card_uuid, outcome, outcome_timestamp) DO NOTHING`);
    const insertReason = this.stmt(`INSERT INTO feedback_override_reasons
      (feedback_id, position, override_system, override_code, override_display, has_comment) VALUES (?, ?, ?, ?, ?, ?)`);
    const at = receivedAt.getTime();
    // One transaction, committed (and fsynced: synchronous=FULL) before this returns.
    return this.db.transaction((): FeedbackStatus[] =>
      items.map((item) => {
        const f = feedbackRow(item);
        const isKnown = known.get(serviceId, f.card) !== undefined;
        const written = insert.run(
          serviceId,
          f.card,
          f.outcome,
          f.outcomeTimestamp,
          f.outcomeAtMs,
          at,
          isKnown ? 0 : 1,
          json(f.acceptedSuggestions),
          f.overrideSystem,
          f.overrideCode,
          f.overrideDisplay,
          f.hasComment ? 1 : 0,
        );
        // A repeated fact was not written again, and neither are its reasons.
        if (written.changes === 1) {
          for (const [i, r] of f.reasons.entries()) insertReason.run(written.lastInsertRowid, i, r.system, r.code, r.display, r.hasComment ? 1 : 0);
        }
        return isKnown ? 'recorded' : 'unknown-card';
      }),
    )();
  }

  async recordAudit(e: AuditEntry): Promise<void> {
    checkAudit(e);
    this
      .stmt(`INSERT INTO audit
        (at, client_iss, tenant, service_id, hook, hook_instance, status, latency_ms, patient_token, user_token,
         prefetch_supplied, prefetch_fetched, models, card_uuids)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(
        e.at.getTime(),
        e.clientIss ?? null,
        e.tenant ?? null,
        e.serviceId,
        e.hook,
        e.hookInstance,
        e.status,
        e.latencyMs,
        e.patientToken ?? null,
        e.userToken ?? null,
        json(e.prefetchSupplied),
        json(e.prefetchFetched),
        json(e.models.map(({ id, version }) => ({ id, version }))),
        json(e.cardUuids),
      );
  }

  async cardAnalytics(q: AnalyticsQuery): Promise<CardAnalyticsRow[]> {
    if (q.from) assertDate(q.from, 'from');
    if (q.to) assertDate(q.to, 'to');
    const params = { service: q.serviceId ?? null, from: q.from?.getTime() ?? null, to: q.to?.getTime() ?? null };
    const base = `WITH c AS (
        SELECT service_id, card_uuid, kind FROM issued_cards
        WHERE (@service IS NULL OR service_id = @service)
          AND (@from IS NULL OR issued_at >= @from)
          AND (@to IS NULL OR issued_at < @to)
      ), last AS (
        SELECT f.id, f.service_id, f.card_uuid, f.outcome,
               ROW_NUMBER() OVER (PARTITION BY f.service_id, f.card_uuid ORDER BY ${LATEST_FIRST}) AS rn,
               MIN(f.outcome) OVER (PARTITION BY f.service_id, f.card_uuid) <> MAX(f.outcome) OVER (PARTITION BY f.service_id, f.card_uuid) AS changed
        FROM feedback f JOIN c ON c.service_id = f.service_id AND c.card_uuid = f.card_uuid
      )`;
    const counts = this
      .stmt(`${base}
        SELECT c.service_id AS serviceId, c.kind AS cardKind, COUNT(*) AS issued,
               COALESCE(SUM(l.outcome = 'accepted'), 0) AS accepted,
               COALESCE(SUM(l.outcome = 'overridden'), 0) AS overridden,
               COALESCE(SUM(l.outcome = 'overridden' AND l.changed), 0) AS acceptedThenOverridden,
               COALESCE(SUM(l.outcome = 'accepted' AND l.changed), 0) AS overriddenThenAccepted
        FROM c LEFT JOIN last l ON l.service_id = c.service_id AND l.card_uuid = c.card_uuid AND l.rn = 1
        GROUP BY c.service_id, c.kind`)
      .all(params) as CountRow[];
    // Each reason once per card, however often one list repeats it.
    const reasons = this
      .stmt(`${base}
        SELECT c.service_id AS serviceId, c.kind AS cardKind, COALESCE(r.override_system, '') AS system,
               r.override_code AS code, MAX(r.override_display) AS display, COUNT(DISTINCT l.id) AS count
        FROM c JOIN last l ON l.service_id = c.service_id AND l.card_uuid = c.card_uuid AND l.rn = 1
          JOIN feedback_override_reasons r ON r.feedback_id = l.id
        WHERE l.outcome = 'overridden' AND r.override_code IS NOT NULL
        GROUP BY c.service_id, c.kind, COALESCE(r.override_system, ''), r.override_code`)
      .all(params) as ReasonRow[];
    return assembleAnalytics(counts, reasons, q.topReasons ?? DEFAULT_TOP_REASONS);
  }

  async purge(olderThan: Date): Promise<PurgeResult> {
    assertDate(olderThan, 'olderThan');
    const t = olderThan.getTime();
    return this.db.transaction(() => ({
      cards: this.stmt('DELETE FROM issued_cards WHERE issued_at < ?').run(t).changes,
      feedback: this.stmt('DELETE FROM feedback WHERE received_at < ?').run(t).changes,
      audit: this.stmt('DELETE FROM audit WHERE at < ?').run(t).changes,
    }))();
  }

  async ping(): Promise<void> {
    this.stmt('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
