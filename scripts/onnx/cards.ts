/**
 * Model cards (`models/<id>/model.json`), generated next to the ONNX graph from the same column
 * and term lists so the card cannot drift from the graph it describes.
 */
import type { ModelCard, ModelColumn, ModelTensorSpec } from '../../src/models/model-card.js';
import type { CoefficientSet, ModelFamily } from '../../src/models/reference/coefficients.js';
import { columnsOf, CONTRIBUTIONS_NAME, INPUT_NAME, primaryOutputName } from './families.js';

export const MODEL_VERSION = 1;

/** A card column may carry a note (e.g. "used by the heart-failure models only"). */
export interface CardColumn extends ModelColumn {
  readonly note?: string;
}

const TESTS = {
  build: 'test/models/build.test.ts',
  cards: 'test/models/model-cards.test.ts',
  examples: 'test/models/worked-examples.test.ts',
  agreement: 'test/models/reference-agreement.test.ts',
};

const GROUP_TITLE: Readonly<Record<string, string>> = {
  'pce-white-female': 'White women (also used for women of other races)',
  'pce-white-male': 'White men (also used for men of other races)',
  'pce-aa-female': 'African American women',
  'pce-aa-male': 'African American men',
  'prevent-cvd-female': 'total CVD, women',
  'prevent-cvd-male': 'total CVD, men',
  'prevent-ascvd-female': 'ASCVD, women',
  'prevent-ascvd-male': 'ASCVD, men',
  'prevent-hf-female': 'heart failure, women',
  'prevent-hf-male': 'heart failure, men',
};

/** Worked-example outcome reproduced by the tests, per model (for the card's validation text). */
const WORKED_EXAMPLE: Readonly<Record<string, string>> = {
  'pce-white-female': 'guideline example (55 y, TC 213 mg/dL, HDL-C 50 mg/dL, untreated SBP 120 mmHg, non-smoker, no diabetes): published 2.1 %, model 2.05 %',
  'pce-aa-female': 'guideline example (55 y, TC 213, HDL-C 50, untreated SBP 120, non-smoker, no diabetes): published 3.0 %, model 3.00 %',
  'pce-white-male':
    'guideline example (55 y, TC 213, HDL-C 50, untreated SBP 120, non-smoker, no diabetes): published 5.3 %, model 5.38 % (within 0.1 percentage point; exact evaluation of either published copy of the constants gives 5.38 %)',
  'pce-aa-male': 'guideline example (55 y, TC 213, HDL-C 50, untreated SBP 120, non-smoker, no diabetes): published 6.1 %, model 6.06 %',
  'prevent-cvd-female': 'supplement example (woman, 50 y, TC 200, HDL-C 45, SBP 160 treated, diabetes, non-smoker, BMI 35, eGFR 90, no statin): published 14.68 %, model 14.68 %',
  'prevent-ascvd-female': 'supplement example (woman, 50 y, TC 200, HDL-C 45, SBP 160 treated, diabetes, non-smoker, BMI 35, eGFR 90, no statin): published 9.20 %, model 9.20 %',
  'prevent-hf-female': 'supplement example (woman, 50 y, TC 200, HDL-C 45, SBP 160 treated, diabetes, non-smoker, BMI 35, eGFR 90, no statin): published 8.06 %, model 8.06 %',
  'iwpc-warfarin':
    'hand calculation from the published coefficients (60-69 y so 6 decades, 170 cm, 80 kg, VKORC1 A/G, CYP2C9 *1/*3, White, no inducer, no amiodarone): sqrt dose 4.7356, 22.43 mg/week',
};

function validationText(set: CoefficientSet): string {
  const ref = `src/models/reference/${set.family}.ts`;
  const example = WORKED_EXAMPLE[set.id];
  const exampleText = example
    ? `Worked example reproduced by the ONNX model in ${TESTS.examples}: ${example}.`
    : `No published worked example is reproduced for this model (the supplement example used is for a woman); it is checked through the reference agreement below, whose transformations are shared with the female models whose worked examples are reproduced.`;
  return [
    exampleText,
    `ONNX outputs (risk or dose and every contribution) agree with the plain TypeScript evaluation of the published formula (${ref}, same coefficients.json) on 1,024 seeded pseudo-random in-range inputs run as one batch, within float32 tolerance (${TESTS.agreement}).`,
    `Rebuilding from coefficients.json gives a byte-identical model.onnx (${TESTS.build}); inputs, outputs, dtypes and shapes of the ONNX session match this card (${TESTS.cards}).`,
  ].join(' ');
}

