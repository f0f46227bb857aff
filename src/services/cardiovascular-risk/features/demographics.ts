import type { Extension, Patient } from 'fhir/r4.js';
import { SYSTEMS } from './codes.js';
import { isoDay, parseFhirDate, wholeYears, type FhirDate } from './dates.js';
import { ref } from './resources.js';
import type { FeatureProblem, Measured, RaceGroup } from './types.js';

const US_CORE_RACE = 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-race';
const US_CORE_BIRTHSEX = 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex';
const OMB_BLACK = '2054-5';

export const AGE_LIMITS = { min: 0, max: 130 } as const;

export type AgeAt = { ok: true; years: number } | { ok: false; kind: 'missing' | 'implausible'; detail: string };

/**
 * Age in whole years at `at`. A birth date recorded only to the year or month is used when the
 * age is the same for every day it could name; otherwise the age is not known to the year and
 * the answer is 'missing' (not 'implausible': nothing is impossible, the exact value is absent).
 */
export function ageAt(patient: Patient | undefined, at: Date): AgeAt {
  if (!patient) return { ok: false, kind: 'missing', detail: 'No Patient resource was provided, so the age is not known.' };
  if (!patient.birthDate) return { ok: false, kind: 'missing', detail: 'The patient has no birth date on file, so the age is not known.' };
  const birth = parseFhirDate(patient.birthDate);
  if (!birth) {
    return { ok: false, kind: 'implausible', detail: `The birth date '${patient.birthDate}' is not a valid date.` };
  }
  if (birth.start.getTime() > at.getTime()) {
    return { ok: false, kind: 'implausible', detail: `The birth date ${birth.text} is after ${isoDay(at)}.` };
  }
  const oldest = wholeYears(birth.start, at);
  const youngest = wholeYears(birth.end.getTime() > at.getTime() ? at : birth.end, at);
  if (oldest !== youngest) {
    return {
      ok: false,
      kind: 'missing',
      detail:
        `The birth date is recorded only as '${birth.text}', so on ${isoDay(at)} the patient could be ` +
        `${youngest} or ${oldest} years old; the exact birth date is needed.`,
    };
  }
  if (oldest > AGE_LIMITS.max) {
    return { ok: false, kind: 'implausible', detail: `The birth date ${birth.text} gives an age of ${oldest} years, which is not plausible.` };
  }
  return { ok: true, years: oldest };
}

export function extractAge(patient: Patient | undefined, now: Date): { age?: Measured; problem?: FeatureProblem } {
  const r = ageAt(patient, now);
  const source = patient ? [ref('Patient', patient.id)] : [];
  if (!r.ok) return { problem: { input: 'age', kind: r.kind, detail: r.detail, ...(source.length ? { source } : {}) } };
  const birth = parseFhirDate(patient!.birthDate) as FhirDate;
  return {
    age: {
      value: r.years,
      unit: 'a',
      date: isoDay(now),
      source,
      derived:
        birth.precision === 'day'
          ? `whole years on ${isoDay(now)} from birth date ${birth.text}`
          : `whole years on ${isoDay(now)} from birth date recorded as '${birth.text}' (the same for every day it could be)`,
    },
  };
}

function birthSex(patient: Patient): 'female' | 'male' | undefined {
  const ext = (patient.extension ?? []).find((e) => e.url === US_CORE_BIRTHSEX);
  if (ext?.valueCode === 'F') return 'female';
  if (ext?.valueCode === 'M') return 'male';
  return undefined;
}

/**
 * Sex for the sex-specific equations: Patient.gender when male/female. If gender is absent,
 * 'other' or 'unknown', the US Core birth sex extension (F/M) is used and said so. If gender
 * and birth sex are both recorded and differ, neither is chosen ('contradictory'): which set of
 * equations applies is a clinical judgement the card must ask for.
 */
export function extractSex(patient: Patient | undefined, now: Date): { sex?: Measured<'female' | 'male'>; problem?: FeatureProblem } {
  if (!patient) return { problem: { input: 'sex', kind: 'missing', detail: 'No Patient resource was provided, so sex is not known.' } };
  const source = [ref('Patient', patient.id)];
  const gender = patient.gender;
  const bs = birthSex(patient);
  const date = isoDay(now);
  if (gender === 'female' || gender === 'male') {
    if (bs && bs !== gender) {
      return {
        problem: {
          input: 'sex',
          kind: 'contradictory',
          detail:
            `The record gives gender '${gender}' but birth sex '${bs}'. The risk equations are sex-specific; ` +
            `which applies needs a clinician's judgement, so no sex was assumed.`,
          source,
        },
      };
    }
    return { sex: { value: gender, unit: '{sex}', date, source, derived: `Patient.gender '${gender}'` } };
  }
  if (bs) {
    return {
      sex: {
        value: bs,
        unit: '{sex}',
        date,
        source,
        derived: `US Core birth sex '${bs === 'female' ? 'F' : 'M'}' (Patient.gender is ${gender ? `'${gender}'` : 'not recorded'})`,
      },
    };
  }
  return {
    problem: {
      input: 'sex',
      kind: 'missing',
      detail: `Sex is ${gender ? `recorded as '${gender}'` : 'not recorded'}; the risk equations are sex-specific and need female or male.`,
      source,
    },
  };
}

/**
 * Race group for the Pooled Cohort Equations: African American when the US Core race extension
 * has OMB category 2054-5 (Black or African American), alone or with other categories; otherwise
 * (including not recorded) the White/other equations, as the 2013 guideline directs.
 */
export function extractRace(patient: Patient | undefined): { group: RaceGroup; text: string; source?: readonly string[] } {
  const ext: Extension | undefined = (patient?.extension ?? []).find((e) => e.url === US_CORE_RACE);
  if (!patient || !ext) return { group: 'white-or-other', text: 'not recorded' };
  const parts = ext.extension ?? [];
  const omb = parts.filter((p) => p.url === 'ombCategory' && p.valueCoding).map((p) => p.valueCoding!);
  const detailed = parts.filter((p) => p.url === 'detailed' && p.valueCoding).map((p) => p.valueCoding!);
  const textPart = parts.find((p) => p.url === 'text')?.valueString;
  const black = omb.some((c) => c.code === OMB_BLACK && (c.system === undefined || c.system === SYSTEMS.ombRace));
  const shown = textPart ?? [...omb, ...detailed].map((c) => c.display ?? c.code).filter(Boolean).join(', ');
  return {
    group: black ? 'african-american' : 'white-or-other',
    text: shown || 'not recorded',
    source: [ref('Patient', patient.id)],
  };
}
