/**
 * CGM sensor readings from FHIR Observations: which Observations are CGM readings, their unit
 * conversion, and what is dropped (and counted) on the way.
 */
import type { Device, Observation, Reference } from 'fhir/r4.js';
import { CGM_CODES, codeSet, codingKey, hasCode, type CodeEntry } from './codes.js';
import { CONSENSUS } from './knowledge.js';
import type { Period, Reading } from './metrics.js';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

const CGM_CATEGORY = codeSet(CGM_CODES.cgmTags.categoryCodes);
const CGM_DEVICE_TYPE = codeSet(CGM_CODES.cgmTags.deviceTypeCodes);
const CGM_TEXT = CGM_CODES.cgmTags.textPatterns.map((p) => new RegExp(p, 'i'));
type Kind = { readonly unit: 'mg/dL' | 'mmol/L' | 'stated'; readonly generic: boolean };
const kinds = (entries: readonly CodeEntry[], kind: Kind): [string, Kind][] => entries.map((e) => [codingKey(e.system, e.code), kind]);
/** Every reading code by `system|code`; sensor codes win over generic ones when an Observation has both. */
const CODE_KIND: ReadonlyMap<string, Kind> = new Map<string, Kind>([
  ...kinds(CGM_CODES.genericGlucose.mass, { unit: 'mg/dL', generic: true }),
  ...kinds(CGM_CODES.genericGlucose.molar, { unit: 'mmol/L', generic: true }),
  ...kinds(CGM_CODES.sensorReadings.unitFromValue ?? [], { unit: 'stated', generic: false }),
  ...kinds(CGM_CODES.sensorReadings.mass, { unit: 'mg/dL', generic: false }),
  ...kinds(CGM_CODES.sensorReadings.molar, { unit: 'mmol/L', generic: false }),
]);
const textSaysCgm = (text: string | undefined): boolean => !!text && CGM_TEXT.some((re) => re.test(text));

/** Whether an Observation's subject is this patient (`Patient/<id>`, relative or absolute); no subject is not. */
export function recordedFor(obs: Observation, patientId: string): boolean {
  const subject = obs.subject?.reference;
  return subject === `Patient/${patientId}` || !!subject?.endsWith(`/Patient/${patientId}`);
}

/** Observation statuses whose value stands (entered-in-error, cancelled and the like do not). */
const USABLE_STATUS = new Set(['final', 'amended', 'corrected', 'preliminary']);

export interface DroppedCounts {
  /** Below 20 or above 600 mg/dL: not a physiological sensor value. */
  readonly implausible: number;
  /** No usable time, value or unit, or a unit that contradicts the code. */
  readonly unusable: number;
  /** A second reading at the same instant. */
  readonly duplicate: number;
  /** Status entered-in-error, cancelled, registered or unknown. */
  readonly notFinal: number;
  /** Recorded for another patient (or for no patient): never used for this one. */
  readonly otherSubject: number;
}

export interface ReadingSet {
  /** Sorted by time, one per instant, inside the window. */
  readonly readings: readonly Reading[];
  readonly dropped: DroppedCounts;
  /** Readings recorded in each unit (before conversion): the card shows the patient's usual unit. */
  readonly unitCounts: { readonly mgdl: number; readonly mmol: number };
  /** Kinds of CGM evidence used: sensor codes, or generic glucose codes tagged as CGM. */
  readonly taggedGeneric: number;
  /** Latest reading time (epoch ms) of any CGM reading seen, also outside the window. */
  readonly latest?: number;
}

/** Device ids (`Device/<id>` and bare `<id>`) whose type or name says continuous glucose monitor. */
export function cgmDeviceRefs(devices: readonly Device[]): ReadonlySet<string> {
  const out = new Set<string>();
  for (const d of devices) {
    if (!d.id) continue;
    const isCgm =
      hasCode(CGM_DEVICE_TYPE, d.type?.coding) ||
      textSaysCgm(d.type?.text) ||
      !!d.type?.coding?.some((c) => textSaysCgm(c.display)) ||
      !!d.deviceName?.some((n) => textSaysCgm(n.name));
    if (isCgm) {
      out.add(`Device/${d.id}`);
      out.add(d.id);
    }
  }
  return out;
}

function deviceSaysCgm(ref: Reference | undefined, cgmDevices: ReadonlySet<string>): boolean {
  if (!ref) return false;
  if (ref.reference && cgmDevices.has(ref.reference.replace(/^.*\/(Device\/[^/]+)$/, '$1'))) return true;
  return textSaysCgm(ref.display);
}

/**
 * Whether an Observation is a CGM sensor reading: a sensor-reading code (LOINC 99504-3 or
 * 105272-9), or a generic glucose code (2339-0, 15074-8) that the record tags as CGM through its
 * category or its device. Returns the unit its code implies.
 */
export function cgmKind(obs: Observation, cgmDevices: ReadonlySet<string>): { unit: 'mg/dL' | 'mmol/L' | 'stated'; generic: boolean } | undefined {
  // One map lookup per coding: this runs once per reading, about 8,000 times per request.
  let generic: 'mg/dL' | 'mmol/L' | undefined;
  for (const c of obs.code?.coding ?? []) {
    const k = CODE_KIND.get(`${c.system}|${c.code}`);
    if (k === undefined) continue;
    if (!k.generic) return k;
    generic ??= k.unit as 'mg/dL' | 'mmol/L';
  }
  if (!generic) return undefined;
  const tagged =
    !!obs.category?.some((c) => hasCode(CGM_CATEGORY, c.coding) || textSaysCgm(c.text) || !!c.coding?.some((x) => textSaysCgm(x.display))) ||
    deviceSaysCgm(obs.device, cgmDevices) ||
    textSaysCgm(obs.method?.text);
  return tagged ? { unit: generic, generic: true } : undefined;
}

