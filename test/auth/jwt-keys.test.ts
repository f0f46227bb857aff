import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet } from 'jose';
import request from 'supertest';
import { AuthFailure, createJwtVerifier, type JwtVerifierOptions } from '../../src/auth/jwt.js';
import { MemoryReplayCache } from '../../src/auth/replay-cache.js';
import type { TrustedClient } from '../../src/auth/types.js';
import { createHarness, echoService, makeClientKey, patientViewRequest, signToken, TEST_BASE_URL, TEST_ISSUER, type ClientKey, type TokenOptions } from '../helpers/harness.js';

/**
 * Where a client JWT's key comes from, and how each refusal is named in the log. Key sets are
 * served by a real local HTTP server that counts every fetch, so "never fetched" is observed,
 * not assumed.
 */

const AUD = `${TEST_BASE_URL}/cds-services`;
const now = (): number => Math.floor(Date.now() / 1000);
const b64url = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');

let server: Server;
let base: string;
let unreachable: string;
let keyA: ClientKey;
let keyB: ClientKey;
let rsa: ClientKey;
const hits: Record<string, number> = {};
const hitsOf = (path: string): number => hits[path] ?? 0;

beforeAll(async () => {
  [keyA, keyB, rsa] = await Promise.all([makeClientKey('ES384'), makeClientKey('ES384'), makeClientKey('RS384')]);
  server = createServer((req, res) => {
    const path = req.url ?? '';
    hits[path] = hitsOf(path) + 1;
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    if (path.startsWith('/a')) return json(200, { keys: [keyA.publicJwk] });
    if (path.startsWith('/b')) return json(200, { keys: [keyB.publicJwk] });
    if (path.startsWith('/rsa')) return json(200, { keys: [rsa.publicJwk] });
    if (path === '/slow') return; // never answers
    if (path === '/moved') {
      res.writeHead(302, { Location: '/a.json' });
      return res.end();
    }
    if (path === '/not-json') return json(200, '<html>not a key set</html>');
    if (path === '/not-a-jwks') return json(200, { hello: 'world' });
    return json(503, { error: 'down' });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // A port nothing listens on: bound, read, released.
  const probe = createServer();
  await new Promise<void>((ok) => probe.listen(0, '127.0.0.1', ok));
  unreachable = `http://127.0.0.1:${(probe.address() as AddressInfo).port}/jwks.json`;
  await new Promise((ok) => probe.close(ok));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((ok) => server.close(ok));
});

afterEach(() => {
  jest.restoreAllMocks();
});

/** A verifier over `clients` that records every remote key set it builds. */
function verifierFor(clients: TrustedClient[], extra: Partial<JwtVerifierOptions> = {}) {
  const built: string[] = [];
  const v = createJwtVerifier({
    clients,
    replayCache: new MemoryReplayCache(),
    clockSkewSeconds: 60,
    maxLifetimeSeconds: 3600,
    jwksTimeoutMs: 400,
    jwksCacheSeconds: 600,
    remoteJwks: (url, options) => {
      built.push(url);
      return createRemoteJWKSet(new URL(url), options);
    },
    ...extra,
  });
  return { v, built };
}

const client = (over: Partial<TrustedClient>): TrustedClient => ({ iss: TEST_ISSUER, fhir_servers: [], ...over });

/** The reason a verification fails with (the test fails if it succeeds). */
async function reasonOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof AuthFailure) return err.reason;
    throw err;
  }
  throw new Error('expected the token to be refused');
}

