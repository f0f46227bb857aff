/**
 * CGM metrics of the International Consensus on Time in Range (Battelino T et al.,
 * Diabetes Care 2019;42:1593-1603), computed over one period from sensor readings.
 *
 * Boundary rule (the consensus ranges): in range is 70-180 mg/dL INCLUSIVE (70 and 180 are in
 * range); below 70 and below 54 are STRICT (< 70, < 54: a reading of exactly 54 is below 70 but
 * not below 54); above 180 and above 250 are STRICT (> 180, > 250: 250 is above 180 but not above
 * 250). Percentages count readings: every reading stands for one sampling interval.
 */
import { CONSENSUS } from './knowledge.js';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** One sensor reading in mg/dL (see readings.ts). */
export interface Reading {
  /** Epoch milliseconds. */
  readonly t: number;
  /** As reported when recorded in mg/dL (not rounded); converted from mmol/L and rounded to whole mg/dL otherwise. */
  readonly mgdl: number;
  /** Minute of the day on the reading's own clock (its timestamp's UTC offset), for the AGP. */
  readonly minuteOfDay: number;
}

export interface Period {
  /** Inclusive, epoch ms. */
  readonly start: number;
  /** Exclusive, epoch ms. */
  readonly end: number;
}

/** Glycemic metrics of a period with enough data. Percentages are of readings, unrounded. */
export interface GlycemicMetrics {
  readonly meanMgdl: number;
  /** Sample standard deviation (n - 1). */
  readonly sdMgdl: number;
  /** Glucose management indicator, % (Bergenstal 2018): 3.31 + 0.02392 x mean mg/dL. */
  readonly gmiPercent: number;
  /** Coefficient of variation, % = 100 x SD / mean. */
  readonly cvPercent: number;
  /** 70-180 mg/dL inclusive. */
  readonly tirPercent: number;
  /** < 70 mg/dL (includes < 54). */
  readonly tbr70Percent: number;
  /** < 54 mg/dL. */
  readonly tbr54Percent: number;
  /** > 180 mg/dL (includes > 250). */
  readonly tar180Percent: number;
  /** > 250 mg/dL. */
  readonly tar250Percent: number;
  /** Level-2 hypoglycemia events: at least 15 consecutive minutes < 54 mg/dL (see countLevel2Events). */
  readonly level2Events: number;
}

export interface PeriodSummary {
  readonly period: Period;
  readonly readings: number;
  /** Readings a sensor sampling every `intervalMinutes` would give over the whole period. */
  readonly expectedReadings: number;
  readonly intervalMinutes: number;
  /** min(100, 100 x readings / expected). */
  readonly capturedPercent: number;
  /** 24-hour days of the period (counted back from its end) holding at least one reading. */
  readonly daysWithData: number;
  readonly periodDays: number;
  /** At least 70 % of the expected readings over 14 days (consensus data sufficiency). */
  readonly sufficient: boolean;
  /** Only when sufficient: an insufficient period is not scored. */
  readonly metrics?: GlycemicMetrics;
  /** Level-2 events seen in the readings there are, also when the period is insufficient (a safety signal, not a score). */
  readonly level2EventsSeen: number;
}

/** Sensor sampling intervals in use (minutes): 1 (e.g. FreeStyle Libre 3), 5 (Dexcom, Medtronic), 15 (Libre 1/2 history). */
const KNOWN_INTERVALS = [1, 5, 15] as const;

/**
 * The sensor's sampling interval: the median gap between consecutive readings, snapped to the
 * nearest interval in use. 5 minutes when there are too few readings to tell.
 */
export function samplingIntervalMinutes(readings: readonly Reading[]): number {
  if (readings.length < 3) return 5;
  const gaps: number[] = [];
  for (let i = 1; i < readings.length; i++) {
    const g = readings[i]!.t - readings[i - 1]!.t;
    if (g > 0) gaps.push(g);
  }
  if (gaps.length === 0) return 5;
  gaps.sort((a, b) => a - b);
  const median = gaps[gaps.length >> 1]! / MINUTE_MS;
  let best: number = KNOWN_INTERVALS[0];
  for (const k of KNOWN_INTERVALS) if (Math.abs(Math.log(median / k)) < Math.abs(Math.log(median / best))) best = k;
  return best;
}

