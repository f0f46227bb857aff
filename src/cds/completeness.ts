/**
 * Whether prefetched or fetched search results are the whole result, and why not in words.
 *
 * A searchset Bundle shows it is only part of a search in two ways (FHIR R4 §Paging and
 * §Bundle.total, https://hl7.org/fhir/R4/http.html#paging, https://hl7.org/fhir/R4/bundle-definitions.html#Bundle.total):
 * a `next` link, or a `total` (the number of matches, not counting `include` or `outcome` entries)
 * above the match entries it holds. Real clients send such Bundles: the HL7 reference client
 * prefetches only the first page of each search, and the CDS Hooks 3.0 ballot shows a paginated
 * prefetch (../shared/cds-hooks/clients.md). A partial record must never be scored as if whole.
 */
import type { Bundle, FhirResource } from 'fhir/r4.js';
import { FhirAccessError, onServer, type FhirAccess } from '../fhir/fhir-access.js';
import type { BundleGap, IncompleteData } from './types.js';

export type { BundleGap };

/** Entries that are search results: `search.mode` match, or unmarked. Included resources and outcomes are not. */
export function matchCount(bundle: Bundle): number {
  let n = 0;
  for (const e of bundle.entry ?? []) {
    const mode = e.search?.mode;
    if (mode === undefined || mode === 'match') n += 1;
  }
  return n;
}

/** How a value shows it is not the whole search result; undefined when nothing shows (or it is no Bundle). */
export function visibleGap(value: FhirResource | null | undefined): BundleGap | undefined {
  if (!value || value.resourceType !== 'Bundle') return undefined;
  const matches = matchCount(value);
  const nextLink = value.link?.find((l) => l.relation === 'next');
  const total = typeof value.total === 'number' && Number.isFinite(value.total) ? value.total : undefined;
  const short = total !== undefined && total > matches;
  if (!nextLink && !short) return undefined;
  return { matches, ...(total !== undefined ? { total } : {}), ...(nextLink ? { next: typeof nextLink.url === 'string' ? nextLink.url : '' } : {}) };
}

const n = (x: number): string => x.toLocaleString('en-US');

/** "1,000 of 8,064 entries" or "1,000 entries and a link to a further page". No URLs: paging links carry patient ids. */
function received(gap: BundleGap): string {
  if (gap.total !== undefined && gap.total > gap.matches) return `${n(gap.matches)} of ${n(gap.total)} entries`;
  return `${n(gap.matches)} entries and a link to a further page`;
}

function data(gap: BundleGap, cause: IncompleteData['cause'], reason: string): IncompleteData {
  return { reason, cause, received: gap.matches, ...(gap.total !== undefined ? { total: gap.total } : {}) };
}

/** A supplied Bundle that is visibly incomplete, when the request gives no access to the FHIR server. */
export function noAccess(gap: BundleGap): IncompleteData {
  return data(gap, 'no-fhir-access', `the client sent ${received(gap)}, and the request gives the service no access to its FHIR server to read the rest`);
}

/** A supplied Bundle whose completion from the FHIR server failed. */
export function completionFailed(gap: BundleGap, err: unknown): IncompleteData {
  const why = err instanceof FhirAccessError ? err.failure : 'error';
  return data(gap, 'fhir-error', `the client sent ${received(gap)}, and reading the rest from the FHIR server failed (${why})`);
}

/**
 * What is still missing from a Bundle after paging to the end on `fhir` (fetched, or supplied and
 * completed), or undefined when it is whole. `completeBundle` stops only at the page limit or at a
 * link off the server; a server whose last page leaves `total` unmet is said as such.
 */
export function remainingGap(value: FhirResource, fhir: Pick<FhirAccess, 'baseUrl' | 'maxPages'>): IncompleteData | undefined {
  const gap = visibleGap(value);
  if (!gap) return undefined;
  if (gap.next !== undefined) {
    if (gap.next && onServer(fhir.baseUrl, gap.next)) {
      return data(gap, 'page-limit', `paging stopped at FHIR_MAX_PAGES (${fhir.maxPages} pages) with ${received(gap)} in hand`);
    }
    return data(gap, 'foreign-link', `${received(gap)} in hand; the link to the next page leaves the request's FHIR server, and the service follows no other`);
  }
  return data(gap, 'short-pages', `the FHIR server's pages ended at ${n(gap.matches)} entries although its total is ${n(gap.total!)}`);
}
