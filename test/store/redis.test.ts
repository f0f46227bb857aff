import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import { closeRedisPair, connectRedisPair } from '../helpers/redis.js';
import { exportJWK, generateKeyPair, jwtVerify, SignJWT, type JWK } from 'jose';
import { openRedis } from '../../src/auth/redis-client.js';
import { createSharedRemoteJWKSet, jwksRedisKey } from '../../src/auth/redis-jwks-cache.js';
import { RedisReplayCache } from '../../src/auth/redis-replay-cache.js';

const REDIS_URL = process.env['TEST_REDIS_URL'];
const SKIP_REASON = 'TEST_REDIS_URL is not set (e.g. redis://127.0.0.1:6379)';
if (!REDIS_URL) process.stderr.write(`redis tests: SKIPPED: ${SKIP_REASON}\n`);
const maybe = REDIS_URL ? describe : describe.skip;
type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

/** Keys of this run only, removed at the end. */
const PREFIX = `precision-cds-test:${randomBytes(6).toString('hex')}:`;

maybe(`Redis-shared auth state (two replicas = two connections)${REDIS_URL ? '' : ` [SKIPPED: ${SKIP_REASON}]`}`, () => {
  let a: Redis;
  let b: Redis;
  beforeAll(async () => {
    ({ a, b } = await connectRedisPair(REDIS_URL!));
  });
  afterAll(() => closeRedisPair(a, b, PREFIX));

  describe('RedisReplayCache', () => {
    it('a jti remembered by one replica is refused by the other', async () => {
      const one = new RedisReplayCache(a, { keyPrefix: `${PREFIX}jti:` });
      const two = new RedisReplayCache(b, { keyPrefix: `${PREFIX}jti:` });
      const exp = Date.now() + 60_000;
      expect(await one.remember('iss\u0000jti-1', exp)).toBe(true);
      expect(await two.remember('iss\u0000jti-1', exp)).toBe(false);
      expect(await one.remember('iss\u0000jti-1', exp)).toBe(false);
      expect(await two.remember('iss\u0000jti-2', exp)).toBe(true);
      const ttl = await a.pttl(`${PREFIX}jti:iss\u0000jti-1`);
      expect(ttl).toBeGreaterThan(55_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
    });

    it('only one of many concurrent attempts wins', async () => {
      const caches = [new RedisReplayCache(a, { keyPrefix: `${PREFIX}jti:` }), new RedisReplayCache(b, { keyPrefix: `${PREFIX}jti:` })];
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => caches[i % 2]!.remember('iss\u0000race', Date.now() + 30_000)));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('forgets a jti once its token has expired', async () => {
      const one = new RedisReplayCache(a, { keyPrefix: `${PREFIX}jti:` });
      const two = new RedisReplayCache(b, { keyPrefix: `${PREFIX}jti:` });
      expect(await one.remember('iss\u0000short', Date.now() + 200)).toBe(true);
      const ttl = await b.pttl(`${PREFIX}jti:iss\u0000short`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(200);
      await sleep(350);
      expect(await b.exists(`${PREFIX}jti:iss\u0000short`)).toBe(0);
      expect(await two.remember('iss\u0000short', Date.now() + 10_000)).toBe(true);
      // An already-expired token leaves nothing behind.
      expect(await one.remember('iss\u0000past', Date.now() - 1)).toBe(true);
      expect(await a.exists(`${PREFIX}jti:iss\u0000past`)).toBe(0);
    });

    it('keeps separate prefixes apart', async () => {
      const x = new RedisReplayCache(a, { keyPrefix: `${PREFIX}x:` });
      const y = new RedisReplayCache(b, { keyPrefix: `${PREFIX}y:` });
      expect(await x.remember('k', Date.now() + 10_000)).toBe(true);
      expect(await y.remember('k', Date.now() + 10_000)).toBe(true);
    });
  });

  describe('shared JWKS cache', () => {
    let server: Server;
    let url: string;
    let hits = 0;
    let served: { keys: JWK[] };
    let key1: PrivateKey;
    let key2: PrivateKey;
    /** The issuer adds a new signing key k2. */
    let rotate: () => void;
    const sign = (key: PrivateKey, kid: string) =>
      new SignJWT({}).setProtectedHeader({ alg: 'ES384', kid }).setIssuer('iss').setAudience('aud').setIssuedAt().setExpirationTime('5m').setJti(randomBytes(8).toString('hex')).sign(key);

    beforeAll(async () => {
      const k1 = await generateKeyPair('ES384', { extractable: true });
      const k2 = await generateKeyPair('ES384', { extractable: true });
      key1 = k1.privateKey;
      key2 = k2.privateKey;
      const pub1 = { ...(await exportJWK(k1.publicKey)), kid: 'k1', alg: 'ES384', use: 'sig' };
      const pub2 = { ...(await exportJWK(k2.publicKey)), kid: 'k2', alg: 'ES384', use: 'sig' };
      served = { keys: [pub1] };
      server = createServer((_req, res) => {
        hits++;
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify(served));
      });
      await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
      rotate = () => {
        served = { keys: [pub1, pub2] };
      };
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((ok) => server.close(ok));
    });

    const verify = async (token: string, getKey: Parameters<typeof jwtVerify>[1]) => (await jwtVerify(token, getKey as never, { issuer: 'iss', audience: 'aud' })).payload;

    it('one replica fetches; the other uses the copy it put in Redis', async () => {
      const opts = { keyPrefix: `${PREFIX}jwks:`, cooldownDuration: 0 };
      const replicaA = createSharedRemoteJWKSet(a, url, opts);
      const replicaB = createSharedRemoteJWKSet(b, url, opts);
      await verify(await sign(key1, 'k1'), replicaA);
      expect(hits).toBe(1);
      const stored = JSON.parse((await b.get(jwksRedisKey(url, `${PREFIX}jwks:`)))!) as { uat: number; jwks: { keys: JWK[] } };
      expect(stored.jwks.keys.map((k) => k.kid)).toEqual(['k1']);
      expect(Math.abs(stored.uat - Date.now())).toBeLessThan(10_000);
      expect(await b.pttl(jwksRedisKey(url, `${PREFIX}jwks:`))).toBeGreaterThan(0);

      await verify(await sign(key1, 'k1'), replicaB);
      await verify(await sign(key1, 'k1'), replicaB);
      expect(hits).toBe(1);

      // Rotation: a token signed with a new key. A fetches it; B, still fresh and cooling down, takes A's copy.
      rotate();
      await sleep(5);
      const replicaBCooling = createSharedRemoteJWKSet(b, url, { keyPrefix: `${PREFIX}jwks:` });
      await verify(await sign(key1, 'k1'), replicaBCooling);
      expect(hits).toBe(1);
      await verify(await sign(key2, 'k2'), replicaA);
      expect(hits).toBe(2);
      await verify(await sign(key2, 'k2'), replicaBCooling);
      expect(hits).toBe(2);
    });

    it('a replica whose Redis fails or hangs fetches on its own', async () => {
      const down = async (): Promise<never> => {
        throw new Error('connect ECONNREFUSED');
      };
      const dead = { get: down, set: down } as unknown as Redis;
      const never = () => new Promise<never>(() => undefined);
      const hung = { get: never, set: never } as unknown as Redis;
      const before = hits;
      const lonely = createSharedRemoteJWKSet(dead, url, { keyPrefix: `${PREFIX}jwks:` });
      await verify(await sign(key1, 'k1'), lonely);
      await verify(await sign(key1, 'k1'), lonely);
      expect(hits).toBe(before + 1);
      // A Redis that never answers costs at most redisTimeoutMs per look-up, and verification still succeeds.
      const started = Date.now();
      await verify(await sign(key1, 'k1'), createSharedRemoteJWKSet(hung, url, { keyPrefix: `${PREFIX}jwks:`, redisTimeoutMs: 100 }));
      expect(hits).toBe(before + 2);
      expect(Date.now() - started).toBeLessThan(5_000);
    });
  });
});

describe('openRedis', () => {
  it('rejects an unreachable Redis with a message naming the host but not the password', async () => {
    const err = await openRedis('redis://:hunter2secret@127.0.0.1:1', { connectTimeoutMs: 1000 }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(/^Redis at 127\.0\.0\.1:1 is not reachable: /);
    expect(err?.message).not.toContain('hunter2secret');
  });

  (REDIS_URL ? it : it.skip)('connects and answers', async () => {
    const r = await openRedis(REDIS_URL!);
    try {
      expect(await r.ping()).toBe('PONG');
    } finally {
      await r.quit();
    }
  });
});
