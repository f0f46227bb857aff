import { loadJson } from '../../util/data-file.js';

export interface CodeEntry {
  readonly system: string;
  readonly code: string;
  readonly display?: string;
  readonly verified?: boolean;
}

interface CodesFile {
  /** unitFromValue: CGM-specific codes that do not imply a unit (the quantity must state it). */
  readonly sensorReadings: { readonly mass: readonly CodeEntry[]; readonly molar: readonly CodeEntry[]; readonly unitFromValue?: readonly CodeEntry[] };
  readonly genericGlucose: { readonly mass: readonly CodeEntry[]; readonly molar: readonly CodeEntry[] };
  readonly cgmTags: { readonly categoryCodes: readonly CodeEntry[]; readonly deviceTypeCodes: readonly CodeEntry[]; readonly textPatterns: readonly string[] };
  readonly summary: Readonly<Record<string, readonly CodeEntry[] | string>> & {
    readonly legacyTemporary?: { readonly systems: readonly string[]; readonly codeToKey: Readonly<Record<string, string>> };
  };
  readonly highRiskConditions: { readonly codes: readonly CodeEntry[] };
}

/** CGM code lists (HL7 CGM IG, LOINC, SNOMED CT) as data: data/codes.json says where each was verified. */
export const CGM_CODES = loadJson<CodesFile>(import.meta.url, './data/codes.json');

const key = (system: string | undefined, code: string | undefined): string => `${system ?? ''}|${code ?? ''}`;
export const codeSet = (entries: readonly CodeEntry[]): ReadonlySet<string> => new Set(entries.map((e) => key(e.system, e.code)));
export const hasCode = (set: ReadonlySet<string>, codings: readonly { system?: string; code?: string }[] | undefined): boolean =>
  !!codings?.some((c) => set.has(key(c.system, c.code)));
/** `system|code` for a coding. */
export const codingKey = key;
/** FHIR token search values (`system|code`) for code entries. */
export const tokensOf = (entries: readonly CodeEntry[]): string[] => entries.map((e) => key(e.system, e.code));

/** Summary metric codes from data/codes.json, by metric key. */
export function summaryCodes(metric: string): readonly CodeEntry[] {
  const v: unknown = CGM_CODES.summary[metric];
  const legacy = CGM_CODES.summary.legacyTemporary;
  const fromLegacy = legacy
    ? Object.entries(legacy.codeToKey)
        .filter(([, k]) => k === metric)
        .flatMap(([code]) => legacy.systems.map((system) => ({ system, code })))
    : [];
  return [...(Array.isArray(v) ? (v as CodeEntry[]) : []), ...fromLegacy];
}
