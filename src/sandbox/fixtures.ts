/**
 * Loads fixture transaction Bundles into the sandbox engine, optionally moving their dates so
 * they sit as far from today as they sat from the day the generator wrote them. Lookback
 * windows ("a blood pressure in the last year") then stay true however old the files get.
 */
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { getStatus, isOk, operationOutcomeToString } from '@medplum/core';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FhirEngine } from './fhir-engine.js';

export interface FixtureLoadOptions {
  /** Rebase dates from each Bundle's `timestamp` to `today` (default true). */
  readonly rebaseDates?: boolean;
  /** "Now" for rebasing (default: the current time). */
  readonly today?: Date;
}

export interface FixtureFileReport {
  readonly file: string;
  readonly resources: number;
  /** Days added to every full date (0 when rebasing is off). */
  readonly shiftDays: number;
}

export interface FixtureLoadReport {
  readonly files: readonly FixtureFileReport[];
  readonly resources: number;
  readonly elapsedMs: number;
}

/**
 * Posts every `*.json` transaction Bundle in `dir`, in file-name order, through the engine
 * (so urn:uuid references resolve and each file is all-or-nothing). Throws naming the file
 * that failed.
 */
export async function loadFixtures(engine: FhirEngine, dir: string, options: FixtureLoadOptions = {}): Promise<FixtureLoadReport> {
  const started = performance.now();
  const today = options.today ?? new Date();
  const names = (await readdir(dir)).filter((name) => name.endsWith('.json')).sort();
  const files: FixtureFileReport[] = [];
  for (const file of names) {
    const bundle = parseTransaction(file, await readFile(join(dir, file), 'utf8'));
    const shiftDays = options.rebaseDates === false ? 0 : rebaseDays(requireAnchor(file, bundle), today);
    const loaded = shiftDays === 0 ? bundle : rebaseBundleDates(bundle, today);
    await postTransaction(engine, file, loaded);
    files.push({ file, resources: loaded.entry?.filter((e) => e.resource).length ?? 0, shiftDays });
  }
  const resources = files.reduce((sum, f) => sum + f.resources, 0);
  return { files, resources, elapsedMs: Math.round(performance.now() - started) };
}

function parseTransaction(file: string, text: string): Bundle {
  let bundle: Partial<Bundle>;
  try {
    bundle = JSON.parse(text) as Partial<Bundle>;
  } catch (err) {
    throw new Error(`fixture ${file}: not valid JSON (${(err as Error).message})`);
  }
  if (bundle?.resourceType !== 'Bundle' || bundle.type !== 'transaction') {
    throw new Error(`fixture ${file}: expected a Bundle of type transaction`);
  }
  return bundle as Bundle;
}

function requireAnchor(file: string, bundle: Bundle): string {
  if (!bundle.timestamp || !FHIR_FULL_DATE.test(bundle.timestamp)) {
    throw new Error(`fixture ${file}: Bundle.timestamp (the date the data was written against) is missing or invalid`);
  }
  return bundle.timestamp;
}

