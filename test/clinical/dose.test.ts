import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { Medication, MedicationRequest, Quantity, Timing } from 'fhir/r4.js';
import { mgQuantity, readDose, timingText, unitsText, writeDose, type DoseReading, type DrugRef, type Presentation } from '../../src/clinical/dose.js';
import { productLookup, type ProductDef } from '../../src/clinical/products.js';

const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const UCUM = 'http://unitsofmeasure.org';
const V3_FORM = 'http://terminology.hl7.org/CodeSystem/v3-orderableDrugForm';

/** A product table of the test's own (the library takes any lookup; the services' tables are tested in products.test.ts). */
const PRODUCTS: ProductDef[] = [
  { rxcui: '1001', name: 'warfarin sodium 5 MG Oral Tablet', doseForm: 'Oral Tablet', strength: [{ ingredient: 'warfarin', substance: 'warfarin sodium', value: 5, unit: 'mg', per: { value: 1, unit: '{tablet}' } }] },
  { rxcui: '1002', name: 'warfarin sodium 2 MG Oral Tablet', doseForm: 'Oral Tablet', strength: [{ ingredient: 'warfarin', substance: 'warfarin sodium', value: 2, unit: 'mg', per: { value: 1, unit: '{tablet}' } }] },
  { rxcui: '2001', name: 'citalopram 2 MG/ML Oral Solution', doseForm: 'Oral Solution', strength: [{ ingredient: 'citalopram', substance: 'citalopram', value: 2, unit: 'mg', per: { value: 1, unit: 'mL' } }] },
  {
    rxcui: '3001',
    name: 'acetaminophen 300 MG / codeine phosphate 30 MG Oral Tablet',
    doseForm: 'Oral Tablet',
    strength: [
      { ingredient: 'acetaminophen', substance: 'acetaminophen', value: 300, unit: 'mg', per: { value: 1, unit: '{tablet}' } },
      { ingredient: 'codeine', substance: 'codeine phosphate', value: 30, unit: 'mg', per: { value: 1, unit: '{tablet}' } },
    ],
  },
  { rxcui: '4001', name: '24 HR tramadol hydrochloride 100 MG Extended Release Oral Tablet', doseForm: 'Extended Release Oral Tablet', strength: [{ ingredient: 'tramadol', substance: 'tramadol hydrochloride', value: 100, unit: 'mg', per: { value: 1, unit: '{tablet}' } }] },
  { rxcui: '5001', name: 'fluvastatin 20 MG Oral Capsule', doseForm: 'Oral Capsule', strength: [{ ingredient: 'fluvastatin', substance: 'fluvastatin', value: 20, unit: 'mg', per: { value: 1, unit: '{capsule}' } }] },
];
const products = productLookup(PRODUCTS);
const WARFARIN: DrugRef = { rxnorm: '11289', name: 'warfarin' };
const DAILY: Timing = { repeat: { frequency: 1, period: 1, periodUnit: 'd' } };
const TWICE: Timing = { repeat: { frequency: 2, period: 1, periodUnit: 'd' } };

function order(dose: Partial<Quantity> | undefined, opts: { code?: string; timing?: Timing; extra?: Partial<MedicationRequest> } = {}): MedicationRequest {
  return {
    resourceType: 'MedicationRequest',
    id: 'request-123',
    status: 'draft',
    intent: 'order',
    subject: { reference: 'Patient/p1' },
    ...(opts.code === undefined ? { medicationCodeableConcept: { coding: [{ system: RXNORM, code: '1001' }] } } : opts.code ? { medicationCodeableConcept: { coding: [{ system: RXNORM, code: opts.code }] } } : {}),
    dosageInstruction: [{ timing: opts.timing ?? DAILY, ...(dose ? { doseAndRate: [{ doseQuantity: dose }] } : {}) }],
    ...opts.extra,
  };
}

const read = (r: MedicationRequest, drug: DrugRef = WARFARIN, medication?: Medication): DoseReading => readDose(r, { drug, products, ...(medication ? { medication } : {}) });
const codes = (r: DoseReading): string[] => r.problems.map((p) => p.code);

