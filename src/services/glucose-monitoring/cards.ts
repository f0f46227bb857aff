/**
 * Cards of the glucose-monitoring service. Wording is data (cards/glucose-monitoring.json); this
 * module picks the card, fills numbers in the patient's unit and keeps the summary under 140
 * characters (spec 2.0 §Card attributes).
 */
import { fill } from '../../cards/templates.js';
import { stableUuid } from '../../cards/uuid.js';
import type { Card, Coding, Link } from '../../cds/types.js';
import type { CgmAssessment, Finding, PeriodView } from './assess.js';
import { CONSENSUS, formatTarget, meets, type MetricKey } from './knowledge.js';
import type { GlycemicMetrics } from './metrics.js';

export const SERVICE_ID = 'glucose-monitoring';
export const EXTENSION_KEY = 'org.precision-cds.glucose-monitoring';
const SUMMARY_MAX = 139;

export interface CgmCardTemplates {
  readonly source: { readonly label: string; readonly url: string };
  readonly lead: Readonly<Record<'critical' | 'hypo' | 'hyper' | 'variability' | 'on-target', string>>;
  readonly phrase: Readonly<Record<MetricKey | 'level2Events', string>>;
  readonly summary: Readonly<Record<string, string>>;
  readonly rows: Readonly<Record<string, string>>;
  readonly statement: Readonly<Record<string, string>>;
  readonly direction: Readonly<Record<'better' | 'worse' | 'similar', string>>;
  readonly agpLinkLabel: string;
  readonly overrideReasons: readonly Coding[];
}

export interface AgpLink {
  readonly url: string;
  readonly expiresAt: string;
  readonly minutes: number;
}

export interface CardContext {
  readonly hookInstance: string;
  readonly agp?: AgpLink;
}

/** Card kind for analytics (provenance): what the card says. */
export type CgmCardKind = 'cgm-critical' | 'cgm-off-target' | 'cgm-on-target' | 'cgm-insufficient' | 'cgm-no-recent-data';

type Unit = CgmAssessment['displayUnit'];
const pct = (x: number): string => `${x.toFixed(1)}%`;
const day = (iso: string): string => iso.slice(0, 10);
/** The day a period ends on, for people: an exclusive midnight end is the day before. */
const lastDay = (iso: string): string => new Date(Date.parse(iso) - 1).toISOString().slice(0, 10);
const glucose = (mgdl: number, unit: Unit): string => (unit === 'mmol/L' ? `${(mgdl / CONSENSUS.mgdlPerMmol).toFixed(1)} mmol/L` : `${Math.round(mgdl)} mg/dL`);

/** Threshold names filled into templates, in the patient's unit (the consensus' own mmol/L values). */
function thresholdVars(unit: Unit): Record<'veryLow' | 'low' | 'high' | 'veryHigh', string> {
  const t = unit === 'mmol/L' ? CONSENSUS.thresholdsMmol : CONSENSUS.thresholdsMgdl;
  const f = (v: number): string => (unit === 'mmol/L' ? `${v.toFixed(1)} mmol/L` : `${v} mg/dL`);
  return { veryLow: f(t.veryLow), low: f(t.low), high: f(t.high), veryHigh: f(t.veryHigh) };
}

function phrase(f: Finding, t: CgmCardTemplates, vars: Record<string, string>): string {
  if (f.metric === 'level2Events') return fill(t.phrase.level2Events, { ...vars, count: String(f.value) });
  return fill(t.phrase[f.metric], { ...vars, value: pct(f.value), target: formatTarget(f.target!) });
}

/**
 * Lead and first finding, then further findings in order while they fit; the suffixes ("worse than the
 * prior 14 days", "as reported") always get their room. Under 140 characters.
 */
function composeSummary(lead: string, phrases: readonly string[], ...suffixes: readonly string[]): string {
  const tail = suffixes.join('');
  const room = SUMMARY_MAX - tail.length;
  let s = lead + (phrases[0] ?? '');
  if (s.length > room) s = `${s.slice(0, room - 1)}…`;
  // In priority order: stop at the first finding that does not fit rather than skip to a later one.
  for (const p of phrases.slice(1)) {
    if (s.length + 2 + p.length > room) break;
    s += `; ${p}`;
  }
  return s + tail;
}