async function postTransaction(engine: FhirEngine, file: string, bundle: Bundle): Promise<void> {
  const [outcome] = await engine.execute({ method: 'POST', url: '', body: bundle });
  if (!isOk(outcome)) {
    throw new Error(`fixture ${file}: transaction failed (HTTP ${getStatus(outcome)}): ${operationOutcomeToString(outcome)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Date rebasing
// ---------------------------------------------------------------------------------------------

/**
 * FHIR date, dateTime and instant values with at least day precision
 * (https://hl7.org/fhir/R4/datatypes.html#dateTime). Year and year-month values (`2019`,
 * `2019-04`) are left alone: a day shift cannot keep their precision, and bare years are easily
 * confused with codes.
 */
const FHIR_FULL_DATE =
  /^(?<year>[0-9](?:[0-9](?:[0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)-(?<month>0[1-9]|1[0-2])-(?<day>0[1-9]|[12][0-9]|3[01])(?<time>T(?:[01][0-9]|2[0-3]):[0-5][0-9]:(?:[0-5][0-9]|60)(?:\.[0-9]+)?(?:Z|[+-](?:(?:0[0-9]|1[0-3]):[0-5][0-9]|14:00)))?$/;

/**
 * Elements that are strings but never dates, even when their text looks like one
 * (an Identifier.value of "2021-05-04", a narrative, a code).
 */
const NOT_DATE_KEYS = new Set([
  'id',
  'versionId',
  'value',
  'valueString',
  'valueCode',
  'valueId',
  'valueUri',
  'valueMarkdown',
  'code',
  'system',
  'version',
  'reference',
  'display',
  'text',
  'div',
  'url',
]);

const DAY_MS = 86_400_000;

/** Whole days from the anchor's calendar date (as written) to today's UTC date. */
export function rebaseDays(anchor: string, today: Date): number {
  const match = FHIR_FULL_DATE.exec(anchor);
  if (!match?.groups) {
    throw new Error(`not a FHIR date with day precision: '${anchor}'`);
  }
  const { year, month, day } = match.groups;
  const anchorDay = utcDay(Number(year), Number(month), Number(day));
  const todayDay = utcDay(today.getUTCFullYear(), today.getUTCMonth() + 1, today.getUTCDate());
  return Math.round((todayDay - anchorDay) / DAY_MS);
}

/**
 * A deep copy of `bundle` with every full date, dateTime and instant in its resources (and its
 * own `timestamp`) moved by `rebaseDays(bundle.timestamp, today)` days. Times, fractional
 * seconds and UTC offsets are kept as written. Rebasing the result again for the same day is
 * a no-op.
 */
export function rebaseBundleDates<T extends Bundle>(bundle: T, today: Date): T {
  const copy = structuredClone(bundle);
  if (!copy.timestamp) {
    throw new Error('Bundle.timestamp is required to rebase dates');
  }
  const days = rebaseDays(copy.timestamp, today);
  copy.timestamp = shiftDateString(copy.timestamp, days);
  for (const entry of copy.entry ?? []) {
    if (entry.resource) {
      entry.resource = shiftDatesIn(entry.resource, days, '') as Resource;
    }
  }
  return copy;
}

/** Walks a JSON value; `name` is the element it sits under (array items share their array's name). */
function shiftDatesIn(node: unknown, days: number, name: string): unknown {
  if (typeof node === 'string') {
    return NOT_DATE_KEYS.has(name) ? node : shiftDateString(node, days);
  }
  if (Array.isArray(node)) {
    return node.map((item) => shiftDatesIn(item, days, name));
  }
  if (typeof node === 'object' && node !== null) {
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, shiftDatesIn(value, days, key)]));
  }
  return node;
}

/** Moves the calendar date and keeps everything after it (time, precision, offset) verbatim. */
export function shiftDateString(value: string, days: number): string {
  const match = FHIR_FULL_DATE.exec(value);
  if (!match?.groups || days === 0) {
    return value;
  }
  const { year, month, day, time } = match.groups;
  const original = utcDay(Number(year), Number(month), Number(day));
  if (formatDay(original) !== `${year}-${month}-${day}`) {
    return value; // e.g. 2023-02-30: not a real day, so there is nothing sensible to shift
  }
  return formatDay(original + days * DAY_MS) + (time ?? '');
}

function utcDay(year: number, month: number, day: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day); // unlike Date.UTC, keeps years 0-99 as written
  return date.getTime();
}

function formatDay(ms: number): string {
  const date = new Date(ms);
  const year = String(date.getUTCFullYear()).padStart(4, '0');
  const month = String(date.getUTCMonth() + 1).padStart(2, '0');
  const day = String(date.getUTCDate()).padStart(2, '0');
  return `${year}-${month}-${day}`;
}
