/** Shared by the SQLite and PostgreSQL stores: input shaping, checks and result assembly. */
import { createHash } from 'node:crypto';
import type { Card, FeedbackItem } from '../cds/types.js';
import { isPseudonym } from './pseudonymize.js';
import type { AuditEntry, CardAnalyticsRow, IssuedCard, Migration, OverrideReasonCount } from './types.js';
import { MigrationError } from './types.js';

export const DEFAULT_TOP_REASONS = 5;

/** Kind of a card when the caller gave none: its source topic code, else "unspecified". */
export function defaultCardKind(card: Card): string {
  return card.source.topic?.code ?? 'unspecified';
}

export interface CardRow {
  readonly uuid: string;
  readonly kind: string;
  readonly indicator: string;
  readonly summary: string;
  readonly suggestionUuids: string[];
}

export function cardRows(cards: readonly IssuedCard[]): CardRow[] {
  const rows: CardRow[] = [];
  for (const c of cards) {
    if (!c.uuid) continue;
    rows.push({
      uuid: c.uuid,
      kind: c.kind ?? defaultCardKind(c),
      indicator: c.indicator,
      summary: c.summary,
      suggestionUuids: (c.suggestions ?? []).map((s) => s.uuid).filter((u): u is string => typeof u === 'string'),
    });
  }
  return rows;
}

/** One override reason of a feedback item, as stored: the coded reason and only whether a comment was written. */
export interface ReasonInput {
  readonly system: string | null;
  readonly code: string | null;
  readonly display: string | null;
  /** The free-text userComment may hold anything (names, values): only its presence is kept. */
  readonly hasComment: boolean;
}

export interface FeedbackRow {
  readonly card: string;
  readonly outcome: FeedbackItem['outcome'];
  /** Normalized to ISO 8601 UTC when parseable, so one instant written two ways is one fact. */
  readonly outcomeTimestamp: string;
  readonly outcomeAtMs: number | null;
  readonly acceptedSuggestions: string[];
  /** Every reason given (`overrideReason`, or each of `overrideReasons`), in order. */
  readonly reasons: ReasonInput[];
  /** The first coded reason, kept in the feedback row itself as before `overrideReasons` (operator queries). */
  readonly overrideSystem: string | null;
  readonly overrideCode: string | null;
  readonly overrideDisplay: string | null;
  /** Whether any reason carries a comment. */
  readonly hasComment: boolean;
}

export function feedbackRow(item: FeedbackItem): FeedbackRow {
  const ms = Date.parse(item.outcomeTimestamp);
  const ok = Number.isFinite(ms);
  const given = item.overrideReasons ?? (item.overrideReason ? [item.overrideReason] : []);
  const reasons = given.map(
    (r): ReasonInput => ({
      system: r.reason?.system ?? null,
      code: r.reason?.code ?? null,
      display: r.reason?.display ?? null,
      hasComment: typeof r.userComment === 'string' && r.userComment.length > 0,
    }),
  );
  const first = reasons.find((r) => r.code !== null);
  return {
    card: item.card,
    outcome: item.outcome,
    outcomeTimestamp: ok ? new Date(ms).toISOString() : item.outcomeTimestamp,
    outcomeAtMs: ok ? ms : null,
    acceptedSuggestions: (item.acceptedSuggestions ?? []).map((s) => s.id),
    reasons,
    overrideSystem: first?.system ?? null,
    overrideCode: first?.code ?? null,
    overrideDisplay: first?.display ?? null,
    hasComment: reasons.some((r) => r.hasComment),
  };
}

/** Same fact, same key: what the feedback table's unique constraint compares (service aside). */
export const factKey = (r: Pick<FeedbackRow, 'card' | 'outcome' | 'outcomeTimestamp'>): string => `${r.card}\u0000${r.outcome}\u0000${r.outcomeTimestamp}`;

function assertDate(d: unknown, what: string): asserts d is Date {
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) throw new TypeError(`${what} must be a valid Date`);
}

export { assertDate };

/** Refuses audit entries that would carry a raw identifier where a pseudonym belongs. */
export function checkAudit(e: AuditEntry): void {
  assertDate(e.at, 'audit.at');
  for (const [name, v] of [
    ['patientToken', e.patientToken],
    ['userToken', e.userToken],
  ] as const) {
    if (v !== undefined && !isPseudonym(v)) {
      throw new TypeError(`audit.${name} must be a pseudonymize() token, not a raw identifier`);
    }
  }
  if (!Number.isInteger(e.status)) throw new TypeError('audit.status must be an integer');
  if (!Number.isFinite(e.latencyMs) || e.latencyMs < 0) throw new TypeError('audit.latencyMs must be a non-negative number');
}

