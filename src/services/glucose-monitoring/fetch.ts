/**
 * FHIR fallback for CGM readings when the client did not prefetch them. Prefetch tokens cannot
 * name dates (spec 2.0 §Prefetch tokens), so the service asks for exactly the two 14-day periods
 * itself, both at once, each paged to its end under the request's deadline: about 4,000
 * Observations per period at 5-minute sampling, and nothing older.
 */
import type { Observation } from 'fhir/r4.js';
import type { FhirAccess } from '../../fhir/fhir-access.js';
import { resourcesOf } from '../../fhir/bundle.js';
import { remainingGap } from '../../cds/completeness.js';
import type { IncompleteData } from '../../cds/types.js';
import { CGM_CODES, tokensOf } from './codes.js';
import type { Period } from './metrics.js';


/** Every code that can be a CGM reading (generic glucose codes are kept only when tagged as CGM). */
export const READING_CODES: readonly string[] = [
  ...tokensOf(CGM_CODES.sensorReadings.mass),
  ...tokensOf(CGM_CODES.sensorReadings.molar),
  ...tokensOf(CGM_CODES.sensorReadings.unitFromValue ?? []),
  ...tokensOf(CGM_CODES.genericGlucose.mass),
  ...tokensOf(CGM_CODES.genericGlucose.molar),
];

/** Page size asked for: a 14-day period of 5-minute readings is five pages. */
export const PAGE_SIZE = 1000;

/** The search for one period: `date` ge start and lt end, newest first. */
export function periodQuery(patientId: string, period: Period): string {
  const p = new URLSearchParams();
  p.set('patient', patientId);
  p.set('code', READING_CODES.join(','));
  p.append('date', `ge${new Date(period.start).toISOString()}`);
  p.append('date', `lt${new Date(period.end).toISOString()}`);
  p.set('_sort', '-date');
  p.set('_count', String(PAGE_SIZE));
  return `Observation?${p.toString()}`;
}

export interface FetchedReadings {
  readonly observations: readonly Observation[];
  /**
   * Why the current period's readings are incomplete (paging stopped early): the caller must not
   * score them, nor say how much data there is (the core's data-incomplete card says why instead).
   */
  readonly currentIncomplete?: IncompleteData;
  /** Why there is no comparison: the previous period could not be fetched, or not all of it. */
  readonly previousFailed?: string;
}

/**
 * Fetches both periods concurrently. A failure of the current period throws (the caller answers
 * 412: no data, no card); a failure or cut of the previous one only loses the comparison, since
 * each period is its own date-bounded search and the current one stands on its own.
 */
export async function fetchReadings(fhir: FhirAccess, patientId: string, current: Period, previous: Period): Promise<FetchedReadings> {
  const [cur, prev] = await Promise.allSettled([fhir.get(periodQuery(patientId, current)), fhir.get(periodQuery(patientId, previous))]);
  if (cur.status === 'rejected') throw cur.reason;
  const observations = resourcesOf<Observation>(cur.value, 'Observation');
  const curGap = remainingGap(cur.value, fhir);
  const currentIncomplete = curGap ? { ...curGap, reason: `reading the last 14 days from the FHIR server: ${curGap.reason}` } : undefined;
  if (prev.status === 'rejected') {
    const why = (prev.reason as { failure?: string })?.failure ?? 'error';
    return { observations, ...(currentIncomplete ? { currentIncomplete } : {}), previousFailed: `the previous 14 days could not be fetched from the FHIR server (${why})` };
  }
  const prevGap = remainingGap(prev.value, fhir);
  return {
    observations: [...observations, ...resourcesOf<Observation>(prev.value, 'Observation')],
    ...(currentIncomplete ? { currentIncomplete } : {}),
    ...(prevGap ? { previousFailed: `not all readings of the previous 14 days could be fetched (${prevGap.reason})` } : {}),
  };
}
