/**
 * The glucose-monitoring assessment (assess.ts): which targets apply, what is off target and in
 * which order, when hypoglycemia is critical, the change since the previous 14 days, and the
 * statuses (scored, insufficient, no-recent-data, none). Fixtures 21-27 are checked at the anchor
 * against the figures in fhir-fixtures/README.md (computed there independently).
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Bundle, Coding, Condition, Device, Observation, Patient, Quantity } from 'fhir/r4.js';
import { assessGlucose, chooseTargets, compare, findOffTarget, type CgmAssessment, type CgmRecord } from '../../../src/services/glucose-monitoring/assess.js';
import { CGM_CODES } from '../../../src/services/glucose-monitoring/codes.js';
import { highRiskCategory } from '../../../src/services/glucose-monitoring/index.js';
import type { GlycemicMetrics } from '../../../src/services/glucose-monitoring/metrics.js';

const MIN = 60_000;
const DAY = 86_400_000;
const NOW = new Date('2026-06-01T00:00:00Z'); // the fixtures' anchor
const END = NOW.getTime();
const CUR_START = END - 14 * DAY;
const PREV_START = END - 28 * DAY;
const LOINC = 'http://loinc.org';
const SCT = 'http://snomed.info/sct';
const ICD10CM = 'http://hl7.org/fhir/sid/icd-10-cm';
const OPTS = { highRisk: highRiskCategory(CGM_CODES.highRiskConditions.codes) };
const PID = 'p1';

const patient = (birthDate?: string): Patient => ({ resourceType: 'Patient', id: PID, ...(birthDate ? { birthDate } : {}) });

function record(r: Partial<CgmRecord> = {}): CgmRecord {
  return { patientId: PID, patient: patient('1980-01-01'), conditions: [], readings: [], summaries: [], devices: [], conditionsKnown: true, ...r };
}

/** 99504-3 readings every 5 minutes in [from, to), value by minute of the (UTC) day; `keep` drops slots. */
function readings(from: number, to: number, value: (minuteOfDay: number) => number = () => 120, keep: (t: number) => boolean = () => true): Observation[] {
  const out: Observation[] = [];
  for (let t = from; t < to; t += 5 * MIN) {
    if (!keep(t)) continue;
    out.push({
      resourceType: 'Observation',
      status: 'final',
      code: { coding: [{ system: LOINC, code: '99504-3' }] },
      subject: { reference: `Patient/${PID}` },
      effectiveDateTime: new Date(t).toISOString(),
      valueQuantity: { value: value((t % DAY) / MIN), unit: 'mg/dL', code: 'mg/dL' },
    });
  }
  return out;
}

function condition(codings: Coding[], clinical = 'active', verification = 'confirmed'): Condition {
  return {
    resourceType: 'Condition',
    id: `c-${codings[0]!.code}-${clinical}-${verification}`,
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: clinical }] },
    verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: verification }] },
    code: { coding: codings },
    subject: { reference: `Patient/${PID}` },
  };
}
const ESRD_SCT: Coding = { system: SCT, code: '46177005', display: 'End-stage renal disease' };
const ESRD_ICD: Coding = { system: ICD10CM, code: 'N18.6', display: 'End stage renal disease' };

const pct = (value: number): Quantity => ({ value, unit: '%', code: '%' });
/** An HL7 CGM IG times-in-ranges panel (106793-3) for a date-only period. */
function tirPanel(id: string, start: string, end: string, v: [veryLow: number, low: number, target: number, high: number, veryHigh: number], extra: Observation['component'] = []): Observation {
  const codes = ['104642-4', '104641-6', '97510-2', '104640-8', '104639-0'];
  return {
    resourceType: 'Observation',
    id,
    status: 'final',
    code: { coding: [{ system: LOINC, code: '106793-3' }] },
    subject: { reference: `Patient/${PID}` },
    effectivePeriod: { start, end },
    component: [...codes.map((code, i) => ({ code: { coding: [{ system: LOINC, code }] }, valueQuantity: pct(v[i]!) })), ...extra],
  };
}

