import { describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { createHarness, echoService, patientViewRequest } from '../helpers/harness.js';

describe('feedback (spec 2.0 §Feedback)', () => {
  it('148: accepts feedback for an issued card and flags unknown card uuids', async () => {
    const h = await createHarness({ services: [echoService()] });
    const inv = await request(h.app)
      .post('/cds-services/echo')
      .set('Authorization', `Bearer ${await h.token('/cds-services/echo')}`)
      .send(patientViewRequest({ prefetch: { patient: { resourceType: 'Patient', id: 'pat-1' } } }));
    const cardUuid = inv.body.cards[0].uuid as string;
    const unknown = randomUUID();
    const res = await request(h.app)
      .post('/cds-services/echo/feedback')
      .set('Authorization', `Bearer ${await h.token('/cds-services/echo/feedback')}`)
      .send({
        feedback: [
          { card: cardUuid, outcome: 'overridden', overrideReason: { reason: { system: 'https://x', code: 'a', display: 'A' }, userComment: 'no' }, outcomeTimestamp: '2026-01-01T00:00:00Z' },
          { card: unknown, outcome: 'overridden', outcomeTimestamp: '2026-01-01T00:00:00Z' },
        ],
      });
    expect(res.status).toBe(200);
    expect(res.body.feedback).toEqual([
      { card: cardUuid, status: 'recorded' },
      { card: unknown, status: 'unknown-card' },
    ]);
  });

  it('accepts overrideReasons (a list, as Epic sends it) in a batch with other items, and counts every reason', async () => {
    const h = await createHarness({ services: [echoService()], env: { ANALYTICS_ADMIN_TOKEN: 'analytics-admin-secret-0123456789' } });
    const issue = async () =>
      (
        await request(h.app)
          .post('/cds-services/echo')
          .set('Authorization', `Bearer ${await h.token('/cds-services/echo')}`)
          .send(patientViewRequest({ prefetch: { patient: { resourceType: 'Patient', id: 'pat-1' } } }))
      ).body.cards[0].uuid as string;
    const [a, b] = [await issue(), await issue()];
    const reason = (code: string) => ({ reason: { system: 'https://x', code, display: code.toUpperCase() } });
    const res = await request(h.app)
      .post('/cds-services/echo/feedback')
      .set('Authorization', `Bearer ${await h.token('/cds-services/echo/feedback')}`)
      .send({
        feedback: [
          { card: a, outcome: 'overridden', overrideReasons: [reason('p'), { ...reason('q'), userComment: 'patient declined' }], outcomeTimestamp: '2026-01-01T00:00:00Z' },
          { card: b, outcome: 'overridden', overrideReason: reason('p'), outcomeTimestamp: '2026-01-01T00:00:00Z' },
        ],
      });
    expect(res.status).toBe(200);
    expect(res.body.feedback).toEqual([
      { card: a, status: 'recorded' },
      { card: b, status: 'recorded' },
    ]);
    const analytics = await request(h.app).get('/analytics/cards?service=echo').set('Authorization', 'Bearer analytics-admin-secret-0123456789');
    expect(analytics.body.cards[0].topOverrideReasons.map((r: { code: string; count: number }) => [r.code, r.count])).toEqual([['p', 2], ['q', 1]]);
  });

  it('overrideReason and overrideReasons together on one item is a 400 naming the item', async () => {
    const h = await createHarness({ services: [echoService()] });
    const reason = { reason: { system: 'https://x', code: 'a' } };
    const res = await request(h.app)
      .post('/cds-services/echo/feedback')
      .set('Authorization', `Bearer ${await h.token('/cds-services/echo/feedback')}`)
      .send({ feedback: [{ card: randomUUID(), outcome: 'overridden', overrideReason: reason, overrideReasons: [reason], outcomeTimestamp: '2026-01-01T00:00:00Z' }] });
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue.some((i: { expression?: string[] }) => i.expression?.[0] === 'feedback[0].overrideReason')).toBe(true);
  });

  it('accepted without acceptedSuggestions is a 400 naming the field', async () => {
    const h = await createHarness({ services: [echoService()] });
    const res = await request(h.app)
      .post('/cds-services/echo/feedback')
      .set('Authorization', `Bearer ${await h.token('/cds-services/echo/feedback')}`)
      .send({ feedback: [{ card: randomUUID(), outcome: 'accepted', outcomeTimestamp: '2026-01-01T00:00:00Z' }] });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.issue)).toContain('acceptedSuggestions');
  });

  it('an unknown outcome is a 400 naming feedback[0].outcome', async () => {
    const h = await createHarness({ services: [echoService()] });
    const res = await request(h.app)
      .post('/cds-services/echo/feedback')
      .set('Authorization', `Bearer ${await h.token('/cds-services/echo/feedback')}`)
      .send({ feedback: [{ card: randomUUID(), outcome: 'ignored', outcomeTimestamp: '2026-01-01T00:00:00Z' }] });
    expect(res.status).toBe(400);
    expect(res.body.issue.some((i: { expression?: string[] }) => i.expression?.[0] === 'feedback[0].outcome')).toBe(true);
  });

  it('feedback to an unknown service is a 404', async () => {
    const h = await createHarness({ services: [echoService()] });
    const res = await request(h.app)
      .post('/cds-services/nope/feedback')
      .set('Authorization', `Bearer ${await h.token('/cds-services/nope/feedback')}`)
      .send({ feedback: [{ card: randomUUID(), outcome: 'overridden', outcomeTimestamp: '2026-01-01T00:00:00Z' }] });
    expect(res.status).toBe(404);
  });
});
