/**
 * CGM summaries reported by a device platform (HL7 CGM IG 1.0.0 summary Observations), used as
 * reported when there are no raw readings. The IG's five times-in-ranges are exclusive bands
 * (very low < 54, low 54-69, target 70-180, high 181-250, very high > 250 mg/dL), carried as
 * components of one 106793-3 Observation or, from other senders, as separate Observations:
 * time below 70 is low + very low and time above 180 is high + very high.
 */
import type { Observation, ObservationComponent, Quantity } from 'fhir/r4.js';
import { parseFhirDate } from '../cardiovascular-risk/features/dates.js';
import { codeSet, hasCode, summaryCodes } from './codes.js';
import { CONSENSUS } from './knowledge.js';
import type { GlycemicMetrics } from './metrics.js';
import { recordedFor } from './readings.js';

/** The summary metrics read (data/codes.json `summary` keys). */
export const SUMMARY_KEYS = ['meanMass', 'meanMolar', 'gmi', 'cv', 'timeInRange', 'timeVeryLow', 'timeLow', 'timeHigh', 'timeVeryHigh', 'daysOfWear', 'sensorActivePercent'] as const;
type SummaryKey = (typeof SUMMARY_KEYS)[number];
const SETS: ReadonlyArray<readonly [SummaryKey, ReadonlySet<string>]> = SUMMARY_KEYS.map((k) => [k, codeSet(summaryCodes(k))] as const);

export interface ReportedSummary {
  /** Reporting period as ISO instants (a date-only end runs to the end of that day). */
  readonly start: string;
  readonly end: string;
  readonly metrics: Partial<GlycemicMetrics>;
  readonly sensorActivePercent?: number;
  readonly daysOfWear?: number;
  readonly displayUnit: 'mg/dL' | 'mmol/L';
  /** Observations the values came from. */
  readonly sources: readonly string[];
}

const USABLE_STATUS = new Set(['final', 'amended', 'corrected']);

function keyOf(codings: ObservationComponent['code']['coding']): SummaryKey | undefined {
  for (const [k, set] of SETS) if (hasCode(set, codings)) return k;
  return undefined;
}

/** A percentage must say % (or nothing) and lie in 0-100; a mean must be mg/dL or mmol/L. */
function valueOf(key: SummaryKey, q: Quantity | undefined): number | undefined {
  const v = q?.value;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) return undefined;
  const unit = (q?.code ?? q?.unit ?? '').trim().toLowerCase();
  if (key === 'meanMass' || key === 'meanMolar') {
    const molar = unit === 'mmol/l' || (unit === '' && key === 'meanMolar');
    const mass = unit === 'mg/dl' || (unit === '' && key === 'meanMass');
    if (!molar && !mass) return undefined;
    const mgdl = molar ? v * CONSENSUS.mgdlPerMmol : v;
    return mgdl >= CONSENSUS.plausibleMgdl.min && mgdl <= CONSENSUS.plausibleMgdl.max ? mgdl : undefined;
  }
  if (key === 'daysOfWear') return unit === '' || unit === 'd' || unit.startsWith('day') ? v : undefined;
  if (unit !== '' && unit !== '%') return undefined;
  return v <= 100 ? v : undefined;
}

interface Acc {
  start: string;
  end: string;
  values: Partial<Record<SummaryKey, number>>;
  units: Set<'mg/dL' | 'mmol/L'>;
  sources: Set<string>;
}

/**
 * Reported summaries grouped by reporting period, newest first. Values outside their plausible
 * range or with a wrong unit are left out rather than guessed.
 */
export function extractSummaries(observations: readonly Observation[], now: Date, patientId: string): ReportedSummary[] {
  const byPeriod = new Map<string, Acc>();
  for (const obs of observations) {
    if (!USABLE_STATUS.has(obs.status)) continue;
    if (!recordedFor(obs, patientId)) continue;
    const start = parseFhirDate(obs.effectivePeriod?.start);
    const end = parseFhirDate(obs.effectivePeriod?.end);
    if (!start || !end || end.end.getTime() < start.start.getTime() || start.start.getTime() > now.getTime()) continue;
    const endMs = Math.min(end.end.getTime() + (end.precision === 'time' ? 0 : 1), now.getTime());
    const id = `${start.start.toISOString()}/${new Date(endMs).toISOString()}`;
    const acc = byPeriod.get(id) ?? { start: start.start.toISOString(), end: new Date(endMs).toISOString(), values: {}, units: new Set(), sources: new Set() };
    let used = false;
    const take = (codings: ObservationComponent['code']['coding'], q: Quantity | undefined): void => {
      const key = keyOf(codings);
      if (!key) return;
      const v = valueOf(key, q);
      if (v === undefined) return;
      acc.values[key] = v;
      if (key === 'meanMass' || key === 'meanMolar') acc.units.add((q?.code ?? q?.unit ?? '').toLowerCase() === 'mmol/l' || key === 'meanMolar' ? 'mmol/L' : 'mg/dL');
      used = true;
    };
    take(obs.code?.coding, obs.valueQuantity);
    for (const c of obs.component ?? []) take(c.code?.coding, c.valueQuantity);
    if (!used) continue;
    acc.sources.add(`Observation/${obs.id ?? '?'}`);
    byPeriod.set(id, acc);
  }
  const out: ReportedSummary[] = [];
  for (const acc of byPeriod.values()) {
    const v = acc.values;
    const sum = (a: number | undefined, b: number | undefined): number | undefined => (a !== undefined && b !== undefined ? a + b : undefined);
    const mean = v.meanMass ?? v.meanMolar;
    const metrics: Partial<GlycemicMetrics> = {
      ...(mean !== undefined ? { meanMgdl: mean } : {}),
      ...(v.gmi !== undefined ? { gmiPercent: v.gmi } : {}),
      ...(v.cv !== undefined ? { cvPercent: v.cv } : {}),
      ...(v.timeInRange !== undefined ? { tirPercent: v.timeInRange } : {}),
      ...(v.timeVeryLow !== undefined ? { tbr54Percent: v.timeVeryLow } : {}),
      ...(sum(v.timeLow, v.timeVeryLow) !== undefined ? { tbr70Percent: sum(v.timeLow, v.timeVeryLow)! } : {}),
      ...(sum(v.timeHigh, v.timeVeryHigh) !== undefined ? { tar180Percent: sum(v.timeHigh, v.timeVeryHigh)! } : {}),
      ...(v.timeVeryHigh !== undefined ? { tar250Percent: v.timeVeryHigh } : {}),
    };
    if (Object.keys(metrics).length === 0) continue;
    out.push({
      start: acc.start,
      end: acc.end,
      metrics,
      ...(v.sensorActivePercent !== undefined ? { sensorActivePercent: v.sensorActivePercent } : {}),
      ...(v.daysOfWear !== undefined ? { daysOfWear: v.daysOfWear } : {}),
      displayUnit: acc.units.has('mmol/L') && !acc.units.has('mg/dL') ? 'mmol/L' : 'mg/dL',
      sources: [...acc.sources].sort(),
    });
  }
  return out.sort((a, b) => Date.parse(b.end) - Date.parse(a.end));
}
