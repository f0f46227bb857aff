import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import type { CdsServiceDefinition } from '../../src/cds/types.js';
import type { ProfileName } from '../../src/cds/profiles/index.js';
import { createHarness, patientViewRequest, TEST_ISSUER, type Harness } from '../helpers/harness.js';

/**
 * The profile stage over HTTP: chosen by the caller's trusted-clients entry, applied before response
 * validation and before the cards are recorded (so the store and feedback see what the EHR saw).
 */
const ADMIN = 'analytics-admin-secret-0123456789';
const service: CdsServiceDefinition = {
  id: 'dose-check',
  hooks: ['patient-view'],
  description: 'issues a critical card with a dose change',
  handler: async () => ({
    cards: [
      {
        uuid: '3f0c4a55-9b2e-4a57-8a55-3c2a1b0e9d11',
        summary: 'Dose too high for this patient',
        indicator: 'critical',
        source: { label: 'Test rules' },
        selectionBehavior: 'at-most-one',
        suggestions: [
          {
            label: 'Halve the dose',
            uuid: 'a1b2c3d4-0000-4000-8000-000000000001',
            actions: [
              {
                type: 'update',
                description: 'Change the dose to 50 mg',
                resource: { resourceType: 'MedicationRequest', id: 'mr-1', status: 'draft', intent: 'order', subject: { reference: 'Patient/pat-1' }, medicationCodeableConcept: { text: 'drug X 100 mg tablet' }, dosageInstruction: [{ text: '50 mg daily', doseAndRate: [{ doseQuantity: { value: 50, unit: 'mg', system: 'http://unitsofmeasure.org', code: 'mg' } }] }] },
              },
            ],
          },
        ],
      },
    ],
    provenance: { models: [], ruleTables: [], cardKinds: { '3f0c4a55-9b2e-4a57-8a55-3c2a1b0e9d11': 'dose-too-high' } },
  }),
};

const harness = (profile?: ProfileName, env: Record<string, string> = {}): Promise<Harness> =>
  createHarness({
    services: [service],
    env: { ANALYTICS_ADMIN_TOKEN: ADMIN, ...env },
    clients: (key) => [{ iss: TEST_ISSUER, jwks: { keys: [key.publicJwk] }, fhir_servers: [], ...(profile ? { profile } : {}) }],
  });
const invoke = async (h: Harness, auth = true) => {
  const r = request(h.app).post('/cds-services/dose-check');
  if (auth) r.set('Authorization', `Bearer ${await h.token('/cds-services/dose-check')}`);
  return r.send(patientViewRequest());
};

describe('client profiles over HTTP', () => {
  it('no profile in the trusted-clients entry: generic, the card as issued with its topic', async () => {
    const res = await invoke(await harness());
    expect(res.status).toBe(200);
    expect(res.body.cards[0]).toMatchObject({ indicator: 'critical', selectionBehavior: 'at-most-one', source: { topic: { code: 'DoseCheckDoseTooHigh' } } });
    expect(res.body.cards[0].suggestions[0].actions[0].type).toBe('update');
  });

  it('authentication off: generic, and the FHIR server is checked against the default list (no client identity is made up)', async () => {
    const h = await createHarness({ services: [service], env: { AUTH_DISABLED: 'true' }, defaultFhirServers: ['https://fhir.test.example/r4'] });
    const res = await request(h.app).post('/cds-services/dose-check').send(patientViewRequest({ fhirServer: 'https://fhir.test.example/r4' }));
    expect(res.status).toBe(200);
    expect(res.body.cards[0].suggestions[0].actions[0].type).toBe('update');
    const other = await request(h.app).post('/cds-services/dose-check').send(patientViewRequest({ fhirServer: 'https://elsewhere.example/fhir' }));
    expect(other.status).toBe(400);
  });

  it('oracle: a critical card of a kind not listed as interruptive is sent as warning', async () => {
    const res = await invoke(await harness('oracle'));
    expect(res.status).toBe(200);
    expect(res.body.cards[0].indicator).toBe('warning');
  });

  it('epic: the shaped response passes validation, and the store records its suggestions under the card kind, so feedback on them counts', async () => {
    const h = await harness('epic');
    const res = await invoke(h);
    expect(res.status).toBe(200);
    const card = res.body.cards[0];
    expect(card.selectionBehavior).toBe('any');
    expect(card.suggestions.map((s: { label: string; actions: { type: string }[] }) => [s.label, s.actions.map((a) => a.type)])).toEqual([
      ['Re-order drug X 100 mg tablet at 50 mg per dose', ['create']],
      ['Cancel the draft order for drug X 100 mg tablet (to re-order it at 50 mg per dose)', ['delete']],
    ]);
    const fb = await request(h.app)
      .post('/cds-services/dose-check/feedback')
      .set('Authorization', `Bearer ${await h.token('/cds-services/dose-check/feedback')}`)
      .send({ feedback: [{ card: card.uuid, outcome: 'accepted', acceptedSuggestions: card.suggestions.map((s: { uuid: string }) => ({ id: s.uuid })), outcomeTimestamp: '2026-12-01T10:00:00Z' }] });
    expect(fb.body.feedback[0].status).toBe('recorded');
    const analytics = await request(h.app).get('/analytics/cards').set('Authorization', `Bearer ${ADMIN}`);
    expect(analytics.body.cards).toEqual([expect.objectContaining({ serviceId: 'dose-check', cardKind: 'dose-too-high', issued: 1, accepted: 1 })]);
  });
});
