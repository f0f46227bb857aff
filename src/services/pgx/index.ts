import type { MedicationRequest, MedicationStatement, Observation, Patient } from 'fhir/r4.js';
import { loadCardTemplates } from '../../cards/templates.js';
import { resourcesOf } from '../../fhir/bundle.js';
import type { Card, CdsServiceDefinition, PrefetchResult } from '../../cds/types.js';
import type { ModelRunner } from '../cardiovascular-risk/assess.js';
import { assessDrug, interpretResults, type DrugOptions } from './assess.js';
import { conflictCard, indeterminateCard, notUsableCard, PGX_SERVICE_ID, recommendationCard, testCard, unreadableCard, warfarinCard, type DraftForCard, type PgxCardTemplates } from './cards.js';
import { loadJson } from '../../util/data-file.js';
import { activeMedicationIngredients, extractDraftMedications, extractPgxResults } from './inputs/index.js';
import type { SuggestionContext } from './suggestions.js';
import { iwpcGenotypeProblems, predictWarfarinDose, vkorc1GenotypeOf, warfarinInputs } from './warfarin.js';

const LOINC = 'http://loinc.org';
/** Version of the CPIC data the rule tables were written from, recorded with each decision. */
const CPIC_DATA_VERSION = loadJson<{ cpicDataVersion: string }>(import.meta.url, './knowledge/data/recommendations.json').cpicDataVersion;

/**
 * Prefetch (spec 2.0 §Prefetch template): genomic results by the Genetics category and by the
 * Genomics Reporting IG genotype/haplotype codes (merged, de-duplicated), body size and active
 * medications for the warfarin model.
 */
export const PGX_PREFETCH = {
  patient: 'Patient/{{context.patientId}}',
  genomics: 'Observation?patient={{context.patientId}}&category=http://terminology.hl7.org/CodeSystem/v2-0074|GE&_count=200',
  genotypes: `Observation?patient={{context.patientId}}&code=${LOINC}|84413-4,${LOINC}|84414-2&_count=200`,
  body: `Observation?patient={{context.patientId}}&code=${LOINC}|8302-2,${LOINC}|29463-7&_sort=-date&_count=20`,
  medicationRequests: 'MedicationRequest?patient={{context.patientId}}&status=active',
  medicationStatements: 'MedicationStatement?patient={{context.patientId}}&status=active',
} as const;


function observations(d: PrefetchResult['data']): Observation[] {
  const byId = new Map<string, Observation>();
  const anonymous: Observation[] = [];
  for (const key of ['genomics', 'genotypes', 'body'] as const) {
    for (const o of resourcesOf<Observation>(d[key], 'Observation')) {
      if (o.id) byId.set(o.id, o);
      else anonymous.push(o);
    }
  }
  return [...byId.values(), ...anonymous];
}

// Enzyme inducers in the IWPC algorithm (carbamazepine, phenytoin, rifampin/rifampicin) and amiodarone, by RxNorm ingredient.
const INDUCERS = new Set(['2002', '8183', '9384']);
const AMIODARONE = '703';

export interface PgxServiceDeps {
  readonly models: ModelRunner;
  readonly cardsDir: string;
  readonly options: DrugOptions;
  readonly bodyLookbackDays?: number;
}

