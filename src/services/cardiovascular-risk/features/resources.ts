import type { CodeableConcept, Observation, Patient, Reference } from 'fhir/r4.js';
import { parseFhirDate, type FhirDate } from './dates.js';
import type { Flag } from './types.js';

/** Small read-only helpers over FHIR resources (nothing here writes to its input). */

export function ref(resourceType: string, id: string | undefined): string {
  return `${resourceType}/${id ?? '(no id)'}`;
}

export function hasCode(cc: CodeableConcept | undefined, system: string, codes: readonly string[]): boolean {
  return (cc?.coding ?? []).some((c) => c.system === system && c.code !== undefined && codes.includes(c.code));
}

/** The code of the first coding in `system`, if any. */
export function codeIn(cc: CodeableConcept | undefined, system: string): string | undefined {
  return (cc?.coding ?? []).find((c) => c.system === system && c.code)?.code;
}

export function conceptText(cc: CodeableConcept | undefined): string | undefined {
  return cc?.text ?? (cc?.coding ?? []).find((c) => c.display)?.display;
}

const OBS_USABLE_STATUS = new Set(['final', 'amended', 'corrected']);

export function observationStatusUsable(o: Observation): boolean {
  return OBS_USABLE_STATUS.has(o.status);
}

/** effectiveDateTime, effectivePeriod.end (else .start), effectiveInstant; else `issued`. */
export function observationDate(o: Observation): FhirDate | undefined {
  const effective = o.effectiveDateTime ?? o.effectivePeriod?.end ?? o.effectivePeriod?.start ?? o.effectiveInstant;
  return parseFhirDate(effective) ?? parseFhirDate(o.issued);
}

/**
 * Whether a resource's subject (or patient) reference is consistent with the patient. A resource
 * without a subject, or a record without a Patient id, is given the benefit of the doubt (the
 * caller fetched it for this patient); a reference naming another Patient is not.
 */
export function subjectMatches(subject: Reference | undefined, patient: Patient | undefined): boolean {
  const id = patient?.id;
  const r = subject?.reference;
  if (!id || !r) return true;
  if (r === `Patient/${id}` || r === `urn:uuid:${id}` || r.endsWith(`/Patient/${id}`)) return true;
  // Versioned reference Patient/id/_history/n.
  if (r.startsWith(`Patient/${id}/_history/`) || r.includes(`/Patient/${id}/_history/`)) return true;
  return false;
}

/** A flag from the evidence found: set when there is any; dated by the latest record; empty lists left out. */
export function flagOf(evidence: readonly string[], source: readonly string[], latest: FhirDate | undefined, notes: readonly string[]): Flag {
  return {
    present: evidence.length > 0,
    evidence,
    ...(source.length ? { source } : {}),
    ...(latest ? { date: latest.text } : {}),
    ...(notes.length ? { notes } : {}),
  };
}
