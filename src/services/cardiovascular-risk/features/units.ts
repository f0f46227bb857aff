import type { Quantity } from 'fhir/r4.js';

/**
 * Unit handling for the risk-model inputs. Each quantity kind has one canonical UCUM unit; a
 * recorded unit is recognised from the Quantity's UCUM `code` first, then from its `unit` text.
 * A unit that is not recognised is never guessed: the value is not used (problem 'unit').
 *
 * Conversion factors and their sources:
 * - Cholesterol (total, HDL, LDL): 1 mmol/L = 38.67 mg/dL. Cholesterol C27H46O, molar mass
 *   386.65 g/mol -> 386.65 mg/mmol per litre = 38.665 mg/dL, conventionally 38.67 (NCEP ATP III
 *   report, 2002, and standard SI conversion tables, e.g. AMA Manual of Style SI units).
 * - Creatinine: 1 mg/dL = 88.42 umol/L (molar mass 113.12 g/mol; the factor used by KDIGO and
 *   the CKD-EPI publications).
 * - Length: 1 m = 100 cm; UCUM international inch [in_i] = 2.54 cm (exact).
 * - Mass: 1 g = 0.001 kg; UCUM avoirdupois pound [lb_av] = 0.45359237 kg (exact).
 * - Pressure: mm[Hg] only (no kPa conversion: BP in kPa is rare in FHIR data and would more
 *   likely signal a mis-coded value).
 * - HbA1c: NGSP % from IFCC mmol/mol: % = 0.09148 x mmol/mol + 2.152 (IFCC-NGSP master equation,
 *   Hoelzel W et al., Clin Chem 2004;50:166-174).
 */

export type QuantityKind = 'cholesterol' | 'creatinine' | 'length' | 'mass' | 'pressure' | 'bmi' | 'egfr' | 'hba1c';

export const CANONICAL_UNIT: Readonly<Record<QuantityKind, string>> = {
  cholesterol: 'mg/dL',
  creatinine: 'mg/dL',
  length: 'cm',
  mass: 'kg',
  pressure: 'mm[Hg]',
  bmi: 'kg/m2',
  egfr: 'mL/min/{1.73_m2}',
  hba1c: '%',
};

export const CHOLESTEROL_MG_DL_PER_MMOL_L = 38.67;
export const CREATININE_UMOL_L_PER_MG_DL = 88.42;

type Converter = (value: number) => number;

const identity: Converter = (v) => v;

/** Normalised unit spelling -> conversion to the canonical unit, per kind. */
const UNITS: Readonly<Record<QuantityKind, Readonly<Record<string, Converter>>>> = {
  cholesterol: {
    'mg/dl': identity,
    'mmol/l': (v) => v * CHOLESTEROL_MG_DL_PER_MMOL_L,
  },
  creatinine: {
    'mg/dl': identity,
    'umol/l': (v) => v / CREATININE_UMOL_L_PER_MG_DL,
    'micromol/l': (v) => v / CREATININE_UMOL_L_PER_MG_DL,
  },
  length: {
    cm: identity,
    m: (v) => v * 100,
    mm: (v) => v / 10,
    '[in_i]': (v) => v * 2.54,
    '[in_us]': (v) => v * 2.54,
    in: (v) => v * 2.54,
    inch: (v) => v * 2.54,
    inches: (v) => v * 2.54,
  },
  mass: {
    kg: identity,
    g: (v) => v / 1000,
    '[lb_av]': (v) => v * 0.45359237,
    lb: (v) => v * 0.45359237,
    lbs: (v) => v * 0.45359237,
  },
  pressure: {
    'mm[hg]': identity,
    mmhg: identity,
  },
  bmi: {
    'kg/m2': identity,
    'kg/m^2': identity,
    'kg/m²': identity,
  },
  egfr: {
    'ml/min/1.73m2': identity,
    'ml/min/1.73m^2': identity,
    'ml/min/1.73m²': identity,
  },
  hba1c: {
    '%': identity,
    'mmol/mol': (v) => 0.09148 * v + 2.152,
  },
};

const NORMALISED: Readonly<Record<QuantityKind, ReadonlyMap<string, Converter>>> = Object.fromEntries(
  Object.entries(UNITS).map(([kind, table]) => [kind, new Map(Object.entries(table).map(([u, conv]) => [normaliseUnit(u), conv]))]),
) as unknown as Record<QuantityKind, ReadonlyMap<string, Converter>>;

/** Lower-case, drop spaces, UCUM curly-brace annotations' braces and underscores, unify micro signs. */
export function normaliseUnit(unit: string): string {
  return unit
    .trim()
    .toLowerCase()
    .replace(/[µμ]/g, 'u')
    .replace(/\s+/g, '')
    .replace(/[{}_]/g, '');
}

export interface Converted {
  readonly value: number;
  readonly unit: string;
  /** Present when the recorded unit differs from the canonical one. */
  readonly originalValue?: number;
  readonly originalUnit?: string;
}

export type ConversionResult = { readonly ok: true; readonly converted: Converted } | { readonly ok: false; readonly recordedUnit: string };

/** Converts a FHIR Quantity to the kind's canonical unit; `ok: false` when the unit is absent or unknown. */
export function toCanonical(kind: QuantityKind, q: Quantity): ConversionResult {
  const value = q.value as number;
  const table = NORMALISED[kind];
  const candidates: string[] = [];
  // The UCUM code counts only when the system is UCUM or not stated.
  if (q.code && (!q.system || q.system === 'http://unitsofmeasure.org')) candidates.push(q.code);
  if (q.unit) candidates.push(q.unit);
  for (const c of candidates) {
    const conv = table.get(normaliseUnit(c));
    if (conv) {
      const canonical = CANONICAL_UNIT[kind];
      const out = conv(value);
      const sameUnit = conv === identity;
      return {
        ok: true,
        converted: sameUnit ? { value: out, unit: canonical } : { value: out, unit: canonical, originalValue: value, originalUnit: c },
      };
    }
  }
  return { ok: false, recordedUnit: q.code ?? q.unit ?? '' };
}

/** Formats a number for plain-language text: at most 2 decimals, no trailing zeros. */
export function fmt(n: number): string {
  return String(Math.round(n * 100) / 100);
}
