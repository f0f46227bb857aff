import type { Card, FeedbackItem } from './types.js';

export type FeedbackStatus = 'recorded' | 'unknown-card';

/**
 * Where issued cards and clinicians' feedback are kept. A later store backs this with
 * SQLite / PostgreSQL; the in-memory one serves tests and the sandbox.
 */
export interface FeedbackStore {
  recordIssuedCards(serviceId: string, hookInstance: string, cards: readonly Card[]): Promise<void>;
  /** Resolves once the feedback is durably kept (per store). */
  recordFeedback(serviceId: string, items: readonly FeedbackItem[]): Promise<readonly FeedbackStatus[]>;
  close(): Promise<void>;
}

export class MemoryFeedbackStore implements FeedbackStore {
  readonly issued = new Map<string, { serviceId: string; hookInstance: string }>();
  readonly feedback = new Map<string, { serviceId: string; item: FeedbackItem; status: FeedbackStatus }>();

  async recordIssuedCards(serviceId: string, hookInstance: string, cards: readonly Card[]): Promise<void> {
    for (const c of cards) if (c.uuid) this.issued.set(`${serviceId}\u0000${c.uuid}`, { serviceId, hookInstance });
  }

  async recordFeedback(serviceId: string, items: readonly FeedbackItem[]): Promise<readonly FeedbackStatus[]> {
    return items.map((item) => {
      const status: FeedbackStatus = this.issued.has(`${serviceId}\u0000${item.card}`) ? 'recorded' : 'unknown-card';
      // Same (card, outcome, outcomeTimestamp) reported again is the same fact: keep one.
      this.feedback.set(`${serviceId}\u0000${item.card}\u0000${item.outcome}\u0000${item.outcomeTimestamp}`, { serviceId, item, status });
      return status;
    });
  }

  async close(): Promise<void> {}
}
