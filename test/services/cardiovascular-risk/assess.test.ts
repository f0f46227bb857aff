import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MODELS_DIR } from '../../../src/app.js';
import { ModelRuntime } from '../../../src/models/runtime.js';
import { pce } from '../../../src/models/reference/pce.js';
import { prevent } from '../../../src/models/reference/prevent.js';
import { assessCardiovascularRisk, categorize } from '../../../src/services/cardiovascular-risk/assess.js';
import type { CvdFeatures, Measured } from '../../../src/services/cardiovascular-risk/features/index.js';

const m = <T,>(value: T, unit = '1'): Measured<T> => ({ value, unit, date: '2026-11-01', source: ['Observation/x'] });
const no = { present: false, evidence: [] };
const yes = { present: true, evidence: ['on file'], source: ['Condition/c'] };

/** A 60-year-old White man with moderate risk factors, every input present and in range. */
function features(over: Partial<CvdFeatures> = {}): CvdFeatures {
  return {
    age: m(60, 'a'),
    sex: m<'female' | 'male'>('male'),
    race: { group: 'white-or-other', text: 'White' },
    totalCholesterol: m(200, 'mg/dL'),
    hdlCholesterol: m(45, 'mg/dL'),
    ldlCholesterol: m(120, 'mg/dL'),
    systolicBp: m(135, 'mm[Hg]'),
    currentSmoker: m(false),
    bmi: m(27, 'kg/m2'),
    egfr: m(85, 'mL/min/{1.73_m2}'),
    diabetes: no,
    clinicalAscvd: no,
    bpTreated: no,
    onStatin: no,
    problems: [],
    ...over,
  };
}

describe('cardiovascular assessment (2018 AHA/ACC primary prevention)', () => {
  let models: ModelRuntime;
  beforeAll(async () => {
    models = await ModelRuntime.load(MODELS_DIR);
  });
  afterAll(async () => models.close());

  it('categorises PCE risk at the guideline cut points: 5, 7.5 and 20 % (lower bound inclusive)', () => {
    expect([0.0499, 0.05, 0.0749, 0.075, 0.1999, 0.2].map(categorize)).toEqual(['low', 'borderline', 'borderline', 'intermediate', 'intermediate', 'high']);
  });

  it('the PCE and PREVENT numbers are the published equations on the given inputs', async () => {
    const a = await assessCardiovascularRisk(features(), models);
    const x = { age: 60, totalCholesterol: 200, hdlCholesterol: 45, systolicBp: 135, bpTreated: false, currentSmoker: false, diabetes: false };
    expect(a.pce?.result.risk).toBeCloseTo(pce('white', 'male', x).risk, 4);
    expect(a.prevent.cvd?.risk).toBeCloseTo(prevent('cvd', 'male', { ...x, bmi: 27, egfr: 85, statin: false }).risk, 5);
    expect(a.prevent.hf?.risk).toBeCloseTo(prevent('hf', 'male', { ...x, bmi: 27, egfr: 85, statin: false }).risk, 5);
  });

  it('LDL-C >= 190 -> high-intensity statin whatever the score', async () => {
    const a = await assessCardiovascularRisk(features({ ldlCholesterol: m(195, 'mg/dL') }), models);
    expect(a.outcome).toEqual({ kind: 'statin-advised-regardless', reason: 'ldl190', intensity: 'high' });
  });

  it('age 76-79 -> a number but no automatic statin: clinical assessment', async () => {
    const a = await assessCardiovascularRisk(features({ age: m(78, 'a') }), models);
    expect(a.pce).toBeDefined();
    expect(a.outcome.kind).toBe('clinical-assessment');
  });

  it('LDL-C below 70 -> no statin from the score, and a note saying why', async () => {
    const a = await assessCardiovascularRisk(features({ ldlCholesterol: m(65, 'mg/dL'), currentSmoker: m(true), age: m(70, 'a') }), models);
    expect(a.pce?.category).not.toBe('low');
    expect(a.outcome.kind).toBe('lifestyle');
    expect(a.notes).toContain('ldl-below-70');
  });

  it('a stale or missing input gives no PCE number and names the input', async () => {
    const a = await assessCardiovascularRisk(
      features({ systolicBp: undefined, problems: [{ input: 'systolic_bp', kind: 'stale', detail: 'The latest systolic BP (2024-01-02) is older than 365 days.' }] }),
      models,
    );
    expect(a.pce).toBeUndefined();
    expect(a.pceUnavailable.map((r) => r.short)).toEqual(['systolic blood pressure out of date']);
    expect(a.outcome.kind).toBe('not-calculated');
  });

  it('an input outside the equation range gives no number for that equation only', async () => {
    const a = await assessCardiovascularRisk(features({ systolicBp: m(190, 'mm[Hg]') }), models);
    expect(a.pce).toBeDefined(); // PCE valid to 200 mmHg
    expect(a.prevent.cvd).toBeUndefined(); // PREVENT valid to 180 mmHg
    expect(a.preventUnavailable[0]?.short).toBe('systolic blood pressure 190 outside 90-180');
  });

  it('a missing BMI blocks only the heart-failure estimate', async () => {
    const a = await assessCardiovascularRisk(features({ bmi: undefined }), models);
    expect(a.prevent.cvd).toBeDefined();
    expect(a.prevent.ascvd).toBeDefined();
    expect(a.prevent.hf).toBeUndefined();
    expect(a.hfUnavailable.map((r) => r.input)).toEqual(['bmi']);
  });

  it('unknown sex gives no number (the equations are sex-specific)', async () => {
    const a = await assessCardiovascularRisk(features({ sex: undefined }), models);
    expect(a.pce).toBeUndefined();
    expect(a.prevent.cvd).toBeUndefined();
  });

  it('smoking, blood pressure and cholesterol are named as drivers, largest first', async () => {
    const a = await assessCardiovascularRisk(features({ currentSmoker: m(true), systolicBp: m(160, 'mm[Hg]'), bpTreated: yes }), models);
    const drivers = a.pce!.drivers;
    expect(drivers.map((d) => d.factor)).toEqual(expect.arrayContaining(['smoking', 'blood_pressure', 'total_cholesterol', 'hdl_cholesterol']));
    expect([...drivers].sort((x, y) => y.points - x.points)).toEqual(drivers);
  });

  it('never advises a statin to someone already on one, whatever else is true', async () => {
    for (const over of [{}, { diabetes: yes }, { ldlCholesterol: m(200, 'mg/dL') }, { currentSmoker: m(true), systolicBp: m(170, 'mm[Hg]') }]) {
      const a = await assessCardiovascularRisk(features({ ...over, onStatin: yes }), models);
      expect(a.outcome.kind).not.toMatch(/^statin-advised/);
    }
  });
});
