import type { ModelColumn } from '../../models/model-card.js';
import type { LoadedModel, ModelOutputs } from '../../models/runtime.js';
import { loadJson } from '../../util/data-file.js';
import type { CvdFeatures, FeatureProblem, Measured } from './features/index.js';

/** What the assessment needs from the model runtime (an interface, so tests can pass the real one or a spy). */
export interface ModelRunner {
  get(id: string): LoadedModel;
  run(id: string, rows: readonly (readonly number[])[]): Promise<ModelOutputs>;
}

interface Guideline {
  readonly version: string;
  readonly source: string;
  readonly riskCategories: readonly { id: RiskCategory; label: string; minPercent: number; maxPercentExclusive: number }[];
  readonly primaryPreventionAge: readonly [number, number];
  readonly diabetesStatinAge: readonly [number, number];
  readonly ldl190StatinAge: readonly [number, number];
  readonly ldlSevereMgDl: number;
  readonly ldlCategoryMinMgDl: number;
  readonly statins: Readonly<Record<'moderate' | 'high', { rxnorm: string; ingredient: string; doseMg: number; intensityText: string }>>;
  readonly lipidPanel: { system: string; code: string; display: string };
  readonly optimalRiskFactors: Readonly<Record<string, number>>;
}

export const GUIDELINE = loadJson<Guideline>(import.meta.url, './data/guideline.json');
/** Version of the guideline rule table, recorded in the audit trail with each decision. */
export const GUIDELINE_VERSION = GUIDELINE.version;

export type RiskCategory = 'low' | 'borderline' | 'intermediate' | 'high';
export type Intensity = 'moderate' | 'high';

export interface ModelResult {
  readonly modelId: string;
  readonly version: number;
  /** 10-year risk as a fraction. */
  readonly risk: number;
  readonly contributions: readonly { readonly term: string; readonly value: number }[];
}

/** A factor that raises the risk: how much lower the risk would be with that factor at its optimal value. */
export interface Driver {
  readonly factor: string;
  readonly label: string;
  /** Percentage points of 10-year risk attributable to the factor (counterfactual difference). */
  readonly points: number;
}

export type Outcome =
  | { readonly kind: 'statin-advised'; readonly intensity: Intensity }
  | { readonly kind: 'statin-advised-regardless'; readonly reason: 'diabetes' | 'ldl190'; readonly intensity: Intensity }
  | { readonly kind: 'risk-discussion' | 'lifestyle' | 'on-statin' | 'clinical-assessment' | 'no-guideline-category' | 'secondary-prevention' | 'not-calculated' };

export interface PceAssessment {
  readonly group: 'white' | 'african-american';
  readonly result: ModelResult;
  readonly category: RiskCategory;
  readonly drivers: readonly Driver[];
}

export interface CvdAssessment {
  readonly features: CvdFeatures;
  readonly pce?: PceAssessment;
  /** Why the PCE gave no number (empty when it did). */
  readonly pceUnavailable: readonly Reason[];
  readonly prevent: { readonly cvd?: ModelResult; readonly ascvd?: ModelResult; readonly hf?: ModelResult };
  readonly preventUnavailable: readonly Reason[];
  readonly hfUnavailable: readonly Reason[];
  readonly outcome: Outcome;
  /** Extra statements for the card (e.g. LDL below the guideline categories). */
  readonly notes: readonly string[];
  /** Lipids are missing or out of date: a lipid panel should be ordered. */
  readonly needsLipidPanel: boolean;
}

const pct = (fraction: number): number => fraction * 100;

export function categorize(riskFraction: number): RiskCategory {
  const p = pct(riskFraction);
  return (GUIDELINE.riskCategories.find((c) => p >= c.minPercent && p < c.maxPercentExclusive) ?? GUIDELINE.riskCategories[0]!).id;
}

const inRange = (v: number, [lo, hi]: readonly [number, number]): boolean => v >= lo && v <= hi;

type Inputs = Readonly<Record<string, number | undefined>>;

