/**
 * CGM sensor readings from FHIR Observations (readings.ts): which Observations count, unit
 * conversion (18.016 mg/dL per mmol/L, rounded to whole mg/dL), and what is dropped and counted.
 * Expected values are worked out by hand in the comments.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Bundle, CodeableConcept, Device, Observation } from 'fhir/r4.js';
import { countLevel2Events, glycemicMetrics, summarisePeriod } from '../../../src/services/glucose-monitoring/metrics.js';
import { cgmDeviceRefs, cgmKind, extractReadings, readingTime } from '../../../src/services/glucose-monitoring/readings.js';

const MIN = 60_000;
const DAY = 86_400_000;
const ANCHOR = Date.UTC(2026, 5, 1); // 2026-06-01T00:00:00Z
const WINDOW = { start: ANCHOR - 14 * DAY, end: ANCHOR };
const LOINC = 'http://loinc.org';
const SCT = 'http://snomed.info/sct';
const PATIENT = 'p1';

interface ObsSpec {
  readonly value?: number;
  /** null: no unit at all. */
  readonly unit?: string | null;
  readonly code?: string;
  readonly system?: string;
  /** Epoch ms or the literal effectiveDateTime. */
  readonly at?: number | string;
  readonly status?: Observation['status'];
  readonly subject?: string | null;
  readonly device?: Observation['device'];
  readonly category?: CodeableConcept[];
  readonly id?: string;
}

/** One glucose Observation (default: 99504-3, 120 mg/dL, final, for Patient/p1, 2026-05-20T08:00Z). */
function obs(s: ObsSpec = {}): Observation {
  const at = s.at ?? Date.UTC(2026, 4, 20, 8);
  const unit = s.unit === undefined ? 'mg/dL' : s.unit;
  return {
    resourceType: 'Observation',
    ...(s.id ? { id: s.id } : {}),
    status: s.status ?? 'final',
    ...(s.category ? { category: s.category } : {}),
    code: { coding: [{ system: s.system ?? LOINC, code: s.code ?? '99504-3' }] },
    ...(s.subject === null ? {} : { subject: { reference: s.subject ?? `Patient/${PATIENT}` } }),
    effectiveDateTime: typeof at === 'number' ? new Date(at).toISOString() : at,
    ...(s.value === undefined && s.unit === undefined ? { valueQuantity: { value: 120, unit: 'mg/dL', system: 'http://unitsofmeasure.org', code: 'mg/dL' } } : {}),
    ...(s.value !== undefined ? { valueQuantity: { value: s.value, ...(unit === null ? {} : { unit, system: 'http://unitsofmeasure.org', code: unit }) } } : {}),
    ...(s.device ? { device: s.device } : {}),
  };
}

const extract = (observations: readonly Observation[], devices: readonly Device[] = []) => extractReadings(observations, devices, WINDOW, PATIENT);

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o as Record<string, unknown>)) deepFreeze(v);
  }
  return o;
}

