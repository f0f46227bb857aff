import createDebug from 'debug';
import { Client } from 'fhir-kit-client';
import type { Bundle, BundleLink, FhirResource } from 'fhir/r4.js';

// fhir-kit-client's debug logger prints request headers, which carry the bearer token.
// Keep it off whatever DEBUG says: the token must never reach a log.
createDebug.enable([createDebug.disable(), '-fhir-kit-client:*'].filter(Boolean).join(','));

/** Why a FHIR call did not give data. `not-found` on a read means "no data" (null), not a failure. */
export type FhirFailure = 'not-found' | 'unauthorized' | 'timeout' | 'server-error' | 'network' | 'bad-response';

export class FhirAccessError extends Error {
  constructor(
    readonly failure: FhirFailure,
    readonly status?: number,
  ) {
    super(`FHIR request failed: ${failure}${status ? ` (HTTP ${status})` : ''}`);
    this.name = 'FhirAccessError';
  }
}

export interface FhirAccessOptions {
  /** Normalised, allowlisted base URL of this request's FHIR server. */
  readonly baseUrl: string;
  readonly accessToken: string;
  /** Timeout of one HTTP call. */
  readonly timeoutMs: number;
  /** Search pages followed at most (the first page counts). */
  readonly maxPages: number;
  /** Request-wide deadline: aborts every call still running. */
  readonly signal?: AbortSignal;
}

/** Read/search access to one request's FHIR server with that request's token, and nothing else. */
export interface FhirAccess {
  readonly baseUrl: string;
  /** GETs a relative query (`Patient/1`, `Observation?patient=1`); search Bundles are paged to the end (up to maxPages). */
  get(relativeUrl: string): Promise<FhirResource>;
  /** Follows `next` links of a Bundle (from the same server only), returning one merged searchset. */
  completeBundle(bundle: Bundle, pagesAlreadyRead?: number): Promise<Bundle>;
}

const isBundle = (r: unknown): r is Bundle =>
  typeof r === 'object' && r !== null && (r as { resourceType?: unknown }).resourceType === 'Bundle';

function classify(err: unknown): FhirAccessError {
  if (err instanceof FhirAccessError) return err;
  const e = err as { name?: string; response?: { status?: number } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return new FhirAccessError('timeout');
  const status = e?.response?.status;
  if (typeof status === 'number') {
    if (status === 404 || status === 410) return new FhirAccessError('not-found', status);
    if (status === 401 || status === 403) return new FhirAccessError('unauthorized', status);
    return new FhirAccessError('server-error', status);
  }
  return new FhirAccessError('network');
}

export function createFhirAccess(opts: FhirAccessOptions): FhirAccess {
  const client = new Client({ baseUrl: opts.baseUrl, bearerToken: opts.accessToken });
  const base = opts.baseUrl.replace(/\/+$/, '');

  const fetchJson = async (url: string): Promise<FhirResource> => {
    const signals = [AbortSignal.timeout(opts.timeoutMs), ...(opts.signal ? [opts.signal] : [])];
    try {
      const result = await client.request(url, {
        options: {
          signal: AbortSignal.any(signals),
          // A redirect could carry the token elsewhere: refuse it.
          redirect: 'error',
          headers: { Accept: 'application/fhir+json' },
        },
      });
      if (typeof result?.resourceType !== 'string') throw new FhirAccessError('bad-response');
      return result as unknown as FhirResource;
    } catch (err) {
      throw classify(err);
    }
  };

  /** Paging links are only followed when they stay on this request's FHIR server. */
  const sameServer = (url: string): boolean => url === base || url.startsWith(`${base}/`) || url.startsWith(`${base}?`);

  const completeBundle = async (first: Bundle, pagesAlreadyRead = 1): Promise<Bundle> => {
    const entries = [...(first.entry ?? [])];
    let page: Bundle = first;
    let pages = pagesAlreadyRead;
    let truncated = false;
    for (;;) {
      const next = page.link?.find((l: BundleLink) => l.relation === 'next')?.url;
      if (!next) break;
      if (pages >= opts.maxPages || !sameServer(next)) {
        truncated = true;
        break;
      }
      const r = await fetchJson(next);
      if (!isBundle(r)) throw new FhirAccessError('bad-response');
      entries.push(...(r.entry ?? []));
      page = r;
      pages += 1;
    }
    if (pages === 1 && !truncated) return first;
    // The merged Bundle keeps a `next` link only when paging stopped early, so callers can tell.
    const { link: _link, ...rest } = first;
    const remainingNext = truncated ? page.link?.find((l) => l.relation === 'next')?.url : undefined;
    return { ...rest, ...(remainingNext ? { link: [{ relation: 'next', url: remainingNext }] } : {}), entry: entries };
  };

  return {
    baseUrl: base,
    async get(relativeUrl) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(relativeUrl) || relativeUrl.startsWith('//')) {
        throw new FhirAccessError('bad-response');
      }
      const result = await fetchJson(`${base}/${relativeUrl.replace(/^\/+/, '')}`);
      return isBundle(result) ? completeBundle(result) : result;
    },
    completeBundle,
  };
}
