import type { Cluster, Redis } from 'ioredis';
import type { ReplayCache } from './replay-cache.js';

/** An ioredis client: a single node or a cluster. */
export type RedisClient = Redis | Cluster;

export interface RedisReplayCacheOptions {
  /** Prepended to every key. Default "precision-cds:jti:". */
  readonly keyPrefix?: string;
  readonly now?: () => number;
}

/**
 * Replay cache shared by replicas: `SET key 1 PX ttl NX` records a JWT id atomically, so of two
 * replicas shown the same token only one accepts it. Redis expires the key with the token.
 * A Redis failure rejects the promise, and the verifier then refuses the token (fails closed).
 */
export class RedisReplayCache implements ReplayCache {
  private readonly prefix: string;
  private readonly now: () => number;

  constructor(
    private readonly redis: RedisClient,
    opts: RedisReplayCacheOptions = {},
  ) {
    this.prefix = opts.keyPrefix ?? 'precision-cds:jti:';
    this.now = opts.now ?? Date.now;
  }

  async remember(key: string, expiresAtMs: number): Promise<boolean> {
    const ttl = Math.ceil(expiresAtMs - this.now());
    // Already past its expiry: nothing left to guard (the verifier refuses expired tokens itself).
    if (!(ttl > 0)) return true;
    const reply = await this.redis.set(this.prefix + key, '1', 'PX', ttl, 'NX');
    return reply === 'OK';
  }
}
