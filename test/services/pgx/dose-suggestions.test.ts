/**
 * Every pharmacogenomics path that writes a dose (IWPC warfarin, CPIC dose factor, CPIC maximum daily
 * dose), for drafts in mg, {pill}, {tbl}, {tablet}, mL, an unknown unit and no unit: the dose written is
 * UCUM mg, the label, the action, the Dosage text and the quantity say the same number, and a dose the
 * service cannot read leaves the suggestion out and says why.
 */
import { describe, expect, it } from '@jest/globals';
import type { Medication, MedicationRequest, Quantity, Timing } from 'fhir/r4.js';
import { CARDS_DIR } from '../../../src/app.js';
import { loadCardTemplates } from '../../../src/cards/templates.js';
import type { Card } from '../../../src/cds/types.js';
import { iwpc } from '../../../src/models/reference/iwpc.js';
import { PGX_EXTENSION_KEY, recommendationCard, warfarinCard, type DraftForCard, type PgxCardTemplates } from '../../../src/services/pgx/cards.js';
import { allGuidelines, allRecommendationRows, drugInfo, indicatorFor, type Recommendation } from '../../../src/services/pgx/knowledge/index.js';
import { replaceSuggestion, type SuggestionContext } from '../../../src/services/pgx/suggestions.js';
import type { WarfarinDose, WarfarinInputs } from '../../../src/services/pgx/warfarin.js';

const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const UCUM = 'http://unitsofmeasure.org';
const t = loadCardTemplates<PgxCardTemplates>(CARDS_DIR, 'pharmacogenomics');
const ctx: SuggestionContext = { serviceId: 'pharmacogenomics', hookInstance: 'a7c0e3a4-1c0e-4a5e-9d43-0b5e8a1f2c11', patientId: 'p1' };
const DAILY: Timing = { repeat: { frequency: 1, period: 1, periodUnit: 'd' } };
const TWICE: Timing = { repeat: { frequency: 2, period: 1, periodUnit: 'd' } };

type Dose = Partial<Quantity> | undefined;

/** A draft as the HL7 reference client sends it: one RxNorm coding with the same text, a dose without `unit`. */
function draft(rxcui: string, text: string, dose: Dose, opts: { timing?: Timing; id?: string | null; medication?: Medication } = {}): DraftForCard {
  const id = opts.id === undefined ? 'request-123' : opts.id;
  const resource: MedicationRequest = {
    resourceType: 'MedicationRequest',
    ...(id ? { id } : {}),
    status: 'draft',
    intent: 'order',
    subject: { reference: 'Patient/p1' },
    ...(opts.medication
      ? { contained: [opts.medication], medicationReference: { reference: `#${opts.medication.id}` } }
      : { medicationCodeableConcept: { coding: [{ system: RXNORM, code: rxcui, display: text }], text } }),
    dosageInstruction: [{ timing: opts.timing ?? DAILY, doseAndRate: [{ ...(dose ? { doseQuantity: dose as Quantity } : {}) }] }],
  };
  const reference = id ? `MedicationRequest/${id}` : 'draftOrders.entry[0]';
  return { reference, resource, displayText: text, matchedBy: 'rxnorm-product', key: reference, ...(opts.medication ? { medication: opts.medication } : {}) };
}

const ucum = (value: number, code: string): Quantity => ({ value, system: UCUM, code });
/** The units the issue names, as a client sends them, for a dose of `n` units (or n mg). */
const UNITS: readonly [string, (n: number) => Dose][] = [
  ['{pill}', (n) => ucum(n, '{pill}')],
  ['{tbl}', (n) => ucum(n, '{tbl}')],
  ['{tablet}', (n) => ucum(n, '{tablet}')],
];
const UNREADABLE: readonly [string, Dose, string][] = [
  ['an unknown unit ({puff})', ucum(1, '{puff}'), 'unknown-unit'],
  ['no unit', { value: 1 }, 'no-unit'],
];

