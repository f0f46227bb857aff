import { describe, expect, it } from '@jest/globals';
import type {
  CodeableConcept,
  Coding,
  Condition,
  MedicationRequest,
  MedicationStatement,
  Observation,
  Patient,
} from 'fhir/r4.js';
import {
  DEFAULT_FEATURE_CONFIG,
  extractCvdFeatures,
  type CvdFeatures,
  type FeatureProblem,
  type PatientRecord,
} from '../../../src/services/cardiovascular-risk/features/index.js';

/*
 * Unit tests for extractCvdFeatures: FHIR R4 resources -> inputs of the Pooled Cohort Equations
 * and PREVENT. Each test builds a small record with the factories below and checks one thing.
 */

// ---------------------------------------------------------------- factories

const NOW = new Date('2026-06-01T12:00:00Z');
const PID = 'pat-1';
const LOINC = 'http://loinc.org';
const SNOMED = 'http://snomed.info/sct';
const ICD10CM = 'http://hl7.org/fhir/sid/icd-10-cm';
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const UCUM = 'http://unitsofmeasure.org';

/** ISO date-time `days` days before NOW (same time of day). */
function daysAgo(days: number, time = '08:00:00'): string {
  const d = new Date(NOW.getTime() - days * 86_400_000);
  return `${d.toISOString().slice(0, 10)}T${time}Z`;
}

/** ISO date (no time) `days` days before NOW. */
function dayAgo(days: number): string {
  return new Date(NOW.getTime() - days * 86_400_000).toISOString().slice(0, 10);
}

function patient(over: Partial<Patient> = {}): Patient {
  return { resourceType: 'Patient', id: PID, gender: 'female', birthDate: '1976-03-15', ...over };
}

function raceExtension(code: string, display: string): NonNullable<Patient['extension']>[number] {
  return {
    url: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-race',
    extension: [
      { url: 'ombCategory', valueCoding: { system: 'urn:oid:2.16.840.1.113883.6.238', code, display } },
      { url: 'text', valueString: display },
    ],
  };
}

function quantityObs(
  id: string,
  loinc: string,
  value: number,
  unit: string,
  effective: string,
  over: Partial<Observation> = {},
): Observation {
  return {
    resourceType: 'Observation',
    id,
    status: 'final',
    code: { coding: [{ system: LOINC, code: loinc }] },
    subject: { reference: `Patient/${PID}` },
    effectiveDateTime: effective,
    valueQuantity: { value, unit, system: UCUM, code: unit },
    ...over,
  };
}

function bpPanel(id: string, systolic: number, effective: string, panelCode = '85354-9'): Observation {
  return {
    resourceType: 'Observation',
    id,
    status: 'final',
    code: { coding: [{ system: LOINC, code: panelCode }] },
    subject: { reference: `Patient/${PID}` },
    effectiveDateTime: effective,
    component: [
      { code: { coding: [{ system: LOINC, code: '8480-6' }] }, valueQuantity: { value: systolic, unit: 'mmHg', system: UCUM, code: 'mm[Hg]' } },
      { code: { coding: [{ system: LOINC, code: '8462-4' }] }, valueQuantity: { value: 80, unit: 'mmHg', system: UCUM, code: 'mm[Hg]' } },
    ],
  };
}

function smoking(id: string, snomedCode: string, effective: string): Observation {
  return {
    resourceType: 'Observation',
    id,
    status: 'final',
    code: { coding: [{ system: LOINC, code: '72166-2' }] },
    subject: { reference: `Patient/${PID}` },
    effectiveDateTime: effective,
    valueCodeableConcept: { coding: [{ system: SNOMED, code: snomedCode }] },
  };
}

function condition(id: string, codings: Coding[], over: Partial<Condition> = {}): Condition {
  return {
    resourceType: 'Condition',
    id,
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
    verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }] },
    code: { coding: codings },
    subject: { reference: `Patient/${PID}` },
    onsetDateTime: '2020-01-10',
    ...over,
  };
}

function clinicalStatus(code: string): Condition['clinicalStatus'] {
  return { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code }] };
}

function verificationStatus(code: string): Condition['verificationStatus'] {
  return { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code }] };
}

function rx(code: string | undefined, display?: string, text?: string): CodeableConcept {
  return {
    ...(code !== undefined ? { coding: [{ system: RXNORM, code, ...(display ? { display } : {}) }] } : {}),
    ...(text !== undefined ? { text } : {}),
  };
}