/** Raw model inputs from the features; undefined where the record has no usable value. */
function modelInputs(f: CvdFeatures): Inputs {
  const v = (m: Measured | undefined): number | undefined => m?.value;
  return {
    age: v(f.age),
    total_cholesterol: v(f.totalCholesterol),
    hdl_cholesterol: v(f.hdlCholesterol),
    systolic_bp: v(f.systolicBp),
    bp_treated: f.bpTreated.present ? 1 : 0,
    current_smoker: f.currentSmoker === undefined ? undefined : f.currentSmoker.value ? 1 : 0,
    diabetes: f.diabetes.present ? 1 : 0,
    bmi: v(f.bmi),
    egfr: v(f.egfr),
    statin: f.onStatin.present ? 1 : 0,
  };
}

const LABELS: Readonly<Record<string, string>> = {
  age: 'age',
  total_cholesterol: 'total cholesterol',
  hdl_cholesterol: 'HDL cholesterol',
  systolic_bp: 'systolic blood pressure',
  current_smoker: 'smoking status',
  bmi: 'BMI',
  egfr: 'eGFR',
  sex: 'sex',
};

/** Why an equation gave no number: a short phrase for the summary and the full sentence for the detail. */
export interface Reason {
  readonly input: string;
  readonly short: string;
  readonly detail: string;
}

const SHORT_KIND: Readonly<Record<string, string>> = { missing: 'missing', stale: 'out of date', implausible: 'implausible', unit: 'in an unknown unit', contradictory: 'contradictory' };

/** Why `column` has no usable value: the feature problem's words when there is one. */
function whyMissing(column: string, problems: readonly FeatureProblem[]): Reason {
  // Feature problems name their input in the model's snake_case column names (features/types.ts).
  const p = problems.find((x) => x.input === column);
  const label = LABELS[column] ?? column;
  return { input: column, short: `${label} ${SHORT_KIND[p?.kind ?? 'missing'] ?? 'missing'}`, detail: p ? p.detail : `No ${label} on file.` };
}

/**
 * Checks that every column the model uses has a value inside the equation's valid range
 * (from the model card). Returns the reasons it cannot be run; empty means it can.
 */
function validate(model: LoadedModel, inputs: Inputs, used: readonly string[], problems: readonly FeatureProblem[]): Reason[] {
  const reasons: Reason[] = [];
  const columns = model.card.inputs[0]?.columns ?? [];
  for (const col of columns as readonly ModelColumn[]) {
    if (!used.includes(col.name)) continue;
    const value = inputs[col.name];
    if (value === undefined) {
      reasons.push(whyMissing(col.name, problems));
      continue;
    }
    if (!inRange(value, col.validRange)) {
      const label = LABELS[col.name] ?? col.name;
      reasons.push({
        input: col.name,
        short: `${label} ${formatValue(value)} outside ${col.validRange[0]}-${col.validRange[1]}`,
        detail: `${label} ${formatValue(value)} is outside the valid range of ${model.card.title} (${col.validRange[0]}-${col.validRange[1]}${col.unit === '1' ? '' : ` ${col.unit === 'a' ? 'years' : col.unit}`}).`,
      });
    }
  }
  return reasons;
}

const formatValue = (v: number): string => (Number.isInteger(v) ? String(v) : v.toFixed(1));

function rowFor(model: LoadedModel, inputs: Inputs, fill: Readonly<Record<string, number>> = {}): number[] {
  return model.columns.map((c) => inputs[c] ?? fill[c] ?? Number.NaN);
}

function result(model: LoadedModel, out: ModelOutputs, i: number): ModelResult {
  return {
    modelId: model.card.id,
    version: model.version,
    risk: out.values[i]!,
    contributions: model.terms.map((term, t) => ({ term, value: out.contributions[i]![t]! })),
  };
}

