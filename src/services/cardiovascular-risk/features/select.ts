import { daysBetween, type FhirDate } from './dates.js';
import type { FeatureProblem, Measured, ProblemKind } from './types.js';

/**
 * Choosing one value for an input from everything on file: the most recent valid value inside
 * the lookback window wins; values recorded on the same calendar day are compared, and when
 * they disagree (numbers by more than 10 %, coded values at all) nothing is chosen and the
 * problem is 'contradictory'. Rejected records are remembered so the problem (or the note on
 * the chosen value) can say in plain words why they were not used.
 */

/** Relative difference between same-day values above which they are contradictory. */
export const SAME_DAY_TOLERANCE = 0.1;

export interface Candidate<T> {
  readonly source: readonly string[];
  readonly date: FhirDate;
  /** Lower is preferred among values recorded on the same day (e.g. eGFR equation preference). */
  readonly rank: number;
  readonly value: T;
  readonly unit: string;
  /** '240 mg/dL', 'current every day smoker' - for problem details and notes. */
  readonly describe: string;
  readonly originalValue?: number;
  readonly originalUnit?: string;
  readonly derived?: string;
}

export type RejectionKind =
  | 'status'
  | 'no-value'
  | 'censored'
  | 'no-date'
  | 'future'
  | 'other-patient'
  | 'unit'
  | 'implausible'
  | 'unknown-answer'
  | 'not-derivable';

export interface Rejected {
  readonly source: readonly string[];
  readonly date?: FhirDate;
  readonly kind: RejectionKind;
  /** Plain words, a full sentence. */
  readonly detail: string;
}

export interface Pool<T> {
  readonly candidates: Candidate<T>[];
  readonly rejected: Rejected[];
}

export function emptyPool<T>(): Pool<T> {
  return { candidates: [], rejected: [] };
}

export type Combine = 'latest' | 'mean';

export interface SelectOptions {
  readonly input: string;
  readonly label: string;
  readonly lookbackDays: number;
  readonly now: Date;
  /** 'mean' averages the same-day values (blood pressure) instead of checking them for contradiction. */
  readonly combine?: Combine;
}

export interface Selection<T> {
  readonly measured?: Measured<T>;
  readonly problem?: FeatureProblem;
}

function lookbackWords(days: number): string {
  const years = days / 365.25;
  const whole = Math.round(years);
  return whole >= 1 && Math.abs(years - whole) < 0.01 ? `${whole}-year (${days}-day)` : `${days}-day`;
}

function uniq(xs: readonly string[]): string[] {
  return [...new Set(xs)];
}

/** Most serious first: what the problem is called when no valid value remains. */
const REJECTION_PRIORITY: readonly [RejectionKind, ProblemKind][] = [
  ['implausible', 'implausible'],
  ['unit', 'unit'],
  ['other-patient', 'contradictory'],
  ['censored', 'missing'],
  ['unknown-answer', 'missing'],
  ['not-derivable', 'missing'],
  ['future', 'implausible'],
  ['status', 'missing'],
  ['no-value', 'missing'],
  ['no-date', 'missing'],
];

function problemFromRejections(opts: SelectOptions, rejected: readonly Rejected[]): FeatureProblem {
  if (rejected.length === 0) {
    return { input: opts.input, kind: 'missing', detail: `No ${opts.label} is on file.` };
  }
  let kind: ProblemKind = 'missing';
  for (const [rk, pk] of REJECTION_PRIORITY) {
    if (rejected.some((r) => r.kind === rk)) {
      kind = pk;
      break;
    }
  }
  const shown = rejected.slice(0, 3).map((r) => r.detail);
  const more = rejected.length > 3 ? ` (${rejected.length - 3} more not shown.)` : '';
  const onlyUnderivable = rejected.every((r) => r.kind === 'not-derivable');
  const source = uniq(rejected.flatMap((r) => r.source));
  return {
    input: opts.input,
    kind,
    detail: `No ${onlyUnderivable ? '' : 'usable '}${opts.label} is on file. ${shown.join(' ')}${more}`,
    ...(source.length > 0 ? { source } : {}),
  };
}

function isNumber(x: unknown): x is number {
  return typeof x === 'number';
}

export function select<T extends number | boolean | string>(pool: Pool<T>, opts: SelectOptions): Selection<T> {
  const valid = [...pool.candidates].sort((a, b) => b.date.start.getTime() - a.date.start.getTime());
  const newest = valid[0];
  if (!newest) return { problem: problemFromRejections(opts, pool.rejected) };

  const age = daysBetween(newest.date.start, opts.now);
  if (age > opts.lookbackDays) {
    const extra = pool.rejected.filter((r) => r.kind === 'not-derivable').map((r) => ` ${r.detail}`).join('');
    return {
      problem: {
        input: opts.input,
        kind: 'stale',
        detail:
          `The most recent ${opts.label} (${newest.describe}) is from ${newest.date.dayKey}, ` +
          `older than the ${lookbackWords(opts.lookbackDays)} lookback window.${extra}`,
        source: newest.source,
      },
    };
  }

  const sameDay = valid.filter((c) => c.date.dayKey === newest.date.dayKey);
  const bestRank = Math.min(...sameDay.map((c) => c.rank));
  const group = sameDay.filter((c) => c.rank === bestRank).sort((a, b) => b.date.start.getTime() - a.date.start.getTime());
  const chosen = group[0]!;

  const notes = pool.rejected
    .filter((r) => r.date !== undefined && r.date.start.getTime() > chosen.date.start.getTime() && r.kind !== 'other-patient')
    .map((r) => r.detail);
  const withNotes = <M extends object>(m: M): M => (notes.length > 0 ? { ...m, notes } : m);

  if (group.length > 1) {
    const values = group.map((c) => c.value);
    const chronological = [...group].reverse();
    if (opts.combine === 'mean' && values.every(isNumber)) {
      const mean = (values as number[]).reduce((s, v) => s + v, 0) / values.length;
      return {
        measured: withNotes({
          value: mean as T,
          unit: chosen.unit,
          date: chosen.date.dayKey,
          source: uniq(chronological.flatMap((c) => c.source)),
          derived: `mean of ${group.length} readings on ${chosen.date.dayKey}`,
        }),
      };
    }
    const disagree = values.every(isNumber)
      ? (() => {
          const nums = values as number[];
          const lo = Math.min(...nums);
          const hi = Math.max(...nums);
          return lo <= 0 ? hi !== lo : (hi - lo) / lo > SAME_DAY_TOLERANCE;
        })()
      : new Set(values).size > 1;
    if (disagree) {
      return {
        problem: {
          input: opts.input,
          kind: 'contradictory',
          detail:
            `${opts.label[0]!.toUpperCase()}${opts.label.slice(1)} results recorded on ${chosen.date.dayKey} disagree ` +
            `(${chronological.map((c) => `${c.describe} in ${c.source.join(' + ')}`).join('; ')}); none of them was used.`,
          source: uniq(chronological.flatMap((c) => c.source)),
        },
      };
    }
  }

  const m: Measured<T> = {
    value: chosen.value,
    unit: chosen.unit,
    date: chosen.date.text,
    source: chosen.source,
    ...(chosen.derived !== undefined ? { derived: chosen.derived } : {}),
    ...(chosen.originalValue !== undefined ? { originalValue: chosen.originalValue, originalUnit: chosen.originalUnit } : {}),
  };
  return { measured: withNotes(m) };
}
