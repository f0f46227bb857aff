/**
 * Genotypes as CPIC / PharmCAT and laboratories write them, end to end over HTTP with the sandbox FHIR server:
 * the issue case (VKORC1 'rs9923231 variant (T)/rs9923231 variant (T)' was read as "not tested" and the IWPC dose
 * came out for an unknown genotype), and results on file that cannot be read, which must never count as "not
 * tested": no advice that depends on the gene, and a card that names the result.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FhirResource } from 'fhir/r4.js';
import request from 'supertest';
import { CARDS_DIR, MODELS_DIR } from '../../../src/app.js';
import { iwpc, type IwpcInputs } from '../../../src/models/reference/iwpc.js';
import { ModelRuntime } from '../../../src/models/runtime.js';
import { startSandboxFhirServer } from '../../../src/sandbox/fhir-server.js';
import { PGX_PREFETCH, pharmacogenomicsService } from '../../../src/services/pgx/index.js';
import { ehrPrefetch } from '../../helpers/ehr.js';
import { createHarness, TEST_ISSUER, type Harness } from '../../helpers/harness.js';
import { openapiSchema } from '../../helpers/openapi-schema.js';

const KEY = 'org.precision-cds.pharmacogenomics';
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const LOINC = 'http://loinc.org';
const HGNC: Record<string, string> = { CYP2C19: 'HGNC:2621', CYP2C9: 'HGNC:2623', VKORC1: 'HGNC:23663', 'HLA-B': 'HGNC:4932' };

type CardOut = {
  uuid: string;
  summary: string;
  indicator: string;
  detail: string;
  suggestions?: { label: string; actions: { type: string; resource?: Record<string, any> }[] }[];
  extension?: Record<string, Record<string, any>>;
};

const DAY = 86_400_000;
const daysAgo = (n: number): string => new Date(Date.now() - n * DAY).toISOString();
/** A birth date that makes the patient `years` old today (and not about to turn older). */
const bornYearsAgo = (years: number): string => {
  const d = new Date(Date.now() - 40 * DAY);
  return `${d.getUTCFullYear() - years}-${String(d.getUTCMonth() + 1).padStart(2, '0')}-${String(d.getUTCDate()).padStart(2, '0')}`;
};

const AGE = 67;
const HEIGHT = 178;
const WEIGHT = 82;

function patient(id: string): Record<string, unknown> {
  return {
    resourceType: 'Patient',
    id,
    gender: 'male',
    birthDate: bornYearsAgo(AGE),
    extension: [{ url: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-race', extension: [{ url: 'ombCategory', valueCoding: { system: 'urn:oid:2.16.840.1.113883.6.238', code: '2106-3' } }, { url: 'text', valueString: 'White' }] }],
  };
}

function vital(patientId: string, n: number, loinc: string, value: number, unit: string): Record<string, unknown> {
  return {
    resourceType: 'Observation',
    id: `${patientId}-obs-${n}`,
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
    code: { coding: [{ system: LOINC, code: loinc }] },
    subject: { reference: `Patient/${patientId}` },
    effectiveDateTime: daysAgo(10),
    valueQuantity: { value, unit, system: 'http://unitsofmeasure.org', code: unit },
  };
}

/** A Genomics Reporting IG genotype Observation (84413-4, gene studied 48018-6 as HGNC), valued as written. */
function genotype(patientId: string, n: number, gene: string, text: string, more: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    resourceType: 'Observation',
    id: `${patientId}-pgx-${n}`,
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: 'GE' }] }],
    code: { coding: [{ system: LOINC, code: '84413-4', display: 'Genotype display name' }] },
    subject: { reference: `Patient/${patientId}` },
    effectiveDateTime: daysAgo(30 + n),
    issued: daysAgo(20 + n),
    valueCodeableConcept: { text },
    component: [{ code: { coding: [{ system: LOINC, code: '48018-6' }] }, valueCodeableConcept: { coding: [{ system: 'http://www.genenames.org/geneId', code: HGNC[gene], display: gene }] } }],
    ...more,
  };
}

const warfarinPatient = (id: string, vkorc1: string): Record<string, unknown>[] => [
  patient(id),
  vital(id, 1, '8302-2', HEIGHT, 'cm'),
  vital(id, 2, '29463-7', WEIGHT, 'kg'),
  genotype(id, 1, 'CYP2C9', 'CYP2C9 *1/*1'),
  genotype(id, 2, 'VKORC1', vkorc1),
];

