import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import request from 'supertest';
import { CARDS_DIR, MODELS_DIR } from '../../src/app.js';
import { ModelRuntime } from '../../src/models/runtime.js';
import { startSandboxFhirServer, type SandboxFhirServer } from '../../src/sandbox/fhir-server.js';
import { buildRegistry } from '../../src/services/index.js';
import { PGX_PREFETCH } from '../../src/services/pgx/index.js';
import { ehrPrefetch } from '../helpers/ehr.js';
import { createHarness, type Harness } from '../helpers/harness.js';

const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';

/** The services this deployment ships, as a client keyed by discovery id sees them (item 5 of the reference-client issue). */
describe('discovery of the shipped services', () => {
  let models: ModelRuntime;
  let sandbox: SandboxFhirServer;
  let h: Harness;
  let fixtures: string | undefined;

  beforeAll(async () => {
    models = await ModelRuntime.load(MODELS_DIR);
    // Only the one fixture patient used here: the CGM fixtures are tens of MB.
    fixtures = mkdtempSync(join(tmpdir(), 'discovery-fixtures-'));
    copyFileSync(resolve(process.cwd(), 'fhir-fixtures/12-pgx-cyp2c19-poor.json'), join(fixtures, 'patient.json'));
    sandbox = await startSandboxFhirServer({ port: 0, fixturesDir: fixtures });
    const registry = buildRegistry({ models, cardsDir: CARDS_DIR, publicBaseUrl: 'https://cds.test.example' });
    h = await createHarness({ services: registry.list() });
  }, 60_000);

  afterAll(async () => {
    await sandbox?.close();
    await models?.close();
    if (fixtures) rmSync(fixtures, { recursive: true, force: true });
  });

  const discover = async (): Promise<{ id: string; hook: string; version?: string }[]> =>
    (await request(h.app).get('/cds-services').set('Authorization', `Bearer ${await h.token('/cds-services')}`)).body.services;

  it('lists every entry under its own id: pharmacogenomics once per hook, the one-hook services under their ids', async () => {
    const services = await discover();
    expect(services.map((s) => `${s.id}:${s.hook}`).sort()).toEqual([
      'cardiovascular-risk:patient-view',
      'glucose-monitoring:patient-view',
      'pharmacogenomics-order-select:order-select',
      'pharmacogenomics-order-sign:order-sign',
    ]);
    expect(new Set(services.map((s) => s.id)).size).toBe(services.length);
    expect(services.every((s) => typeof s.version === 'string' && s.version.length > 0)).toBe(true);
  });

  it('Rx View: order-select with selections at pharmacogenomics-order-select gets the CPIC card', async () => {
    const patientId = 'pgx-cyp2c19-poor';
    const draft = {
      resourceType: 'MedicationRequest',
      id: 'rx-view-1',
      status: 'draft',
      intent: 'order',
      subject: { reference: `Patient/${patientId}` },
      medicationCodeableConcept: { coding: [{ system: RXNORM, code: '32968', display: 'clopidogrel' }], text: 'clopidogrel' },
    };
    const res = await request(h.app)
      .post('/cds-services/pharmacogenomics-order-select')
      .set('Authorization', `Bearer ${await h.token('/cds-services/pharmacogenomics-order-select')}`)
      .send({
        hook: 'order-select',
        hookInstance: randomUUID(),
        context: { userId: 'Practitioner/dr-1', patientId, selections: ['MedicationRequest/rx-view-1'], draftOrders: { resourceType: 'Bundle', type: 'collection', entry: [{ resource: draft }] } },
        prefetch: await ehrPrefetch(sandbox.baseUrl, PGX_PREFETCH, patientId),
      });
    expect(res.status).toBe(200);
    expect((res.body.cards as { indicator: string; summary: string }[]).find((c) => /clopidogrel/i.test(c.summary))?.indicator).toBe('critical');
  });
});