describe('key sources, in order: inline jwks, jwks_url, allowlisted jku', () => {
  it('(a) an inline key with the token\'s kid is used; jwks_url and an allowlisted jku are not fetched', async () => {
    const { v } = verifierFor([client({ jwks: { keys: [keyA.publicJwk] }, jwks_url: `${base}/b-oob-1`, jku: [`${base}/b-jku-1`] })]);
    const t = await signToken('/cds-services', keyA, { header: { jku: `${base}/b-jku-1` } });
    await expect(v.verify(t, AUD)).resolves.toMatchObject({ iss: TEST_ISSUER });
    expect(hitsOf('/b-oob-1') + hitsOf('/b-jku-1')).toBe(0);
  });

  it('(a) a token without kid is checked against the inline set', async () => {
    const { v } = verifierFor([client({ jwks: { keys: [keyA.publicJwk] } })]);
    const t = await signToken('/cds-services', keyA, { header: { kid: undefined } });
    await expect(v.verify(t, AUD)).resolves.toMatchObject({ iss: TEST_ISSUER });
  });

  it('(a) without kid, each of several matching inline keys is tried', async () => {
    const { v } = verifierFor([client({ jwks: { keys: [keyB.publicJwk, keyA.publicJwk].map(({ kid: _k, ...jwk }) => jwk) } })]);
    const t = await signToken('/cds-services', keyA, { header: { kid: undefined } });
    await expect(v.verify(t, AUD)).resolves.toMatchObject({ iss: TEST_ISSUER });
  });

  it('(b) the jwks_url set is used when the inline set has no key with the kid', async () => {
    const { v } = verifierFor([client({ jwks: { keys: [keyB.publicJwk] }, jwks_url: `${base}/a-oob-2` })]);
    await expect(v.verify(await signToken('/cds-services', keyA), AUD)).resolves.toMatchObject({ iss: TEST_ISSUER });
    expect(hitsOf('/a-oob-2')).toBe(1);
  });

  it('(c) a kid absent from the inline set falls through to an allowlisted jku', async () => {
    const { v } = verifierFor([client({ jwks: { keys: [keyB.publicJwk] }, jku: [`${base}/a-jku-3`] })]);
    const t = await signToken('/cds-services', keyA, { header: { jku: `${base}/a-jku-3` } });
    await expect(v.verify(t, AUD)).resolves.toMatchObject({ iss: TEST_ISSUER });
    expect(hitsOf('/a-jku-3')).toBe(1);
  });

  it('(c) a kid absent from the jwks_url set falls through to an allowlisted jku', async () => {
    const { v } = verifierFor([client({ jwks_url: `${base}/b-oob-4`, jku: [`${base}/a-jku-4`] })]);
    const t = await signToken('/cds-services', keyA, { header: { jku: `${base}/a-jku-4` } });
    await expect(v.verify(t, AUD)).resolves.toMatchObject({ iss: TEST_ISSUER });
    expect([hitsOf('/b-oob-4'), hitsOf('/a-jku-4')]).toEqual([1, 1]);
  });

  it('(b) before (c): a key found at jwks_url is used and the allowlisted jku is not fetched', async () => {
    const { v } = verifierFor([client({ jwks_url: `${base}/a-oob-5`, jku: [`${base}/a-jku-5`] })]);
    const t = await signToken('/cds-services', keyA, { header: { jku: `${base}/a-jku-5` } });
    await expect(v.verify(t, AUD)).resolves.toMatchObject({ iss: TEST_ISSUER });
    expect([hitsOf('/a-oob-5'), hitsOf('/a-jku-5')]).toEqual([1, 0]);
  });

  it('an unlisted jku is ignored, never fetched, when the inline set has the kid', async () => {
    const { v, built } = verifierFor([client({ jwks: { keys: [keyA.publicJwk] } })]);
    const t = await signToken('/cds-services', keyA, { header: { jku: `${base}/a-unlisted-6` } });
    await expect(v.verify(t, AUD)).resolves.toMatchObject({ iss: TEST_ISSUER });
    expect(hitsOf('/a-unlisted-6')).toBe(0);
    expect(built).toEqual([]);
  });

  it('an unlisted jku is not fetched when the out-of-band sets lack the kid: no-key-for-kid', async () => {
    const { v, built } = verifierFor([client({ jwks: { keys: [keyB.publicJwk] } })]);
    const t = await signToken('/cds-services', keyA, { header: { jku: `${base}/a-unlisted-7` } });
    expect(await reasonOf(v.verify(t, AUD))).toBe('no-key-for-kid');
    expect(hitsOf('/a-unlisted-7')).toBe(0);
    expect(built).toEqual([]);
  });

  it('an unlisted jku is refused, never fetched, when the issuer has no out-of-band key set: jku-not-allowed', async () => {
    const { v } = verifierFor([client({ jku: [`${base}/a-listed-8`] })]);
    const t = await signToken('/cds-services', keyA, { header: { jku: `${base}/a-unlisted-8` } });
    expect(await reasonOf(v.verify(t, AUD))).toBe('jku-not-allowed');
    expect(hitsOf('/a-unlisted-8') + hitsOf('/a-listed-8')).toBe(0);
  });

  it('a token without jku from an issuer known only by its jku allowlist: no-key-source', async () => {
    const { v } = verifierFor([client({ jku: [`${base}/a-listed-9`] })]);
    expect(await reasonOf(v.verify(await signToken('/cds-services', keyA), AUD))).toBe('no-key-source');
  });
});