const ROWS: readonly { key: MetricKey | 'level2Events' | 'mean' | 'gmi'; field: keyof GlycemicMetrics }[] = [
  { key: 'tbr54', field: 'tbr54Percent' },
  { key: 'level2Events', field: 'level2Events' },
  { key: 'tbr70', field: 'tbr70Percent' },
  { key: 'tir', field: 'tirPercent' },
  { key: 'tar180', field: 'tar180Percent' },
  { key: 'tar250', field: 'tar250Percent' },
  { key: 'cv', field: 'cvPercent' },
  { key: 'mean', field: 'meanMgdl' },
  { key: 'gmi', field: 'gmiPercent' },
];

function metricTable(a: CgmAssessment, t: CgmCardTemplates, vars: Record<string, string>): string[] {
  const targets = CONSENSUS.targets[a.targets.set];
  const cur = a.current.metrics ?? {};
  const prev = a.previous?.metrics && !a.previousUnavailable ? a.previous.metrics : undefined;
  const show = (key: string, v: number | undefined): string => {
    if (v === undefined) return 'not reported';
    if (key === 'level2Events') return String(v);
    if (key === 'mean') return glucose(v, a.displayUnit);
    return pct(v);
  };
  const lines = [
    `| Metric | Last 14 days |${prev ? ' Previous 14 days |' : ''} Target | |`,
    `|---|---|${prev ? '---|' : ''}---|---|`,
  ];
  for (const r of ROWS) {
    const v = cur[r.field];
    if (r.key === 'level2Events' && v === undefined && a.source === 'reported') continue;
    let target = '';
    let status = '';
    if (r.key === 'level2Events') {
      target = 'none';
      status = v === undefined ? '' : v > 0 ? 'off target' : 'on target';
    } else if (r.key !== 'mean' && r.key !== 'gmi') {
      const tg = targets[r.key];
      target = formatTarget(tg);
      status = v === undefined ? '' : meets(v, tg) ? 'on target' : 'off target';
    }
    const value = status === 'off target' ? `**${show(r.key, v)}**` : show(r.key, v);
    const prevCell = prev ? ` ${show(r.key, prev[r.field])} |` : '';
    lines.push(`| ${fill(t.rows[r.key]!, vars)} | ${value} |${prevCell} ${target} | ${status} |`);
  }
  return lines;
}

function dataLine(a: CgmAssessment, t: CgmCardTemplates): string {
  const p = a.current;
  if (p.source === 'reported') {
    const parts: string[] = [];
    if (p.capturedPercent !== undefined) parts.push(`sensor active ${pct(p.capturedPercent)} of the time`);
    if (p.daysWithData !== undefined) parts.push(`${p.daysWithData} days of wear`);
    const suff = p.sufficient === undefined ? 'how much data it rests on was not reported, so data sufficiency could not be checked' : p.sufficient ? t.statement['sufficient']! : t.statement['insufficient']!;
    return fill(t.statement['dataReported']!, { dataReported: [...parts, suff].join('; ') });
  }
  return fill(t.statement['dataComputed']!, {
    captured: pct(p.capturedPercent ?? 0),
    readings: (p.readings ?? 0).toLocaleString('en-US'),
    expected: (p.expectedReadings ?? 0).toLocaleString('en-US'),
    interval: String(p.intervalMinutes ?? 5),
    days: String(p.daysWithData ?? 0),
    sufficiency: p.sufficient ? t.statement['sufficient']! : t.statement['insufficient']!,
  });
}

function droppedLine(a: CgmAssessment, t: CgmCardTemplates): string | undefined {
  const d = a.dropped;
  if (!d) return undefined;
  const parts = [
    d.implausible ? `${d.implausible} implausible (below 20 or above 600 mg/dL)` : '',
    d.unusable ? `${d.unusable} without a usable time, value or unit` : '',
    d.duplicate ? `${d.duplicate} duplicates` : '',
    d.notFinal ? `${d.notFinal} not final (e.g. entered in error)` : '',
    d.otherSubject ? `${d.otherSubject} recorded for another patient` : '',
  ].filter(Boolean);
  return parts.length ? fill(t.statement['dropped']!, { dropped: parts.join(', ') }) : undefined;
}

