import type { Observation, Patient } from 'fhir/r4.js';
import { ASCVD, BP_LOWERING, DIABETES, LOINC, STATINS } from './codes.js';
import { conditionFlag } from './conditions.js';
import { daysBetween, parseFhirDate, type FhirDate } from './dates.js';
import { ageAt, extractAge, extractRace, extractSex } from './demographics.js';
import { medicationFlag } from './medications.js';
import { collectNumeric, collectSmoking, limitsWords, withinLimits } from './observations.js';
import { ckdEpi2021 } from './renal.js';
import { select, type Candidate, type Pool } from './select.js';
import {
  DEFAULT_FEATURE_CONFIG,
  type CvdFeatures,
  type FeatureConfig,
  type FeatureProblem,
  type Flag,
  type Measured,
  type PatientRecord,
} from './types.js';
import { CANONICAL_UNIT, fmt } from './units.js';

export * from './types.js';
export { ckdEpi2021 } from './renal.js';
export { CHOLESTEROL_MG_DL_PER_MMOL_L, CREATININE_UMOL_L_PER_MG_DL } from './units.js';

/**
 * Turns a patient's FHIR R4 resources into the inputs of the Pooled Cohort Equations and AHA
 * PREVENT, each with its date and source resources, and an honest list of problems
 * (missing, stale, implausible, unit, contradictory). Pure: reads its inputs, never changes them.
 * Equation valid ranges (e.g. PCE age 40-79) are NOT checked here; that is per model.
 */
export function extractCvdFeatures(record: PatientRecord, now: Date, config: FeatureConfig = DEFAULT_FEATURE_CONFIG): CvdFeatures {
  const patient = record.patient;
  const observations = record.observations;
  const problems: FeatureProblem[] = [];
  const keep = <T>(r: { measured?: Measured<T>; problem?: FeatureProblem }): Measured<T> | undefined => {
    if (r.problem) problems.push(r.problem);
    return r.measured;
  };

  const ageR = extractAge(patient, now);
  if (ageR.problem) problems.push(ageR.problem);
  const sexR = extractSex(patient, now);
  if (sexR.problem) problems.push(sexR.problem);
  const race = extractRace(patient);

  const numericOpts = { patient, now };
  const lipid = (input: 'total_cholesterol' | 'hdl_cholesterol' | 'ldl_cholesterol'): Measured | undefined =>
    keep(
      select(collectNumeric(observations, LOINC[input], numericOpts), {
        input,
        label: LOINC[input].label,
        lookbackDays: config.lipidsLookbackDays,
        now,
      }),
    );
  const totalCholesterol = lipid('total_cholesterol');
  const hdlCholesterol = lipid('hdl_cholesterol');
  const ldlCholesterol = lipid('ldl_cholesterol');

  const systolicBp = keep(
    select(collectNumeric(observations, LOINC.systolic_bp, numericOpts), {
      input: 'systolic_bp',
      label: LOINC.systolic_bp.label,
      lookbackDays: config.bpLookbackDays,
      now,
      combine: 'mean',
    }),
  );

  const currentSmoker = keep(
    select(collectSmoking(observations, numericOpts), {
      input: 'current_smoker',
      label: LOINC.smoking_status.label,
      lookbackDays: config.smokingLookbackDays,
      now,
    }),
  );

  const bmi = keep(select(bmiPool(observations, patient, now, config), { input: 'bmi', label: 'BMI', lookbackDays: config.bodyLookbackDays, now }));
  const sex = sexR.sex;
  const egfr = keep(
    select(egfrPool(observations, patient, sex?.value, now), { input: 'egfr', label: 'eGFR', lookbackDays: config.renalLookbackDays, now }),
  );

  const diabetes = withHba1cNote(conditionFlag(record.conditions, [DIABETES], { historyCounts: false, patient }), observations, patient, now, config);
  const clinicalAscvd = conditionFlag(record.conditions, ASCVD, { historyCounts: true, patient });
  const medOpts = { patient, now };
  const bpTreated = medicationFlag(record.medicationRequests, record.medicationStatements, {
    label: 'BP-lowering medication',
    ingredients: BP_LOWERING.ingredients,
    ...(BP_LOWERING.classes ? { classes: BP_LOWERING.classes } : {}),
  }, medOpts);
  const onStatin = medicationFlag(record.medicationRequests, record.medicationStatements, {
    label: 'a statin',
    ingredients: STATINS.ingredients,
  }, medOpts);

  return {
    ...(ageR.age ? { age: ageR.age } : {}),
    ...(sex ? { sex } : {}),
    race,
    ...(totalCholesterol ? { totalCholesterol } : {}),
    ...(hdlCholesterol ? { hdlCholesterol } : {}),
    ...(ldlCholesterol ? { ldlCholesterol } : {}),
    ...(systolicBp ? { systolicBp } : {}),
    ...(currentSmoker ? { currentSmoker } : {}),
    ...(bmi ? { bmi } : {}),
    ...(egfr ? { egfr } : {}),
    diabetes,
    clinicalAscvd,
    bpTreated,
    onStatin,
    problems,
  };
}

