/** Published worked examples, reproduced by the ONNX models themselves. */
import { afterAll, describe, expect, it } from '@jest/globals';
import * as ort from '../../src/models/ort.js';
import { iwpc } from '../../src/models/reference/iwpc.js';
import { pce } from '../../src/models/reference/pce.js';
import { prevent } from '../../src/models/reference/prevent.js';
import { coefficients, onnxPath, runOnnx } from './model-test-utils.js';

const sessions: ort.InferenceSession[] = [];
async function run(id: string, row: number[]): Promise<{ value: number; contributions: number[] }> {
  const s = await ort.InferenceSession.create(onnxPath(id));
  sessions.push(s);
  const out = await runOnnx(s, [row]);
  return { value: out.primary[0]!, contributions: out.contributions[0]! };
}

afterAll(async () => {
  for (const s of sessions) await s.release();
});

describe('PCE: guideline example (Goff 2013, Table A)', () => {
  // 55 y, TC 213 mg/dL, HDL-C 50 mg/dL, untreated SBP 120 mmHg, non-smoker, no diabetes.
  // Columns: age, total_cholesterol, hdl_cholesterol, systolic_bp, bp_treated, current_smoker, diabetes
  const row = [55, 213, 50, 120, 0, 0, 0];

  it.each([
    // [model, published %]. White men: exact evaluation (with either published copy of the
    // constants) is 5.38 %; the guideline prints 5.3 %, still within 0.1 percentage point.
    ['pce-white-female', 2.1],
    ['pce-aa-female', 3.0],
    ['pce-white-male', 5.3],
    ['pce-aa-male', 6.1],
  ] as const)('%s -> %s %% (within 0.1 percentage point)', async (id, published) => {
    const { value } = await run(id, row);
    expect(Math.abs(value * 100 - published)).toBeLessThan(0.1);
  });

  it('pce-white-female: the contributions are the guideline\'s "coefficient x value" column', async () => {
    const { value, contributions } = await run('pce-white-female', row);
    const set = coefficients('pce-white-female');
    const byTerm = Object.fromEntries(set.terms.map((t, i) => [t.name, contributions[i]!]));
    const lnAge = Math.log(55);
    expect(byTerm['ln_age']).toBeCloseTo(-29.799 * lnAge, 3);
    expect(byTerm['ln_age_squared']).toBeCloseTo(4.884 * lnAge * lnAge, 3);
    expect(byTerm['ln_untreated_systolic_bp']).toBeCloseTo(1.957 * Math.log(120), 3);
    expect(byTerm['ln_treated_systolic_bp']).toBe(0);
    // Individual sum of coefficient x value, evaluated exactly: -29.6767.
    const sum = contributions.reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(-29.6767, 3);
    expect(value).toBeCloseTo(1 - Math.pow(0.96652, Math.exp(sum - -29.1817)), 6);
  });
});

describe('PREVENT: supplement example (Khan 2024)', () => {
  // Woman, 50 y, TC 200, HDL-C 45, SBP 160 on BP treatment, diabetes, non-smoker, BMI 35, eGFR 90, no statin.
  // Columns: age, total_cholesterol, hdl_cholesterol, systolic_bp, diabetes, current_smoker, bmi, egfr, bp_treated, statin
  const row = [50, 200, 45, 160, 1, 0, 35, 90, 1, 0];

  it.each([
    ['prevent-cvd-female', 0.1468],
    ['prevent-ascvd-female', 0.092],
    ['prevent-hf-female', 0.0806],
  ] as const)('%s -> %s (within 0.0005 absolute)', async (id, published) => {
    const { value } = await run(id, row);
    expect(Math.abs(value - published)).toBeLessThan(0.0005);
  });
});

describe('IWPC: hand calculation from the published coefficients', () => {
  it('60-69 y, 170 cm, 80 kg, VKORC1 A/G, CYP2C9 *1/*3, White, no inducer, no amiodarone', async () => {
    // sqrt(weekly dose) = 5.6044 - 0.2614*6 + 0.0087*170 + 0.0128*80 - 0.8677 (A/G) - 0.9357 (*1/*3)
    //                   = 5.6044 - 1.5684 + 1.479 + 1.024 - 0.8677 - 0.9357 = 4.7356
    // weekly dose       = 4.7356^2 = 22.42590736 mg/week
    const sqrtDose = 5.6044 - 0.2614 * 6 + 0.0087 * 170 + 0.0128 * 80 - 0.8677 - 0.9357;
    expect(sqrtDose).toBeCloseTo(4.7356, 10);
    const handDose = sqrtDose * sqrtDose;
    expect(handDose).toBeCloseTo(22.42590736, 8);

    // age_decades, height_cm, weight_kg, vkorc1_ag, vkorc1_aa, vkorc1_unknown, cyp2c9_12, cyp2c9_13, cyp2c9_22,
    // cyp2c9_23, cyp2c9_33, cyp2c9_unknown, race_asian, race_black, race_missing_or_mixed, enzyme_inducer, amiodarone
    const row = [6, 170, 80, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    const { value, contributions } = await run('iwpc-warfarin', row);
    expect(Math.abs(value - handDose) / handDose).toBeLessThan(1e-5);
    // contributions: age_decades, height_cm, weight_kg, vkorc1_ag, ..., cyp2c9_13; every other term 0
    const expected = [-0.2614 * 6, 0.0087 * 170, 0.0128 * 80, -0.8677, 0, 0, 0, -0.9357, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    expect(contributions).toHaveLength(expected.length);
    expected.forEach((x, i) => expect(contributions[i]).toBeCloseTo(x, 5));
    expect(contributions.reduce((a, b) => a + b, 0) + 5.6044).toBeCloseTo(4.7356, 5);
  });
});

describe('the plain TypeScript reference reproduces the same examples (independently of ONNX)', () => {
  it('PCE, all four groups', () => {
    const x = { age: 55, totalCholesterol: 213, hdlCholesterol: 50, systolicBp: 120, bpTreated: false, currentSmoker: false, diabetes: false };
    expect(pce('white', 'female', x).risk * 100).toBeCloseTo(2.05, 2);
    expect(pce('african-american', 'female', x).risk * 100).toBeCloseTo(3.0, 2);
    expect(pce('white', 'male', x).risk * 100).toBeCloseTo(5.38, 2);
    expect(pce('aa', 'male', x).risk * 100).toBeCloseTo(6.06, 2);
  });

  it('PREVENT, woman example', () => {
    const x = { age: 50, totalCholesterol: 200, hdlCholesterol: 45, systolicBp: 160, diabetes: true, currentSmoker: false, bmi: 35, egfr: 90, bpTreated: true, statin: false };
    expect(prevent('cvd', 'female', x).risk).toBeCloseTo(0.1468, 4);
    expect(prevent('ascvd', 'female', x).risk).toBeCloseTo(0.092, 3);
    expect(prevent('hf', 'female', x).risk).toBeCloseTo(0.0806, 4);
  });

  it('IWPC example', () => {
    const zero = { vkorc1Aa: 0, vkorc1Unknown: 0, cyp2c9_12: 0, cyp2c9_22: 0, cyp2c9_23: 0, cyp2c9_33: 0, cyp2c9Unknown: 0, raceAsian: 0, raceBlack: 0, raceMissingOrMixed: 0, enzymeInducer: 0, amiodarone: 0 };
    expect(iwpc({ ...zero, ageDecades: 6, heightCm: 170, weightKg: 80, vkorc1Ag: 1, cyp2c9_13: 1 }).weeklyDoseMg).toBeCloseTo(22.42590736, 8);
  });
});