/** Factors that can be moved to their optimal value, with the label a clinician reads. */
function driverCandidates(inputs: Inputs, optimal: Readonly<Record<string, number>>): { factor: string; label: string; change: Record<string, number> }[] {
  const c: { factor: string; label: string; change: Record<string, number> }[] = [];
  if (inputs['current_smoker'] === 1) c.push({ factor: 'smoking', label: 'Current smoking', change: { current_smoker: 0 } });
  const sbp = inputs['systolic_bp'];
  if (sbp !== undefined && (sbp > optimal['systolic_bp']! || inputs['bp_treated'] === 1)) {
    c.push({ factor: 'blood_pressure', label: `Systolic BP ${formatValue(sbp)} mmHg${inputs['bp_treated'] === 1 ? ' on treatment' : ''}`, change: { systolic_bp: optimal['systolic_bp']!, bp_treated: 0 } });
  }
  const tc = inputs['total_cholesterol'];
  if (tc !== undefined && tc > optimal['total_cholesterol']!) c.push({ factor: 'total_cholesterol', label: `Total cholesterol ${formatValue(tc)} mg/dL`, change: { total_cholesterol: optimal['total_cholesterol']! } });
  const hdl = inputs['hdl_cholesterol'];
  if (hdl !== undefined && hdl < optimal['hdl_cholesterol']!) c.push({ factor: 'hdl_cholesterol', label: `HDL cholesterol ${formatValue(hdl)} mg/dL`, change: { hdl_cholesterol: optimal['hdl_cholesterol']! } });
  if (inputs['diabetes'] === 1) c.push({ factor: 'diabetes', label: 'Diabetes', change: { diabetes: 0 } });
  return c;
}

/** Runs the actual inputs and one counterfactual row per factor in a single batch. */
async function runWithDrivers(runner: ModelRunner, model: LoadedModel, inputs: Inputs, fill: Readonly<Record<string, number>>): Promise<{ result: ModelResult; drivers: Driver[] }> {
  const candidates = driverCandidates(inputs, GUIDELINE.optimalRiskFactors);
  const rows = [rowFor(model, inputs, fill), ...candidates.map((c) => rowFor(model, { ...inputs, ...c.change }, fill))];
  const out = await runner.run(model.card.id, rows);
  const base = out.values[0]!;
  const drivers = candidates
    .map((c, i) => ({ factor: c.factor, label: c.label, points: pct(base - out.values[i + 1]!) }))
    .filter((d) => d.points >= 0.05)
    .sort((a, b) => b.points - a.points);
  return { result: result(model, out, 0), drivers };
}

const PCE_USED = ['age', 'total_cholesterol', 'hdl_cholesterol', 'systolic_bp', 'bp_treated', 'current_smoker', 'diabetes'];
const PREVENT_USED = ['age', 'total_cholesterol', 'hdl_cholesterol', 'systolic_bp', 'diabetes', 'current_smoker', 'egfr', 'bp_treated', 'statin'];
// Khan 2024 Table S12: the BMI terms are non-zero only in the heart-failure model.
const PREVENT_HF_USED = [...PREVENT_USED, 'bmi'];

/**
 * The cardiovascular assessment of one patient: which equations can be run and their
 * results, what drives the risk, and what the 2018 AHA/ACC guideline says to do.
 * No number is produced from a missing, stale or out-of-range input.
 */