function changeLine(a: CgmAssessment, t: CgmCardTemplates, vars: Record<'veryLow' | 'low', string>): string | undefined {
  if (a.status !== 'scored') return undefined;
  if (!a.change || !a.previous) return fill(t.statement['noChange']!, { why: a.previousUnavailable ?? 'no comparable data' });
  const c = a.change;
  const signed = (x: number): string => `${x > 0 ? '+' : x < 0 ? '−' : '±'}${Math.abs(x).toFixed(1)} points`;
  const changes = [
    c.tirPoints !== undefined ? `time in range ${signed(c.tirPoints)}` : '',
    c.tbr70Points !== undefined ? `time below ${vars.low} ${signed(c.tbr70Points)}` : '',
    c.tbr54Points !== undefined ? `time below ${vars.veryLow} ${signed(c.tbr54Points)}` : '',
  ].filter(Boolean);
  return fill(t.statement['change']!, { start: day(a.previous.start), end: lastDay(a.previous.end), changes: changes.join(', '), direction: t.direction[c.direction] });
}

function header(a: CgmAssessment, t: CgmCardTemplates): string {
  const p = a.current;
  if (p.source === 'reported') return fill(t.statement['reportedHeader']!, { start: day(p.start), end: lastDay(p.end), sources: (p.reportedBy ?? []).join(', ') });
  return fill(t.statement['computedHeader']!, { start: day(p.start), end: lastDay(p.end), readings: (p.readings ?? 0).toLocaleString('en-US') });
}

/** Machine-readable findings: the card extension documented in OpenAPI (GlucoseMonitoringExtension). */
export function extension(a: CgmAssessment, agp: AgpLink | undefined, kind: CgmCardKind): Record<string, unknown> {
  const r2 = (x: number): number => Math.round(x * 100) / 100;
  const period = (p: PeriodView): Record<string, unknown> => ({
    start: p.start,
    end: p.end,
    source: p.source,
    ...(p.sufficient !== undefined ? { sufficient: p.sufficient } : {}),
    ...(p.capturedPercent !== undefined ? { capturedPercent: r2(p.capturedPercent) } : {}),
    ...(p.daysWithData !== undefined ? { daysWithData: p.daysWithData } : {}),
    ...(p.readings !== undefined ? { readings: p.readings, expectedReadings: p.expectedReadings, intervalMinutes: p.intervalMinutes } : {}),
    ...(p.metrics ? { metrics: Object.fromEntries(Object.entries(p.metrics).map(([k, v]) => [k, r2(v)])) } : {}),
    ...(p.level2EventsSeen !== undefined ? { level2EventsSeen: p.level2EventsSeen } : {}),
    ...(p.reportedBy?.length ? { reportedBy: p.reportedBy } : {}),
  });
  const targets = CONSENSUS.targets[a.targets.set];
  return {
    kind,
    status: a.status,
    source: a.source,
    unit: a.displayUnit,
    targets: {
      set: a.targets.set,
      reason: a.targets.reason,
      values: Object.fromEntries((['tir', 'tbr70', 'tbr54', 'tar180', 'tar250', 'cv'] as const).map((k) => [k, { op: targets[k].op, value: targets[k].value }])),
    },
    boundaryRule: 'in range 70-180 mg/dL inclusive; < 70, < 54, > 180 and > 250 mg/dL strict; percentages of readings',
    current: period(a.current),
    ...(a.previous ? { previous: period(a.previous) } : {}),
    ...(a.previousUnavailable ? { previousUnavailable: a.previousUnavailable } : {}),
    offTarget: a.findings.map((f) => ({ metric: f.metric, value: r2(f.value), ...(f.target ? { target: { op: f.target.op, value: f.target.value } } : {}) })),
    ...(a.change ? { change: a.change } : {}),
    ...(a.dropped ? { dropped: a.dropped } : {}),
    ...(a.taggedGeneric ? { taggedGenericReadings: a.taggedGeneric } : {}),
    ...(a.latestData ? { latestData: a.latestData } : {}),
    ...(agp ? { agp: { url: agp.url, expiresAt: agp.expiresAt } } : {}),
    ruleTable: { id: CONSENSUS.id, version: CONSENSUS.version },
  };
}