/** Reported BMI (rank 0) plus one BMI computed from the most recent height and weight (rank 1). */
function bmiPool(observations: readonly Observation[], patient: Patient | undefined, now: Date, config: FeatureConfig): Pool<number> {
  const opts = { patient, now };
  const reported = collectNumeric(observations, LOINC.bmi, opts);
  const pool: Pool<number> = { candidates: [...reported.candidates], rejected: [...reported.rejected] };
  const height = select(collectNumeric(observations, LOINC.body_height, opts), {
    input: 'body_height',
    label: LOINC.body_height.label,
    lookbackDays: config.bodyLookbackDays,
    now,
  });
  const weight = select(collectNumeric(observations, LOINC.body_weight, opts), {
    input: 'body_weight',
    label: LOINC.body_weight.label,
    lookbackDays: config.bodyLookbackDays,
    now,
  });
  const h = height.measured;
  const w = weight.measured;
  if (h && w) {
    const value = w.value / (h.value / 100) ** 2;
    const parsed = laterDate(h, w);
    const describe = `${fmt(value)} kg/m2 from height ${fmt(h.value)} cm (${h.date.slice(0, 10)}) and weight ${fmt(w.value)} kg (${w.date.slice(0, 10)})`;
    const source = [...h.source, ...w.source];
    if (!withinLimits(value, LOINC.bmi.plausible)) {
      pool.rejected.push({
        source,
        ...(parsed ? { date: parsed } : {}),
        kind: 'implausible',
        detail: `The BMI computed from height and weight, ${describe}, is not physiologically possible (expected ${limitsWords(LOINC.bmi.plausible!, 'kg/m2')}); height or weight is probably wrong.`,
      });
    } else if (parsed) {
      pool.candidates.push({
        source,
        date: parsed,
        rank: 1,
        value,
        unit: CANONICAL_UNIT.bmi,
        describe,
        derived: `BMI from height ${fmt(h.value)} cm (${h.date.slice(0, 10)}) and weight ${fmt(w.value)} kg (${w.date.slice(0, 10)})`,
      });
    }
  } else if (reported.candidates.length === 0 || newestAgeDays(reported.candidates, now) > config.bodyLookbackDays) {
    const why = [height.problem, weight.problem].filter((p): p is FeatureProblem => p !== undefined).map((p) => p.detail);
    pool.rejected.push({
      source: [height.problem?.source ?? [], weight.problem?.source ?? []].flat(),
      kind: 'not-derivable',
      detail: `It could not be computed from height and weight either: ${why.map((w) => w.replace(/^No /, 'no ').replace(/\.$/, '')).join('; ')}.`,
    });
  }
  return pool;
}

function laterDate(a: Measured, b: Measured): FhirDate | undefined {
  const pa = parseFhirDate(a.date);
  const pb = parseFhirDate(b.date);
  if (!pa || !pb) return pa ?? pb;
  return pa.start >= pb.start ? pa : pb;
}

