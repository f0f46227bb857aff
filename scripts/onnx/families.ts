/**
 * The three model families as ONNX graphs: raw input columns in, the published equation in-graph
 * (logs, splines, centring/scaling, interactions), risk (or dose) and per-term contributions out.
 *
 * Each family declares its raw columns once (used for the graph's Split, the model card and the
 * tests) and how every published term is computed from them. Term tensors are built lazily, so a
 * model's graph only contains the transformations its own terms need.
 */
import type { CoefficientSet, ModelFamily } from '../../src/models/reference/coefficients.js';
import { constantOf } from '../../src/models/reference/coefficients.js';
import { GraphBuilder, type Value } from './graph-builder.js';

export interface ColumnSpec {
  readonly name: string;
  /** UCUM unit; '1' for 0/1 indicators. */
  readonly unit: string;
  readonly validRange: readonly [number, number];
  readonly fhir: string;
  /** Anything a caller must know about the column (e.g. that its range is not a published one). */
  readonly note?: string;
}

const IND: readonly [number, number] = [0, 1];

export const PCE_COLUMNS: readonly ColumnSpec[] = [
  { name: 'age', unit: 'a', validRange: [40, 79], fhir: 'Patient.birthDate (age in whole years at the time of the request)' },
  { name: 'total_cholesterol', unit: 'mg/dL', validRange: [130, 320], fhir: 'Observation LOINC 2093-3 (Cholesterol [Mass/volume] in Serum or Plasma), most recent' },
  { name: 'hdl_cholesterol', unit: 'mg/dL', validRange: [20, 100], fhir: 'Observation LOINC 2085-9 (HDL cholesterol [Mass/volume] in Serum or Plasma), most recent' },
  { name: 'systolic_bp', unit: 'mm[Hg]', validRange: [90, 200], fhir: 'Observation LOINC 85354-9 (or 55284-4) blood pressure panel, component LOINC 8480-6 (systolic)' },
  { name: 'bp_treated', unit: '1', validRange: IND, fhir: 'active MedicationRequest/MedicationStatement for a BP-lowering drug (1 = treated, 0 = not)' },
  { name: 'current_smoker', unit: '1', validRange: IND, fhir: 'Observation LOINC 72166-2 (tobacco smoking status): 1 when SNOMED CT 449868002, 428041000124106 or 77176002, else 0' },
  { name: 'diabetes', unit: '1', validRange: IND, fhir: 'active Condition for diabetes mellitus (1 = yes, 0 = no)' },
];

export const PREVENT_COLUMNS: readonly ColumnSpec[] = [
  { name: 'age', unit: 'a', validRange: [30, 79], fhir: 'Patient.birthDate (age in whole years at the time of the request)' },
  { name: 'total_cholesterol', unit: 'mg/dL', validRange: [130, 320], fhir: 'Observation LOINC 2093-3 (Cholesterol [Mass/volume] in Serum or Plasma), most recent' },
  { name: 'hdl_cholesterol', unit: 'mg/dL', validRange: [20, 100], fhir: 'Observation LOINC 2085-9 (HDL cholesterol [Mass/volume] in Serum or Plasma), most recent' },
  { name: 'systolic_bp', unit: 'mm[Hg]', validRange: [90, 180], fhir: 'Observation LOINC 85354-9 (or 55284-4) blood pressure panel, component LOINC 8480-6 (systolic)' },
  { name: 'diabetes', unit: '1', validRange: IND, fhir: 'active Condition for diabetes mellitus (1 = yes, 0 = no)' },
  { name: 'current_smoker', unit: '1', validRange: IND, fhir: 'Observation LOINC 72166-2 (tobacco smoking status): 1 when SNOMED CT 449868002, 428041000124106 or 77176002, else 0' },
  { name: 'bmi', unit: 'kg/m2', validRange: [18.5, 39.9], fhir: 'Observation LOINC 39156-5 (BMI), or weight LOINC 29463-7 / height LOINC 8302-2 squared' },
  { name: 'egfr', unit: 'mL/min/{1.73_m2}', validRange: [15, 140], fhir: 'Observation LOINC 98979-8, 62238-1, 33914-3, 48642-3 or 48643-1 (eGFR); else CKD-EPI 2021 race-free from serum creatinine LOINC 2160-0' },
  { name: 'bp_treated', unit: '1', validRange: IND, fhir: 'active MedicationRequest/MedicationStatement for a BP-lowering drug (1 = treated, 0 = not)' },
  { name: 'statin', unit: '1', validRange: IND, fhir: 'active MedicationRequest/MedicationStatement for a statin, e.g. RxNorm ingredient 83367 atorvastatin, 36567 simvastatin (1 = yes, 0 = no)' },
];

