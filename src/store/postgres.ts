import pg from 'pg';
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
  factKey,
  json,
  LATEST_FIRST,
  orderedMigrations,
  type AppliedMigration,
  type CountRow,
  type FeedbackRow,
  type ReasonRow,
} from './common.js';
import { POSTGRES_MIGRATIONS } from './migrations/postgres.js';
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

export interface PostgresStoreOptions {
  /** postgres://user@host:port/database */
  readonly url: string;
  /** Schema holding the tables (created when missing). Lowercase letters, digits, _. Default "public". */
  readonly schema?: string;
  /** Pool size. Default 10. */
  readonly max?: number;
  /** Errors of idle pooled connections (e.g. the server restarted); without it they are ignored. */
  readonly onError?: (err: Error) => void;
  /** Schema migrations; tests only (default: the shipped ones). */
  readonly migrations?: readonly Migration[];
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Line of a 1-based character position in `sql`, for a readable migration error. */
function lineOf(sql: string, position: unknown): string {
  const p = Number(position);
  if (!Number.isInteger(p) || p < 1) return '';
  return ` (line ${sql.slice(0, p - 1).split('\n').length})`;
}

/**
 * Store on PostgreSQL (pg Pool): shared by replicas. Every write is one transaction, and its
 * promise resolves after COMMIT, with synchronous_commit=on set for the store's connections.
 */
export class PostgresDecisionStore implements DecisionStore {
  /** The pool, for tests and operator tooling. */
  readonly pool: pg.Pool;
  readonly schema: string;
  private readonly migrations: readonly Migration[];

  private constructor(opts: PostgresStoreOptions) {
    const schema = opts.schema ?? 'public';
    if (!SCHEMA_NAME.test(schema)) throw new TypeError(`PostgreSQL schema name must match ${SCHEMA_NAME.source}, got "${schema}"`);
    this.schema = schema;
    this.migrations = opts.migrations ?? POSTGRES_MIGRATIONS;
    this.pool = new pg.Pool({
      connectionString: opts.url,
      max: opts.max ?? 10,
      application_name: 'precision-cds',
      // Every pooled connection works in the store's schema, and a COMMIT returns only once it is
      // flushed to the WAL even where the server's default says otherwise.
      options: `-c search_path=${schema} -c synchronous_commit=on`,
    });
    this.pool.on('error', (err) => opts.onError?.(err));
  }

  /** Connects, creates the schema when missing and applies pending migrations. */
  static async open(opts: PostgresStoreOptions): Promise<PostgresDecisionStore> {
    const store = new PostgresDecisionStore(opts);
    try {
      await store.migrate();
    } catch (err) {
      await store.pool.end().catch(() => undefined);
      throw err;
    }
    return store;
  }

