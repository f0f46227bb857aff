import type {
  CodeableConcept,
  FhirResource,
  Medication,
  MedicationRequest,
  MedicationStatement,
  Patient,
  Reference,
} from 'fhir/r4.js';
import { CLINICAL_DRUGS, SYSTEMS, type IngredientDef } from './codes.js';
import { isInFuture, parseFhirDate, type FhirDate } from './dates.js';
import { flagOf, ref, subjectMatches } from './resources.js';
import type { Flag } from './types.js';

/**
 * Medications -> flags. A product matches a drug group (statins, BP-lowering) by, in order:
 * 1. an RxNorm ingredient code of the group;
 * 2. an RxNorm clinical drug code in the SCD table (statins.json + bp-lowering.json), whose
 *    ingredients include one of the group's;
 * 3. the ingredient or brand name as a whole word in the text or a coding display (last resort;
 *    the evidence says it was matched on text).
 * Products whose text names a non-systemic form (eye drops, topical solution, cream...) are not
 * counted. Counted: MedicationRequest status 'active' with intent order/plan (or an order
 * sub-type) and not doNotPerform; MedicationStatement status 'active' or 'intended' whose
 * effective period has not ended.
 */

export interface DrugGroup {
  /** 'statin', 'BP-lowering medication' - for notes. */
  readonly label: string;
  readonly ingredients: readonly IngredientDef[];
  /** Class code -> words, for evidence ('ACE inhibitor'). */
  readonly classes?: Readonly<Record<string, string>>;
}

const REQUEST_INTENTS = new Set(['order', 'plan', 'original-order', 'reflex-order', 'filler-order', 'instance-order']);
const STATEMENT_STATUSES = new Set(['active', 'intended']);
const NON_SYSTEMIC =
  /\b(ophthalmic|eye drops?|otic|topical|cream|ointment|gel|foam|shampoo|lotion|vaginal|rectal|nasal spray|irrigation)\b/i;

