import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { createHarness, makeClientKey, signToken, TEST_ISSUER, type ClientKey } from '../helpers/harness.js';

/** A real HTTP JWKS endpoint that counts fetches; `/slow` never answers. */
describe('remote JWK Sets (jwks_url and allowlisted jku)', () => {
  let server: Server;
  let base: string;
  let key: ClientKey;
  const hits: Record<string, number> = {};
  beforeAll(async () => {
    key = await makeClientKey('ES384');
    server = createServer((req, res) => {
      hits[req.url ?? ''] = (hits[req.url ?? ''] ?? 0) + 1;
      if (req.url === '/slow') return; // hangs: the verifier must time out
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ keys: [key.publicJwk] }));
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((ok) => server.close(ok));
  });

  it('fetches the out-of-band jwks_url once and caches it', async () => {
    const h = await createHarness({ clients: () => [{ iss: TEST_ISSUER, jwks_url: `${base}/oob.json`, fhir_servers: [] }] });
    for (let i = 0; i < 3; i++) {
      const t = await signToken('/cds-services', key);
      expect((await request(h.app).get('/cds-services').set('Authorization', `Bearer ${t}`)).status).toBe(200);
    }
    expect(hits['/oob.json']).toBe(1);
  });

  it('uses an allowlisted jku from the JWT header', async () => {
    const h = await createHarness({ clients: () => [{ iss: TEST_ISSUER, jku: [`${base}/jku.json`], fhir_servers: [] }] });
    const t = await signToken('/cds-services', key, { header: { jku: `${base}/jku.json` } });
    expect((await request(h.app).get('/cds-services').set('Authorization', `Bearer ${t}`)).status).toBe(200);
    expect(hits['/jku.json']).toBe(1);
  });

  it('gives 401 (not a hang or 5xx) when the JWKS endpoint does not answer in time', async () => {
    const h = await createHarness({ env: { JWKS_TIMEOUT_MS: '300' }, clients: () => [{ iss: TEST_ISSUER, jwks_url: `${base}/slow`, fhir_servers: [] }] });
    const started = Date.now();
    const res = await request(h.app).get('/cds-services').set('Authorization', `Bearer ${await signToken('/cds-services', key)}`);
    expect(res.status).toBe(401);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
