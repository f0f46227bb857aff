import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import request from 'supertest';
import { CARDS_DIR, MODELS_DIR } from '../../src/app.js';
import { ModelRuntime } from '../../src/models/runtime.js';
import { startSandboxFhirServer } from '../../src/sandbox/fhir-server.js';
import { cardiovascularRiskService } from '../../src/services/cardiovascular-risk/index.js';
import { pharmacogenomicsService } from '../../src/services/pgx/index.js';
import { SqliteDecisionStore } from '../../src/store/index.js';
import { createHarness, TEST_BASE_URL, TEST_ISSUER, type Harness } from '../helpers/harness.js';

const TOKEN = 'fhir-bearer-token-that-must-never-be-kept-7f3a';
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';

/**
 * The privacy officer's rule (issue 5): the logs, the audit table and the cards table hold no
 * access token, no patient id and no birth date, after real traffic through every service.
 */
describe('privacy of logs and the decision store', () => {
  let sandbox: Awaited<ReturnType<typeof startSandboxFhirServer>>;
  let models: ModelRuntime;
  let store: SqliteDecisionStore;
  let h: Harness;
  const patients = ['cvd-high-risk-male', 'cvd-missing-lipids', 'cvd-diabetic', 'pgx-cyp2c19-poor', 'pgx-warfarin', 'pgx-no-results'];
  const birthDates: string[] = [];

  beforeAll(async () => {
    sandbox = await startSandboxFhirServer({ port: 0, fixturesDir: resolve(process.cwd(), 'fhir-fixtures') });
    models = await ModelRuntime.load(MODELS_DIR);
    store = SqliteDecisionStore.openSync({ path: join(mkdtempSync(join(tmpdir(), 'privacy-')), 'store.sqlite') });
    h = await createHarness({
      services: [
        cardiovascularRiskService({ models, cardsDir: CARDS_DIR, publicBaseUrl: TEST_BASE_URL }),
        pharmacogenomicsService({ models, cardsDir: CARDS_DIR, options: { showStandard: true, preTestingOverrides: {} } }),
      ],
      env: { ALLOW_HTTP_FHIR: 'true', PSEUDONYM_SECRET: 'privacy-test-secret-0123456789' },
      store,
      clients: (key) => [{ iss: TEST_ISSUER, jwks: { keys: [key.publicJwk] }, fhir_servers: [sandbox.baseUrl] }],
    });
    for (const p of patients) birthDates.push(((await (await fetch(`${sandbox.baseUrl}/Patient/${p}`)).json()) as { birthDate: string }).birthDate);
    const fhir = { fhirServer: sandbox.baseUrl, fhirAuthorization: { access_token: TOKEN, token_type: 'Bearer', expires_in: 300, scope: 'user/*.read', subject: 'precision-cds' } };
    for (const patientId of patients) {
      const cvd = await request(h.app)
        .post('/cds-services/cardiovascular-risk')
        .set('Authorization', `Bearer ${await h.token('/cds-services/cardiovascular-risk')}`)
        .send({ hook: 'patient-view', hookInstance: crypto.randomUUID(), context: { userId: 'Practitioner/dr-privacy', patientId }, ...fhir });
      expect(cvd.status).toBe(200);
      const draft = { resourceType: 'MedicationRequest', id: 'd1', status: 'draft', intent: 'order', subject: { reference: `Patient/${patientId}` }, medicationCodeableConcept: { coding: [{ system: RXNORM, code: patientId === 'pgx-warfarin' ? '11289' : '32968' }] } };
      const pgx = await request(h.app)
        .post('/cds-services/pharmacogenomics')
        .set('Authorization', `Bearer ${await h.token('/cds-services/pharmacogenomics')}`)
        .send({ hook: 'order-sign', hookInstance: crypto.randomUUID(), context: { userId: 'Practitioner/dr-privacy', patientId, draftOrders: { resourceType: 'Bundle', entry: [{ resource: draft }] } }, ...fhir });
      expect(pgx.status).toBe(200);
      for (const card of [...cvd.body.cards, ...pgx.body.cards] as { uuid: string }[]) {
        await request(h.app)
          .post('/cds-services/cardiovascular-risk/feedback')
          .set('Authorization', `Bearer ${await h.token('/cds-services/cardiovascular-risk/feedback')}`)
          .send({ feedback: [{ card: card.uuid, outcome: 'overridden', overrideReason: { userComment: `patient ${patientId} declined` }, outcomeTimestamp: new Date().toISOString() }] });
      }
    }
    // A failing request is audited too.
    await request(h.app).post('/cds-services/cardiovascular-risk').set('Authorization', `Bearer ${await h.token('/cds-services/cardiovascular-risk')}`).send({ hook: 'patient-view', hookInstance: crypto.randomUUID(), context: { userId: 'Practitioner/dr-privacy', patientId: 'cvd-high-risk-male' }, fhirServer: 'http://127.0.0.1:9/fhir', fhirAuthorization: fhir.fhirAuthorization });
  }, 120_000);

  afterAll(async () => {
    await sandbox.close();
    await models.close();
    await store.close();
  });

  const stored = (): string => {
    const db = (store as unknown as { db: { prepare(sql: string): { all(): unknown[] } } }).db;
    return ['issued_cards', 'feedback', 'audit'].map((t) => JSON.stringify(db.prepare(`SELECT * FROM ${t}`).all())).join('\n');
  };

  it('every invocation was audited, with pseudonymous ids only', async () => {
    const db = (store as unknown as { db: { prepare(sql: string): { all(): Record<string, unknown>[] } } }).db;
    const audit = db.prepare('SELECT * FROM audit').all();
    expect(audit.length).toBe(patients.length * 2 + 1);
    expect(new Set(audit.map((a) => a['patient_token'])).size).toBe(patients.length);
    expect(audit.filter((a) => Number(a['status']) >= 400).map((a) => a['status'])).toEqual([400]); // the refused fhirServer
  });

  it('no access token in the logs or the store', () => {
    expect(h.logs.text).not.toContain(TOKEN);
    expect(stored()).not.toContain(TOKEN);
  });

  it('no patient id in the logs or the store', () => {
    for (const p of patients) {
      expect({ p, inLogs: h.logs.text.includes(p) }).toEqual({ p, inLogs: false });
      expect({ p, inStore: stored().includes(p) }).toEqual({ p, inStore: false });
    }
  });

  it('no birth date in the logs or the store', () => {
    for (const b of birthDates) {
      expect({ b, inLogs: h.logs.text.includes(b) }).toEqual({ b, inLogs: false });
      expect({ b, inStore: stored().includes(b) }).toEqual({ b, inStore: false });
    }
  });

  it('the SQLite file itself holds none of them either', () => {
    const path = (store as unknown as { path: string }).path;
    const raw = [path, `${path}-wal`].filter((f) => existsSync(f)).map((f) => readFileSync(f, 'latin1')).join('');
    expect(raw.length).toBeGreaterThan(0);
    for (const secret of [TOKEN, ...patients, ...birthDates]) expect({ secret, found: raw.includes(secret) }).toEqual({ secret, found: false });
  });
});