describe('mmol/L and mg/dL series give the same readings and metrics', () => {
  // 24 values, each boundary and one either side of it; 4,032 / 24 = 168 cycles in 14 days.
  const PATTERN = [53, 54, 55, 69, 70, 71, 179, 180, 181, 249, 250, 251, 25, 40, 90, 110, 130, 150, 200, 230, 300, 400, 500, 600];
  const at = (i: number): number => WINDOW.start + i * 5 * MIN;
  const mgdlOf = (i: number): number => PATTERN[i % PATTERN.length]!;
  const N = 14 * 288;
  const mgdl = Array.from({ length: N }, (_, i) => obs({ at: at(i), value: mgdlOf(i), unit: 'mg/dL' }));
  const mmol = Array.from({ length: N }, (_, i) => obs({ at: at(i), code: '105272-9', value: mgdlOf(i) / 18.016, unit: 'mmol/L' }));
  const mmol1 = Array.from({ length: N }, (_, i) => obs({ at: at(i), code: '105272-9', value: Math.round((mgdlOf(i) / 18.016) * 10) / 10, unit: 'mmol/L' }));
  const a = extract(mgdl);
  const b = extract(mmol);
  const c = extract(mmol1);

  it('the mg/dL series: 4,032 readings, values as recorded', () => {
    expect(a.readings).toHaveLength(4032);
    expect(a.readings.slice(0, 24).map((r) => r.mgdl)).toEqual(PATTERN);
    expect(a.unitCounts).toEqual({ mgdl: 4032, mmol: 0 });
  });
  it('the unrounded mmol/L copy gives exactly the same readings (value x 18.016, rounded to whole mg/dL)', () => {
    expect(b.readings).toEqual(a.readings);
    expect(b.unitCounts).toEqual({ mgdl: 0, mmol: 4032 });
  });
  it('and exactly the same metrics', () => {
    expect(summarisePeriod(b.readings, WINDOW, 5)).toEqual(summarisePeriod(a.readings, WINDOW, 5));
  });
  it('the metrics are the hand-counted ones (per cycle of 24: 3 < 54, 6 < 70, 8 in range, 10 > 180, 5 > 250)', () => {
    const m = summarisePeriod(a.readings, WINDOW, 5).metrics!;
    // < 54: 53, 25, 40. < 70: those and 54, 55, 69. In range: 70, 71, 179, 180, 90, 110, 130, 150.
    // > 180: 181, 249, 250, 251, 200, 230, 300, 400, 500, 600. > 250: 251, 300, 400, 500, 600.
    expect(m.tbr54Percent).toBeCloseTo(12.5, 10); // 3 / 24
    expect(m.tbr70Percent).toBeCloseTo(25, 10); // 6 / 24
    expect(m.tirPercent).toBeCloseTo(33.33333, 4); // 8 / 24
    expect(m.tar180Percent).toBeCloseTo(41.66667, 4); // 10 / 24
    expect(m.tar250Percent).toBeCloseTo(20.83333, 4); // 5 / 24
    // sum per cycle 1662 + 545 + 2230 = 4437; mean 4437 / 24 = 184.875
    expect(m.meanMgdl).toBeCloseTo(184.875, 10);
  });
  it('the one-decimal mmol/L copy is banded as the consensus bands mmol/L (3.9-10.0 inclusive, < 3.0, < 3.9, > 10.0, > 13.9)', () => {
    // mmol/L per cycle: 2.9 3.0 3.1 3.8 3.9 3.9 9.9 10.0 10.0 13.8 13.9 13.9 1.4 2.2 5.0 6.1 7.2 8.3 11.1 12.8 16.7 22.2 27.8 33.3
    // < 3.0: 2.9, 1.4, 2.2 (3). < 3.9: and 3.0, 3.1, 3.8 (6). 3.9-10.0: 3.9, 3.9, 9.9, 10.0, 10.0, 5.0, 6.1, 7.2, 8.3 (9).
    // > 10.0: 13.8, 13.9, 13.9, 11.1, 12.8, 16.7, 22.2, 27.8, 33.3 (9). > 13.9: 16.7, 22.2, 27.8, 33.3 (4).
    expect(c.readings).toHaveLength(4032);
    const m = summarisePeriod(c.readings, WINDOW, 5).metrics!;
    expect(m.tbr54Percent).toBeCloseTo(12.5, 10);
    expect(m.tbr70Percent).toBeCloseTo(25, 10);
    expect(m.tirPercent).toBeCloseTo(37.5, 10);
    expect(m.tar180Percent).toBeCloseTo(37.5, 10);
    expect(m.tar250Percent).toBeCloseTo(16.66667, 4);
  });
});

describe('one-decimal mmol/L boundaries fall on the mg/dL ones', () => {
  const mmolReading = (v: number): number => extract([obs({ code: '105272-9', value: v, unit: 'mmol/L' })]).readings[0]!.mgdl;
  it('3.9 -> 70 (3.9 x 18.016 = 70.26): in range, not below 70', () => {
    expect(mmolReading(3.9)).toBe(70);
  });
  it('10.0 -> 180 (180.16): in range, not above 180', () => {
    expect(mmolReading(10.0)).toBe(180);
  });
  it('3.0 -> 54 (54.05): not below 54', () => {
    expect(mmolReading(3.0)).toBe(54);
  });
  it('13.9 -> 250 (250.42): not above 250', () => {
    expect(mmolReading(13.9)).toBe(250);
  });
  it('3.8 -> 68 (68.46): below 70', () => {
    expect(mmolReading(3.8)).toBe(68);
  });
  it('10.1 -> 182 (181.96): above 180', () => {
    expect(mmolReading(10.1)).toBe(182);
  });
});

