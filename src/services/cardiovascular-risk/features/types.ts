import type {
  Condition,
  MedicationRequest,
  MedicationStatement,
  Observation,
  Patient,
} from 'fhir/r4.js';

/** Lookback windows in days: the most recent valid value no older than this is used. */
export interface FeatureConfig {
  /** Total, HDL and LDL cholesterol. 5 years = 1826 days. */
  readonly lipidsLookbackDays: number;
  /** Systolic blood pressure. */
  readonly bpLookbackDays: number;
  /** Smoking status. */
  readonly smokingLookbackDays: number;
  /** BMI, body height and body weight. */
  readonly bodyLookbackDays: number;
  /** eGFR and serum creatinine. */
  readonly renalLookbackDays: number;
  /** HbA1c, only used for the diabetes note. Optional; default 730. */
  readonly hba1cLookbackDays?: number;
}

export const DEFAULT_FEATURE_CONFIG: FeatureConfig = Object.freeze({
  lipidsLookbackDays: 1826,
  bpLookbackDays: 365,
  smokingLookbackDays: 365,
  bodyLookbackDays: 730,
  renalLookbackDays: 730,
  hba1cLookbackDays: 730,
});

export interface Provenance {
  /** ISO date (YYYY-MM-DD or full dateTime as recorded) the value holds for. */
  readonly date: string;
  /** FHIR references of the resources the value comes from, e.g. ['Observation/obs-1']. */
  readonly source: readonly string[];
  /** Set when the value was computed, e.g. 'BMI from height and weight'. */
  readonly derived?: string;
}

export interface Measured<T = number> extends Provenance {
  readonly value: T;
  /** Canonical UCUM unit ('mg/dL', 'mm[Hg]', 'kg/m2', 'mL/min/{1.73_m2}', 'a'; '{boolean}' / '{sex}' for coded values). */
  readonly unit: string;
  /** The number as recorded, when a unit conversion was applied. */
  readonly originalValue?: number;
  /** The unit as recorded, when a unit conversion was applied. */
  readonly originalUnit?: string;
  /**
   * Newer records for this input that were not used, in plain words (implausible value, unknown
   * unit, preliminary...), so the card can say why an older value was taken. Absent when none.
   */
  readonly notes?: readonly string[];
}

export interface Flag extends Partial<Provenance> {
  readonly present: boolean;
  /** Human-readable reasons the flag is set, e.g. 'Type 2 diabetes mellitus (SNOMED 44054006)'. */
  readonly evidence: readonly string[];
  readonly source?: readonly string[];
  /**
   * Records that were seen but deliberately not counted, in plain words (a provisional diagnosis,
   * a stopped prescription, an HbA1c in the diabetic range without a diagnosis...). Absent when none.
   */
  readonly notes?: readonly string[];
}

export type ProblemKind = 'missing' | 'stale' | 'implausible' | 'unit' | 'contradictory';

export interface FeatureProblem {
  /** snake_case input name: 'age', 'sex', 'total_cholesterol', 'hdl_cholesterol', 'ldl_cholesterol', 'systolic_bp', 'current_smoker', 'bmi', 'egfr' (the snake_case of the CvdFeatures key). */
  readonly input: string;
  readonly kind: ProblemKind;
  /** For the card, in plain words. */
  readonly detail: string;
  readonly source?: readonly string[];
}

export type RaceGroup = 'african-american' | 'white-or-other';

export interface CvdFeatures {
  readonly age?: Measured;
  readonly sex?: Measured<'female' | 'male'>;
  readonly race: { readonly group: RaceGroup; readonly text: string; readonly source?: readonly string[] };
  readonly totalCholesterol?: Measured;
  readonly hdlCholesterol?: Measured;
  readonly ldlCholesterol?: Measured;
  readonly systolicBp?: Measured;
  readonly currentSmoker?: Measured<boolean>;
  readonly bmi?: Measured;
  readonly egfr?: Measured;
  readonly diabetes: Flag;
  readonly clinicalAscvd: Flag;
  readonly bpTreated: Flag;
  readonly onStatin: Flag;
  readonly problems: readonly FeatureProblem[];
}

export interface PatientRecord {
  readonly patient?: Patient;
  readonly observations: readonly Observation[];
  readonly conditions: readonly Condition[];
  readonly medicationRequests: readonly MedicationRequest[];
  readonly medicationStatements: readonly MedicationStatement[];
}