describe('chooseTargets', () => {
  const choose = (r: Partial<CgmRecord>) => chooseTargets(record(r), NOW, OPTS);
  it('65 on the day (born 1961-06-01): older/high-risk targets', () => {
    const c = choose({ patient: patient('1961-06-01') });
    expect(c.set).toBe('older-high-risk');
    expect(c.reason).toBe('age 65 (65 or over)');
  });
  it('64 (born 1961-06-02, birthday tomorrow): standard targets', () => {
    const c = choose({ patient: patient('1961-06-02') });
    expect(c.set).toBe('standard');
    expect(c.reason).toBe('age 64, no listed high-risk condition');
  });
  it('active end-stage renal disease (SNOMED 46177005) at 45: older/high-risk targets', () => {
    const c = choose({ conditions: [condition([ESRD_SCT])] });
    expect(c.set).toBe('older-high-risk');
    expect(c.reason).toContain('SNOMED 46177005');
  });
  it('ICD-10-CM N18.6 alone: older/high-risk targets', () => {
    const c = choose({ conditions: [condition([ESRD_ICD])] });
    expect(c.set).toBe('older-high-risk');
    expect(c.reason).toContain('ICD-10-CM N18.6');
  });
  it('resolved ESRD: standard', () => {
    expect(choose({ conditions: [condition([ESRD_SCT], 'resolved')] }).set).toBe('standard');
  });
  it('refuted ESRD: standard', () => {
    expect(choose({ conditions: [condition([ESRD_SCT], 'active', 'refuted')] }).set).toBe('standard');
  });
  it('entered-in-error ESRD: standard', () => {
    expect(choose({ conditions: [condition([ESRD_SCT, ESRD_ICD], 'active', 'entered-in-error')] }).set).toBe('standard');
  });
  it('unknown age (no birth date): standard, and the reason says the age is not known', () => {
    const c = choose({ patient: patient() });
    expect(c.set).toBe('standard');
    expect(c.reason).toContain('age not known');
  });
  it('no Patient at all: standard, age not known', () => {
    const { patient: _p, ...noPatient } = record();
    const c = chooseTargets(noPatient, NOW, OPTS);
    expect(c.set).toBe('standard');
    expect(c.reason).toContain('age not known');
  });
  it('conditions that could not be read are said so', () => {
    expect(choose({ conditionsKnown: false }).reason).toBe('age 46, conditions could not be read');
  });
});

