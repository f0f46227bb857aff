import { Redis } from 'ioredis';

export interface OpenRedisOptions {
  /** How long to wait for the first connection. Default 5000 ms. */
  readonly connectTimeoutMs?: number;
  /** Connection errors after start (ioredis reconnects by itself); without it they are ignored. */
  readonly onError?: (err: Error) => void;
}

/**
 * Connects to Redis (redis:// or rediss:// URL) for the shared replay cache and JWKS cache, and
 * resolves once it answers PING; rejects with a message naming the host (never the password).
 * Commands fail fast while disconnected (no offline queue), so auth fails closed instead of hanging.
 */
export async function openRedis(url: string, opts: OpenRedisOptions = {}): Promise<Redis> {
  const timeout = opts.connectTimeoutMs ?? 5000;
  let started = false;
  const redis = new Redis(url, {
    lazyConnect: true,
    // No retries for the first connection (start fails fast); after that, reconnect with backoff.
    retryStrategy: (times) => (started ? Math.min(times * 200, 2000) : null),
    connectTimeout: timeout,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectionName: 'precision-cds',
  });
  let lastError: Error | undefined;
  redis.on('error', (err: Error) => {
    lastError = err;
    opts.onError?.(err);
  });
  let where = 'Redis';
  try {
    const u = new URL(url);
    where = `Redis at ${u.hostname}:${u.port || '6379'}`;
  } catch {
    // ioredis accepts forms URL does not; keep the generic name
  }
  try {
    await redis.connect();
    await redis.ping();
    started = true;
  } catch (err) {
    // Already 'end' when the connection was refused (no retry); disconnect() then would leave a 2 s timer.
    if (redis.status !== 'end') redis.disconnect();
    const why = lastError?.message ?? (err as { message?: string }).message ?? String(err);
    throw new Error(`${where} is not reachable: ${why}`, { cause: err });
  }
  return redis;
}
