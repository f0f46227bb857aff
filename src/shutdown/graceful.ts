import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { HealthState } from '../health/routes.js';
import { startWatchdog, type PendingReport, type Watchdog } from './watchdog.js';

/**
 * Time after the grace period for the closers. Half-way through it the process exits by itself
 * (code 1) if a closer has not finished; at its end the watchdog kills it (SIGKILL) if it is
 * still alive, whatever it is blocked in. So every shutdown ends by `SHUTDOWN_GRACE_MS` + 2 s.
 */
export const SHUTDOWN_MARGIN_MS = 2000;
/** See the in-process deadline in `gracefulShutdown`. */
const LAST_CHANCE_MS = 250;

/** One resource released at shutdown, named in the logs when it fails or hangs. */
export interface Closer {
  readonly name: string;
  close(): Promise<void> | void;
}

export interface GracefulShutdownOptions {
  /** The service's HTTP server; its requests are tracked from now on. */
  readonly server: Server;
  /** Set at once, so readiness answers 503 and load balancers stop sending traffic. */
  readonly healthState: HealthState;
  readonly logger: Logger;
  /** How long requests in flight get to finish before their connections are closed. */
  readonly graceMs: number;
  readonly marginMs?: number;
  /** Run together once the HTTP server has closed; read then, so the list can still grow before. */
  readonly closers: readonly Closer[];
  /** Ends the process (default `process.exit`); tests pass their own. */
  readonly exit?: (code: number) => void;
  /** Starts the out-of-process watchdog, idle until the shutdown arms it (default `startWatchdog`). */
  readonly watchdog?: () => Watchdog;
}

export interface GracefulShutdown {
  /** Starts the shutdown once (later calls return the same promise); resolves with the exit code given to `exit`. */
  shutdown(reason: string): Promise<number>;
  readonly stopping: boolean;
}

type Phase = 'running' | 'draining' | 'cutting' | 'closing' | 'exiting';
type CloserState = 'pending' | 'done' | 'failed';

interface Tracked {
  readonly req: IncomingMessage;
  readonly startedAt: number;
}

/**
 * A request as it may be logged: method and route pattern (`/cds-services/:id`, `/agp/:token`),
 * never a raw path below the first segment (AGP capability tokens live there) nor a query.
 */
function describeRequest(req: IncomingMessage, res: ServerResponse, startedAt: number, now: number): Record<string, unknown> {
  const r = req as IncomingMessage & { route?: { path?: unknown }; baseUrl?: string; id?: unknown };
  let route: string;
  if (r.route?.path !== undefined) route = `${r.baseUrl ?? ''}${String(r.route.path)}`;
  else {
    const segments = (req.url ?? '').split('?', 1)[0]!.split('/');
    const first = /^[a-z][a-z0-9.-]{0,40}$/i.test(segments[1] ?? '') ? segments[1]! : '?';
    route = segments.length > 2 ? `/${first}/…` : `/${first}`;
  }
  const locals = (res as ServerResponse & { locals?: { serviceId?: unknown } }).locals;
  return {
    method: req.method,
    route,
    ...(typeof locals?.serviceId === 'string' ? { serviceId: locals.serviceId } : {}),
    ...(typeof r.id === 'string' ? { reqId: r.id } : {}),
    ageMs: now - startedAt,
  };
}

/**
 * SIGTERM/SIGINT handling for the entry point. On `shutdown()`:
 * 1. readiness turns 503 and the out-of-process watchdog is armed (kills at grace + margin);
 * 2. the server stops accepting connections; idle keep-alive connections are closed, and every
 *    response still to be written says `Connection: close`;
 * 3. requests in flight finish, or at `graceMs` their connections are closed, which aborts
 *    their FHIR calls through the request signal (`src/cds/routes.ts`);
 * 4. the closers run (sandbox server, outbound connections, models, store, Redis);
 * 5. logs are flushed and the process exits 0; 1 if a closer failed, or if the shutdown had not
 *    finished by grace + margin/2 (plus a last moment when that timer fired late).
 */