describe('readDose: mass units (UCUM, converted by ucum-lhc)', () => {
  it('mg: the amount itself, and per day with the frequency', () => {
    const r = read(order({ value: 5, system: UCUM, code: 'mg' }, { timing: TWICE }));
    expect([r.mgPerDose, r.dosesPerDay, r.mgPerDay]).toEqual([5, 2, 10]);
  });

  it.each([
    [{ value: 0.005, system: UCUM, code: 'g' }, 5],
    [{ value: 500, system: UCUM, code: 'ug' }, 0.5],
    [{ value: 500, system: UCUM, code: 'mcg' }, 0.5],
    [{ value: 500, code: 'mcg' }, 0.5],
    [{ value: 5, unit: 'milligrams' }, 5],
  ])('%j -> %d mg', (q, mg) => {
    expect(read(order(q)).mgPerDose).toBe(mg);
  });

  it("a UCUM code in the wrong case is not guessed ('Mg' is a megagram, 'MG' not a mass)", () => {
    for (const code of ['Mg', 'MG']) {
      const r = read(order({ value: 5, system: UCUM, code }));
      expect(r.mgPerDose).toBeUndefined();
      expect(r.problems[0]!.detail).toMatch(/case-sensitive/);
    }
  });
});

describe('readDose: counts of tablets need a strength', () => {
  it.each([
    ['{pill}', { value: 1, system: UCUM, code: '{pill}' }],
    ['{tbl}', { value: 1, system: UCUM, code: '{tbl}' }],
    ['{tablet}', { value: 1, system: UCUM, code: '{tablet}' }],
    ['{tab}', { value: 1, system: UCUM, code: '{tab}' }],
    ['TAB (HL7 orderableDrugForm)', { value: 1, system: V3_FORM, code: 'TAB' }],
    ['unit text "tablet" only', { value: 1, unit: 'tablet' }],
  ])('%s of a 5 mg tablet (product table) -> 5 mg', (_, q) => {
    expect(read(order(q)).mgPerDose).toBe(5);
  });

  it('1.5 {pill} twice daily of a 5 mg tablet -> 7.5 mg a dose, 15 mg a day', () => {
    const r = read(order({ value: 1.5, system: UCUM, code: '{pill}' }, { timing: TWICE }));
    expect([r.mgPerDose, r.mgPerDay]).toEqual([7.5, 15]);
  });

  it('the drug of a combination product: 2 tablets of acetaminophen 300 / codeine 30 -> 60 mg codeine', () => {
    expect(read(order({ value: 2, system: UCUM, code: '{tbl}' }, { code: '3001' }), { rxnorm: '2670', name: 'codeine' }).mgPerDose).toBe(60);
  });

  it('{pill} of a product whose strength is not known -> strength-unknown', () => {
    const r = read(order({ value: 1, system: UCUM, code: '{pill}' }, { code: '11289' }));
    expect([r.mgPerDose, codes(r)]).toEqual([undefined, ['strength-unknown']]);
  });

  it('{tablet} of a capsule -> form-mismatch; {capsule} of a tablet -> form-mismatch', () => {
    expect(codes(read(order({ value: 1, system: UCUM, code: '{tablet}' }, { code: '5001' }), { name: 'fluvastatin' }))).toEqual(['form-mismatch']);
    expect(codes(read(order({ value: 1, system: UCUM, code: '{capsule}' })))).toEqual(['form-mismatch']);
  });

  it('{pill} of a capsule is read ({pill} names no form)', () => {
    expect(read(order({ value: 2, system: UCUM, code: '{pill}' }, { code: '5001' }), { name: 'fluvastatin' }).mgPerDose).toBe(40);
  });
});

describe('readDose: mL needs a concentration', () => {
  it('5 mL of a 2 mg/mL solution -> 10 mg', () => {
    expect(read(order({ value: 5, system: UCUM, code: 'mL' }, { code: '2001' }), { rxnorm: '2556', name: 'citalopram' }).mgPerDose).toBe(10);
  });

  it('mL of a tablet -> form-mismatch', () => {
    expect(codes(read(order({ value: 5, system: UCUM, code: 'mL' })))).toEqual(['form-mismatch']);
  });

  it('tablets of a liquid -> form-mismatch', () => {
    expect(codes(read(order({ value: 1, system: UCUM, code: '{tablet}' }, { code: '2001' }), { name: 'citalopram' }))).toEqual(['form-mismatch']);
  });

  it('mL without any strength -> strength-unknown', () => {
    expect(codes(read(order({ value: 5, system: UCUM, code: 'mL' }, { code: '' }), { name: 'citalopram' }))).toEqual(['strength-unknown']);
  });
});

