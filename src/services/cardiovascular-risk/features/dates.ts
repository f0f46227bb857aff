/**
 * FHIR date handling. FHIR `date` / `dateTime` / `instant` may be partial ('2024', '2024-05'),
 * a day ('2024-05-01') or a time with offset. A partial value is taken at the START of what it
 * names (so it is never later, and a lookback check is never more lenient, than the truth).
 */

export const DAY_MS = 86_400_000;

/** Records dated this far after `now` are still accepted (clock skew between systems). */
export const FUTURE_SKEW_MS = 15 * 60_000;

export type DatePrecision = 'year' | 'month' | 'day' | 'time';

export interface FhirDate {
  /** The value as recorded. */
  readonly text: string;
  /** Start of the named period (a day without a time is taken at 00:00 UTC). */
  readonly start: Date;
  /** Latest instant the value could name (end of the year / month / day; the instant itself for a time). */
  readonly end: Date;
  /** Calendar day as recorded, 'YYYY-MM-DD' (or shorter when partial): used to find same-day records. */
  readonly dayKey: string;
  readonly precision: DatePrecision;
}

const RE = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

export function parseFhirDate(text: string | undefined | null): FhirDate | undefined {
  if (typeof text !== 'string') return undefined;
  const t = text.trim();
  const m = RE.exec(t);
  if (!m) return undefined;
  const y = Number(m[1]);
  const mo = m[2] === undefined ? undefined : Number(m[2]);
  const d = m[3] === undefined ? undefined : Number(m[3]);
  if (mo !== undefined && (mo < 1 || mo > 12)) return undefined;
  if (d !== undefined) {
    const dim = new Date(Date.UTC(y, mo! , 0)).getUTCDate();
    if (d < 1 || d > dim) return undefined;
  }
  if (m[4] !== undefined) {
    // A time without an offset is not valid FHIR; it is read as UTC rather than as local time.
    const start = new Date(m[7] === undefined ? `${t}Z` : t);
    if (Number.isNaN(start.getTime())) return undefined;
    return { text: t, start, end: start, dayKey: t.slice(0, 10), precision: 'time' };
  }
  if (d !== undefined) {
    const start = new Date(Date.UTC(y, mo! - 1, d));
    return { text: t, start, end: new Date(start.getTime() + DAY_MS - 1), dayKey: t, precision: 'day' };
  }
  if (mo !== undefined) {
    const start = new Date(Date.UTC(y, mo - 1, 1));
    return { text: t, start, end: new Date(Date.UTC(y, mo, 1) - 1), dayKey: t, precision: 'month' };
  }
  const start = new Date(Date.UTC(y, 0, 1));
  return { text: t, start, end: new Date(Date.UTC(y + 1, 0, 1) - 1), dayKey: t, precision: 'year' };
}

/** Whole calendar days (UTC) from `date` to `now`; 0 on the same day. */
export function daysBetween(date: Date, now: Date): number {
  const a = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
  const b = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return Math.round((b - a) / DAY_MS);
}

export function isInFuture(d: FhirDate, now: Date): boolean {
  return d.start.getTime() > now.getTime() + FUTURE_SKEW_MS;
}

/** Whole years from birth to `at` (birthday counted on the day itself; 29 February birthdays on 1 March in common years). */
export function wholeYears(birth: Date, at: Date): number {
  let years = at.getUTCFullYear() - birth.getUTCFullYear();
  const bm = birth.getUTCMonth();
  const bd = birth.getUTCDate();
  const am = at.getUTCMonth();
  const ad = at.getUTCDate();
  if (am < bm || (am === bm && ad < bd)) years -= 1;
  return years;
}

/** 'YYYY-MM-DD' of a Date in UTC. */
export function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}