const GENOTYPE = 'Observation LOINC 84413-4 (genotype display name) with component 48018-6 (gene studied)';

export const IWPC_COLUMNS: readonly ColumnSpec[] = [
  {
    name: 'age_decades',
    unit: '10.a',
    validRange: [1, 9],
    fhir: 'Patient.birthDate: floor(age in years / 10), computed by the caller before inference (6 for 60-69 y)',
    note: 'Range is a project plausibility bound (decade bands 10-19 to 90+), not a published limit.',
  },
  { name: 'height_cm', unit: 'cm', validRange: [120, 220], fhir: 'Observation LOINC 8302-2 (body height), in cm', note: 'Range is a project plausibility bound, not a published limit.' },
  { name: 'weight_kg', unit: 'kg', validRange: [30, 250], fhir: 'Observation LOINC 29463-7 (body weight), in kg', note: 'Range is a project plausibility bound, not a published limit.' },
  { name: 'vkorc1_ag', unit: '1', validRange: IND, fhir: `${GENOTYPE} VKORC1, rs9923231 (-1639G>A) A/G` },
  { name: 'vkorc1_aa', unit: '1', validRange: IND, fhir: `${GENOTYPE} VKORC1, rs9923231 (-1639G>A) A/A` },
  { name: 'vkorc1_unknown', unit: '1', validRange: IND, fhir: 'no VKORC1 rs9923231 genotype Observation on file' },
  { name: 'cyp2c9_12', unit: '1', validRange: IND, fhir: `${GENOTYPE} CYP2C9, diplotype *1/*2` },
  { name: 'cyp2c9_13', unit: '1', validRange: IND, fhir: `${GENOTYPE} CYP2C9, diplotype *1/*3` },
  { name: 'cyp2c9_22', unit: '1', validRange: IND, fhir: `${GENOTYPE} CYP2C9, diplotype *2/*2` },
  { name: 'cyp2c9_23', unit: '1', validRange: IND, fhir: `${GENOTYPE} CYP2C9, diplotype *2/*3` },
  { name: 'cyp2c9_33', unit: '1', validRange: IND, fhir: `${GENOTYPE} CYP2C9, diplotype *3/*3` },
  { name: 'cyp2c9_unknown', unit: '1', validRange: IND, fhir: 'no CYP2C9 diplotype Observation on file' },
  { name: 'race_asian', unit: '1', validRange: IND, fhir: 'Patient extension us-core-race, OMB category Asian' },
  { name: 'race_black', unit: '1', validRange: IND, fhir: 'Patient extension us-core-race, OMB category Black or African American' },
  { name: 'race_missing_or_mixed', unit: '1', validRange: IND, fhir: 'Patient extension us-core-race absent, unknown, or more than one OMB category' },
  {
    name: 'enzyme_inducer',
    unit: '1',
    validRange: IND,
    fhir: 'active MedicationRequest/MedicationStatement for carbamazepine (RxNorm 2002), phenytoin, rifampin or rifampicin',
  },
  { name: 'amiodarone', unit: '1', validRange: IND, fhir: 'active MedicationRequest/MedicationStatement for amiodarone' },
];

export function columnsOf(family: ModelFamily): readonly ColumnSpec[] {
  switch (family) {
    case 'pce':
      return PCE_COLUMNS;
    case 'prevent':
      return PREVENT_COLUMNS;
    case 'iwpc':
      return IWPC_COLUMNS;
  }
}

export const INPUT_NAME = 'features';
export const CONTRIBUTIONS_NAME = 'contributions';

export function primaryOutputName(family: ModelFamily): string {
  return family === 'iwpc' ? 'weekly_dose_mg' : 'risk';
}

/** Lazily built, memoised term tensors: `get(name)` builds the nodes for `name` on first use. */
class Terms {
  private readonly cache = new Map<string, Value>();
  constructor(private readonly defs: Readonly<Record<string, () => Value>>) {}
  get(name: string): Value {
    const hit = this.cache.get(name);
    if (hit !== undefined) return hit;
    const def = this.defs[name];
    if (!def) throw new Error(`no graph definition for term "${name}"`);
    const v = def();
    this.cache.set(name, v);
    return v;
  }
}

/** Memoises a thunk, so shared intermediates (ln(age), ...) are built once and only when used. */
function once(f: () => Value): () => Value {
  let v: Value | undefined;
  return () => (v ??= f());
}

