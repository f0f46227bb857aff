/**
 * The glucose-monitoring card (cards.ts): summary length in the worst cases, indicator per status,
 * what the insufficient and reported cards say, the boundary rule, the AGP link, the extension,
 * the stable uuid and override reasons.
 */
import { describe, expect, it } from '@jest/globals';
import { resolve } from 'node:path';
import { loadCardTemplates } from '../../../src/cards/templates.js';
import { stableUuid } from '../../../src/cards/uuid.js';
import type { CgmAssessment, Finding, PeriodView, TargetChoice } from '../../../src/services/glucose-monitoring/assess.js';
import { buildCard, EXTENSION_KEY, type CardContext, type CgmCardTemplates } from '../../../src/services/glucose-monitoring/cards.js';
import { CONSENSUS, type MetricKey } from '../../../src/services/glucose-monitoring/knowledge.js';
import type { GlycemicMetrics } from '../../../src/services/glucose-monitoring/metrics.js';

const T = loadCardTemplates<CgmCardTemplates>(resolve(process.cwd(), 'cards'), 'glucose-monitoring');
const CTX: CardContext = { hookInstance: 'hook-1' };
const SHOW = { showOnTarget: true };
const STANDARD: TargetChoice = { set: 'standard', label: CONSENSUS.targets.standard.label, reason: 'age 40, no listed high-risk condition' };
const CUR = { start: '2026-05-18T00:00:00.000Z', end: '2026-06-01T00:00:00.000Z' };
const PREV = { start: '2026-05-04T00:00:00.000Z', end: '2026-05-18T00:00:00.000Z' };

const METRICS: GlycemicMetrics = {
  meanMgdl: 144.0278,
  sdMgdl: 44.531,
  gmiPercent: 6.755144,
  cvPercent: 30.918325,
  tirPercent: 74.875992,
  tbr70Percent: 6.671627,
  tbr54Percent: 5.580357,
  tar180Percent: 18.452381,
  tar250Percent: 1.190476,
  level2Events: 14,
};

function computedPeriod(p: { start: string; end: string }, metrics: Partial<GlycemicMetrics> | undefined, over: Partial<PeriodView> = {}): PeriodView {
  return {
    ...p,
    source: 'computed',
    sufficient: metrics !== undefined,
    capturedPercent: 100,
    daysWithData: 14,
    readings: 4032,
    expectedReadings: 4032,
    intervalMinutes: 5,
    ...(metrics ? { metrics } : {}),
    level2EventsSeen: metrics?.level2Events ?? 0,
    ...over,
  };
}

/** A scored computed assessment (fixture-21-like: critical, hypoglycemia, worse). */
function scored(over: Partial<CgmAssessment> = {}): CgmAssessment {
  return {
    status: 'scored',
    source: 'computed',
    targets: STANDARD,
    current: computedPeriod(CUR, METRICS),
    previous: computedPeriod(PREV, { ...METRICS, tbr54Percent: 0.69, tbr70Percent: 0.84, tirPercent: 77.9, level2Events: 2 }),
    findings: [
      { metric: 'tbr54', group: 'hypo', value: METRICS.tbr54Percent, target: CONSENSUS.targets.standard.tbr54 },
      { metric: 'level2Events', group: 'hypo', value: 14 },
      { metric: 'tbr70', group: 'hypo', value: METRICS.tbr70Percent, target: CONSENSUS.targets.standard.tbr70 },
    ],
    severity: 'critical',
    change: { tirPoints: -3, tbr70Points: 5.8, tbr54Points: 4.9, direction: 'worse' },
    displayUnit: 'mg/dL',
    dropped: { implausible: 0, unusable: 0, duplicate: 0, notFinal: 0, otherSubject: 0 },
    notes: [],
    ...over,
  };
}

const onTarget = (over: Partial<CgmAssessment> = {}): CgmAssessment =>
  scored({ current: computedPeriod(CUR, { ...METRICS, tbr54Percent: 0, tbr70Percent: 0.1, tirPercent: 94, level2Events: 0 }), findings: [], severity: 'on-target', change: { tirPoints: 0.1, tbr70Points: 0.1, tbr54Points: 0, direction: 'worse' }, ...over });

