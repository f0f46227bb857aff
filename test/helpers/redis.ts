import { Redis } from 'ioredis';

/** Two real Redis connections: two replicas sharing one Redis. */
export async function connectRedisPair(url: string): Promise<{ a: Redis; b: Redis }> {
  const a = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const b = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await Promise.all([a.connect(), b.connect()]);
  return { a, b };
}

/** Deletes this run's keys (all under `prefix`) and closes both connections. */
export async function closeRedisPair(a: Redis, b: Redis, prefix: string): Promise<void> {
  const keys = await a.keys(`${prefix}*`);
  if (keys.length > 0) await a.del(...keys);
  await Promise.all([a.quit(), b.quit()]);
}