describe('mg/dL values are classified as reported, never rounded first (issue 4)', () => {
  const t = (k: number): number => Date.UTC(2026, 4, 20, 8, 5 * k);
  const one = (value: number, code = '99504-3', unit = 'mg/dL') => extract([obs({ code, value, unit })]).readings;
  /** The one reading's band: 'tbr54' | 'tbr70' | 'tir' | 'tar180' | 'tar250' (the strictest that holds). */
  const band = (value: number, code?: string, unit?: string): string => {
    const m = glycemicMetrics(one(value, code, unit));
    return m.tar250Percent === 100 ? 'tar250' : m.tar180Percent === 100 ? 'tar180' : m.tbr54Percent === 100 ? 'tbr54' : m.tbr70Percent === 100 ? 'tbr70' : 'tir';
  };
  it('180.4 mg/dL is kept as 180.4 and counts above 180 (rounding would have put it in range)', () => {
    expect(one(180.4)[0]!.mgdl).toBe(180.4);
    expect(band(180.4)).toBe('tar180');
  });
  it('180 and 70 mg/dL are in range (inclusive); 179.6 and 70.4 too', () => {
    expect([band(180), band(70), band(179.6), band(70.4)]).toEqual(['tir', 'tir', 'tir', 'tir']);
  });
  it('69.6 mg/dL is below 70, 53.6 below 54 (rounding would have lifted both to the boundary)', () => {
    expect(band(69.6)).toBe('tbr70');
    expect(band(53.6)).toBe('tbr54');
    expect(band(54)).toBe('tbr70');
  });
  it('250.4 mg/dL is above 250; 250 is above 180 but not above 250', () => {
    expect(band(250.4)).toBe('tar250');
    expect(band(250)).toBe('tar180');
  });
  it('a value converted from mmol/L is still rounded to whole mg/dL: 10.0 mmol/L -> 180 (180.16), in range; 10.02 -> 181 (180.52), above', () => {
    expect(one(10.0, '105272-9', 'mmol/L')[0]!.mgdl).toBe(180);
    expect(band(10.0, '105272-9', 'mmol/L')).toBe('tir');
    expect(one(10.02, '105272-9', 'mmol/L')[0]!.mgdl).toBe(181);
    expect(band(10.02, '105272-9', 'mmol/L')).toBe('tar180');
  });
  it('the mean keeps the reported decimals (180.4 and 179.6 average 180)', () => {
    const r = extract([obs({ at: t(0), value: 180.4 }), obs({ at: t(1), value: 179.6 }), obs({ at: t(2), value: 180.3 })]).readings;
    expect(glycemicMetrics(r).meanMgdl).toBeCloseTo((180.4 + 179.6 + 180.3) / 3, 10);
  });
  it('level-2 events count 53.6 mg/dL as below 54: three 5-minute readings make one event; at 54.0 none', () => {
    const run = (v: number) => extract([0, 1, 2].map((k) => obs({ at: t(k), value: v }))).readings;
    expect(countLevel2Events(run(53.6), 5)).toBe(1);
    expect(countLevel2Events(run(54), 5)).toBe(0);
  });
});

describe('implausible values', () => {
  const t = (k: number): number => Date.UTC(2026, 4, 20, 8, 5 * k);
  const set = extract([
    obs({ at: t(0), value: 19 }),
    obs({ at: t(1), value: 20 }),
    obs({ at: t(2), value: 600 }),
    obs({ at: t(3), value: 601 }),
    obs({ at: t(4), code: '105272-9', value: 1.0, unit: 'mmol/L' }), // 18.016 mg/dL
  ]);
  it('19 and 601 mg/dL and 1.0 mmol/L (18.0 mg/dL) are dropped and counted', () => {
    expect(set.dropped.implausible).toBe(3);
  });
  it('exactly 20 and 600 mg/dL are kept', () => {
    expect(set.readings.map((r) => r.mgdl)).toEqual([20, 600]);
  });
  it('unit counts include only the readings kept', () => {
    expect(set.unitCounts).toEqual({ mgdl: 2, mmol: 0 });
  });
});