function insufficient(events = 0, over: Partial<CgmAssessment> = {}): CgmAssessment {
  return scored({
    status: 'insufficient',
    current: computedPeriod(CUR, undefined, { capturedPercent: 61.979167, readings: 2499, daysWithData: 11, level2EventsSeen: events }),
    previous: computedPeriod(PREV, { ...METRICS, tirPercent: 84.656381, tbr70Percent: 0, tbr54Percent: 0, level2Events: 0 }, { capturedPercent: 88.417659, readings: 3565 }),
    findings: [],
    severity: events > 0 ? 'warning' : 'none',
    ...over,
  });
}

const noRecentData = (): CgmAssessment =>
  scored({ status: 'no-recent-data', current: computedPeriod(CUR, undefined, { readings: 0, capturedPercent: 0, daysWithData: 0 }), previous: undefined, findings: [], severity: 'none', latestData: '2026-05-17T23:55:00.000Z' });

/** A reported (device-platform summary) assessment, fixture-25-like. */
function reported(over: Partial<CgmAssessment> = {}): CgmAssessment {
  const m = { meanMgdl: 172, gmiPercent: 7.42, cvPercent: 38.5, tirPercent: 58, tbr54Percent: 1.5, tbr70Percent: 5, tar180Percent: 37, tar250Percent: 10 };
  const view = (p: { start: string; end: string }, metrics: Partial<GlycemicMetrics>, ids: string[]): PeriodView => ({ ...p, source: 'reported', sufficient: true, capturedPercent: 91, daysWithData: 14, metrics, reportedBy: ids });
  return {
    status: 'scored',
    source: 'reported',
    targets: STANDARD,
    current: view(CUR, m, ['Observation/s-8', 'Observation/s-9']),
    previous: view(PREV, { ...m, tirPercent: 66 }, ['Observation/s-1']),
    findings: [
      { metric: 'tbr54', group: 'hypo', value: 1.5, target: CONSENSUS.targets.standard.tbr54 },
      { metric: 'tbr70', group: 'hypo', value: 5, target: CONSENSUS.targets.standard.tbr70 },
      { metric: 'tir', group: 'hyper', value: 58, target: CONSENSUS.targets.standard.tir },
    ],
    severity: 'warning',
    change: { tirPoints: -8, tbr70Points: 2.5, tbr54Points: 1, direction: 'worse' },
    displayUnit: 'mg/dL',
    notes: [],
    ...over,
  };
}

const build = (a: CgmAssessment, ctx: CardContext = CTX, opts = SHOW) => buildCard(a, T, ctx, opts);
const card = (a: CgmAssessment, ctx: CardContext = CTX) => build(a, ctx)!.card;

