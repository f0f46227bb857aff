import { loadJson } from '../../../util/data-file.js';
import type { QuantityKind } from './units.js';

/** Code lists kept as JSON data under ../data (each file names its sources and rationale). */

export interface Limits {
  readonly min: number;
  readonly max: number;
  readonly minExclusive?: boolean;
}

export interface ObservationInputDef {
  readonly label: string;
  readonly codes: readonly string[];
  readonly panels?: readonly string[];
  readonly quantity: QuantityKind | 'coded';
  readonly plausible?: Limits;
}

export type ObservationInputName =
  | 'total_cholesterol'
  | 'hdl_cholesterol'
  | 'ldl_cholesterol'
  | 'systolic_bp'
  | 'smoking_status'
  | 'bmi'
  | 'body_height'
  | 'body_weight'
  | 'egfr'
  | 'creatinine'
  | 'hba1c';

interface LoincFile {
  readonly inputs: Readonly<Record<ObservationInputName, ObservationInputDef>>;
}

export interface CodedConcept {
  readonly code: string;
  readonly display: string;
}

export interface ConditionCategory {
  readonly id: string;
  readonly label: string;
  readonly snomed: readonly CodedConcept[];
  readonly icd10Prefixes: readonly string[];
  readonly icd10Exclude: readonly string[];
}

interface DiabetesFile {
  readonly snomed: readonly CodedConcept[];
  readonly icd10Prefixes: readonly string[];
  readonly icd10Exclude: readonly string[];
}

interface AscvdFile {
  readonly categories: readonly ConditionCategory[];
}

interface SmokingFile {
  readonly codes: readonly { readonly code: string; readonly display: string; readonly currentSmoker: boolean | null }[];
}

export interface IngredientDef {
  readonly rxcui?: string;
  readonly name: string;
  readonly class?: string;
  readonly brandNames?: readonly string[];
}

export interface ClinicalDrugDef {
  readonly rxcui: string;
  readonly name: string;
  readonly ingredients: readonly string[];
}

interface MedicationFile {
  readonly classes?: Readonly<Record<string, string>>;
  readonly ingredients: readonly IngredientDef[];
  readonly clinicalDrugs: readonly ClinicalDrugDef[];
}

const DATA = '../data/';

export const LOINC = loadJson<LoincFile>(import.meta.url, `${DATA}loinc.json`).inputs;
export const SMOKING = loadJson<SmokingFile>(import.meta.url, `${DATA}smoking.json`).codes;

const diabetesFile = loadJson<DiabetesFile>(import.meta.url, `${DATA}diabetes.json`);
export const DIABETES: ConditionCategory = {
  id: 'diabetes',
  label: 'diabetes mellitus',
  snomed: diabetesFile.snomed,
  icd10Prefixes: diabetesFile.icd10Prefixes,
  icd10Exclude: diabetesFile.icd10Exclude,
};
export const ASCVD: readonly ConditionCategory[] = loadJson<AscvdFile>(import.meta.url, `${DATA}ascvd.json`).categories;

export const STATINS = loadJson<MedicationFile>(import.meta.url, `${DATA}statins.json`);
export const BP_LOWERING = loadJson<MedicationFile>(import.meta.url, `${DATA}bp-lowering.json`);

/** Every clinical drug (SCD) in either table, by RXCUI, for ingredient look-up across tables (combination products). */
export const CLINICAL_DRUGS: ReadonlyMap<string, ClinicalDrugDef> = new Map(
  [...STATINS.clinicalDrugs, ...BP_LOWERING.clinicalDrugs].map((d) => [d.rxcui, d]),
);

export const SYSTEMS = {
  loinc: 'http://loinc.org',
  snomed: 'http://snomed.info/sct',
  icd10cm: 'http://hl7.org/fhir/sid/icd-10-cm',
  icd10: 'http://hl7.org/fhir/sid/icd-10',
  rxnorm: 'http://www.nlm.nih.gov/research/umls/rxnorm',
  ucum: 'http://unitsofmeasure.org',
  ombRace: 'urn:oid:2.16.840.1.113883.6.238',
} as const;
