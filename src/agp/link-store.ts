import { createHash, randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { AgpChart } from '../services/glucose-monitoring/agp.js';

/**
 * Short-lived, unguessable links to AGP charts. A card links to `/agp/{token}`; the token is the
 * only key (no patient identifier in the URL or in the stored chart), and the chart is forgotten
 * when its time is up. Within its lifetime a link can be followed any number of times.
 * The interface lets several replicas share one store (e.g. Redis).
 */
export interface AgpLinkStore {
  /** Stores `chart` for `ttlMs` and resolves with a fresh token for it. */
  put(chart: AgpChart, ttlMs: number): Promise<string>;
  /** The chart of `token`, or undefined when unknown, malformed or expired. */
  get(token: string): Promise<AgpChart | undefined>;
  close?(): Promise<void>;
}

/** A token: 32 random bytes, base64url without padding. */
export const AGP_TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** Default lifetime of a link: 15 minutes. */
export const AGP_LINK_TTL_MS = 15 * 60_000;

/** A new token: 256 bits from the CSPRNG, base64url (43 characters). */
export function newAgpToken(): string {
  return randomBytes(32).toString('base64url');
}

function checkTtl(ttlMs: number): number {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError(`ttlMs must be a positive number, got ${ttlMs}`);
  return Math.ceil(ttlMs);
}

/** A minimal shape check of a stored chart (what the renderer relies on). */
function isAgpChart(v: unknown): v is AgpChart {
  if (typeof v !== 'object' || v === null) return false;
  const c = v as Record<string, unknown>;
  const profile = c['profile'] as Record<string, unknown> | null | undefined;
  return (
    typeof profile === 'object' &&
    profile !== null &&
    typeof profile['binMinutes'] === 'number' &&
    Array.isArray(profile['bins']) &&
    typeof c['periodStart'] === 'string' &&
    typeof c['periodEnd'] === 'string' &&
    (c['unit'] === 'mg/dL' || c['unit'] === 'mmol/L') &&
    typeof c['daysWithData'] === 'number' &&
    typeof c['capturedPercent'] === 'number' &&
    typeof c['targetLow'] === 'number' &&
    typeof c['targetHigh'] === 'number'
  );
}

export interface MemoryAgpLinkStoreOptions {
  /** Most links held at once; a put beyond it evicts the oldest link. Default 10,000. */
  readonly maxEntries?: number;
  /** Clock, ms since the epoch. Default Date.now. */
  readonly now?: () => number;
}

/**
 * In-process store for a single replica. Expiry is checked on every get; expired entries are also
 * swept lazily on put (at most every 10 s), so there is no timer to keep the process alive. When
 * full, the oldest link is evicted (it would be the next to expire with the usual single TTL).
 * A chart is copied on put, so later changes by the caller do not show through the link.
 */
export class MemoryAgpLinkStore implements AgpLinkStore {
  private readonly entries = new Map<string, { readonly chart: AgpChart; readonly expiresAt: number }>();
  private readonly maxEntries: number;
  private readonly now: () => number;
  private lastSweep = 0;

  constructor(opts: MemoryAgpLinkStoreOptions = {}) {
    this.maxEntries = opts.maxEntries ?? 10_000;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) throw new RangeError('maxEntries must be a positive integer');
    this.now = opts.now ?? Date.now;
  }

  async put(chart: AgpChart, ttlMs: number): Promise<string> {
    const ttl = checkTtl(ttlMs);
    const now = this.now();
    this.sweep(now);
    while (this.entries.size >= this.maxEntries) {
      // Map iterates in insertion order: the first key is the oldest link.
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
    const token = newAgpToken();
    this.entries.set(token, { chart: structuredClone(chart), expiresAt: now + ttl });
    return token;
  }

  async get(token: string): Promise<AgpChart | undefined> {
    if (!AGP_TOKEN.test(token)) return undefined;
    const entry = this.entries.get(token);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(token);
      return undefined;
    }
    return entry.chart;
  }

  async close(): Promise<void> {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < 10_000) return;
    this.lastSweep = now;
    for (const [k, e] of this.entries) if (e.expiresAt <= now) this.entries.delete(k);
  }
}

/** An ioredis client: a single node or a cluster. */
export type RedisClient = Redis | Cluster;

export interface RedisAgpLinkStoreOptions {
  /** Prepended to every key. Default "precision-cds:agp:". */
  readonly keyPrefix?: string;
}

/**
 * Store shared by replicas: `SET key chart-JSON PX ttl`, so Redis expires the link with the chart.
 * The key is the SHA-256 of the token (base64url), not the token itself: listing the keys of
 * Redis does not give working links. The connection belongs to the caller (no close here).
 * A Redis failure rejects the promise (the route then answers 500, never a stale chart).
 */
export class RedisAgpLinkStore implements AgpLinkStore {
  private readonly prefix: string;

  constructor(
    private readonly redis: RedisClient,
    opts: RedisAgpLinkStoreOptions = {},
  ) {
    this.prefix = opts.keyPrefix ?? 'precision-cds:agp:';
  }

  /** The Redis key of a token. */
  redisKey(token: string): string {
    return this.prefix + createHash('sha256').update(token).digest('base64url');
  }

  async put(chart: AgpChart, ttlMs: number): Promise<string> {
    const ttl = checkTtl(ttlMs);
    const token = newAgpToken();
    await this.redis.set(this.redisKey(token), JSON.stringify(chart), 'PX', ttl);
    return token;
  }

  async get(token: string): Promise<AgpChart | undefined> {
    if (!AGP_TOKEN.test(token)) return undefined;
    const json = await this.redis.get(this.redisKey(token));
    if (json === null) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch {
      return undefined;
    }
    return isAgpChart(parsed) ? parsed : undefined;
  }
}
