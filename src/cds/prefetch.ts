import type { Bundle, FhirResource } from 'fhir/r4.js';
import { FhirAccessError, type FhirAccess } from '../fhir/fhir-access.js';
import { resourcesOf } from '../fhir/bundle.js';
import { completionFailed, noAccess, remainingGap, visibleGap, type BundleGap } from './completeness.js';
import type { CdsHookRequest, IncompleteData, PrefetchResult } from './types.js';

/**
 * Prefetch tokens, spec 2.0 §Prefetch tokens: delimited by {{ and }}, holding either
 * `context.<field>` (root-level primitive context fields only) or one of four user identifiers.
 * https://cds-hooks.hl7.org/2.0/#prefetch-tokens
 */
const TOKEN = /\{\{\s*([^{}]*?)\s*\}\}/g;
const USER_TOKENS: Readonly<Record<string, string>> = {
  userPractitionerId: 'Practitioner',
  userPractitionerRoleId: 'PractitionerRole',
  userPatientId: 'Patient',
  userRelatedPersonId: 'RelatedPerson',
};
const CONTEXT_TOKEN = /^context\.([A-Za-z][A-Za-z0-9_]*)$/;

/** Checks a template at registration; throws naming the bad token. */
export function validateTemplate(template: string): void {
  const withoutTokens = template.replace(TOKEN, '');
  if (withoutTokens.includes('{{') || withoutTokens.includes('}}')) throw new Error(`unbalanced token braces in "${template}"`);
  for (const m of template.matchAll(TOKEN)) {
    const name = m[1] ?? '';
    if (!CONTEXT_TOKEN.test(name) && !(name in USER_TOKENS)) throw new Error(`unsupported prefetch token "{{${name}}}"`);
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(template) || template.startsWith('/')) throw new Error(`prefetch template must be a relative FHIR query: "${template}"`);
}

/**
 * Spec 2.0 §Prefetch query restrictions (RECOMMENDED, requirement 58): reads by id, and type
 * searches using reference, token (equality or `:in`) and date (eq/lt/gt/ge/le) parameters,
 * `_count` and `_sort`. Our own services keep to it so every CDS client can prefetch for them.
 */
export function checkQuerySubset(template: string): void {
  const [path, query] = template.split('?', 2) as [string, string | undefined];
  const segments = path.split('/');
  if (!/^[A-Z][A-Za-z]+$/.test(segments[0] ?? '') || segments.length > 2) throw new Error(`"${template}": only Type/{id} reads and Type?query searches`);
  if (segments.length === 2 && query !== undefined) throw new Error(`"${template}": a read takes no query`);
  if (query === undefined) return;
  for (const pair of query.split('&')) {
    const [rawName = '', value = ''] = pair.split('=', 2);
    const [name, modifier, ...more] = rawName.split(':');
    if (more.length > 0 || (modifier !== undefined && modifier !== 'in')) throw new Error(`"${template}": modifier "${modifier ?? ''}" is outside the recommended subset (only :in)`);
    if (name!.startsWith('_') && !['_count', '_sort', '_id'].includes(name!)) throw new Error(`"${template}": ${name} is outside the recommended subset`);
    if (name!.includes('.')) throw new Error(`"${template}": chained parameters are outside the recommended subset`);
    if (/^(ne|sa|eb|ap)\d/.test(value)) throw new Error(`"${template}": date prefix "${value.slice(0, 2)}" is outside the recommended subset`);
  }
}

export type RenderResult = { readonly ok: true; readonly url: string } | { readonly ok: false; readonly reason: string };

/** Fills a template from the request context; values are URL-encoded so they cannot add query parameters. */
export function renderTemplate(template: string, context: Readonly<Record<string, unknown>>): RenderResult {
  let missing: string | undefined;
  const url = template.replace(TOKEN, (_all, rawName: string) => {
    const value = tokenValue(rawName, context);
    if (value === undefined) {
      missing ??= rawName;
      return '';
    }
    return encodeURIComponent(value);
  });
  return missing === undefined ? { ok: true, url } : { ok: false, reason: `no value for prefetch token {{${missing}}}` };
}

function tokenValue(name: string, context: Readonly<Record<string, unknown>>): string | undefined {
  const ctx = CONTEXT_TOKEN.exec(name);
  if (ctx) {
    const v = Object.hasOwn(context, ctx[1]!) ? context[ctx[1]!] : undefined;
    // Only primitive root-level fields are eligible (spec 2.0 requirement 57).
    return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
  }
  const type = USER_TOKENS[name];
  const userId = context['userId'];
  if (!type || typeof userId !== 'string') return undefined;
  const [refType, id, ...rest] = userId.split('/');
  return refType === type && id && rest.length === 0 ? id : undefined;
}

const isResource = (v: unknown): v is FhirResource =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as { resourceType?: unknown }).resourceType === 'string';

type Slot =
  | { kind: 'supplied'; value: FhirResource | null }
  /** Supplied but visibly incomplete, with FHIR access to complete it. */
  | { kind: 'complete'; bundle: Bundle; gap: BundleGap; url: RenderResult }
  /** Supplied, visibly incomplete, and no FHIR access: kept, and said incomplete. */
  | { kind: 'partial'; bundle: Bundle; gap: BundleGap }
  | { kind: 'fetch'; url: string }
  | { kind: 'unavailable'; reason: string }
  /** Left to the handler; `gap` when the client supplied it visibly incomplete. */
  | { kind: 'deferred'; gap?: BundleGap };

/**
 * Completes a supplied, visibly incomplete Bundle: its `next` links are followed on the request's
 * FHIR server; with no `next` link but a `total` above its matches, the key's own query is run
 * again as a full search (the client's page size or its own limit cut it).
 */
