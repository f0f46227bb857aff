/**
 * Synthetic patients for the sandbox FHIR server: one FHIR R4 transaction Bundle per patient,
 * written to fhir-fixtures/<NN>-<patient-id>.json. Run with `npm run fixtures`.
 *
 * Every date is computed from ANCHOR; the sandbox loader shifts all dates by (today - ANCHOR)
 * at load time, so lookback windows and ages stay true. The output is deterministic (seeded
 * PRNG, arithmetic only, no clock), so re-running reproduces the committed files byte for byte.
 * fhir-fixtures/README.md documents who is who and the resource shapes used.
 */
import type {
  Bundle,
  BundleEntry,
  CodeableConcept,
  Coding,
  Condition,
  Device,
  Dosage,
  Extension,
  FhirResource,
  MedicationRequest,
  MedicationStatement,
  Observation,
  ObservationComponent,
  Patient,
  Quantity,
  Reference,
} from 'fhir/r4.js';
import { mkdirSync, readdirSync, realpathSync, unlinkSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { mulberry32 } from './prng.js';

/** The instant every fixture date is relative to (also each Bundle's timestamp). */
export const ANCHOR = '2026-06-01T00:00:00Z';
const ANCHOR_MS = Date.parse(ANCHOR);
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

// ---------------------------------------------------------------------------------------------
// Code systems
// ---------------------------------------------------------------------------------------------
const LOINC = 'http://loinc.org';
const SNOMED = 'http://snomed.info/sct';
const ICD10CM = 'http://hl7.org/fhir/sid/icd-10-cm';
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const UCUM = 'http://unitsofmeasure.org';
const OBS_CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';
const DIAGNOSTIC_SERVICE = 'http://terminology.hl7.org/CodeSystem/v2-0074';
const INTERPRETATION = 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation';
const ACT_REASON = 'http://terminology.hl7.org/CodeSystem/v3-ActReason';
const CONDITION_CLINICAL = 'http://terminology.hl7.org/CodeSystem/condition-clinical';
const CONDITION_VERIFICATION = 'http://terminology.hl7.org/CodeSystem/condition-ver-status';
const CONDITION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/condition-category';
const US_CORE_RACE = 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-race';
const OMB_RACE = 'urn:oid:2.16.840.1.113883.6.238';
const HGNC = 'http://www.genenames.org/geneId';
const PHARMVAR = 'http://www.pharmvar.org';
const DBSNP = 'http://www.ncbi.nlm.nih.gov/SNP';
const IMGT_HLA = 'http://www.ebi.ac.uk/ipd/imgt/hla';
const GENOMICS_TBD = 'http://hl7.org/fhir/uv/genomics-reporting/CodeSystem/tbd-codes-cs';
const GENOTYPE_PROFILE = 'http://hl7.org/fhir/uv/genomics-reporting/StructureDefinition/genotype';
const IMPLICATION_PROFILE = 'http://hl7.org/fhir/uv/genomics-reporting/StructureDefinition/therapeutic-implication';
const MRN_SYSTEM = 'https://precision-cds.example.org/sandbox/mrn';

/** CGM sensor-reading codes (HL7 CGM IG sensor reading profiles). */
export const CGM_MASS_CODE = '99504-3';
export const CGM_MOLAR_CODE = '105272-9';
/** Glucose [Mass/volume] in Blood: what some CGM feeds use, and what a fingerstick meter or the lab reports. */
export const BLOOD_GLUCOSE_CODE = '2339-0';

/**
 * Device types (SNOMED CT physical objects, as in the FHIR R5 Device Type value set): a CGM sensor
 * (minimally invasive, interstitial fluid) and a fingerstick blood glucose meter.
 */
const CGM_DEVICE_TYPE: Coding = { system: SNOMED, code: '700585005', display: 'Invasive interstitial-fluid glucose monitoring system' };
const GLUCOMETER_DEVICE_TYPE: Coding = { system: SNOMED, code: '337414009', display: 'Blood glucose meter' };

/**
 * HL7 CGM IG (http://hl7.org/fhir/uv/cgm, v1.0.0) summary codes (LOINC), as its profiles and
 * examples use them. The times-in-ranges panel carries the five bands as components.
 */
export const CGM_SUMMARY = {
  panel: '107931-8',
  meanGlucoseMass: '97507-8',
  gmi: '97506-0',
  cv: '104638-2',
  daysOfWear: '104636-6',
  sensorActive: '104637-4',
  timesInRanges: '106793-3',
  timeVeryLow: '104642-4',
  timeLow: '104641-6',
  timeInTarget: '97510-2',
  timeHigh: '104640-8',
  timeVeryHigh: '104639-0',
} as const;

// ---------------------------------------------------------------------------------------------
// Dates relative to the anchor
// ---------------------------------------------------------------------------------------------
const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

/** Instant `days` days before the anchor at the given UTC time of day ("HH:MM"). */
function at(days: number, time = '09:00'): string {
  const [h, m] = time.split(':').map(Number);
  return iso(ANCHOR_MS - days * DAY_MS + ((h ?? 0) * 60 + (m ?? 0)) * MINUTE_MS);
}

/** Birth date making the patient exactly `age` at the anchor (last birthday `daysPastBirthday` ago, 1-364). */
function birthDateFor(age: number, daysPastBirthday: number): string {
  const anchor = new Date(ANCHOR_MS);
  const birthdayThisYear = Date.UTC(anchor.getUTCFullYear() - age, anchor.getUTCMonth(), anchor.getUTCDate());
  return iso(birthdayThisYear - daysPastBirthday * DAY_MS).slice(0, 10);
}

// ---------------------------------------------------------------------------------------------
// Small builders
// ---------------------------------------------------------------------------------------------
const coding = (system: string, code: string, display?: string): Coding =>
  display === undefined ? { system, code } : { system, code, display };
const concept = (codings: Coding[], text?: string): CodeableConcept =>
  text === undefined ? { coding: codings } : { coding: codings, text };
const loinc = (code: string, display: string): CodeableConcept => concept([coding(LOINC, code, display)]);
const quantity = (value: number, unit: string, code: string): Quantity => ({ value, unit, system: UCUM, code });

type ObsCategory = 'vital-signs' | 'laboratory' | 'social-history';
const CATEGORY_DISPLAY: Record<ObsCategory, string> = {
  'vital-signs': 'Vital Signs',
  laboratory: 'Laboratory',
  'social-history': 'Social History',
};
const category = (c: ObsCategory): CodeableConcept[] => [concept([coding(OBS_CATEGORY, c, CATEGORY_DISPLAY[c])])];
const genomicsCategory = (): CodeableConcept[] => [
  concept([coding(OBS_CATEGORY, 'laboratory', 'Laboratory')]),
  concept([coding(DIAGNOSTIC_SERVICE, 'GE', 'Genetics')]),
];

type Race = 'white' | 'black' | 'asian';
const RACES: Record<Race, { code: string; display: string }> = {
  white: { code: '2106-3', display: 'White' },
  black: { code: '2054-5', display: 'Black or African American' },
  asian: { code: '2028-9', display: 'Asian' },
};

/** UCUM codes with their human-readable unit strings. */
const U = {
  mgdl: ['mg/dL', 'mg/dL'],
  mmoll: ['mmol/L', 'mmol/L'],
  mmhg: ['mmHg', 'mm[Hg]'],
  bmi: ['kg/m2', 'kg/m2'],
  egfr: ['mL/min/1.73m2', 'mL/min/{1.73_m2}'],
  cm: ['cm', 'cm'],
  kg: ['kg', 'kg'],
  pct: ['%', '%'],
  bpm: ['/min', '/min'],
} as const satisfies Record<string, readonly [string, string]>;
type UnitKey = keyof typeof U;

/** LOINC codes used for quantities: [code, display, category, unit]. */
const LAB = {
  totalChol: ['2093-3', 'Cholesterol [Mass/volume] in Serum or Plasma', 'laboratory', 'mgdl'],
  hdl: ['2085-9', 'Cholesterol in HDL [Mass/volume] in Serum or Plasma', 'laboratory', 'mgdl'],
  ldlCalc: ['13457-7', 'Cholesterol in LDL [Mass/volume] in Serum or Plasma by calculation', 'laboratory', 'mgdl'],
  creatinine: ['2160-0', 'Creatinine [Mass/volume] in Serum or Plasma', 'laboratory', 'mgdl'],
  egfr: [
    '98979-8',
    'Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum, Plasma or Blood by Creatinine-based formula (CKD-EPI 2021)',
    'laboratory',
    'egfr',
  ],
  hba1c: ['4548-4', 'Hemoglobin A1c/Hemoglobin.total in Blood', 'laboratory', 'pct'],
  bmi: ['39156-5', 'Body mass index (BMI) [Ratio]', 'vital-signs', 'bmi'],
  height: ['8302-2', 'Body height', 'vital-signs', 'cm'],
  weight: ['29463-7', 'Body weight', 'vital-signs', 'kg'],
  heartRate: ['8867-4', 'Heart rate', 'vital-signs', 'bpm'],
} as const satisfies Record<string, readonly [string, string, ObsCategory, UnitKey]>;
type LabKey = keyof typeof LAB;

type Smoking = 'current' | 'former' | 'never';
const SMOKING: Record<Smoking, Coding> = {
  current: coding(SNOMED, '449868002', 'Current every day smoker'),
  former: coding(SNOMED, '8517006', 'Ex-smoker'),
  never: coding(SNOMED, '266919005', 'Never smoked tobacco'),
};

/** Conditions: SNOMED CT code plus ICD-10-CM code. */
const CONDITIONS = {
  hypertension: [['59621000', 'Essential hypertension'], ['I10', 'Essential (primary) hypertension']],
  t2dm: [['44054006', 'Diabetes mellitus type 2'], ['E11.9', 'Type 2 diabetes mellitus without complications']],
  t1dm: [['46635009', 'Diabetes mellitus type 1'], ['E10.9', 'Type 1 diabetes mellitus without complications']],
  mi: [['22298006', 'Myocardial infarction'], ['I21.9', 'Acute myocardial infarction, unspecified']],
  stroke: [['422504002', 'Ischemic stroke'], ['I63.9', 'Cerebral infarction, unspecified']],
  pad: [['399957001', 'Peripheral arterial occlusive disease'], ['I73.9', 'Peripheral vascular disease, unspecified']],
  cad: [
    ['53741008', 'Coronary arteriosclerosis'],
    ['I25.10', 'Atherosclerotic heart disease of native coronary artery without angina pectoris'],
  ],
  afib: [['49436004', 'Atrial fibrillation'], ['I48.91', 'Unspecified atrial fibrillation']],
  hiv: [['86406008', 'Human immunodeficiency virus infection'], ['B20', 'Human immunodeficiency virus [HIV] disease']],
  lowBackPain: [['279039007', 'Low back pain'], ['M54.50', 'Low back pain, unspecified']],
  hyperlipidemia: [['55822004', 'Hyperlipidemia'], ['E78.5', 'Hyperlipidemia, unspecified']],
  crohns: [['34000006', "Crohn's disease"], ['K50.90', "Crohn's disease, unspecified, without complications"]],
  esrd: [['46177005', 'End-stage renal disease'], ['N18.6', 'End stage renal disease']],
} as const satisfies Record<string, readonly [readonly [string, string], readonly [string, string]]>;
type ConditionKey = keyof typeof CONDITIONS;

/** RxNorm ingredient codes. */
const DRUGS = {
  lisinopril: '29046',
  atorvastatin: '83367',
  simvastatin: '36567',
  metoprolol: '6918',
  amlodipine: '17767',
  aspirin: '1191',
  clopidogrel: '32968',
  metformin: '6809',
  amiodarone: '703',
  codeine: '2670',
  abacavir: '190521',
  'insulin glargine': '274783',
  'insulin lispro': '86009',
} as const satisfies Record<string, string>;
type DrugKey = keyof typeof DRUGS;
const drugConcept = (drug: DrugKey, text?: string): CodeableConcept => concept([coding(RXNORM, DRUGS[drug], drug)], text);

/** HGNC gene ids (http://www.genenames.org/geneId). */
const GENES = {
  CYP2C19: 'HGNC:2621',
  CYP2D6: 'HGNC:2625',
  CYP2C9: 'HGNC:2623',
  VKORC1: 'HGNC:23663',
  SLCO1B1: 'HGNC:10959',
  TPMT: 'HGNC:12014',
  NUDT15: 'HGNC:23063',
  DPYD: 'HGNC:3012',
  'HLA-B': 'HGNC:4932',
  CYP3A5: 'HGNC:2638',
  UGT1A1: 'HGNC:12530',
} as const satisfies Record<string, string>;
type Gene = keyof typeof GENES;
/** Genes whose star-allele diplotypes are also given as a PharmVar coding. */
const PHARMVAR_GENES: ReadonlySet<Gene> = new Set<Gene>(['CYP2C19', 'CYP2D6', 'CYP2C9', 'CYP3A5', 'NUDT15', 'SLCO1B1']);

/** LOINC answers for 53040-2 "Genetic variation's effect on drug metabolism". */
const METABOLIZER = {
  'Ultrarapid metabolizer': 'LA10315-2',
  'Rapid metabolizer': 'LA25390-8',
  'Normal metabolizer': 'LA25391-6',
  'Intermediate metabolizer': 'LA10317-8',
  'Poor metabolizer': 'LA9657-3',
} as const satisfies Record<string, string>;
type Metabolizer = keyof typeof METABOLIZER;

const geneComponent = (gene: Gene): ObservationComponent => ({
  code: loinc('48018-6', 'Gene studied [ID]'),
  valueCodeableConcept: concept([coding(HGNC, GENES[gene], gene)]),
});

const LAB_PERFORMER: Reference = { display: 'Synthetic Genomics Laboratory' };

// ---------------------------------------------------------------------------------------------
// Deterministic pseudo-random numbers (integer arithmetic only, so identical on every platform)
// ---------------------------------------------------------------------------------------------
function hashSeed(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}


/** Approximately standard normal (Irwin-Hall: sum of 12 uniforms minus 6); no transcendental functions. */
const gaussian = (rand: () => number): number => {
  let s = 0;
  for (let i = 0; i < 12; i++) s += rand();
  return s - 6;
};
const uniform = (rand: () => number, lo: number, hi: number): number => lo + (hi - lo) * rand();
const smoothstep = (x: number): number => (x <= 0 ? 0 : x >= 1 ? 1 : x * x * (3 - 2 * x));

// ---------------------------------------------------------------------------------------------
// Per-patient builder
// ---------------------------------------------------------------------------------------------
interface PatientSpec {
  readonly id: string;
  readonly given: string;
  readonly gender: 'male' | 'female';
  readonly age: number;
  readonly daysPastBirthday: number;
  readonly race: Race;
}

interface QuantityObs {
  readonly lab: LabKey;
  readonly value: number;
  readonly daysBefore: number;
  readonly time?: string;
}

class Fixture {
  readonly entries: BundleEntry[] = [];
  private readonly counters = new Map<string, number>();
  readonly subject: Reference;

  constructor(readonly spec: PatientSpec) {
    this.subject = { reference: `Patient/${spec.id}` };
    const race = RACES[spec.race];
    const raceExtension: Extension = {
      url: US_CORE_RACE,
      extension: [
        { url: 'ombCategory', valueCoding: coding(OMB_RACE, race.code, race.display) },
        { url: 'text', valueString: race.display },
      ],
    };
    const patient: Patient = {
      resourceType: 'Patient',
      id: spec.id,
      meta: { security: [coding(ACT_REASON, 'HTEST', 'test health data')] },
      extension: [raceExtension],
      identifier: [{ system: MRN_SYSTEM, value: `SBX-${spec.id}` }],
      active: true,
      name: [{ use: 'official', family: 'Synthetic', given: [spec.given], text: `${spec.given} Synthetic` }],
      gender: spec.gender,
      birthDate: birthDateFor(spec.age, spec.daysPastBirthday),
    };
    this.add(patient);
  }

  /** Next id for a resource of this patient: `<patient-id>-<kind>-<n>`, zero-padded to `width`. */
  nextId(kind: string, width = 1): string {
    const n = (this.counters.get(kind) ?? 0) + 1;
    this.counters.set(kind, n);
    return `${this.spec.id}-${kind}-${String(n).padStart(width, '0')}`;
  }

  add<T extends FhirResource>(resource: T): T {
    if (!resource.id) throw new Error(`resource without id in ${this.spec.id}`);
    this.entries.push({ resource, request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` } });
    return resource;
  }

  // ---- clinical data ------------------------------------------------------------------------

  condition(key: ConditionKey, onsetDaysBefore: number): Condition {
    const [[sct, sctDisplay], [icd, icdDisplay]] = CONDITIONS[key];
    return this.add<Condition>({
      resourceType: 'Condition',
      id: this.nextId('cond'),
      clinicalStatus: concept([coding(CONDITION_CLINICAL, 'active', 'Active')]),
      verificationStatus: concept([coding(CONDITION_VERIFICATION, 'confirmed', 'Confirmed')]),
      category: [concept([coding(CONDITION_CATEGORY, 'problem-list-item', 'Problem List Item')])],
      code: concept([coding(SNOMED, sct, sctDisplay), coding(ICD10CM, icd, icdDisplay)], sctDisplay),
      subject: this.subject,
      onsetDateTime: at(onsetDaysBefore, '10:00'),
      recordedDate: at(onsetDaysBefore, '10:00'),
    });
  }

  medicationRequest(drug: DrugKey, text: string, dosage: Dosage, authoredDaysBefore: number): MedicationRequest {
    return this.add<MedicationRequest>({
      resourceType: 'MedicationRequest',
      id: this.nextId('medrx'),
      status: 'active',
      intent: 'order',
      medicationCodeableConcept: drugConcept(drug, text),
      subject: this.subject,
      authoredOn: at(authoredDaysBefore, '11:30'),
      requester: { display: 'Synthetic Clinician, MD' },
      dosageInstruction: [dosage],
    });
  }

  medicationStatement(drug: DrugKey, text: string, dosage: Dosage, startDaysBefore: number, assertedDaysBefore: number): MedicationStatement {
    return this.add<MedicationStatement>({
      resourceType: 'MedicationStatement',
      id: this.nextId('medstmt'),
      status: 'active',
      medicationCodeableConcept: drugConcept(drug, text),
      subject: this.subject,
      effectivePeriod: { start: at(startDaysBefore, '00:00') },
      dateAsserted: at(assertedDaysBefore, '10:15'),
      informationSource: this.subject,
      dosage: [dosage],
    });
  }

  quantity({ lab, value, daysBefore, time }: QuantityObs): Observation {
    const [code, display, cat, unitKey] = LAB[lab];
    const [unit, ucum] = U[unitKey];
    return this.add<Observation>({
      resourceType: 'Observation',
      id: this.nextId('obs'),
      status: 'final',
      category: category(cat),
      code: loinc(code, display),
      subject: this.subject,
      effectiveDateTime: at(daysBefore, time ?? (cat === 'laboratory' ? '08:00' : '09:15')),
      valueQuantity: quantity(value, unit, ucum),
    });
  }

  /** Lipids in mmol/L: coded with the molar LOINC code and, as many EHRs send, the mass code too. */
  molarLipid(kind: 'totalChol' | 'hdl', value: number, daysBefore: number): Observation {
    const codings =
      kind === 'totalChol'
        ? [coding(LOINC, '14647-2', 'Cholesterol [Moles/volume] in Serum or Plasma'), coding(LOINC, '2093-3', LAB.totalChol[1])]
        : [coding(LOINC, '14646-4', 'Cholesterol in HDL [Moles/volume] in Serum or Plasma'), coding(LOINC, '2085-9', LAB.hdl[1])];
    return this.add<Observation>({
      resourceType: 'Observation',
      id: this.nextId('obs'),
      status: 'final',
      category: category('laboratory'),
      code: concept(codings),
      subject: this.subject,
      effectiveDateTime: at(daysBefore, '08:00'),
      valueQuantity: quantity(value, ...U.mmoll),
    });
  }

  bloodPressure(systolic: number, diastolic: number, daysBefore: number): Observation {
    return this.add<Observation>({
      resourceType: 'Observation',
      id: this.nextId('obs'),
      status: 'final',
      category: category('vital-signs'),
      code: concept([coding(LOINC, '85354-9', 'Blood pressure panel with all children optional')], 'Blood pressure'),
      subject: this.subject,
      effectiveDateTime: at(daysBefore, '09:15'),
      component: [
        { code: loinc('8480-6', 'Systolic blood pressure'), valueQuantity: quantity(systolic, ...U.mmhg) },
        { code: loinc('8462-4', 'Diastolic blood pressure'), valueQuantity: quantity(diastolic, ...U.mmhg) },
      ],
    });
  }

  smokingStatus(status: Smoking, daysBefore: number): Observation {
    return this.add<Observation>({
      resourceType: 'Observation',
      id: this.nextId('obs'),
      status: 'final',
      category: category('social-history'),
      code: loinc('72166-2', 'Tobacco smoking status'),
      subject: this.subject,
      effectiveDateTime: at(daysBefore, '09:10'),
      valueCodeableConcept: concept([SMOKING[status]]),
    });
  }

  // ---- pharmacogenomics ------------------------------------------------------------------------

  /**
   * Genomics Reporting IG Genotype: code 84413-4, value text "<GENE> <diplotype>" (plus a PharmVar
   * coding for PharmVar-named genes), component 48018-6 gene studied (HGNC).
   */
  genotype(
    gene: Gene,
    diplotype: string,
    collectedDaysBefore: number,
    extra: { valueText?: string; components?: ObservationComponent[] } = {},
  ): Observation {
    const text = extra.valueText ?? `${gene} ${diplotype}`;
    const value = PHARMVAR_GENES.has(gene) ? concept([coding(PHARMVAR, text, text)], text) : { text };
    return this.add<Observation>({
      resourceType: 'Observation',
      id: this.nextId('pgx'),
      meta: { profile: [GENOTYPE_PROFILE] },
      status: 'final',
      category: genomicsCategory(),
      code: loinc('84413-4', 'Genotype display name'),
      subject: this.subject,
      effectiveDateTime: at(collectedDaysBefore, '10:00'),
      issued: at(collectedDaysBefore - 14, '16:30'),
      performer: [LAB_PERFORMER],
      valueCodeableConcept: value,
      component: [geneComponent(gene), ...(extra.components ?? [])],
    });
  }

  /**
   * HLA allele carriage (presence/absence of one allele), as a Genotype observation:
   * value text "HLA-B*57:01 positive|negative", interpretation POS/NEG, component 48018-6 HLA-B and
   * component 84414-2 "Haplotype name" naming the allele tested (IPD-IMGT/HLA).
   */
  hlaCarriage(allele: string, positive: boolean, collectedDaysBefore: number): Observation {
    const gene: Gene = 'HLA-B';
    const text = `${allele} ${positive ? 'positive' : 'negative'}`;
    return this.add<Observation>({
      resourceType: 'Observation',
      id: this.nextId('pgx'),
      meta: { profile: [GENOTYPE_PROFILE] },
      status: 'final',
      category: genomicsCategory(),
      code: loinc('84413-4', 'Genotype display name'),
      subject: this.subject,
      effectiveDateTime: at(collectedDaysBefore, '10:00'),
      issued: at(collectedDaysBefore - 10, '16:30'),
      performer: [LAB_PERFORMER],
      valueCodeableConcept: { text },
      interpretation: [
        concept([positive ? coding(INTERPRETATION, 'POS', 'Positive') : coding(INTERPRETATION, 'NEG', 'Negative')]),
      ],
      component: [
        geneComponent(gene),
        { code: loinc('84414-2', 'Haplotype name'), valueCodeableConcept: concept([coding(IMGT_HLA, allele, allele)]) },
      ],
    });
  }

  /**
   * VKORC1 -1639G>A (rs9923231) as a Genotype observation: value text "VKORC1 -1639G>A <a1>/<a2>"
   * in gene-strand alleles (A = variant = rs9923231 T on the genomic plus strand), plus components
   * 81255-2 dbSNP id and 53034-5 allelic state.
   */
  vkorc1(genotype: 'G/G' | 'A/G' | 'A/A', collectedDaysBefore: number): Observation {
    const state =
      genotype === 'A/G'
        ? coding(LOINC, 'LA6706-1', 'Heterozygous')
        : genotype === 'A/A'
          ? coding(LOINC, 'LA6705-3', 'Homozygous')
          : undefined;
    const components: ObservationComponent[] = [
      { code: loinc('81255-2', 'dbSNP [ID]'), valueCodeableConcept: concept([coding(DBSNP, 'rs9923231', 'rs9923231')]) },
    ];
    if (state) components.push({ code: loinc('53034-5', 'Allelic state'), valueCodeableConcept: concept([state]) });
    return this.genotype('VKORC1', genotype, collectedDaysBefore, { valueText: `VKORC1 -1639G>A ${genotype}`, components });
  }

  /**
   * Genomics Reporting IG Therapeutic Implication: component 53040-2 (metabolizer status, LOINC
   * answer), plus 48018-6 gene studied and optionally 51963-7 medication assessed; derivedFrom the
   * genotype when there is one.
   */
  implication(
    gene: Gene,
    phenotype: Metabolizer,
    issuedDaysBefore: number,
    opts: { derivedFrom?: Observation; medication?: DrugKey; note?: string; performer?: string } = {},
  ): Observation {
    const component: ObservationComponent[] = [
      {
        code: loinc('53040-2', "Genetic variation's effect on drug metabolism"),
        valueCodeableConcept: concept([coding(LOINC, METABOLIZER[phenotype], phenotype)], phenotype),
      },
      geneComponent(gene),
    ];
    if (opts.medication) {
      component.push({ code: loinc('51963-7', 'Medication assessed [ID]'), valueCodeableConcept: drugConcept(opts.medication) });
    }
    const obs: Observation = {
      resourceType: 'Observation',
      id: this.nextId('pgx'),
      meta: { profile: [IMPLICATION_PROFILE] },
      status: 'final',
      category: genomicsCategory(),
      code: concept([coding(GENOMICS_TBD, 'therapeutic-implication', 'Therapeutic Implication')], `${gene} phenotype`),
      subject: this.subject,
      effectiveDateTime: at(issuedDaysBefore, '16:30'),
      issued: at(issuedDaysBefore, '16:30'),
      performer: [opts.performer ? { display: opts.performer } : LAB_PERFORMER],
    };
    if (opts.note) obs.note = [{ text: opts.note }];
    if (opts.derivedFrom) obs.derivedFrom = [{ reference: `Observation/${opts.derivedFrom.id}` }];
    obs.component = component;
    return this.add(obs);
  }

  // ---- continuous glucose monitoring -------------------------------------------------------------

  /**
   * The CGM sensor Device. `coded` adds a SNOMED CT `type.coding` (700585005) next to the text;
   * the first CGM patients (21-24) have the text only.
   */
  cgmDevice(opts: { coded?: boolean } = {}): Device {
    return this.add<Device>({
      resourceType: 'Device',
      id: this.nextId('device'),
      status: 'active',
      deviceName: [{ name: 'Synthetic CGM sensor', type: 'user-friendly-name' }],
      type: opts.coded ? concept([CGM_DEVICE_TYPE], 'Continuous glucose monitor') : { text: 'Continuous glucose monitor' },
      patient: this.subject,
    });
  }

  /** A fingerstick blood glucose meter (not a CGM). */
  glucometerDevice(): Device {
    return this.add<Device>({
      resourceType: 'Device',
      id: this.nextId('device'),
      status: 'active',
      deviceName: [{ name: 'Synthetic blood glucose meter', type: 'user-friendly-name' }],
      type: concept([GLUCOMETER_DEVICE_TYPE], 'Blood glucose meter'),
      patient: this.subject,
    });
  }

  /**
   * A single blood glucose result, 2339-0 in mg/dL, category laboratory: from the lab (no device)
   * or a fingerstick meter (`device`). Never part of a CGM series.
   */
  bloodGlucose(value: number, daysBefore: number, time: string, device?: Device): Observation {
    const obs: Observation = {
      resourceType: 'Observation',
      id: this.nextId('obs'),
      status: 'final',
      category: category('laboratory'),
      code: loinc(BLOOD_GLUCOSE_CODE, 'Glucose [Mass/volume] in Blood'),
      subject: this.subject,
      effectiveDateTime: at(daysBefore, time),
      valueQuantity: quantity(value, ...U.mgdl),
    };
    if (device) obs.device = { reference: `Device/${device.id}` };
    return this.add(obs);
  }

  /**
   * One sensor Observation per captured 5-minute slot over the 28 days before the anchor.
   * `code` overrides the LOINC code (default 99504-3, or 105272-9 for mmol/L); `codedDevice`
   * gives the CGM Device a SNOMED CT type coding.
   */
  cgmSeries(profile: CgmProfile, opts: { code?: string; codedDevice?: boolean } = {}): void {
    const device = this.cgmDevice({ coded: opts.codedDevice });
    const deviceRef: Reference = { reference: `Device/${device.id}` };
    const molar = profile.unit === 'mmol/L';
    const code: CodeableConcept = { coding: [{ system: LOINC, code: opts.code ?? (molar ? CGM_MOLAR_CODE : CGM_MASS_CODE) }] };
    const cat: CodeableConcept[] = [{ coding: [{ system: OBS_CATEGORY, code: 'laboratory' }] }];
    for (const reading of cgmReadings(this.spec.id, profile)) {
      const value = molar ? Math.round((reading.mgdl / 18.016) * 10) / 10 : reading.mgdl;
      this.add<Observation>({
        resourceType: 'Observation',
        id: this.nextId('sg', 4),
        status: 'final',
        category: cat,
        code,
        subject: this.subject,
        effectiveDateTime: iso(reading.ms),
        valueQuantity: molar ? quantity(value, ...U.mmoll) : quantity(value, ...U.mgdl),
        device: deviceRef,
      });
    }
  }


  /**
   * A CGM summary as the HL7 CGM IG publishes it for one reporting period (no raw readings): the
   * panel 107931-8 whose hasMember are mean glucose 97507-8, the times-in-ranges panel 106793-3
   * (five band components), GMI 97506-0, CV 104638-2, days of wear 104636-6 and sensor active
   * percentage 104637-4. All share `effectivePeriod` (start and end dates, inclusive), category
   * laboratory and the CGM Device.
   */
  cgmSummary(device: Device, s: CgmSummary): Observation {
    const effectivePeriod = { start: at(s.fromDaysBefore).slice(0, 10), end: at(s.toDaysBefore).slice(0, 10) };
    const deviceRef: Reference = { reference: `Device/${device.id}` };
    const summaryObs = (code: string, display: string, rest: Partial<Observation>): Observation =>
      this.add<Observation>({
        resourceType: 'Observation',
        id: this.nextId('cgmsum'),
        status: 'final',
        category: category('laboratory'),
        code: loinc(code, display),
        subject: this.subject,
        effectivePeriod,
        ...rest,
        device: deviceRef,
      });
    const pct = (value: number): Quantity => quantity(value, ...U.pct);
    const bands = s.veryLow + s.low + s.inTarget + s.high + s.veryHigh;
    if (Math.abs(bands - 100) > 1e-9) throw new Error(`${this.spec.id}: CGM summary bands sum to ${bands}, not 100`);
    const band = (code: string, display: string, value: number): ObservationComponent => ({
      code: loinc(code, display),
      valueQuantity: pct(value),
    });
    const members = [
      summaryObs(CGM_SUMMARY.meanGlucoseMass, 'Average glucose [Mass/volume] in Interstitial fluid during Reporting Period', {
        valueQuantity: quantity(s.meanMgdl, ...U.mgdl),
      }),
      summaryObs(CGM_SUMMARY.timesInRanges, 'Continuous glucose monitoring time in ranges panel', {
        component: [
          band(CGM_SUMMARY.timeVeryLow, 'Time below range, very low in Reporting Period Interstitial fluid by calculation', s.veryLow),
          band(CGM_SUMMARY.timeLow, 'Time below range, low in Reporting Period Interstitial fluid by calculation', s.low),
          band(
            CGM_SUMMARY.timeInTarget,
            'Glucose measurements in range out of Total glucose measurements during reporting period',
            s.inTarget,
          ),
          band(CGM_SUMMARY.timeHigh, 'Time above range, high in Reporting Period Interstitial fluid by calculation', s.high),
          band(CGM_SUMMARY.timeVeryHigh, 'Time above range, very high in Reporting Period Interstitial fluid by calculation', s.veryHigh),
        ],
      }),
      summaryObs(CGM_SUMMARY.gmi, 'Glucose management indicator', { valueQuantity: pct(gmiFromMean(s.meanMgdl)) }),
      summaryObs(CGM_SUMMARY.cv, 'Glucose standard deviation/Glucose mean in Reporting Period Interstitial fluid by calculation', {
        valueQuantity: pct(s.cv),
      }),
      summaryObs(CGM_SUMMARY.daysOfWear, 'Days continuous glucose monitor device worn [#] Reporting Period Estimated', {
        valueQuantity: quantity(s.daysOfWear, 'days', 'd'),
      }),
      summaryObs(CGM_SUMMARY.sensorActive, 'Percentage of time continuous glucose monitor device worn Reporting Period Calculated', {
        valueQuantity: pct(s.sensorActive),
      }),
    ];
    return summaryObs(CGM_SUMMARY.panel, 'Continuous glucose monitoring summary panel - Reporting Period', {
      hasMember: members.map((m) => ({ reference: `Observation/${m.id}` })),
    });
  }
}

/** One CGM summary reporting period: from/to are days before the anchor (inclusive dates). */
interface CgmSummary {
  readonly fromDaysBefore: number;
  readonly toDaysBefore: number;
  readonly meanMgdl: number;
  /** Percent of time in each band; must sum to 100. */
  readonly veryLow: number;
  readonly low: number;
  readonly inTarget: number;
  readonly high: number;
  readonly veryHigh: number;
  /** Coefficient of variation, %. */
  readonly cv: number;
  readonly daysOfWear: number;
  /** Sensor active (wear time), %. */
  readonly sensorActive: number;
}

/** Glucose management indicator (%), Bergenstal 2018: 3.31 + 0.02392 x mean glucose (mg/dL), 2 decimals. */
export const gmiFromMean = (meanMgdl: number): number => Math.round((3.31 + 0.02392 * meanMgdl) * 100) / 100;

// ---------------------------------------------------------------------------------------------
// CGM signal model
// ---------------------------------------------------------------------------------------------
export const CGM_DAYS = 28;
export const CGM_SLOTS_PER_DAY = 288;

interface CgmProfile {
  readonly unit: 'mg/dL' | 'mmol/L';
  /** Overnight/fasting level, mg/dL. */
  readonly base: number;
  /** Dawn-phenomenon rise peaking around 06:30, mg/dL. */
  readonly dawn: number;
  /** Meals: [minute of day, peak rise in mg/dL]. */
  readonly meals: ReadonlyArray<readonly [number, number]>;
  /** Standard deviation of the slow AR(1) noise, mg/dL. */
  readonly noiseSd: number;
  /** Nocturnal hypoglycemia: probability per night in the earlier and the recent 14 days, nadir range. */
  readonly hypo?: { readonly priorNightProb: number; readonly recentNightProb: number; readonly nadir: readonly [number, number] };
  /** Whether the slot was captured (sensor worn and transmitting); default all captured. */
  readonly captured?: (day: number, minuteOfDay: number, rand: () => number) => boolean;
}

/** Rise and fall after a meal: up over 60 minutes, back down over the next 180. */
const mealCurve = (dt: number): number => (dt < 0 || dt >= 240 ? 0 : dt < 60 ? smoothstep(dt / 60) : 1 - smoothstep((dt - 60) / 180));
/** Symmetric bump on [lo, hi], peak 1 at the midpoint. */
const bump = (m: number, lo: number, hi: number): number => {
  if (m <= lo || m >= hi) return 0;
  const x = (m - lo) / (hi - lo);
  return 16 * x * x * (1 - x) * (1 - x);
};

function* cgmReadings(patientId: string, p: CgmProfile): Generator<{ ms: number; mgdl: number }> {
  const rand = mulberry32(hashSeed(patientId));
  const phi = 0.97;
  const innovationSd = p.noiseSd * Math.sqrt(1 - phi * phi);
  let noise = 0;
  const start = ANCHOR_MS - CGM_DAYS * DAY_MS;
  for (let day = 0; day < CGM_DAYS; day++) {
    const meals = p.meals.map(([minute, rise]) => [minute + uniform(rand, -30, 30), rise * uniform(rand, 0.7, 1.3)] as const);
    const recent = day >= CGM_DAYS / 2;
    let dip: { from: number; to: number; nadir: number } | undefined;
    if (p.hypo && rand() < (recent ? p.hypo.recentNightProb : p.hypo.priorNightProb)) {
      const from = uniform(rand, 90, 210); // starts 01:30-03:30
      dip = { from, to: from + uniform(rand, 130, 190), nadir: uniform(rand, p.hypo.nadir[0], p.hypo.nadir[1]) };
    }
    for (let slot = 0; slot < CGM_SLOTS_PER_DAY; slot++) {
      const minute = slot * 5;
      noise = phi * noise + innovationSd * gaussian(rand);
      let g = p.base + p.dawn * bump(minute, 180, 600) + noise;
      for (const [mealMinute, rise] of meals) g += rise * mealCurve(minute - mealMinute);
      if (dip && minute > dip.from && minute < dip.to) {
        // Plateau weight: ramps down over the first 30 %, holds, ramps back up over the last 30 %.
        const x = (minute - dip.from) / (dip.to - dip.from);
        const w = x < 0.3 ? smoothstep(x / 0.3) : x > 0.7 ? smoothstep((1 - x) / 0.3) : 1;
        g = g * (1 - w) + dip.nadir * w;
      }
      const captured = p.captured ? p.captured(day, minute, rand) : true;
      if (!captured) continue;
      yield { ms: start + day * DAY_MS + minute * MINUTE_MS, mgdl: Math.round(Math.min(400, Math.max(40, g))) };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Common dosage instructions
// ---------------------------------------------------------------------------------------------
const ORAL = concept([coding(SNOMED, '26643006', 'Oral route')]);
const SUBCUT = concept([coding(SNOMED, '34206005', 'Subcutaneous route')]);
const oralDaily = (mg: number, text: string, timesPerDay = 1): Dosage => ({
  text,
  timing: { repeat: { frequency: timesPerDay, period: 1, periodUnit: 'd' } },
  route: ORAL,
  doseAndRate: [{ doseQuantity: quantity(mg, 'mg', 'mg') }],
});
const insulinDaily = (units: number, text: string): Dosage => ({
  text,
  timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd' } },
  route: SUBCUT,
  doseAndRate: [{ doseQuantity: quantity(units, 'U', 'U') }],
});
const MEALTIME_INSULIN: Dosage = {
  text: 'Inject subcutaneously before each meal per carbohydrate ratio (1 unit per 10 g) and correction scale',
  route: SUBCUT,
};

const LISINOPRIL = ['lisinopril 20 MG Oral Tablet', oralDaily(20, 'Take 1 tablet (20 mg) by mouth once daily')] as const;
const ATORVASTATIN = ['atorvastatin 40 MG Oral Tablet', oralDaily(40, 'Take 1 tablet (40 mg) by mouth once daily')] as const;
const METFORMIN = [
  'metformin hydrochloride 1000 MG Oral Tablet',
  oralDaily(1000, 'Take 1 tablet (1000 mg) by mouth twice daily with meals', 2),
] as const;
const GLARGINE = 'insulin glargine 100 UNT/ML Injectable Solution';
const LISPRO = 'insulin lispro 100 UNT/ML Injectable Solution';
const ASPIRIN = ['aspirin 81 MG Delayed Release Oral Tablet', oralDaily(81, 'Take 1 tablet (81 mg) by mouth once daily')] as const;
const CLOPIDOGREL = ['clopidogrel 75 MG Oral Tablet', oralDaily(75, 'Take 1 tablet (75 mg) by mouth once daily')] as const;

// ---------------------------------------------------------------------------------------------
// The patients
// ---------------------------------------------------------------------------------------------

/** Shared high-risk primary-prevention profile: 65 y White man, TC 240, HDL 35, treated SBP 160, smoker. */
function highRiskMaleBase(id: string, given: string, molarLipids = false): Fixture {
  const f = new Fixture({ id, given, gender: 'male', age: 65, daysPastBirthday: 140, race: 'white' });
  f.condition('hypertension', 2900);
  f.medicationRequest('lisinopril', ...LISINOPRIL, 400);
  // An older panel outside usual lookback windows; the recent one is the one to use.
  f.bloodPressure(152, 90, 400);
  f.bloodPressure(160, 92, 30);
  if (molarLipids) {
    f.molarLipid('totalChol', 5.9, 800);
    f.molarLipid('hdl', 0.96, 800);
    f.molarLipid('totalChol', 6.21, 45);
    f.molarLipid('hdl', 0.91, 45);
  } else {
    f.quantity({ lab: 'totalChol', value: 228, daysBefore: 800 });
    f.quantity({ lab: 'hdl', value: 37, daysBefore: 800 });
    f.quantity({ lab: 'totalChol', value: 240, daysBefore: 45 });
    f.quantity({ lab: 'hdl', value: 35, daysBefore: 45 });
    f.quantity({ lab: 'ldlCalc', value: 165, daysBefore: 45 });
  }
  f.quantity({ lab: 'egfr', value: 78, daysBefore: 45 });
  f.smokingStatus('current', 30);
  f.quantity({ lab: 'bmi', value: 28.4, daysBefore: 30 });
  return f;
}

function cvdPatients(): Fixture[] {
  const out: Fixture[] = [];

  out.push(highRiskMaleBase('cvd-high-risk-male', 'Walter'));

  {
    const f = highRiskMaleBase('cvd-on-statin', 'Stanley');
    f.medicationRequest('atorvastatin', ...ATORVASTATIN, 200);
    out.push(f);
  }

  {
    const f = highRiskMaleBase('cvd-statin-statement', 'Sterling');
    f.medicationStatement('atorvastatin', ...ATORVASTATIN, 300, 20);
    out.push(f);
  }

  {
    const f = new Fixture({ id: 'cvd-missing-lipids', given: 'Martin', gender: 'male', age: 58, daysPastBirthday: 45, race: 'white' });
    f.bloodPressure(142, 88, 21);
    f.smokingStatus('former', 21);
    f.quantity({ lab: 'bmi', value: 31.0, daysBefore: 21 });
    f.quantity({ lab: 'egfr', value: 85, daysBefore: 60 });
    out.push(f);
  }

  {
    const f = new Fixture({ id: 'cvd-too-young', given: 'Kenji', gender: 'male', age: 35, daysPastBirthday: 200, race: 'asian' });
    f.bloodPressure(132, 84, 14);
    f.quantity({ lab: 'totalChol', value: 210, daysBefore: 20 });
    f.quantity({ lab: 'hdl', value: 42, daysBefore: 20 });
    f.quantity({ lab: 'egfr', value: 108, daysBefore: 20 });
    f.smokingStatus('never', 14);
    f.quantity({ lab: 'bmi', value: 26.1, daysBefore: 14 });
    out.push(f);
  }

  out.push(highRiskMaleBase('cvd-mmol', 'Milton', true));

  // The 2013 guideline's worked example inputs (55 y, TC 213, HDL 50, untreated SBP 120, no smoking, no diabetes).
  for (const [id, given, race] of [
    ['cvd-black-female', 'Alberta', 'black'],
    ['cvd-white-female', 'Wilma', 'white'],
  ] as const) {
    const f = new Fixture({ id, given, gender: 'female', age: 55, daysPastBirthday: 90, race });
    f.bloodPressure(120, 78, 25);
    f.quantity({ lab: 'totalChol', value: 213, daysBefore: 40 });
    f.quantity({ lab: 'hdl', value: 50, daysBefore: 40 });
    f.quantity({ lab: 'ldlCalc', value: 139, daysBefore: 40 });
    f.quantity({ lab: 'egfr', value: 95, daysBefore: 40 });
    f.smokingStatus('never', 25);
    f.quantity({ lab: 'bmi', value: 27.5, daysBefore: 25 });
    out.push(f);
  }

  {
    const f = new Fixture({
      id: 'cvd-secondary-prevention',
      given: 'Marcus',
      gender: 'male',
      age: 62,
      daysPastBirthday: 300,
      race: 'white',
    });
    f.condition('mi', 730);
    f.condition('hypertension', 1500);
    f.medicationRequest('aspirin', ...ASPIRIN, 700);
    const metoprolol = oralDaily(50, 'Take 1 tablet (50 mg) by mouth once daily');
    f.medicationRequest('metoprolol', 'metoprolol succinate 50 MG Extended Release Oral Tablet', metoprolol, 700);
    f.bloodPressure(128, 76, 35);
    f.quantity({ lab: 'totalChol', value: 205, daysBefore: 50 });
    f.quantity({ lab: 'hdl', value: 40, daysBefore: 50 });
    f.quantity({ lab: 'ldlCalc', value: 128, daysBefore: 50 });
    f.quantity({ lab: 'egfr', value: 82, daysBefore: 50 });
    f.smokingStatus('former', 35);
    f.quantity({ lab: 'bmi', value: 29.2, daysBefore: 35 });
    out.push(f);
  }

  {
    const f = new Fixture({ id: 'cvd-stroke-pad', given: 'Rosalind', gender: 'female', age: 70, daysPastBirthday: 20, race: 'black' });
    f.condition('stroke', 1100);
    f.condition('pad', 500);
    f.condition('hypertension', 3000);
    f.medicationRequest('amlodipine', 'amlodipine 10 MG Oral Tablet', oralDaily(10, 'Take 1 tablet (10 mg) by mouth once daily'), 1000);
    f.medicationRequest('aspirin', ...ASPIRIN, 1090);
    f.bloodPressure(136, 80, 28);
    f.quantity({ lab: 'totalChol', value: 196, daysBefore: 60 });
    f.quantity({ lab: 'hdl', value: 52, daysBefore: 60 });
    f.smokingStatus('never', 28);
    out.push(f);
  }

  {
    const f = new Fixture({ id: 'cvd-diabetic', given: 'Dolores', gender: 'female', age: 58, daysPastBirthday: 160, race: 'white' });
    f.condition('t2dm', 2200);
    f.condition('hypertension', 1800);
    f.medicationRequest('metformin', ...METFORMIN, 900);
    f.medicationRequest('lisinopril', ...LISINOPRIL, 600);
    f.bloodPressure(138, 82, 20);
    f.quantity({ lab: 'totalChol', value: 230, daysBefore: 30 });
    f.quantity({ lab: 'hdl', value: 45, daysBefore: 30 });
    f.quantity({ lab: 'ldlCalc', value: 152, daysBefore: 30 });
    f.quantity({ lab: 'creatinine', value: 1.1, daysBefore: 30 });
    f.quantity({ lab: 'hba1c', value: 7.6, daysBefore: 30 });
    f.smokingStatus('never', 20);
    f.quantity({ lab: 'height', value: 165, daysBefore: 20 });
    f.quantity({ lab: 'weight', value: 85, daysBefore: 20 });
    out.push(f);
  }

  return out;
}

function pgxPatients(): Fixture[] {
  const out: Fixture[] = [];

  {
    const f = new Fixture({ id: 'pgx-cyp2c19-poor', given: 'Hiroshi', gender: 'male', age: 68, daysPastBirthday: 75, race: 'asian' });
    f.condition('cad', 1200);
    f.medicationRequest('clopidogrel', ...CLOPIDOGREL, 90);
    f.medicationRequest('aspirin', ...ASPIRIN, 90);
    const gt = f.genotype('CYP2C19', '*2/*2', 420);
    f.implication('CYP2C19', 'Poor metabolizer', 406, { derivedFrom: gt, medication: 'clopidogrel' });
    out.push(f);
  }

  for (const [id, given, gender, age, race, positive] of [
    ['pgx-hla-b5701-positive', 'Gregory', 'male', 42, 'white', true],
    ['pgx-hla-b5701-negative', 'Naomi', 'female', 39, 'black', false],
  ] as const) {
    const f = new Fixture({ id, given, gender, age, daysPastBirthday: 222, race });
    f.condition('hiv', 2000);
    f.hlaCarriage('HLA-B*57:01', positive, 180);
    out.push(f);
  }

  {
    const f = new Fixture({ id: 'pgx-cyp2d6-ultrarapid', given: 'Ulla', gender: 'female', age: 31, daysPastBirthday: 33, race: 'white' });
    f.condition('lowBackPain', 60);
    const gt = f.genotype('CYP2D6', '*1/*1x2', 500);
    f.implication('CYP2D6', 'Ultrarapid metabolizer', 486, { derivedFrom: gt, medication: 'codeine' });
    out.push(f);
  }

  {
    const f = new Fixture({ id: 'pgx-warfarin', given: 'Vincent', gender: 'male', age: 67, daysPastBirthday: 250, race: 'white' });
    f.condition('afib', 40);
    const amiodarone = oralDaily(200, 'Take 1 tablet (200 mg) by mouth once daily');
    f.medicationRequest('amiodarone', 'amiodarone hydrochloride 200 MG Oral Tablet', amiodarone, 35);
    f.quantity({ lab: 'height', value: 178, daysBefore: 10 });
    f.quantity({ lab: 'weight', value: 82, daysBefore: 10 });
    f.genotype('CYP2C9', '*1/*3', 21);
    f.vkorc1('A/G', 21);
    out.push(f);
  }

  {
    const f = new Fixture({ id: 'pgx-multi', given: 'Magdalena', gender: 'female', age: 51, daysPastBirthday: 180, race: 'white' });
    f.condition('hyperlipidemia', 1500);
    f.condition('crohns', 3000);
    const simvastatin = oralDaily(40, 'Take 1 tablet (40 mg) by mouth once daily in the evening');
    f.medicationRequest('simvastatin', 'simvastatin 40 MG Oral Tablet', simvastatin, 365);
    const collected = 250;
    const tpmt = f.genotype('TPMT', '*1/*3A', collected);
    f.genotype('NUDT15', '*1/*1', collected);
    const dpyd = f.genotype('DPYD', 'Reference/c.1905+1G>A (*2A)', collected);
    f.genotype('SLCO1B1', '*5/*15', collected);
    f.genotype('CYP3A5', '*3/*3', collected);
    const ugt = f.genotype('UGT1A1', '*28/*28', collected);
    const cyp2c9 = f.genotype('CYP2C9', '*2/*3', collected);
    const issued = collected - 14;
    f.implication('TPMT', 'Intermediate metabolizer', issued, { derivedFrom: tpmt });
    f.implication('DPYD', 'Intermediate metabolizer', issued, { derivedFrom: dpyd });
    f.implication('UGT1A1', 'Poor metabolizer', issued, { derivedFrom: ugt });
    f.implication('CYP2C9', 'Poor metabolizer', issued, { derivedFrom: cyp2c9 });
    out.push(f);
  }

  {
    const f = new Fixture({ id: 'pgx-no-results', given: 'Nathaniel', gender: 'male', age: 46, daysPastBirthday: 10, race: 'black' });
    f.condition('cad', 30);
    f.medicationRequest('aspirin', ...ASPIRIN, 28);
    out.push(f);
  }

  {
    // HLA-B*15:02 (carbamazepine, oxcarbazepine, phenytoin) and HLA-B*58:01 (allopurinol) carrier,
    // with CYP2C9 for the combined phenytoin recommendation.
    const f = new Fixture({ id: 'pgx-hla-b1502-b5801', given: 'Mei', gender: 'female', age: 44, daysPastBirthday: 61, race: 'asian' });
    f.hlaCarriage('HLA-B*15:02', true, 150);
    f.hlaCarriage('HLA-B*58:01', true, 150);
    f.genotype('CYP2C9', '*1/*1', 150);
    out.push(f);
  }

  {
    const f = new Fixture({ id: 'pgx-conflicting', given: 'Constance', gender: 'female', age: 60, daysPastBirthday: 120, race: 'white' });
    f.condition('cad', 400);
    f.medicationRequest('clopidogrel', ...CLOPIDOGREL, 380);
    f.genotype('CYP2C19', '*1/*1', 730);
    f.implication('CYP2C19', 'Poor metabolizer', 200, {
      medication: 'clopidogrel',
      performer: 'Outside laboratory (transcribed)',
      note: 'Phenotype transcribed from an outside laboratory report; no genotype accompanied it.',
    });
    out.push(f);
  }

  return out;
}

function cgmPatients(): Fixture[] {
  const out: Fixture[] = [];
  const meals = (b: number, l: number, d: number): ReadonlyArray<readonly [number, number]> => [
    [7 * 60 + 30, b],
    [12 * 60 + 30, l],
    [18 * 60 + 45, d],
  ];

  {
    const f = new Fixture({ id: 'cgm-hypo', given: 'Hope', gender: 'female', age: 34, daysPastBirthday: 150, race: 'white' });
    f.condition('t1dm', 7000);
    f.medicationRequest('insulin glargine', GLARGINE, insulinDaily(22, 'Inject 22 units subcutaneously at bedtime'), 300);
    f.medicationRequest('insulin lispro', LISPRO, MEALTIME_INSULIN, 300);
    f.quantity({ lab: 'hba1c', value: 6.9, daysBefore: 40 });
    f.cgmSeries({
      unit: 'mg/dL',
      base: 130,
      dawn: 15,
      meals: meals(85, 65, 95),
      noiseSd: 22,
      hypo: { priorNightProb: 0.15, recentNightProb: 0.85, nadir: [40, 50] },
    });
    out.push(f);
  }

  {
    const f = new Fixture({ id: 'cgm-stable', given: 'Stefan', gender: 'male', age: 52, daysPastBirthday: 60, race: 'black' });
    f.condition('t2dm', 2500);
    f.medicationRequest('metformin', ...METFORMIN, 700);
    f.medicationRequest('insulin glargine', GLARGINE, insulinDaily(14, 'Inject 14 units subcutaneously once daily in the evening'), 400);
    f.quantity({ lab: 'hba1c', value: 6.6, daysBefore: 35 });
    f.cgmSeries({ unit: 'mg/dL', base: 118, dawn: 12, meals: meals(60, 45, 70), noiseSd: 15 });
    out.push(f);
  }

  {
    const f = new Fixture({ id: 'cgm-mmol', given: 'Mei', gender: 'female', age: 72, daysPastBirthday: 270, race: 'asian' });
    f.condition('t2dm', 5000);
    f.medicationRequest('metformin', ...METFORMIN, 1500);
    f.medicationRequest('insulin glargine', GLARGINE, insulinDaily(18, 'Inject 18 units subcutaneously once daily in the morning'), 500);
    f.quantity({ lab: 'hba1c', value: 7.9, daysBefore: 50 });
    f.cgmSeries({ unit: 'mmol/L', base: 156, dawn: 20, meals: meals(72, 56, 78), noiseSd: 18 });
    out.push(f);
  }

  {
    const f = new Fixture({ id: 'cgm-sparse', given: 'Silas', gender: 'male', age: 45, daysPastBirthday: 15, race: 'white' });
    f.condition('t1dm', 9000);
    f.medicationRequest('insulin glargine', GLARGINE, insulinDaily(24, 'Inject 24 units subcutaneously at bedtime'), 250);
    f.medicationRequest('insulin lispro', LISPRO, MEALTIME_INSULIN, 250);
    f.quantity({ lab: 'hba1c', value: 7.4, daysBefore: 45 });
    f.cgmSeries({
      unit: 'mg/dL',
      base: 130,
      dawn: 15,
      meals: meals(70, 55, 80),
      noiseSd: 15,
      // Earlier 14 days: one day without a sensor, otherwise ~5 % dropouts. Recent 14 days: three days
      // without a sensor and a daily 4-hour signal loss (13:00-17:00), so well under 70 % captured.
      captured: (day, minute, rand) => {
        const dropout = rand() < 0.05;
        if (day < CGM_DAYS / 2) return day !== 6 && !dropout;
        if (day === 17 || day === 18 || day === 19) return false;
        return !(minute >= 13 * 60 && minute < 17 * 60) && !dropout;
      },
    });
    out.push(f);
  }

  {
    // CGM summary only (HL7 CGM IG summary Observations), no raw readings: the last 14 days are
    // off target and worse than the 14 days before.
    const f = new Fixture({ id: 'cgm-summary-only', given: 'Sue', gender: 'female', age: 58, daysPastBirthday: 200, race: 'white' });
    f.condition('t1dm', 11000);
    f.medicationRequest('insulin glargine', GLARGINE, insulinDaily(26, 'Inject 26 units subcutaneously at bedtime'), 350);
    f.medicationRequest('insulin lispro', LISPRO, MEALTIME_INSULIN, 350);
    f.quantity({ lab: 'hba1c', value: 7.6, daysBefore: 60 });
    const device = f.cgmDevice({ coded: true });
    // Earlier period first (days -28..-15), then the recent one (-14..-1); dates inclusive.
    f.cgmSummary(device, {
      fromDaysBefore: 28,
      toDaysBefore: 15,
      meanMgdl: 160,
      veryLow: 0.5,
      low: 2,
      inTarget: 66,
      high: 24,
      veryHigh: 7.5,
      cv: 34.2,
      daysOfWear: 14,
      sensorActive: 94,
    });
    f.cgmSummary(device, {
      fromDaysBefore: 14,
      toDaysBefore: 1,
      meanMgdl: 172,
      veryLow: 1.5,
      low: 3.5,
      inTarget: 58,
      high: 27,
      veryHigh: 10,
      cv: 38.5,
      daysOfWear: 14,
      sensorActive: 91,
    });
    out.push(f);
  }

  {
    // CGM readings coded 2339-0 (blood glucose) from a Device typed as a CGM, plus three ordinary
    // 2339-0 results (lab, fingerstick meter) that are not CGM data. High variability.
    const f = new Fixture({ id: 'cgm-glucose-tagged', given: 'Glen', gender: 'male', age: 49, daysPastBirthday: 100, race: 'asian' });
    f.condition('t2dm', 3000);
    f.medicationRequest('metformin', ...METFORMIN, 900);
    f.medicationRequest('insulin glargine', GLARGINE, insulinDaily(20, 'Inject 20 units subcutaneously once daily in the evening'), 400);
    f.quantity({ lab: 'hba1c', value: 7.1, daysBefore: 45 });
    f.cgmSeries(
      { unit: 'mg/dL', base: 96, dawn: 5, meals: meals(145, 115, 155), noiseSd: 17 },
      { code: BLOOD_GLUCOSE_CODE, codedDevice: true },
    );
    const meter = f.glucometerDevice();
    f.bloodGlucose(98, 20, '08:07'); // lab (venous), no device
    f.bloodGlucose(212, 9, '13:52', meter); // fingerstick after lunch
    f.bloodGlucose(74, 3, '06:41', meter); // fingerstick before breakfast
    out.push(f);
  }

  {
    // Under 65 but high risk (end-stage renal disease): meets the older/high-risk targets but not
    // the standard ones.
    const f = new Fixture({ id: 'cgm-high-risk', given: 'Harriet', gender: 'female', age: 55, daysPastBirthday: 320, race: 'black' });
    f.condition('t2dm', 6000);
    f.condition('esrd', 700);
    f.medicationRequest('insulin glargine', GLARGINE, insulinDaily(12, 'Inject 12 units subcutaneously once daily in the morning'), 300);
    f.quantity({ lab: 'egfr', value: 11, daysBefore: 30 });
    f.quantity({ lab: 'hba1c', value: 7.3, daysBefore: 30 });
    f.cgmSeries({ unit: 'mg/dL', base: 160, dawn: 18, meals: meals(75, 60, 85), noiseSd: 22 }, { codedDevice: true });
    out.push(f);
  }

  return out;
}

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------
export interface FixtureBundle {
  readonly fileName: string;
  readonly bundle: Bundle;
}

/** Builds every fixture Bundle; pure and deterministic. */
export function buildFixtureBundles(): FixtureBundle[] {
  const fixtures = [...cvdPatients(), ...pgxPatients(), ...cgmPatients()];
  return fixtures.map((f, i) => ({
    fileName: `${String(i + 1).padStart(2, '0')}-${f.spec.id}.json`,
    bundle: { resourceType: 'Bundle', type: 'transaction', timestamp: ANCHOR, entry: f.entries },
  }));
}

/** A sensor reading from cgmSeries: a CGM code, or (for 2339-0-coded feeds) an `-sg-NNNN` id. */
const isCgmReading = (entry: BundleEntry): boolean => {
  const r = entry.resource;
  if (r?.resourceType !== 'Observation') return false;
  const code = r.code.coding?.[0]?.code;
  return code === CGM_MASS_CODE || code === CGM_MOLAR_CODE || /-sg-\d{4}$/.test(r.id ?? '');
};

/**
 * JSON text of a Bundle: 2-space pretty print, except that each CGM reading entry sits on one line
 * (still valid JSON) to keep the files small. Ends with a newline.
 */
export function renderBundle(bundle: Bundle): string {
  const { entry = [], ...head } = bundle;
  const headText = JSON.stringify(head, null, 2);
  const entries = entry.map((e) =>
    isCgmReading(e) ? `    ${JSON.stringify(e)}` : JSON.stringify(e, null, 2).replace(/^/gm, '    '),
  );
  return `${headText.slice(0, -2)},\n  "entry": [\n${entries.join(',\n')}\n  ]\n}\n`;
}

/** Writes the bundles to `dir` and removes stale generated files (NN-*.json) that are no longer produced. */
export function writeFixtures(dir: string): FixtureBundle[] {
  const bundles = buildFixtureBundles();
  mkdirSync(dir, { recursive: true });
  const wanted = new Set(bundles.map((b) => b.fileName));
  for (const name of readdirSync(dir)) {
    if (/^\d{2}-.*\.json$/.test(name) && !wanted.has(name)) unlinkSync(`${dir}/${name}`);
  }
  for (const { fileName, bundle } of bundles) writeFileSync(`${dir}/${fileName}`, renderBundle(bundle));
  return bundles;
}

/** Default output folder: fhir-fixtures/ at the project root. */
export const FIXTURES_DIR = fileURLToPath(new URL('../fhir-fixtures', import.meta.url));

function isMain(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (isMain()) {
  const bundles = writeFixtures(FIXTURES_DIR);
  for (const { fileName, bundle } of bundles) console.log(`${fileName}: ${bundle.entry?.length ?? 0} entries`);
}