function medRequest(id: string, med: CodeableConcept, over: Partial<MedicationRequest> = {}): MedicationRequest {
  return {
    resourceType: 'MedicationRequest',
    id,
    status: 'active',
    intent: 'order',
    medicationCodeableConcept: med,
    subject: { reference: `Patient/${PID}` },
    authoredOn: '2025-09-01',
    ...over,
  };
}

function medStatement(id: string, med: CodeableConcept, over: Partial<MedicationStatement> = {}): MedicationStatement {
  return {
    resourceType: 'MedicationStatement',
    id,
    status: 'active',
    medicationCodeableConcept: med,
    subject: { reference: `Patient/${PID}` },
    effectiveDateTime: '2025-09-01',
    ...over,
  };
}

function record(parts: Partial<PatientRecord> = {}): PatientRecord {
  return {
    patient: patient(),
    observations: [],
    conditions: [],
    medicationRequests: [],
    medicationStatements: [],
    ...parts,
  };
}

function deepFreeze<T>(o: T): T {
  if (o !== null && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o as Record<string, unknown>)) deepFreeze(v);
  }
  return o;
}

function run(parts: Partial<PatientRecord> = {}, now: Date = NOW): CvdFeatures {
  return extractCvdFeatures(record(parts), now);
}

function problem(f: CvdFeatures, input: string): FeatureProblem | undefined {
  return f.problems.find((p) => p.input === input);
}

// ---------------------------------------------------------------- units

describe('units', () => {
  it('gives the same total cholesterol for mg/dL and mmol/L (1 mmol/L = 38.67 mg/dL)', () => {
    const mg = run({ observations: [quantityObs('tc', '2093-3', 200, 'mg/dL', daysAgo(10))] }).totalCholesterol;
    const mmol = run({ observations: [quantityObs('tc', '14647-2', 200 / 38.67, 'mmol/L', daysAgo(10))] }).totalCholesterol;
    expect(mg?.value).toBe(200);
    expect(mmol?.value).toBeCloseTo(200, 9);
    expect(mmol?.unit).toBe('mg/dL');
    expect(mmol?.originalUnit).toBe('mmol/L');
    expect(mmol?.originalValue).toBeCloseTo(5.172, 3);
  });

  it('gives the same HDL cholesterol for mg/dL and mmol/L', () => {
    const mg = run({ observations: [quantityObs('hdl', '2085-9', 50, 'mg/dL', daysAgo(10))] }).hdlCholesterol;
    const mmol = run({ observations: [quantityObs('hdl', '14646-4', 50 / 38.67, 'mmol/L', daysAgo(10))] }).hdlCholesterol;
    expect(mmol?.value).toBeCloseTo(mg!.value, 9);
  });

  it('falls back to the unit text when there is no UCUM code', () => {
    const obs = quantityObs('tc', '2093-3', 190, 'mg/dL', daysAgo(10), { valueQuantity: { value: 190, unit: 'mg/dl' } });
    expect(run({ observations: [obs] }).totalCholesterol?.value).toBe(190);
  });

  it('does not use a value in an unknown unit and reports a unit problem', () => {
    const f = run({ observations: [quantityObs('tc', '2093-3', 5.2, 'g/L', daysAgo(10))] });
    expect(f.totalCholesterol).toBeUndefined();
    expect(problem(f, 'total_cholesterol')).toMatchObject({ kind: 'unit', source: ['Observation/tc'] });
    expect(problem(f, 'total_cholesterol')?.detail).toContain("'g/L'");
  });

  it('does not use a value with no unit at all', () => {
    const obs = quantityObs('sbp', '8480-6', 130, 'mm[Hg]', daysAgo(3), { valueQuantity: { value: 130 } });
    const f = run({ observations: [obs] });
    expect(f.systolicBp).toBeUndefined();
    expect(problem(f, 'systolic_bp')?.kind).toBe('unit');
  });
});

// ---------------------------------------------------------------- choosing a value