async function complete(slot: Extract<Slot, { kind: 'complete' }>, fhir: FhirAccess): Promise<FhirResource> {
  if (slot.gap.next !== undefined) return fhir.completeBundle(slot.bundle);
  if (!slot.url.ok) throw new FhirAccessError('bad-response');
  return fhir.get(slot.url.url);
}

/**
 * Resolves every prefetch key a service declared (spec 2.0 §Prefetch template):
 * a present value is used (null = no data exists); a missing key or an OperationOutcome in the
 * slot counts as not supplied and is fetched from fhirServer. A supplied Bundle that is visibly
 * incomplete (a `next` link, or a `total` above its matches) is completed from the FHIR server
 * when the request gives access to it (a deferred key by the handler's own query); whatever stays
 * incomplete (no access, server failure, deadline, page limit) is listed in `incomplete` with
 * why. All fetches run concurrently under the caller's deadline signal.
 */
export async function resolvePrefetch(
  templates: Readonly<Record<string, string>>,
  request: CdsHookRequest,
  fhir: FhirAccess | undefined,
  deferredKeys: readonly string[] = [],
): Promise<PrefetchResult> {
  const slots = Object.entries(templates).map(([key, template]): [string, Slot] => {
    const given = request.prefetch && Object.hasOwn(request.prefetch, key) ? request.prefetch[key] : undefined;
    if (given === null) return [key, { kind: 'supplied', value: null }];
    if (isResource(given) && given.resourceType !== 'OperationOutcome') {
      const gap = visibleGap(given);
      if (!gap) return [key, { kind: 'supplied', value: given }];
      // A deferred key's own query (e.g. glucose-monitoring's date-bounded 14-day periods) is its
      // completion: exact, and bounded, where paging on through the client's search need not be.
      if (fhir && deferredKeys.includes(key)) return [key, { kind: 'deferred', gap }];
      const bundle = given as Bundle;
      return [key, fhir ? { kind: 'complete', bundle, gap, url: renderTemplate(template, request.context) } : { kind: 'partial', bundle, gap }];
    }
    if (deferredKeys.includes(key)) return [key, { kind: 'deferred' }];
    if (!fhir) return [key, { kind: 'unavailable', reason: 'not prefetched and no FHIR server access in the request' }];
    const rendered = renderTemplate(template, request.context);
    return [key, rendered.ok ? { kind: 'fetch', url: rendered.url } : { kind: 'unavailable', reason: rendered.reason }];
  });

  const data: Record<string, FhirResource | null> = {};
  const supplied: string[] = [];
  const fetched: string[] = [];
  const completed: string[] = [];
  const incomplete: Record<string, IncompleteData> = {};
  const unavailable: Record<string, string> = {};
  const deferred: string[] = [];
  const deferredIncomplete: Record<string, BundleGap> = {};

  await Promise.all(
    slots.map(async ([key, slot]) => {
      switch (slot.kind) {
        case 'supplied':
          data[key] = slot.value;
          supplied.push(key);
          return;
        case 'partial':
          data[key] = slot.bundle;
          supplied.push(key);
          incomplete[key] = noAccess(slot.gap);
          return;
        case 'unavailable':
          unavailable[key] = slot.reason;
          return;
        case 'deferred':
          deferred.push(key);
          if (slot.gap) deferredIncomplete[key] = slot.gap;
          return;
        case 'complete': {
          supplied.push(key);
          try {
            const value = await complete(slot, fhir!);
            data[key] = value;
            completed.push(key);
            const gap = remainingGap(value, fhir!);
            if (gap) incomplete[key] = gap;
          } catch (err) {
            // What the client sent stays: a service that handles incomplete data itself may use it.
            data[key] = slot.bundle;
            incomplete[key] = completionFailed(slot.gap, err);
          }
          return;
        }
        case 'fetch':
          try {
            const value = await fhir!.get(slot.url);
            data[key] = value;
            fetched.push(key);
            const gap = remainingGap(value, fhir!);
            if (gap) incomplete[key] = gap;
          } catch (err) {
            if (err instanceof FhirAccessError && err.failure === 'not-found' && !slot.url.includes('?')) {
              data[key] = null; // a read that finds nothing: the data does not exist
              fetched.push(key);
            } else {
              unavailable[key] = err instanceof FhirAccessError ? `FHIR server: ${err.failure}` : 'FHIR server: error';
            }
          }
      }
    }),
  );
  const order = (keys: string[]): string[] => Object.keys(templates).filter((k) => keys.includes(k));
  const byKey = <T>(rec: Record<string, T>): Record<string, T> => Object.fromEntries(order(Object.keys(rec)).map((k) => [k, rec[k]!]));
  return {
    data,
    supplied: order(supplied),
    fetched: order(fetched),
    completed: order(completed),
    unavailable,
    incomplete: byKey(incomplete),
    deferred: order(deferred),
    deferredIncomplete: byKey(deferredIncomplete),
  };
}

const CONTEXT_PATIENT_READ = /^Patient\/\{\{\s*context\.patientId\s*\}\}$/;

/**
 * Keys whose template reads the context patient (`Patient/{{context.patientId}}`) but whose value
 * is another Patient. Data for another patient must never produce advice for this one.
 */
export function foreignPatientKeys(templates: Readonly<Record<string, string>>, request: CdsHookRequest, prefetch: PrefetchResult): string[] {
  const patientId = request.context['patientId'];
  return Object.entries(templates)
    .filter(([key, template]) => CONTEXT_PATIENT_READ.test(template) && Object.hasOwn(prefetch.data, key))
    .filter(([key]) => {
      const id = resourcesOf(prefetch.data[key], 'Patient')[0]?.id;
      return id !== undefined && id !== patientId;
    })
    .map(([key]) => key);
}
