import type { ReadinessCheck } from './routes.js';

/**
 * Readiness of a FHIR server: `GET <base>/metadata` answers 2xx within `timeoutMs`.
 *
 * Only the status is used, and the CapabilityStatement is large (the sandbox's is hundreds of
 * KB), so the body is cancelled, not read. Leaving it unread would keep the connection
 * half-read, holding the server's response in its buffers until the process ends; cancelling
 * the stream aborts the response and closes that connection.
 */
export function fhirMetadataCheck(name: string, baseUrl: string, timeoutMs = 2000): ReadinessCheck {
  return {
    name,
    check: async () => {
      const res = await fetch(`${baseUrl}/metadata`, { signal: AbortSignal.timeout(timeoutMs), headers: { Accept: 'application/fhir+json' } });
      await res.body?.cancel().catch(() => undefined);
      return res.ok ? { status: 'ok' } : { status: 'unavailable', detail: `HTTP ${res.status}` };
    },
  };
}