describe('most recent valid value', () => {
  it('takes systolic BP from a standalone 8480-6 when it is newer than a panel', () => {
    const f = run({ observations: [bpPanel('panel', 150, daysAgo(10)), quantityObs('sbp', '8480-6', 130, 'mm[Hg]', daysAgo(5))] });
    expect(f.systolicBp).toMatchObject({ value: 130, unit: 'mm[Hg]', source: ['Observation/sbp'] });
  });

  it('takes systolic BP from the 8480-6 component of a panel when the panel is newer', () => {
    const f = run({ observations: [bpPanel('panel', 150, daysAgo(5), '55284-4'), quantityObs('sbp', '8480-6', 130, 'mm[Hg]', daysAgo(10))] });
    expect(f.systolicBp).toMatchObject({ value: 150, source: ['Observation/panel'], date: daysAgo(5) });
  });

  it('averages the systolic BP readings of the most recent day and says so', () => {
    const f = run({ observations: [bpPanel('a', 140, daysAgo(2, '09:00:00')), bpPanel('b', 130, daysAgo(2, '09:10:00')), bpPanel('old', 170, daysAgo(30))] });
    expect(f.systolicBp?.value).toBe(135);
    expect(f.systolicBp?.source).toEqual(['Observation/a', 'Observation/b']);
    expect(f.systolicBp?.derived).toContain('mean of 2 readings');
  });

  it('uses a value exactly at the lookback limit', () => {
    const obs = quantityObs('tc', '2093-3', 200, 'mg/dL', daysAgo(DEFAULT_FEATURE_CONFIG.lipidsLookbackDays));
    const f = run({ observations: [obs] });
    expect(f.totalCholesterol?.value).toBe(200);
    expect(problem(f, 'total_cholesterol')).toBeUndefined();
  });

  it('reports a value one day past the lookback limit as stale, naming its date', () => {
    const date = daysAgo(DEFAULT_FEATURE_CONFIG.lipidsLookbackDays + 1);
    const f = run({ observations: [quantityObs('tc', '2093-3', 200, 'mg/dL', date)] });
    expect(f.totalCholesterol).toBeUndefined();
    expect(problem(f, 'total_cholesterol')).toMatchObject({ kind: 'stale', source: ['Observation/tc'] });
    expect(problem(f, 'total_cholesterol')?.detail).toContain(date.slice(0, 10));
  });

  it('applies a configured lookback window', () => {
    const obs = bpPanel('p', 128, daysAgo(40));
    const config = { ...DEFAULT_FEATURE_CONFIG, bpLookbackDays: 30 };
    const f = extractCvdFeatures(record({ observations: [obs] }), NOW, config);
    expect(f.systolicBp).toBeUndefined();
    expect(problem(f, 'systolic_bp')?.kind).toBe('stale');
  });

  it('reports missing when there is no value at all', () => {
    expect(problem(run(), 'hdl_cholesterol')).toMatchObject({ kind: 'missing' });
  });

  it('skips a physiologically impossible value and uses the earlier valid one', () => {
    const f = run({
      observations: [quantityObs('new', '2093-3', 2000, 'mg/dL', daysAgo(5)), quantityObs('old', '2093-3', 210, 'mg/dL', daysAgo(100))],
    });
    expect(f.totalCholesterol).toMatchObject({ value: 210, source: ['Observation/old'] });
    expect(problem(f, 'total_cholesterol')).toBeUndefined();
    expect(f.totalCholesterol?.notes?.[0]).toContain('Observation/new');
  });

  it('reports implausible when no valid value remains', () => {
    const f = run({ observations: [bpPanel('p', 20, daysAgo(5))] });
    expect(f.systolicBp).toBeUndefined();
    expect(problem(f, 'systolic_bp')).toMatchObject({ kind: 'implausible', source: ['Observation/p'] });
  });

  it('ignores a preliminary result', () => {
    const f = run({
      observations: [
        quantityObs('prelim', '2085-9', 80, 'mg/dL', daysAgo(2), { status: 'preliminary' }),
        quantityObs('final', '2085-9', 45, 'mg/dL', daysAgo(60)),
      ],
    });
    expect(f.hdlCholesterol).toMatchObject({ value: 45, source: ['Observation/final'] });
  });

  it('ignores an entered-in-error result', () => {
    const f = run({ observations: [quantityObs('e', '2085-9', 45, 'mg/dL', daysAgo(2), { status: 'entered-in-error' })] });
    expect(f.hdlCholesterol).toBeUndefined();
    expect(problem(f, 'hdl_cholesterol')?.kind).toBe('missing');
  });

  it('does not use a result dated in the future', () => {
    const future = new Date(NOW.getTime() + 3 * 86_400_000).toISOString();
    const f = run({ observations: [quantityObs('f', '2093-3', 200, 'mg/dL', future)] });
    expect(f.totalCholesterol).toBeUndefined();
  });

  it('falls back to effectivePeriod and then to issued for the date', () => {
    const period = quantityObs('p', '2093-3', 200, 'mg/dL', daysAgo(1));
    delete (period as { effectiveDateTime?: string }).effectiveDateTime;
    const withPeriod = { ...period, effectivePeriod: { start: daysAgo(4), end: daysAgo(3) } };
    const issuedOnly = { ...period, id: 'i', issued: daysAgo(6) };
    expect(run({ observations: [withPeriod] }).totalCholesterol?.date).toBe(daysAgo(3));
    expect(run({ observations: [issuedOnly] }).totalCholesterol?.date).toBe(daysAgo(6));
  });

  it('does not use a result recorded for another patient', () => {
    const obs = quantityObs('x', '2093-3', 200, 'mg/dL', daysAgo(5), { subject: { reference: 'Patient/someone-else' } });
    const f = run({ observations: [obs] });
    expect(f.totalCholesterol).toBeUndefined();
    expect(problem(f, 'total_cholesterol')?.detail).toContain('Patient/someone-else');
  });

  it('does not use a value reported only as a bound (">90")', () => {
    const obs = quantityObs('e', '98979-8', 90, 'mL/min/{1.73_m2}', daysAgo(5));
    const censored = { ...obs, valueQuantity: { ...obs.valueQuantity!, comparator: '>' as const } };
    const f = run({ observations: [censored] });
    expect(f.egfr).toBeUndefined();
    expect(problem(f, 'egfr')?.detail).toContain("'>90'");
  });
});