describe('findOffTarget', () => {
  const allOff: Partial<GlycemicMetrics> = { tbr54Percent: 3, level2Events: 2, tbr70Percent: 6, tirPercent: 40, tar250Percent: 12, tar180Percent: 54, cvPercent: 45, meanMgdl: 200, gmiPercent: 8.1 };
  it('orders hypoglycemia first (tbr54, level-2 events, tbr70), then tir, tar250, tar180, then cv', () => {
    expect(findOffTarget(allOff, 'standard').map((f) => f.metric)).toEqual(['tbr54', 'level2Events', 'tbr70', 'tir', 'tar250', 'tar180', 'cv']);
  });
  it('groups: hypo x 3, hyper x 3, variability', () => {
    expect(findOffTarget(allOff, 'standard').map((f) => f.group)).toEqual(['hypo', 'hypo', 'hypo', 'hyper', 'hyper', 'hyper', 'variability']);
  });
  it('each finding carries its target (level-2 events have none)', () => {
    const f = findOffTarget(allOff, 'standard');
    expect(f[0]!.target).toEqual({ op: '<', value: 1 });
    expect(f[1]!.target).toBeUndefined();
  });
  it('on target: no findings (0 level-2 events are not a finding)', () => {
    expect(findOffTarget({ tbr54Percent: 0.5, level2Events: 0, tbr70Percent: 2, tirPercent: 80, tar250Percent: 2, tar180Percent: 18, cvPercent: 30 }, 'standard')).toEqual([]);
  });
  it('the older/high-risk set is looser above range: TIR 55, > 180 40, > 250 8 meet it', () => {
    const m = { tirPercent: 55, tar180Percent: 40, tar250Percent: 8 };
    expect(findOffTarget(m, 'older-high-risk')).toEqual([]);
    expect(findOffTarget(m, 'standard').map((f) => f.metric)).toEqual(['tir', 'tar250', 'tar180']);
  });
  it('compared as shown (one decimal): TIR 70.0 is not > 70; 70.06 (70.1) is', () => {
    expect(findOffTarget({ tirPercent: 70 }, 'standard').map((f) => f.metric)).toEqual(['tir']);
    expect(findOffTarget({ tirPercent: 70.06 }, 'standard')).toEqual([]);
  });
  it('compared as shown: CV 36.04 (36.0) meets <= 36; 36.06 (36.1) does not', () => {
    expect(findOffTarget({ cvPercent: 36.04 }, 'standard')).toEqual([]);
    expect(findOffTarget({ cvPercent: 36.06 }, 'standard').map((f) => f.metric)).toEqual(['cv']);
  });
  it('metrics not given are not findings', () => {
    expect(findOffTarget({ cvPercent: 50 }, 'standard').map((f) => f.metric)).toEqual(['cv']);
  });
});

describe('critical: time below 54 at least twice its target, as shown to one decimal', () => {
  // A reported summary with every other metric on target: very low x, low 0, target 100 - x.
  const assessWithTbr54 = (x: number, birthDate = '1980-01-01'): CgmAssessment =>
    assessGlucose(record({ patient: patient(birthDate), summaries: [tirPanel('s', '2026-05-18', '2026-05-31', [x, 0, 100 - x, 0, 0])] }), NOW, OPTS)!;
  it('1.95 % (shown 2.0 %) against < 1 %: critical', () => {
    expect(assessWithTbr54(1.95).severity).toBe('critical');
  });
  it('1.94 % (shown 1.9 %): warning', () => {
    expect(assessWithTbr54(1.94).severity).toBe('warning');
  });
  it('the same threshold with the older/high-risk targets (also < 1 %): 1.95 critical', () => {
    const a = assessWithTbr54(1.95, '1950-01-01');
    expect(a.targets.set).toBe('older-high-risk');
    expect(a.severity).toBe('critical');
  });
  it('time below 70 alone, however high, is a warning', () => {
    const a = assessGlucose(record({ summaries: [tirPanel('s', '2026-05-18', '2026-05-31', [0, 20, 80, 0, 0])] }), NOW, OPTS)!;
    expect(a.findings.map((f) => f.metric)).toEqual(['tbr70']);
    expect(a.severity).toBe('warning');
  });
});

