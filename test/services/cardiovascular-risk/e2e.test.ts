import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import request from 'supertest';
import type { Bundle, FhirResource } from 'fhir/r4.js';
import { CARDS_DIR, MODELS_DIR } from '../../../src/app.js';
import { renderTemplate } from '../../../src/cds/prefetch.js';
import { ModelRuntime } from '../../../src/models/runtime.js';
import { pce as pceReference } from '../../../src/models/reference/pce.js';
import { startSandboxFhirServer } from '../../../src/sandbox/fhir-server.js';
import { cardiovascularRiskService, CVD_PREFETCH } from '../../../src/services/cardiovascular-risk/index.js';
import { ehrPrefetch } from '../../helpers/ehr.js';
import { openapiSchema } from '../../helpers/openapi-schema.js';
import { createHarness, patientViewRequest, TEST_BASE_URL, TEST_ISSUER, type Harness } from '../../helpers/harness.js';

type Ext = {
  outcome: { kind: string; intensity?: string; reason?: string };
  pce: { risk?: number; modelId?: string; equations?: string; category?: string; notCalculated?: string[] };
  prevent: Record<string, { risk?: number; notCalculated?: string[] }>;
  inputs: Record<string, { value: number | boolean | string; unit: string } | boolean | unknown>;
};
const KEY = 'org.precision-cds.cardiovascular-risk';