export async function assessCardiovascularRisk(features: CvdFeatures, runner: ModelRunner): Promise<CvdAssessment> {
  const lipidsMissing = [features.totalCholesterol, features.hdlCholesterol].some((m) => m === undefined);
  const base = { features, needsLipidPanel: lipidsMissing, prevent: {}, preventUnavailable: [], hfUnavailable: [], pceUnavailable: [] as Reason[] };

  if (features.clinicalAscvd.present) {
    const why: Reason = { input: 'clinical_ascvd', short: 'clinical ASCVD on file', detail: 'Clinical ASCVD is on file: the equations are for primary prevention.' };
    return { ...base, pceUnavailable: [why], preventUnavailable: [why], hfUnavailable: [why], outcome: { kind: 'secondary-prevention' }, notes: [] };
  }

  const inputs = modelInputs(features);
  const sex = features.sex?.value;
  const sexReason = sex === undefined ? [whyMissing('sex', features.problems)] : [];

  // Pooled Cohort Equations: African American equations for Black or African American, White otherwise (Goff 2013).
  let pce: PceAssessment | undefined;
  let pceUnavailable: Reason[] = [...sexReason];
  const group = features.race.group === 'african-american' ? 'african-american' : 'white';
  if (sex) {
    const model = runner.get(`pce-${group === 'african-american' ? 'aa' : 'white'}-${sex}`);
    pceUnavailable = validate(model, inputs, PCE_USED, features.problems);
    if (pceUnavailable.length === 0) {
      const { result: r, drivers } = await runWithDrivers(runner, model, inputs, {});
      pce = { group, result: r, category: categorize(r.risk), drivers };
    }
  }

  // PREVENT base models: total CVD and ASCVD need no BMI; heart failure does.
  const prevent: { cvd?: ModelResult; ascvd?: ModelResult; hf?: ModelResult } = {};
  let preventUnavailable: Reason[] = [...sexReason];
  let hfUnavailable: Reason[] = [...sexReason];
  if (sex) {
    const cvd = runner.get(`prevent-cvd-${sex}`);
    preventUnavailable = validate(cvd, inputs, PREVENT_USED, features.problems);
    const ascvd = runner.get(`prevent-ascvd-${sex}`);
    const hf = runner.get(`prevent-hf-${sex}`);
    hfUnavailable = validate(hf, inputs, PREVENT_HF_USED, features.problems);
    // BMI has a zero coefficient outside the HF model; any in-range value gives the same result.
    const fill = { bmi: GUIDELINE.optimalRiskFactors['bmi']! };
    if (preventUnavailable.length === 0) {
      const [c, a] = await Promise.all([runner.run(cvd.card.id, [rowFor(cvd, inputs, fill)]), runner.run(ascvd.card.id, [rowFor(ascvd, inputs, fill)])]);
      prevent.cvd = result(cvd, c, 0);
      prevent.ascvd = result(ascvd, a, 0);
    }
    if (hfUnavailable.length === 0) prevent.hf = result(hf, await runner.run(hf.card.id, [rowFor(hf, inputs)]), 0);
  }

  const { outcome, notes } = decide(features, pce, prevent.cvd !== undefined);
  return { ...base, pce, pceUnavailable, prevent, preventUnavailable, hfUnavailable, outcome, notes };
}

/** 2018 AHA/ACC cholesterol guideline, primary prevention (Grundy 2019, Figure 2 and §4.4). */
function decide(f: CvdFeatures, pce: PceAssessment | undefined, preventRan: boolean): { outcome: Outcome; notes: string[] } {
  const notes: string[] = [];
  const age = f.age?.value;
  const ldl = f.ldlCholesterol?.value;
  const between = (range: readonly [number, number]): boolean => age !== undefined && inRange(age, range);

  if (f.onStatin.present) return { outcome: pce ? { kind: 'on-statin' } : preventRan ? { kind: 'no-guideline-category' } : { kind: 'not-calculated' }, notes };
  if (ldl !== undefined && ldl >= GUIDELINE.ldlSevereMgDl && between(GUIDELINE.ldl190StatinAge)) {
    return { outcome: { kind: 'statin-advised-regardless', reason: 'ldl190', intensity: 'high' }, notes };
  }
  if (f.diabetes.present && between(GUIDELINE.diabetesStatinAge)) {
    return { outcome: { kind: 'statin-advised-regardless', reason: 'diabetes', intensity: 'moderate' }, notes };
  }
  if (!pce) return { outcome: preventRan ? { kind: 'no-guideline-category' } : { kind: 'not-calculated' }, notes };
  if (!between(GUIDELINE.primaryPreventionAge)) return { outcome: { kind: 'clinical-assessment' }, notes };
  if (ldl !== undefined && ldl < GUIDELINE.ldlCategoryMinMgDl) {
    notes.push('ldl-below-70');
    return { outcome: { kind: 'lifestyle' }, notes };
  }
  switch (pce.category) {
    case 'high':
      return { outcome: { kind: 'statin-advised', intensity: 'high' }, notes };
    case 'intermediate':
      return { outcome: { kind: 'statin-advised', intensity: 'moderate' }, notes };
    case 'borderline':
      return { outcome: { kind: 'risk-discussion' }, notes };
    default:
      return { outcome: { kind: 'lifestyle' }, notes };
  }
}
