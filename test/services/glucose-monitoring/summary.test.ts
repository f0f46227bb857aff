/**
 * Reported CGM summaries (HL7 CGM IG 1.0.0 summary Observations) read by extractSummaries. The
 * IG's five times in ranges are exclusive bands: < 70 = low + very low, > 180 = high + very high.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Bundle, Observation, Quantity } from 'fhir/r4.js';
import { extractSummaries } from '../../../src/services/glucose-monitoring/summary.js';

const LOINC = 'http://loinc.org';
const NOW = new Date('2026-06-01T00:00:00Z');
const PATIENT = 'p1';
const pct = (value: number): Quantity => ({ value, unit: '%', system: 'http://unitsofmeasure.org', code: '%' });

interface Period {
  readonly start: string;
  readonly end: string;
}
const RECENT: Period = { start: '2026-05-18', end: '2026-05-31' };
const EARLIER: Period = { start: '2026-05-04', end: '2026-05-17' };

function base(id: string, code: string, period: Period, subject = `Patient/${PATIENT}`): Observation {
  return {
    resourceType: 'Observation',
    id,
    status: 'final',
    code: { coding: [{ system: LOINC, code }] },
    subject: { reference: subject },
    effectivePeriod: { start: period.start, end: period.end },
  };
}

/** A 106793-3 times-in-ranges panel: five components in %. */
function panel(id: string, period: Period, v: { veryLow: Quantity; low: Quantity; target: Quantity; high: Quantity; veryHigh: Quantity }, subject?: string): Observation {
  const comp = (code: string, q: Quantity) => ({ code: { coding: [{ system: LOINC, code }] }, valueQuantity: q });
  return {
    ...base(id, '106793-3', period, subject),
    component: [comp('104642-4', v.veryLow), comp('104641-6', v.low), comp('97510-2', v.target), comp('104640-8', v.high), comp('104639-0', v.veryHigh)],
  };
}

const single = (id: string, code: string, period: Period, q: Quantity, subject?: string): Observation => ({ ...base(id, code, period, subject), valueQuantity: q });

/** One full IG-shaped set for a period. */
function fullSet(prefix: string, period: Period, subject?: string): Observation[] {
  return [
    panel(`${prefix}-tir`, period, { veryLow: pct(0.75), low: pct(2.5), target: pct(71.25), high: pct(20.5), veryHigh: pct(5) }, subject),
    single(`${prefix}-mean`, '97507-8', period, { value: 150, unit: 'mg/dL', code: 'mg/dL' }, subject),
    single(`${prefix}-gmi`, '97506-0', period, pct(6.9), subject),
    single(`${prefix}-cv`, '104638-2', period, pct(33.3), subject),
    single(`${prefix}-active`, '104637-4', period, pct(88), subject),
    single(`${prefix}-wear`, '104636-6', period, { value: 13, unit: 'days', code: 'd' }, subject),
  ];
}

describe('an IG-shaped summary set (panel with five components + separate Observations)', () => {
  const [s, ...rest] = extractSummaries(fullSet('a', RECENT), NOW, PATIENT);
  it('is one summary for the one reporting period', () => {
    expect(rest).toEqual([]);
    expect(s).toBeDefined();
  });
  it('period: date-only start at 00:00 UTC, inclusive end day runs to the next midnight', () => {
    expect(s!.start).toBe('2026-05-18T00:00:00.000Z');
    expect(s!.end).toBe('2026-06-01T00:00:00.000Z');
  });
  it('time below 70 is low + very low: 2.5 + 0.75 = 3.25', () => {
    expect(s!.metrics.tbr70Percent).toBeCloseTo(3.25, 10);
  });
  it('time above 180 is high + very high: 20.5 + 5 = 25.5', () => {
    expect(s!.metrics.tar180Percent).toBeCloseTo(25.5, 10);
  });
  it('time below 54 is very low alone (0.75); time above 250 is very high alone (5)', () => {
    expect(s!.metrics.tbr54Percent).toBe(0.75);
    expect(s!.metrics.tar250Percent).toBe(5);
  });
  it('time in range is the target band (71.25)', () => {
    expect(s!.metrics.tirPercent).toBe(71.25);
  });
  it('mean 150 mg/dL, GMI 6.9 %, CV 33.3 % as reported', () => {
    expect(s!.metrics.meanMgdl).toBe(150);
    expect(s!.metrics.gmiPercent).toBe(6.9);
    expect(s!.metrics.cvPercent).toBe(33.3);
  });
  it('sensor active 88 %, 13 days of wear', () => {
    expect(s!.sensorActivePercent).toBe(88);
    expect(s!.daysOfWear).toBe(13);
  });
  it('no level-2 event count is invented', () => {
    expect(s!.metrics.level2Events).toBeUndefined();
  });
  it('display unit mg/dL and every source Observation named', () => {
    expect(s!.displayUnit).toBe('mg/dL');
    expect([...s!.sources].sort()).toEqual(['Observation/a-active', 'Observation/a-cv', 'Observation/a-gmi', 'Observation/a-mean', 'Observation/a-tir', 'Observation/a-wear']);
  });
});