describe('compare (change since the previous 14 days, as shown to one decimal)', () => {
  const base = { tirPercent: 70, tbr70Percent: 2, tbr54Percent: 0.5 };
  it('TIR -5.0 points: worse', () => {
    expect(compare({ ...base, tirPercent: 65 }, base)).toEqual({ tirPoints: -5, tbr70Points: 0, tbr54Points: 0, direction: 'worse' });
  });
  it('TIR -4.9 points with nothing below range rising: similar', () => {
    expect(compare({ ...base, tirPercent: 65.1 }, base)?.direction).toBe('similar');
  });
  it('TIR -4.9 points with time below 70 up 0.1: worse', () => {
    expect(compare({ ...base, tirPercent: 65.1, tbr70Percent: 2.1 }, base)?.direction).toBe('worse');
  });
  it('TIR +5.0 points: better', () => {
    expect(compare({ ...base, tirPercent: 75 }, base)?.direction).toBe('better');
  });
  it('TIR +4.9 points: similar', () => {
    expect(compare({ ...base, tirPercent: 74.9 }, base)?.direction).toBe('similar');
  });
  it('TIR +6 with time below 54 up 0.1: worse', () => {
    expect(compare({ ...base, tirPercent: 76, tbr54Percent: 0.6 }, base)?.direction).toBe('worse');
  });
  it('TIR +6 with time below 70 up 0.1: worse', () => {
    expect(compare({ ...base, tirPercent: 76, tbr70Percent: 2.1 }, base)?.direction).toBe('worse');
  });
  it('a rise below range that does not show at one decimal (2.00 -> 2.04) is no rise', () => {
    expect(compare({ ...base, tbr70Percent: 2.04 }, base)).toEqual({ tirPoints: 0, tbr70Points: 0, tbr54Points: 0, direction: 'similar' });
  });
  it('points are differences of the shown values: 74.96 (75.0) - 69.94 (69.9) = +5.1', () => {
    expect(compare({ tirPercent: 74.96 }, { tirPercent: 69.94 })).toEqual({ tirPoints: 5.1, direction: 'better' });
  });
  it('nothing to compare: undefined', () => {
    expect(compare({ cvPercent: 30 }, { tirPercent: 70 })).toBeUndefined();
  });
});

describe('computed statuses', () => {
  const previousFull = readings(PREV_START, CUR_START);
  it('insufficient current period (9 of 14 days, 2,592 / 4,032 = 64.3 %): status insufficient, no metrics, no findings', () => {
    const a = assessGlucose(record({ readings: [...previousFull, ...readings(CUR_START, CUR_START + 9 * DAY)] }), NOW, OPTS)!;
    expect(a.status).toBe('insufficient');
    expect(a.current.capturedPercent).toBeCloseTo(64.2857, 4);
    expect(a.current.metrics).toBeUndefined();
    expect(a.findings).toEqual([]);
    expect(a.severity).toBe('none');
  });
  it('level-2 events seen in an insufficient period are kept (a warning): one per night at 45 mg/dL 02:00-02:25 for 9 nights', () => {
    const lows = readings(CUR_START, CUR_START + 9 * DAY, (mod) => (mod >= 120 && mod < 150 ? 45 : 120));
    const a = assessGlucose(record({ readings: [...previousFull, ...lows] }), NOW, OPTS)!;
    expect(a.status).toBe('insufficient');
    expect(a.current.level2EventsSeen).toBe(9);
    expect(a.current.metrics).toBeUndefined();
    expect(a.severity).toBe('warning');
  });
  it('a previous period that could not all be fetched: the current one is scored, not compared, and says why', () => {
    const why = 'not all readings of the previous 14 days could be fetched (paging stopped at FHIR_MAX_PAGES)';
    const a = assessGlucose(record({ readings: readings(PREV_START, END), previousFailed: why }), NOW, OPTS)!;
    expect(a.status).toBe('scored');
    expect(a.change).toBeUndefined();
    expect(a.previousUnavailable).toBe(why);
  });
  it('no readings in the current period but some in the previous: no-recent-data, latest reading named', () => {
    const a = assessGlucose(record({ readings: previousFull }), NOW, OPTS)!;
    expect(a.status).toBe('no-recent-data');
    expect(a.latestData).toBe('2026-05-17T23:55:00.000Z');
    expect(a.findings).toEqual([]);
    expect(a.severity).toBe('none');
  });
  it('a full 28 days at 120 mg/dL: scored, on target, compared (similar)', () => {
    const a = assessGlucose(record({ readings: readings(PREV_START, END) }), NOW, OPTS)!;
    expect(a.status).toBe('scored');
    expect(a.severity).toBe('on-target');
    expect(a.change).toEqual({ tirPoints: 0, tbr70Points: 0, tbr54Points: 0, direction: 'similar' });
  });
  it('an insufficient previous period is not compared, and says why', () => {
    const a = assessGlucose(record({ readings: [...readings(PREV_START, PREV_START + 5 * DAY), ...readings(CUR_START, END)] }), NOW, OPTS)!;
    expect(a.status).toBe('scored');
    expect(a.change).toBeUndefined();
    expect(a.previousUnavailable).toBe('the previous 14 days have too little data to compare');
  });
});

