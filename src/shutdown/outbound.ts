/**
 * Outbound HTTP connections of this process: FHIR calls (src/fhir/fhir-access.ts), remote JWK
 * Sets (jose) and the sandbox readiness check all use Node's built-in `fetch`, whose global undici
 * dispatcher keeps idle connections alive.
 *
 * Node does not export the dispatcher; undici keeps it on `globalThis` under this registered
 * symbol so that every copy of undici in a process shares it (undici lib/global.js). Node's own
 * `fetch` creates it on first use, so before any `fetch` there is nothing to close.
 */
const GLOBAL_DISPATCHER = Symbol.for('undici.globalDispatcher.1');

interface Dispatcher {
  destroy(err?: Error | null): Promise<void>;
}

function globalDispatcher(): Dispatcher | undefined {
  const d = (globalThis as Record<symbol, unknown>)[GLOBAL_DISPATCHER] as Partial<Dispatcher> | undefined;
  return typeof d?.destroy === 'function' ? (d as Dispatcher) : undefined;
}

/**
 * Closes every outbound `fetch` connection, idle or not, and fails any request still on one.
 * Called once the HTTP server has closed, when no request of ours is left that could want one:
 * a response body still being read is destroyed with its socket, never left half-read.
 * `fetch` cannot be used in this process afterwards.
 */
export async function closeOutboundConnections(): Promise<void> {
  await globalDispatcher()?.destroy(new Error('precision-cds is shutting down'));
}
