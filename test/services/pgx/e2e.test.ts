import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { resolve } from 'node:path';
import request from 'supertest';
import type { Bundle, FhirResource } from 'fhir/r4.js';
import { CARDS_DIR, MODELS_DIR } from '../../../src/app.js';
import { renderTemplate } from '../../../src/cds/prefetch.js';
import { ModelRuntime } from '../../../src/models/runtime.js';
import { iwpc } from '../../../src/models/reference/iwpc.js';
import { startSandboxFhirServer } from '../../../src/sandbox/fhir-server.js';
import { pharmacogenomicsService, PGX_PREFETCH } from '../../../src/services/pgx/index.js';
import { ehrPrefetch } from '../../helpers/ehr.js';
import { openapiSchema } from '../../helpers/openapi-schema.js';
import { createHarness, TEST_ISSUER, type Harness } from '../../helpers/harness.js';

const KEY = 'org.precision-cds.pharmacogenomics';
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';

type CardOut = {
  uuid: string;
  summary: string;
  indicator: string;
  detail: string;
  suggestions?: { label: string; uuid: string; actions: { type: string; resourceId?: string; resource?: Record<string, any> }[] }[];
  extension?: Record<string, Record<string, any>>;
};

/** A draft MedicationRequest for one ingredient, with a structured dose so dose changes can be suggested. */
function draft(patientId: string, rxnorm: string, name: string, doseMg = 100, id = 'draft-1') {
  return {
    resourceType: 'MedicationRequest',
    id,
    status: 'draft',
    intent: 'order',
    subject: { reference: `Patient/${patientId}` },
    medicationCodeableConcept: { coding: [{ system: RXNORM, code: rxnorm, display: name }], text: name },
    dosageInstruction: [{ text: `${doseMg} mg once daily`, timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd' } }, doseAndRate: [{ doseQuantity: { value: doseMg, unit: 'mg', system: 'http://unitsofmeasure.org', code: 'mg' } }] }],
  };
}

describe('pharmacogenomics on fixture patients', () => {
  let sandbox: Awaited<ReturnType<typeof startSandboxFhirServer>>;
  let models: ModelRuntime;
  let h: Harness;
  let hNormal: Harness;

  beforeAll(async () => {
    sandbox = await startSandboxFhirServer({ port: 0, fixturesDir: resolve(process.cwd(), 'fhir-fixtures') });
    models = await ModelRuntime.load(MODELS_DIR);
    const make = (showStandard: boolean) =>
      createHarness({
        services: [pharmacogenomicsService({ models, cardsDir: CARDS_DIR, options: { showStandard, preTestingOverrides: {} } })],
        env: { ALLOW_HTTP_FHIR: 'true' },
        clients: (key) => [{ iss: TEST_ISSUER, jwks: { keys: [key.publicJwk] }, fhir_servers: [sandbox.baseUrl] }],
      });
    h = await make(false);
    hNormal = await make(true);
  }, 60_000);

  afterAll(async () => {
    await sandbox.close();
    await models.close();
  });

  const prefetchFor = (patientId: string): Promise<Record<string, FhirResource | null>> => ehrPrefetch(sandbox.baseUrl, PGX_PREFETCH, patientId);

  async function sign(patientId: string, drafts: Record<string, unknown>[], mode: 'prefetch' | 'fhir', harness = h, hook: 'order-sign' | 'order-select' = 'order-sign', selections?: string[]) {
    const context = {
      userId: 'Practitioner/dr-1',
      patientId,
      draftOrders: { resourceType: 'Bundle', type: 'collection', entry: drafts.map((resource) => ({ resource })) },
      ...(hook === 'order-select' ? { selections: selections ?? drafts.map((d) => `MedicationRequest/${String(d['id'])}`) } : {}),
    };
    const body =
      mode === 'prefetch'
        ? { hook, hookInstance: crypto.randomUUID(), context, prefetch: await prefetchFor(patientId) }
        : {
            hook,
            hookInstance: crypto.randomUUID(),
            context,
            fhirServer: sandbox.baseUrl,
            fhirAuthorization: { access_token: 'sandbox-token', token_type: 'Bearer', expires_in: 300, scope: 'user/*.read', subject: 'precision-cds' },
          };
    const res = await request(harness.app).post('/cds-services/pharmacogenomics').set('Authorization', `Bearer ${await harness.token('/cds-services/pharmacogenomics')}`).send(body);
    if (res.status !== 200) throw new Error(`status ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body.cards as CardOut[];
  }

  // [drug, RxNorm ingredient, fixture patient, expected top indicator ('none' = no card)]
  const pairs: [string, string, string, 'critical' | 'warning' | 'info' | 'none'][] = [
    ['clopidogrel', '32968', 'pgx-cyp2c19-poor', 'critical'],
    ['citalopram', '2556', 'pgx-cyp2c19-poor', 'warning'],
    ['escitalopram', '321988', 'pgx-cyp2c19-poor', 'warning'],
    ['voriconazole', '121243', 'pgx-cyp2c19-poor', 'warning'],
    ['codeine', '2670', 'pgx-cyp2d6-ultrarapid', 'critical'],
    ['tramadol', '10689', 'pgx-cyp2d6-ultrarapid', 'critical'],
    ['simvastatin', '36567', 'pgx-multi', 'warning'],
    ['atorvastatin', '83367', 'pgx-multi', 'warning'],
    ['rosuvastatin', '301542', 'pgx-multi', 'warning'],
    ['pravastatin', '42463', 'pgx-multi', 'warning'],
    ['pitavastatin', '861634', 'pgx-multi', 'warning'],
    ['lovastatin', '6472', 'pgx-multi', 'warning'],
    ['fluvastatin', '41127', 'pgx-multi', 'warning'],
    ['azathioprine', '1256', 'pgx-multi', 'warning'],
    ['mercaptopurine', '103', 'pgx-multi', 'warning'],
    ['thioguanine', '10485', 'pgx-multi', 'warning'],
    ['fluorouracil', '4492', 'pgx-multi', 'warning'],
    ['capecitabine', '194000', 'pgx-multi', 'warning'],
    ['abacavir', '190521', 'pgx-hla-b5701-positive', 'critical'],
    ['carbamazepine', '2002', 'pgx-hla-b1502-b5801', 'critical'],
    ['oxcarbazepine', '32624', 'pgx-hla-b1502-b5801', 'critical'],
    ['allopurinol', '519', 'pgx-hla-b1502-b5801', 'critical'],
    ['phenytoin', '8183', 'pgx-hla-b1502-b5801', 'critical'],
    ['atazanavir', '343047', 'pgx-multi', 'warning'],
  ];

  describe.each(['prefetch', 'fhir'] as const)('with %s', (mode) => {
    it.each(pairs)('%s (RxNorm %s) for %s -> %s card', async (name, rxnorm, patient, expected) => {
      const cards = await sign(patient, [draft(patient, rxnorm, name)], mode);
      const top = cards.find((c) => c.extension?.[KEY]?.['recommendationId']);
      expect(top?.indicator ?? 'none').toBe(expected);
      expect(top?.summary.toLowerCase()).toContain(name);
      expect(top?.extension?.[KEY]?.['genes'].length).toBeGreaterThan(0);
    });

    it('tacrolimus for a CYP3A5 poor metabolizer (non-expresser): standard dosing, so no card unless normal results are shown', async () => {
      expect(await sign('pgx-multi', [draft('pgx-multi', '42316', 'tacrolimus')], mode)).toEqual([]);
      const shown = await sign('pgx-multi', [draft('pgx-multi', '42316', 'tacrolimus')], mode, hNormal);
      expect(shown[0]?.indicator).toBe('info');
    });

    it('warfarin: the card gives the IWPC dose from the ONNX model and suggests it for the draft', async () => {
      const cards = await sign('pgx-warfarin', [draft('pgx-warfarin', '11289', 'warfarin', 5)], mode);
      const w = cards[0]!.extension![KEY]!['warfarin'];
      // pgx-warfarin: 67 y, 178 cm, 82 kg, VKORC1 A/G, CYP2C9 *1/*3, White, amiodarone (fixtures README)
      const zero = { vkorc1Aa: 0, vkorc1Unknown: 0, cyp2c9_12: 0, cyp2c9_22: 0, cyp2c9_23: 0, cyp2c9_33: 0, cyp2c9Unknown: 0, raceAsian: 0, raceBlack: 0, raceMissingOrMixed: 0, enzymeInducer: 0 };
      const ref = iwpc({ ...zero, ageDecades: 6, heightCm: 178, weightKg: 82, vkorc1Ag: 1, cyp2c9_13: 1, amiodarone: 1 }).weeklyDoseMg;
      expect(w.predictedWeeklyDoseMg).toBeCloseTo(ref, 2);
      expect(w.amiodarone).toBe(true);
      const update = cards[0]!.suggestions![0]!.actions[0]!;
      expect(update.type).toBe('update');
      expect(update.resource!['id']).toBe('draft-1');
      expect(update.resource!['dosageInstruction'][0].doseAndRate[0].doseQuantity.value).toBe(Math.round((ref / 7) * 2) / 2);
    });

    it('no PGx result on file for a drug that is tested first -> a test-order card', async () => {
      const cards = await sign('pgx-no-results', [draft('pgx-no-results', '190521', 'abacavir')], mode);
      expect(cards).toHaveLength(1);
      const sr = cards[0]!.suggestions![0]!.actions[0]!.resource!;
      expect(sr['resourceType']).toBe('ServiceRequest');
      expect(sr['code'].coding[0].code).toBe('HLA-B*57:01');
    });

    it('a reported phenotype that disagrees with the genotype -> says so, gives no advice', async () => {
      const cards = await sign('pgx-conflicting', [draft('pgx-conflicting', '32968', 'clopidogrel')], mode);
      expect(cards).toHaveLength(1);
      expect(cards[0]!.summary).toMatch(/disagree/);
      expect(cards[0]!.suggestions).toBeUndefined();
    });

    it('a drug with no PGx relevance gives no card', async () => {
      expect(await sign('pgx-cyp2c19-poor', [draft('pgx-cyp2c19-poor', '1191', 'aspirin')], mode)).toEqual([]);
    });
  });

  it('safety: no suggestion on a critical card keeps the contraindicated drug', async () => {
    for (const [name, rxnorm, patient, expected] of pairs.filter((p) => p[3] === 'critical')) {
      const cards = await sign(patient, [draft(patient, rxnorm, name)], 'prefetch');
      for (const card of cards.filter((c) => c.indicator === 'critical')) {
        expect({ name, suggestions: card.suggestions?.length ?? 0 }).toEqual({ name, suggestions: expect.any(Number) });
        for (const s of card.suggestions ?? []) {
          expect(s.actions.some((a) => a.type === 'delete' && a.resourceId === 'MedicationRequest/draft-1')).toBe(true);
          for (const a of s.actions) {
            const codes = (a.resource?.['medicationCodeableConcept']?.coding ?? []).map((c: { code: string }) => c.code);
            expect({ name, expected, keeps: codes.includes(rxnorm) || (a.type === 'update') }).toEqual({ name, expected, keeps: false });
          }
        }
      }
    }
  });

  it('order-select: only the selected drafts are checked', async () => {
    const a = draft('pgx-cyp2c19-poor', '32968', 'clopidogrel', 75, 'sel-1');
    const b = draft('pgx-cyp2c19-poor', '2556', 'citalopram', 20, 'sel-2');
    const cards = await sign('pgx-cyp2c19-poor', [a, b], 'prefetch', h, 'order-select', ['MedicationRequest/sel-2']);
    expect(cards.map((c) => c.extension?.[KEY]?.['drug'].name)).toEqual(['citalopram']);
  });

  it('card and suggestion uuids are stable for the same input', async () => {
    const body = [draft('pgx-cyp2c19-poor', '32968', 'clopidogrel')];
    const hookInstance = 'd1577c69-dfbe-44ad-ba6d-3e05e953b2ea';
    const prefetch = await prefetchFor('pgx-cyp2c19-poor');
    const call = async () =>
      (
        await request(h.app)
          .post('/cds-services/pharmacogenomics')
          .set('Authorization', `Bearer ${await h.token('/cds-services/pharmacogenomics')}`)
          .send({ hook: 'order-sign', hookInstance, context: { userId: 'Practitioner/dr-1', patientId: 'pgx-cyp2c19-poor', draftOrders: { resourceType: 'Bundle', entry: body.map((resource) => ({ resource })) } }, prefetch })
      ).body.cards as CardOut[];
    const [x, y] = [await call(), await call()];
    expect(y.map((c) => c.uuid)).toEqual(x.map((c) => c.uuid));
    expect(y.flatMap((c) => c.suggestions?.map((s) => s.uuid) ?? [])).toEqual(x.flatMap((c) => c.suggestions?.map((s) => s.uuid) ?? []));
  });

  describe('genomic results received incomplete: the same rule as every service (issue 3)', () => {
    const patientId = 'pgx-cyp2c19-poor';
    const drafts = [draft(patientId, '32968', 'clopidogrel')];
    const context = { userId: 'Practitioner/dr-1', patientId, draftOrders: { resourceType: 'Bundle', type: 'collection', entry: drafts.map((resource) => ({ resource })) } };
    const post = async (body: Record<string, unknown>) =>
      request(h.app).post('/cds-services/pharmacogenomics').set('Authorization', `Bearer ${await h.token('/cds-services/pharmacogenomics')}`).send({ hook: 'order-sign', hookInstance: crypto.randomUUID(), context, ...body });
    /** The first page of the genomics search at a client's own page size of 1: 1 of 2 results and a next link. */
    async function firstPageOfGenomics(): Promise<Bundle> {
      const r = renderTemplate(PGX_PREFETCH.genomics.replace('_count=200', '_count=1'), { patientId });
      if (!r.ok) throw new Error(r.reason);
      return (await (await fetch(`${sandbox.baseUrl}/${r.url}`)).json()) as Bundle;
    }
    const incompleteExt = (res: request.Response) => res.body.cards[0].extension['org.precision-cds.data-incomplete'] as { keys: { key: string; cause: string; received: number; total?: number }[] };

    it('a first page of genomics and no FHIR access -> the data-incomplete card, no CPIC advice and no test-order card', async () => {
      const res = await post({ prefetch: { ...(await prefetchFor(patientId)), genomics: await firstPageOfGenomics() } });
      expect(res.status).toBe(200);
      expect(res.body.cards).toHaveLength(1);
      expect(res.body.cards[0].indicator).toBe('info');
      expect(res.body.cards[0].extension[KEY]).toBeUndefined();
      expect(res.body.cards[0].suggestions).toBeUndefined();
      expect(incompleteExt(res).keys).toEqual([expect.objectContaining({ key: 'genomics', cause: 'no-fhir-access', received: 1, total: 2 })]);
    });

    it('genomics with a total above its entries and no next link, no FHIR access -> the same card', async () => {
      const full = await prefetchFor(patientId);
      const genomics = full['genomics'] as Bundle;
      const res = await post({ prefetch: { ...full, genomics: { resourceType: 'Bundle', type: 'searchset', total: genomics.total!, entry: genomics.entry!.slice(1) } } });
      expect(res.status).toBe(200);
      expect(incompleteExt(res).keys).toEqual([expect.objectContaining({ key: 'genomics', received: 1, total: 2 })]);
    });

    it('a first page of genomics with FHIR access -> completed from the FHIR server: the same cards as the full prefetch', async () => {
      const full = await prefetchFor(patientId);
      const fhirAuthorization = { access_token: 'sandbox-token', token_type: 'Bearer', expires_in: 300, scope: 'user/*.read', subject: 'precision-cds' };
      const hookInstance = crypto.randomUUID();
      const a = await post({ hookInstance, prefetch: full });
      const b = await post({ hookInstance, fhirServer: sandbox.baseUrl, fhirAuthorization, prefetch: { ...full, genomics: await firstPageOfGenomics() } });
      expect([a.status, b.status]).toEqual([200, 200]);
      expect(b.body.cards).toEqual(a.body.cards);
      expect(b.body.cards.some((c: CardOut) => c.indicator === 'critical')).toBe(true);
    });
  });

  it('every card extension validates against PharmacogenomicsExtension in openapi/openapi.json', async () => {
    const validate = openapiSchema('PharmacogenomicsExtension');
    const cases: [string, string, string][] = [['pgx-cyp2c19-poor', '32968', 'clopidogrel'], ['pgx-warfarin', '11289', 'warfarin'], ['pgx-no-results', '190521', 'abacavir'], ['pgx-conflicting', '32968', 'clopidogrel'], ['pgx-multi', '4492', 'fluorouracil']];
    for (const [p, rx, name] of cases) {
      for (const card of await sign(p, [draft(p, rx, name)], 'prefetch')) {
        expect({ p, ok: validate(card.extension![KEY]), errors: validate.errors ?? null }).toEqual({ p, ok: true, errors: null });
      }
    }
  });

  it('robustness: malformed genotypes, unknown alleles and conflicting duplicates give a sensible card or none, never a 5xx', async () => {
    const obs = (id: string, text: string, gene: string, hgnc: string, date: string) => ({
      resourceType: 'Observation', id, status: 'final',
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: 'GE' }] }],
      code: { coding: [{ system: 'http://loinc.org', code: '84413-4' }] },
      subject: { reference: 'Patient/odd' }, effectiveDateTime: date,
      valueCodeableConcept: { text },
      component: [{ code: { coding: [{ system: 'http://loinc.org', code: '48018-6' }] }, valueCodeableConcept: { coding: [{ system: 'http://www.genenames.org/geneId', code: hgnc, display: gene }] } }],
    });
    const bundle = (...resources: unknown[]) => ({ resourceType: 'Bundle', type: 'searchset', entry: resources.map((resource) => ({ resource })) });
    const genomics = bundle(
      obs('a', 'CYP2C19 *2', 'CYP2C19', 'HGNC:2621', '2025-01-01'), // malformed
      obs('b', 'CYP2D6 *1/*999', 'CYP2D6', 'HGNC:2625', '2025-01-01'), // unknown allele
      obs('c', 'TPMT *1/*1', 'TPMT', 'HGNC:12014', '2025-01-01'), // conflicting duplicates
      obs('d', 'TPMT *3A/*3A', 'TPMT', 'HGNC:12014', '2025-02-01'),
    );
    const prefetch = { patient: { resourceType: 'Patient', id: 'odd', gender: 'female', birthDate: '1970-01-01' }, genomics, genotypes: genomics, body: null, medicationRequests: null, medicationStatements: null };
    const drafts = [draft('odd', '32968', 'clopidogrel'), draft('odd', '2670', 'codeine', 30, 'draft-2'), draft('odd', '1256', 'azathioprine', 50, 'draft-3')];
    const res = await request(h.app)
      .post('/cds-services/pharmacogenomics')
      .set('Authorization', `Bearer ${await h.token('/cds-services/pharmacogenomics')}`)
      .send({ hook: 'order-sign', hookInstance: crypto.randomUUID(), context: { userId: 'Practitioner/dr-1', patientId: 'odd', draftOrders: bundle(...drafts) }, prefetch });
    expect(res.status).toBe(200);
    const cards = res.body.cards as CardOut[];
    const byDrug = (n: string) => cards.filter((c) => c.extension?.[KEY]?.['drug'].name === n);
    // Was: malformed CYP2C19 -> treated as not tested (a test-order card) and unknown CYP2D6 allele -> indeterminate.
    // A result on file that cannot be read is never "not tested": one card names it, with no advice and no test order.
    const unreadable = (n: string) => byDrug(n).map((c) => ({ kind: c.extension![KEY]!['noAdviceFor'], sources: c.extension![KEY]!['unreadable'].map((u: { source: string }) => u.source), suggestions: c.suggestions }));
    expect(unreadable('clopidogrel')).toEqual([{ kind: ['CYP2C19'], sources: ['Observation/a'], suggestions: undefined }]);
    expect(unreadable('codeine')).toEqual([{ kind: ['CYP2D6'], sources: ['Observation/b'], suggestions: undefined }]);
    // conflicting TPMT results: neither is used, and no TPMT advice or test order
    expect(unreadable('azathioprine')).toEqual([{ kind: ['TPMT'], sources: ['Observation/d', 'Observation/c'], suggestions: undefined }]);
  });

  it('robustness: drafts without a code, malformed and odd orders never give a 5xx', async () => {
    const odd = [
      { resourceType: 'MedicationRequest', id: 'nocode', status: 'draft', intent: 'order', subject: { reference: 'Patient/pgx-multi' } },
      { resourceType: 'MedicationRequest', id: 'textonly', status: 'draft', intent: 'order', subject: { reference: 'Patient/pgx-multi' }, medicationCodeableConcept: { text: 'Simvastatin 40 mg tablet' } },
      { resourceType: 'MedicationRequest', id: 'weird', status: 'draft', intent: 'order', subject: { reference: 'Patient/pgx-multi' }, medicationCodeableConcept: { coding: [{ system: RXNORM, code: '???' }] } },
    ];
    const cards = await sign('pgx-multi', odd, 'prefetch');
    const simva = cards.find((c) => c.extension?.[KEY]?.['drug'].matchedBy === 'text');
    expect(simva?.detail).toMatch(/recognised from the order's text/);
  });

  describe('doses over HTTP as the HL7 reference client and Epic send them (IWPC warfarin, pgx-warfarin)', () => {
    const UCUM = 'http://unitsofmeasure.org';
    // pgx-warfarin: 67 y, 178 cm, 82 kg, VKORC1 A/G, CYP2C9 *1/*3, White, amiodarone (fixtures README)
    const zero = { vkorc1Aa: 0, vkorc1Unknown: 0, cyp2c9_12: 0, cyp2c9_22: 0, cyp2c9_23: 0, cyp2c9_33: 0, cyp2c9Unknown: 0, raceAsian: 0, raceBlack: 0, raceMissingOrMixed: 0, enzymeInducer: 0 };
    const expectedMg = Math.round((iwpc({ ...zero, ageDecades: 6, heightCm: 178, weightKg: 82, vkorc1Ag: 1, cyp2c9_13: 1, amiodarone: 1 }).weeklyDoseMg / 7) * 2) / 2;
    const dose = (value: number, code: string) => ({ doseAndRate: [{ doseQuantity: { value, system: UCUM, code } }] });
    /** The reference client's draft: id request-123, one RxNorm coding with the same text, {pill} without `unit`. */
    const refClientDraft = (rxnorm: string, text: string, doseCode = '{pill}') => ({
      resourceType: 'MedicationRequest',
      id: 'request-123',
      status: 'draft',
      intent: 'order',
      subject: { reference: 'Patient/pgx-warfarin' },
      medicationCodeableConcept: { coding: [{ system: RXNORM, code: rxnorm, display: text }], text },
      dosageInstruction: [{ timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd' } }, ...dose(1, doseCode) }],
    });
    /** Epic: the Medication contained, with its strength as a Ratio. */
    const epicDraft = () => ({
      resourceType: 'MedicationRequest',
      id: 'epic-1',
      status: 'draft',
      intent: 'order',
      subject: { reference: 'Patient/pgx-warfarin' },
      contained: [
        {
          resourceType: 'Medication',
          id: 'med1',
          code: { coding: [{ system: RXNORM, code: '855332', display: 'warfarin sodium 5 MG Oral Tablet' }], text: 'warfarin 5 mg tablet' },
          ingredient: [{ itemCodeableConcept: { coding: [{ system: RXNORM, code: '11289', display: 'warfarin' }] }, strength: { numerator: { value: 5, system: UCUM, code: 'mg' }, denominator: { value: 1, system: UCUM, code: '{tablet}' } } }],
        },
      ],
      medicationReference: { reference: '#med1' },
      dosageInstruction: [{ timing: { repeat: { frequency: 2, period: 1, periodUnit: 'd' } }, ...dose(1, '{tablet}') }],
    });
    const warfarinCardOf = (cards: CardOut[]) => cards.find((c) => c.extension?.[KEY]?.['warfarin'])!;
    const theUpdate = (card: CardOut) => {
      const s = card.suggestions![0]!;
      const a = s.actions[0]!;
      return { label: s.label, type: a.type, resource: a.resource!, q: a.resource!['dosageInstruction'][0].doseAndRate[0].doseQuantity, text: a.resource!['dosageInstruction'][0].text as string };
    };
    const labelMg = (label: string) => Number(/(\d+(?:\.\d+)?) mg/.exec(label)![1]);

    it.each(['order-select', 'order-sign'] as const)('%s: 1 {pill} of 855332 (5 mg tablet) -> an update in UCUM mg equal to the label and to the IWPC equation', async (hook) => {
      const cards = await sign('pgx-warfarin', [refClientDraft('855332', 'Warfarin Sodium 5 MG Oral Tablet')], 'prefetch', h, hook);
      const u = theUpdate(warfarinCardOf(cards));
      expect(u.type).toBe('update');
      expect({ code: u.q.code, system: u.q.system, unit: u.q.unit }).toEqual({ code: 'mg', system: UCUM, unit: 'mg' });
      expect(u.q.value).toBe(expectedMg);
      expect(labelMg(u.label)).toBe(u.q.value);
      expect(u.text.startsWith(`${u.q.value} mg once daily (`)).toBe(true);
      expect(u.resource['medicationCodeableConcept'].coding[0].code).toBe('855332');
      expect(warfarinCardOf(cards).extension![KEY]!['dose']).toMatchObject({ suggestion: 'made', current: { stated: '1 {pill}', mgPerDose: 5 } });
    });

    it.each(['prefetch', 'fhir'] as const)("Epic's contained Medication (5 mg / 1 {tablet}), dose 1 {tablet} twice daily, with %s -> mg, once daily", async (mode) => {
      const cards = await sign('pgx-warfarin', [epicDraft()], mode);
      const u = theUpdate(warfarinCardOf(cards));
      expect([u.q.code, u.q.value, labelMg(u.label)]).toEqual(['mg', expectedMg, expectedMg]);
      expect(u.resource['dosageInstruction'][0].timing).toEqual({ repeat: { frequency: 1, period: 1, periodUnit: 'd' } });
      expect(u.resource['medicationReference']).toEqual({ reference: '#med1' });
      expect(warfarinCardOf(cards).extension![KEY]!['dose'].current).toEqual({ stated: '1 {tablet}', mgPerDose: 5, mgPerDay: 10 });
    });

    it('a branded code the service cannot vouch for (855334 [Coumadin]) in {pill}: no dose suggestion, and the card says the strength is unknown', async () => {
      const cards = await sign('pgx-warfarin', [refClientDraft('855334', 'Warfarin Sodium 5 MG Oral Tablet [Coumadin]')], 'prefetch');
      const card = warfarinCardOf(cards);
      expect(card.suggestions).toBeUndefined();
      expect(card.extension![KEY]!['dose'].reasons.map((r: { code: string }) => r.code)).toEqual(['strength-unknown']);
      expect(card.detail).toContain('No dose change is suggested');
    });

    it('an unknown unit ({puff}) -> no dose suggestion; the card, valid against the schema, says why', async () => {
      const cards = await sign('pgx-warfarin', [refClientDraft('855332', 'Warfarin Sodium 5 MG Oral Tablet', '{puff}')], 'prefetch');
      const card = warfarinCardOf(cards);
      expect(card.suggestions).toBeUndefined();
      expect(card.detail).toContain("'{puff}'");
      const validate = openapiSchema('PharmacogenomicsExtension');
      expect(validate(card.extension![KEY])).toBe(true);
      expect(card.extension![KEY]!['dose'].reasons.map((r: { code: string }) => r.code)).toEqual(['unknown-unit']);
    });

    it('the dose note validates against PharmacogenomicsExtension when a dose is suggested too', async () => {
      const validate = openapiSchema('PharmacogenomicsExtension');
      const cards = await sign('pgx-warfarin', [epicDraft()], 'prefetch');
      expect({ ok: validate(warfarinCardOf(cards).extension![KEY]), errors: validate.errors ?? null }).toEqual({ ok: true, errors: null });
    });
  });
});