interface FamilyText {
  title(set: CoefficientSet): string;
  outcome(set: CoefficientSet): string;
  intendedUse: string;
  population: string;
  primaryDescription(set: CoefficientSet): string;
  contributionsDescription: string;
  limitations(set: CoefficientSet): string[];
}

function preventOutcome(id: string): string {
  if (id.startsWith('prevent-cvd')) return '10-year risk of total cardiovascular disease (ASCVD or heart failure)';
  if (id.startsWith('prevent-ascvd')) return '10-year risk of atherosclerotic cardiovascular disease (coronary heart disease or stroke)';
  return '10-year risk of heart failure';
}

const TEXT: Readonly<Record<ModelFamily, FamilyText>> = {
  pce: {
    title: (s) => `Pooled Cohort Equations, 10-year ASCVD risk: ${GROUP_TITLE[s.id] ?? s.group}`,
    outcome: () => '10-year ASCVD risk (first hard ASCVD event: nonfatal myocardial infarction, coronary heart disease death, fatal or nonfatal stroke)',
    intendedUse:
      'Primary-prevention estimate of 10-year ASCVD risk to inform a clinician-patient risk discussion about statin therapy and other risk-reducing measures (2013 ACC/AHA risk assessment guideline; categories of the 2018 AHA/ACC cholesterol guideline). Decision support for a clinician, not a diagnosis.',
    population:
      'Derived in pooled community cohorts (ARIC, CHS, CARDIA, Framingham original and offspring) of non-Hispanic White and African American adults aged 40-79 without prior ASCVD. Applies to adults aged 40-79 without clinical ASCVD (primary prevention); for other races the guideline says to use the White equations. Not for secondary prevention or LDL-C >= 190 mg/dL, where the score does not decide treatment.',
    primaryDescription: () => '10-year risk of a first hard ASCVD event, as a fraction 0-1',
    contributionsDescription:
      'coefficient x term value for each term of the linear predictor (log-hazard scale), in the order of `terms`; the derivation-cohort mean is not a term, so risk = 1 - S10^exp(sum(contributions) - mean)',
    limitations: () => [
      'Overestimates risk in several contemporary US cohorts, especially at higher predicted risk and in higher socioeconomic groups.',
      'Race-based: separate equations for White and African American adults only; other groups get the White equations, with known miscalibration (e.g. some Asian and Hispanic groups).',
      'Only for adults 40-79 without clinical ASCVD and within the validated input ranges (TC 130-320 mg/dL, HDL-C 20-100 mg/dL, SBP 90-200 mmHg); no estimate outside them.',
      'Lipid-lowering therapy is not an input (it was uncommon in the derivation cohorts), nor are kidney function, family history or other risk-enhancing factors.',
      'Hard ASCVD only: heart failure, revascularisation and peripheral artery disease are not in the outcome.',
    ],
  },
  prevent: {
    title: (s) => `AHA PREVENT base equation, ${s.id.startsWith('prevent-hf') ? '10-year heart failure risk' : s.id.startsWith('prevent-ascvd') ? '10-year ASCVD risk' : '10-year total CVD risk'}: ${s.id.endsWith('-female') ? 'women' : 'men'}`,
    outcome: (s) => preventOutcome(s.id),
    intendedUse:
      'Primary-prevention estimate of 10-year cardiovascular risk from routinely available measures (race-free, sex-specific, includes kidney function), to support clinician-patient decisions on prevention. Decision support for a clinician, not a diagnosis.',
    population:
      'Derived and validated in large pooled US datasets of adults aged 30-79 without known cardiovascular disease (Khan 2024). Applies to adults aged 30-79 without clinical ASCVD or heart failure.',
    primaryDescription: (s) => `${preventOutcome(s.id)}, as a fraction 0-1`,
    contributionsDescription:
      'coefficient x term value for each term of the linear predictor (log-odds scale), in the order of `terms`; the model constant is not a term, so risk = 1 / (1 + exp(-(constant + sum(contributions))))',
    limitations: (s) => [
      'Base model only: the optional predictors (urine albumin-to-creatinine ratio, HbA1c, social deprivation index) are not used, and only the 10-year horizon is provided (no 30-year risk).',
      'Only for adults 30-79 without known cardiovascular disease and within the validated input ranges (TC 130-320 mg/dL, HDL-C 20-100 mg/dL, SBP 90-180 mmHg, BMI 18.5-39.9 kg/m2, eGFR 15-140 mL/min/1.73m2).',
      'eGFR should be the CKD-EPI 2021 race-free estimate, as in the derivation.',
      'Treatment thresholds in the 2018 cholesterol guideline were defined on PCE risk; PREVENT estimates are on average lower, so PCE thresholds do not transfer directly.',
      ...(s.id.startsWith('prevent-hf')
        ? ['The heart-failure model does not use cholesterol or statin use (the columns are present but not in the equation).']
        : ['BMI is not part of this equation (it is in the input so all PREVENT models share one feature vector).']),
    ],
  },
  iwpc: {
    title: () => 'IWPC pharmacogenetic warfarin dosing algorithm: weekly maintenance dose',
    outcome: () => 'stable weekly warfarin maintenance dose (mg/week) for a target INR of 2-3',
    intendedUse:
      'Estimate of the expected stable warfarin maintenance dose from age, body size, VKORC1 and CYP2C9 genotype, race and interacting drugs, as recommended by the CPIC warfarin guideline (2017) when genotype is known. A starting point that INR monitoring adjusts; decision support for a clinician, not an order.',
    population:
      'Derived in 4,043 and validated in 1,009 patients on stable warfarin therapy from 21 research groups on four continents (IWPC, NEJM 2009). Applies to adults starting warfarin with a target INR of 2-3.',
    primaryDescription: () => 'predicted weekly warfarin maintenance dose in mg/week (square of the linear predictor)',
    contributionsDescription:
      'coefficient x term value for each term, on the square-root-of-weekly-dose scale, in the order of `terms`; the intercept (5.6044) is not a term, so dose = (5.6044 + sum(contributions))^2',
    limitations: () => [
      'CYP2C9 *5, *6, *8 and *11, which lower the dose in patients of African ancestry, are not captured; when they were not tested, dose clinically or per the CPIC flowchart.',
      'CYP4F2 and rs12777823 (CYP2C cluster) are not in the algorithm.',
      'Age in decades is floor(age / 10), computed outside the model; the model takes the decade number, not the age.',
      'Predicts the stable maintenance dose only: no loading dose, no INR-guided adjustment, not for target INRs other than 2-3.',
      'Race is an input (Asian, Black or African American, missing or mixed; White is the reference).',
      'Valid ranges for age decades, height and weight are project plausibility bounds; the publication does not state limits.',
    ],
  },
};