function pceTerms(g: GraphBuilder, col: Readonly<Record<string, Value>>): Terms {
  const c = (name: string): Value => {
    const v = col[name];
    if (v === undefined) throw new Error(`no column ${name}`);
    return v;
  };
  const lnAge = once(() => g.op('Log', [c('age')], 'ln_age'));
  const lnTc = once(() => g.op('Log', [c('total_cholesterol')], 'ln_total_cholesterol'));
  const lnHdl = once(() => g.op('Log', [c('hdl_cholesterol')], 'ln_hdl_cholesterol'));
  const lnSbp = once(() => g.op('Log', [c('systolic_bp')], 'ln_systolic_bp'));
  const untreated = once(() => g.op('Sub', [g.scalar(1), c('bp_treated')], 'bp_untreated'));
  const lnTreatedSbp = once(() => g.op('Mul', [lnSbp(), c('bp_treated')], 'ln_treated_systolic_bp'));
  const lnUntreatedSbp = once(() => g.op('Mul', [lnSbp(), untreated()], 'ln_untreated_systolic_bp'));
  const xAge = (other: () => Value, name: string) => once(() => g.op('Mul', [lnAge(), other()], name));
  return new Terms({
    ln_age: lnAge,
    ln_age_squared: xAge(lnAge, 'ln_age_squared'),
    ln_total_cholesterol: lnTc,
    ln_age_x_ln_total_cholesterol: xAge(lnTc, 'ln_age_x_ln_total_cholesterol'),
    ln_hdl_cholesterol: lnHdl,
    ln_age_x_ln_hdl_cholesterol: xAge(lnHdl, 'ln_age_x_ln_hdl_cholesterol'),
    ln_treated_systolic_bp: lnTreatedSbp,
    ln_age_x_ln_treated_systolic_bp: xAge(lnTreatedSbp, 'ln_age_x_ln_treated_systolic_bp'),
    ln_untreated_systolic_bp: lnUntreatedSbp,
    ln_age_x_ln_untreated_systolic_bp: xAge(lnUntreatedSbp, 'ln_age_x_ln_untreated_systolic_bp'),
    current_smoker: () => c('current_smoker'),
    ln_age_x_current_smoker: xAge(() => c('current_smoker'), 'ln_age_x_current_smoker'),
    diabetes: () => c('diabetes'),
  });
}

function preventTerms(g: GraphBuilder, col: Readonly<Record<string, Value>>): Terms {
  const c = (name: string): Value => {
    const v = col[name];
    if (v === undefined) throw new Error(`no column ${name}`);
    return v;
  };
  const k = (x: number): Value => g.scalar(x);
  /** (op(x, knot) - centre) / scale: the published linear-spline pieces. */
  const piece = (x: Value, op: 'Min' | 'Max', knot: number, centre: number, scale: number, name: string): Value => {
    const clipped = g.op(op, [x, k(knot)], `${name}_clipped`);
    const centred = g.op('Sub', [clipped, k(centre)], `${name}_centred`);
    return g.op('Div', [centred, k(scale)], name);
  };
  const age = once(() => g.op('Div', [g.op('Sub', [c('age'), k(55)], 'age_centred'), k(10)], 'age_t'));
  const nonHdl = once(() => {
    const diff = g.op('Sub', [c('total_cholesterol'), c('hdl_cholesterol')], 'non_hdl_mg_dl');
    const mmol = g.op('Mul', [diff, k(0.02586)], 'non_hdl_mmol_l');
    return g.op('Sub', [mmol, k(3.5)], 'non_hdl_cholesterol_t');
  });
  const hdl = once(() => {
    const mmol = g.op('Mul', [c('hdl_cholesterol'), k(0.02586)], 'hdl_mmol_l');
    return g.op('Div', [g.op('Sub', [mmol, k(1.3)], 'hdl_centred'), k(0.3)], 'hdl_cholesterol_t');
  });
  const sbpLower = once(() => piece(c('systolic_bp'), 'Min', 110, 110, 20, 'systolic_bp_lower'));
  const sbpUpper = once(() => piece(c('systolic_bp'), 'Max', 110, 130, 20, 'systolic_bp_upper'));
  const bmiLower = once(() => piece(c('bmi'), 'Min', 30, 25, 5, 'bmi_lower'));
  const bmiUpper = once(() => piece(c('bmi'), 'Max', 30, 30, 5, 'bmi_upper'));
  const egfrLower = once(() => piece(c('egfr'), 'Min', 60, 60, -15, 'egfr_lower'));
  const egfrUpper = once(() => piece(c('egfr'), 'Max', 60, 90, -15, 'egfr_upper'));
  const mul = (a: () => Value, b: () => Value, name: string) => once(() => g.op('Mul', [a(), b()], name));
  const col0 = (name: string) => () => c(name);
  return new Terms({
    age,
    non_hdl_cholesterol: nonHdl,
    hdl_cholesterol: hdl,
    systolic_bp_lower: sbpLower,
    systolic_bp_upper: sbpUpper,
    diabetes: col0('diabetes'),
    current_smoker: col0('current_smoker'),
    bmi_lower: bmiLower,
    bmi_upper: bmiUpper,
    egfr_lower: egfrLower,
    egfr_upper: egfrUpper,
    bp_treated: col0('bp_treated'),
    statin: col0('statin'),
    bp_treated_x_systolic_bp_upper: mul(col0('bp_treated'), sbpUpper, 'bp_treated_x_systolic_bp_upper'),
    statin_x_non_hdl_cholesterol: mul(col0('statin'), nonHdl, 'statin_x_non_hdl_cholesterol'),
    age_x_non_hdl_cholesterol: mul(age, nonHdl, 'age_x_non_hdl_cholesterol'),
    age_x_hdl_cholesterol: mul(age, hdl, 'age_x_hdl_cholesterol'),
    age_x_systolic_bp_upper: mul(age, sbpUpper, 'age_x_systolic_bp_upper'),
    age_x_diabetes: mul(age, col0('diabetes'), 'age_x_diabetes'),
    age_x_current_smoker: mul(age, col0('current_smoker'), 'age_x_current_smoker'),
    age_x_bmi_upper: mul(age, bmiUpper, 'age_x_bmi_upper'),
    age_x_egfr_lower: mul(age, egfrLower, 'age_x_egfr_lower'),
  });
}