/** VKORC1 -1639 A/A in the spellings of the issue (CPIC/PharmCAT allele names) and of laboratories. */
const AA_SPELLINGS: [string, string][] = [
  ['gt-issue', 'rs9923231 variant (T)/rs9923231 variant (T)'],
  ['gt-aa-generesult', 'VKORC1 -1639 AA'],
  ['gt-aa-rs', 'rs9923231 T/T'],
  ['gt-aa-hgvs', 'NM_024006.6:c.-1639G>A homozygous'],
  ['gt-aa-genomic', 'NC_000016.10:g.[31096368C>T];[31096368C>T]'],
];

const resources: Record<string, unknown>[] = [
  ...AA_SPELLINGS.flatMap(([id, text]) => warfarinPatient(id, text)),
  // VKORC1 result that does not say which variant (could be 1173C>T): unreadable, so no dose at all
  ...warfarinPatient('gt-vkorc1-unreadable', 'VKORC1 A/G'),
  // VKORC1 reported as a phenotype with no genotype, and CYP2C9 as a phenotype with no diplotype: tested, yet not
  // usable by the algorithm, so neither may take its "not genotyped" term
  patient('gt-vkorc1-indeterminate'),
  vital('gt-vkorc1-indeterminate', 1, '8302-2', HEIGHT, 'cm'),
  vital('gt-vkorc1-indeterminate', 2, '29463-7', WEIGHT, 'kg'),
  genotype('gt-vkorc1-indeterminate', 1, 'CYP2C9', 'CYP2C9 *1/*1'),
  genotype('gt-vkorc1-indeterminate', 2, 'VKORC1', 'Indeterminate'),
  patient('gt-cyp2c9-phenotype'),
  vital('gt-cyp2c9-phenotype', 1, '8302-2', HEIGHT, 'cm'),
  vital('gt-cyp2c9-phenotype', 2, '29463-7', WEIGHT, 'kg'),
  genotype('gt-cyp2c9-phenotype', 1, 'CYP2C9', 'Intermediate Metabolizer'),
  genotype('gt-cyp2c9-phenotype', 2, 'VKORC1', 'rs9923231 C/T'),
  // CYP2C19 single allele: malformed
  patient('gt-malformed'),
  genotype('gt-malformed', 1, 'CYP2C19', 'CYP2C19 *2'),
  // a readable poor-metabolizer result and an unreadable one for the same gene
  patient('gt-mixed'),
  genotype('gt-mixed', 1, 'CYP2C19', 'CYP2C19 *2/*2'),
  genotype('gt-mixed', 2, 'CYP2C19', 'CYP2C19 *1/*99'),
  // not final
  patient('gt-preliminary'),
  genotype('gt-preliminary', 1, 'CYP2C19', 'CYP2C19 *2/*2', { status: 'preliminary' }),
  // HLA-B result that does not say which allele
  patient('gt-hla'),
  genotype('gt-hla', 1, 'HLA-B', 'positive'),
];

