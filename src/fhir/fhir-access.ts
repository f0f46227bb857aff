import type { Bundle, BundleLink, FhirResource } from 'fhir/r4.js';

/**
 * Why a FHIR call did not give data. `not-found` on a read means "no data" (null), not a failure.
 * `too-large`: the response body passed the size limit; `redirect`: the server answered with a
 * redirect, which is never followed.
 */
export type FhirFailure = 'not-found' | 'unauthorized' | 'timeout' | 'server-error' | 'network' | 'bad-response' | 'too-large' | 'redirect';

export class FhirAccessError extends Error {
  constructor(
    readonly failure: FhirFailure,
    readonly status?: number,
  ) {
    super(`FHIR request failed: ${failure}${status ? ` (HTTP ${status})` : ''}`);
    this.name = 'FhirAccessError';
  }
}

/** Largest FHIR response body read by default (one page of a search, or one resource). */
export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

export interface FhirAccessOptions {
  /** Normalised, allowlisted base URL of this request's FHIR server. */
  readonly baseUrl: string;
  /**
   * The request's bearer token (spec 2.0 §FHIR Resource Access). Absent only for a server the
   * trusted client declared open (`fhir_open`): then no Authorization header is sent at all.
   */
  readonly accessToken?: string;
  /** Timeout of one HTTP call, body included. */
  readonly timeoutMs: number;
  /** Search pages followed at most (the first page counts). */
  readonly maxPages: number;
  /** Largest response body read; a larger one is cut off and fails as `too-large`. */
  readonly maxResponseBytes?: number;
  /** Request-wide deadline: aborts every call still running. */
  readonly signal?: AbortSignal;
}

/** Read/search access to one request's FHIR server with that request's token (if any), and nothing else. */
export interface FhirAccess {
  readonly baseUrl: string;
  /** Search pages followed at most per search (the first page counts). */
  readonly maxPages: number;
  /** GETs a relative query (`Patient/1`, `Observation?patient=1`); search Bundles are paged to the end (up to maxPages). */
  get(relativeUrl: string): Promise<FhirResource>;
  /**
   * Follows `next` links of a Bundle (from the same server only), returning one merged searchset.
   * The merged Bundle keeps a `next` link only when paging stopped early (page limit, or a link to
   * another server), so callers can tell.
   */
  completeBundle(bundle: Bundle, pagesAlreadyRead?: number): Promise<Bundle>;
}

const isBundle = (r: unknown): r is Bundle =>
  typeof r === 'object' && r !== null && (r as { resourceType?: unknown }).resourceType === 'Bundle';

/** Whether `url` lies on the FHIR server whose normalised base is `base` (the same origin and path prefix). */
export function onServer(base: string, url: string): boolean {
  const b = base.replace(/\/+$/, '');
  return url === b || url.startsWith(`${b}/`) || url.startsWith(`${b}?`);
}

function statusFailure(status: number): FhirAccessError {
  if (status === 404 || status === 410) return new FhirAccessError('not-found', status);
  if (status === 401 || status === 403) return new FhirAccessError('unauthorized', status);
  if (status >= 300 && status < 400) return new FhirAccessError('redirect', status);
  return new FhirAccessError('server-error', status);
}

function classify(err: unknown): FhirAccessError {
  if (err instanceof FhirAccessError) return err;
  const name = (err as { name?: string } | undefined)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return new FhirAccessError('timeout');
  return new FhirAccessError('network');
}

/**
 * Reads a response body to its end, or not at all: past `maxBytes`, or when the signal aborts,
 * the stream is cancelled, which makes Node's fetch (undici) destroy the connection instead of
 * leaving a half-read socket behind. Counts decoded bytes, so a compressed body cannot inflate
 * past the limit either.
 */
async function readBody(res: Response, maxBytes: number): Promise<string> {
  const declared = Number(res.headers.get('content-length'));
  if (!res.headers.get('content-encoding') && Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw new FhirAccessError('too-large', res.status);
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let done = false;
  try {
    for (;;) {
      const r = await reader.read();
      if (r.done) {
        done = true;
        break;
      }
      size += r.value.byteLength;
      if (size > maxBytes) throw new FhirAccessError('too-large', res.status);
      chunks.push(r.value);
    }
  } finally {
    if (!done) await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * FHIR access over Node's fetch, reading each body as a bounded stream so that a body that is too large, late or
 * unwanted is cancelled (its connection closed) rather than read whole or left half-read.
 */
export function createFhirAccess(opts: FhirAccessOptions): FhirAccess {
  const base = opts.baseUrl.replace(/\/+$/, '');
  const maxBytes = opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const headers: Record<string, string> = { Accept: 'application/fhir+json' };
  // Only ever to this request's FHIR server: every URL below is checked to lie on it.
  if (opts.accessToken !== undefined) headers['Authorization'] = `Bearer ${opts.accessToken}`;

  const fetchJson = async (url: string): Promise<FhirResource> => {
    const signal = AbortSignal.any([AbortSignal.timeout(opts.timeoutMs), ...(opts.signal ? [opts.signal] : [])]);
    let res: Response;
    try {
      // A redirect could carry the token elsewhere: never followed ('manual' hands us the 3xx itself).
      res = await fetch(url, { method: 'GET', headers, redirect: 'manual', signal });
    } catch (err) {
      throw classify(err);
    }
    try {
      if (!res.ok) {
        // Not read: cancelled, so the connection is closed or returned clean, never left half-read.
        await res.body?.cancel().catch(() => undefined);
        throw statusFailure(res.status);
      }
      const text = await readBody(res, maxBytes);
      let result: unknown;
      try {
        result = JSON.parse(text);
      } catch {
        throw new FhirAccessError('bad-response', res.status);
      }
      if (typeof (result as { resourceType?: unknown } | null)?.resourceType !== 'string') throw new FhirAccessError('bad-response', res.status);
      return result as FhirResource;
    } catch (err) {
      throw classify(err);
    }
  };

  const completeBundle = async (first: Bundle, pagesAlreadyRead = 1): Promise<Bundle> => {
    const entries = [...(first.entry ?? [])];
    let page: Bundle = first;
    let pages = pagesAlreadyRead;
    let truncated = false;
    for (;;) {
      const next = page.link?.find((l: BundleLink) => l.relation === 'next')?.url;
      if (!next) break;
      // Paging links are only followed when they stay on this request's FHIR server.
      if (pages >= opts.maxPages || !onServer(base, next)) {
        truncated = true;
        break;
      }
      const r = await fetchJson(next);
      if (!isBundle(r)) throw new FhirAccessError('bad-response');
      entries.push(...(r.entry ?? []));
      page = r;
      pages += 1;
    }
    if (page === first && !truncated) return first;
    const { link: _link, ...rest } = first;
    const remainingNext = truncated ? page.link?.find((l) => l.relation === 'next')?.url : undefined;
    return { ...rest, ...(remainingNext ? { link: [{ relation: 'next', url: remainingNext }] } : {}), entry: entries };
  };

  return {
    baseUrl: base,
    maxPages: opts.maxPages,
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