describe('summary stays under 140 characters in the worst cases', () => {
  // Every off-target metric with the longest values: 100.0 % (9,999 level-2 events), in every
  // subset and order of findings, mmol/L and mg/dL, worse or not, reported or computed, critical or warning.
  const ORDER: readonly (MetricKey | 'level2Events')[] = ['tbr54', 'level2Events', 'tbr70', 'tir', 'tar250', 'tar180', 'cv'];
  const GROUP = { tbr54: 'hypo', level2Events: 'hypo', tbr70: 'hypo', tir: 'hyper', tar250: 'hyper', tar180: 'hyper', cv: 'variability' } as const;
  const finding = (m: MetricKey | 'level2Events'): Finding =>
    m === 'level2Events' ? { metric: m, group: 'hypo', value: 9999 } : { metric: m, group: GROUP[m], value: 100, target: CONSENSUS.targets.standard[m] };
  const lengths: number[] = [];
  const missing: string[] = [];
  for (let mask = 1; mask < 1 << ORDER.length; mask++) {
    const findings = ORDER.filter((_, i) => mask & (1 << i)).map(finding);
    for (const displayUnit of ['mg/dL', 'mmol/L'] as const)
      for (const source of ['computed', 'reported'] as const)
        for (const direction of ['worse', 'similar'] as const)
          for (const severity of ['critical', 'warning'] as const) {
            const a = source === 'reported' ? reported({ findings, severity, displayUnit, change: { tirPoints: -100, direction } }) : scored({ findings, severity, displayUnit, change: { tirPoints: -100, direction } });
            const s = card(a).summary;
            lengths.push(s.length);
            if (source === 'reported' && !s.endsWith(' (as reported)')) missing.push(s);
          }
  }
  it('all 2,032 combinations: at most 139 characters', () => {
    expect(lengths).toHaveLength(127 * 16);
    expect(Math.max(...lengths)).toBeLessThan(140);
  });
  it('the reported suffix is never squeezed out', () => {
    expect(missing).toEqual([]);
  });
  it('insufficient with 9,999 level-2 events at 100.0 % captured', () => {
    const a = insufficient(9999, { current: computedPeriod(CUR, undefined, { capturedPercent: 100, level2EventsSeen: 9999 }) });
    expect(card(a).summary.length).toBeLessThan(140);
    expect(card({ ...a, displayUnit: 'mmol/L' }).summary.length).toBeLessThan(140);
  });
  it('insufficient reported, no recent data, on target (reported, mmol/L)', () => {
    const ins = reported({ status: 'insufficient', findings: [], severity: 'none', current: { ...reported().current, sufficient: false, capturedPercent: 100 } });
    const on = onTarget({ source: 'reported', displayUnit: 'mmol/L', current: { ...onTarget().current, metrics: { tirPercent: 100, tbr70Percent: 100 } } });
    for (const a of [ins, noRecentData(), on]) expect(card(a).summary.length).toBeLessThan(140);
  });
});

describe('summary wording', () => {
  it('critical: the lead, then < 54 first', () => {
    expect(card(scored()).summary.startsWith('Clinically significant hypoglycemia: 5.6% of time < 54 mg/dL (target < 1%)')).toBe(true);
  });
  it('off target with room: the worse suffix is added', () => {
    const a = scored({ findings: [{ metric: 'cv', group: 'variability', value: 40.23, target: CONSENSUS.targets.standard.cv }], severity: 'warning' });
    expect(card(a).summary).toBe('High glucose variability: CV 40.2% (target ≤ 36%); worse than the prior 14 days');
  });
  it('findings in priority order: one that does not fit ends the list (a later, shorter one is not pulled forward)', () => {
    const findings: CgmAssessment['findings'] = [
      { metric: 'tbr54', group: 'hypo', value: 1.5, target: CONSENSUS.targets.standard.tbr54 },
      { metric: 'tbr70', group: 'hypo', value: 5, target: CONSENSUS.targets.standard.tbr70 },
      { metric: 'tir', group: 'hyper', value: 58, target: CONSENSUS.targets.standard.tir },
      { metric: 'cv', group: 'variability', value: 38.5, target: CONSENSUS.targets.standard.cv },
    ];
    // 27 + 36 + 2 + 36 = 101, + 2 + 35 (tir) + 30 (worse) = 168 > 139: tir does not fit, so cv (24) is not added either.
    expect(card(scored({ findings, severity: 'warning' })).summary).toBe(
      'Hypoglycemia above target: 1.5% of time < 54 mg/dL (target < 1%); 5.0% of time < 70 mg/dL (target < 4%); worse than the prior 14 days',
    );
  });
  it('mmol/L thresholds in mmol/L', () => {
    expect(card(scored({ displayUnit: 'mmol/L' })).summary).toContain('< 3.0 mmol/L');
  });
  it('on target: no "worse" in the summary even when the change is worse', () => {
    expect(card(onTarget()).summary).toBe('CGM on target: time in range 94.0%, time < 70 mg/dL 0.1% (last 14 days)');
  });
});