function newestAgeDays(cands: readonly Candidate<number>[], now: Date): number {
  const newest = Math.max(...cands.map((c) => c.date.start.getTime()));
  return daysBetween(new Date(newest), now);
}

/** eGFR codes ranked by preference on the same day; CKD-EPI 2021 computed from creatinine ranks second. */
const EGFR_RANK = ['98979-8', '(derived)', '62238-1', '33914-3', '48642-3', '48643-1'];

function egfrPool(observations: readonly Observation[], patient: Patient | undefined, sex: 'female' | 'male' | undefined, now: Date): Pool<number> {
  const opts = { patient, now };
  const reported = collectNumeric(observations, LOINC.egfr, { ...opts, rankByCode: EGFR_RANK });
  const pool: Pool<number> = { candidates: [...reported.candidates], rejected: [...reported.rejected] };
  const creat = collectNumeric(observations, LOINC.creatinine, opts);
  for (const r of creat.rejected) pool.rejected.push(r);
  if (reported.candidates.length === 0 && creat.candidates.length === 0 && creat.rejected.length === 0) {
    pool.rejected.push({ source: [], kind: 'not-derivable', detail: 'No serum creatinine is on file to calculate it from either.' });
  }
  const derivedRank = EGFR_RANK.indexOf('(derived)');
  for (const c of creat.candidates) {
    const scr = c.value;
    const at = c.date.start;
    const age = ageAt(patient, at);
    if (!sex || !age.ok) {
      const missing = [!sex ? 'sex is not known' : undefined, !age.ok ? 'the age on that date is not known' : undefined].filter(Boolean).join(' and ');
      pool.rejected.push({
        source: c.source,
        date: c.date,
        kind: 'not-derivable',
        detail: `eGFR could not be calculated from the creatinine ${c.describe} in ${c.source.join(', ')} (${c.date.dayKey}) because ${missing}.`,
      });
      continue;
    }
    const value = ckdEpi2021(scr, age.years, sex);
    const derived = `eGFR by CKD-EPI 2021 (race-free) from creatinine ${fmt(scr)} mg/dL, age ${age.years}, ${sex}`;
    if (!withinLimits(value, LOINC.egfr.plausible)) {
      pool.rejected.push({
        source: c.source,
        date: c.date,
        kind: 'implausible',
        detail: `The eGFR ${fmt(value)} mL/min/1.73 m2 calculated from creatinine in ${c.source.join(', ')} (${c.date.dayKey}) is not physiologically possible and was not used.`,
      });
      continue;
    }
    pool.candidates.push({
      source: c.source,
      date: c.date,
      rank: derivedRank,
      value,
      unit: CANONICAL_UNIT.egfr,
      describe: `${fmt(value)} mL/min/{1.73_m2} (${derived})`,
      derived,
    });
  }
  return pool;
}

const HBA1C_DIABETIC = 6.5;

/** Adds the latest HbA1c as a note on the diabetes flag; it never sets the flag. */
function withHba1cNote(flag: Flag, observations: readonly Observation[], patient: Patient | undefined, now: Date, config: FeatureConfig): Flag {
  const sel = select(collectNumeric(observations, LOINC.hba1c, { patient, now }), {
    input: 'hba1c',
    label: LOINC.hba1c.label,
    lookbackDays: config.hba1cLookbackDays ?? DEFAULT_FEATURE_CONFIG.hba1cLookbackDays ?? 730,
    now,
  });
  const m = sel.measured;
  if (!m) return flag;
  const where = `${m.date.slice(0, 10)} (${m.source.join(', ')})`;
  const note =
    flag.present
      ? `Latest HbA1c ${fmt(m.value)} % on ${where}.`
      : m.value >= HBA1C_DIABETIC
        ? `HbA1c ${fmt(m.value)} % on ${where} is in the diabetic range (>= ${HBA1C_DIABETIC} %), but no diabetes diagnosis is recorded; diabetes was not assumed.`
        : undefined;
  if (!note) return flag;
  return { ...flag, notes: [...(flag.notes ?? []), note] };
}