describe('no CGM data, and reported summaries', () => {
  it('no CGM data at all (a laboratory 2339-0 glucose only): undefined', () => {
    const lab: Observation = {
      resourceType: 'Observation',
      status: 'final',
      code: { coding: [{ system: LOINC, code: '2339-0' }] },
      subject: { reference: `Patient/${PID}` },
      effectiveDateTime: '2026-05-20T08:00:00Z',
      valueQuantity: { value: 98, unit: 'mg/dL', code: 'mg/dL' },
    };
    expect(assessGlucose(record({ readings: [lab], summaries: [lab] }), NOW, OPTS)).toBeUndefined();
  });
  it('an empty record: undefined', () => {
    expect(assessGlucose(record(), NOW, OPTS)).toBeUndefined();
  });
  it('summaries are not used when there are readings', () => {
    const summary = tirPanel('s', '2026-05-18', '2026-05-31', [10, 10, 40, 20, 20]);
    const a = assessGlucose(record({ readings: readings(PREV_START, END), summaries: [summary] }), NOW, OPTS)!;
    expect(a.source).toBe('computed');
    expect(a.current.metrics?.tirPercent).toBe(100);
  });
  it('summaries are used, as reported, without readings', () => {
    const summary = tirPanel('s', '2026-05-18', '2026-05-31', [10, 10, 40, 20, 20]);
    const a = assessGlucose(record({ summaries: [summary] }), NOW, OPTS)!;
    expect(a.source).toBe('reported');
    expect(a.current.metrics?.tirPercent).toBe(40);
    expect(a.current.reportedBy).toEqual(['Observation/s']);
  });
  it('a summary ending well before the last 14 days (2026-05-01..05-14): no-recent-data', () => {
    const a = assessGlucose(record({ summaries: [tirPanel('s', '2026-05-01', '2026-05-14', [0, 1, 80, 15, 4])] }), NOW, OPTS)!;
    expect(a.status).toBe('no-recent-data');
    expect(a.latestData).toBe('2026-05-15T00:00:00.000Z');
    expect(a.findings).toEqual([]);
  });
  it('a summary ending exactly where the last 14 days begin (2026-05-04..05-17, end exclusive 05-18): no-recent-data', () => {
    const a = assessGlucose(record({ summaries: [tirPanel('s', '2026-05-04', '2026-05-17', [0, 1, 80, 15, 4])] }), NOW, OPTS)!;
    expect(a.status).toBe('no-recent-data');
  });
  it('a reported summary with sensor active under 70 % is insufficient', () => {
    const sensor = { code: { coding: [{ system: LOINC, code: '104637-4' }] }, valueQuantity: pct(62) };
    const a = assessGlucose(record({ summaries: [tirPanel('s', '2026-05-18', '2026-05-31', [0, 1, 80, 15, 4], [sensor])] }), NOW, OPTS)!;
    expect(a.status).toBe('insufficient');
    expect(a.findings).toEqual([]);
  });
});

