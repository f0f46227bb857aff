import { HttpError } from '../errors/http-error.js';

/** Canonical form of a FHIR base URL for comparison: lower-case scheme/host, no trailing slash. */
export function normalizeBaseUrl(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  // Credentials, queries and fragments have no place in a FHIR base URL.
  if (url.username || url.password || url.search || url.hash) return undefined;
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
}

/**
 * Checks a request's `fhirServer` against the caller's allowlist, so no caller can make the
 * service send requests (and a bearer token) to an internal or foreign address.
 * Exact match after normalisation: a prefix match would let `https://ehr/fhir-evil` through.
 */
export function checkFhirServer(fhirServer: string, allowed: readonly string[], allowHttp: boolean): string {
  const normalized = normalizeBaseUrl(fhirServer);
  if (!normalized) throw new HttpError('INVALID_REQUEST', [{ diagnostics: 'fhirServer must be an absolute http(s) URL without credentials, query or fragment', expression: 'fhirServer' }]);
  if (normalized.startsWith('http:') && !allowHttp) {
    throw new HttpError('FHIR_SERVER_NOT_ALLOWED', [{ diagnostics: 'fhirServer must use https', expression: 'fhirServer' }]);
  }
  const ok = allowed.some((a) => normalizeBaseUrl(a) === normalized);
  if (!ok) throw new HttpError('FHIR_SERVER_NOT_ALLOWED', [{ diagnostics: 'fhirServer is not on the allowlist for this client', expression: 'fhirServer' }]);
  return normalized;
}
