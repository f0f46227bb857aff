import { loadJson } from '../../util/data-file.js';

/** A consensus target: the metric meets it when `value op target` holds. */
export interface Target {
  readonly op: '>' | '<' | '<=';
  readonly value: number;
  readonly note?: string;
}

export type MetricKey = 'tir' | 'tbr70' | 'tbr54' | 'tar180' | 'tar250' | 'cv';
export type TargetSetId = 'standard' | 'older-high-risk';

export interface TargetSet extends Readonly<Record<MetricKey, Target>> {
  readonly label: string;
}

export interface ConsensusTable {
  readonly id: string;
  readonly version: string;
  readonly source: string;
  readonly thresholdsMgdl: { readonly veryLow: number; readonly low: number; readonly high: number; readonly veryHigh: number };
  readonly thresholdsMmol: { readonly veryLow: number; readonly low: number; readonly high: number; readonly veryHigh: number };
  readonly mgdlPerMmol: number;
  readonly plausibleMgdl: { readonly min: number; readonly max: number };
  readonly gmi: { readonly intercept: number; readonly slopePerMgdl: number };
  readonly sufficiency: { readonly periodDays: number; readonly minCapturedPercent: number };
  readonly level2Event: { readonly thresholdMgdl: number; readonly minMinutes: number };
  readonly olderAgeYears: number;
  readonly targets: Readonly<Record<TargetSetId, TargetSet>>;
}

/** The International Consensus on Time in Range (Battelino 2019) as data: thresholds and targets. */
export const CONSENSUS = loadJson<ConsensusTable>(import.meta.url, './data/targets.json');

/** Whether a value meets a target. Values are compared as shown on the card (one decimal). */
export function meets(value: number, t: Target): boolean {
  const v = Math.round(value * 10) / 10;
  return t.op === '>' ? v > t.value : t.op === '<' ? v < t.value : v <= t.value;
}

export const formatTarget = (t: Target): string => `${t.op === '<=' ? '≤' : t.op} ${t.value}%`;
