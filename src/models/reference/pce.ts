/**
 * Pooled Cohort Equations, 10-year hard ASCVD risk, written directly from the published
 * formula (Goff 2013, Circulation 2014;129(suppl 2):S49-S73, Table A):
 *
 *   risk = 1 - S10 ^ exp( sum(coef_i * x_i) - mean )
 *
 * Age, TC, HDL-C and SBP enter as natural logs; SBP enters once, as the treated or the untreated
 * term; interactions multiply ln(age) with the named term. Test oracle for the ONNX models.
 */
import { type CoefficientSet, constantOf, DEFAULT_MODELS_DIR, type Flag, flag, linearPredictor, loadCoefficients } from './coefficients.js';

export interface PceInputs {
  readonly age: number;
  readonly totalCholesterol: number;
  readonly hdlCholesterol: number;
  readonly systolicBp: number;
  /** 1 when on BP-lowering medication, else 0. */
  readonly bpTreated: number;
  readonly currentSmoker: number;
  readonly diabetes: number;
}

export interface RiskResult {
  readonly risk: number;
  readonly contributions: number[];
}

export function pceTermValues(x: PceInputs): Record<string, number> {
  const lnAge = Math.log(x.age);
  const lnTc = Math.log(x.totalCholesterol);
  const lnHdl = Math.log(x.hdlCholesterol);
  const lnSbp = Math.log(x.systolicBp);
  const treated = x.bpTreated;
  const untreated = 1 - x.bpTreated;
  return {
    ln_age: lnAge,
    ln_age_squared: lnAge * lnAge,
    ln_total_cholesterol: lnTc,
    ln_age_x_ln_total_cholesterol: lnAge * lnTc,
    ln_hdl_cholesterol: lnHdl,
    ln_age_x_ln_hdl_cholesterol: lnAge * lnHdl,
    ln_treated_systolic_bp: lnSbp * treated,
    ln_age_x_ln_treated_systolic_bp: lnAge * lnSbp * treated,
    ln_untreated_systolic_bp: lnSbp * untreated,
    ln_age_x_ln_untreated_systolic_bp: lnAge * lnSbp * untreated,
    current_smoker: x.currentSmoker,
    ln_age_x_current_smoker: lnAge * x.currentSmoker,
    diabetes: x.diabetes,
  };
}

export function pceRisk(x: PceInputs, set: CoefficientSet): RiskResult {
  if (set.family !== 'pce') throw new Error(`${set.id} is not a PCE model`);
  const { sum, contributions } = linearPredictor(set, pceTermValues(x));
  const mean = constantOf(set, 'meanLinearPredictor');
  const s10 = constantOf(set, 'baselineSurvival');
  return { risk: 1 - Math.pow(s10, Math.exp(sum - mean)), contributions };
}

export type PceRace = 'white' | 'aa' | 'african-american';
export type Sex = 'female' | 'male';

/** Same inputs, indicators also as booleans. */
export type PceFlagInputs = Omit<PceInputs, 'bpTreated' | 'currentSmoker' | 'diabetes'> & {
  readonly bpTreated: Flag;
  readonly currentSmoker: Flag;
  readonly diabetes: Flag;
};

/**
 * Convenience for tests: the PCE risk for a race/sex group, with the coefficients of
 * `models/pce-<white|aa>-<sex>/coefficients.json`. Other races use the White equations.
 */
export function pce(race: PceRace, sex: Sex, x: PceFlagInputs, modelsDir: string = DEFAULT_MODELS_DIR): RiskResult & { modelId: string } {
  const modelId = `pce-${race === 'white' ? 'white' : 'aa'}-${sex}`;
  const inputs: PceInputs = { ...x, bpTreated: flag(x.bpTreated), currentSmoker: flag(x.currentSmoker), diabetes: flag(x.diabetes) };
  return { ...pceRisk(inputs, loadCoefficients(modelsDir, modelId)), modelId };
}