/** Index of the first reading at or after t (readings sorted by time). */
function lowerBound(readings: readonly Reading[], t: number): number {
  let lo = 0;
  let hi = readings.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (readings[mid]!.t < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The readings inside a period (readings sorted by time); a view, no copy of the readings themselves. */
export function readingsIn(readings: readonly Reading[], period: Period): readonly Reading[] {
  return readings.slice(lowerBound(readings, period.start), lowerBound(readings, period.end));
}

/**
 * Level-2 hypoglycemia events (Battelino 2019, Table 1: "≥15 consecutive minutes < 54 mg/dL").
 * An event starts once readings < 54 have lasted 15 minutes (each reading covers one interval, so
 * three consecutive 5-minute readings are 15 minutes). It ends after readings ≥ 54 for 15
 * consecutive minutes, so a brief reading above 54 inside a low does not make two events. A gap in
 * the data (a missing reading) breaks continuity: minutes without data are never counted as low.
 */
export function countLevel2Events(readings: readonly Reading[], intervalMinutes: number): number {
  const threshold = CONSENSUS.level2Event.thresholdMgdl;
  const minMs = CONSENSUS.level2Event.minMinutes * MINUTE_MS;
  const step = intervalMinutes * MINUTE_MS;
  const maxGap = step * 1.5;
  let events = 0;
  let lowStart: number | undefined; // first reading of the current run below threshold
  let inEvent = false;
  let recoveryStart: number | undefined; // first reading ≥ threshold after an event's low run
  let prevT = Number.NEGATIVE_INFINITY;
  for (const r of readings) {
    if (r.t - prevT > maxGap) {
      lowStart = undefined;
      inEvent = false;
      recoveryStart = undefined;
    }
    prevT = r.t;
    if (r.mgdl < threshold) {
      recoveryStart = undefined;
      lowStart ??= r.t;
      if (!inEvent && r.t - lowStart + step >= minMs) {
        events += 1;
        inEvent = true;
      }
    } else if (inEvent) {
      recoveryStart ??= r.t;
      if (r.t - recoveryStart + step >= minMs) {
        inEvent = false;
        lowStart = undefined;
        recoveryStart = undefined;
      }
    } else {
      lowStart = undefined;
    }
  }
  return events;
}

/** Mean, SD, GMI, CV and the time in ranges of a non-empty set of readings. */
export function glycemicMetrics(readings: readonly Reading[]): Omit<GlycemicMetrics, 'level2Events'> {
  const { veryLow, low, high, veryHigh } = CONSENSUS.thresholdsMgdl;
  const n = readings.length;
  let sum = 0;
  let below54 = 0;
  let below70 = 0;
  let above180 = 0;
  let above250 = 0;
  for (const r of readings) {
    const g = r.mgdl;
    sum += g;
    if (g < low) {
      below70 += 1;
      if (g < veryLow) below54 += 1;
    } else if (g > high) {
      above180 += 1;
      if (g > veryHigh) above250 += 1;
    }
  }
  const mean = sum / n;
  let squares = 0;
  for (const r of readings) squares += (r.mgdl - mean) ** 2;
  const sd = n > 1 ? Math.sqrt(squares / (n - 1)) : 0;
  const pct = (k: number): number => (100 * k) / n;
  return {
    meanMgdl: mean,
    sdMgdl: sd,
    gmiPercent: CONSENSUS.gmi.intercept + CONSENSUS.gmi.slopePerMgdl * mean,
    cvPercent: (100 * sd) / mean,
    tirPercent: pct(n - below70 - above180),
    tbr70Percent: pct(below70),
    tbr54Percent: pct(below54),
    tar180Percent: pct(above180),
    tar250Percent: pct(above250),
  };
}

/**
 * Summarises one period: data sufficiency first (≥ 70 % of the readings expected over 14 days);
 * only a sufficient period is scored.
 */
export function summarisePeriod(all: readonly Reading[], period: Period, intervalMinutes: number): PeriodSummary {
  const inside = readingsIn(all, period);
  const periodDays = Math.round((period.end - period.start) / DAY_MS);
  const expected = Math.round((period.end - period.start) / (intervalMinutes * MINUTE_MS));
  const capturedPercent = expected > 0 ? Math.min(100, (100 * inside.length) / expected) : 0;
  const days = new Set<number>();
  for (const r of inside) days.add(Math.floor((period.end - 1 - r.t) / DAY_MS));
  const sufficient =
    periodDays >= CONSENSUS.sufficiency.periodDays && Math.round(capturedPercent * 10) / 10 >= CONSENSUS.sufficiency.minCapturedPercent && inside.length > 1;
  const level2EventsSeen = countLevel2Events(inside, intervalMinutes);
  return {
    period,
    readings: inside.length,
    expectedReadings: expected,
    intervalMinutes,
    capturedPercent,
    daysWithData: days.size,
    periodDays,
    sufficient,
    ...(sufficient ? { metrics: { ...glycemicMetrics(inside), level2Events: level2EventsSeen } } : {}),
    level2EventsSeen,
  };
}
