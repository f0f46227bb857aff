/**
 * The decision store: issued cards, clinicians' feedback on them, an audit trail of invocations,
 * and acceptance analytics. One interface, two implementations (SQLite for a single node,
 * PostgreSQL for replicas). It extends the semantics of `FeedbackStore` (src/cds/feedback-store.ts).
 */
import type { Card, FeedbackItem } from '../cds/types.js';

export type FeedbackStatus = 'recorded' | 'unknown-card';

/** A model or rule table that took part in a decision, by version. */
export interface VersionRef {
  readonly id: string;
  readonly version: string;
}

/**
 * A card as issued. Of the Card only uuid, indicator, summary and the suggestions' uuids are kept.
 * `kind` groups cards for analytics (e.g. the service's outcome kind, "statin-advised"); when
 * absent, `defaultCardKind` is used (the card's `source.topic.code`, else "unspecified").
 * Cards without a uuid cannot receive feedback and are not stored.
 */
export type IssuedCard = Card & { readonly kind?: string };

export interface IssuedCardsRecord {
  readonly serviceId: string;
  readonly hook: string;
  readonly hookInstance: string;
  readonly cards: readonly IssuedCard[];
  readonly models: readonly VersionRef[];
  readonly ruleTables: readonly VersionRef[];
  readonly at: Date;
}

/**
 * One invocation, for the audit trail. Never an access token, a raw patient or user identifier,
 * or a clinical value: patient and user are given as `pseudonymize()` tokens, and a value that
 * does not look like one is refused (TypeError).
 */
export interface AuditEntry {
  readonly at: Date;
  readonly clientIss?: string;
  readonly tenant?: string;
  readonly serviceId: string;
  readonly hook: string;
  readonly hookInstance: string;
  readonly status: number;
  readonly latencyMs: number;
  readonly patientToken?: string;
  readonly userToken?: string;
  /** Prefetch keys (names only) supplied by the client / fetched by the service. */
  readonly prefetchSupplied: readonly string[];
  readonly prefetchFetched: readonly string[];
  readonly models: readonly VersionRef[];
  readonly cardUuids: readonly string[];
}

export interface AnalyticsQuery {
  readonly serviceId?: string;
  /** Cards issued at or after `from` (inclusive). */
  readonly from?: Date;
  /** Cards issued before `to` (exclusive). */
  readonly to?: Date;
  /** How many override reasons to list per row (default 5). */
  readonly topReasons?: number;
}

export interface OverrideReasonCount {
  readonly code: string;
  readonly system: string;
  readonly display?: string;
  readonly count: number;
}

/**
 * Per service and card kind, over the cards issued in the window. A card counts once, by its
 * latest feedback (greatest outcomeTimestamp; at equal timestamps the override; see
 * `LATEST_FIRST`): accepted, overridden, or neither (no feedback). A card whose feedback changed
 * outcome is also counted in `acceptedThenOverridden` / `overriddenThenAccepted`, so acceptance
 * that did not last is visible.
 */
export interface CardAnalyticsRow {
  readonly serviceId: string;
  readonly cardKind: string;
  readonly issued: number;
  readonly accepted: number;
  readonly overridden: number;
  /** Counted as overridden, with an accepted feedback before the override. */
  readonly acceptedThenOverridden: number;
  /** Counted as accepted, with an overridden feedback before the acceptance. */
  readonly overriddenThenAccepted: number;
  /** accepted / (accepted + overridden); null when no card of the row has feedback. */
  readonly acceptanceRate: number | null;
  /** Reasons given with the latest feedback of the overridden cards (each reason of a list, once per card), most frequent first (ties by system, code). */
  readonly topOverrideReasons: readonly OverrideReasonCount[];
}

export interface PurgeResult {
  readonly cards: number;
  readonly feedback: number;
  readonly audit: number;
}

export interface DecisionStore {
  /** Applies pending migrations (idempotent). The factories call it; calling again is harmless. */
  migrate(): Promise<void>;
  /** Keeps the cards of one invocation. A card uuid already kept is left as first issued. */
  recordIssuedCards(rec: IssuedCardsRecord): Promise<void>;
  /**
   * Keeps feedback; one status per item, in order. Idempotent on (service, card, outcome,
   * outcomeTimestamp): a repeat is not a second row. Feedback on a card this service did not
   * issue is kept, flagged `unknown_card`, and answered 'unknown-card'. Resolves only once the
   * write is durable (SQLite: committed with synchronous=FULL in WAL mode; PostgreSQL: committed).
   */
  recordFeedback(serviceId: string, items: readonly FeedbackItem[], receivedAt: Date): Promise<FeedbackStatus[]>;
  recordAudit(entry: AuditEntry): Promise<void>;
  cardAnalytics(q: AnalyticsQuery): Promise<CardAnalyticsRow[]>;
  /** Retention: removes cards issued, feedback received and audit rows written before `olderThan`. */
  purge(olderThan: Date): Promise<PurgeResult>;
  /** Resolves when the database answers (for a readiness check); rejects otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** A versioned schema change. `id` orders them; `name` is what errors and the ledger show. */
export interface Migration {
  readonly id: number;
  readonly name: string;
  readonly sql: string;
}

/** A migration failed, or the applied ones do not match the code. The app should refuse to start. */
export class MigrationError extends Error {
  constructor(
    readonly migration: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`migration ${migration} failed: ${problem}`, options);
    this.name = 'MigrationError';
  }
}
