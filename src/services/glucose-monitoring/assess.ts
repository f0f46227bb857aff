/**
 * The glucose-monitoring assessment: two 14-day periods, data sufficiency, the targets that
 * apply, what is off target (hypoglycemia first) and the change since the previous period.
 * Pure: no I/O, inputs never modified.
 */
import type { Condition, Device, Observation, Patient } from 'fhir/r4.js';
import { ageAt } from '../cardiovascular-risk/features/demographics.js';
import { conditionFlag } from '../cardiovascular-risk/features/conditions.js';
import type { ConditionCategory } from '../cardiovascular-risk/features/codes.js';
import { CONSENSUS, meets, type MetricKey, type Target, type TargetSetId } from './knowledge.js';
import { readingsIn, samplingIntervalMinutes, summarisePeriod, type GlycemicMetrics, type Period, type Reading } from './metrics.js';
import { extractReadings, type DroppedCounts } from './readings.js';
import { extractSummaries, type ReportedSummary } from './summary.js';

const DAY_MS = 86_400_000;

export interface CgmRecord {
  readonly patientId: string;
  readonly patient?: Patient;
  readonly conditions: readonly Condition[];
  /** Sensor-reading Observations (and generic glucose ones that may be CGM-tagged). */
  readonly readings: readonly Observation[];
  readonly summaries: readonly Observation[];
  readonly devices: readonly Device[];
  /** Whether the conditions could be read (else the high-risk list could not be checked). */
  readonly conditionsKnown: boolean;
  /**
   * Why the previous period's readings could not be had (fetch failed or cut): no comparison.
   * (Incomplete current readings never get here: the core answers its data-incomplete card.)
   */
  readonly previousFailed?: string;
}

export interface CgmOptions {
  /** Conditions that call for the older/high-risk targets whatever the age. */
  readonly highRisk: ConditionCategory;
}

export interface TargetChoice {
  readonly set: TargetSetId;
  readonly label: string;
  /** Why this set, in words for the card. */
  readonly reason: string;
}

export interface PeriodView {
  readonly start: string;
  readonly end: string;
  readonly source: 'computed' | 'reported';
  /** undefined: a reported summary that did not say how much data it rests on. */
  readonly sufficient: boolean | undefined;
  readonly capturedPercent?: number;
  readonly daysWithData?: number;
  readonly readings?: number;
  readonly expectedReadings?: number;
  readonly intervalMinutes?: number;
  /** Present when scored: all of them when computed, what was reported otherwise. */
  readonly metrics?: Partial<GlycemicMetrics>;
  /** Level-2 events in the readings there are (also when insufficient). */
  readonly level2EventsSeen?: number;
  /** Summary Observations used, as references. */
  readonly reportedBy?: readonly string[];
}

export type FindingGroup = 'hypo' | 'hyper' | 'variability';

export interface Finding {
  readonly metric: MetricKey | 'level2Events';
  readonly group: FindingGroup;
  readonly value: number;
  readonly target?: Target;
}

export interface Change {
  readonly tirPoints?: number;
  readonly tbr70Points?: number;
  readonly tbr54Points?: number;
  readonly direction: 'better' | 'worse' | 'similar';
}

export type CgmStatus = 'scored' | 'insufficient' | 'no-recent-data';

export interface CgmAssessment {
  readonly status: CgmStatus;
  readonly source: 'computed' | 'reported';
  readonly targets: TargetChoice;
  readonly current: PeriodView;
  readonly previous?: PeriodView;
  /** Why there is no comparison, when there is none. */
  readonly previousUnavailable?: string;
  /** Off-target findings, hypoglycemia first, then hyperglycemia, then variability. */
  readonly findings: readonly Finding[];
  readonly severity: 'critical' | 'warning' | 'on-target' | 'none';
  readonly change?: Change;
  readonly displayUnit: 'mg/dL' | 'mmol/L';
  readonly dropped?: DroppedCounts;
  /** CGM-tagged generic glucose readings counted (2339-0 / 15074-8). */
  readonly taggedGeneric?: number;
  /** Latest CGM reading or summary end (ISO), when older than the current period. */
  readonly latestData?: string;
  /** Readings of the current period, for the AGP chart (computed and sufficient only). */
  readonly agpReadings?: readonly Reading[];
  readonly notes: readonly string[];
}

const iso = (ms: number): string => new Date(ms).toISOString();
const round1 = (x: number): number => Math.round(x * 10) / 10;

