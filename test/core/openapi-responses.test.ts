import { describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { createHarness, echoService, patientViewRequest } from '../helpers/harness.js';
import { openapiSchema } from '../helpers/openapi-schema.js';

/** Real responses of every endpoint, checked against the schemas openapi/openapi.json declares for them. */
describe('responses match openapi/openapi.json', () => {
  const check = (schema: string, body: unknown): void => {
    const v = openapiSchema(schema);
    expect({ schema, ok: v(body), errors: v.errors ?? null }).toEqual({ schema, ok: true, errors: null });
  };

  it('discovery, invocation, feedback, health and errors', async () => {
    const h = await createHarness({ services: [echoService({ hooks: ['patient-view', 'order-sign'] })] });
    const auth = async (p: string) => `Bearer ${await h.token(p)}`;
    check('DiscoveryResponse', (await request(h.app).get('/cds-services').set('Authorization', await auth('/cds-services'))).body);
    const inv = await request(h.app).post('/cds-services/echo').set('Authorization', await auth('/cds-services/echo')).send(patientViewRequest({ prefetch: { patient: { resourceType: 'Patient', id: 'pat-1' } } }));
    check('CdsServiceResponse', inv.body);
    const fb = await request(h.app)
      .post('/cds-services/echo/feedback')
      .set('Authorization', await auth('/cds-services/echo/feedback'))
      .send({ feedback: [{ card: inv.body.cards[0].uuid, outcome: 'overridden', outcomeTimestamp: '2026-11-24T10:00:00Z' }, { card: randomUUID(), outcome: 'overridden', outcomeTimestamp: '2026-11-24T10:00:00Z' }] });
    check('FeedbackResponse', fb.body);
    check('HealthLive', (await request(h.app).get('/health/live')).body);
    check('HealthReady', (await request(h.app).get('/health/ready')).body);
    for (const res of [
      await request(h.app).get('/cds-services'),
      await request(h.app).post('/cds-services/nope').set('Authorization', await auth('/cds-services/nope')).send(patientViewRequest()),
      await request(h.app).post('/cds-services/echo').set('Authorization', await auth('/cds-services/echo')).send({ hook: 'patient-view' }),
      await request(h.app).post('/cds-services/echo').set('Authorization', await auth('/cds-services/echo')).send(patientViewRequest()),
    ]) {
      expect(res.status).toBeGreaterThanOrEqual(400);
      check('OperationOutcome', res.body);
    }
  });
});
