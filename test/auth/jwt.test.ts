import { describe, expect, it, beforeAll } from '@jest/globals';
import { createHash, createHmac, randomUUID } from 'node:crypto';
import request from 'supertest';
import { createHarness, makeClientKey, signToken, TEST_BASE_URL, TEST_ISSUER, type Harness } from '../helpers/harness.js';

const b64url = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
const now = (): number => Math.floor(Date.now() / 1000);

describe('CDS client trust (spec 2.0 §Trusting CDS Clients)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness();
  });
  const discover = (token?: string) => {
    const r = request(h.app).get('/cds-services');
    return token === undefined ? r : r.set('Authorization', `Bearer ${token}`);
  };

  it('176/205: accepts an ES384-signed JWT from a trusted client on discovery', async () => {
    const res = await discover(await h.token('/cds-services'));
    expect(res.status).toBe(200);
  });

  it.each(['ES256', 'RS384', 'RS256'] as const)('accepts %s, which deployed EHRs use', async (alg) => {
    const key = await makeClientKey(alg);
    const hh = await createHarness({ clients: () => [{ iss: TEST_ISSUER, jwks: { keys: [key.publicJwk] }, fhir_servers: [] }] });
    const res = await request(hh.app).get('/cds-services').set('Authorization', `Bearer ${await signToken('/cds-services', key)}`);
    expect(res.status).toBe(200);
  });

  it('177: refuses a request with no Authorization header with 401 and no details', async () => {
    const res = await discover();
    expect(res.status).toBe(401);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0].diagnostics).toBe('Authentication failed');
    expect(res.headers['www-authenticate']).toBe('Bearer');
  });

  it('201: refuses alg "none" (unsecured JWS)', async () => {
    const token = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ iss: TEST_ISSUER, aud: `${TEST_BASE_URL}/cds-services`, iat: now(), exp: now() + 60, jti: randomUUID() })}.`;
    expect((await discover(token)).status).toBe(401);
  });

  it('203: refuses HS256 even when signed with the public key as HMAC secret (alg confusion)', async () => {
    const header = b64url({ alg: 'HS256', typ: 'JWT', kid: h.key.kid });
    const payload = b64url({ iss: TEST_ISSUER, aud: `${TEST_BASE_URL}/cds-services`, iat: now(), exp: now() + 60, jti: randomUUID() });
    const secret = JSON.stringify(h.key.publicJwk);
    const sig = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
    expect((await discover(`${header}.${payload}.${sig}`)).status).toBe(401);
  });

  it('refuses a token whose aud is another endpoint', async () => {
    expect((await discover(await h.token('/cds-services/other'))).status).toBe(401);
  });

  it('refuses an expired token', async () => {
    const t = await h.token('/cds-services', { claims: { iat: now() - 900, exp: now() - 600 } });
    expect((await discover(t)).status).toBe(401);
  });

  it('refuses a token issued in the future beyond the clock skew', async () => {
    const t = await h.token('/cds-services', { claims: { iat: now() + 600, exp: now() + 900 } });
    expect((await discover(t)).status).toBe(401);
  });

  it('refuses a token not yet valid (nbf)', async () => {
    const t = await h.token('/cds-services', { claims: { nbf: now() + 600 } });
    expect((await discover(t)).status).toBe(401);
  });

  it('tolerates small clock skew on iat', async () => {
    const t = await h.token('/cds-services', { claims: { iat: now() + 20 } });
    expect((await discover(t)).status).toBe(200);
  });

  it('refuses a replayed jti', async () => {
    const t = await h.token('/cds-services');
    expect((await discover(t)).status).toBe(200);
    expect((await discover(t)).status).toBe(401);
  });

  it('refuses a token without jti', async () => {
    expect((await discover(await h.token('/cds-services', { omit: ['jti'] }))).status).toBe(401);
  });

  it('refuses an unknown issuer', async () => {
    expect((await discover(await h.token('/cds-services', { claims: { iss: 'https://unknown.example' } }))).status).toBe(401);
  });

  it('refuses a token signed with the wrong key', async () => {
    const other = await makeClientKey('ES384');
    expect((await discover(await h.token('/cds-services', { key: { ...other, kid: h.key.kid } }))).status).toBe(401);
  });

  it('refuses a token with a tampered payload', async () => {
    const [hd, , sig] = (await h.token('/cds-services')).split('.');
    const forged = b64url({ iss: TEST_ISSUER, aud: `${TEST_BASE_URL}/cds-services`, iat: now(), exp: now() + 60, jti: randomUUID(), sub: 'admin' });
    expect((await discover(`${hd}.${forged}.${sig}`)).status).toBe(401);
  });

  it('refuses a token lifetime longer than allowed', async () => {
    const t = await h.token('/cds-services', { claims: { exp: now() + 7 * 24 * 3600 } });
    expect((await discover(t)).status).toBe(401);
  });

  it('accepts unknown claims (sub, vendor claims)', async () => {
    const t = await h.token('/cds-services', { claims: { sub: 'someone', 'com.vendor.claim': { a: 1 } } });
    expect((await discover(t)).status).toBe(200);
  });

  it('accepts an audience configured for the client', async () => {
    const key = await makeClientKey('ES384');
    const hh = await createHarness({ clients: () => [{ iss: TEST_ISSUER, jwks: { keys: [key.publicJwk] }, fhir_servers: [], audiences: ['https://alias.example/cds'] }] });
    const t = await signToken('/x', key, { claims: { aud: 'https://alias.example/cds' } });
    expect((await request(hh.app).get('/cds-services').set('Authorization', `Bearer ${t}`)).status).toBe(200);
  });

  it('199/195: refuses a token whose key is not known out of band and whose jku is not on the allowlist', async () => {
    // An unlisted jku never brings in a key: the attacker's own key set is not fetched (test/auth/jwt-keys.test.ts).
    const attacker = await makeClientKey('ES384');
    const t = await h.token('/cds-services', { key: attacker, header: { jku: 'https://attacker.example/jwks.json' } });
    expect((await discover(t)).status).toBe(401);
  });

  it('refuses a token whose tenant does not match the configured tenant', async () => {
    const key = await makeClientKey('ES384');
    const hh = await createHarness({ clients: () => [{ iss: TEST_ISSUER, tenant: 'hospital-a', jwks: { keys: [key.publicJwk] }, fhir_servers: [] }] });
    const bad = await signToken('/cds-services', key, { claims: { tenant: 'hospital-b' } });
    const good = await signToken('/cds-services', key, { claims: { tenant: 'hospital-a' } });
    expect((await request(hh.app).get('/cds-services').set('Authorization', `Bearer ${bad}`)).status).toBe(401);
    expect((await request(hh.app).get('/cds-services').set('Authorization', `Bearer ${good}`)).status).toBe(200);
  });

  it('logs the reason for a refusal but never the token', async () => {
    const t = await h.token('/cds-services/other');
    await discover(t);
    expect(h.logs.text).toContain('client authentication failed');
    expect(h.logs.text).not.toContain(t);
    expect(h.logs.text).not.toContain(createHash('sha256').update(t).digest('hex'));
  });
});