/** Which consensus targets apply: older/high-risk at 65 or over or with a listed condition. */
export function chooseTargets(record: CgmRecord, now: Date, opts: CgmOptions): TargetChoice {
  const t = CONSENSUS.targets;
  const age = ageAt(record.patient, now);
  if (age.ok && age.years >= CONSENSUS.olderAgeYears) {
    return { set: 'older-high-risk', label: t['older-high-risk'].label, reason: `age ${age.years} (${CONSENSUS.olderAgeYears} or over)` };
  }
  const flag = conditionFlag(record.conditions, [opts.highRisk], { historyCounts: false, patient: record.patient });
  if (flag.present) {
    return { set: 'older-high-risk', label: t['older-high-risk'].label, reason: `high-risk condition on the problem list: ${flag.evidence.join('; ')}` };
  }
  const why: string[] = [age.ok ? `age ${age.years}` : 'age not known', record.conditionsKnown ? 'no listed high-risk condition' : 'conditions could not be read'];
  return { set: 'standard', label: t.standard.label, reason: why.join(', ') };
}

const ORDER: readonly { metric: MetricKey | 'level2Events'; group: FindingGroup; field: keyof GlycemicMetrics }[] = [
  { metric: 'tbr54', group: 'hypo', field: 'tbr54Percent' },
  { metric: 'level2Events', group: 'hypo', field: 'level2Events' },
  { metric: 'tbr70', group: 'hypo', field: 'tbr70Percent' },
  { metric: 'tir', group: 'hyper', field: 'tirPercent' },
  { metric: 'tar250', group: 'hyper', field: 'tar250Percent' },
  { metric: 'tar180', group: 'hyper', field: 'tar180Percent' },
  { metric: 'cv', group: 'variability', field: 'cvPercent' },
];

/**
 * Off-target metrics in card order. Time in range below target is grouped with hyperglycemia
 * unless time below range is what is off (then hypoglycemia already leads the card). Any
 * level-2 event is a finding: the consensus sets no allowance for them.
 */
export function findOffTarget(metrics: Partial<GlycemicMetrics>, set: TargetSetId): Finding[] {
  const targets = CONSENSUS.targets[set];
  const out: Finding[] = [];
  for (const o of ORDER) {
    const value = metrics[o.field];
    if (value === undefined) continue;
    if (o.metric === 'level2Events') {
      if (value > 0) out.push({ metric: o.metric, group: o.group, value });
      continue;
    }
    const target = targets[o.metric];
    if (!meets(value, target)) out.push({ metric: o.metric, group: o.group, value, target });
  }
  return out;
}

/** Critical when time below 54 is at least twice its target (issue 6; e.g. ≥ 2 % against < 1 %). */
function severityOf(findings: readonly Finding[], set: TargetSetId): CgmAssessment['severity'] {
  if (findings.length === 0) return 'on-target';
  const tbr54 = findings.find((f) => f.metric === 'tbr54');
  if (tbr54 && round1(tbr54.value) >= 2 * CONSENSUS.targets[set].tbr54.value) return 'critical';
  return 'warning';
}

/**
 * Change since the previous period: worse when time in range fell by 5 points or more or time
 * below range rose at all; better when time in range rose by 5 points or more without a rise
 * below range. Compared as shown (one decimal).
 */
export function compare(cur: Partial<GlycemicMetrics>, prev: Partial<GlycemicMetrics>): Change | undefined {
  const delta = (k: 'tirPercent' | 'tbr70Percent' | 'tbr54Percent'): number | undefined =>
    cur[k] !== undefined && prev[k] !== undefined ? round1(round1(cur[k]) - round1(prev[k])) : undefined;
  const tir = delta('tirPercent');
  const tbr70 = delta('tbr70Percent');
  const tbr54 = delta('tbr54Percent');
  if (tir === undefined && tbr70 === undefined && tbr54 === undefined) return undefined;
  const belowRose = (tbr70 ?? 0) > 0 || (tbr54 ?? 0) > 0;
  const direction = belowRose || (tir ?? 0) <= -5 ? 'worse' : (tir ?? 0) >= 5 ? 'better' : 'similar';
  return { ...(tir !== undefined ? { tirPoints: tir } : {}), ...(tbr70 !== undefined ? { tbr70Points: tbr70 } : {}), ...(tbr54 !== undefined ? { tbr54Points: tbr54 } : {}), direction };
}

function computedView(all: readonly Reading[], period: Period, interval: number): PeriodView {
  const s = summarisePeriod(all, period, interval);
  return {
    start: iso(period.start),
    end: iso(period.end),
    source: 'computed',
    sufficient: s.sufficient,
    capturedPercent: s.capturedPercent,
    daysWithData: s.daysWithData,
    readings: s.readings,
    expectedReadings: s.expectedReadings,
    intervalMinutes: s.intervalMinutes,
    ...(s.metrics ? { metrics: s.metrics } : {}),
    level2EventsSeen: s.level2EventsSeen,
  };
}