describe('indicator per status', () => {
  it('critical -> critical', () => {
    expect(card(scored()).indicator).toBe('critical');
  });
  it('warning -> warning', () => {
    expect(card(scored({ severity: 'warning' })).indicator).toBe('warning');
  });
  it('on target -> info', () => {
    expect(card(onTarget()).indicator).toBe('info');
  });
  it('insufficient -> info; with level-2 events seen -> warning', () => {
    expect(card(insufficient(0)).indicator).toBe('info');
    expect(card(insufficient(3)).indicator).toBe('warning');
  });
  it('no recent data -> info', () => {
    expect(card(noRecentData()).indicator).toBe('info');
  });
  it('the card kinds', () => {
    expect([scored(), scored({ severity: 'warning' }), onTarget(), insufficient(), noRecentData()].map((a) => build(a)!.kind)).toEqual([
      'cgm-critical',
      'cgm-off-target',
      'cgm-on-target',
      'cgm-insufficient',
      'cgm-no-recent-data',
    ]);
  });
});

describe('on-target card only when configured', () => {
  it('no card without showOnTarget', () => {
    expect(build(onTarget(), CTX, { showOnTarget: false })).toBeUndefined();
  });
  it('off-target cards regardless of showOnTarget', () => {
    expect(build(scored(), CTX, { showOnTarget: false })).toBeDefined();
  });
});

describe('insufficient card', () => {
  const c = card(insufficient(0));
  it('summary: no numbers but the captured % (and the 70 % / 14-day rule)', () => {
    expect(c.summary).toBe('CGM data insufficient to score: 62.0% of readings captured in 14 days (need ≥ 70%)');
    expect(c.summary.match(/\d+(\.\d+)?/g)).toEqual(['62.0', '14', '70']);
  });
  it('detail: no metric table', () => {
    expect(c.detail).not.toContain('| Metric |');
    expect(c.detail).not.toContain('Time in range');
  });
  it("detail: no percentages but the captured % and the 70 % rule (the previous period's are not shown)", () => {
    expect([...new Set(c.detail!.match(/\d+(\.\d+)?%/g))].sort()).toEqual(['62.0%', '70%']);
  });
  it('with level-2 events: the count is the one other number in the summary', () => {
    expect(card(insufficient(3)).summary).toBe('CGM data insufficient to score (62.0% captured), but 3 level-2 hypoglycemia events recorded');
  });
});

describe('reported cards', () => {
  it("say 'as reported' in the summary and the detail (off target)", () => {
    const c = card(reported());
    expect(c.summary).toMatch(/ \(as reported\)$/);
    expect(c.detail).toContain('as reported');
  });
  it("say 'as reported' in the summary and the detail (on target)", () => {
    const c = card(reported({ findings: [], severity: 'on-target' }));
    expect(c.summary).toMatch(/ \(as reported\)$/);
    expect(c.detail).toContain('as reported');
  });
  it('name the summary Observations', () => {
    expect(card(reported()).detail).toContain('Observation/s-8, Observation/s-9');
  });
  it('computed cards do not say it', () => {
    expect(card(scored()).summary).not.toContain('as reported');
    expect(card(scored()).detail).not.toContain('as reported');
  });
});

describe('boundary rule sentence in the detail', () => {
  const MGDL = 'a reading of exactly 54 mg/dL is below 70 mg/dL but not below 54 mg/dL';
  it.each([
    ['critical', scored()],
    ['on target', onTarget()],
    ['insufficient', insufficient()],
    ['no recent data', noRecentData()],
    ['reported', reported()],
  ])('%s', (_name, a) => {
    expect(card(a).detail).toContain('Ranges: 70 mg/dL and 180 mg/dL count as in range');
    expect(card(a).detail).toContain(MGDL);
  });
  it('in mmol/L for a mmol/L patient', () => {
    expect(card(scored({ displayUnit: 'mmol/L' })).detail).toContain('a reading of exactly 3.0 mmol/L is below 3.9 mmol/L but not below 3.0 mmol/L');
  });
});

