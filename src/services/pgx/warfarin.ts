import type { Observation, Patient } from 'fhir/r4.js';
import type { ModelRunner } from '../cardiovascular-risk/assess.js';
import { LOINC } from '../cardiovascular-risk/features/codes.js';
import { extractAge } from '../cardiovascular-risk/features/demographics.js';
import { collectNumeric } from '../cardiovascular-risk/features/observations.js';
import { select } from '../cardiovascular-risk/features/select.js';
import type { Measured } from '../cardiovascular-risk/features/types.js';

/**
 * IWPC pharmacogenetic warfarin dosing (NEJM 2009;360:753-764, supplementary appendix), as
 * recommended by the CPIC warfarin guideline (Johnson JA et al., Clin Pharmacol Ther
 * 2017;102:397-404). The equation itself runs in the `iwpc-warfarin` ONNX model.
 */
export const IWPC_MODEL_ID = 'iwpc-warfarin';

export type IwpcRace = 'white' | 'asian' | 'black' | 'missing-or-mixed';
export type Vkorc1 = 'G/G' | 'A/G' | 'A/A' | 'unknown';
/** The six CYP2C9 diplotypes the IWPC algorithm has terms for. */
export const IWPC_CYP2C9 = ['*1/*1', '*1/*2', '*1/*3', '*2/*2', '*2/*3', '*3/*3'] as const;
export type IwpcCyp2c9 = (typeof IWPC_CYP2C9)[number] | 'unknown';

/** CPIC: in people of African ancestry these lower the dose and are not in the algorithm. */
export const AFRICAN_ANCESTRY_ALLELES = ['*5', '*6', '*8', '*11'] as const;

export interface WarfarinInputs {
  readonly age?: Measured;
  readonly heightCm?: Measured;
  readonly weightKg?: Measured;
  readonly race: IwpcRace;
  readonly raceText: string;
  readonly vkorc1: Vkorc1;
  readonly cyp2c9: IwpcCyp2c9;
  /** The CYP2C9 diplotype as reported, when it is not one of the six the algorithm knows. */
  readonly cyp2c9Reported?: string;
  readonly amiodarone: boolean;
  readonly enzymeInducer: boolean;
  /** Inputs that stop a dose estimate (age, height, weight). */
  readonly missing: readonly string[];
}

const OMB_RACE: Readonly<Record<string, IwpcRace>> = { '2106-3': 'white', '2054-5': 'black', '2028-9': 'asian' };
const US_CORE_RACE = 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-race';

/** IWPC race groups from the US Core race extension: one OMB category maps; none, several or others are "missing or mixed". */
export function iwpcRace(patient: Patient | undefined): { race: IwpcRace; text: string } {
  const ext = patient?.extension?.find((e) => e.url === US_CORE_RACE);
  const omb = (ext?.extension ?? []).filter((e) => e.url === 'ombCategory').map((e) => e.valueCoding?.code ?? '');
  const text = ext?.extension?.find((e) => e.url === 'text')?.valueString ?? 'not recorded';
  const mapped = [...new Set(omb.map((c) => OMB_RACE[c] ?? 'missing-or-mixed'))];
  return { race: mapped.length === 1 ? mapped[0]! : 'missing-or-mixed', text };
}

/** Normalises a VKORC1 -1639G>A genotype ('A/G', 'G/A', 'GA', ...) to the IWPC categories. */
export function vkorc1Category(genotype: string | undefined): Vkorc1 {
  if (!genotype) return 'unknown';
  const alleles = genotype.toUpperCase().replace(/[^AG]/g, '').split('').sort().join('/');
  return alleles === 'G/G' || alleles === 'A/G' || alleles === 'A/A' ? (alleles as Vkorc1) : 'unknown';
}

/**
 * The VKORC1 -1639 genotype ('A/G') of a VKORC1 result for the IWPC inputs, from the rule table's phenotype
 * ('-1639 AG', which every spelling of a readable VKORC1 genotype - and a reported '-1639 AG' - comes to), else
 * the diplotype as given.
 */
export function vkorc1GenotypeOf(finding: { readonly phenotype: string; readonly diplotype?: string }): string | undefined {
  const m = /-1639\s*([AG])([AG])/.exec(finding.phenotype);
  return m ? `${m[1]}/${m[2]}` : finding.diplotype;
}