function cardKind(a: CgmAssessment): CgmCardKind | undefined {
  if (a.status === 'no-recent-data') return 'cgm-no-recent-data';
  if (a.status === 'insufficient') return 'cgm-insufficient';
  if (a.severity === 'critical') return 'cgm-critical';
  if (a.severity === 'warning') return 'cgm-off-target';
  if (a.severity === 'on-target') return 'cgm-on-target';
  return undefined;
}

export interface CardOptions {
  /** Show an info card when every metric is on target (off by default: no news is no card). */
  readonly showOnTarget: boolean;
}

/** The one card for this assessment, or none (on target and not configured to say so). */
export function buildCard(a: CgmAssessment, t: CgmCardTemplates, ctx: CardContext, opts: CardOptions): { card: Card; kind: CgmCardKind } | undefined {
  const kind = cardKind(a);
  if (!kind || (kind === 'cgm-on-target' && !opts.showOnTarget)) return undefined;
  const vars = { ...thresholdVars(a.displayUnit) };
  const worse = a.change?.direction === 'worse' ? t.summary['worseSuffix']! : '';
  const reported = a.source === 'reported' ? t.summary['reportedSuffix']! : '';
  let summary: string;
  let indicator: Card['indicator'];
  const detail: string[] = [];

  if (kind === 'cgm-no-recent-data') {
    summary = fill(t.summary['noRecentData']!, { latest: day(a.latestData ?? a.current.end) });
    indicator = 'info';
    detail.push(fill(t.statement['noRecentData']!, { start: day(a.current.start), end: lastDay(a.current.end), latest: day(a.latestData ?? a.current.end) }));
  } else if (kind === 'cgm-insufficient') {
    const events = a.current.level2EventsSeen ?? 0;
    const captured = pct(a.current.capturedPercent ?? 0);
    summary =
      a.source === 'reported'
        ? fill(t.summary['insufficientReported']!, { captured })
        : events > 0
          ? fill(t.summary['insufficientWithEvents']!, { captured, count: String(events) })
          : fill(t.summary['insufficient']!, { captured });
    indicator = events > 0 ? 'warning' : 'info';
    detail.push(header(a, t), '', dataLine(a, t));
    if (events > 0) detail.push('', fill(t.statement['insufficientEvents']!, { ...vars, count: String(events) }));
  } else {
    const m = a.current.metrics ?? {};
    if (kind === 'cgm-on-target') {
      // "Worse" stays in the detail: on target, a 0.1-point rise below range is not headline news.
      summary = composeSummary('', [fill(t.summary['onTarget']!, { ...vars, tir: pct(m.tirPercent ?? 0), tbr70: pct(m.tbr70Percent ?? 0) })], reported);
      indicator = 'info';
    } else {
      const group = a.findings[0]!.group;
      const lead = kind === 'cgm-critical' ? t.lead.critical : t.lead[group];
      summary = composeSummary(lead, a.findings.map((f) => phrase(f, t, vars)), worse, reported);
      indicator = kind === 'cgm-critical' ? 'critical' : 'warning';
    }
    detail.push(header(a, t), '', ...metricTable(a, t, vars), '', dataLine(a, t));
  }
  const dropped = droppedLine(a, t);
  if (dropped) detail.push('', dropped);
  for (const note of a.notes) detail.push('', note);
  if (a.taggedGeneric) detail.push('', fill(t.statement['tagged']!, { count: a.taggedGeneric.toLocaleString('en-US') }));
  const change = changeLine(a, t, vars);
  if (change) detail.push('', change);
  detail.push('', fill(t.statement['targets']!, { label: a.targets.label[0]!.toUpperCase() + a.targets.label.slice(1), reason: a.targets.reason }));
  detail.push('', fill(t.statement['boundaries']!, vars), '', t.statement['sourceLine']!);

  const links: Link[] = ctx.agp ? [{ label: fill(t.agpLinkLabel, { minutes: String(ctx.agp.minutes) }), url: ctx.agp.url, type: 'absolute' }] : [];
  return {
    kind,
    card: {
      uuid: stableUuid(SERVICE_ID, ctx.hookInstance, kind),
      summary,
      detail: detail.join('\n'),
      indicator,
      source: { label: t.source.label, url: t.source.url },
      ...(indicator !== 'info' ? { overrideReasons: t.overrideReasons } : {}),
      ...(links.length ? { links } : {}),
      extension: { [EXTENSION_KEY]: extension(a, ctx.agp, kind) },
    },
  };
}
