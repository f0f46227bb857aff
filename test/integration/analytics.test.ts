import { describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { CdsServiceDefinition } from '../../src/cds/types.js';
import { openapiSchema } from '../helpers/openapi-schema.js';
import { createHarness, patientViewRequest, signToken, TEST_ISSUER, type Harness } from '../helpers/harness.js';

const ADMIN = 'analytics-admin-secret-0123456789';

/** A service that issues `n` cards of a given kind per call (kind comes through provenance). */
function issuer(kind: string, n: number): CdsServiceDefinition {
  return {
    id: `svc-${kind}`,
    hooks: ['patient-view'],
    description: `issues ${n} cards of kind ${kind}`,
    handler: async () => {
      const cards = Array.from({ length: n }, (_, i) => ({ uuid: randomUUID(), summary: `card ${i}`, indicator: 'info' as const, source: { label: 'test' } }));
      return { cards, provenance: { models: [], ruleTables: [{ id: 'rules', version: '1' }], cardKinds: Object.fromEntries(cards.map((c) => [c.uuid, kind])) } };
    },
  };
}

async function issue(h: Harness, id: string): Promise<string[]> {
  const res = await request(h.app).post(`/cds-services/${id}`).set('Authorization', `Bearer ${await h.token(`/cds-services/${id}`)}`).send(patientViewRequest());
  return (res.body.cards as { uuid: string }[]).map((c) => c.uuid);
}

async function feedback(h: Harness, id: string, items: unknown[]) {
  return request(h.app).post(`/cds-services/${id}/feedback`).set('Authorization', `Bearer ${await h.token(`/cds-services/${id}/feedback`)}`).send({ feedback: items });
}

const reason = (code: string) => ({ reason: { system: 'https://example.org/override', code, display: `Reason ${code}` } });

describe('card analytics (GET /analytics/cards)', () => {
  it('counts issued, accepted and overridden cards per service and kind, with top override reasons', async () => {
    const h = await createHarness({ services: [issuer('alpha', 10), issuer('beta', 5)], env: { ANALYTICS_ADMIN_TOKEN: ADMIN } });
    const a = await issue(h, 'svc-alpha');
    await issue(h, 'svc-beta');
    const accepted = a.slice(0, 4);
    const overridden: [string, string][] = [[a[4]!, 'x'], [a[5]!, 'x'], [a[6]!, 'y']];
    const ts = '2026-11-24T10:00:00Z';
    await feedback(h, 'svc-alpha', [
      ...accepted.map((card) => ({ card, outcome: 'accepted', acceptedSuggestions: [{ id: 's' }], outcomeTimestamp: ts })),
      ...overridden.map(([card, code]) => ({ card, outcome: 'overridden', overrideReason: reason(code), outcomeTimestamp: ts })),
    ]);
    // the same report again is idempotent
    await feedback(h, 'svc-alpha', [{ card: accepted[0], outcome: 'accepted', acceptedSuggestions: [{ id: 's' }], outcomeTimestamp: ts }]);
    const res = await request(h.app).get('/analytics/cards').set('Authorization', `Bearer ${ADMIN}`);
    expect(res.status).toBe(200);
    expect(openapiSchema('CardAnalyticsResponse')(res.body)).toBe(true);
    const rows = res.body.cards as { serviceId: string; cardKind: string; issued: number; accepted: number; overridden: number; acceptanceRate?: number; topOverrideReasons: { code: string; count: number }[] }[];
    const alpha = rows.find((r) => r.cardKind === 'alpha')!;
    expect(alpha).toMatchObject({ serviceId: 'svc-alpha', issued: a.length, accepted: accepted.length, overridden: overridden.length });
    expect(alpha.acceptanceRate).toBeCloseTo(accepted.length / (accepted.length + overridden.length), 6);
    expect(alpha.topOverrideReasons.map((r) => [r.code, r.count])).toEqual([['x', 2], ['y', 1]]);
    expect(rows.find((r) => r.cardKind === 'beta')).toMatchObject({ issued: 5, accepted: 0, overridden: 0 });
    const filtered = await request(h.app).get('/analytics/cards?service=svc-beta').set('Authorization', `Bearer ${ADMIN}`);
    expect(filtered.body.cards.map((r: { serviceId: string }) => r.serviceId)).toEqual(['svc-beta']);
    const future = await request(h.app).get('/analytics/cards?from=2999-01-01').set('Authorization', `Bearer ${ADMIN}`);
    expect(future.body.cards ?? []).toEqual([]);
  });

  it('a card accepted and later overridden counts as overridden and in acceptedThenOverridden, so acceptance is not overstated', async () => {
    const h = await createHarness({ services: [issuer('gamma', 3)], env: { ANALYTICS_ADMIN_TOKEN: ADMIN } });
    const [a, b, c] = await issue(h, 'svc-gamma');
    const acceptedAt = (card: string, ts: string) => ({ card, outcome: 'accepted', acceptedSuggestions: [{ id: 's' }], outcomeTimestamp: ts });
    // Batched as Epic may send it: a's acceptance and its later override in one request, b's override then acceptance.
    await feedback(h, 'svc-gamma', [acceptedAt(a!, '2026-11-24T10:00:00Z'), { card: a, outcome: 'overridden', overrideReasons: [reason('x'), reason('y')], outcomeTimestamp: '2026-11-24T10:05:00Z' }]);
    await feedback(h, 'svc-gamma', [{ card: b, outcome: 'overridden', overrideReason: reason('x'), outcomeTimestamp: '2026-11-24T10:00:00Z' }, acceptedAt(b!, '2026-11-24T10:01:00Z'), acceptedAt(c!, '2026-11-24T10:00:00Z')]);
    const res = await request(h.app).get('/analytics/cards?service=svc-gamma').set('Authorization', `Bearer ${ADMIN}`);
    expect(openapiSchema('CardAnalyticsResponse')(res.body)).toBe(true);
    expect(res.body.cards).toEqual([
      {
        serviceId: 'svc-gamma',
        cardKind: 'gamma',
        issued: 3,
        accepted: 2,
        overridden: 1,
        acceptedThenOverridden: 1,
        overriddenThenAccepted: 1,
        acceptanceRate: 2 / 3,
        topOverrideReasons: [
          { system: 'https://example.org/override', code: 'x', display: 'Reason x', count: 1 },
          { system: 'https://example.org/override', code: 'y', display: 'Reason y', count: 1 },
        ],
      },
    ]);
  });

  it('is protected: no token 401, wrong secret 401, client JWT without the scope 403, with it 200', async () => {
    const h = await createHarness({
      env: { ANALYTICS_ADMIN_TOKEN: ADMIN },
      clients: (key) => [{ iss: TEST_ISSUER, jwks: { keys: [key.publicJwk] }, fhir_servers: [], scopes: ['analytics/cards.read'] }],
    });
    expect((await request(h.app).get('/analytics/cards')).status).toBe(401);
    expect((await request(h.app).get('/analytics/cards').set('Authorization', 'Bearer wrong-secret-wrong-secret')).status).toBe(401);
    const noScope = await signToken('/analytics/cards', h.key);
    expect((await request(h.app).get('/analytics/cards').set('Authorization', `Bearer ${noScope}`)).status).toBe(403);
    const scoped = await signToken('/analytics/cards', h.key, { claims: { scope: 'analytics/cards.read' } });
    expect((await request(h.app).get('/analytics/cards').set('Authorization', `Bearer ${scoped}`)).status).toBe(200);
  });

  it('bad query parameters get a 400 OperationOutcome naming them', async () => {
    const h = await createHarness({ env: { ANALYTICS_ADMIN_TOKEN: ADMIN } });
    const res = await request(h.app).get('/analytics/cards?from=yesterday').set('Authorization', `Bearer ${ADMIN}`);
    expect(res.status).toBe(400);
    expect(res.body.issue[0].expression).toEqual(['from']);
  });
});