/** End to end over HTTP: CDS service + sandbox FHIR server loaded with the fixture patients + real ONNX models. */
describe('cardiovascular-risk on fixture patients', () => {
  let sandbox: Awaited<ReturnType<typeof startSandboxFhirServer>>;
  let models: ModelRuntime;
  let h: Harness;

  beforeAll(async () => {
    sandbox = await startSandboxFhirServer({ port: 0, fixturesDir: resolve(process.cwd(), 'fhir-fixtures') });
    models = await ModelRuntime.load(MODELS_DIR);
    h = await createHarness({
      services: [cardiovascularRiskService({ models, cardsDir: CARDS_DIR, publicBaseUrl: TEST_BASE_URL })],
      env: { ALLOW_HTTP_FHIR: 'true' },
      models,
      clients: (key) => [{ iss: TEST_ISSUER, jwks: { keys: [key.publicJwk] }, fhir_servers: [sandbox.baseUrl] }],
    });
  }, 60_000);

  afterAll(async () => {
    await sandbox.close();
    await models.close();
  });

  const prefetchFor = (patientId: string): Promise<Record<string, FhirResource | null>> => ehrPrefetch(sandbox.baseUrl, CVD_PREFETCH, patientId);

  async function invoke(patientId: string, mode: 'prefetch' | 'fhir') {
    const body =
      mode === 'prefetch'
        ? patientViewRequest({ context: { userId: 'Practitioner/dr-1', patientId }, prefetch: await prefetchFor(patientId) })
        : patientViewRequest({
            context: { userId: 'Practitioner/dr-1', patientId },
            fhirServer: sandbox.baseUrl,
            fhirAuthorization: { access_token: 'sandbox-token', token_type: 'Bearer', expires_in: 300, scope: 'user/*.read', subject: 'precision-cds' },
          });
    const res = await request(h.app).post('/cds-services/cardiovascular-risk').set('Authorization', `Bearer ${await h.token('/cds-services/cardiovascular-risk')}`).send(body);
    if (res.status !== 200) throw new Error(`status ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body as { cards: { summary: string; indicator: string; detail: string; suggestions?: { label: string; actions: { type: string; resource: Record<string, any> }[] }[]; extension: Record<string, Ext>; links?: { url: string }[] }[] };
  }

  const ext = (body: Awaited<ReturnType<typeof invoke>>): Ext => body.cards[0]!.extension[KEY]!;
  const value = (e: Ext, name: string): number => (e.inputs[name] as { value: number }).value;
  const statinOrders = (body: Awaited<ReturnType<typeof invoke>>) =>
    body.cards.flatMap((c) => c.suggestions ?? []).flatMap((s) => s.actions).filter((a) => a.resource['resourceType'] === 'MedicationRequest');

  describe.each(['prefetch', 'fhir'] as const)('with %s', (mode) => {
    it('high risk, no statin -> warning card with a statin order suggestion', async () => {
      const body = await invoke('cvd-high-risk-male', mode);
      const e = ext(body);
      expect(body.cards[0]!.indicator).toBe('warning');
      expect(e.outcome.kind).toBe('statin-advised');
      expect(e.pce.category).toBe('high');
      const orders = statinOrders(body);
      expect(orders.length).toBeGreaterThan(0);
      expect(orders.every((o) => o.type === 'create' && o.resource['status'] === 'draft')).toBe(true);
      expect(orders.map((o) => o.resource['dosageInstruction'][0].doseAndRate[0].doseQuantity.value)).toContain(20); // moderate-intensity option
    });

    it('the PCE number equals the published equation on the inputs the card lists', async () => {
      const e = ext(await invoke('cvd-high-risk-male', mode));
      const expected = pceReference('white', 'male', {
        age: value(e, 'age'),
        totalCholesterol: value(e, 'totalCholesterol'),
        hdlCholesterol: value(e, 'hdlCholesterol'),
        systolicBp: value(e, 'systolicBp'),
        bpTreated: e.inputs['bpTreated'] === true,
        currentSmoker: (e.inputs['currentSmoker'] as { value: boolean }).value,
        diabetes: e.inputs['diabetes'] === true,
      }).risk;
      expect(e.pce.risk).toBeCloseTo(expected, 4);
    });

    it('on a statin (MedicationRequest) -> no statin suggestion', async () => {
      const body = await invoke('cvd-on-statin', mode);
      expect(ext(body).outcome.kind).toBe('on-statin');
      expect(statinOrders(body)).toHaveLength(0);
    });

    it('on a statin (MedicationStatement) -> no statin suggestion', async () => {
      const body = await invoke('cvd-statin-statement', mode);
      expect(statinOrders(body)).toHaveLength(0);
    });

    it('missing lipids -> one info card naming them, a lipid panel order, no number', async () => {
      const body = await invoke('cvd-missing-lipids', mode);
      expect(body.cards).toHaveLength(1);
      const card = body.cards[0]!;
      expect(card.indicator).toBe('info');
      expect(card.summary).toMatch(/cholesterol/i);
      expect(ext(body).pce.risk).toBeUndefined();
      const lab = card.suggestions!.flatMap((s) => s.actions).find((a) => a.resource['resourceType'] === 'ServiceRequest');
      expect(lab?.resource['code'].coding[0].code).toBe('57698-3');
    });

    it('age 35 -> no PCE number (valid from 40), the card says why, PREVENT given', async () => {
      const body = await invoke('cvd-too-young', mode);
      const e = ext(body);
      expect(e.pce.risk).toBeUndefined();
      expect(e.pce.notCalculated?.join(' ')).toMatch(/age/);
      expect(e.prevent['cvd']?.risk).toBeGreaterThan(0);
      expect(statinOrders(body)).toHaveLength(0);
    });

    it('clinical ASCVD on file -> no primary-prevention score, and says why', async () => {
      const body = await invoke('cvd-secondary-prevention', mode);
      const e = ext(body);
      expect(e.outcome.kind).toBe('secondary-prevention');
      expect(e.pce.risk).toBeUndefined();
      expect(body.cards[0]!.summary).toMatch(/ASCVD/);
    });

    it('Black or African American -> the African American PCE equations, and the card says so', async () => {
      const body = await invoke('cvd-black-female', mode);
      expect(ext(body).pce.equations).toBe('african-american');
      expect(body.cards[0]!.detail).toMatch(/African American equations/);
    });

    it('diabetes -> statin advised regardless of the score', async () => {
      const body = await invoke('cvd-diabetic', mode);
      const e = ext(body);
      expect(e.outcome).toMatchObject({ kind: 'statin-advised-regardless', reason: 'diabetes' });
      expect(body.cards[0]!.detail).toMatch(/regardless/);
    });
  });

  it('the same patient gives the same cards with full prefetch and with none (FHIR fallback)', async () => {
    for (const id of ['cvd-high-risk-male', 'cvd-missing-lipids', 'cvd-diabetic']) {
      const a = await invoke(id, 'prefetch');
      const b = await invoke(id, 'fhir');
      // uuids depend on hookInstance, which differs per call
      const strip = (x: typeof a) => JSON.parse(JSON.stringify(x).replace(/"uuid":"[^"]+"/g, '"uuid":"-"'));
      expect(strip(b)).toEqual(strip(a));
    }
  });

  it('lipids in mmol/L give the same risk as in mg/dL (within the rounding of the mmol/L values)', async () => {
    const mg = ext(await invoke('cvd-high-risk-male', 'prefetch'));
    const mmol = ext(await invoke('cvd-mmol', 'prefetch'));
    expect(mmol.pce.category).toBe(mg.pce.category);
    expect(Math.abs(mmol.pce.risk! - mg.pce.risk!)).toBeLessThan(0.0025);
  });

  it('every card extension validates against CardiovascularRiskExtension in openapi/openapi.json', async () => {
    const validate = openapiSchema('CardiovascularRiskExtension');
    for (const id of ['cvd-high-risk-male', 'cvd-too-young', 'cvd-missing-lipids', 'cvd-secondary-prevention', 'cvd-diabetic', 'cvd-on-statin']) {
      const body = await invoke(id, 'prefetch');
      expect({ id, ok: validate(ext(body)), errors: validate.errors ?? null }).toEqual({ id, ok: true, errors: null });
    }
  });

  describe('lipids received incomplete: the same rule as every service (issue 3)', () => {
    const patientId = 'cvd-high-risk-male';
    const fhirAuthorization = { access_token: 'sandbox-token', token_type: 'Bearer', expires_in: 300, scope: 'user/*.read', subject: 'precision-cds' };
    const post = async (body: Record<string, unknown>) =>
      request(h.app).post('/cds-services/cardiovascular-risk').set('Authorization', `Bearer ${await h.token('/cds-services/cardiovascular-risk')}`).send(body);
    /** The first page of the lipids search at a client's own page size of 2: 2 of 5 entries and a next link. */
    async function firstPageOfLipids(): Promise<Bundle> {
      const r = renderTemplate(CVD_PREFETCH.lipids.replace('_count=100', '_count=2'), { patientId });
      if (!r.ok) throw new Error(r.reason);
      return (await (await fetch(`${sandbox.baseUrl}/${r.url}`)).json()) as Bundle;
    }
    const incompleteExt = (res: request.Response) => res.body.cards[0].extension['org.precision-cds.data-incomplete'] as { keys: { key: string; cause: string; received: number; total?: number }[] };

    it('a first page of lipids and no FHIR access -> the data-incomplete card: no risk number, no statin advice', async () => {
      const prefetch = { ...(await prefetchFor(patientId)), lipids: await firstPageOfLipids() };
      const res = await post(patientViewRequest({ context: { userId: 'Practitioner/dr-1', patientId }, prefetch }));
      expect(res.status).toBe(200);
      expect(res.body.cards).toHaveLength(1);
      expect(res.body.cards[0].extension[KEY]).toBeUndefined();
      expect(res.body.cards[0].suggestions).toBeUndefined();
      expect(incompleteExt(res).keys).toEqual([expect.objectContaining({ key: 'lipids', cause: 'no-fhir-access', received: 2, total: 5 })]);
      expect(`${res.body.cards[0].summary} ${res.body.cards[0].detail}`).not.toMatch(/\d\s*%|risk \d/i);
    });

    it('lipids with a total above their entries and no next link, no FHIR access -> the same card', async () => {
      const full = await prefetchFor(patientId);
      const lipids = full['lipids'] as Bundle;
      const cut: Bundle = { resourceType: 'Bundle', type: 'searchset', total: lipids.total!, entry: lipids.entry!.slice(0, 3) };
      const res = await post(patientViewRequest({ context: { userId: 'Practitioner/dr-1', patientId }, prefetch: { ...full, lipids: cut } }));
      expect(res.status).toBe(200);
      expect(incompleteExt(res).keys).toEqual([expect.objectContaining({ key: 'lipids', cause: 'no-fhir-access', received: 3, total: 5 })]);
    });

    it('a first page of lipids with FHIR access -> completed from the FHIR server: the same cards as the full prefetch', async () => {
      const full = await prefetchFor(patientId);
      const context = { userId: 'Practitioner/dr-1', patientId };
      const a = await post(patientViewRequest({ context, prefetch: full }));
      const b = await post(patientViewRequest({ context, fhirServer: sandbox.baseUrl, fhirAuthorization, prefetch: { ...full, lipids: await firstPageOfLipids() } }));
      expect([a.status, b.status]).toEqual([200, 200]);
      const strip = (x: unknown) => JSON.parse(JSON.stringify(x).replace(/"uuid":"[^"]+"/g, '"uuid":"-"'));
      expect(strip(b.body.cards)).toEqual(strip(a.body.cards));
      expect(b.body.cards[0].extension[KEY]).toBeDefined();
    });
  });

  it('links each model card the card used, served by the service', async () => {
    const body = await invoke('cvd-high-risk-male', 'prefetch');
    const links = body.cards[0]!.links!.map((l) => l.url);
    expect(links).toContain(`${TEST_BASE_URL}/models/pce-white-male`);
    const card = await request(h.app).get('/models/pce-white-male');
    expect(card.status).toBe(200);
    expect(card.body.source.doi).toBeTruthy();
  });

  it('statin orders: label, Dosage text, dose quantity (UCUM mg) and the ordered product strength agree', async () => {
    // statins.json read here as data (the test's own reading of the product the order names by code)
    const table = (JSON.parse(readFileSync('src/services/cardiovascular-risk/data/statins.json', 'utf8')) as { clinicalDrugs: { rxcui: string; name: string; strength: { ingredient: string; value: number; unit: string; per: { value: number } }[] }[] }).clinicalDrugs;
    const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
    let checked = 0;
    for (const id of ['cvd-high-risk-male', 'cvd-diabetic']) {
      const body = await invoke(id, 'prefetch');
      for (const s of body.cards.flatMap((c) => c.suggestions ?? [])) {
        const order = s.actions.find((a) => a.resource['resourceType'] === 'MedicationRequest');
        if (!order) continue;
        const r = order.resource;
        const q = r['dosageInstruction'][0].doseAndRate[0].doseQuantity;
        expect({ unit: q.unit, system: q.system, code: q.code }).toEqual({ unit: 'mg', system: 'http://unitsofmeasure.org', code: 'mg' });
        expect(Number(/(\d+(?:\.\d+)?) mg/.exec(s.label)![1])).toBe(q.value);
        expect(r['dosageInstruction'][0].text).toBe(`${q.value} mg once daily (1 tablet of ${q.value} mg)`);
        const codings = r['medicationCodeableConcept'].coding as { system: string; code: string }[];
        const product = table.find((p) => codings.some((c) => c.system === RXNORM && c.code === p.rxcui));
        expect(product?.strength).toEqual([expect.objectContaining({ value: q.value, unit: 'mg', per: expect.objectContaining({ value: 1 }) })]);
        expect(codings.map((c) => c.code)).toContain('83367'); // the ingredient beside the clinical drug
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(2);
  });
});
