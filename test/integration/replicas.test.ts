import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import request from 'supertest';
import { RedisReplayCache } from '../../src/auth/redis-replay-cache.js';
import { createHarness, echoService, makeClientKey, signToken, TEST_ISSUER, type ClientKey, type Harness } from '../helpers/harness.js';

const REDIS_URL = process.env['TEST_REDIS_URL'];
const SKIP = 'TEST_REDIS_URL is not set (e.g. redis://127.0.0.1:6379)';
if (!REDIS_URL) process.stderr.write(`replica tests: SKIPPED: ${SKIP}\n`);

/** Two service instances sharing the jti replay cache through Redis, as two replicas would. */
(REDIS_URL ? describe : describe.skip)(`two replicas sharing Redis${REDIS_URL ? '' : ` [SKIPPED: ${SKIP}]`}`, () => {
  let redisA: Redis;
  let redisB: Redis;
  let a: Harness;
  let b: Harness;
  let key: ClientKey;
  const prefix = `precision-cds-test:${randomUUID()}:`;

  beforeAll(async () => {
    redisA = new Redis(REDIS_URL!);
    redisB = new Redis(REDIS_URL!);
    key = await makeClientKey('ES384');
    const clients = () => [{ iss: TEST_ISSUER, jwks: { keys: [key.publicJwk] }, fhir_servers: [] }];
    a = await createHarness({ services: [echoService()], clients, replayCache: new RedisReplayCache(redisA, { keyPrefix: prefix }) });
    b = await createHarness({ services: [echoService()], clients, replayCache: new RedisReplayCache(redisB, { keyPrefix: prefix }) });
  });

  afterAll(async () => {
    const keys = await redisA.keys(`${prefix}*`);
    if (keys.length) await redisA.del(...keys);
    await redisA.quit();
    await redisB.quit();
  });

  it('a token used on one replica is refused on the other', async () => {
    const t = await signToken('/cds-services', key);
    expect((await request(a.app).get('/cds-services').set('Authorization', `Bearer ${t}`)).status).toBe(200);
    expect((await request(b.app).get('/cds-services').set('Authorization', `Bearer ${t}`)).status).toBe(401);
  });

  it('a fresh token is accepted by either replica once', async () => {
    const t = await signToken('/cds-services', key);
    expect((await request(b.app).get('/cds-services').set('Authorization', `Bearer ${t}`)).status).toBe(200);
    expect((await request(a.app).get('/cds-services').set('Authorization', `Bearer ${t}`)).status).toBe(401);
  });
});