function draft(patientId: string, rxnorm: string, name: string, doseMg: number): Record<string, unknown> {
  return {
    resourceType: 'MedicationRequest',
    id: 'draft-1',
    status: 'draft',
    intent: 'order',
    subject: { reference: `Patient/${patientId}` },
    medicationCodeableConcept: { coding: [{ system: RXNORM, code: rxnorm, display: name }], text: name },
    dosageInstruction: [{ text: `${doseMg} mg once daily`, timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd' } }, doseAndRate: [{ doseQuantity: { value: doseMg, unit: 'mg', system: 'http://unitsofmeasure.org', code: 'mg' } }] }],
  };
}

const ZERO: IwpcInputs = {
  ageDecades: 0, heightCm: 0, weightKg: 0, vkorc1Ag: 0, vkorc1Aa: 0, vkorc1Unknown: 0,
  cyp2c9_12: 0, cyp2c9_13: 0, cyp2c9_22: 0, cyp2c9_23: 0, cyp2c9_33: 0, cyp2c9Unknown: 0,
  raceAsian: 0, raceBlack: 0, raceMissingOrMixed: 0, enzymeInducer: 0, amiodarone: 0,
};

describe('pharmacogenomics: genotype spellings and unreadable results, over HTTP with the sandbox FHIR server', () => {
  let sandbox: Awaited<ReturnType<typeof startSandboxFhirServer>>;
  let models: ModelRuntime;
  let h: Harness;

  beforeAll(async () => {
    sandbox = await startSandboxFhirServer({ port: 0, rebaseDates: false });
    const entry = resources.map((resource) => ({ resource, request: { method: 'PUT', url: `${String(resource['resourceType'])}/${String(resource['id'])}` } }));
    const r = await fetch(sandbox.baseUrl, { method: 'POST', headers: { 'Content-Type': 'application/fhir+json' }, body: JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry }) });
    expect(r.ok).toBe(true);
    models = await ModelRuntime.load(MODELS_DIR);
    h = await createHarness({
      services: [pharmacogenomicsService({ models, cardsDir: CARDS_DIR, options: { showStandard: false, preTestingOverrides: {} } })],
      env: { ALLOW_HTTP_FHIR: 'true' },
      clients: (key) => [{ iss: TEST_ISSUER, jwks: { keys: [key.publicJwk] }, fhir_servers: [sandbox.baseUrl] }],
    });
  }, 60_000);

  afterAll(async () => {
    await sandbox.close();
    await models.close();
  });

  async function sign(patientId: string, drafts: Record<string, unknown>[], mode: 'prefetch' | 'fhir'): Promise<CardOut[]> {
    const context = { userId: 'Practitioner/dr-1', patientId, draftOrders: { resourceType: 'Bundle', type: 'collection', entry: drafts.map((resource) => ({ resource })) } };
    const prefetch: Record<string, FhirResource | null> | undefined = mode === 'prefetch' ? await ehrPrefetch(sandbox.baseUrl, PGX_PREFETCH, patientId) : undefined;
    const body = {
      hook: 'order-sign',
      hookInstance: crypto.randomUUID(),
      context,
      ...(prefetch ? { prefetch } : { fhirServer: sandbox.baseUrl, fhirAuthorization: { access_token: 'sandbox-token', token_type: 'Bearer', expires_in: 300, scope: 'user/*.read', subject: 'precision-cds' } }),
    };
    const res = await request(h.app).post('/cds-services/pharmacogenomics').set('Authorization', `Bearer ${await h.token('/cds-services/pharmacogenomics')}`).send(body);
    if (res.status !== 200) throw new Error(`status ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body.cards as CardOut[];
  }

  const warfarin = (id: string, mode: 'prefetch' | 'fhir') => sign(id, [draft(id, '11289', 'warfarin', 5)], mode);

  describe.each(['prefetch', 'fhir'] as const)('with %s', (mode) => {
    it("the issue: VKORC1 'rs9923231 variant (T)/rs9923231 variant (T)' gets the IWPC dose of -1639 A/A", async () => {
      const [card] = await warfarin('gt-issue', mode);
      // 67 y (decade 6), 178 cm, 82 kg, White, CYP2C9 *1/*1, VKORC1 A/A, no interacting drugs
      const expected = iwpc({ ...ZERO, ageDecades: Math.floor(AGE / 10), heightCm: HEIGHT, weightKg: WEIGHT, vkorc1Aa: 1 }).weeklyDoseMg;
      expect(card!.extension![KEY]!['warfarin'].predictedWeeklyDoseMg).toBeCloseTo(expected, 2);
    });

    it('an unreadable VKORC1 result: no IWPC estimate (never the "genotype unknown" term), and the card names the result', async () => {
      const [card, ...rest] = await warfarin('gt-vkorc1-unreadable', mode);
      expect(rest).toEqual([]);
      const ext = card!.extension![KEY]!;
      expect({ summary: card!.summary, dose: ext['warfarin'].predictedWeeklyDoseMg, suggestions: card!.suggestions }).toEqual({
        summary: expect.stringMatching(/no IWPC dose estimate \(VKORC1 result could not be read/),
        dose: undefined,
        suggestions: undefined,
      });
      expect(ext['unreadable']).toEqual([expect.objectContaining({ gene: 'VKORC1', source: 'Observation/gt-vkorc1-unreadable-pgx-2', value: 'VKORC1 A/G', problem: 'malformed' })]);
    });

    it.each([
      ['gt-vkorc1-indeterminate', /VKORC1 result on file \(Indeterminate\) does not give the -1639G>A genotype/],
      ['gt-cyp2c9-phenotype', /CYP2C9 result on file is a phenotype \(Intermediate Metabolizer\) without the diplotype/],
    ])('%s: a result the algorithm cannot map is not "not genotyped": no IWPC estimate, and the card says why', async (id, why) => {
      const [card, ...rest] = await warfarin(id, mode);
      expect(rest).toEqual([]);
      const ext = card!.extension![KEY]!;
      expect({ dose: ext['warfarin'].predictedWeeklyDoseMg, suggestions: card!.suggestions, indicator: card!.indicator }).toEqual({ dose: undefined, suggestions: undefined, indicator: 'info' });
      expect(ext['warfarin'].notCalculated).toEqual([expect.stringMatching(why)]);
      expect(card!.detail).toMatch(why);
    });

    it('a malformed CYP2C19 result is not "not tested": no test-order card, one card naming the result', async () => {
      const cards = await sign('gt-malformed', [draft('gt-malformed', '32968', 'clopidogrel', 75)], mode);
      expect(cards.map((c) => ({ noAdviceFor: c.extension![KEY]!['noAdviceFor'], tests: c.extension![KEY]!['testsSuggested'], suggestions: c.suggestions }))).toEqual([
        { noAdviceFor: ['CYP2C19'], tests: undefined, suggestions: undefined },
      ]);
      expect(cards[0]!.detail).toContain('| Observation/gt-malformed-pgx-1 | CYP2C19 |');
      expect(cards[0]!.detail).toContain('| CYP2C19 *2 |');
    });
  });

  it.each(AA_SPELLINGS.slice(1))('%s: VKORC1 %p reaches the IWPC inputs as A/A', async (id) => {
    const [card] = await warfarin(id, 'prefetch');
    expect(card!.extension![KEY]!['warfarin'].vkorc1).toBe('A/A');
  });

  it('a readable and an unreadable CYP2C19 result: no advice from the readable one, and the card says which is which', async () => {
    const cards = await sign('gt-mixed', [draft('gt-mixed', '32968', 'clopidogrel', 75)], 'prefetch');
    expect(cards).toHaveLength(1);
    const ext = cards[0]!.extension![KEY]!;
    expect({ recommendation: ext['recommendationId'], unreadable: ext['unreadable'].map((u: { source: string; problem: string }) => [u.source, u.problem]), readable: ext['readableNotUsed'].map((f: { diplotype: string; phenotype: string }) => [f.diplotype, f.phenotype]) }).toEqual({
      recommendation: undefined,
      unreadable: [['Observation/gt-mixed-pgx-2', 'unknown-allele']],
      readable: [['*2/*2', 'Poor Metabolizer']],
    });
  });

  it('a preliminary result is not "not tested" either', async () => {
    const cards = await sign('gt-preliminary', [draft('gt-preliminary', '32968', 'clopidogrel', 75)], 'prefetch');
    expect(cards.map((c) => c.extension![KEY]!['unreadable'].map((u: { problem: string }) => u.problem))).toEqual([['unusable-status']]);
  });

  it('an HLA-B result that does not name its allele: no abacavir test order, a card naming the result', async () => {
    const cards = await sign('gt-hla', [draft('gt-hla', '190521', 'abacavir', 600)], 'prefetch');
    expect(cards.map((c) => ({ noAdviceFor: c.extension![KEY]!['noAdviceFor'], suggestions: c.suggestions }))).toEqual([{ noAdviceFor: ['HLA-B*57:01'], suggestions: undefined }]);
  });

  it('every card extension validates against PharmacogenomicsExtension in openapi/openapi.json', async () => {
    const validate = openapiSchema('PharmacogenomicsExtension');
    const cases: [string, string, string][] = [
      ['gt-vkorc1-unreadable', '11289', 'warfarin'],
      ['gt-malformed', '32968', 'clopidogrel'],
      ['gt-mixed', '32968', 'clopidogrel'],
      ['gt-hla', '190521', 'abacavir'],
    ];
    for (const [p, rx, name] of cases) {
      for (const card of await sign(p, [draft(p, rx, name, 5)], 'prefetch')) {
        expect({ p, ok: validate(card.extension![KEY]), errors: validate.errors ?? null }).toEqual({ p, ok: true, errors: null });
      }
    }
  });
});