/** What the IWPC step needs to know of one gene's result: the finding used, or a conflict between results. */
export interface IwpcGeneEvidence {
  readonly finding?: { readonly phenotype: string; readonly diplotype?: string; readonly basis: string };
  readonly conflict?: { readonly reported: string; readonly computed: string };
}

/**
 * Results on file for VKORC1 or CYP2C9 that the algorithm cannot use. The IWPC "genotype unknown" terms stand for
 * a patient who was not genotyped (IWPC, NEJM 2009;360:753-764); a patient with a result that cannot be mapped to
 * the algorithm's genotype classes was tested, so no estimate is made rather than one that says "not tested".
 * A CYP2C9 diplotype outside the six modelled ones is not listed here: the algorithm's own rule is to use its
 * "unknown" term for it, and the card says so (see predictWarfarinDose).
 */
export function iwpcGenotypeProblems(vkorc1: IwpcGeneEvidence, cyp2c9: IwpcGeneEvidence): string[] {
  const problems: string[] = [];
  if (vkorc1.conflict) {
    problems.push(`VKORC1: the reported phenotype (${vkorc1.conflict.reported}) disagrees with the genotype (${vkorc1.conflict.computed})`);
  } else if (vkorc1.finding && vkorc1Category(vkorc1GenotypeOf(vkorc1.finding)) === 'unknown') {
    problems.push(`VKORC1 result on file (${vkorc1.finding.diplotype ?? vkorc1.finding.phenotype}) does not give the -1639G>A genotype the algorithm needs`);
  }
  if (cyp2c9.conflict) {
    problems.push(`CYP2C9: the reported phenotype (${cyp2c9.conflict.reported}) disagrees with the genotype (${cyp2c9.conflict.computed})`);
  } else if (cyp2c9.finding && !cyp2c9.finding.diplotype) {
    problems.push(`CYP2C9 result on file is a phenotype (${cyp2c9.finding.phenotype}) without the diplotype the algorithm needs`);
  }
  return problems;
}

/** Maps a CYP2C9 diplotype to the algorithm's six categories; anything else uses the "unknown" term. */
export function cyp2c9Category(diplotype: string | undefined): IwpcCyp2c9 {
  if (!diplotype) return 'unknown';
  const sorted = diplotype.replace(/^CYP2C9\s*/i, '').split('/').map((a) => a.trim()).sort((a, b) => a.localeCompare(b, undefined, { numeric: true })).join('/');
  return (IWPC_CYP2C9 as readonly string[]).includes(sorted) ? (sorted as IwpcCyp2c9) : 'unknown';
}

export function warfarinInputs(args: {
  readonly patient: Patient | undefined;
  readonly observations: readonly Observation[];
  readonly now: Date;
  readonly vkorc1Genotype?: string;
  readonly cyp2c9Diplotype?: string;
  readonly amiodarone: boolean;
  readonly enzymeInducer: boolean;
  readonly bodyLookbackDays?: number;
}): WarfarinInputs {
  const { patient, observations, now } = args;
  const lookbackDays = args.bodyLookbackDays ?? 730;
  const opts = { patient, now };
  const height = select(collectNumeric(observations, LOINC.body_height, opts), { input: 'body_height', label: LOINC.body_height.label, lookbackDays, now }).measured;
  const weight = select(collectNumeric(observations, LOINC.body_weight, opts), { input: 'body_weight', label: LOINC.body_weight.label, lookbackDays, now }).measured;
  const age = extractAge(patient, now).age;
  const { race, text } = iwpcRace(patient);
  const cyp2c9 = cyp2c9Category(args.cyp2c9Diplotype);
  const missing = [...(age ? [] : ['age']), ...(height ? [] : ['height']), ...(weight ? [] : ['weight'])];
  return {
    ...(age ? { age } : {}),
    ...(height ? { heightCm: height } : {}),
    ...(weight ? { weightKg: weight } : {}),
    race,
    raceText: text,
    vkorc1: vkorc1Category(args.vkorc1Genotype),
    cyp2c9,
    ...(cyp2c9 === 'unknown' && args.cyp2c9Diplotype ? { cyp2c9Reported: args.cyp2c9Diplotype } : {}),
    amiodarone: args.amiodarone,
    enzymeInducer: args.enzymeInducer,
    missing,
  };
}

