import type { Condition, MedicationRequest, MedicationStatement, Observation, Patient } from 'fhir/r4.js';
import { loadCardTemplates } from '../../cards/templates.js';
import { resourcesOf } from '../../fhir/bundle.js';
import type { CdsServiceDefinition, PrefetchResult } from '../../cds/types.js';
import { assessCardiovascularRisk, GUIDELINE_VERSION, type ModelRunner } from './assess.js';
import { buildCards, SERVICE_ID, type CvdCardTemplates } from './cards.js';
import { extractCvdFeatures, type FeatureConfig, type PatientRecord } from './features/index.js';

const LOINC = 'http://loinc.org';
const codes = (...c: string[]): string => c.map((x) => `${LOINC}|${x}`).join(',');

/**
 * Prefetch templates (spec 2.0 §Prefetch template), within the recommended query subset:
 * newest first, so paging limits only ever drop the oldest values.
 */
export const CVD_PREFETCH = {
  patient: 'Patient/{{context.patientId}}',
  lipids: `Observation?patient={{context.patientId}}&code=${codes('2093-3', '2085-9', '13457-7', '18262-6', '2089-1', '14647-2', '14646-4')}&_sort=-date&_count=100`,
  bloodPressure: `Observation?patient={{context.patientId}}&code=${codes('85354-9', '55284-4', '8480-6')}&_sort=-date&_count=100`,
  smoking: `Observation?patient={{context.patientId}}&code=${codes('72166-2')}&_sort=-date&_count=20`,
  body: `Observation?patient={{context.patientId}}&code=${codes('39156-5', '8302-2', '29463-7')}&_sort=-date&_count=50`,
  renal: `Observation?patient={{context.patientId}}&code=${codes('33914-3', '48642-3', '48643-1', '62238-1', '98979-8', '2160-0')}&_sort=-date&_count=50`,
  conditions: 'Condition?patient={{context.patientId}}',
  medicationRequests: 'MedicationRequest?patient={{context.patientId}}&status=active',
  medicationStatements: 'MedicationStatement?patient={{context.patientId}}&status=active',
} as const;


/** The patient's record from the resolved prefetch (supplied or fetched). */
export function recordFromPrefetch(prefetch: PrefetchResult): PatientRecord {
  const d = prefetch.data;
  const patient = resourcesOf<Patient>(d['patient'], 'Patient')[0];
  return {
    ...(patient ? { patient } : {}),
    observations: (['lipids', 'bloodPressure', 'smoking', 'body', 'renal'] as const).flatMap((k) => resourcesOf<Observation>(d[k], 'Observation')),
    conditions: resourcesOf<Condition>(d['conditions'], 'Condition'),
    medicationRequests: resourcesOf<MedicationRequest>(d['medicationRequests'], 'MedicationRequest'),
    medicationStatements: resourcesOf<MedicationStatement>(d['medicationStatements'], 'MedicationStatement'),
  };
}

export interface CvdServiceDeps {
  readonly models: ModelRunner;
  readonly cardsDir: string;
  readonly publicBaseUrl: string;
  readonly features?: FeatureConfig;
}

/** `cardiovascular-risk` on patient-view: PCE and PREVENT 10-year risk with 2018 AHA/ACC guidance. */
export function cardiovascularRiskService(deps: CvdServiceDeps): CdsServiceDefinition {
  const templates = loadCardTemplates<CvdCardTemplates>(deps.cardsDir, SERVICE_ID);
  return {
    id: SERVICE_ID,
    hooks: ['patient-view'],
    title: '10-year cardiovascular risk (PCE and PREVENT)',
    description:
      'Estimates 10-year ASCVD risk by the ACC/AHA Pooled Cohort Equations and total CVD, ASCVD and heart-failure risk by the AHA PREVENT equations, explains what drives it, and suggests a statin where the 2018 AHA/ACC cholesterol guideline indicates one.',
    prefetch: CVD_PREFETCH,
    // Without the whole record (conditions and medications included) no number can be backed.
    requiredPrefetch: Object.keys(CVD_PREFETCH),
    usageRequirements: 'Needs read access to Patient, Observation, Condition, MedicationRequest and MedicationStatement for the patient in context.',
    handler: async ({ request, prefetch, now }) => {
      const patientId = String(request.context['patientId']);
      const record = recordFromPrefetch(prefetch);
      const features = extractCvdFeatures(record, now, deps.features);
      const assessment = await assessCardiovascularRisk(features, deps.models);
      const cards = buildCards(assessment, templates, { hookInstance: request.hookInstance, patientId, publicBaseUrl: deps.publicBaseUrl });
      const results = [assessment.pce?.result, assessment.prevent.cvd, assessment.prevent.ascvd, assessment.prevent.hf].filter((r) => r !== undefined);
      return {
        cards,
        provenance: {
          models: results.map((r) => ({ id: r.modelId, version: String(r.version) })),
          ruleTables: [{ id: 'acc-aha-2018-cholesterol', version: GUIDELINE_VERSION }],
          cardKinds: Object.fromEntries(cards.map((c, i) => [c.uuid!, i === 0 ? assessment.outcome.kind : 'lipid-panel'])),
        },
      };
    },
  };
}
