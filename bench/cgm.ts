/**
 * The glucose-monitoring benchmark scenario: 14 + 14 days of 5-minute CGM sensor readings
 * (28 x 288 = 8,064 Observations) in prefetch, and an in-process micro-benchmark of the metric
 * computation (issue target: metrics for 8,000 readings in under 10 ms).
 *
 * The glucose values depend only on the reading's index (seeded PRNG), so every run sends the
 * same series and gets the same metrics; only the timestamps move: the newest reading is one
 * minute before the series is generated, because the service scores the 14 days before now.
 */
import { quantile } from './quantiles.js';
import type { Bundle, Observation, Patient } from 'fhir/r4.js';
import { mulberry32 } from '../scripts/prng.js';
import { assessGlucose } from '../src/services/glucose-monitoring/assess.js';
import { highRiskCategory } from '../src/services/glucose-monitoring/index.js';
import { CGM_CODES } from '../src/services/glucose-monitoring/codes.js';
import { samplingIntervalMinutes, summarisePeriod, type Period, type Reading } from '../src/services/glucose-monitoring/metrics.js';
import { extractReadings } from '../src/services/glucose-monitoring/readings.js';

export const CGM_PATIENT_ID = 'cgm-bench';
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const STEP_MS = 5 * MINUTE_MS;
export const CGM_DAYS = 28;
export const CGM_READINGS = CGM_DAYS * 288;

/**
 * mg/dL of reading i (0 = oldest; the series starts at midnight on its own clock). A daily sine
 * (low in the small hours, high in the afternoon), slow AR(1) drift, sensor noise, and on about
 * 60 % of nights a dip starting 02:00-03:30 that stays 45-90 minutes at 48-64 mg/dL, so the card
 * is an off-target warning (time below 54 and level-2 events), not a critical one.
 */
function glucoseSeries(n: number, seed: number): number[] {
  const rand = mulberry32(seed);
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const nights = Array.from({ length: Math.ceil(n / 288) + 1 }, () =>
    rand() < 0.6 ? { startMin: 120 + Math.floor(rand() * 90), minutes: 45 + 5 * Math.floor(rand() * 10), nadir: 48 + rand() * 16 } : undefined,
  );
  const out: number[] = [];
  let drift = 0;
  for (let i = 0; i < n; i++) {
    const minuteOfDay = (i * 5) % 1440;
    drift = 0.97 * drift + 4 * gauss();
    let g = 150 + 45 * Math.sin((2 * Math.PI * (minuteOfDay - 540)) / 1440) + drift + 6 * gauss();
    const low = nights[Math.floor(i / 288)];
    if (low) {
      // A smooth dip: down over 30 minutes, at the nadir for `minutes`, back up over 30 minutes.
      const into = minuteOfDay - low.startMin;
      const depth = into < 0 ? 0 : into < 30 ? into / 30 : into < 30 + low.minutes ? 1 : into < 60 + low.minutes ? 1 - (into - 30 - low.minutes) / 30 : 0;
      g = g * (1 - depth) + (low.nadir + 3 * gauss()) * depth;
    }
    out.push(Math.round(Math.min(400, Math.max(40, g))));
  }
  return out;
}

export interface CgmScenario {
  /** The readings' end (exclusive): the newest reading is 5 minutes before it. */
  readonly endMs: number;
  readonly patient: Patient;
  readonly observations: readonly Observation[];
  readonly prefetch: Record<string, unknown>;
}

const searchset = (entries: readonly { fullUrl: string; resource: unknown }[]): Bundle =>
  ({ resourceType: 'Bundle', type: 'searchset', total: entries.length, entry: entries }) as Bundle;

/** The scenario as of `nowMs`: newest reading one minute before it, newest first (the template's _sort=-date). */
export function cgmScenario(nowMs: number, seed = 20261124): CgmScenario {
  const values = glucoseSeries(CGM_READINGS, seed);
  const newest = nowMs - MINUTE_MS;
  const patient: Patient = {
    resourceType: 'Patient',
    id: CGM_PATIENT_ID,
    name: [{ family: 'Bench', given: ['Glucose'] }],
    gender: 'female',
    birthDate: '1984-05-17',
  };
  const subject = { reference: `Patient/${CGM_PATIENT_ID}` };
  const code = { coding: [{ system: 'http://loinc.org', code: '99504-3', display: 'Glucose [Mass/volume] in Interstitial fluid' }] };
  const category = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }];
  const observations: Observation[] = [];
  for (let k = 0; k < CGM_READINGS; k++) {
    const i = CGM_READINGS - 1 - k; // newest first
    observations.push({
      resourceType: 'Observation',
      id: `sg-${String(i).padStart(5, '0')}`,
      status: 'final',
      category,
      code,
      subject,
      effectiveDateTime: new Date(newest - k * STEP_MS).toISOString(),
      valueQuantity: { value: values[i]!, unit: 'mg/dL', system: 'http://unitsofmeasure.org', code: 'mg/dL' },
    });
  }
  const base = 'https://bench-ehr.local/fhir';
  const prefetch = {
    patient,
    conditions: searchset([]),
    cgmReadings: searchset(observations.map((o) => ({ fullUrl: `${base}/Observation/${o.id}`, resource: o }))),
    cgmSummary: searchset([]),
    devices: searchset([]),
  };
  return { endMs: newest + STEP_MS, patient, observations, prefetch };
}