describe('same-day results', () => {
  it('reports two total cholesterol results on the same day differing by more than 10 % as contradictory and uses neither', () => {
    const f = run({
      observations: [quantityObs('a', '2093-3', 200, 'mg/dL', daysAgo(5, '08:00:00')), quantityObs('b', '2093-3', 250, 'mg/dL', daysAgo(5, '10:00:00'))],
    });
    expect(f.totalCholesterol).toBeUndefined();
    expect(problem(f, 'total_cholesterol')).toMatchObject({ kind: 'contradictory', source: ['Observation/a', 'Observation/b'] });
  });

  it('takes the later of two same-day results that agree within 10 %', () => {
    const f = run({
      observations: [quantityObs('a', '2093-3', 200, 'mg/dL', daysAgo(5, '08:00:00')), quantityObs('b', '2093-3', 210, 'mg/dL', daysAgo(5, '10:00:00'))],
    });
    expect(f.totalCholesterol).toMatchObject({ value: 210, source: ['Observation/b'] });
  });
});

// ---------------------------------------------------------------- smoking

describe('smoking status', () => {
  it('maps current every day smoker to true', () => {
    expect(run({ observations: [smoking('s', '449868002', daysAgo(10))] }).currentSmoker?.value).toBe(true);
  });

  it('takes a newer never-smoker answer over an older current smoker one without calling it a contradiction', () => {
    const f = run({ observations: [smoking('old', '449868002', daysAgo(200)), smoking('new', '266919005', daysAgo(10))] });
    expect(f.currentSmoker).toMatchObject({ value: false, source: ['Observation/new'] });
    expect(problem(f, 'current_smoker')).toBeUndefined();
  });

  it('skips an "unknown if ever smoked" answer and uses the older known one', () => {
    const f = run({ observations: [smoking('old', '8517006', daysAgo(100)), smoking('unk', '266927001', daysAgo(10))] });
    expect(f.currentSmoker).toMatchObject({ value: false, source: ['Observation/old'] });
  });

  it('reports smoking status as missing when it is only recorded as unknown', () => {
    const f = run({ observations: [smoking('unk', '266927001', daysAgo(10))] });
    expect(f.currentSmoker).toBeUndefined();
    expect(problem(f, 'current_smoker')).toMatchObject({ kind: 'missing', source: ['Observation/unk'] });
  });

  it('reports conflicting smoking answers on the same day as contradictory', () => {
    const f = run({ observations: [smoking('a', '449868002', daysAgo(10, '09:00:00')), smoking('b', '266919005', daysAgo(10, '11:00:00'))] });
    expect(f.currentSmoker).toBeUndefined();
    expect(problem(f, 'current_smoker')?.kind).toBe('contradictory');
  });
});