/** `pharmacogenomics` on order-select and order-sign: CPIC checks of the draft orders and IWPC warfarin dosing. */
export function pharmacogenomicsService(deps: PgxServiceDeps): CdsServiceDefinition {
  const templates = loadCardTemplates<PgxCardTemplates>(deps.cardsDir, PGX_SERVICE_ID);
  return {
    id: PGX_SERVICE_ID,
    hooks: ['order-select', 'order-sign'],
    title: 'Pharmacogenomic medication check (CPIC)',
    description:
      "Checks draft medication orders against the patient's pharmacogenomic results with the CPIC guidelines: avoid, change drug or dose, or order a missing test; predicts the warfarin dose with the IWPC pharmacogenetic algorithm.",
    prefetch: PGX_PREFETCH,
    requiredPrefetch: Object.keys(PGX_PREFETCH),
    usageRequirements: 'Needs read access to the patient, Observations (genomic results, height, weight) and active medications.',
    handler: async ({ request, prefetch, now }) => {
      const patientId = String(request.context['patientId']);
      const drafts = extractDraftMedications(request.context, request.hook as 'order-select' | 'order-sign');
      if (drafts.length === 0) return { cards: [] };
      const d = prefetch.data;
      const obs = observations(d);
      const genomics = interpretResults(extractPgxResults(obs, now));
      const ctx: SuggestionContext = { serviceId: PGX_SERVICE_ID, hookInstance: request.hookInstance, patientId };
      const cards: Card[] = [];
      const kinds: Record<string, string> = {};
      let usedWarfarinModel = false;
      for (const [i, draft] of drafts.entries()) {
        if (draft.matchedBy === 'none') continue; // no code and no text: nothing to check
        // Topical and other non-systemic forms (e.g. fluorouracil cream) are outside the CPIC recommendations.
        if (draft.nonSystemic) continue;
        const forCard: DraftForCard = { ...draft, key: draft.reference ?? `draft-${i}` };
        for (const ingredient of draft.ingredients) {
          for (const a of assessDrug(ingredient.rxnorm, genomics, deps.options)) {
            switch (a.kind) {
              case 'recommendations':
                for (const r of a.recommendations) {
                  const card = recommendationCard(r, a.findings, forCard, templates, ctx);
                  kinds[card.uuid!] = r.id;
                  cards.push(card);
                }
                break;
              case 'conflict':
                cards.push(conflictCard(a.conflict, ingredient.name, forCard, templates, ctx));
                kinds[cards.at(-1)!.uuid!] = 'conflict';
                break;
              case 'indeterminate':
                cards.push(indeterminateCard(a.finding, ingredient.name, forCard, templates, ctx));
                kinds[cards.at(-1)!.uuid!] = 'indeterminate';
                break;
              case 'not-usable':
                cards.push(notUsableCard(a.finding, a.why, ingredient.name, forCard, templates, ctx));
                kinds[cards.at(-1)!.uuid!] = 'result-not-usable';
                break;
              case 'test':
                cards.push(testCard(a.genes, ingredient.name, forCard, templates, ctx));
                kinds[cards.at(-1)!.uuid!] = 'test-order';
                break;
              case 'unreadable':
                cards.push(unreadableCard(a.unreadable, ingredient.name, forCard, templates, ctx));
                kinds[cards.at(-1)!.uuid!] = 'unreadable-result';
                break;
              case 'warfarin': {
                const meds = activeMedicationIngredients(resourcesOf<MedicationRequest>(d['medicationRequests'], 'MedicationRequest'), resourcesOf<MedicationStatement>(d['medicationStatements'], 'MedicationStatement'));
                const codes = new Set(meds.map((m) => m.rxnorm));
                const blocked = new Set(a.unreadable?.genes ?? []);
                const vk = blocked.has('VKORC1') ? undefined : genomics.findings['VKORC1'];
                const vkorc1Genotype = vk ? vkorc1GenotypeOf(vk) : undefined;
                const cyp2c9 = blocked.has('CYP2C9') ? undefined : genomics.findings['CYP2C9'];
                const x = warfarinInputs({
                  patient: resourcesOf<Patient>(d['patient'], 'Patient')[0],
                  observations: obs,
                  now,
                  ...(vkorc1Genotype ? { vkorc1Genotype } : {}),
                  ...(cyp2c9?.diplotype ? { cyp2c9Diplotype: cyp2c9.diplotype } : {}),
                  amiodarone: codes.has(AMIODARONE),
                  enzymeInducer: [...INDUCERS].some((c) => codes.has(c)),
                  ...(deps.bodyLookbackDays ? { bodyLookbackDays: deps.bodyLookbackDays } : {}),
                });
                // An unreadable VKORC1 or CYP2C9 result: no estimate. The algorithm's "genotype unknown" term means
                // not tested (IWPC, NEJM 2009;360:753-764), which such a patient is not.
                // A result the algorithm cannot map (a phenotype without genotype, a conflict) is no "not tested" either.
                const unusable = iwpcGenotypeProblems(
                  { ...(vk ? { finding: vk } : {}), ...(!blocked.has('VKORC1') && genomics.conflicts['VKORC1'] ? { conflict: genomics.conflicts['VKORC1'] } : {}) },
                  { ...(cyp2c9 ? { finding: cyp2c9 } : {}), ...(!blocked.has('CYP2C9') && genomics.conflicts['CYP2C9'] ? { conflict: genomics.conflicts['CYP2C9'] } : {}) },
                );
                const { dose, notCalculated } =
                  a.unreadable || unusable.length > 0
                    ? {
                        dose: undefined,
                        notCalculated: [
                          ...(a.unreadable?.genes ?? []).map((g) => (a.unreadable!.geneStated ? `${g} result could not be read` : `a result of unknown gene, maybe ${g}, could not be read`)),
                          ...unusable,
                          ...x.missing.map((m) => `${m} not on file`),
                        ],
                      }
                    : await predictWarfarinDose(deps.models, x);
                cards.push(warfarinCard(x, dose, notCalculated, forCard, templates, ctx, a.unreadable));
                kinds[cards.at(-1)!.uuid!] = dose ? 'warfarin-dose' : 'warfarin-not-calculated';
                usedWarfarinModel ||= dose !== undefined;
                break;
              }
              case 'none':
                break;
            }
          }
        }
      }
      const iwpcModel = usedWarfarinModel ? deps.models.get('iwpc-warfarin') : undefined;
      return {
        cards,
        provenance: {
          models: iwpcModel ? [{ id: iwpcModel.card.id, version: String(iwpcModel.version) }] : [],
          ruleTables: [{ id: 'cpic-recommendations', version: CPIC_DATA_VERSION }],
          cardKinds: kinds,
        },
      };
    },
  };
}
