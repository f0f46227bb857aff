/**
 * Real cards, as the services emit them, for the profile transform tests: a service's own handler
 * run on a fixture patient (fhir-fixtures/, dates as written, "now" = the fixture anchor), with its
 * prefetch templates answered from the fixture bundle. Searches are matched in memory on what the
 * templates use (patient, code, category, status); paging and sorting do not matter for a whole
 * bundle. The HTTP path (sandbox FHIR engine, prefetch stage) is covered by test/integration/epic.test.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Bundle, FhirResource } from 'fhir/r4.js';
import { pino } from 'pino';
import { renderTemplate } from '../../src/cds/prefetch.js';
import type { CdsHandlerOutput, CdsServiceDefinition, PrefetchResult } from '../../src/cds/types.js';

const FIXTURES = resolve(process.cwd(), 'fhir-fixtures');

export function fixtureBundle(patientId: string): Bundle {
  const file = readdirSync(FIXTURES).find((f) => f.endsWith(`-${patientId}.json`));
  if (!file) throw new Error(`no fixture for ${patientId}`);
  return JSON.parse(readFileSync(resolve(FIXTURES, file), 'utf8')) as Bundle;
}

type Json = Record<string, any>;
const codings = (concepts: unknown): Json[] => (Array.isArray(concepts) ? concepts : concepts ? [concepts] : []).flatMap((c: Json) => c?.coding ?? []);
const tokenMatch = (token: string, cs: Json[]): boolean =>
  token.split(',').some((t) => {
    const [system, code] = t.includes('|') ? t.split('|') : [undefined, t];
    return cs.some((c) => c.code === code && (system === undefined || system === '' || c.system === system));
  });

function search(resources: readonly FhirResource[], query: string, patientId: string): Bundle {
  const [type, qs = ''] = query.split('?');
  const params = new URLSearchParams(qs);
  const found = resources.filter((r) => {
    const x = r as Json;
    if (r.resourceType !== type) return false;
    const patient = params.get('patient');
    if (patient !== null && (x['subject'] ?? x['patient'])?.reference !== `Patient/${patientId}`) return false;
    const code = params.get('code');
    if (code !== null && !tokenMatch(code, codings(x['code']))) return false;
    const category = params.get('category');
    if (category !== null && !tokenMatch(category, codings(x['category']))) return false;
    const status = params.get('status');
    if (status !== null && x['status'] !== status) return false;
    return true;
  });
  return { resourceType: 'Bundle', type: 'searchset', total: found.length, entry: found.map((resource) => ({ resource })) };
}

/** The service's prefetch, answered from the patient's fixture bundle, every key supplied. */
export function fixturePrefetch(templates: Readonly<Record<string, string>>, patientId: string): PrefetchResult {
  const resources = (fixtureBundle(patientId).entry ?? []).map((e) => e.resource!).filter(Boolean);
  const data: Record<string, FhirResource | null> = {};
  for (const [key, template] of Object.entries(templates)) {
    const r = renderTemplate(template, { patientId });
    if (!r.ok) throw new Error(r.reason);
    if (r.url.includes('?')) data[key] = search(resources, r.url, patientId);
    else {
      const [type, id] = r.url.split('/');
      data[key] = resources.find((x) => x.resourceType === type && x.id === id) ?? null;
    }
  }
  return { data, supplied: Object.keys(data), fetched: [], completed: [], unavailable: {}, incomplete: {}, deferred: [], deferredIncomplete: {} };
}

/** A draft MedicationRequest as an EHR sends it: the drug as a contained Medication (Epic) or a concept. */
export function draftOrder(patientId: string, rxnorm: string, name: string, opts: { doseMg?: number; id?: string; contained?: boolean } = {}): Json {
  const { doseMg = 100, id = 'draft-1', contained = false } = opts;
  const concept = { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: rxnorm, display: name }], text: name };
  return {
    resourceType: 'MedicationRequest',
    id,
    status: 'draft',
    intent: 'order',
    subject: { reference: `Patient/${patientId}` },
    ...(contained ? { contained: [{ resourceType: 'Medication', id: 'med1', code: concept }], medicationReference: { reference: '#med1' } } : { medicationCodeableConcept: concept }),
    dosageInstruction: [
      {
        text: `${doseMg} mg once daily`,
        timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd' } },
        doseAndRate: [{ doseQuantity: { value: doseMg, unit: 'mg', system: 'http://unitsofmeasure.org', code: 'mg' } }],
      },
    ],
  };
}

/**
 * Runs the service's handler on the fixture patient. `context` adds to { userId, patientId };
 * order hooks take `drafts` as context.draftOrders.
 */
export async function serviceCards(
  service: CdsServiceDefinition,
  patientId: string,
  opts: { hook?: string; drafts?: Json[]; hookInstance?: string } = {},
): Promise<CdsHandlerOutput> {
  const hook = opts.hook ?? service.hooks[0]!;
  const context: Json = { userId: 'Practitioner/dr-1', patientId };
  if (opts.drafts) context['draftOrders'] = { resourceType: 'Bundle', type: 'collection', entry: opts.drafts.map((resource) => ({ resource })) };
  if (hook === 'order-select') context['selections'] = (opts.drafts ?? []).map((d) => `MedicationRequest/${String(d['id'])}`);
  const now = new Date(fixtureBundle(patientId).timestamp!);
  return service.handler({
    request: { hook, hookInstance: opts.hookInstance ?? randomUUID(), context },
    prefetch: fixturePrefetch(service.prefetch ?? {}, patientId),
    log: pino({ level: 'silent' }),
    signal: new AbortController().signal,
    now,
  });
}