describe('unusable, not final, duplicate and other-subject readings', () => {
  it('a unit that contradicts the code (99504-3 in mmol/L, 105272-9 in mg/dL) is unusable', () => {
    const set = extract([obs({ value: 6.5, unit: 'mmol/L' }), obs({ code: '105272-9', value: 120, unit: 'mg/dL', at: Date.UTC(2026, 4, 20, 9) })]);
    expect(set.readings).toEqual([]);
    expect(set.dropped.unusable).toBe(2);
  });
  it('a unit that is neither (g/L) is unusable', () => {
    expect(extract([obs({ value: 1.2, unit: 'g/L' })]).dropped.unusable).toBe(1);
  });
  it("a missing unit takes the code's unit: 99504-3 120 -> 120 mg/dL; 105272-9 6.7 -> 6.7 x 18.016 = 120.7 -> 121", () => {
    const set = extract([obs({ value: 120, unit: null }), obs({ code: '105272-9', value: 6.7, unit: null, at: Date.UTC(2026, 4, 20, 9) })]);
    expect(set.readings.map((r) => r.mgdl)).toEqual([120, 121]);
    expect(set.unitCounts).toEqual({ mgdl: 1, mmol: 1 });
  });
  it('an interstitial-fluid code without a unit of its own (SNOMED 434910001) needs a stated unit', () => {
    const stated = extract([obs({ system: SCT, code: '434910001', value: 7.0, unit: 'mmol/L' })]);
    expect(stated.readings.map((r) => r.mgdl)).toEqual([126]); // 7.0 x 18.016 = 126.1
    expect(extract([obs({ system: SCT, code: '434910001', value: 120, unit: null })]).dropped.unusable).toBe(1);
  });
  it('an effectiveDateTime without a time, or with a time but no offset, is unusable', () => {
    const set = extract([obs({ at: '2026-05-20' }), obs({ at: '2026-05-20T08:00:00' })]);
    expect(set.readings).toEqual([]);
    expect(set.dropped.unusable).toBe(2);
  });
  it('no value is unusable', () => {
    const o = obs();
    const { valueQuantity: _v, ...noValue } = o;
    expect(extract([noValue as Observation]).dropped.unusable).toBe(1);
  });
  it('entered-in-error and cancelled are not final', () => {
    const set = extract([obs({ status: 'entered-in-error' }), obs({ status: 'cancelled', at: Date.UTC(2026, 4, 20, 9) })]);
    expect(set.readings).toEqual([]);
    expect(set.dropped.notFinal).toBe(2);
  });
  it('amended, corrected and preliminary are used', () => {
    const set = extract(['amended', 'corrected', 'preliminary'].map((status, k) => obs({ status: status as Observation['status'], at: Date.UTC(2026, 4, 20, 8, 5 * k) })));
    expect(set.readings).toHaveLength(3);
  });
  it('a second reading at the same instant is a duplicate: the first one recorded stays', () => {
    const at = Date.UTC(2026, 4, 20, 8);
    const set = extract([obs({ at, value: 100 }), obs({ at: '2026-05-20T03:00:00-05:00', value: 140 })]); // same instant
    expect(set.readings.map((r) => r.mgdl)).toEqual([100]);
    expect(set.dropped.duplicate).toBe(1);
  });
  it("another patient's reading, or one without a subject, is never used and is counted", () => {
    const set = extract([obs({ subject: 'Patient/p2' }), obs({ subject: null, at: Date.UTC(2026, 4, 20, 9) })]);
    expect(set.readings).toEqual([]);
    expect(set.dropped.otherSubject).toBe(2);
  });
  it('an absolute subject reference to this patient is this patient', () => {
    expect(extract([obs({ subject: `https://fhir.example.org/r4/Patient/${PATIENT}` })]).readings).toHaveLength(1);
  });
  it('readings outside the window are left out without being counted as dropped', () => {
    const set = extract([obs({ at: WINDOW.start - 1 }), obs({ at: WINDOW.end }), obs({ at: WINDOW.start })]);
    expect(set.readings.map((r) => r.t)).toEqual([WINDOW.start]);
    expect(set.dropped).toEqual({ implausible: 0, unusable: 0, duplicate: 0, notFinal: 0, otherSubject: 0 });
  });
  it('readings come out sorted by time whatever the input order', () => {
    const set = extract([obs({ at: Date.UTC(2026, 4, 21), value: 120 }), obs({ at: Date.UTC(2026, 4, 19), value: 80 })]);
    expect(set.readings.map((r) => r.mgdl)).toEqual([80, 120]);
  });
  it('never modifies its input (deep-frozen input, equal to a clone taken before)', () => {
    const input = [obs({ value: 100 }), obs({ value: 6.1, code: '105272-9', unit: 'mmol/L', at: Date.UTC(2026, 4, 20, 9) }), obs({ value: 19 }), obs({ status: 'entered-in-error' })];
    const devices: Device[] = [{ resourceType: 'Device', id: 'd1', type: { coding: [{ system: SCT, code: '700585005' }] } }];
    const before = structuredClone({ input, devices });
    deepFreeze(input);
    deepFreeze(devices);
    expect(() => extract(input, devices)).not.toThrow();
    expect({ input, devices }).toEqual(before);
  });
});