function iwpcTerms(_g: GraphBuilder, col: Readonly<Record<string, Value>>): Terms {
  // Every IWPC term is a raw column times its coefficient.
  const defs: Record<string, () => Value> = {};
  for (const [name, v] of Object.entries(col)) defs[name] = () => v;
  return new Terms(defs);
}

/**
 * Adds the whole equation to `g`: Split of the input into columns, the terms, contributions
 * (terms x coefficients) and the family's link to risk or dose. Returns the output names.
 */
export function buildEquation(
  g: GraphBuilder,
  set: CoefficientSet,
): { primary: Value; contributions: Value; usedColumns: ReadonlySet<string> } {
  const columns = columnsOf(set.family);
  const colNames = columns.map((c) => `col_${c.name}`);
  g.node('Split', [INPUT_NAME], colNames, [GraphBuilder.intAttr('axis', 1)]);
  const col: Record<string, Value> = {};
  columns.forEach((c, i) => (col[c.name] = colNames[i]!));

  const terms = set.family === 'pce' ? pceTerms(g, col) : set.family === 'prevent' ? preventTerms(g, col) : iwpcTerms(g, col);
  const termValues = set.terms.map((t) => terms.get(t.name));
  const stacked = g.op('Concat', termValues, 'terms', [GraphBuilder.intAttr('axis', 1)]);
  const coefficients = g.floats(
    'coefficients',
    set.terms.map((t) => t.coefficient),
    [set.terms.length],
  );
  const contributions = g.op('Mul', [stacked, coefficients], CONTRIBUTIONS_NAME);
  const axes = g.int64s('axis_1', [1]);
  const sum = g.op('ReduceSum', [contributions, axes], 'linear_predictor', [GraphBuilder.intAttr('keepdims', 1)]);
  const primary = primaryOutputName(set.family);

  switch (set.family) {
    case 'pce': {
      // risk = 1 - S10 ^ exp(sum - mean)
      const mean = g.floats('mean_linear_predictor', [constantOf(set, 'meanLinearPredictor')], []);
      const s10 = g.floats('baseline_survival', [constantOf(set, 'baselineSurvival')], []);
      const rel = g.op('Exp', [g.op('Sub', [sum, mean], 'centred_linear_predictor')], 'relative_hazard');
      const survival = g.op('Pow', [s10, rel], 'survival_10y');
      g.op('Sub', [g.scalar(1), survival], primary);
      break;
    }
    case 'prevent': {
      // risk = 1 / (1 + exp(-(constant + sum)))
      const constant = g.floats('model_constant', [constantOf(set, 'constant')], []);
      const logOdds = g.op('Add', [sum, constant], 'log_odds');
      g.op('Sigmoid', [logOdds], primary);
      break;
    }
    case 'iwpc': {
      // weekly dose = (intercept + sum)^2
      const intercept = g.floats('intercept', [constantOf(set, 'intercept')], []);
      const sqrtDose = g.op('Add', [sum, intercept], 'sqrt_weekly_dose');
      g.op('Mul', [sqrtDose, sqrtDose], primary);
      break;
    }
  }
  const consumed = g.consumed();
  const usedColumns = new Set(columns.filter((c) => consumed.has(col[c.name]!)).map((c) => c.name));
  return { primary, contributions, usedColumns };
}