describe('readDose: units it does not read are said, never guessed', () => {
  it('an unknown unit ({puff}) -> unknown-unit', () => {
    expect(codes(read(order({ value: 1, system: UCUM, code: '{puff}' })))).toEqual(['unknown-unit']);
  });

  it('no unit at all -> no-unit', () => {
    expect(codes(read(order({ value: 1 })))).toEqual(['no-unit']);
  });

  it('a code of another system that is not a unit word, with no text -> unknown-unit naming the system', () => {
    const r = read(order({ value: 1, system: 'http://snomed.info/sct', code: '385055001' }));
    expect(r.problems[0]).toEqual({ code: 'unknown-unit', detail: expect.stringContaining('snomed') });
  });

  it('unit code and unit text that disagree -> unit-conflict', () => {
    expect(codes(read(order({ value: 1, system: UCUM, code: 'mg', unit: 'tablet' })))).toEqual(['unit-conflict']);
  });
});

describe('readDose: the strength from the Medication and from the product table', () => {
  const medication = (strength: unknown, extra: Partial<Medication> = {}): Medication =>
    ({ resourceType: 'Medication', id: 'med1', ingredient: [{ itemCodeableConcept: { text: 'Warfarin Sodium' }, strength }], ...extra }) as Medication;
  const ratio = (n: Partial<Quantity>, d: Partial<Quantity>) => ({ numerator: n, denominator: d });
  const fiveMgPerTablet = ratio({ value: 5, system: UCUM, code: 'mg' }, { value: 1, system: UCUM, code: '{tablet}' });
  const epic = (strength: unknown, dose: Partial<Quantity>, medCode?: string): MedicationRequest =>
    order(dose, { code: '', extra: { contained: [medication(strength, medCode ? { code: { coding: [{ system: RXNORM, code: medCode }] } } : {})], medicationReference: { reference: '#med1' } } });

  it('a contained Medication (Epic) with 5 mg / 1 {tablet}, dose 1 {tablet} -> 5 mg', () => {
    const r = read(epic(fiveMgPerTablet, { value: 1, system: UCUM, code: '{tablet}' }));
    expect([r.mgPerDose, r.presentation?.source]).toEqual([5, 'medication']);
  });

  it('a Medication in the draftOrders Bundle, found by reference', () => {
    const r = order({ value: 2, system: UCUM, code: '{tablet}' }, { code: '', extra: { medicationReference: { reference: 'Medication/med1' } } });
    const draftOrders = { resourceType: 'Bundle', type: 'collection', entry: [{ resource: r }, { resource: medication(fiveMgPerTablet) }] };
    expect(readDose(r, { drug: WARFARIN, products, draftOrders }).mgPerDose).toBe(10);
  });

  it('a strength per 5 mL, and in grams, is normalised to mg per unit', () => {
    const r = read(epic(ratio({ value: 0.01, system: UCUM, code: 'g' }, { value: 5, system: UCUM, code: 'mL' }), { value: 2.5, system: UCUM, code: 'mL' }));
    expect(r.mgPerDose).toBe(5);
  });

  it('Medication and product table agree -> read, with the table dose form', () => {
    const r = read(epic(fiveMgPerTablet, { value: 1, system: UCUM, code: '{pill}' }, '1001'));
    expect([r.mgPerDose, r.presentation?.source, r.presentation?.doseForm]).toEqual([5, 'both', 'Oral Tablet']);
  });

  it('Medication and product table disagree -> strength-conflict, no number', () => {
    const r = read(epic(fiveMgPerTablet, { value: 1, system: UCUM, code: '{pill}' }, '1002'));
    expect([r.mgPerDose, codes(r)]).toEqual([undefined, ['strength-conflict']]);
  });

  it('two product codes of different strengths -> strength-conflict', () => {
    const r = order({ value: 1, system: UCUM, code: '{pill}' }, { extra: { medicationCodeableConcept: { coding: [{ system: RXNORM, code: '1001' }, { system: RXNORM, code: '1002' }] } } });
    expect(codes(read(r))).toEqual(['strength-conflict']);
  });

  it('a conflict is unsafe even for a dose in mg', () => {
    expect(codes(read(epic(fiveMgPerTablet, { value: 5, system: UCUM, code: 'mg' }, '1002')))).toEqual(['strength-conflict']);
  });

  it('several ingredients and none recognisably the drug -> strength-ambiguous', () => {
    const med = { resourceType: 'Medication', id: 'med1', ingredient: [{ itemCodeableConcept: { text: 'A' }, strength: fiveMgPerTablet }, { itemCodeableConcept: { text: 'B' }, strength: fiveMgPerTablet }] } as Medication;
    const r = read(order({ value: 1, system: UCUM, code: '{tablet}' }, { code: '' }), WARFARIN, med);
    expect(codes(r)).toEqual(['strength-ambiguous']);
  });

  it('the drug found among several ingredients by its RxNorm ingredient code', () => {
    const med = {
      resourceType: 'Medication',
      ingredient: [
        { itemCodeableConcept: { coding: [{ system: RXNORM, code: '161' }] }, strength: ratio({ value: 300, code: 'mg' }, { value: 1, code: '{tablet}' }) },
        { itemCodeableConcept: { coding: [{ system: RXNORM, code: '2670' }] }, strength: ratio({ value: 30, code: 'mg' }, { value: 1, code: '{tablet}' }) },
      ],
    } as Medication;
    expect(read(order({ value: 2, code: '{tablet}' }, { code: '' }), { rxnorm: '2670', name: 'codeine' }, med).mgPerDose).toBe(60);
  });

  it('a dose in mg of a combination product -> strength-ambiguous (whose mg?)', () => {
    expect(codes(read(order({ value: 30, system: UCUM, code: 'mg' }, { code: '3001' }), { name: 'codeine' }))).toEqual(['strength-ambiguous']);
  });

  it('a Medication strength in a unit it does not read -> strength-unreadable', () => {
    expect(codes(read(epic(ratio({ value: 5, code: '{puff}' }, { value: 1, code: '{tablet}' }), { value: 1, code: '{tablet}' })))).toEqual(['strength-unreadable']);
  });

  it('a referenced Medication that is not in the request: strength-unknown, and says so', () => {
    const r = read(order({ value: 1, system: UCUM, code: '{tablet}' }, { code: '', extra: { medicationReference: { reference: 'Medication/elsewhere' } } }));
    expect(r.problems[0]).toEqual({ code: 'strength-unknown', detail: expect.stringContaining("'Medication/elsewhere' was not in the request") });
  });
});

