/**
 * AHA PREVENT base 10-year equations (total CVD, ASCVD, heart failure), written directly from the
 * published formula (Khan 2024, Circulation 2024;149:430-449, Table S12):
 *
 *   risk = 1 / (1 + exp(-x)),  x = constant + sum(coef_i * term_i)
 *
 * with the published transformations (centring/scaling, linear splines at the knots, mg/dL to
 * mmol/L with 0.02586). Test oracle for the ONNX models.
 */
import { type CoefficientSet, constantOf, DEFAULT_MODELS_DIR, type Flag, flag, linearPredictor, loadCoefficients } from './coefficients.js';
import type { RiskResult, Sex } from './pce.js';

export interface PreventInputs {
  readonly age: number;
  /** mg/dL */
  readonly totalCholesterol: number;
  /** mg/dL */
  readonly hdlCholesterol: number;
  readonly systolicBp: number;
  readonly diabetes: number;
  readonly currentSmoker: number;
  /** kg/m2; used by the heart-failure models only. */
  readonly bmi: number;
  readonly egfr: number;
  readonly bpTreated: number;
  readonly statin: number;
}

const MMOL_PER_MG_DL = 0.02586;

export function preventTermValues(x: PreventInputs): Record<string, number> {
  const age = (x.age - 55) / 10;
  const nonHdl = (x.totalCholesterol - x.hdlCholesterol) * MMOL_PER_MG_DL - 3.5;
  const hdl = (x.hdlCholesterol * MMOL_PER_MG_DL - 1.3) / 0.3;
  const sbpLower = (Math.min(x.systolicBp, 110) - 110) / 20;
  const sbpUpper = (Math.max(x.systolicBp, 110) - 130) / 20;
  const bmiLower = (Math.min(x.bmi, 30) - 25) / 5;
  const bmiUpper = (Math.max(x.bmi, 30) - 30) / 5;
  const egfrLower = (Math.min(x.egfr, 60) - 60) / -15;
  const egfrUpper = (Math.max(x.egfr, 60) - 90) / -15;
  return {
    age,
    non_hdl_cholesterol: nonHdl,
    hdl_cholesterol: hdl,
    systolic_bp_lower: sbpLower,
    systolic_bp_upper: sbpUpper,
    diabetes: x.diabetes,
    current_smoker: x.currentSmoker,
    bmi_lower: bmiLower,
    bmi_upper: bmiUpper,
    egfr_lower: egfrLower,
    egfr_upper: egfrUpper,
    bp_treated: x.bpTreated,
    statin: x.statin,
    bp_treated_x_systolic_bp_upper: x.bpTreated * sbpUpper,
    statin_x_non_hdl_cholesterol: x.statin * nonHdl,
    age_x_non_hdl_cholesterol: age * nonHdl,
    age_x_hdl_cholesterol: age * hdl,
    age_x_systolic_bp_upper: age * sbpUpper,
    age_x_diabetes: age * x.diabetes,
    age_x_current_smoker: age * x.currentSmoker,
    age_x_bmi_upper: age * bmiUpper,
    age_x_egfr_lower: age * egfrLower,
  };
}

export function preventRisk(x: PreventInputs, set: CoefficientSet): RiskResult {
  if (set.family !== 'prevent') throw new Error(`${set.id} is not a PREVENT model`);
  const { sum, contributions } = linearPredictor(set, preventTermValues(x));
  const logOdds = constantOf(set, 'constant') + sum;
  return { risk: 1 / (1 + Math.exp(-logOdds)), contributions };
}

export type PreventOutcome = 'cvd' | 'ascvd' | 'hf';

/** Same inputs, indicators also as booleans. */
export type PreventFlagInputs = Omit<PreventInputs, 'diabetes' | 'currentSmoker' | 'bpTreated' | 'statin'> & {
  readonly diabetes: Flag;
  readonly currentSmoker: Flag;
  readonly bpTreated: Flag;
  readonly statin: Flag;
};

/** Convenience for tests: PREVENT risk with the coefficients of `models/prevent-<outcome>-<sex>/coefficients.json`. */
export function prevent(
  outcome: PreventOutcome,
  sex: Sex,
  x: PreventFlagInputs,
  modelsDir: string = DEFAULT_MODELS_DIR,
): RiskResult & { modelId: string } {
  const modelId = `prevent-${outcome}-${sex}`;
  const inputs: PreventInputs = { ...x, diabetes: flag(x.diabetes), currentSmoker: flag(x.currentSmoker), bpTreated: flag(x.bpTreated), statin: flag(x.statin) };
  return { ...preventRisk(inputs, loadCoefficients(modelsDir, modelId)), modelId };
}