describe('fixtures 21-27 at the anchor (README rows 21-27)', () => {
  const load = (name: string): CgmAssessment | undefined => {
    const bundle = JSON.parse(readFileSync(resolve(process.cwd(), `fhir-fixtures/${name}.json`), 'utf8')) as Bundle;
    const rs = (bundle.entry ?? []).map((e) => e.resource!);
    const p = rs.find((r): r is Patient => r.resourceType === 'Patient')!;
    const obs = rs.filter((r): r is Observation => r.resourceType === 'Observation');
    return assessGlucose(
      {
        patientId: p.id!,
        patient: p,
        conditions: rs.filter((r): r is Condition => r.resourceType === 'Condition'),
        readings: obs,
        summaries: obs,
        devices: rs.filter((r): r is Device => r.resourceType === 'Device'),
        conditionsKnown: true,
      },
      NOW,
      OPTS,
    );
  };
  const metric = (a: CgmAssessment | undefined, k: keyof GlycemicMetrics): number => a!.current.metrics![k]!;

  describe('21 cgm-hypo', () => {
    const a = load('21-cgm-hypo');
    it('critical: < 54 5.6 %, < 70 6.7 %', () => {
      expect(a!.severity).toBe('critical');
      expect(metric(a, 'tbr54Percent')).toBeCloseTo(5.6, 1);
      expect(metric(a, 'tbr70Percent')).toBeCloseTo(6.7, 1);
    });
    it('TIR 74.9, > 180 18.5, > 250 1.2, CV 30.9, GMI 6.76', () => {
      expect(metric(a, 'tirPercent')).toBeCloseTo(74.9, 1);
      expect(metric(a, 'tar180Percent')).toBeCloseTo(18.5, 1);
      expect(metric(a, 'tar250Percent')).toBeCloseTo(1.2, 1);
      expect(metric(a, 'cvPercent')).toBeCloseTo(30.9, 1);
      expect(metric(a, 'gmiPercent')).toBeCloseTo(6.76, 2);
    });
    it('findings are the hypoglycemia ones only, < 54 first', () => {
      expect(a!.findings.map((f) => f.metric)).toEqual(['tbr54', 'level2Events', 'tbr70']);
    });
    it('previous 14 days < 54 0.7 %, < 70 0.8 %; worse', () => {
      expect(a!.previous!.metrics!.tbr54Percent).toBeCloseTo(0.7, 1);
      expect(a!.previous!.metrics!.tbr70Percent).toBeCloseTo(0.8, 1);
      expect(a!.change!.direction).toBe('worse');
    });
  });

  describe('22 cgm-stable', () => {
    const a = load('22-cgm-stable');
    it('on target with the standard targets', () => {
      expect(a!.targets.set).toBe('standard');
      expect(a!.severity).toBe('on-target');
      expect(a!.findings).toEqual([]);
    });
    it('TIR 94.0, < 70 0.1, < 54 0, > 180 5.9, > 250 0, CV 19.4, GMI 6.47', () => {
      expect(metric(a, 'tirPercent')).toBeCloseTo(94.0, 1);
      expect(metric(a, 'tbr70Percent')).toBeCloseTo(0.1, 1);
      expect(metric(a, 'tbr54Percent')).toBe(0);
      expect(metric(a, 'tar180Percent')).toBeCloseTo(5.9, 1);
      expect(metric(a, 'tar250Percent')).toBe(0);
      expect(metric(a, 'cvPercent')).toBeCloseTo(19.4, 1);
      expect(metric(a, 'gmiPercent')).toBeCloseTo(6.47, 2);
    });
  });

  describe('23 cgm-mmol (age 72)', () => {
    const a = load('23-cgm-mmol');
    it('on target with the older/high-risk targets, by age', () => {
      expect(a!.targets.set).toBe('older-high-risk');
      expect(a!.targets.reason).toBe('age 72 (65 or over)');
      expect(a!.severity).toBe('on-target');
    });
    it('TIR 64.3, < 70 0, > 180 35.7, > 250 1.8, CV 17.8, GMI 7.48', () => {
      expect(metric(a, 'tirPercent')).toBeCloseTo(64.3, 1);
      expect(metric(a, 'tbr70Percent')).toBe(0);
      expect(metric(a, 'tar180Percent')).toBeCloseTo(35.7, 1);
      expect(metric(a, 'tar250Percent')).toBeCloseTo(1.8, 1);
      expect(metric(a, 'cvPercent')).toBeCloseTo(17.8, 1);
      expect(metric(a, 'gmiPercent')).toBeCloseTo(7.48, 2);
    });
    it('shown in mmol/L', () => {
      expect(a!.displayUnit).toBe('mmol/L');
    });
    it('the standard targets would not be met (TIR, > 180)', () => {
      expect(findOffTarget(a!.current.metrics!, 'standard').map((f) => f.metric)).toEqual(['tir', 'tar180']);
    });
  });

  describe('24 cgm-sparse', () => {
    const a = load('24-cgm-sparse');
    it('insufficient: 2,499 of 4,032 readings (62.0 %), no metrics', () => {
      expect(a!.status).toBe('insufficient');
      expect(a!.current.readings).toBe(2499);
      expect(a!.current.capturedPercent).toBeCloseTo(62.0, 1);
      expect(a!.current.metrics).toBeUndefined();
    });
    it('the previous 14 days were 88.4 % captured', () => {
      expect(a!.previous!.capturedPercent).toBeCloseTo(88.4, 1);
    });
  });

  describe('25 cgm-summary-only', () => {
    const a = load('25-cgm-summary-only');
    it('reported, scored, warning', () => {
      expect(a!.source).toBe('reported');
      expect(a!.status).toBe('scored');
      expect(a!.severity).toBe('warning');
    });
    it('every standard target off: < 54, < 70, TIR, > 250, > 180, CV', () => {
      expect(a!.findings.map((f) => f.metric)).toEqual(['tbr54', 'tbr70', 'tir', 'tar250', 'tar180', 'cv']);
    });
    it('worse than the earlier summary: TIR 66 -> 58 (-8 points), < 70 2.5 -> 5.0', () => {
      expect(a!.change).toEqual({ tirPoints: -8, tbr70Points: 2.5, tbr54Points: 1, direction: 'worse' });
    });
  });

  describe('26 cgm-glucose-tagged', () => {
    const a = load('26-cgm-glucose-tagged');
    it('warning with only CV off target (40.2 %)', () => {
      expect(a!.severity).toBe('warning');
      expect(a!.findings.map((f) => f.metric)).toEqual(['cv']);
      expect(metric(a, 'cvPercent')).toBeCloseTo(40.2, 1);
    });
    it('4,032 readings in the last 14 days: the meter and laboratory results are not counted', () => {
      expect(a!.current.readings).toBe(4032);
    });
    it('TIR 76.4, < 70 3.0, > 180 20.6, > 250 4.3, GMI 6.52', () => {
      expect(metric(a, 'tirPercent')).toBeCloseTo(76.4, 1);
      expect(metric(a, 'tbr70Percent')).toBeCloseTo(3.0, 1);
      expect(metric(a, 'tar180Percent')).toBeCloseTo(20.6, 1);
      expect(metric(a, 'tar250Percent')).toBeCloseTo(4.3, 1);
      expect(metric(a, 'gmiPercent')).toBeCloseTo(6.52, 2);
    });
  });

  describe('27 cgm-high-risk (55, ESRD)', () => {
    const a = load('27-cgm-high-risk');
    it('older/high-risk targets by the ESRD condition, and on target', () => {
      expect(a!.targets.set).toBe('older-high-risk');
      expect(a!.targets.reason).toContain('End-stage renal disease');
      expect(a!.severity).toBe('on-target');
    });
    it('TIR 57.4, > 180 42.6, > 250 3.7, CV 18.4, GMI 7.65', () => {
      expect(metric(a, 'tirPercent')).toBeCloseTo(57.4, 1);
      expect(metric(a, 'tar180Percent')).toBeCloseTo(42.6, 1);
      expect(metric(a, 'tar250Percent')).toBeCloseTo(3.7, 1);
      expect(metric(a, 'cvPercent')).toBeCloseTo(18.4, 1);
      expect(metric(a, 'gmiPercent')).toBeCloseTo(7.65, 2);
    });
    it('the standard targets would not be met (TIR, > 180)', () => {
      expect(findOffTarget(a!.current.metrics!, 'standard').map((f) => f.metric)).toEqual(['tir', 'tar180']);
    });
  });
});
