/**
 * Consensus CGM metrics against values computed by hand (in the comments) on generated series.
 * Boundary rule under test: in range 70-180 inclusive; < 70, < 54, > 180, > 250 strict.
 */
import { describe, expect, it } from '@jest/globals';
import { countLevel2Events, glycemicMetrics, samplingIntervalMinutes, summarisePeriod, type Reading } from '../../../src/services/glucose-monitoring/metrics.js';

const MIN = 60_000;
const DAY = 86_400_000;
const END = Date.UTC(2026, 5, 1); // period end (exclusive)
const START = END - 14 * DAY;
const PERIOD = { start: START, end: END };

/** Readings every `step` minutes from `from`, values from `value(i, minuteOfDay)`; `keep` drops slots. */
function series(n: number, value: (i: number, minuteOfDay: number) => number, opts: { from?: number; step?: number; keep?: (i: number, t: number) => boolean } = {}): Reading[] {
  const from = opts.from ?? START;
  const step = opts.step ?? 5;
  const out: Reading[] = [];
  for (let i = 0; i < n; i++) {
    const t = from + i * step * MIN;
    if (opts.keep && !opts.keep(i, t)) continue;
    const minuteOfDay = ((t % DAY) + DAY) % DAY / MIN;
    out.push({ t, mgdl: value(i, minuteOfDay), minuteOfDay });
  }
  return out;
}
const FULL = 14 * 288; // 4,032 five-minute readings in 14 days

describe('steady series', () => {
  const s = summarisePeriod(series(FULL, () => 120), PERIOD, 5);
  it('is fully captured over 14 days and scored', () => {
    expect(s.readings).toBe(4032);
    expect(s.expectedReadings).toBe(4032);
    expect(s.capturedPercent).toBe(100);
    expect(s.daysWithData).toBe(14);
    expect(s.sufficient).toBe(true);
  });
  it('mean 120, SD 0, CV 0, GMI 3.31 + 0.02392 x 120 = 6.1804, all in range', () => {
    const m = s.metrics!;
    expect(m.meanMgdl).toBe(120);
    expect(m.sdMgdl).toBe(0);
    expect(m.cvPercent).toBe(0);
    expect(m.gmiPercent).toBeCloseTo(6.1804, 10);
    expect(m.tirPercent).toBe(100);
    expect([m.tbr70Percent, m.tbr54Percent, m.tar180Percent, m.tar250Percent, m.level2Events]).toEqual([0, 0, 0, 0, 0]);
  });
});

describe('boundary values (exactly 54, 70, 180 and 250 mg/dL)', () => {
  // 1,008 readings each of 54, 70, 180, 250 (cycling).
  const m = summarisePeriod(series(FULL, (i) => [54, 70, 180, 250][i % 4]!), PERIOD, 5).metrics!;
  it('54 is below 70 but not below 54', () => {
    expect(m.tbr70Percent).toBe(25);
    expect(m.tbr54Percent).toBe(0);
  });
  it('70 and 180 are in range', () => {
    expect(m.tirPercent).toBe(50);
  });
  it('250 is above 180 but not above 250', () => {
    expect(m.tar180Percent).toBe(25);
    expect(m.tar250Percent).toBe(0);
  });
  it('one past each boundary crosses it: 53 < 54, 69 < 70, 181 > 180, 251 > 250', () => {
    const past = glycemicMetrics(series(400, (i) => [53, 69, 181, 251][i % 4]!));
    expect(past.tbr54Percent).toBe(25); // 53
    expect(past.tbr70Percent).toBe(50); // 53, 69
    expect(past.tar180Percent).toBe(50); // 181, 251
    expect(past.tar250Percent).toBe(25); // 251
    expect(past.tirPercent).toBe(0);
  });
  it('mean 138.5; sample SD sqrt(1008 x 25987 / 4031) = 80.6124; CV 58.20 %; GMI 6.6229', () => {
    // deviations -84.5, -68.5, 41.5, 111.5: squares sum to 25,987 per cycle of four.
    expect(m.meanMgdl).toBe(138.5);
    expect(m.sdMgdl).toBeCloseTo(80.6124, 4);
    expect(m.cvPercent).toBeCloseTo(58.2039, 4);
    expect(m.gmiPercent).toBeCloseTo(6.62292, 5);
  });
});

describe('hypoglycemic nights', () => {
  // Every night 02:00-02:25 (six readings, 30 minutes) at 45 mg/dL, otherwise 120.
  const readings = series(FULL, (_i, mod) => (mod >= 120 && mod < 150 ? 45 : 120));
  const m = summarisePeriod(readings, PERIOD, 5).metrics!;
  it('84 of 4,032 readings below 54: 2.0833 % below 54 and below 70, 97.9167 % in range', () => {
    expect(m.tbr54Percent).toBeCloseTo(2.08333, 5);
    expect(m.tbr70Percent).toBeCloseTo(2.08333, 5);
    expect(m.tirPercent).toBeCloseTo(97.91667, 5);
  });
  it('one level-2 event per night: 14', () => {
    expect(m.level2Events).toBe(14);
  });
  it('mean (84 x 45 + 3948 x 120) / 4032 = 118.4375; SD 10.7133; CV 9.0455 %', () => {
    expect(m.meanMgdl).toBeCloseTo(118.4375, 10);
    expect(m.sdMgdl).toBeCloseTo(10.71329, 4);
    expect(m.cvPercent).toBeCloseTo(9.04552, 4);
  });
});

