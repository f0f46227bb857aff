import type { Observation, Patient, Quantity } from 'fhir/r4.js';
import { LOINC, SMOKING, SYSTEMS, type Limits, type ObservationInputDef } from './codes.js';
import { isInFuture, type FhirDate } from './dates.js';
import { codeIn, hasCode, observationDate, observationStatusUsable, ref, subjectMatches } from './resources.js';
import type { Candidate, Pool, Rejected } from './select.js';
import { fmt, toCanonical, type QuantityKind } from './units.js';

/** Reading Observations into candidate values (see select.ts for choosing one). */

export function withinLimits(value: number, limits: Limits | undefined): boolean {
  if (!limits) return true;
  if (limits.minExclusive ? value <= limits.min : value < limits.min) return false;
  return value <= limits.max;
}

export function limitsWords(limits: Limits, unit: string): string {
  return `${limits.minExclusive ? 'above' : 'at least'} ${limits.min} and at most ${limits.max} ${unit}`;
}

interface Located {
  readonly obs: Observation;
  readonly source: string;
  readonly quantity?: Quantity;
  readonly hasOtherValue: boolean;
}

/** Observations carrying the input: by code, or (systolic BP) as a component of any panel. */
function locate(observations: readonly Observation[], def: ObservationInputDef, componentCodes: readonly string[]): Located[] {
  const out: Located[] = [];
  for (const obs of observations) {
    const source = ref('Observation', obs.id);
    if (hasCode(obs.code, SYSTEMS.loinc, def.codes)) {
      out.push({
        obs,
        source,
        ...(obs.valueQuantity ? { quantity: obs.valueQuantity } : {}),
        hasOtherValue: obs.valueQuantity === undefined && hasAnyValue(obs),
      });
      continue;
    }
    for (const comp of obs.component ?? []) {
      if (hasCode(comp.code, SYSTEMS.loinc, componentCodes)) {
        out.push({
          obs,
          source,
          ...(comp.valueQuantity ? { quantity: comp.valueQuantity } : {}),
          hasOtherValue: comp.valueQuantity === undefined && (comp.valueString !== undefined || comp.valueCodeableConcept !== undefined),
        });
        break;
      }
    }
  }
  return out;
}

function hasAnyValue(o: Observation): boolean {
  return (
    o.valueString !== undefined ||
    o.valueCodeableConcept !== undefined ||
    o.valueInteger !== undefined ||
    o.valueBoolean !== undefined ||
    o.valueRange !== undefined ||
    o.valueRatio !== undefined
  );
}

/** The checks every Observation must pass before its value is looked at; a Rejected or its date. */
function admissible(
  obs: Observation,
  source: string,
  label: string,
  patient: Patient | undefined,
  now: Date,
): { ok: true; date: FhirDate } | { ok: false; rejected: Rejected } {
  const date = observationDate(obs);
  if (!subjectMatches(obs.subject, patient)) {
    return {
      ok: false,
      rejected: {
        source: [source],
        ...(date ? { date } : {}),
        kind: 'other-patient',
        detail: `${source} (${label}) is recorded for ${obs.subject?.reference}, not for this patient, and was not used.`,
      },
    };
  }
  if (!observationStatusUsable(obs)) {
    return {
      ok: false,
      rejected: {
        source: [source],
        ...(date ? { date } : {}),
        kind: 'status',
        detail: `The ${label} in ${source}${date ? ` (${date.dayKey})` : ''} has status '${obs.status}', not final, and was not used.`,
      },
    };
  }
  if (!date) {
    return { ok: false, rejected: { source: [source], kind: 'no-date', detail: `The ${label} in ${source} has no date and was not used.` } };
  }
  if (isInFuture(date, now)) {
    return {
      ok: false,
      rejected: { source: [source], date, kind: 'future', detail: `The ${label} in ${source} is dated in the future (${date.text}) and was not used.` },
    };
  }
  return { ok: true, date };
}

export interface NumericOptions {
  readonly patient: Patient | undefined;
  readonly now: Date;
  /** Same-day preference by LOINC code (index in this list); codes not listed rank after. */
  readonly rankByCode?: readonly string[];
}