/** The model's input row in model-card column order (age in decades = floor(age / 10), IWPC). */
export function iwpcRow(x: WarfarinInputs, columns: readonly string[]): number[] {
  const v: Record<string, number> = {
    age_decades: Math.floor((x.age?.value ?? Number.NaN) / 10),
    height_cm: x.heightCm?.value ?? Number.NaN,
    weight_kg: x.weightKg?.value ?? Number.NaN,
    vkorc1_ag: x.vkorc1 === 'A/G' ? 1 : 0,
    vkorc1_aa: x.vkorc1 === 'A/A' ? 1 : 0,
    vkorc1_unknown: x.vkorc1 === 'unknown' ? 1 : 0,
    cyp2c9_12: x.cyp2c9 === '*1/*2' ? 1 : 0,
    cyp2c9_13: x.cyp2c9 === '*1/*3' ? 1 : 0,
    cyp2c9_22: x.cyp2c9 === '*2/*2' ? 1 : 0,
    cyp2c9_23: x.cyp2c9 === '*2/*3' ? 1 : 0,
    cyp2c9_33: x.cyp2c9 === '*3/*3' ? 1 : 0,
    cyp2c9_unknown: x.cyp2c9 === 'unknown' ? 1 : 0,
    race_asian: x.race === 'asian' ? 1 : 0,
    race_black: x.race === 'black' ? 1 : 0,
    race_missing_or_mixed: x.race === 'missing-or-mixed' ? 1 : 0,
    enzyme_inducer: x.enzymeInducer ? 1 : 0,
    amiodarone: x.amiodarone ? 1 : 0,
  };
  return columns.map((c) => {
    const value = v[c];
    if (value === undefined) throw new Error(`IWPC column ${c} has no mapping`);
    return value;
  });
}

export interface WarfarinDose {
  readonly weeklyMg: number;
  readonly dailyMg: number;
  readonly modelId: string;
  readonly version: number;
  /** Why the estimate is less certain (unknown genotype terms, CPIC African-ancestry caution, range). */
  readonly cautions: readonly string[];
}

/** Predicts the weekly dose, or says which inputs are missing / outside the model's range. */
export async function predictWarfarinDose(runner: ModelRunner, x: WarfarinInputs): Promise<{ dose?: WarfarinDose; notCalculated: readonly string[] }> {
  if (x.missing.length > 0) return { notCalculated: x.missing.map((m) => `${m} not on file`) };
  const model = runner.get(IWPC_MODEL_ID);
  const row = iwpcRow(x, model.columns);
  const columns = model.card.inputs[0]?.columns ?? [];
  const outOfRange = columns
    .map((c, i) => ({ c, v: row[i]! }))
    .filter(({ c, v }) => v < c.validRange[0] || v > c.validRange[1])
    .map(({ c, v }) => `${c.name} ${v} outside ${c.validRange[0]}-${c.validRange[1]}`);
  if (outOfRange.length > 0) return { notCalculated: outOfRange };
  const out = await runner.run(IWPC_MODEL_ID, [row]);
  const weeklyMg = out.values[0]!;
  const cautions: string[] = [];
  if (x.vkorc1 === 'unknown') cautions.push('VKORC1 genotype not on file: the estimate uses the algorithm\'s "genotype unknown" term.');
  if (x.cyp2c9 === 'unknown') {
    cautions.push(
      x.cyp2c9Reported
        ? `CYP2C9 ${x.cyp2c9Reported} is not one of the six diplotypes the algorithm models: the estimate uses its "genotype unknown" term.`
        : 'CYP2C9 genotype not on file: the estimate uses the algorithm\'s "genotype unknown" term.',
    );
  }
  const reportedAlleles = x.cyp2c9Reported ?? x.cyp2c9;
  const africanAlleleTested = AFRICAN_ANCESTRY_ALLELES.some((a) => reportedAlleles.includes(a));
  if (x.race === 'black' && !africanAlleleTested) {
    cautions.push('CPIC: in patients of African ancestry, CYP2C9 *5, *6, *8 and *11 lower the dose and are not captured by this algorithm; if they were not tested, dose clinically or per the CPIC flowchart.');
  }
  return { dose: { weeklyMg, dailyMg: weeklyMg / 7, modelId: model.card.id, version: model.version, cautions }, notCalculated: [] };
}
