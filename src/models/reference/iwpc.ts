/**
 * IWPC pharmacogenetic warfarin dosing algorithm, written directly from the published formula
 * (NEJM 2009;360:753-764, supplementary appendix):
 *
 *   sqrt(weekly dose mg) = 5.6044 - 0.2614 * age decades + 0.0087 * height cm + 0.0128 * weight kg + ...
 *   weekly dose = result squared
 *
 * Every term is coefficient * raw input (indicators are 0/1). Age in decades is floor(age / 10),
 * computed by the caller. Test oracle for the ONNX model.
 */
import { type CoefficientSet, constantOf, DEFAULT_MODELS_DIR, linearPredictor, loadCoefficients } from './coefficients.js';

export interface IwpcInputs {
  /** floor(age in years / 10). */
  readonly ageDecades: number;
  readonly heightCm: number;
  readonly weightKg: number;
  readonly vkorc1Ag: number;
  readonly vkorc1Aa: number;
  readonly vkorc1Unknown: number;
  readonly cyp2c9_12: number;
  readonly cyp2c9_13: number;
  readonly cyp2c9_22: number;
  readonly cyp2c9_23: number;
  readonly cyp2c9_33: number;
  readonly cyp2c9Unknown: number;
  readonly raceAsian: number;
  readonly raceBlack: number;
  readonly raceMissingOrMixed: number;
  readonly enzymeInducer: number;
  readonly amiodarone: number;
}

export interface DoseResult {
  readonly weeklyDoseMg: number;
  /** Per-term coefficient * value, on the square-root-of-weekly-dose scale. */
  readonly contributions: number[];
}

export function iwpcTermValues(x: IwpcInputs): Record<string, number> {
  return {
    age_decades: x.ageDecades,
    height_cm: x.heightCm,
    weight_kg: x.weightKg,
    vkorc1_ag: x.vkorc1Ag,
    vkorc1_aa: x.vkorc1Aa,
    vkorc1_unknown: x.vkorc1Unknown,
    cyp2c9_12: x.cyp2c9_12,
    cyp2c9_13: x.cyp2c9_13,
    cyp2c9_22: x.cyp2c9_22,
    cyp2c9_23: x.cyp2c9_23,
    cyp2c9_33: x.cyp2c9_33,
    cyp2c9_unknown: x.cyp2c9Unknown,
    race_asian: x.raceAsian,
    race_black: x.raceBlack,
    race_missing_or_mixed: x.raceMissingOrMixed,
    enzyme_inducer: x.enzymeInducer,
    amiodarone: x.amiodarone,
  };
}

export function iwpcDose(x: IwpcInputs, set: CoefficientSet): DoseResult {
  if (set.family !== 'iwpc') throw new Error(`${set.id} is not the IWPC model`);
  const { sum, contributions } = linearPredictor(set, iwpcTermValues(x));
  const sqrtDose = constantOf(set, 'intercept') + sum;
  return { weeklyDoseMg: sqrtDose * sqrtDose, contributions };
}

/** Convenience for tests: the IWPC dose with the coefficients of `models/iwpc-warfarin/coefficients.json`. */
export function iwpc(x: IwpcInputs, modelsDir: string = DEFAULT_MODELS_DIR): DoseResult {
  return iwpcDose(x, loadCoefficients(modelsDir, 'iwpc-warfarin'));
}