  private async tx<T>(work: (c: pg.PoolClient) => Promise<T>, client?: pg.PoolClient): Promise<T> {
    const c = client ?? (await this.pool.connect());
    try {
      await c.query('BEGIN');
      const out = await work(c);
      await c.query('COMMIT');
      return out;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  }

  async migrate(): Promise<void> {
    const known = orderedMigrations(this.migrations);
    const schema = this.schema;
    // Not reaching the server is not a migration failure: that error goes out as it is.
    const client = await this.pool.connect();
    let current = 'schema_migrations';
    try {
      await this.tx(async (c) => {
        // Replicas starting together: one applies, the others wait here and then find nothing to do.
        await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`precision-cds:migrate:${schema}`]);
        const exists = await c.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
        if (exists.rowCount === 0) await c.query(`CREATE SCHEMA "${schema}"`);
        await c.query(`CREATE TABLE IF NOT EXISTS "${schema}".schema_migrations (
          id integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
        const applied = (await c.query<AppliedMigration>(`SELECT id, name, checksum FROM "${schema}".schema_migrations`)).rows;
        checkApplied(applied, known);
        const done = new Set(applied.map((a) => a.id));
        await c.query(`SET LOCAL search_path TO "${schema}"`);
        for (const m of known) {
          if (done.has(m.id)) continue;
          current = m.name;
          try {
            await c.query(m.sql);
          } catch (err) {
            throw new MigrationError(m.name, `${errorText(err)}${lineOf(m.sql, (err as { position?: unknown }).position)}`, { cause: err });
          }
          await c.query(`INSERT INTO "${schema}".schema_migrations (id, name, checksum) VALUES ($1, $2, $3)`, [m.id, m.name, checksum(m.sql)]);
        }
      }, client);
    } catch (err) {
      if (err instanceof MigrationError) throw err;
      throw new MigrationError(current, errorText(err), { cause: err });
    }
  }

  async recordIssuedCards(rec: IssuedCardsRecord): Promise<void> {
    assertDate(rec.at, 'issued cards record "at"');
    const rows = cardRows(rec.cards);
    if (rows.length === 0) return;
    const models = json(rec.models.map(({ id, version }) => ({ id, version })));
    const ruleTables = json(rec.ruleTables.map(({ id, version }) => ({ id, version })));
    await this.pool.query(
      `INSERT INTO issued_cards
         (service_id, card_uuid, hook, hook_instance, kind, indicator, summary, suggestion_uuids, models, rule_tables, issued_at)
       SELECT $1, u.card_uuid, $2, $3, u.kind, u.indicator, u.summary, u.suggestion_uuids::jsonb, $4::jsonb, $5::jsonb, $6
       FROM unnest($7::text[], $8::text[], $9::text[], $10::text[], $11::text[])
         AS u(card_uuid, kind, indicator, summary, suggestion_uuids)
       ON CONFLICT (service_id, card_uuid) DO NOTHING`,
      [
        rec.serviceId,
        rec.hook,
        rec.hookInstance,
        models,
        ruleTables,
        rec.at,
        rows.map((r) => r.uuid),
        rows.map((r) => r.kind),
        rows.map((r) => r.indicator),
        rows.map((r) => r.summary),
        rows.map((r) => json(r.suggestionUuids)),
      ],
    );
  }

  async recordFeedback(serviceId: string, items: readonly FeedbackItem[], receivedAt: Date): Promise<FeedbackStatus[]> {
    assertDate(receivedAt, 'receivedAt');
    if (items.length === 0) return [];
    const rows = items.map(feedbackRow);
    return this.tx(async (c) => {
      const found = await c.query<{ card_uuid: string }>('SELECT card_uuid FROM issued_cards WHERE service_id = $1 AND card_uuid = ANY($2::text[])', [
        serviceId,
        [...new Set(rows.map((r) => r.card))],
      ]);
      const known = new Set(found.rows.map((r) => r.card_uuid));
      const inserted = await c.query<{ id: string; card_uuid: string; outcome: FeedbackRow['outcome']; outcome_timestamp: string }>(
        `INSERT INTO feedback
           (service_id, card_uuid, outcome, outcome_timestamp, outcome_at, received_at, unknown_card,
            accepted_suggestions, override_system, override_code, override_display, has_comment)
         SELECT $1, u.card_uuid, u.outcome, u.outcome_timestamp, to_timestamp(u.outcome_at_ms / 1000.0), $2, u.unknown_card,
                u.accepted::jsonb, u.system, u.code, u.display, u.has_comment
         FROM unnest($3::text[], $4::text[], $5::text[], $6::float8[], $7::boolean[], $8::text[], $9::text[], $10::text[], $11::text[], $12::boolean[])
           AS u(card_uuid, outcome, outcome_timestamp, outcome_at_ms, unknown_card, accepted, system, code, display, has_comment)
         ON CONFLICT (service_id, card_uuid, outcome, outcome_timestamp) DO NOTHING
         RETURNING id, card_uuid, outcome, outcome_timestamp`,
        [
          serviceId,
          receivedAt,
          rows.map((r) => r.card),
          rows.map((r) => r.outcome),
          rows.map((r) => r.outcomeTimestamp),
          rows.map((r) => r.outcomeAtMs),
          rows.map((r) => !known.has(r.card)),
          rows.map((r) => json(r.acceptedSuggestions)),
          rows.map((r) => r.overrideSystem),
          rows.map((r) => r.overrideCode),
          rows.map((r) => r.overrideDisplay),
          rows.map((r) => r.hasComment),
        ],
      );
      // Reasons of the facts written now (a repeated fact was not written again); the first item of a key is the one kept.
      const firstOfKey = new Map<string, FeedbackRow>();
      for (const r of rows) if (!firstOfKey.has(factKey(r))) firstOfKey.set(factKey(r), r);
      const reasons = inserted.rows.flatMap((w) =>
        (firstOfKey.get(factKey({ card: w.card_uuid, outcome: w.outcome, outcomeTimestamp: w.outcome_timestamp }))?.reasons ?? []).map((r, i) => ({ id: w.id, i, ...r })),
      );
      if (reasons.length > 0) {
        await c.query(
          `INSERT INTO feedback_override_reasons (feedback_id, position, override_system, override_code, override_display, has_comment)
           SELECT * FROM unnest($1::bigint[], $2::integer[], $3::text[], $4::text[], $5::text[], $6::boolean[])`,
          [reasons.map((r) => r.id), reasons.map((r) => r.i), reasons.map((r) => r.system), reasons.map((r) => r.code), reasons.map((r) => r.display), reasons.map((r) => r.hasComment)],
        );
      }
      return rows.map((r): FeedbackStatus => (known.has(r.card) ? 'recorded' : 'unknown-card'));
    });
  }

  async recordAudit(e: AuditEntry): Promise<void> {
    checkAudit(e);
    await this.pool.query(
      `INSERT INTO audit
         (at, client_iss, tenant, service_id, hook, hook_instance, status, latency_ms, patient_token, user_token,
          prefetch_supplied, prefetch_fetched, models, card_uuids)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12::jsonb, $13::jsonb, $14::jsonb)`,
      [
        e.at,
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
      ],
    );
  }

  async cardAnalytics(q: AnalyticsQuery): Promise<CardAnalyticsRow[]> {
    if (q.from) assertDate(q.from, 'from');
    if (q.to) assertDate(q.to, 'to');
    const params = [q.serviceId ?? null, q.from ?? null, q.to ?? null];
    const base = `WITH c AS (
        SELECT service_id, card_uuid, kind FROM issued_cards
        WHERE ($1::text IS NULL OR service_id = $1)
          AND ($2::timestamptz IS NULL OR issued_at >= $2)
          AND ($3::timestamptz IS NULL OR issued_at < $3)
      ), last AS (
        SELECT f.id, f.service_id, f.card_uuid, f.outcome,
               ROW_NUMBER() OVER (PARTITION BY f.service_id, f.card_uuid ORDER BY ${LATEST_FIRST}) AS rn,
               MIN(f.outcome) OVER (PARTITION BY f.service_id, f.card_uuid) <> MAX(f.outcome) OVER (PARTITION BY f.service_id, f.card_uuid) AS changed
        FROM feedback f JOIN c ON c.service_id = f.service_id AND c.card_uuid = f.card_uuid
      )`;
    type Counted = { serviceId: string; cardKind: string; issued: string; accepted: string; overridden: string; acceptedThenOverridden: string; overriddenThenAccepted: string };
    const counts = await this.pool.query<Counted>(
      `${base}
       SELECT c.service_id AS "serviceId", c.kind AS "cardKind", count(*) AS issued,
              count(*) FILTER (WHERE l.outcome = 'accepted') AS accepted,
              count(*) FILTER (WHERE l.outcome = 'overridden') AS overridden,
              count(*) FILTER (WHERE l.outcome = 'overridden' AND l.changed) AS "acceptedThenOverridden",
              count(*) FILTER (WHERE l.outcome = 'accepted' AND l.changed) AS "overriddenThenAccepted"
       FROM c LEFT JOIN last l ON l.service_id = c.service_id AND l.card_uuid = c.card_uuid AND l.rn = 1
       GROUP BY c.service_id, c.kind`,
      params,
    );
    // Each reason once per card, however often one list repeats it.
    const reasons = await this.pool.query<{ serviceId: string; cardKind: string; system: string; code: string; display: string | null; count: string }>(
      `${base}
       SELECT c.service_id AS "serviceId", c.kind AS "cardKind", COALESCE(r.override_system, '') AS system,
              r.override_code AS code, max(r.override_display) AS display, count(DISTINCT l.id) AS count
       FROM c JOIN last l ON l.service_id = c.service_id AND l.card_uuid = c.card_uuid AND l.rn = 1
         JOIN feedback_override_reasons r ON r.feedback_id = l.id
       WHERE l.outcome = 'overridden' AND r.override_code IS NOT NULL
       GROUP BY c.service_id, c.kind, COALESCE(r.override_system, ''), r.override_code`,
      params,
    );
    const countRows: CountRow[] = counts.rows.map((r) => ({
      ...r,
      issued: Number(r.issued),
      accepted: Number(r.accepted),
      overridden: Number(r.overridden),
      acceptedThenOverridden: Number(r.acceptedThenOverridden),
      overriddenThenAccepted: Number(r.overriddenThenAccepted),
    }));
    const reasonRows: ReasonRow[] = reasons.rows.map((r) => ({ ...r, count: Number(r.count) }));
    return assembleAnalytics(countRows, reasonRows, q.topReasons ?? DEFAULT_TOP_REASONS);
  }

  async purge(olderThan: Date): Promise<PurgeResult> {
    assertDate(olderThan, 'olderThan');
    return this.tx(async (c) => ({
      cards: (await c.query('DELETE FROM issued_cards WHERE issued_at < $1', [olderThan])).rowCount ?? 0,
      feedback: (await c.query('DELETE FROM feedback WHERE received_at < $1', [olderThan])).rowCount ?? 0,
      audit: (await c.query('DELETE FROM audit WHERE at < $1', [olderThan])).rowCount ?? 0,
    }));
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (!this.pool.ended && !this.pool.ending) await this.pool.end();
  }
}