describe('generic glucose 2339-0 counts only when tagged as CGM', () => {
  const CGM_DEVICE: Device = { resourceType: 'Device', id: 'cgm-1', type: { coding: [{ system: SCT, code: '700585005' }] } };
  const TEXT_DEVICE: Device = { resourceType: 'Device', id: 'cgm-2', type: { text: 'Continuous glucose monitor' } };
  const METER: Device = { resourceType: 'Device', id: 'meter-1', type: { coding: [{ system: SCT, code: '337414009', display: 'Blood glucose meter' }], text: 'Blood glucose meter' } };
  const refs = cgmDeviceRefs([CGM_DEVICE, TEXT_DEVICE, METER]);
  const generic = (s: ObsSpec = {}): Observation => obs({ code: '2339-0', ...s });

  it('cgmDeviceRefs: a Device typed SNOMED 700585005 or named a continuous glucose monitor, by Device/id and by id; not a meter', () => {
    expect([...refs].sort()).toEqual(['Device/cgm-1', 'Device/cgm-2', 'cgm-1', 'cgm-2']);
  });
  it('tagged by a Device whose type is SNOMED 700585005 (device reference)', () => {
    expect(cgmKind(generic({ device: { reference: 'Device/cgm-1' } }), refs)).toEqual({ unit: 'mg/dL', generic: true });
  });
  it('tagged by an absolute device reference to that Device', () => {
    expect(cgmKind(generic({ device: { reference: 'https://fhir.example.org/r4/Device/cgm-1' } }), refs)).toEqual({ unit: 'mg/dL', generic: true });
  });
  it('tagged by a Device whose type text says continuous glucose monitor', () => {
    expect(cgmKind(generic({ device: { reference: 'Device/cgm-2' } }), refs)).toEqual({ unit: 'mg/dL', generic: true });
  });
  it('tagged by a category coding SNOMED 439926003', () => {
    expect(cgmKind(generic({ category: [{ coding: [{ system: SCT, code: '439926003' }] }] }), refs)).toEqual({ unit: 'mg/dL', generic: true });
  });
  it("tagged by category text 'Continuous glucose monitor'", () => {
    expect(cgmKind(generic({ category: [{ text: 'Continuous glucose monitor' }] }), refs)).toEqual({ unit: 'mg/dL', generic: true });
  });
  it("tagged by a device reference display 'Continuous glucose monitor'", () => {
    expect(cgmKind(generic({ device: { display: 'Continuous glucose monitor' } }), new Set())).toEqual({ unit: 'mg/dL', generic: true });
  });
  it('not from a blood glucose meter (SNOMED 337414009)', () => {
    expect(cgmKind(generic({ device: { reference: 'Device/meter-1' } }), refs)).toBeUndefined();
  });
  it('not without a device or tag (a laboratory result)', () => {
    expect(cgmKind(generic({ category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }] }), refs)).toBeUndefined();
  });
  it('not from a Device that is not in the record', () => {
    expect(cgmKind(generic({ device: { reference: 'Device/unknown' } }), refs)).toBeUndefined();
  });
  it('the molar generic code 15074-8, tagged, is mmol/L', () => {
    expect(cgmKind(generic({ code: '15074-8', device: { reference: 'Device/cgm-1' } }), refs)).toEqual({ unit: 'mmol/L', generic: true });
  });
  it('sensor codes need no tag: 99504-3 mg/dL, 105272-9 mmol/L, not generic', () => {
    expect(cgmKind(obs(), new Set())).toEqual({ unit: 'mg/dL', generic: false });
    expect(cgmKind(obs({ code: '105272-9' }), new Set())).toEqual({ unit: 'mmol/L', generic: false });
  });
  it('extractReadings counts tagged generic readings and leaves untagged ones out', () => {
    const set = extractReadings(
      [generic({ device: { reference: 'Device/cgm-1' }, at: Date.UTC(2026, 4, 20, 8) }), generic({ device: { reference: 'Device/meter-1' }, at: Date.UTC(2026, 4, 20, 9) }), generic({ at: Date.UTC(2026, 4, 20, 10) })],
      [CGM_DEVICE, METER],
      WINDOW,
      PATIENT,
    );
    expect(set.readings).toHaveLength(1);
    expect(set.taggedGeneric).toBe(1);
  });
});