interface DrugMatch {
  readonly ingredient: IngredientDef;
  readonly how: string;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const wordRes = new Map<string, RegExp>();
function wordRe(word: string): RegExp {
  let re = wordRes.get(word);
  if (!re) {
    re = new RegExp(`(^|[^a-z0-9])${escapeRe(word.toLowerCase())}($|[^a-z0-9])`, 'i');
    wordRes.set(word, re);
  }
  return re;
}

function conceptTexts(cc: CodeableConcept | undefined, extraText?: string): string[] {
  const out: string[] = [];
  if (cc?.text) out.push(cc.text);
  for (const c of cc?.coding ?? []) if (c.display) out.push(c.display);
  if (extraText) out.push(extraText);
  return out;
}

export function matchDrug(cc: CodeableConcept | undefined, group: DrugGroup, extraText?: string): DrugMatch[] {
  const matches: DrugMatch[] = [];
  const seen = new Set<string>();
  const add = (ingredient: IngredientDef, how: string): void => {
    if (seen.has(ingredient.name)) return;
    seen.add(ingredient.name);
    matches.push({ ingredient, how });
  };
  const rxCodes = (cc?.coding ?? []).filter((c) => c.system === SYSTEMS.rxnorm && c.code).map((c) => c.code!);
  for (const code of rxCodes) {
    const ing = group.ingredients.find((i) => i.rxcui === code);
    if (ing) add(ing, `RxNorm ingredient ${code}`);
  }
  for (const code of rxCodes) {
    const scd = CLINICAL_DRUGS.get(code);
    if (!scd) continue;
    for (const name of scd.ingredients) {
      const ing = group.ingredients.find((i) => i.name === name);
      if (ing) add(ing, `RxNorm clinical drug ${code}`);
    }
  }
  if (matches.length > 0) return matches;
  const texts = conceptTexts(cc, extraText);
  const codeWords = rxCodes.length
    ? `matched on text; RxNorm code${rxCodes.length > 1 ? 's' : ''} ${rxCodes.join(', ')} not in the code table`
    : 'matched on text; no RxNorm code';
  for (const ing of group.ingredients) {
    const words = [ing.name, ...(ing.brandNames ?? [])];
    const hit = words.find((w) => texts.some((t) => wordRe(w).test(t)));
    if (hit) add(ing, hit.toLowerCase() === ing.name ? codeWords : `${codeWords}; brand name '${hit}'`);
  }
  return matches;
}

function isNonSystemic(cc: CodeableConcept | undefined, extraText?: string): boolean {
  return conceptTexts(cc, extraText).some((t) => NON_SYSTEMIC.test(t));
}

interface ResolvedMedication {
  readonly concept?: CodeableConcept;
  readonly text?: string;
}

/** medicationCodeableConcept, a contained Medication referenced as '#id', or at least the reference's display. */
function resolveMedication(
  concept: CodeableConcept | undefined,
  reference: Reference | undefined,
  contained: readonly FhirResource[] | undefined,
): ResolvedMedication {
  if (concept) return { concept };
  if (reference?.reference?.startsWith('#')) {
    const id = reference.reference.slice(1);
    const med = (contained ?? []).find((r): r is Medication => r.resourceType === 'Medication' && r.id === id);
    if (med?.code) return { concept: med.code, ...(reference.display ? { text: reference.display } : {}) };
  }
  return reference?.display ? { text: reference.display } : {};
}

function productName(m: ResolvedMedication): string {
  return m.concept?.text ?? m.concept?.coding?.find((c) => c.display)?.display ?? m.text ?? 'unnamed product';
}

interface MedicationEntry {
  readonly id: string;
  readonly kindWords: string;
  readonly med: ResolvedMedication;
  readonly date?: FhirDate;
  /** undefined when the entry counts; otherwise why not, in plain words. */
  readonly notCounted?: string;
}

function requestEntry(mr: MedicationRequest, patient: Patient | undefined): MedicationEntry {
  const id = ref('MedicationRequest', mr.id);
  const med = resolveMedication(mr.medicationCodeableConcept, mr.medicationReference, mr.contained);
  const date = parseFhirDate(mr.authoredOn);
  let notCounted: string | undefined;
  if (!subjectMatches(mr.subject, patient)) notCounted = `is for ${mr.subject?.reference}, not this patient`;
  else if (mr.doNotPerform) notCounted = 'is a do-not-perform order';
  else if (mr.status !== 'active') notCounted = `has status '${mr.status}'`;
  else if (!REQUEST_INTENTS.has(mr.intent)) notCounted = `has intent '${mr.intent}' (not an order or plan)`;
  return { id, kindWords: 'active MedicationRequest', med, ...(date ? { date } : {}), ...(notCounted ? { notCounted } : {}) };
}

function statementEntry(ms: MedicationStatement, patient: Patient | undefined, now: Date): MedicationEntry {
  const id = ref('MedicationStatement', ms.id);
  const med = resolveMedication(ms.medicationCodeableConcept, ms.medicationReference, ms.contained);
  const date =
    parseFhirDate(ms.effectiveDateTime) ?? parseFhirDate(ms.effectivePeriod?.start) ?? parseFhirDate(ms.dateAsserted);
  const ended = parseFhirDate(ms.effectivePeriod?.end);
  let notCounted: string | undefined;
  if (!subjectMatches(ms.subject, patient)) notCounted = `is for ${ms.subject?.reference}, not this patient`;
  else if (!STATEMENT_STATUSES.has(ms.status)) notCounted = `has status '${ms.status}'`;
  else if (ended && ended.end.getTime() < now.getTime()) notCounted = `ended on ${ended.dayKey}`;
  else if (date && isInFuture(date, now) && ms.status === 'active') notCounted = `starts in the future (${date.dayKey})`;
  return { id, kindWords: `${ms.status} MedicationStatement`, med, ...(date ? { date } : {}), ...(notCounted ? { notCounted } : {}) };
}

export interface MedicationFlagOptions {
  readonly patient: Patient | undefined;
  readonly now: Date;
}

export function medicationFlag(
  requests: readonly MedicationRequest[],
  statements: readonly MedicationStatement[],
  group: DrugGroup,
  opts: MedicationFlagOptions,
): Flag {
  const entries = [
    ...requests.map((r) => requestEntry(r, opts.patient)),
    ...statements.map((s) => statementEntry(s, opts.patient, opts.now)),
  ];
  const evidence: string[] = [];
  const source: string[] = [];
  const notes: string[] = [];
  let latest: FhirDate | undefined;

  for (const e of entries) {
    const matches = matchDrug(e.med.concept, group, e.med.text);
    const name = productName(e.med);
    if (matches.length === 0) {
      if (!e.med.concept && !e.med.text && !e.notCounted) {
        notes.push(`${e.id} names its medication only by a reference that was not provided; it could not be checked.`);
      }
      continue;
    }
    const what = matches
      .map((m) => {
        const cls = m.ingredient.class && group.classes ? group.classes[m.ingredient.class] : undefined;
        return `${m.ingredient.name}${cls ? `, ${cls}` : ''} (${m.how})`;
      })
      .join('; ');
    if (e.notCounted) {
      notes.push(`${name} [${what}] in ${e.id} ${e.notCounted}; not counted.`);
      continue;
    }
    if (isNonSystemic(e.med.concept, e.med.text)) {
      notes.push(`${name} [${what}] in ${e.id} is not a systemic form; not counted as ${group.label}.`);
      continue;
    }
    evidence.push(`${name}: ${what} - ${e.kindWords}${e.date ? ` (${e.date.dayKey})` : ''}`);
    source.push(e.id);
    if (e.date && (!latest || e.date.start > latest.start)) latest = e.date;
  }

  return flagOf(evidence, source, latest, notes);
}
