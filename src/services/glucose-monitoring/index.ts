import type { Condition, Device, Observation, Patient } from 'fhir/r4.js';
import type { AgpLinkStore } from '../../agp/link-store.js';
import { loadCardTemplates } from '../../cards/templates.js';
import type { CdsServiceDefinition } from '../../cds/types.js';
import { resourcesOf } from '../../fhir/bundle.js';
import { HttpError } from '../../errors/http-error.js';
import { IncompleteDataError } from '../../cds/incomplete.js';
import type { ConditionCategory } from '../cardiovascular-risk/features/codes.js';
import { agpProfile, type AgpChart } from './agp.js';
import { assessGlucose, type CgmAssessment, type CgmRecord } from './assess.js';
import { buildCard, SERVICE_ID, type AgpLink, type CgmCardTemplates } from './cards.js';
import { CGM_CODES, summaryCodes, tokensOf, type CodeEntry } from './codes.js';
import { SUMMARY_KEYS } from './summary.js';
import { fetchReadings, PAGE_SIZE, READING_CODES } from './fetch.js';
import { CONSENSUS } from './knowledge.js';

const DAY_MS = 86_400_000;

/** LOINC only: ballot-era temporary codes are still read when supplied, but would make the query too long to ask for. */
const SUMMARY_CODES = [
  ...new Set([...SUMMARY_KEYS, 'timesInRangesPanel'].flatMap((k) => tokensOf(summaryCodes(k).filter((c) => c.system === 'http://loinc.org')))),
];

/**
 * Prefetch templates (spec 2.0 §Prefetch template), within the recommended query subset.
 * `cgmReadings` cannot carry a date window (tokens have no dates), so a client that prefetches it
 * sends the newest readings first; when it is not prefetched the service fetches exactly the two
 * 14-day periods itself (deferred).
 */
export const CGM_PREFETCH = {
  patient: 'Patient/{{context.patientId}}',
  conditions: 'Condition?patient={{context.patientId}}',
  cgmReadings: `Observation?patient={{context.patientId}}&code=${READING_CODES.join(',')}&_sort=-date&_count=${PAGE_SIZE}`,
  cgmSummary: `Observation?patient={{context.patientId}}&code=${SUMMARY_CODES.join(',')}&_sort=-date&_count=100`,
  devices: 'Device?patient={{context.patientId}}',
} as const;

export interface CgmServiceDeps {
  readonly cardsDir: string;
  readonly publicBaseUrl: string;
  /** Where AGP charts wait for their link to be followed; no store, no link. */
  readonly agpLinks?: AgpLinkStore;
  /** Lifetime of an AGP link. */
  readonly agpLinkTtlMs: number;
  readonly showOnTarget: boolean;
  /** Conditions that call for the older/high-risk targets (default: data/codes.json highRiskConditions). */
  readonly highRiskConditions?: readonly CodeEntry[];
}

/** The high-risk list as a condition category: SNOMED CT exact, ICD-10-CM by code prefix (N18.6 covers N18.6x). */
export function highRiskCategory(codes: readonly CodeEntry[]): ConditionCategory {
  return {
    id: 'cgm-high-risk',
    label: 'high-risk condition',
    snomed: codes.filter((c) => c.system === 'http://snomed.info/sct').map((c) => ({ code: c.code, display: c.display ?? c.code })),
    icd10Prefixes: codes.filter((c) => c.system.includes('icd-10')).map((c) => c.code),
    icd10Exclude: [],
  };
}

async function agpLink(a: CgmAssessment, deps: CgmServiceDeps, now: Date): Promise<AgpLink | undefined> {
  if (!deps.agpLinks || !a.agpReadings || a.agpReadings.length === 0) return undefined;
  const chart: AgpChart = {
    profile: agpProfile(a.agpReadings),
    periodStart: a.current.start,
    // The chart names the last day of the period; the period's end instant is exclusive.
    periodEnd: new Date(Date.parse(a.current.end) - 1).toISOString(),
    unit: a.displayUnit,
    daysWithData: a.current.daysWithData ?? 0,
    capturedPercent: Math.round((a.current.capturedPercent ?? 0) * 10) / 10,
    targetLow: CONSENSUS.thresholdsMgdl.low,
    targetHigh: CONSENSUS.thresholdsMgdl.high,
  };
  const token = await deps.agpLinks.put(chart, deps.agpLinkTtlMs);
  return {
    url: `${deps.publicBaseUrl}/agp/${token}`,
    expiresAt: new Date(now.getTime() + deps.agpLinkTtlMs).toISOString(),
    minutes: Math.round(deps.agpLinkTtlMs / 60_000),
  };
}

