import type { Coding, Condition, Patient } from 'fhir/r4.js';
import { SYSTEMS, type ConditionCategory } from './codes.js';
import { parseFhirDate, type FhirDate } from './dates.js';
import { flagOf, ref, subjectMatches } from './resources.js';
import type { Flag } from './types.js';

/**
 * Conditions -> flags. A Condition matches a category by an exact SNOMED CT code or an ICD-10-CM
 * (or WHO ICD-10) code starting with one of the category's prefixes and not with an excluded one;
 * ICD-10 codes are compared without the dot ('E11.9' = 'E119').
 */

const ACTIVE = new Set(['active', 'recurrence', 'relapse']);
const NOT_CONFIRMED = new Set(['unconfirmed', 'provisional', 'differential']);

function norm(code: string): string {
  return code.replace(/\./g, '').trim().toUpperCase();
}

export interface ConditionMatch {
  readonly category: ConditionCategory;
  readonly text: string;
}

export function matchCondition(condition: Condition, category: ConditionCategory): ConditionMatch | undefined {
  const codings: readonly Coding[] = condition.code?.coding ?? [];
  for (const c of codings) {
    if (c.system === SYSTEMS.snomed && c.code) {
      const hit = category.snomed.find((s) => s.code === c.code);
      if (hit) return { category, text: `${c.display ?? hit.display} (SNOMED ${c.code})` };
    }
  }
  for (const c of codings) {
    if ((c.system === SYSTEMS.icd10cm || c.system === SYSTEMS.icd10) && c.code) {
      const code = norm(c.code);
      const included = category.icd10Prefixes.some((p) => code.startsWith(norm(p)));
      const excluded = category.icd10Exclude.some((p) => code.startsWith(norm(p)));
      if (included && !excluded) {
        const system = c.system === SYSTEMS.icd10cm ? 'ICD-10-CM' : 'ICD-10';
        return { category, text: `${c.display ?? condition.code?.text ?? category.label} (${system} ${c.code})` };
      }
    }
  }
  return undefined;
}

function statusCode(cc: Condition['clinicalStatus']): string | undefined {
  return cc?.coding?.find((c) => c.code)?.code;
}

function conditionDate(c: Condition): FhirDate | undefined {
  return parseFhirDate(c.onsetDateTime) ?? parseFhirDate(c.onsetPeriod?.start) ?? parseFhirDate(c.recordedDate);
}

export interface ConditionFlagOptions {
  /** true: any clinical status counts (history of an event, e.g. a resolved myocardial infarction). */
  readonly historyCounts: boolean;
  readonly patient: Patient | undefined;
}

/** A flag set by Conditions in any of `categories`. */
export function conditionFlag(conditions: readonly Condition[], categories: readonly ConditionCategory[], opts: ConditionFlagOptions): Flag {
  const evidence: string[] = [];
  const source: string[] = [];
  const notes: string[] = [];
  let latest: FhirDate | undefined;

  for (const condition of conditions) {
    const match = categories.map((cat) => matchCondition(condition, cat)).find((m) => m !== undefined);
    if (!match) continue;
    const id = ref('Condition', condition.id);
    const verification = statusCode(condition.verificationStatus);
    const clinical = statusCode(condition.clinicalStatus);
    if (verification === 'entered-in-error') continue;
    if (!subjectMatches(condition.subject, opts.patient)) {
      notes.push(`${match.text} in ${id} is recorded for ${condition.subject?.reference}, not this patient; not counted.`);
      continue;
    }
    if (verification === 'refuted') {
      notes.push(`${match.text} in ${id} is marked refuted; not counted.`);
      continue;
    }
    if (verification !== undefined && NOT_CONFIRMED.has(verification)) {
      notes.push(`${match.text} in ${id} is only ${verification}; not counted.`);
      continue;
    }
    const isActive = clinical === undefined || ACTIVE.has(clinical);
    if (!isActive && !opts.historyCounts) {
      notes.push(`${match.text} in ${id} is recorded as ${clinical}; not counted.`);
      continue;
    }
    const date = conditionDate(condition);
    const qualifiers: string[] = [];
    if (clinical === undefined) qualifiers.push('clinical status not recorded');
    else if (!ACTIVE.has(clinical)) qualifiers.push(`history; recorded as ${clinical}`);
    if (date) qualifiers.push(`since ${date.dayKey}`);
    evidence.push(`${match.category.label[0]!.toUpperCase()}${match.category.label.slice(1)}: ${match.text}${qualifiers.length ? ` [${qualifiers.join(', ')}]` : ''}`);
    source.push(id);
    if (date && (!latest || date.start > latest.start)) latest = date;
  }

  return flagOf(evidence, source, latest, notes);
}