function reportedView(s: ReportedSummary): PeriodView {
  return {
    start: s.start,
    end: s.end,
    source: 'reported',
    sufficient: s.sensorActivePercent === undefined ? undefined : round1(s.sensorActivePercent) >= CONSENSUS.sufficiency.minCapturedPercent,
    ...(s.sensorActivePercent !== undefined ? { capturedPercent: s.sensorActivePercent } : {}),
    ...(s.daysOfWear !== undefined ? { daysWithData: s.daysOfWear } : {}),
    metrics: s.metrics,
    ...(s.metrics.level2Events !== undefined ? { level2EventsSeen: s.metrics.level2Events } : {}),
    reportedBy: s.sources,
  };
}

/**
 * Assesses the patient's CGM data at `now`: the current period is the 14 days before now, the
 * previous one the 14 days before that. Raw readings win over reported summaries; summaries are
 * used only when there are no readings in the last 28 days. undefined: no CGM data at all.
 */
export function assessGlucose(record: CgmRecord, now: Date, opts: CgmOptions): CgmAssessment | undefined {
  const periodMs = CONSENSUS.sufficiency.periodDays * DAY_MS;
  const end = now.getTime();
  const current: Period = { start: end - periodMs, end };
  const previous: Period = { start: end - 2 * periodMs, end: end - periodMs };
  const targets = chooseTargets(record, now, opts);
  const notes: string[] = [];

  const set = extractReadings(record.readings, record.devices, { start: previous.start, end }, record.patientId);
  const displayUnit: CgmAssessment['displayUnit'] = set.unitCounts.mmol > set.unitCounts.mgdl ? 'mmol/L' : 'mg/dL';
  if (set.readings.length > 0) {
    const interval = samplingIntervalMinutes(set.readings);
    const cur = computedView(set.readings, current, interval);
    const prev = computedView(set.readings, previous, interval);
    const base = {
      source: 'computed' as const,
      targets,
      displayUnit,
      dropped: set.dropped,
      ...(set.taggedGeneric > 0 ? { taggedGeneric: set.taggedGeneric } : {}),
      notes,
    };
    if (cur.readings === 0) {
      return { ...base, status: 'no-recent-data', current: cur, findings: [], severity: 'none', ...(set.latest !== undefined ? { latestData: iso(set.latest) } : {}) };
    }
    const previousUnavailable =
      record.previousFailed ??
      (prev.readings === 0 ? 'no CGM readings in the previous 14 days' : !prev.sufficient ? 'the previous 14 days have too little data to compare' : undefined);
    if (!cur.sufficient) {
      return { ...base, status: 'insufficient', current: cur, previous: prev, findings: [], severity: (cur.level2EventsSeen ?? 0) > 0 ? 'warning' : 'none', ...(previousUnavailable ? { previousUnavailable } : {}) };
    }
    const findings = findOffTarget(cur.metrics!, targets.set);
    const change = !previousUnavailable ? compare(cur.metrics!, prev.metrics!) : undefined;
    return {
      ...base,
      status: 'scored',
      current: cur,
      previous: prev,
      ...(previousUnavailable ? { previousUnavailable } : {}),
      findings,
      severity: severityOf(findings, targets.set),
      ...(change ? { change } : {}),
      agpReadings: readingsIn(set.readings, current),
    };
  }

  // No readings: device-platform summaries, used as reported (HL7 CGM IG summary Observations).
  const summaries = extractSummaries(record.summaries, now, record.patientId);
  if (summaries.length === 0) return undefined;
  const latest = summaries[0]!;
  const base = { source: 'reported' as const, targets, displayUnit: latest.displayUnit, notes };
  if (Date.parse(latest.end) <= current.start) {
    return { ...base, status: 'no-recent-data', current: reportedView(latest), findings: [], severity: 'none', latestData: latest.end };
  }
  const cur = reportedView(latest);
  const earlier = summaries.find((s) => Date.parse(s.end) <= Date.parse(latest.start) + DAY_MS && s !== latest);
  const prev = earlier ? reportedView(earlier) : undefined;
  const previousUnavailable = !prev ? 'no earlier CGM summary on file' : prev.sufficient === false ? 'the earlier summary rests on too little data to compare' : undefined;
  if (cur.sufficient === false) {
    return { ...base, status: 'insufficient', current: cur, ...(prev ? { previous: prev } : {}), findings: [], severity: 'none', ...(previousUnavailable ? { previousUnavailable } : {}) };
  }
  const findings = findOffTarget(cur.metrics ?? {}, targets.set);
  const change = prev && !previousUnavailable ? compare(cur.metrics ?? {}, prev.metrics ?? {}) : undefined;
  return {
    ...base,
    status: 'scored',
    current: cur,
    ...(prev ? { previous: prev } : {}),
    ...(previousUnavailable ? { previousUnavailable } : {}),
    findings,
    severity: severityOf(findings, targets.set),
    ...(change ? { change } : {}),
  };
}