// ---------------------------------------------------------------- BMI

describe('BMI', () => {
  it('computes BMI from height and weight and says it is derived', () => {
    const f = run({ observations: [quantityObs('h', '8302-2', 165, 'cm', daysAgo(20)), quantityObs('w', '29463-7', 85, 'kg', daysAgo(20))] });
    expect(f.bmi?.value).toBeCloseTo(85 / 1.65 ** 2, 9);
    expect(f.bmi?.unit).toBe('kg/m2');
    expect(f.bmi?.derived).toContain('BMI from height');
    expect(f.bmi?.source).toEqual(['Observation/h', 'Observation/w']);
  });

  it('converts inches and pounds before computing BMI', () => {
    const f = run({ observations: [quantityObs('h', '8302-2', 65, '[in_i]', daysAgo(20)), quantityObs('w', '29463-7', 180, '[lb_av]', daysAgo(20))] });
    expect(f.bmi?.value).toBeCloseTo((180 * 0.45359237) / (65 * 0.0254) ** 2, 9);
  });

  it('prefers a reported BMI that is newer than the height and weight', () => {
    const f = run({
      observations: [
        quantityObs('h', '8302-2', 165, 'cm', daysAgo(100)),
        quantityObs('w', '29463-7', 85, 'kg', daysAgo(100)),
        quantityObs('bmi', '39156-5', 29.1, 'kg/m2', daysAgo(10)),
      ],
    });
    expect(f.bmi).toMatchObject({ value: 29.1, source: ['Observation/bmi'] });
    expect(f.bmi?.derived).toBeUndefined();
  });

  it('does not compute BMI from a height older than the lookback window', () => {
    const f = run({
      observations: [quantityObs('h', '8302-2', 165, 'cm', daysAgo(DEFAULT_FEATURE_CONFIG.bodyLookbackDays + 1)), quantityObs('w', '29463-7', 85, 'kg', daysAgo(20))],
    });
    expect(f.bmi).toBeUndefined();
    expect(problem(f, 'bmi')?.detail).toContain('height');
  });
});

// ---------------------------------------------------------------- eGFR

/** CKD-EPI 2021 written out from the published formula (Inker LA et al., NEJM 2021). */
function handCkdEpi2021(scr: number, age: number, female: boolean): number {
  const k = female ? 0.7 : 0.9;
  const a = female ? -0.241 : -0.302;
  const r = scr / k;
  return 142 * Math.pow(Math.min(r, 1), a) * Math.pow(Math.max(r, 1), -1.2) * Math.pow(0.9938, age) * (female ? 1.012 : 1);
}

describe('eGFR', () => {
  it('calculates eGFR from creatinine by CKD-EPI 2021 (female, 50 years, 0.8 mg/dL = 89.7)', () => {
    // Hand calculation: 0.8/0.7 = 1.142857; 1.142857^-1.2 = 0.85194; 0.9938^50 = 0.73276;
    // 142 x 0.85194 x 0.73276 x 1.012 = 89.71 mL/min/1.73 m2.
    const f = run({
      patient: patient({ gender: 'female', birthDate: '1976-01-15' }),
      observations: [quantityObs('cr', '2160-0', 0.8, 'mg/dL', daysAgo(10))],
    });
    expect(f.egfr?.value).toBeCloseTo(89.71, 1);
    expect(f.egfr?.value).toBeCloseTo(handCkdEpi2021(0.8, 50, true), 9);
    expect(f.egfr?.unit).toBe('mL/min/{1.73_m2}');
    expect(f.egfr?.derived).toContain('CKD-EPI 2021');
    expect(f.egfr?.source).toEqual(['Observation/cr']);
  });

  it('calculates eGFR for a male above the creatinine knot (60 years, 1.2 mg/dL = 69.2)', () => {
    const f = run({
      patient: patient({ gender: 'male', birthDate: '1966-01-15' }),
      observations: [quantityObs('cr', '2160-0', 1.2, 'mg/dL', daysAgo(10))],
    });
    expect(f.egfr?.value).toBeCloseTo(handCkdEpi2021(1.2, 60, false), 9);
    expect(f.egfr?.value).toBeCloseTo(69.2, 1);
  });

  it('gives the same eGFR for creatinine in umol/L (88.42 umol/L per mg/dL)', () => {
    const p = patient({ gender: 'female', birthDate: '1976-01-15' });
    const mg = run({ patient: p, observations: [quantityObs('cr', '2160-0', 0.8, 'mg/dL', daysAgo(10))] }).egfr;
    const umol = run({ patient: p, observations: [quantityObs('cr', '14682-9', 0.8 * 88.42, 'umol/L', daysAgo(10))] }).egfr;
    expect(umol?.value).toBeCloseTo(mg!.value, 9);
  });

  it('prefers a reported CKD-EPI 2021 eGFR over one calculated from creatinine on the same day', () => {
    const f = run({
      observations: [quantityObs('cr', '2160-0', 0.8, 'mg/dL', daysAgo(10)), quantityObs('egfr', '98979-8', 88, 'mL/min/{1.73_m2}', daysAgo(10))],
    });
    expect(f.egfr).toMatchObject({ value: 88, source: ['Observation/egfr'] });
  });

  it('cannot calculate eGFR from creatinine when sex is unknown, and says why', () => {
    const f = run({ patient: patient({ gender: 'unknown' }), observations: [quantityObs('cr', '2160-0', 0.8, 'mg/dL', daysAgo(10))] });
    expect(f.egfr).toBeUndefined();
    expect(problem(f, 'egfr')?.detail).toContain('sex is not known');
  });
});