/**
 * The model card of `set`. `usedColumns` names the input columns the built graph actually reads;
 * the others get a note (they are in the input only so a family shares one feature vector).
 */
export function buildModelCard(
  set: CoefficientSet,
  usedColumns: ReadonlySet<string>,
): ModelCard & { inputs: readonly (ModelTensorSpec & { columns: readonly CardColumn[] })[] } {
  const text = TEXT[set.family];
  const columns = columnsOf(set.family);
  const noteOf = (c: (typeof columns)[number]): string | undefined => {
    const unused = usedColumns.has(c.name)
      ? undefined
      : `Not used by this model's equation (any in-range value gives the same result); present so every ${set.family.toUpperCase()} model takes the same feature vector.`;
    return [unused, c.note].filter((x) => x !== undefined).join(' ') || undefined;
  };
  const terms = set.terms.map((t) => t.name);
  return {
    id: set.id,
    version: MODEL_VERSION,
    title: text.title(set),
    family: set.family,
    outcome: text.outcome(set),
    intendedUse: text.intendedUse,
    population: text.population,
    inputs: [
      {
        name: INPUT_NAME,
        dtype: 'float32',
        shape: [-1, columns.length],
        description: 'raw clinical values, one row per patient, columns in this order; the equation (logs, splines, scaling, interactions) is inside the graph',
        columns: columns.map((c) => {
          const note = noteOf(c);
          return { name: c.name, unit: c.unit, validRange: c.validRange, fhir: c.fhir, ...(note ? { note } : {}) };
        }),
      },
    ],
    outputs: [
      { name: primaryOutputName(set.family), dtype: 'float32', shape: [-1, 1], description: text.primaryDescription(set) },
      { name: CONTRIBUTIONS_NAME, dtype: 'float32', shape: [-1, terms.length], description: text.contributionsDescription, terms },
    ],
    source: { citation: set.source.citation, doi: set.source.doi, table: set.source.table },
    validation: validationText(set),
    limitations: text.limitations(set),
  };
}