describe('fixture 26-cgm-glucose-tagged (README row 26)', () => {
  const bundle = JSON.parse(readFileSync(resolve(process.cwd(), 'fhir-fixtures/26-cgm-glucose-tagged.json'), 'utf8')) as Bundle;
  const resources = (bundle.entry ?? []).map((e) => e.resource!);
  const observations = resources.filter((r): r is Observation => r.resourceType === 'Observation');
  const devices = resources.filter((r): r is Device => r.resourceType === 'Device');
  const set = extractReadings(observations, devices, WINDOW, 'cgm-glucose-tagged');

  it('gives exactly 4,032 readings in the last 14 days: the fingerstick results (meter Device) are left out', () => {
    expect(set.readings).toHaveLength(4032);
    expect(set.taggedGeneric).toBe(4032);
    // The two meter results in the window (2026-05-23T13:52Z, 2026-05-29T06:41Z) are off the 5-minute grid.
    expect(set.readings.every((r) => r.t % (5 * MIN) === 0)).toBe(true);
  });
  it('over 28 days, 8,064 (the laboratory result without a device is left out too)', () => {
    expect(extractReadings(observations, devices, { start: ANCHOR - 28 * DAY, end: ANCHOR }, 'cgm-glucose-tagged').readings).toHaveLength(8064);
  });
  it('its README figures: TIR 76.4 %, < 70 3.0 %, > 180 20.6 %, > 250 4.3 %, CV 40.2 % (to 0.05)', () => {
    const m = summarisePeriod(set.readings, WINDOW, 5).metrics!;
    expect(m.tirPercent).toBeCloseTo(76.4, 1);
    expect(m.tbr70Percent).toBeCloseTo(3.0, 1);
    expect(m.tar180Percent).toBeCloseTo(20.6, 1);
    expect(m.tar250Percent).toBeCloseTo(4.3, 1);
    expect(m.cvPercent).toBeCloseTo(40.2, 1);
  });
});

describe('readingTime', () => {
  it("'2026-06-01T02:30:00-05:00': minute 150 on its own clock, 07:30 UTC", () => {
    expect(readingTime('2026-06-01T02:30:00-05:00')).toEqual({ t: Date.UTC(2026, 5, 1, 7, 30), minuteOfDay: 150 });
  });
  it("'2026-06-01T02:30:00Z': minute 150", () => {
    expect(readingTime('2026-06-01T02:30:00Z')).toEqual({ t: Date.UTC(2026, 5, 1, 2, 30), minuteOfDay: 150 });
  });
  it("'2026-06-01T23:30:00+02:00': minute 1410, 21:30 UTC", () => {
    expect(readingTime('2026-06-01T23:30:00+02:00')).toEqual({ t: Date.UTC(2026, 5, 1, 21, 30), minuteOfDay: 1410 });
  });
  it('a date without a time, or a time without an offset, has no reading time', () => {
    expect(readingTime('2026-06-01')).toBeUndefined();
    expect(readingTime('2026-06-01T02:30:00')).toBeUndefined();
    expect(readingTime(undefined)).toBeUndefined();
  });
});
