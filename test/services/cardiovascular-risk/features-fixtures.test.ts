import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Bundle, Condition, MedicationRequest, MedicationStatement, Observation, Patient } from 'fhir/r4.js';
import { extractCvdFeatures, type CvdFeatures, type PatientRecord } from '../../../src/services/cardiovascular-risk/features/index.js';

/*
 * extractCvdFeatures on the synthetic CVD patients in fhir-fixtures/ (see its README, "Who is
 * who"), at the fixtures' anchor date. Expected values are the inputs stated in that table.
 */

const ANCHOR = new Date('2026-06-01T00:00:00Z');

function load(file: string): PatientRecord {
  const bundle = JSON.parse(readFileSync(resolve(process.cwd(), 'fhir-fixtures', file), 'utf8')) as Bundle;
  const resources = (bundle.entry ?? []).map((e) => e.resource!);
  return {
    patient: resources.find((r): r is Patient => r.resourceType === 'Patient'),
    observations: resources.filter((r): r is Observation => r.resourceType === 'Observation'),
    conditions: resources.filter((r): r is Condition => r.resourceType === 'Condition'),
    medicationRequests: resources.filter((r): r is MedicationRequest => r.resourceType === 'MedicationRequest'),
    medicationStatements: resources.filter((r): r is MedicationStatement => r.resourceType === 'MedicationStatement'),
  };
}

function features(file: string): CvdFeatures {
  return extractCvdFeatures(load(file), ANCHOR);
}

describe('features of the fixture patients', () => {
  it('01 high-risk male: the recent panel, BP and smoking status, not the older ones', () => {
    const f = features('01-cvd-high-risk-male.json');
    expect(f.age?.value).toBe(65);
    expect(f.sex?.value).toBe('male');
    expect(f.race.group).toBe('white-or-other');
    expect(f.totalCholesterol?.value).toBe(240);
    expect(f.hdlCholesterol?.value).toBe(35);
    expect(f.ldlCholesterol?.value).toBe(165);
    expect(f.systolicBp?.value).toBe(160);
    expect(f.currentSmoker?.value).toBe(true);
    expect(f.bmi?.value).toBe(28.4);
    expect(f.egfr?.value).toBe(78);
    expect(f.bpTreated.present).toBe(true);
    expect(f.onStatin.present).toBe(false);
    expect(f.diabetes.present).toBe(false);
    expect(f.clinicalAscvd.present).toBe(false);
    expect(f.problems).toEqual([]);
  });

  it('02 and 03: a statin from a MedicationRequest or only from a MedicationStatement', () => {
    expect(features('02-cvd-on-statin.json').onStatin.present).toBe(true);
    const f = features('03-cvd-statin-statement.json');
    expect(f.onStatin.present).toBe(true);
    expect(f.onStatin.source?.[0]).toMatch(/^MedicationStatement\//);
  });

  it('04 missing lipids: cholesterol reported missing, the rest present', () => {
    const f = features('04-cvd-missing-lipids.json');
    expect(f.totalCholesterol).toBeUndefined();
    expect(f.problems.map((p) => `${p.input}:${p.kind}`)).toEqual(
      expect.arrayContaining(['total_cholesterol:missing', 'hdl_cholesterol:missing']),
    );
    expect(f.currentSmoker?.value).toBe(false);
    expect(f.systolicBp?.value).toBe(142);
  });

  it('06 lipids in mmol/L convert to mg/dL (6.21 -> 240.1, 0.91 -> 35.2)', () => {
    const f = features('06-cvd-mmol.json');
    expect(f.totalCholesterol?.value).toBeCloseTo(240.1, 1);
    expect(f.totalCholesterol?.originalUnit).toBe('mmol/L');
    expect(f.hdlCholesterol?.value).toBeCloseTo(35.2, 1);
  });

  it('07 and 08: race group from the US Core race extension', () => {
    expect(features('07-cvd-black-female.json').race.group).toBe('african-american');
    expect(features('08-cvd-white-female.json').race.group).toBe('white-or-other');
  });

  it('09 and 10: clinical ASCVD from myocardial infarction, ischaemic stroke and PAD codes', () => {
    expect(features('09-cvd-secondary-prevention.json').clinicalAscvd.present).toBe(true);
    const f = features('10-cvd-stroke-pad.json');
    expect(f.clinicalAscvd.evidence).toHaveLength(2);
    expect(f.bpTreated.present).toBe(true);
  });

  it('11 diabetic: diabetes, eGFR 58.2 by CKD-EPI 2021 from creatinine, BMI 31.2 from height and weight', () => {
    const f = features('11-cvd-diabetic.json');
    expect(f.diabetes.present).toBe(true);
    expect(f.egfr?.value).toBeCloseTo(58.2, 1);
    expect(f.egfr?.derived).toContain('CKD-EPI 2021');
    expect(f.bmi?.value).toBeCloseTo(31.2, 1);
    expect(f.bmi?.derived).toContain('height');
    expect(f.ldlCholesterol?.value).toBe(152);
    expect(f.problems).toEqual([]);
  });
});