/** The unit a quantity states (UCUM code first, then the human unit); undefined when it names none we know. */
function quantityUnit(q: Observation['valueQuantity']): 'mg/dL' | 'mmol/L' | 'other' | undefined {
  const raw = (q?.code ?? q?.unit)?.trim();
  if (!raw) return undefined;
  const u = raw.toLowerCase();
  if (u === 'mg/dl') return 'mg/dL';
  if (u === 'mmol/l') return 'mmol/L';
  return 'other';
}

const OFFSET = /(Z|([+-])(\d{2}):(\d{2}))$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** Epoch ms and minute of day on the timestamp's own clock; undefined unless a full date-time with offset. */
export function readingTime(text: string | undefined): { t: number; minuteOfDay: number } | undefined {
  if (!text || !DATE_TIME.test(text)) return undefined;
  const t = Date.parse(text);
  if (Number.isNaN(t)) return undefined;
  if (text.endsWith('Z')) return { t, minuteOfDay: (((t % DAY_MS) + DAY_MS) % DAY_MS) / MINUTE_MS };
  const m = OFFSET.exec(text)!;
  const offsetMin = m[1] === 'Z' ? 0 : (m[2] === '-' ? -1 : 1) * (Number(m[3]) * 60 + Number(m[4]));
  const local = t + offsetMin * MINUTE_MS;
  return { t, minuteOfDay: (((local % DAY_MS) + DAY_MS) % DAY_MS) / MINUTE_MS };
}

/**
 * Readings inside `window` from CGM Observations. mg/dL values are classified exactly as
 * reported: 180.4 mg/dL is above 180 (the consensus bands are strict outside 70-180 inclusive;
 * rounding it to 180 would count a high reading as in range). Only a value converted from mmol/L
 * (at 18.016 mg/dL per mmol/L) is rounded, to the whole mg/dL a CGM device reports, so the
 * consensus mmol/L bounds (3.0, 3.9, 10.0, 13.9) fall on the mg/dL ones (54, 70, 180, 250) and a
 * mmol/L series gives the same metrics as its mg/dL original. Values below 20 or above 600 mg/dL
 * are dropped and counted; so are duplicates, unusable and not-final readings. Inputs are not modified.
 */
export function extractReadings(observations: readonly Observation[], devices: readonly Device[], window: Period, patientId: string): ReadingSet {
  const cgmDevices = cgmDeviceRefs(devices);
  const { min, max } = CONSENSUS.plausibleMgdl;
  const raw: Reading[] = [];
  let implausible = 0;
  let unusable = 0;
  let notFinal = 0;
  let otherSubject = 0;
  let mgdlCount = 0;
  let mmolCount = 0;
  let taggedGeneric = 0;
  let latest: number | undefined;
  for (const obs of observations) {
    const kind = cgmKind(obs, cgmDevices);
    if (!kind) continue;
    if (!recordedFor(obs, patientId)) {
      otherSubject += 1;
      continue;
    }
    const when = readingTime(obs.effectiveDateTime ?? obs.effectiveInstant);
    if (when && (latest === undefined || when.t > latest) && when.t < window.end) latest = when.t;
    if (when && (when.t < window.start || when.t >= window.end)) continue;
    if (!USABLE_STATUS.has(obs.status)) {
      notFinal += 1;
      continue;
    }
    const value = obs.valueQuantity?.value;
    const stated = quantityUnit(obs.valueQuantity);
    // A unit that contradicts the code is a recording error: the value cannot be trusted either way.
    const unit = kind.unit === 'stated' ? stated : stated === undefined || stated === kind.unit ? kind.unit : undefined;
    if (!when || typeof value !== 'number' || !Number.isFinite(value) || (unit !== 'mg/dL' && unit !== 'mmol/L')) {
      unusable += 1;
      continue;
    }
    const mgdlExact = unit === 'mmol/L' ? value * CONSENSUS.mgdlPerMmol : value;
    if (mgdlExact < min || mgdlExact > max) {
      implausible += 1;
      continue;
    }
    if (unit === 'mmol/L') mmolCount += 1;
    else mgdlCount += 1;
    if (kind.generic) taggedGeneric += 1;
    raw.push({ t: when.t, minuteOfDay: when.minuteOfDay, mgdl: unit === 'mmol/L' ? Math.round(mgdlExact) : value });
  }
  raw.sort((a, b) => a.t - b.t);
  const readings: Reading[] = [];
  let duplicate = 0;
  for (const r of raw) {
    if (readings.length > 0 && readings[readings.length - 1]!.t === r.t) duplicate += 1;
    else readings.push(r);
  }
  return {
    readings,
    dropped: { implausible, unusable, duplicate, notFinal, otherSubject },
    unitCounts: { mgdl: mgdlCount, mmol: mmolCount },
    taggedGeneric,
    ...(latest !== undefined ? { latest } : {}),
  };
}