describe('readDose: the dose itself', () => {
  it('a dose range -> dose-range', () => {
    const r = order(undefined);
    r.dosageInstruction![0]!.doseAndRate = [{ doseRange: { low: { value: 1, code: '{pill}' }, high: { value: 2, code: '{pill}' } } }];
    expect(codes(read(r))).toEqual(['dose-range']);
  });

  it('several dosage instructions (a taper) -> several-doses', () => {
    const r = order({ value: 1, system: UCUM, code: 'mg' });
    r.dosageInstruction = [r.dosageInstruction![0]!, r.dosageInstruction![0]!];
    expect(codes(read(r))).toEqual(['several-doses']);
  });

  it('only a text dose -> no-dose, quoting the text', () => {
    const r = order(undefined);
    r.dosageInstruction![0]!.text = 'one tablet daily';
    expect(read(r).problems).toEqual([{ code: 'no-dose', detail: expect.stringContaining("'one tablet daily'") }]);
  });

  it.each([[0], [-1], [Number.NaN]])('value %d -> invalid-dose', (value) => {
    expect(codes(read(order({ value, system: UCUM, code: 'mg' })))).toEqual(['invalid-dose']);
  });

  it('a comparator (< 5 mg) -> invalid-dose', () => {
    expect(codes(read(order({ value: 5, comparator: '<', system: UCUM, code: 'mg' })))).toEqual(['invalid-dose']);
  });

  it('never changes the order it reads', () => {
    const r = order({ value: 1, system: UCUM, code: '{pill}' });
    const before = structuredClone(r);
    read(r);
    expect(r).toEqual(before);
  });

  it('garbage in any field never throws (property)', () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), fc.anything(), (dosage, concept, contained) => {
        const r = { resourceType: 'MedicationRequest', dosageInstruction: dosage, medicationCodeableConcept: concept, contained, medicationReference: { reference: '#m' } } as unknown as MedicationRequest;
        const out = readDose(r, { drug: WARFARIN, products });
        return out.mgPerDose === undefined || (Number.isFinite(out.mgPerDose) && out.mgPerDose > 0);
      }),
      { seed: 20261201, numRuns: 300 },
    );
  });
});