export function gracefulShutdown(opts: GracefulShutdownOptions): GracefulShutdown {
  const { server, logger, graceMs } = opts;
  const marginMs = opts.marginMs ?? SHUTDOWN_MARGIN_MS;
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  const inFlight = new Map<ServerResponse, Tracked>();
  const closerStates = new Map<string, CloserState>();
  let phase: Phase = 'running';
  // Started now, so it is already running when it is needed (see startWatchdog).
  const watchdog: Watchdog = (opts.watchdog ?? startWatchdog)();
  let done: Promise<number> | undefined;
  let whenNoneInFlight: (() => void) | undefined;

  const requestsInFlight = (limit = 20): Record<string, unknown>[] => {
    const now = Date.now();
    return [...inFlight].slice(0, limit).map(([res, t]) => describeRequest(t.req, res, t.startedAt, now));
  };
  const pending = (): PendingReport => ({
    phase,
    requestsInFlight: inFlight.size,
    requests: requestsInFlight(),
    closersPending: [...closerStates].filter(([, s]) => s === 'pending').map(([name]) => name),
    closersFailed: [...closerStates].filter(([, s]) => s === 'failed').map(([name]) => name),
  });
  // The watchdog only knows what it was last told: tell it at every change.
  const report = (): void => watchdog.update(pending());

  // First listener, so a response started during the shutdown is marked before the app writes it.
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    inFlight.set(res, { req, startedAt: Date.now() });
    if (phase !== 'running') res.shouldKeepAlive = false;
    res.once('close', () => {
      inFlight.delete(res);
      if (phase === 'running') return;
      if (inFlight.size === 0) whenNoneInFlight?.();
      // Its keep-alive connection is idle now: close it rather than wait for the client.
      setImmediate(() => server.closeIdleConnections());
      report();
    });
  });

  const run = (reason: string): Promise<number> =>
    new Promise<number>((resolve) => {
      const startedAt = Date.now();
      let finished = false;
      const timers: NodeJS.Timeout[] = [];
      const finish = (code: number): void => {
        if (finished) return;
        finished = true;
        phase = 'exiting';
        timers.forEach(clearTimeout);
        logger.flush();
        resolve(code);
        exit(code);
        // Reached only when `exit` returns (tests): the process did not end, so the watchdog must.
        watchdog.cancel();
      };

      phase = 'draining';
      opts.healthState.shuttingDown = true;
      watchdog.arm(startedAt + graceMs + marginMs, { reason, graceMs, marginMs });
      logger.info({ signal: reason, graceMs, requestsInFlight: inFlight.size }, 'shutting down');
      report();

      for (const res of inFlight.keys()) if (!res.headersSent) res.shouldKeepAlive = false;
      let cut = 0;
      // Closed: no connection left, and every response has emitted 'close' (for a cut one, that is
      // what aborts its request signal in src/cds/routes.ts, which comes after the socket closed).
      const closed = new Promise<void>((ok) => server.close(() => ok())).then(
        () => new Promise<void>((ok) => (inFlight.size === 0 ? ok() : (whenNoneInFlight = ok))),
      );
      server.closeIdleConnections();
      const cutNow = (): void => {
        if (phase !== 'draining') return;
        phase = 'cutting';
        cut = inFlight.size;
        logger.warn({ graceMs, requests: requestsInFlight(), requestsInFlight: inFlight.size }, 'grace period over: closing the connections of the requests still running');
        server.closeAllConnections();
        report();
      };
      const cutTimer = setTimeout(cutNow, graceMs);
      // Whatever is still pending half-way through the margin (a closer that never settles), this
      // process ends itself while its event loop still runs; the watchdog is for when it does not.
      // Timers fire late when the main thread was busy (a request's synchronous work): the cut may
      // only just have happened, so the clean path gets a last moment, short of the watchdog.
      const selfDeadline = setTimeout(() => {
        cutNow();
        const lastChance = Math.max(0, Math.min(LAST_CHANCE_MS, startedAt + graceMs + marginMs - Date.now() - LAST_CHANCE_MS));
        timers.push(
          setTimeout(() => {
            logger.error({ pending: pending() }, 'shutdown did not finish in time: exiting');
            finish(1);
          }, lastChance),
        );
      }, graceMs + marginMs / 2);
      timers.push(cutTimer, selfDeadline);

      void closed.then(async () => {
        clearTimeout(cutTimer);
        phase = 'closing';
        const closers = [...opts.closers];
        for (const c of closers) closerStates.set(c.name, 'pending');
        report();
        const ok = await Promise.all(
          closers.map(async (c) => {
            try {
              await c.close();
              closerStates.set(c.name, 'done');
              return true;
            } catch (err) {
              closerStates.set(c.name, 'failed');
              logger.error({ closer: c.name, err }, 'closing failed');
              return false;
            } finally {
              report();
            }
          }),
        );
        if (finished) return;
        const failed = ok.some((x) => !x);
        logger.info({ elapsedMs: Date.now() - startedAt, requestsCut: cut, ...(failed ? { closersFailed: pending()['closersFailed'] } : {}) }, 'stopped');
        finish(failed ? 1 : 0);
      });
    });

  return {
    shutdown(reason) {
      if (done) logger.info({ signal: reason }, 'already shutting down');
      return (done ??= run(reason));
    },
    get stopping() {
      return phase !== 'running';
    },
  };
}