describe('high variability', () => {
  // Alternating 60 and 240: mean 150, population SD 90, sample SD 90 x sqrt(4032/4031) = 90.0112.
  const m = summarisePeriod(series(FULL, (i) => (i % 2 ? 240 : 60)), PERIOD, 5).metrics!;
  it('CV 60.0074 % (above the 36 % target); GMI 6.898', () => {
    expect(m.meanMgdl).toBe(150);
    expect(m.sdMgdl).toBeCloseTo(90.01116, 4);
    expect(m.cvPercent).toBeCloseTo(60.00744, 4);
    expect(m.gmiPercent).toBeCloseTo(6.898, 10);
  });
  it('half below 70 (none below 54), half above 180 (none above 250), none in range', () => {
    expect([m.tbr70Percent, m.tbr54Percent, m.tar180Percent, m.tar250Percent, m.tirPercent]).toEqual([50, 0, 50, 0, 0]);
  });
});

describe('level-2 hypoglycemia events (>= 15 consecutive minutes < 54 mg/dL)', () => {
  const run = (values: number[], keep?: (i: number) => boolean): number => countLevel2Events(series(values.length, (i) => values[i]!, { keep }), 5);
  it('two readings (10 minutes) below 54 are not an event; three (15 minutes) are', () => {
    expect(run([100, 50, 50, 100, 100, 100])).toBe(0);
    expect(run([100, 50, 50, 50, 100, 100, 100])).toBe(1);
  });
  it('a brief rise to >= 54 (under 15 minutes) inside a low does not start a second event', () => {
    expect(run([50, 50, 50, 60, 60, 50, 50, 50, 100, 100, 100])).toBe(1);
  });
  it('15 minutes >= 54 end the event: the next low is a new event', () => {
    expect(run([50, 50, 50, 60, 60, 60, 50, 50, 50, 100])).toBe(2);
  });
  it('a reading of exactly 54 is not below 54', () => {
    expect(run([54, 54, 54, 54])).toBe(0);
  });
  it('a missing reading breaks continuity: minutes without data are never counted as low', () => {
    // 50, 50, (missing), 50, 50: two 10-minute runs.
    expect(run([50, 50, 50, 50, 50], (i) => i !== 2)).toBe(0);
  });
});

describe('gaps and data sufficiency (>= 70 % of 14 days)', () => {
  it('9 of 14 days worn: 2,592 / 4,032 = 64.29 % captured, insufficient, not scored', () => {
    const s = summarisePeriod(series(FULL, () => 120, { keep: (_i, t) => t - START < 9 * DAY }), PERIOD, 5);
    expect(s.readings).toBe(2592);
    expect(s.capturedPercent).toBeCloseTo(64.2857, 4);
    expect(s.daysWithData).toBe(9);
    expect(s.sufficient).toBe(false);
    expect(s.metrics).toBeUndefined();
  });
  it('2,823 readings (70.01 %) are sufficient; 2,820 (69.94 %, shown 69.9 %) are not', () => {
    expect(summarisePeriod(series(2823, () => 120), PERIOD, 5).sufficient).toBe(true);
    expect(summarisePeriod(series(2820, () => 120), PERIOD, 5).sufficient).toBe(false);
  });
  it('a daily 4-hour signal loss (20 of 24 hours) leaves 83.33 % captured on all 14 days', () => {
    const s = summarisePeriod(series(FULL, () => 120, { keep: (_i, t) => (t % DAY) / MIN < 20 * 60 }), PERIOD, 5);
    expect(s.capturedPercent).toBeCloseTo(83.3333, 4);
    expect(s.daysWithData).toBe(14);
    expect(s.sufficient).toBe(true);
  });
  it('level-2 events in an insufficient period are still counted as seen (a safety signal, not a score)', () => {
    const s = summarisePeriod(series(288, (_i, mod) => (mod < 30 ? 45 : 120)), PERIOD, 5);
    expect(s.sufficient).toBe(false);
    expect(s.level2EventsSeen).toBe(1);
  });
  it('readings outside the period are not counted', () => {
    const s = summarisePeriod(series(FULL + 288, () => 120, { from: START - DAY }), PERIOD, 5);
    expect(s.readings).toBe(4032);
  });
});

describe('sampling interval', () => {
  it('is the median gap, snapped to 1, 5 or 15 minutes', () => {
    expect(samplingIntervalMinutes(series(100, () => 120, { step: 5 }))).toBe(5);
    expect(samplingIntervalMinutes(series(100, () => 120, { step: 15 }))).toBe(15);
    expect(samplingIntervalMinutes(series(100, () => 120, { step: 1 }))).toBe(1);
    // Gaps of 5 with a few long ones still read as 5.
    expect(samplingIntervalMinutes(series(100, () => 120, { keep: (i) => i % 10 !== 0 }))).toBe(5);
  });
  it('a 15-minute sensor expects 1,344 readings in 14 days', () => {
    const s = summarisePeriod(series(1344, () => 120, { step: 15 }), PERIOD, 15);
    expect(s.expectedReadings).toBe(1344);
    expect(s.capturedPercent).toBe(100);
  });
});