function onlyUpdate(card: Card) {
  expect(card.suggestions).toHaveLength(1);
  const s = card.suggestions![0]!;
  expect(s.actions).toHaveLength(1);
  const a = s.actions![0]!;
  expect(a.type).toBe('update');
  const r = a.resource as MedicationRequest;
  return { s, a, r, d0: r.dosageInstruction![0]!, q: r.dosageInstruction![0]!.doseAndRate![0]!.doseQuantity! };
}

/** Label, action description, Dosage text and quantity all carry the same number of mg, and the quantity is UCUM mg. */
function expectAgreement(card: Card): number {
  const { s, a, d0, q } = onlyUpdate(card);
  expect({ unit: q.unit, system: q.system, code: q.code }).toEqual({ unit: 'mg', system: UCUM, code: 'mg' });
  const mg = (text: string) => Number(/(\d+(?:\.\d+)?) mg\b/.exec(text)?.[1]);
  const label = s.label.startsWith('Reduce') ? Number(/: (\d+(?:\.\d+)?) mg/.exec(s.label)?.[1]) : mg(s.label);
  const description = Number(/ to (\d+(?:\.\d+)?) mg\b/.exec(a.description)?.[1]);
  expect({ label, description, text: mg(d0.text!) }).toEqual({ label: q.value, description: q.value, text: q.value });
  return q.value!;
}

const note = (card: Card) => (card.extension![PGX_EXTENSION_KEY] as { dose?: { suggestion: string; reasons?: { code: string; detail: string }[]; current?: { mgPerDose: number; mgPerDay?: number }; suggested?: { mgPerDose: number; mgPerDay?: number } } }).dose;

// ---------------------------------------------------------------------------------- warfarin

