import type { CodeableConcept, Coding } from 'fhir/r4.js';

/**
 * Small, defensive readers for FHIR data that arrives from outside (CDS Hooks context, prefetch,
 * FHIR server). Everything here tolerates missing or mistyped fields and never mutates its input.
 */

export const SYSTEMS = {
  loinc: 'http://loinc.org',
  rxnorm: 'http://www.nlm.nih.gov/research/umls/rxnorm',
  rxnormOid: 'urn:oid:2.16.840.1.113883.6.88',
  hgnc: 'http://www.genenames.org/geneId',
  hgncOid: 'urn:oid:2.16.840.1.113883.6.281',
  dbsnp: 'http://www.ncbi.nlm.nih.gov/SNP',
  snomed: 'http://snomed.info/sct',
  v3Interpretation: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation',
  genomicsTbd: 'http://hl7.org/fhir/uv/genomics-reporting/CodeSystem/tbd-codes-cs',
} as const;

export function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

export function asArray(x: unknown): unknown[] {
  return Array.isArray(x) ? x : [];
}

export function str(x: unknown): string | undefined {
  return typeof x === 'string' && x.trim() !== '' ? x : undefined;
}

export function codings(cc: CodeableConcept | undefined): Coding[] {
  return asArray(cc?.coding).filter(isRecord) as Coding[];
}

export function hasCoding(cc: CodeableConcept | undefined, system: string, code: string): boolean {
  return codings(cc).some((c) => c.system === system && c.code === code);
}

export function isLoinc(cc: CodeableConcept | undefined, code: string): boolean {
  return hasCoding(cc, SYSTEMS.loinc, code);
}

/** The concept's text, else its codings' displays (in order), else its codings' codes. */
export function conceptTexts(cc: CodeableConcept | undefined): string[] {
  const out: string[] = [];
  const text = str(cc?.text);
  if (text) out.push(text.trim());
  for (const c of codings(cc)) if (str(c.display)) out.push(c.display!.trim());
  return out;
}

export function firstText(cc: CodeableConcept | undefined): string | undefined {
  return conceptTexts(cc)[0] ?? codings(cc).map((c) => str(c.code)).find((c) => c !== undefined);
}

export function isRxnormSystem(system: string | undefined): boolean {
  return system === SYSTEMS.rxnorm || system === SYSTEMS.rxnormOid;
}

export function rxnormCodes(cc: CodeableConcept | undefined): string[] {
  return codings(cc)
    .filter((c) => isRxnormSystem(c.system) && str(c.code))
    .map((c) => c.code!.trim());
}

/** Milliseconds since the epoch for a FHIR date/dateTime/instant (partial dates at their start), or undefined. */
export function parseDate(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const t = text.trim();
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(T.*)?)?)?$/.exec(t);
  if (!m) return undefined;
  if (m[4] !== undefined) {
    // A time without an offset is not valid FHIR; it is read as UTC rather than local time.
    const ms = Date.parse(/(Z|[+-]\d{2}:\d{2})$/.test(t) ? t : `${t}Z`);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return Date.UTC(Number(m[1]), m[2] ? Number(m[2]) - 1 : 0, m[3] ? Number(m[3]) : 1);
}

const WORD_RES = new Map<string, RegExp>();

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** True when `word` occurs in `text` as a whole word (case-insensitive; letters and digits bound words). */
export function containsWord(text: string, word: string): boolean {
  let re = WORD_RES.get(word);
  if (!re) {
    re = new RegExp(`(^|[^a-z0-9])${escapeRe(word.toLowerCase())}($|[^a-z0-9])`, 'i');
    WORD_RES.set(word, re);
  }
  return re.test(text);
}