/** Candidate values of a quantitative input, converted to its canonical unit. */
export function collectNumeric(observations: readonly Observation[], def: ObservationInputDef, opts: NumericOptions): Pool<number> {
  const pool: Pool<number> = { candidates: [], rejected: [] };
  const kind = def.quantity as QuantityKind;
  const componentCodes = def.panels ? def.codes : [];
  for (const loc of locate(observations, def, componentCodes)) {
    const { obs, source } = loc;
    const adm = admissible(obs, source, def.label, opts.patient, opts.now);
    if (!adm.ok) {
      pool.rejected.push(adm.rejected);
      continue;
    }
    const date = adm.date;
    const q = loc.quantity;
    if (!q || typeof q.value !== 'number' || !Number.isFinite(q.value)) {
      pool.rejected.push({
        source: [source],
        date,
        kind: 'no-value',
        detail: `The ${def.label} in ${source} (${date.dayKey}) has no numeric value${loc.hasOtherValue ? ' (only text or a coded value)' : ''} and was not used.`,
      });
      continue;
    }
    if (q.comparator) {
      pool.rejected.push({
        source: [source],
        date,
        kind: 'censored',
        detail: `The ${def.label} in ${source} (${date.dayKey}) is reported only as '${q.comparator}${fmt(q.value)}', not an exact value, and was not used.`,
      });
      continue;
    }
    const conv = toCanonical(kind, q);
    if (!conv.ok) {
      pool.rejected.push({
        source: [source],
        date,
        kind: 'unit',
        detail:
          `The ${def.label} in ${source} (${date.dayKey}) is ${fmt(q.value)} ` +
          `${conv.recordedUnit ? `in the unit '${conv.recordedUnit}', which is not recognised` : 'with no unit'}, and was not used.`,
      });
      continue;
    }
    const c = conv.converted;
    const recorded = c.originalUnit !== undefined ? ` (recorded as ${fmt(c.originalValue!)} ${c.originalUnit})` : '';
    if (!withinLimits(c.value, def.plausible)) {
      pool.rejected.push({
        source: [source],
        date,
        kind: 'implausible',
        detail:
          `The ${def.label} ${fmt(c.value)} ${c.unit}${recorded} in ${source} (${date.dayKey}) is not physiologically possible ` +
          `(expected ${limitsWords(def.plausible!, c.unit)}) and was not used.`,
      });
      continue;
    }
    const code = codeIn(obs.code, SYSTEMS.loinc);
    const rankList = opts.rankByCode;
    const rank = rankList && code !== undefined && rankList.includes(code) ? rankList.indexOf(code) : (rankList?.length ?? 0);
    pool.candidates.push({
      source: [source],
      date,
      rank,
      value: c.value,
      unit: c.unit,
      describe: `${fmt(c.value)} ${c.unit}${recorded}`,
      ...(c.originalUnit !== undefined ? { originalValue: c.originalValue!, originalUnit: c.originalUnit } : {}),
    });
  }
  return pool;
}

/** Candidate answers for 'current smoker' from LOINC 72166-2 with SNOMED CT values. */
export function collectSmoking(observations: readonly Observation[], opts: NumericOptions): Pool<boolean> {
  const def = LOINC.smoking_status;
  const pool: Pool<boolean> = { candidates: [], rejected: [] };
  for (const loc of locate(observations, def, [])) {
    const { obs, source } = loc;
    const adm = admissible(obs, source, def.label, opts.patient, opts.now);
    if (!adm.ok) {
      pool.rejected.push(adm.rejected);
      continue;
    }
    const date = adm.date;
    const codings = obs.valueCodeableConcept?.coding ?? [];
    const known = codings
      .filter((c) => c.system === SYSTEMS.snomed)
      .map((c) => SMOKING.find((s) => s.code === c.code))
      .find((s) => s !== undefined);
    if (!known) {
      const shown = obs.valueCodeableConcept?.text ?? codings.map((c) => c.display ?? c.code).join(', ');
      pool.rejected.push({
        source: [source],
        date,
        kind: 'no-value',
        detail: shown
          ? `The smoking status in ${source} (${date.dayKey}), '${shown}', is not a recognised SNOMED CT smoking status and was not used.`
          : `The smoking status in ${source} (${date.dayKey}) has no coded answer and was not used.`,
      });
      continue;
    }
    if (known.currentSmoker === null) {
      pool.rejected.push({
        source: [source],
        date,
        kind: 'unknown-answer',
        detail: `The smoking status in ${source} (${date.dayKey}) is recorded as '${known.display}'.`,
      });
      continue;
    }
    pool.candidates.push({
      source: [source],
      date,
      rank: 0,
      value: known.currentSmoker,
      unit: '{boolean}',
      describe: `'${known.display}'`,
      derived: `${known.currentSmoker ? 'current smoker' : 'not a current smoker'}: smoking status '${known.display}' (SNOMED ${known.code})`,
    });
  }
  return pool;
}