describe('mean glucose in mmol/L (105273-7)', () => {
  const [s] = extractSummaries([single('m', '105273-7', RECENT, { value: 8.0, unit: 'mmol/L', code: 'mmol/L' })], NOW, PATIENT);
  it('is converted: 8.0 x 18.016 = 144.128 mg/dL', () => {
    expect(s!.metrics.meanMgdl).toBeCloseTo(144.128, 10);
  });
  it('and makes mmol/L the display unit', () => {
    expect(s!.displayUnit).toBe('mmol/L');
  });
});

describe('values with a wrong unit or out of range are left out', () => {
  it('a CV in mg/dL is left out', () => {
    const [s] = extractSummaries([single('cv', '104638-2', RECENT, { value: 30, unit: 'mg/dL', code: 'mg/dL' }), single('g', '97506-0', RECENT, pct(7))], NOW, PATIENT);
    expect(s!.metrics.cvPercent).toBeUndefined();
    expect(s!.metrics.gmiPercent).toBe(7);
  });
  it('a time in range over 100 % is left out', () => {
    const [s] = extractSummaries([panel('p', RECENT, { veryLow: pct(1), low: pct(2), target: pct(101), high: pct(20), veryHigh: pct(5) })], NOW, PATIENT);
    expect(s!.metrics.tirPercent).toBeUndefined();
    expect(s!.metrics.tbr70Percent).toBe(3);
  });
  it('a low band in mmol/L is left out, and with it time below 70 (which needs both bands)', () => {
    const [s] = extractSummaries([panel('p', RECENT, { veryLow: pct(1), low: { value: 2, unit: 'mmol/L', code: 'mmol/L' }, target: pct(72), high: pct(20), veryHigh: pct(5) })], NOW, PATIENT);
    expect(s!.metrics.tbr70Percent).toBeUndefined();
    expect(s!.metrics.tbr54Percent).toBe(1);
  });
  it('a mean in g/L is left out', () => {
    const [s] = extractSummaries([single('m', '97507-8', RECENT, { value: 1.5, unit: 'g/L', code: 'g/L' }), single('g', '97506-0', RECENT, pct(7))], NOW, PATIENT);
    expect(s!.metrics.meanMgdl).toBeUndefined();
  });
  it('a negative percentage is left out', () => {
    const [s] = extractSummaries([single('cv', '104638-2', RECENT, pct(-1)), single('g', '97506-0', RECENT, pct(7))], NOW, PATIENT);
    expect(s!.metrics.cvPercent).toBeUndefined();
  });
  it('a period with nothing usable gives no summary', () => {
    expect(extractSummaries([single('cv', '104638-2', RECENT, pct(130))], NOW, PATIENT)).toEqual([]);
  });
});