export interface CountRow {
  readonly serviceId: string;
  readonly cardKind: string;
  readonly issued: number;
  readonly accepted: number;
  readonly overridden: number;
  readonly acceptedThenOverridden: number;
  readonly overriddenThenAccepted: number;
}

/**
 * Which feedback of a card is its latest, in SQL both stores share (window ORDER BY, first = latest):
 * the greatest outcomeTimestamp; at equal timestamps the override (a clinician who both accepted and
 * overrode at one instant is not counted as accepting); timestamps that could not be read count as
 * the earliest; then the one received last. The unique (card, outcome, outcomeTimestamp) key leaves
 * at most one feedback per outcome at one instant, so the order does not depend on arrival.
 */
export const LATEST_FIRST = `f.outcome_at DESC NULLS LAST, CASE f.outcome WHEN 'overridden' THEN 0 ELSE 1 END, f.id DESC`;

export interface ReasonRow {
  readonly serviceId: string;
  readonly cardKind: string;
  readonly system: string;
  readonly code: string;
  readonly display: string | null;
  readonly count: number;
}

/** Joins counts and reasons into rows, sorted by service then kind. */
export function assembleAnalytics(counts: readonly CountRow[], reasons: readonly ReasonRow[], top: number): CardAnalyticsRow[] {
  const byKey = new Map<string, OverrideReasonCount[]>();
  for (const r of reasons) {
    const key = `${r.serviceId}\u0000${r.cardKind}`;
    let list = byKey.get(key);
    if (!list) byKey.set(key, (list = []));
    list.push({ code: r.code, system: r.system, ...(r.display ? { display: r.display } : {}), count: r.count });
  }
  const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return [...counts]
    .sort((a, b) => cmp(a.serviceId, b.serviceId) || cmp(a.cardKind, b.cardKind))
    .map((c) => {
      const decided = c.accepted + c.overridden;
      const reasonsFor = (byKey.get(`${c.serviceId}\u0000${c.cardKind}`) ?? [])
        .sort((a, b) => b.count - a.count || cmp(a.system, b.system) || cmp(a.code, b.code))
        .slice(0, top);
      return {
        serviceId: c.serviceId,
        cardKind: c.cardKind,
        issued: c.issued,
        accepted: c.accepted,
        overridden: c.overridden,
        acceptedThenOverridden: c.acceptedThenOverridden,
        overriddenThenAccepted: c.overriddenThenAccepted,
        acceptanceRate: decided === 0 ? null : c.accepted / decided,
        topOverrideReasons: reasonsFor,
      };
    });
}

export function checksum(sql: string): string {
  return createHash('sha256').update(sql, 'utf8').digest('hex');
}

/** Sorted copy; throws MigrationError on duplicate ids or names. */
export function orderedMigrations(list: readonly Migration[]): Migration[] {
  const sorted = [...list].sort((a, b) => a.id - b.id);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.id === sorted[i - 1]!.id) throw new MigrationError(sorted[i]!.name, `duplicate migration id ${sorted[i]!.id} (also ${sorted[i - 1]!.name})`);
  }
  return sorted;
}

export interface AppliedMigration {
  readonly id: number;
  readonly name: string;
  readonly checksum: string;
}

/** An applied migration whose text changed since is an error: the schema is not what the code says. */
export function checkApplied(applied: readonly AppliedMigration[], known: readonly Migration[]): void {
  const byId = new Map(known.map((m) => [m.id, m]));
  for (const a of applied) {
    const m = byId.get(a.id);
    if (!m) continue; // applied by a newer version of the service; tolerated
    if (a.checksum !== checksum(m.sql)) {
      throw new MigrationError(m.name, `already applied (as ${a.name}) but its text has changed since; restore it and add a new migration instead`);
    }
  }
}

export function errorText(err: unknown): string {
  // Not `instanceof Error`: a native driver's error may come from another realm (e.g. under jest).
  const message = (err as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(err);
}

export function json(v: unknown): string {
  return JSON.stringify(v);
}