/** `glucose-monitoring` on patient-view: consensus CGM metrics of the last 14 days, hypoglycemia first. */
export function glucoseMonitoringService(deps: CgmServiceDeps): CdsServiceDefinition {
  const templates = loadCardTemplates<CgmCardTemplates>(deps.cardsDir, SERVICE_ID);
  const highRisk = highRiskCategory(deps.highRiskConditions ?? CGM_CODES.highRiskConditions.codes);
  return {
    id: SERVICE_ID,
    hooks: ['patient-view'],
    title: 'Continuous glucose monitoring: time in range',
    description:
      'Turns the last 14 days of CGM sensor readings into the International Consensus on Time in Range metrics (time in ranges, mean glucose, GMI, CV, level-2 hypoglycemia events), compares them with the targets that apply and the previous 14 days, and links an ambulatory glucose profile.',
    prefetch: CGM_PREFETCH,
    // Devices tell which glucose results (2339-0 / 15074-8) came from a CGM: without them those cannot be classified.
    requiredPrefetch: ['patient', 'conditions', 'devices'],
    deferredPrefetch: ['cgmReadings'],
    usageRequirements: 'Needs read access to Patient, Condition, Observation and Device for the patient in context.',
    handler: async ({ request, prefetch, fhir, now, log }) => {
      const patientId = String(request.context['patientId']);
      const d = prefetch.data;
      const patient = resourcesOf<Patient>(d['patient'], 'Patient')[0];
      const periodMs = CONSENSUS.sufficiency.periodDays * DAY_MS;
      const current = { start: now.getTime() - periodMs, end: now.getTime() };
      const previous = { start: now.getTime() - 2 * periodMs, end: current.start };

      let readings: readonly Observation[];
      let previousFailed: string | undefined;
      if (prefetch.deferred.includes('cgmReadings')) {
        if (!fhir) {
          throw new HttpError('PRECONDITION_FAILED', [
            { diagnostics: 'prefetch "cgmReadings" was not supplied and the request gives no FHIR server access to fetch it', expression: 'prefetch.cgmReadings' },
          ]);
        }
        const fetched = await fetchReadings(fhir, patientId, current, previous);
        // Partial readings would bias every metric and the data-sufficiency figure: the core says why instead.
        if (fetched.currentIncomplete) throw new IncompleteDataError({ cgmReadings: fetched.currentIncomplete });
        readings = fetched.observations;
        previousFailed = fetched.previousFailed;
      } else {
        // Supplied: whole, or completed by the core (an incomplete Bundle never reaches this handler).
        readings = resourcesOf<Observation>(d['cgmReadings'], 'Observation');
      }
      const record: CgmRecord = {
        patientId,
        ...(patient ? { patient } : {}),
        conditions: resourcesOf<Condition>(d['conditions'], 'Condition'),
        conditionsKnown: d['conditions'] !== undefined,
        readings,
        summaries: resourcesOf<Observation>(d['cgmSummary'], 'Observation'),
        devices: resourcesOf<Device>(d['devices'], 'Device'),
        ...(previousFailed ? { previousFailed } : {}),
      };
      const assessment = assessGlucose(record, now, { highRisk });
      if (!assessment) return { cards: [] };
      let agp: AgpLink | undefined;
      try {
        agp = await agpLink(assessment, deps, now);
      } catch (err) {
        // The metrics stand without the picture; say nothing about a link that does not exist.
        log.warn({ err }, 'AGP chart could not be stored; card sent without its link');
      }
      const built = buildCard(assessment, templates, { hookInstance: request.hookInstance, ...(agp ? { agp } : {}) }, { showOnTarget: deps.showOnTarget });
      if (!built) return { cards: [] };
      return {
        cards: [built.card],
        provenance: {
          models: [],
          ruleTables: [{ id: CONSENSUS.id, version: CONSENSUS.version }],
          cardKinds: { [built.card.uuid!]: built.kind },
        },
      };
    },
  };
}
