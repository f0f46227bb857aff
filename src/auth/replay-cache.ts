/**
 * Remembers JWT ids until their token expires, so a replayed token is refused
 * (RFC 7519 §4.1.7). The interface lets several replicas share one cache (e.g. Redis).
 */
export interface ReplayCache {
  /** Records `key` until `expiresAtMs`; resolves false when it was already recorded. */
  remember(key: string, expiresAtMs: number): Promise<boolean>;
}

export class MemoryReplayCache implements ReplayCache {
  private readonly entries = new Map<string, number>();
  private lastSweep = 0;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 1_000_000,
  ) {}

  async remember(key: string, expiresAtMs: number): Promise<boolean> {
    const now = this.now();
    this.sweep(now);
    const existing = this.entries.get(key);
    if (existing !== undefined && existing > now) return false;
    // Fail closed when full: a flood of unique jtis must not evict entries and reopen replays.
    if (this.entries.size >= this.maxEntries) return false;
    this.entries.set(key, expiresAtMs);
    return true;
  }

  get size(): number {
    return this.entries.size;
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < 10_000) return;
    this.lastSweep = now;
    for (const [k, exp] of this.entries) if (exp <= now) this.entries.delete(k);
  }
}
