import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { closeRedisPair, connectRedisPair } from '../helpers/redis.js';
import { AGP_TOKEN, MemoryAgpLinkStore, newAgpToken, RedisAgpLinkStore } from '../../src/agp/link-store.js';
import { agpProfile, type AgpChart } from '../../src/services/glucose-monitoring/agp.js';

const REDIS_URL = process.env['TEST_REDIS_URL'];
const SKIP_REASON = 'TEST_REDIS_URL is not set (e.g. redis://127.0.0.1:6379)';
if (!REDIS_URL) console.warn(`AGP Redis link store tests: SKIPPED: ${SKIP_REASON}`);
const maybe = REDIS_URL ? describe : describe.skip;
const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

/** Keys of this run only, removed at the end. */
const PREFIX = `precision-cds-test:${randomBytes(6).toString('hex')}:agp:`;

function chart(periodStart = '2025-03-01'): AgpChart {
  const readings = Array.from({ length: 500 }, (_, i) => ({ minuteOfDay: (i * 37) % 1440, mgdl: 80 + (i % 50) * 3 }));
  return {
    profile: agpProfile(readings),
    periodStart,
    periodEnd: '2025-03-14',
    unit: 'mg/dL',
    daysWithData: 14,
    capturedPercent: 97.5,
    targetLow: 70,
    targetHigh: 180,
  };
}

describe('tokens', () => {
  it('are 43-character base64url strings, all distinct', () => {
    const tokens = Array.from({ length: 1000 }, newAgpToken);
    for (const t of tokens) expect(t).toMatch(AGP_TOKEN);
    expect(new Set(tokens).size).toBe(1000);
    expect(AGP_TOKEN.test('a'.repeat(42))).toBe(false);
    expect(AGP_TOKEN.test('a'.repeat(44))).toBe(false);
    expect(AGP_TOKEN.test(`${'a'.repeat(42)}=`)).toBe(false);
    expect(AGP_TOKEN.test(`${'a'.repeat(42)}/`)).toBe(false);
  });
});

describe('MemoryAgpLinkStore', () => {
  it('round-trips a chart, repeatedly, and copies it on put', async () => {
    const store = new MemoryAgpLinkStore();
    const c = chart();
    const token = await store.put(c, 60_000);
    expect(token).toMatch(AGP_TOKEN);
    expect(await store.get(token)).toEqual(c);
    expect(await store.get(token)).toEqual(c);
    (c as { periodStart: string }).periodStart = 'changed';
    expect((await store.get(token))?.periodStart).toBe('2025-03-01');
    expect(await store.get(newAgpToken())).toBeUndefined();
    expect(await store.get('not-a-token')).toBeUndefined();
  });

  it('forgets a chart once its lifetime is over', async () => {
    let now = 1_700_000_000_000;
    const store = new MemoryAgpLinkStore({ now: () => now });
    const token = await store.put(chart(), 15 * 60_000);
    now += 15 * 60_000 - 1;
    expect(await store.get(token)).toBeDefined();
    now += 1;
    expect(await store.get(token)).toBeUndefined();
    expect(store.size).toBe(0);
  });

  it('sweeps expired charts on a later put', async () => {
    let now = 1_700_000_000_000;
    const store = new MemoryAgpLinkStore({ now: () => now });
    await store.put(chart(), 1000);
    await store.put(chart(), 1000);
    now += 60_000;
    await store.put(chart(), 1000);
    expect(store.size).toBe(1);
  });

  it('evicts the oldest chart when full', async () => {
    const store = new MemoryAgpLinkStore({ maxEntries: 3 });
    const t = [];
    for (let i = 0; i < 4; i++) t.push(await store.put(chart(`2025-03-0${i + 1}`), 60_000));
    expect(store.size).toBe(3);
    expect(await store.get(t[0]!)).toBeUndefined();
    expect((await store.get(t[1]!))?.periodStart).toBe('2025-03-02');
    expect((await store.get(t[3]!))?.periodStart).toBe('2025-03-04');
    expect(() => new MemoryAgpLinkStore({ maxEntries: 0 })).toThrow(RangeError);
  });

  it('refuses a non-positive lifetime', async () => {
    const store = new MemoryAgpLinkStore();
    await expect(store.put(chart(), 0)).rejects.toThrow(RangeError);
    await expect(store.put(chart(), Number.NaN)).rejects.toThrow(RangeError);
  });

  it('close() drops every chart', async () => {
    const store = new MemoryAgpLinkStore();
    const token = await store.put(chart(), 60_000);
    await store.close();
    expect(await store.get(token)).toBeUndefined();
  });
});

maybe(`RedisAgpLinkStore${REDIS_URL ? '' : ` [SKIPPED: ${SKIP_REASON}]`}`, () => {
  let a: Redis;
  let b: Redis;
  beforeAll(async () => {
    ({ a, b } = await connectRedisPair(REDIS_URL!));
  });
  afterAll(() => closeRedisPair(a, b, PREFIX));

  it('round-trips a chart between replicas, repeatedly, with the TTL in Redis', async () => {
    const one = new RedisAgpLinkStore(a, { keyPrefix: PREFIX });
    const two = new RedisAgpLinkStore(b, { keyPrefix: PREFIX });
    const c = chart();
    const token = await one.put(c, 60_000);
    expect(token).toMatch(AGP_TOKEN);
    expect(await two.get(token)).toEqual(c);
    expect(await one.get(token)).toEqual(c);
    const ttl = await a.pttl(one.redisKey(token));
    expect(ttl).toBeGreaterThan(55_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('keys Redis by a hash of the token, not the token', async () => {
    const store = new RedisAgpLinkStore(a, { keyPrefix: PREFIX });
    const token = await store.put(chart(), 60_000);
    expect(store.redisKey(token).startsWith(PREFIX)).toBe(true);
    expect(store.redisKey(token)).not.toContain(token);
    expect(await a.exists(store.redisKey(token))).toBe(1);
    expect(await a.exists(PREFIX + token)).toBe(0);
  });

  it('forgets a chart once its lifetime is over', async () => {
    const store = new RedisAgpLinkStore(a, { keyPrefix: PREFIX });
    const token = await store.put(chart(), 200);
    expect(await store.get(token)).toBeDefined();
    await sleep(350);
    expect(await store.get(token)).toBeUndefined();
    expect(await a.exists(store.redisKey(token))).toBe(0);
  });

  it('answers undefined for unknown, malformed and corrupt entries', async () => {
    const store = new RedisAgpLinkStore(a, { keyPrefix: PREFIX });
    expect(await store.get(newAgpToken())).toBeUndefined();
    expect(await store.get('../../etc/passwd')).toBeUndefined();
    const bad = newAgpToken();
    await a.set(store.redisKey(bad), '{not json', 'PX', 60_000);
    expect(await store.get(bad)).toBeUndefined();
    const wrong = newAgpToken();
    await a.set(store.redisKey(wrong), JSON.stringify({ hello: 'world' }), 'PX', 60_000);
    expect(await store.get(wrong)).toBeUndefined();
    await expect(store.put(chart(), -5)).rejects.toThrow(RangeError);
  });

  it('keeps separate prefixes apart', async () => {
    const x = new RedisAgpLinkStore(a, { keyPrefix: `${PREFIX}x:` });
    const y = new RedisAgpLinkStore(b, { keyPrefix: `${PREFIX}y:` });
    const token = await x.put(chart(), 60_000);
    expect(await y.get(token)).toBeUndefined();
    expect(await x.get(token)).toBeDefined();
  });
});