// ---------------------------------------------------------------- demographics

describe('age, sex and race', () => {
  it('gives age in whole years at now', () => {
    const f = run({ patient: patient({ birthDate: '1976-06-02' }) });
    expect(f.age).toMatchObject({ value: 49, unit: 'a', source: [`Patient/${PID}`] });
  });

  it('reports a missing birth date as a problem', () => {
    const p = patient();
    delete p.birthDate;
    const f = run({ patient: p });
    expect(f.age).toBeUndefined();
    expect(problem(f, 'age')?.kind).toBe('missing');
  });

  it('uses a year-and-month birth date when the age is the same whichever day it was', () => {
    expect(run({ patient: patient({ birthDate: '1976-03' }) }).age?.value).toBe(50);
  });

  it('does not guess the age from a year-only birth date', () => {
    const f = run({ patient: patient({ birthDate: '1976' }) });
    expect(f.age).toBeUndefined();
    expect(problem(f, 'age')).toMatchObject({ kind: 'missing' });
    expect(problem(f, 'age')?.detail).toContain('49 or 50');
  });

  it('reports a birth date in the future as implausible', () => {
    expect(problem(run({ patient: patient({ birthDate: '2027-01-01' }) }), 'age')?.kind).toBe('implausible');
  });

  it('reports gender unknown as a missing sex', () => {
    const f = run({ patient: patient({ gender: 'unknown' }) });
    expect(f.sex).toBeUndefined();
    expect(problem(f, 'sex')?.kind).toBe('missing');
  });

  it('reports gender and birth sex that disagree as contradictory', () => {
    const p = patient({
      gender: 'female',
      extension: [{ url: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex', valueCode: 'M' }],
    });
    const f = run({ patient: p });
    expect(f.sex).toBeUndefined();
    expect(problem(f, 'sex')?.kind).toBe('contradictory');
  });

  it('maps the US Core race OMB category 2054-5 to the African American equations', () => {
    const f = run({ patient: patient({ extension: [raceExtension('2054-5', 'Black or African American')] }) });
    expect(f.race).toEqual({ group: 'african-american', text: 'Black or African American', source: [`Patient/${PID}`] });
  });

  it('uses the white/other group and says "not recorded" without a race extension', () => {
    expect(run().race).toEqual({ group: 'white-or-other', text: 'not recorded' });
  });
});

// ---------------------------------------------------------------- conditions

const T2DM = { system: SNOMED, code: '44054006', display: 'Type 2 diabetes mellitus' };
const MI = { system: SNOMED, code: '22298006', display: 'Myocardial infarction' };

describe('conditions', () => {
  it('sets diabetes from an active confirmed SNOMED CT diagnosis', () => {
    const f = run({ conditions: [condition('dm', [T2DM])] });
    expect(f.diabetes.present).toBe(true);
    expect(f.diabetes.evidence[0]).toContain('SNOMED 44054006');
    expect(f.diabetes.source).toEqual(['Condition/dm']);
  });

  it('matches ICD-10-CM by prefix', () => {
    const f = run({ conditions: [condition('dm', [{ system: ICD10CM, code: 'E11.65', display: 'Type 2 diabetes mellitus with hyperglycemia' }])] });
    expect(f.diabetes.present).toBe(true);
    expect(f.diabetes.evidence[0]).toContain('ICD-10-CM E11.65');
  });

  it('matches an ICD-10-CM code written without the dot', () => {
    expect(run({ conditions: [condition('dm', [{ system: ICD10CM, code: 'E1165' }])] }).diabetes.present).toBe(true);
  });

  it('ignores an entered-in-error condition', () => {
    const f = run({ conditions: [condition('dm', [T2DM], { verificationStatus: verificationStatus('entered-in-error') })] });
    expect(f.diabetes.present).toBe(false);
  });

  it('ignores an inactive diabetes diagnosis (and notes it)', () => {
    const f = run({ conditions: [condition('dm', [T2DM], { clinicalStatus: clinicalStatus('inactive') })] });
    expect(f.diabetes.present).toBe(false);
    expect(f.diabetes.notes?.[0]).toContain('inactive');
  });

  it('does not count a provisional diagnosis', () => {
    const f = run({ conditions: [condition('dm', [T2DM], { verificationStatus: verificationStatus('provisional') })] });
    expect(f.diabetes.present).toBe(false);
  });

  it('does not count gestational diabetes (O24.4)', () => {
    expect(run({ conditions: [condition('gdm', [{ system: ICD10CM, code: 'O24.410' }])] }).diabetes.present).toBe(false);
  });

  it('notes an HbA1c in the diabetic range without setting diabetes', () => {
    const f = run({ observations: [quantityObs('a1c', '4548-4', 7.1, '%', daysAgo(30))] });
    expect(f.diabetes.present).toBe(false);
    expect(f.diabetes.notes?.[0]).toContain('HbA1c 7.1 %');
  });

  it('counts a myocardial infarction as clinical ASCVD even when recorded as resolved (history)', () => {
    const f = run({ conditions: [condition('mi', [MI], { clinicalStatus: clinicalStatus('resolved') })] });
    expect(f.clinicalAscvd.present).toBe(true);
    expect(f.clinicalAscvd.evidence[0]).toContain('resolved');
  });

  it('counts ischaemic stroke, TIA and PAD by ICD-10-CM prefix', () => {
    for (const code of ['I63.9', 'G45.9', 'I73.9', 'I70.212', 'Z95.1']) {
      expect(run({ conditions: [condition('c', [{ system: ICD10CM, code }])] }).clinicalAscvd.present).toBe(true);
    }
  });

  it('does not count haemorrhagic stroke, transient global amnesia or aortic atherosclerosis as clinical ASCVD', () => {
    for (const code of ['I61.9', 'G45.4', 'I70.0', 'I63.6']) {
      expect(run({ conditions: [condition('c', [{ system: ICD10CM, code }])] }).clinicalAscvd.present).toBe(false);
    }
  });

  it('does not count a refuted myocardial infarction', () => {
    const f = run({ conditions: [condition('mi', [MI], { verificationStatus: verificationStatus('refuted') })] });
    expect(f.clinicalAscvd.present).toBe(false);
  });
});

// ---------------------------------------------------------------- medications

describe('medications', () => {
  it('finds a statin by RxNorm ingredient code', () => {
    const f = run({ medicationRequests: [medRequest('mr', rx('83367', 'atorvastatin'))] });
    expect(f.onStatin.present).toBe(true);
    expect(f.onStatin.evidence[0]).toContain('RxNorm ingredient 83367');
    expect(f.onStatin.source).toEqual(['MedicationRequest/mr']);
  });

  it('finds a statin by RxNorm clinical drug code alone', () => {
    const f = run({ medicationRequests: [medRequest('mr', rx('617310'))] });
    expect(f.onStatin.present).toBe(true);
    expect(f.onStatin.evidence[0]).toContain('RxNorm clinical drug 617310');
  });

  it('finds a statin by text as a last resort and says so', () => {
    const f = run({ medicationStatements: [medStatement('ms', rx(undefined, undefined, 'Lipitor 20mg once daily'))] });
    expect(f.onStatin.present).toBe(true);
    expect(f.onStatin.evidence[0]).toContain('matched on text');
  });

  it('ignores a stopped MedicationRequest', () => {
    const f = run({ medicationRequests: [medRequest('mr', rx('83367', 'atorvastatin'), { status: 'stopped' })] });
    expect(f.onStatin.present).toBe(false);
    expect(f.onStatin.notes?.[0]).toContain("'stopped'");
  });

  it('ignores a do-not-perform order', () => {
    expect(run({ medicationRequests: [medRequest('mr', rx('83367'), { doNotPerform: true })] }).onStatin.present).toBe(false);
  });

  it('ignores a proposal', () => {
    expect(run({ medicationRequests: [medRequest('mr', rx('83367'), { intent: 'proposal' })] }).onStatin.present).toBe(false);
  });

  it('counts an active MedicationStatement but not a completed one', () => {
    expect(run({ medicationStatements: [medStatement('ms', rx('36567'))] }).onStatin.present).toBe(true);
    expect(run({ medicationStatements: [medStatement('ms', rx('36567'), { status: 'completed' })] }).onStatin.present).toBe(false);
  });

  it('finds BP-lowering treatment by ingredient and names the class', () => {
    const f = run({ medicationRequests: [medRequest('mr', rx('29046', 'lisinopril'))] });
    expect(f.bpTreated.present).toBe(true);
    expect(f.bpTreated.evidence[0]).toContain('ACE inhibitor');
  });

  it('counts an amlodipine/atorvastatin combination as both a statin and BP-lowering', () => {
    const f = run({ medicationRequests: [medRequest('mr', rx('597980'))] });
    expect(f.onStatin.present).toBe(true);
    expect(f.bpTreated.present).toBe(true);
  });

  it('does not count timolol eye drops as BP-lowering', () => {
    const f = run({ medicationRequests: [medRequest('mr', rx(undefined, undefined, 'timolol 0.5 % ophthalmic solution'))] });
    expect(f.bpTreated.present).toBe(false);
  });

  it('reads a contained Medication', () => {
    const mr = medRequest('mr', rx('x'));
    delete mr.medicationCodeableConcept;
    const withRef: MedicationRequest = {
      ...mr,
      contained: [{ resourceType: 'Medication', id: 'm1', code: rx('617311', 'atorvastatin 40 MG Oral Tablet') }],
      medicationReference: { reference: '#m1' },
    };
    expect(run({ medicationRequests: [withRef] }).onStatin.present).toBe(true);
  });
});

// ---------------------------------------------------------------- purity

describe('inputs are not changed', () => {
  it('works on deep-frozen inputs and leaves them as they were', () => {
    const rec = record({
      patient: patient({ extension: [raceExtension('2054-5', 'Black or African American')] }),
      observations: [
        quantityObs('tc1', '2093-3', 5.2, 'mmol/L', daysAgo(20)),
        quantityObs('tc2', '2093-3', 210, 'mg/dL', daysAgo(400)),
        quantityObs('hdl', '2085-9', 50, 'mg/dL', daysAgo(20)),
        bpPanel('bp1', 140, daysAgo(5, '09:00:00')),
        bpPanel('bp2', 136, daysAgo(5, '09:05:00')),
        smoking('s', '449868002', daysAgo(5)),
        quantityObs('h', '8302-2', 170, 'cm', daysAgo(5)),
        quantityObs('w', '29463-7', 80, 'kg', daysAgo(5)),
        quantityObs('cr', '2160-0', 1.0, 'mg/dL', daysAgo(20)),
      ],
      conditions: [condition('dm', [T2DM]), condition('mi', [MI], { clinicalStatus: clinicalStatus('resolved') })],
      medicationRequests: [medRequest('mr', rx('83367'))],
      medicationStatements: [medStatement('ms', rx(undefined, undefined, 'amlodipine 5 mg'))],
    });
    const before = JSON.stringify(rec);
    deepFreeze(rec);
    const f = extractCvdFeatures(rec, NOW);
    expect(JSON.stringify(rec)).toBe(before);
    expect(f.totalCholesterol?.value).toBeCloseTo(5.2 * 38.67, 9);
    expect(f.systolicBp?.value).toBe(138);
    expect(f.onStatin.present && f.bpTreated.present && f.diabetes.present && f.clinicalAscvd.present).toBe(true);
  });
});