describe('each refusal has its precise cause', () => {
  it.each([
    ['/slow', 'jwks-fetch-failed: timeout'],
    ['/down', 'jwks-fetch-failed: http 503'],
    ['/moved', 'jwks-fetch-failed: http 302'],
    ['/not-json', 'jwks-fetch-failed: invalid'],
    ['/not-a-jwks', 'jwks-fetch-failed: invalid'],
  ])('a jwks_url at %s: %s', async (path, reason) => {
    const { v } = verifierFor([client({ jwks_url: `${base}${path}` })]);
    expect(await reasonOf(v.verify(await signToken('/cds-services', keyA), AUD))).toBe(reason);
  });

  it('an allowlisted jku nothing listens on: jwks-fetch-failed: unreachable', async () => {
    const { v } = verifierFor([client({ jku: [unreachable] })]);
    expect(await reasonOf(v.verify(await signToken('/cds-services', keyA, { header: { jku: unreachable } }), AUD))).toBe('jwks-fetch-failed: unreachable');
  });

  it('a signature by another key under a known kid: signature-invalid', async () => {
    const { v } = verifierFor([client({ jwks: { keys: [keyA.publicJwk] } })]);
    expect(await reasonOf(v.verify(await signToken('/cds-services', { ...keyB, kid: keyA.kid }), AUD))).toBe('signature-invalid');
  });

  it.each<[string, TokenOptions]>([
    ['exp', { claims: { iat: now() - 900, exp: now() - 600 } }],
    ['exp', { claims: { exp: now() + 7 * 86400 } }],
    ['nbf', { claims: { nbf: now() + 600 } }],
    ['iat', { claims: { iat: now() + 600, exp: now() + 900 } }],
    ['aud', { claims: { aud: `${TEST_BASE_URL}/cds-services/other` } }],
    ['jti', { omit: ['jti'] }],
    ['iss', { omit: ['iss'] }],
  ])('claim-invalid: %s (%j)', async (claim, opts) => {
    const { v } = verifierFor([client({ jwks: { keys: [keyA.publicJwk] } })]);
    expect(await reasonOf(v.verify(await signToken('/cds-services', keyA, opts), AUD))).toBe(`claim-invalid: ${claim}`);
  });

  it('a second use of a jti: replayed-jti', async () => {
    const { v } = verifierFor([client({ jwks: { keys: [keyA.publicJwk] } })]);
    const t = await signToken('/cds-services', keyA);
    await v.verify(t, AUD);
    expect(await reasonOf(v.verify(t, AUD))).toBe('replayed-jti');
  });

  it('an issuer not in the trusted clients: unknown-issuer', async () => {
    const { v } = verifierFor([client({ jwks: { keys: [keyA.publicJwk] } })]);
    expect(await reasonOf(v.verify(await signToken('/cds-services', keyA, { claims: { iss: 'https://stranger.example' } }), AUD))).toBe('unknown-issuer');
  });

  it('HS256 (and none): algorithm-not-allowed', async () => {
    const { v } = verifierFor([client({ jwks: { keys: [keyA.publicJwk] } })]);
    const claims = b64url({ iss: TEST_ISSUER, aud: AUD, iat: now(), exp: now() + 60, jti: randomUUID() });
    const hs = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${claims}`;
    expect(await reasonOf(v.verify(`${hs}.${createHmac('sha256', 'k').update(hs).digest('base64url')}`, AUD))).toBe('algorithm-not-allowed');
    expect(await reasonOf(v.verify(`${b64url({ alg: 'none' })}.${claims}.`, AUD))).toBe('algorithm-not-allowed');
  });

  it('a string that is not a JWT: malformed-token', async () => {
    const { v } = verifierFor([client({ jwks: { keys: [keyA.publicJwk] } })]);
    expect(await reasonOf(v.verify('not.a.jwt', AUD))).toBe('malformed-token');
  });

  it('a tenant with no entry for the issuer: tenant-not-trusted', async () => {
    const { v } = verifierFor([client({ tenant: 'hospital-a', jwks: { keys: [keyA.publicJwk] } })]);
    expect(await reasonOf(v.verify(await signToken('/cds-services', keyA, { claims: { tenant: 'hospital-b' } }), AUD))).toBe('tenant-not-trusted');
  });
});

describe('real clients over HTTP', () => {
  const REF_ISS = 'https://sandbox.cds-hooks.org';
  const REF_JKU = 'https://sandbox.cds-hooks.org/.well-known/jwks.json';

  /** The HL7 reference client's token (github.com/cds-hooks/sandbox): ES384, kid + jku header, aud = exact URL, exp = now + 300, uuid jti, no sub or tenant. */
  const referenceToken = (key: ClientKey, url: string, jku = REF_JKU): Promise<string> =>
    signToken('', key, { claims: { iss: REF_ISS, aud: url, iat: now(), exp: now() + 300, jti: randomUUID() }, header: { alg: 'ES384', typ: 'JWT', kid: key.kid, jku } });

  it('the reference client, its public key pasted inline, is accepted on discovery, service and feedback without fetching its unlisted jku', async () => {
    const fetchSpy = jest.spyOn(globalThis, 'fetch');
    const h = await createHarness({ services: [echoService()], clients: (key) => [{ iss: REF_ISS, jwks: { keys: [key.publicJwk] }, fhir_servers: [] }] });
    const auth = async (path: string): Promise<string> => `Bearer ${await referenceToken(h.key, `${TEST_BASE_URL}${path}`)}`;
    expect((await request(h.app).get('/cds-services').set('Authorization', await auth('/cds-services'))).status).toBe(200);
    const inv = await request(h.app)
      .post('/cds-services/echo')
      .set('Authorization', await auth('/cds-services/echo'))
      .send(patientViewRequest({ prefetch: { patient: { resourceType: 'Patient', id: 'pat-1' } } }));
    expect(inv.status).toBe(200);
    const fb = await request(h.app)
      .post('/cds-services/echo/feedback')
      .set('Authorization', await auth('/cds-services/echo/feedback'))
      .send({ feedback: [{ card: inv.body.cards[0].uuid, outcome: 'overridden', outcomeTimestamp: new Date().toISOString() }] });
    expect(fb.status).toBe(200);
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it('the same header pointing its jku at a live server: still never fetched', async () => {
    const h = await createHarness({ clients: (key) => [{ iss: REF_ISS, jwks: { keys: [key.publicJwk] }, fhir_servers: [] }] });
    const res = await request(h.app).get('/cds-services').set('Authorization', `Bearer ${await referenceToken(h.key, AUD, `${base}/a-ref`)}`);
    expect(res.status).toBe(200);
    expect(hitsOf('/a-ref')).toBe(0);
  });

  it('Epic: RS384 with an allowlisted jku, sub, and nbf 5 minutes before iat, is accepted and its sub reported', async () => {
    const iat = now();
    const t = await signToken('/cds-services', rsa, { claims: { iss: 'https://epic.example.org', sub: 'epic-client-1', iat, nbf: iat - 300, exp: iat + 300 }, header: { jku: `${base}/rsa-epic` } });
    const { v } = verifierFor([{ iss: 'https://epic.example.org', jku: [`${base}/rsa-epic`], fhir_servers: [] }]);
    await expect(v.verify(t, AUD)).resolves.toMatchObject({ iss: 'https://epic.example.org', sub: 'epic-client-1' });
    const h = await createHarness({ clients: () => [{ iss: 'https://epic.example.org', jku: [`${base}/rsa-epic`], fhir_servers: [] }] });
    const t2 = await signToken('/cds-services', rsa, { claims: { iss: 'https://epic.example.org', sub: 'epic-client-1', iat, nbf: iat - 300, exp: iat + 300 }, header: { jku: `${base}/rsa-epic` } });
    expect((await request(h.app).get('/cds-services').set('Authorization', `Bearer ${t2}`)).status).toBe(200);
  });

  it('a refusal is logged with its code and words, never the token, its header values or its claims\' values', async () => {
    const h = await createHarness();
    const stranger = await makeClientKey('ES384');
    const jti = randomUUID();
    const jku = `${base}/a-logged`;
    const t = await signToken('/cds-services', stranger, { header: { jku }, claims: { jti, sub: 'dr-secret-sub' } });
    expect((await request(h.app).get('/cds-services').set('Authorization', `Bearer ${t}`)).status).toBe(401);
    const record = h.logs.records.find((r) => r['msg'] === 'client authentication failed');
    expect(record).toMatchObject({ authFailure: 'no-key-for-kid', authFailureDetail: expect.any(String) });
    for (const secret of [t, t.split('.')[1]!, t.split('.')[2]!, stranger.kid, jti, jku, 'dr-secret-sub', TEST_ISSUER]) expect(h.logs.text).not.toContain(secret);
  });
});