describe('periods, status and subject', () => {
  it('newest period first, whatever the input order', () => {
    const out = extractSummaries([...fullSet('recent', RECENT), ...fullSet('earlier', EARLIER)], NOW, PATIENT);
    expect(out.map((s) => s.start)).toEqual(['2026-05-18T00:00:00.000Z', '2026-05-04T00:00:00.000Z']);
  });
  it("another patient's summary is ignored", () => {
    const out = extractSummaries([...fullSet('other', RECENT, 'Patient/p2'), ...fullSet('mine', EARLIER)], NOW, PATIENT);
    expect(out).toHaveLength(1);
    expect(out[0]!.sources.every((r) => r.startsWith('Observation/mine-'))).toBe(true);
  });
  it('entered-in-error summaries are ignored', () => {
    const o = { ...single('g', '97506-0', RECENT, pct(7)), status: 'entered-in-error' as const };
    expect(extractSummaries([o], NOW, PATIENT)).toEqual([]);
  });
  it('a period that starts after now is ignored', () => {
    expect(extractSummaries([single('g', '97506-0', { start: '2026-06-02', end: '2026-06-15' }, pct(7))], NOW, PATIENT)).toEqual([]);
  });
  it('a period that runs past now ends at now', () => {
    const [s] = extractSummaries([single('g', '97506-0', { start: '2026-05-20', end: '2026-06-02' }, pct(7))], NOW, PATIENT);
    expect(s!.end).toBe(NOW.toISOString());
  });
});

describe('fixture 25-cgm-summary-only (README row 25)', () => {
  const bundle = JSON.parse(readFileSync(resolve(process.cwd(), 'fhir-fixtures/25-cgm-summary-only.json'), 'utf8')) as Bundle;
  const observations = (bundle.entry ?? []).map((e) => e.resource!).filter((r): r is Observation => r.resourceType === 'Observation');
  const out = extractSummaries(observations, NOW, 'cgm-summary-only');
  const [recent, earlier] = out;

  it('two reporting periods, the recent one (2026-05-18..05-31) first', () => {
    expect(out).toHaveLength(2);
    expect([recent!.start, recent!.end]).toEqual(['2026-05-18T00:00:00.000Z', '2026-06-01T00:00:00.000Z']);
    expect([earlier!.start, earlier!.end]).toEqual(['2026-05-04T00:00:00.000Z', '2026-05-18T00:00:00.000Z']);
  });
  it('recent: mean 172, GMI 7.42, CV 38.5, TIR 58, < 54 1.5, < 70 5.0 (1.5 + 3.5), > 180 37 (27 + 10), > 250 10', () => {
    expect(recent!.metrics.meanMgdl).toBe(172);
    expect(recent!.metrics.gmiPercent).toBe(7.42);
    expect(recent!.metrics.cvPercent).toBe(38.5);
    expect(recent!.metrics.tirPercent).toBe(58);
    expect(recent!.metrics.tbr54Percent).toBe(1.5);
    expect(recent!.metrics.tbr70Percent).toBeCloseTo(5.0, 10);
    expect(recent!.metrics.tar180Percent).toBeCloseTo(37, 10);
    expect(recent!.metrics.tar250Percent).toBe(10);
  });
  it('recent: 14 days of wear, sensor active 91 %', () => {
    expect(recent!.daysOfWear).toBe(14);
    expect(recent!.sensorActivePercent).toBe(91);
  });
  it('earlier: mean 160, GMI 7.14, CV 34.2, TIR 66, < 54 0.5, < 70 2.5 (0.5 + 2), > 180 31.5 (24 + 7.5), > 250 7.5, sensor active 94', () => {
    expect(earlier!.metrics.meanMgdl).toBe(160);
    expect(earlier!.metrics.gmiPercent).toBe(7.14);
    expect(earlier!.metrics.cvPercent).toBe(34.2);
    expect(earlier!.metrics.tirPercent).toBe(66);
    expect(earlier!.metrics.tbr54Percent).toBe(0.5);
    expect(earlier!.metrics.tbr70Percent).toBeCloseTo(2.5, 10);
    expect(earlier!.metrics.tar180Percent).toBeCloseTo(31.5, 10);
    expect(earlier!.metrics.tar250Percent).toBe(7.5);
    expect(earlier!.sensorActivePercent).toBe(94);
  });
  it('the HbA1c (4548-4) and the 107931-8 panel contribute nothing', () => {
    expect(recent!.sources).not.toContain('Observation/cgm-summary-only-obs-1');
    expect(recent!.sources).not.toContain('Observation/cgm-summary-only-cgmsum-14');
    expect(recent!.sources).toHaveLength(6);
  });
});