describe('AGP link', () => {
  const agp = { url: 'https://cds.example.org/agp/tok123', expiresAt: '2026-06-01T00:15:00.000Z', minutes: 15 };
  it('present when given in the context, type absolute', () => {
    const c = card(scored(), { hookInstance: 'hook-1', agp });
    expect(c.links).toEqual([{ label: 'Ambulatory glucose profile, last 14 days (link expires in 15 min)', url: agp.url, type: 'absolute' }]);
  });
  it('and in the extension (url and expiry)', () => {
    const ext = card(scored(), { hookInstance: 'hook-1', agp }).extension![EXTENSION_KEY] as Record<string, unknown>;
    expect(ext['agp']).toEqual({ url: agp.url, expiresAt: agp.expiresAt });
  });
  it('absent otherwise (no links, no agp in the extension)', () => {
    const c = card(scored());
    expect(c.links).toBeUndefined();
    expect((c.extension![EXTENSION_KEY] as Record<string, unknown>)['agp']).toBeUndefined();
  });
});

describe('extension', () => {
  const ext = card(scored()).extension![EXTENSION_KEY] as {
    kind: string;
    status: string;
    source: string;
    unit: string;
    targets: { set: string; values: Record<string, { op: string; value: number }> };
    current: { metrics: Record<string, number>; readings: number; capturedPercent: number };
    previous: { metrics: Record<string, number> };
    offTarget: { metric: string; value: number; target?: { op: string; value: number } }[];
    change: { direction: string };
    ruleTable: { id: string; version: string };
    boundaryRule: string;
  };
  it('carries the current metrics rounded to 2 decimals', () => {
    expect(ext.current.metrics).toEqual({
      meanMgdl: 144.03,
      sdMgdl: 44.53,
      gmiPercent: 6.76,
      cvPercent: 30.92,
      tirPercent: 74.88,
      tbr70Percent: 6.67,
      tbr54Percent: 5.58,
      tar180Percent: 18.45,
      tar250Percent: 1.19,
      level2Events: 14,
    });
  });
  it('and the previous ones', () => {
    expect(ext.previous.metrics.tbr54Percent).toBe(0.69);
  });
  it('kind, status, source, unit', () => {
    expect([ext.kind, ext.status, ext.source, ext.unit]).toEqual(['cgm-critical', 'scored', 'computed', 'mg/dL']);
  });
  it('the off-target findings in order, with their targets', () => {
    expect(ext.offTarget).toEqual([
      { metric: 'tbr54', value: 5.58, target: { op: '<', value: 1 } },
      { metric: 'level2Events', value: 14 },
      { metric: 'tbr70', value: 6.67, target: { op: '<', value: 4 } },
    ]);
  });
  it('the targets that applied, the change and the rule table', () => {
    expect(ext.targets.set).toBe('standard');
    expect(ext.targets.values['tir']).toEqual({ op: '>', value: 70 });
    expect(ext.change.direction).toBe('worse');
    expect(ext.ruleTable).toEqual({ id: CONSENSUS.id, version: CONSENSUS.version });
  });
  it('the boundary rule', () => {
    expect(ext.boundaryRule).toBe('in range 70-180 mg/dL inclusive; < 70, < 54, > 180 and > 250 mg/dL strict; percentages of readings');
  });
});

describe('uuid', () => {
  it('stable for the same hookInstance and kind', () => {
    expect(card(scored()).uuid).toBe(card(scored({ current: computedPeriod(CUR, { ...METRICS, tirPercent: 10 }) })).uuid);
    expect(card(scored()).uuid).toBe(stableUuid('glucose-monitoring', 'hook-1', 'cgm-critical'));
  });
  it('different for another hookInstance', () => {
    expect(card(scored(), { hookInstance: 'hook-2' }).uuid).not.toBe(card(scored()).uuid);
  });
  it('different for another kind', () => {
    expect(card(scored({ severity: 'warning' })).uuid).not.toBe(card(scored()).uuid);
  });
});

describe('override reasons', () => {
  it('on critical and warning cards', () => {
    expect(card(scored()).overrideReasons).toEqual(T.overrideReasons);
    expect(card(scored({ severity: 'warning' })).overrideReasons).toEqual(T.overrideReasons);
    expect(card(insufficient(2)).overrideReasons).toEqual(T.overrideReasons);
  });
  it('not on info cards', () => {
    expect(card(onTarget()).overrideReasons).toBeUndefined();
    expect(card(insufficient(0)).overrideReasons).toBeUndefined();
    expect(card(noRecentData()).overrideReasons).toBeUndefined();
  });
});