/** The periods the service scores at `nowMs`. */
export function periodsAt(nowMs: number): { current: Period; previous: Period } {
  const periodMs = 14 * DAY_MS;
  return { current: { start: nowMs - periodMs, end: nowMs }, previous: { start: nowMs - 2 * periodMs, end: nowMs - periodMs } };
}

export interface Timing {
  readonly name: string;
  readonly iterations: number;
  readonly medianMs: number;
  readonly p99Ms: number;
}

/** Runs `fn` `warmup` times, then until `iterations` runs or `budgetMs` have passed; median and p99 of single runs. */
function time(name: string, fn: () => number, opts: { warmup: number; iterations: number; budgetMs: number }): Timing {
  let sink = 0;
  for (let i = 0; i < opts.warmup; i++) sink += fn();
  const samples: number[] = [];
  const deadline = performance.now() + opts.budgetMs;
  while (samples.length < opts.iterations && (samples.length < 50 || performance.now() < deadline)) {
    const t0 = process.hrtime.bigint();
    sink += fn();
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  if (Number.isNaN(sink)) throw new Error('unreachable'); // keeps the results alive
  samples.sort((a, b) => a - b);
  return { name, iterations: samples.length, medianMs: quantile(samples, 0.5), p99Ms: quantile(samples, 0.99) };
}

export interface MicroResult {
  readonly readings: number;
  readonly timings: readonly Timing[];
  /** The metrics timing (the target). */
  readonly metrics: Timing;
  readonly targetMs: number;
  readonly check: string;
}

/**
 * In-process timings (no HTTP), on the scenario's data:
 * - metrics: samplingIntervalMinutes + summarisePeriod of both 14-day periods over all 8,064
 *   readings (what assessGlucose computes; the "metrics for 8,000 readings");
 * - extractReadings over the 8,064 Observation objects (FHIR parsing, not metric computation);
 * - assessGlucose end to end (extraction, targets, both periods, findings);
 * - JSON.parse of the request body (what the HTTP path pays before any of the above).
 */
export function cgmMicroBenchmark(s: CgmScenario, body: string): MicroResult {
  const { current, previous } = periodsAt(s.endMs);
  const window: Period = { start: previous.start, end: current.end };
  const set = extractReadings(s.observations, [], window, CGM_PATIENT_ID);
  const readings: readonly Reading[] = set.readings;
  if (readings.length < 8000) throw new Error(`scenario gives ${readings.length} readings, expected >= 8,000`);
  const highRisk = highRiskCategory(CGM_CODES.highRiskConditions.codes);
  const record = { patientId: CGM_PATIENT_ID, patient: s.patient, conditions: [], conditionsKnown: true, readings: s.observations, summaries: [], devices: [] };
  const now = new Date(s.endMs);
  const metrics = time(
    `metrics: samplingIntervalMinutes + summarisePeriod x 2 periods (${readings.length.toLocaleString('en')} readings)`,
    () => {
      const interval = samplingIntervalMinutes(readings);
      const a = summarisePeriod(readings, current, interval);
      const b = summarisePeriod(readings, previous, interval);
      return (a.metrics?.tirPercent ?? 0) + (b.metrics?.tirPercent ?? 0);
    },
    { warmup: 300, iterations: 3000, budgetMs: 3000 },
  );
  const extract = time(
    `extractReadings (${s.observations.length.toLocaleString('en')} Observations -> readings)`,
    () => extractReadings(s.observations, [], window, CGM_PATIENT_ID).readings.length,
    { warmup: 50, iterations: 1000, budgetMs: 3000 },
  );
  const assess = time('assessGlucose end to end (extract + targets + both periods + findings)', () => assessGlucose(record, now, { highRisk })?.findings.length ?? 0, {
    warmup: 50,
    iterations: 1000,
    budgetMs: 3000,
  });
  const parse = time(`JSON.parse of the request body (${(Buffer.byteLength(body) / 1e6).toFixed(2)} MB)`, () => (JSON.parse(body) as { hook: string }).hook.length, {
    warmup: 10,
    iterations: 300,
    budgetMs: 3000,
  });
  const a = assessGlucose(record, now, { highRisk });
  const m = a?.current.metrics;
  const f = (x: number | undefined, d = 1): string => (x === undefined ? '?' : x.toFixed(d));
  const check = m
    ? `severity ${a.severity}; last 14 days: TIR ${f(m.tirPercent)} %, <70 ${f(m.tbr70Percent)} %, <54 ${f(m.tbr54Percent)} %, >180 ${f(m.tar180Percent)} %, >250 ${f(m.tar250Percent)} %, CV ${f(m.cvPercent)} %, mean ${f(m.meanMgdl, 0)} mg/dL, level-2 events ${m.level2Events ?? '?'}`
    : 'no metrics';
  return { readings: readings.length, timings: [metrics, extract, assess, parse], metrics, targetMs: 10, check };
}