describe('warfarin (IWPC): the daily dose in mg, once daily', () => {
  const m = (value: number, unit: string) => ({ value, unit, date: '2026-11-01', source: ['Observation/x'] });
  const x: WarfarinInputs = { age: m(67, 'a'), heightCm: m(178, 'cm'), weightKg: m(82, 'kg'), race: 'white', raceText: 'White', vkorc1: 'A/G', cyp2c9: '*1/*3', amiodarone: true, enzymeInducer: false, missing: [] };
  const zero = { vkorc1Aa: 0, vkorc1Unknown: 0, cyp2c9_12: 0, cyp2c9_22: 0, cyp2c9_23: 0, cyp2c9_33: 0, cyp2c9Unknown: 0, raceAsian: 0, raceBlack: 0, raceMissingOrMixed: 0, enzymeInducer: 0 };
  // The estimate from the published equation for these inputs (the card builder takes the model's output).
  const weeklyMg = iwpc({ ...zero, ageDecades: 6, heightCm: 178, weightKg: 82, vkorc1Ag: 1, cyp2c9_13: 1, amiodarone: 1 }).weeklyDoseMg;
  const estimate = (weekly = weeklyMg): WarfarinDose => ({ weeklyMg: weekly, dailyMg: weekly / 7, modelId: 'iwpc-warfarin', version: 1, cautions: [] });
  const expectedMg = Math.round((weeklyMg / 7) * 2) / 2;
  const card = (d: DraftForCard, weekly?: number) => warfarinCard(x, estimate(weekly), [], d, t, ctx);
  const W5 = ['855332', 'Warfarin Sodium 5 MG Oral Tablet'] as const;

  it.each([['mg', (n: number) => ucum(n * 5, 'mg')] as const, ...UNITS])('a twice-daily draft in %s -> %s mg once daily, label and resource agree', (_, dose) => {
    const c = card(draft(...W5, dose(1), { timing: TWICE }));
    expect(expectAgreement(c)).toBe(expectedMg);
    const { d0, r } = onlyUpdate(c);
    expect(d0.timing).toEqual({ repeat: { frequency: 1, period: 1, periodUnit: 'd' } });
    expect(d0.text).toMatch(/ mg once daily \(/);
    expect(r.medicationCodeableConcept).toEqual(draft(...W5, undefined).resource.medicationCodeableConcept);
    expect(r.id).toBe('request-123');
  });

  it('the reported case: 1 {pill} of 855332 is read as 5 mg, and the update is not 2.5 {pill}', () => {
    const c = card(draft(...W5, ucum(1, '{pill}')));
    expect(note(c)?.current).toEqual({ stated: '1 {pill}', mgPerDose: 5, mgPerDay: 5 });
    expect(onlyUpdate(c).q.code).toBe('mg');
    expect(c.detail).toContain('**Draft dose:** 1 {pill} = 5 mg per dose, 5 mg a day.');
  });

  it.each([
    ['855332', 'warfarin sodium 5 MG Oral Tablet', 'half a 5 mg tablet'],
    ['855312', 'warfarin sodium 2.5 MG Oral Tablet', '1 tablet of 2.5 mg'],
    ['855302', 'warfarin sodium 2 MG Oral Tablet', 'cannot be made from whole or half 2 mg tablets'],
  ])('2.5 mg a day from %s (%s): the text says "%s"', (rxcui, name, made) => {
    expect(onlyUpdate(card(draft(rxcui, name, ucum(1, '{pill}')), 17.5)).d0.text).toBe(`2.5 mg once daily (${made}); IWPC estimate 17.5 mg/week; adjust by INR`);
  });

  it('Epic: contained Medication with strength 5 mg / 1 {tablet} and a dose in {tablet}', () => {
    const med: Medication = {
      resourceType: 'Medication',
      id: 'med1',
      code: { text: 'warfarin 5 mg tablet' },
      ingredient: [{ itemCodeableConcept: { coding: [{ system: RXNORM, code: '11289', display: 'warfarin' }] }, strength: { numerator: { value: 5, system: UCUM, code: 'mg' }, denominator: { value: 1, system: UCUM, code: '{tablet}' } } }],
    };
    const c = card(draft('', 'warfarin 5 mg tablet', ucum(1, '{tablet}'), { medication: med }));
    expect(expectAgreement(c)).toBe(expectedMg);
    expect(onlyUpdate(c).r.medicationReference).toEqual({ reference: '#med1' });
  });

  it('mL of a liquid whose Medication gives 1 mg/mL -> a dose in mg, and the volume in the text', () => {
    const med: Medication = { resourceType: 'Medication', id: 'liq', ingredient: [{ itemCodeableConcept: { text: 'warfarin sodium' }, strength: { numerator: { value: 1, code: 'mg' }, denominator: { value: 1, code: 'mL' } } }] };
    const c = card(draft('', 'warfarin oral liquid', ucum(5, 'mL'), { medication: med }), 17.5);
    expect(expectAgreement(c)).toBe(2.5);
    expect(onlyUpdate(c).d0.text).toContain('2.5 mL of the 1 mg/mL liquid');
  });

  it('mL of a tablet product -> no suggestion, the card says why', () => {
    const c = card(draft(...W5, ucum(5, 'mL')));
    expect(c.suggestions).toBeUndefined();
    expect(note(c)?.reasons?.map((r) => r.code)).toEqual(['form-mismatch']);
  });

  it.each(UNREADABLE)('%s -> no suggestion; the detail and the dose note say why', (_, dose, code) => {
    const c = card(draft(...W5, dose));
    expect(c.suggestions).toBeUndefined();
    expect(note(c)).toEqual({ suggestion: 'omitted', reasons: [{ code, detail: expect.any(String) }] });
    expect(c.detail).toContain("**No dose change is suggested** because the draft's dose cannot be read safely: the dose");
  });

  it('{pill} of a product whose strength is unknown (ingredient code only) -> no suggestion: strength-unknown', () => {
    const c = card(draft('11289', 'warfarin', ucum(1, '{pill}')));
    expect([c.suggestions, note(c)?.reasons?.map((r) => r.code)]).toEqual([undefined, ['strength-unknown']]);
  });

  it('a draft without an id -> no suggestion: no-order-id', () => {
    const c = card(draft(...W5, ucum(1, '{pill}'), { id: null }));
    expect(note(c)?.reasons?.map((r) => r.code)).toEqual(['no-order-id']);
  });

  it('the draft is not changed by building the card', () => {
    const d = draft(...W5, ucum(1, '{pill}'), { timing: TWICE });
    const before = structuredClone(d.resource);
    card(d);
    expect(d.resource).toEqual(before);
  });

  it('the suggestion uuid is the same for the same input and differs for another draft', () => {
    const a = card(draft(...W5, ucum(1, '{pill}'))).suggestions![0]!.uuid;
    expect(card(draft(...W5, ucum(1, '{pill}'))).suggestions![0]!.uuid).toBe(a);
    const other = draft(...W5, ucum(1, '{pill}'), { id: 'request-456' });
    expect(card(other).suggestions![0]!.uuid).not.toBe(a);
  });
});

// ---------------------------------------------------------------------------------- CPIC rows

const guidelines = new Map(allGuidelines().map((g) => [g.id, g]));
function recommendation(id: string): Recommendation {
  const row = allRecommendationRows().find((r) => r.id === id)!;
  return { ...row, guideline: guidelines.get(row.guideline)!, indicator: indicatorFor(row.severity), drugName: drugInfo(row.drug)!.name, matched: {} };
}
const finding = (gene: string, phenotype: string) => ({ gene, phenotype, diplotype: '*2/*2', basis: 'genotype' as const, date: '2026-01-01', source: ['Observation/g'] });
const doseSuggestions = (c: Card) => (c.suggestions ?? []).filter((s) => s.actions?.some((a) => a.type === 'update'));

describe('CPIC dose factor: citalopram, CYP2C19 poor metabolizer (about 50 %)', () => {
  const r = recommendation('cpic-cyp2c19-citalopram-pm');
  const card = (d: DraftForCard) => recommendationCard(r, [finding('CYP2C19', 'Poor Metabolizer')], d, t, ctx);
  const C20 = ['200371', 'citalopram 20 MG Oral Tablet'] as const;

  it.each([['mg', (n: number) => ucum(n * 20, 'mg')] as const, ...UNITS])('1 unit (%s) of a 20 mg tablet twice daily -> 10 mg twice daily, in mg', (_, dose) => {
    const c = card(draft(...C20, dose(1), { timing: TWICE }));
    const [s] = doseSuggestions(c);
    expect(s?.label).toBe('Reduce the dose to 50 %: 10 mg twice daily');
    expect(expectAgreement({ ...c, suggestions: [s!] })).toBe(10);
    expect(note(c)?.suggested).toEqual({ mgPerDose: 10, mgPerDay: 20 });
  });

  it('mL of the 2 mg/mL solution: 10 mL (20 mg) -> 10 mg, 5 mL in the text', () => {
    const c = card(draft('309313', 'citalopram 2 MG/ML Oral Solution', ucum(10, 'mL')));
    const [s] = doseSuggestions(c);
    expect(expectAgreement({ ...c, suggestions: [s!] })).toBe(10);
    expect((s!.actions![0]!.resource as MedicationRequest).dosageInstruction![0]!.text).toContain('5 mL of the 2 mg/mL liquid');
  });

  it.each(UNREADABLE)('%s -> no dose suggestion, and the card says why', (_, dose, code) => {
    const c = card(draft(...C20, dose));
    expect(doseSuggestions(c)).toEqual([]);
    expect(note(c)?.reasons?.map((x) => x.code)).toEqual([code]);
    expect(c.detail).toContain('**No dose change is suggested**');
  });

  it('the current dose is kept in the schedule the draft has; a schedule it cannot read is written "per dose"', () => {
    const c = card(draft(...C20, ucum(20, 'mg'), { timing: { code: { text: 'BID' } } }));
    const [s] = doseSuggestions(c);
    expect(s?.label).toBe('Reduce the dose to 50 %: 10 mg per dose');
    expect((s!.actions![0]!.resource as MedicationRequest).dosageInstruction![0]!.timing).toEqual({ code: { text: 'BID' } });
  });
});

describe('CPIC maximum daily dose: atorvastatin, SLCO1B1 poor function (at most 20 mg a day)', () => {
  const r = recommendation('cpic-slco1b1-atorvastatin-pf');
  const card = (d: DraftForCard) => recommendationCard(r, [finding('SLCO1B1', 'Poor Function')], d, t, ctx);
  const A40 = ['617311', 'atorvastatin 40 MG Oral Tablet'] as const;

  it.each([['mg', (n: number) => ucum(n * 40, 'mg')] as const, ...UNITS])('1 unit (%s) of a 40 mg tablet daily -> 20 mg once daily (half a 40 mg tablet)', (_, dose) => {
    const c = card(draft(...A40, dose(1)));
    const [s] = doseSuggestions(c);
    expect(s?.label).toBe('Lower the dose to 20 mg once daily (at most 20 mg a day)');
    expect(expectAgreement({ ...c, suggestions: [s!] })).toBe(20);
    expect((s!.actions![0]!.resource as MedicationRequest).dosageInstruction![0]!.text).toContain('half a 40 mg tablet');
  });

  it('three times daily: the most per dose that keeps the day under the ceiling (6.6 mg, not 6.67)', () => {
    const c = card(draft(...A40, ucum(40, 'mg'), { timing: { repeat: { frequency: 3, period: 1, periodUnit: 'd' } } }));
    expect(note(c)?.suggested).toEqual({ mgPerDose: 6.6, mgPerDay: 19.8 });
  });

  it('already within the ceiling -> no suggestion needed, and the card says so', () => {
    const c = card(draft('617312', 'atorvastatin 10 MG Oral Tablet', ucum(1, '{tablet}'), { timing: TWICE }));
    expect(doseSuggestions(c)).toEqual([]);
    expect(note(c)).toEqual({ suggestion: 'not-needed', current: { stated: '1 {tablet}', mgPerDose: 10, mgPerDay: 20 } });
  });

  it('a schedule it cannot read -> no daily dose, so no suggestion: frequency-unknown', () => {
    const c = card(draft(...A40, ucum(1, '{pill}'), { timing: { code: { coding: [{ code: 'BID' }] } } }));
    expect(doseSuggestions(c)).toEqual([]);
    expect(note(c)?.reasons?.map((x) => x.code)).toEqual(['frequency-unknown']);
  });

  it('mL of a tablet -> no suggestion: form-mismatch', () => {
    expect(note(card(draft(...A40, ucum(5, 'mL'))))?.reasons?.map((x) => x.code)).toEqual(['form-mismatch']);
  });

  it.each(UNREADABLE)('%s -> no dose suggestion, and the card says why', (_, dose, code) => {
    const c = card(draft(...A40, dose));
    expect(doseSuggestions(c)).toEqual([]);
    expect(note(c)?.reasons?.map((x) => x.code)).toEqual([code]);
  });

  it('dose and replace suggestions on one card have distinct uuids', () => {
    const c = card(draft(...A40, ucum(1, '{pill}')));
    const uuids = (c.suggestions ?? []).map((s) => s.uuid);
    expect(uuids.length).toBeGreaterThan(1);
    expect(new Set(uuids).size).toBe(uuids.length);
  });
});

describe('replace suggestion', () => {
  it('creates the alternative first, then deletes the draft (a client applying one action adds the alternative)', () => {
    const s = replaceSuggestion(draft('309362', 'clopidogrel 75 MG Oral Tablet', ucum(1, '{pill}')), { rxnorm: '613391', name: 'prasugrel' }, ctx, 'k')!;
    expect(s.actions!.map((a) => a.type)).toEqual(['create', 'delete']);
    expect(s.actions![1]!.resourceId).toBe('MedicationRequest/request-123');
  });
});