describe('readDose: doses a day from Timing.repeat', () => {
  const perDay = (timing: Timing | undefined, extra: object = {}) => {
    const r = order({ value: 5, system: UCUM, code: 'mg' }, timing ? { timing } : {});
    if (!timing) delete r.dosageInstruction![0]!.timing;
    Object.assign(r.dosageInstruction![0]!, extra);
    return read(r);
  };

  it.each([
    [{ frequency: 3, period: 1, periodUnit: 'd' }, 3],
    [{ frequency: 1, period: 8, periodUnit: 'h' }, 3],
    [{ frequency: 1, period: 2, periodUnit: 'd' }, 0.5],
    [{ frequency: 1, period: 1, periodUnit: 'wk' }, 1 / 7],
    [{ period: 1, periodUnit: 'd' }, 1],
  ] as const)('%j -> %d a day', (repeat, n) => {
    expect(perDay({ repeat: { ...repeat } }).dosesPerDay).toBeCloseTo(n, 12);
  });

  it.each([
    ['timing only as a code', { code: { coding: [{ code: 'BID' }] } }, /code 'BID'/],
    ['a frequency range', { repeat: { frequency: 1, frequencyMax: 2, period: 1, periodUnit: 'd' } }, /range/],
    ['months', { repeat: { frequency: 1, period: 1, periodUnit: 'mo' } }, /no fixed length/],
    ['some weekdays', { repeat: { frequency: 1, period: 1, periodUnit: 'd', dayOfWeek: ['mon'] } }, /days of the week/],
  ] as const)('%s -> the dose is read, the daily dose is not, and it says why', (_, timing, why) => {
    const r = perDay(timing as Timing);
    expect([r.mgPerDose, r.mgPerDay, r.frequencyProblems[0]?.code]).toEqual([5, undefined, 'frequency-unknown']);
    expect(r.frequencyProblems[0]!.detail).toMatch(why);
  });

  it('as needed -> no daily dose', () => {
    expect(perDay(DAILY, { asNeededBoolean: true }).frequencyProblems.map((p) => p.code)).toEqual(['frequency-unknown']);
  });

  it('no timing -> no daily dose', () => {
    expect(perDay(undefined).frequencyProblems[0]!.detail).toBe('it has no timing');
  });

  it('timingText words the schedules it reads', () => {
    const t = (repeat: Timing['repeat']) => timingText({ timing: { repeat } });
    expect([t({ frequency: 1, period: 1, periodUnit: 'd' }), t({ frequency: 2, period: 1, periodUnit: 'd' }), t({ frequency: 1, period: 8, periodUnit: 'h' }), t({ frequency: 1, period: 1, periodUnit: 'mo' })]).toEqual([
      'once daily',
      'twice daily',
      'every 8 hours',
      undefined,
    ]);
  });
});

describe('writeDose: every dose in UCUM mg', () => {
  const tablet = (mgPerUnit: number, halfUnits = true): Presentation => ({ mgPerUnit, unit: 'tablet', halfUnits, source: 'product-table' });

  it('the quantity is UCUM mg, with unit and code', () => {
    expect(mgQuantity(2.5)).toEqual({ value: 2.5, unit: 'mg', system: UCUM, code: 'mg' });
  });

  it.each([[0], [-1], [Number.NaN], [Number.POSITIVE_INFINITY]])('refuses %d (a bug, not a dose)', (mg) => {
    expect(() => mgQuantity(mg)).toThrow();
  });

  it('text: mg, schedule, how it is made from the tablet, note', () => {
    expect(writeDose(2.5, { timing: 'once daily', presentation: tablet(5), note: 'adjust by INR' }).text).toBe('2.5 mg once daily (half a 5 mg tablet); adjust by INR');
  });

  it.each([
    [10, tablet(5), '2 tablets of 5 mg'],
    [5, tablet(5), '1 tablet of 5 mg'],
    [7.5, tablet(5), '1.5 tablets of 5 mg'],
    [3, tablet(5), 'cannot be made from whole or half 5 mg tablets'],
    [50, tablet(100, false), 'cannot be made from whole 100 mg tablets'],
    [10, { mgPerUnit: 2, unit: 'mL', halfUnits: false, source: 'product-table' } as Presentation, '5 mL of the 2 mg/mL liquid'],
    [40, { mgPerUnit: 20, unit: 'capsule', halfUnits: false, source: 'product-table' } as Presentation, '2 capsules of 20 mg'],
  ])('%d mg from %j -> "%s"', (mg, p, text) => {
    expect(unitsText(mg, p)).toBe(text);
  });

  it('an extended-release tablet is never halved (product table dose form)', () => {
    const r = read(order({ value: 1, system: UCUM, code: '{tablet}' }, { code: '4001' }), { name: 'tramadol' });
    expect(r.presentation?.halfUnits).toBe(false);
  });

  it('label number, quantity and text agree for any tablet count (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.constantFrom(1, 2, 2.5, 5, 7.5), (halves, strength) => {
        const mg = (halves / 2) * strength;
        const w = writeDose(mg, { presentation: tablet(strength) });
        return w.doseQuantity.value === mg && w.text.startsWith(`${w.doseQuantity.value} mg`);
      }),
      { seed: 7, numRuns: 200 },
    );
  });
});
