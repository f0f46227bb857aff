import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createHarness, echoService, patientViewRequest } from '../helpers/harness.js';

describe('operations endpoints and HTTP hygiene', () => {
  it('GET /health/live answers ok without authentication', async () => {
    const h = await createHarness();
    const res = await request(h.app).get('/health/live');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('GET /health/ready is ok while running and 503 once shutting down', async () => {
    const h = await createHarness({ services: [echoService()] });
    expect((await request(h.app).get('/health/ready')).status).toBe(200);
    h.healthState.shuttingDown = true;
    const res = await request(h.app).get('/health/ready');
    expect(res.status).toBe(503);
    expect(res.body.checks.shutdown.status).toBe('unavailable');
  });

  it('GET /metrics exposes per-service request counts and latency histograms', async () => {
    const h = await createHarness({ services: [echoService()] });
    await request(h.app)
      .post('/cds-services/echo')
      .set('Authorization', `Bearer ${await h.token('/cds-services/echo')}`)
      .send(patientViewRequest({ prefetch: { patient: { resourceType: 'Patient', id: 'pat-1' } } }));
    const res = await request(h.app).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/cds_service_requests_total\{service="echo",hook="patient-view",status="200"\} 1/);
    expect(res.text).toMatch(/cds_service_request_duration_seconds_count\{service="echo",hook="patient-view"\} 1/);
  });

  it('GET /openapi.json serves the OpenAPI 3.1 document', async () => {
    const h = await createHarness();
    const res = await request(h.app).get('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
  });

  it('208: answers a CORS preflight allowing Authorization and Content-Type, without requiring a token', async () => {
    const h = await createHarness({ services: [echoService()] });
    const res = await request(h.app)
      .options('/cds-services/echo')
      .set('Origin', 'https://ehr.example')
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'authorization,content-type');
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-headers']).toMatch(/Authorization/);
    expect(res.headers['access-control-allow-headers']).toMatch(/Content-Type/);
    expect(res.headers['access-control-allow-origin']).toBe('*');
  });

  it("answers Chrome's Private Network Access preflight (the hosted reference client calling a service on loopback), and only when asked", async () => {
    const h = await createHarness({ services: [echoService()] });
    const preflight = (pna: boolean) => {
      const r = request(h.app).options('/cds-services/echo').set('Origin', 'https://sandbox.cds-hooks.org').set('Access-Control-Request-Method', 'POST');
      return pna ? r.set('Access-Control-Request-Private-Network', 'true') : r;
    };
    expect((await preflight(true)).headers['access-control-allow-private-network']).toBe('true');
    expect((await preflight(false)).headers['access-control-allow-private-network']).toBeUndefined();
  });

  it('restricts CORS to configured origins', async () => {
    const h = await createHarness({ env: { CORS_ORIGINS: 'https://ehr.example' } });
    const ok = await request(h.app).get('/health/live').set('Origin', 'https://ehr.example');
    const other = await request(h.app).get('/health/live').set('Origin', 'https://evil.example');
    expect(ok.headers['access-control-allow-origin']).toBe('https://ehr.example');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('sets helmet security headers and no x-powered-by', async () => {
    const h = await createHarness();
    const res = await request(h.app).get('/health/live');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('unknown paths answer 404 OperationOutcome; wrong methods 405', async () => {
    const h = await createHarness({ services: [echoService()] });
    const nf = await request(h.app).get('/nope');
    expect(nf.status).toBe(404);
    expect(nf.body.resourceType).toBe('OperationOutcome');
    const m = await request(h.app).delete('/cds-services/echo');
    expect(m.status).toBe(405);
  });

  it('echoes a safe X-Request-Id and logs it', async () => {
    const h = await createHarness();
    const res = await request(h.app).get('/health/live').set('X-Request-Id', 'abc-123');
    expect(res.headers['x-request-id']).toBe('abc-123');
    expect(h.logs.records.some((r) => r['reqId'] === 'abc-123')).toBe(true);
  });
});
