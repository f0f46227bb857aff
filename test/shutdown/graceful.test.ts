import { afterEach, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { Agent, createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CdsServiceDefinition } from '../../src/cds/types.js';
import type { HealthState } from '../../src/health/routes.js';
import { createLogger } from '../../src/logging/logger.js';
import { gracefulShutdown, type Closer } from '../../src/shutdown/graceful.js';
import type { PendingReport } from '../../src/shutdown/watchdog.js';
import { createHarness, LogCapture, patientViewRequest, type Harness } from '../helpers/harness.js';

const GRACE = 800;
const MARGIN = 600;

/** A decision service that answers when the test says so, or never; it records its request signal. */
function slowService(): { service: CdsServiceDefinition; release: () => void; signals: AbortSignal[] } {
  const waiting: (() => void)[] = [];
  const signals: AbortSignal[] = [];
  const service: CdsServiceDefinition = {
    id: 'slow',
    hooks: ['patient-view'],
    title: 'Slow',
    description: 'Answers when released',
    prefetch: {},
    handler: async ({ signal }) => {
      signals.push(signal);
      await new Promise<void>((ok) => waiting.push(ok));
      return { cards: [] };
    },
  };
  return { service, release: () => waiting.splice(0).forEach((ok) => ok()), signals };
}

interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
}

/** One HTTP request on `agent`; rejects when the connection is closed under it. */
function call(port: number, method: string, path: string, opts: { token?: string; body?: unknown; agent?: Agent } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent: opts.agent ?? false,
        headers: { ...(opts.token ? { Authorization: `Bearer ${opts.token}` } : {}), ...(body ? { 'Content-Type': 'application/json' } : {}) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

interface Setup {
  readonly h: Harness;
  readonly server: Server;
  readonly port: number;
  readonly logs: LogCapture;
  readonly health: HealthState;
  readonly slow: ReturnType<typeof slowService>;
  readonly exits: { code: number; at: number }[];
  readonly watchdogs: { armed?: { killAt: number; context: Record<string, unknown> | undefined }; updates: PendingReport[]; cancelled: boolean }[];
  readonly stopper: ReturnType<typeof gracefulShutdown>;
  readonly invoke: (agent?: Agent) => Promise<Reply>;
}

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.closeAllConnections();
});

async function setup(closers: Closer[] = [], marginMs = MARGIN): Promise<Setup> {
  const slow = slowService();
  const h = await createHarness({ services: [slow.service] });
  const server = createServer(h.app);
  servers.push(server);
  const logs = new LogCapture();
  const exits: Setup['exits'] = [];
  const watchdogs: Setup['watchdogs'] = [];
  const stopper = gracefulShutdown({
    server,
    healthState: h.healthState,
    logger: createLogger('info', logs),
    graceMs: GRACE,
    marginMs,
    closers,
    exit: (code) => exits.push({ code, at: Date.now() }),
    watchdog: () => {
      const w: Setup['watchdogs'][number] = { updates: [], cancelled: false };
      watchdogs.push(w);
      return {
        pid: undefined,
        arm: (killAt, context) => (w.armed = { killAt, context }),
        update: (p) => w.updates.push(p),
        cancel: () => (w.cancelled = true),
      };
    },
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as AddressInfo).port;
  const invoke = async (agent?: Agent): Promise<Reply> =>
    call(port, 'POST', '/cds-services/slow', { token: await h.token('/cds-services/slow'), body: patientViewRequest(), ...(agent ? { agent } : {}) });
  return { h, server, port, logs, health: h.healthState, slow, exits, watchdogs, stopper, invoke };
}

/** Resolves once the service has `n` requests in its handler. */
async function inHandler(s: Setup, n = 1): Promise<void> {
  const until = Date.now() + 5000;
  while (s.slow.signals.length < n) {
    if (Date.now() > until) throw new Error('request never reached the handler');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const msgs = (logs: LogCapture): string[] => logs.records.map((r) => String(r['msg']));

describe('graceful shutdown', () => {
  it('readiness turns unavailable at once', async () => {
    const s = await setup();
    expect(s.health.shuttingDown).toBe(false);
    const done = s.stopper.shutdown('SIGTERM');
    expect(s.health.shuttingDown).toBe(true);
    await done;
  });

  it('a request in flight finishes with its answer (Connection: close), then the closers run, then exit 0', async () => {
    const order: string[] = [];
    const s = await setup([{ name: 'store', close: async () => void order.push('closer') }]);
    s.server.on('request', (_req, res) => res.on('finish', () => order.push('response')));
    // A keep-alive client: the server, not the client, must ask for the connection to close.
    const agent = new Agent({ keepAlive: true });
    const reply = s.invoke(agent);
    await inHandler(s);
    const started = Date.now();
    const done = s.stopper.shutdown('SIGTERM');
    setTimeout(s.slow.release, 200);
    expect(await reply).toMatchObject({ status: 200, headers: { connection: 'close' } });
    expect(await done).toBe(0);
    expect(order).toEqual(['response', 'closer']);
    expect(s.exits).toHaveLength(1);
    expect(s.exits[0]!.at - started).toBeLessThan(GRACE);
    agent.destroy();
  });

  it('a request still running at the grace deadline is cut: its connection closes and its request signal aborts (its FHIR calls stop)', async () => {
    const s = await setup();
    const reply = s.invoke().then(
      () => 'answered',
      () => 'connection closed',
    );
    await inHandler(s);
    const started = Date.now();
    expect(await s.stopper.shutdown('SIGTERM')).toBe(0);
    const elapsed = Date.now() - started;
    expect(await reply).toBe('connection closed');
    expect(s.slow.signals[0]!.aborted).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(GRACE - 5);
    expect(elapsed).toBeLessThan(GRACE + MARGIN / 2);
    const cut = s.logs.records.find((r) => r['msg'] === 'grace period over: closing the connections of the requests still running');
    expect(cut?.['requests']).toEqual([expect.objectContaining({ method: 'POST', route: '/cds-services/:id', serviceId: 'slow' })]);
    s.slow.release();
  });

  it('an idle keep-alive connection does not hold the shutdown', async () => {
    const s = await setup();
    const agent = new Agent({ keepAlive: true });
    expect((await call(s.port, 'GET', '/health/live', { agent })).status).toBe(200);
    const started = Date.now();
    expect(await s.stopper.shutdown('SIGTERM')).toBe(0);
    expect(Date.now() - started).toBeLessThan(GRACE / 2);
    agent.destroy();
  });

  it('a closer that never settles: exit 1 at grace + margin/2 at the latest, naming it in the log', async () => {
    const s = await setup([
      { name: 'models', close: async () => undefined },
      { name: 'hung', close: () => new Promise<void>(() => undefined) },
    ]);
    const started = Date.now();
    expect(await s.stopper.shutdown('SIGTERM')).toBe(1);
    expect(Date.now() - started).toBeLessThan(GRACE + MARGIN);
    const line = s.logs.records.find((r) => r['msg'] === 'shutdown did not finish in time: exiting');
    expect(line?.['pending']).toMatchObject({ phase: 'closing', closersPending: ['hung'] });
  });

  it('a main thread busy past the in-process deadline (timers fire late, all at once) still ends in a clean exit 0', async () => {
    const margin = 2000;
    const s = await setup([{ name: 'store', close: async () => undefined }], margin);
    const reply = s.invoke().then(
      () => 'answered',
      () => 'connection closed',
    );
    await inHandler(s);
    const started = Date.now();
    const done = s.stopper.shutdown('SIGTERM');
    // Another request's synchronous work until after grace + margin/2: the cut and the in-process
    // deadline then fire in the same turn, before the cut connection has emitted its 'close'.
    setTimeout(() => {
      while (Date.now() < started + GRACE + margin / 2 + 100);
    }, 50);
    expect(await done).toBe(0);
    expect(await reply).toBe('connection closed');
    expect(msgs(s.logs)).not.toContain('shutdown did not finish in time: exiting');
    s.slow.release();
  });

  it('a closer that fails: the others still close, exit 1, the failure is logged by name', async () => {
    let closed = false;
    const s = await setup([
      { name: 'redis', close: async () => Promise.reject(new Error('connection lost')) },
      { name: 'store', close: async () => void (closed = true) },
    ]);
    expect(await s.stopper.shutdown('SIGTERM')).toBe(1);
    expect(closed).toBe(true);
    expect(s.logs.records.find((r) => r['msg'] === 'closing failed')?.['closer']).toBe('redis');
  });

  it('the watchdog, started with the service, is armed at grace + margin and told what is pending as it changes', async () => {
    const s = await setup([{ name: 'store', close: async () => undefined }]);
    expect(s.watchdogs).toHaveLength(1);
    expect(s.watchdogs[0]!.armed).toBeUndefined();
    const reply = s.invoke().catch(() => undefined);
    await inHandler(s);
    const started = Date.now();
    const done = s.stopper.shutdown('SIGTERM');
    const w = s.watchdogs[0]!;
    expect(w.armed!.killAt - started).toBeGreaterThanOrEqual(GRACE + MARGIN - 5);
    expect(w.armed!.killAt - started).toBeLessThanOrEqual(GRACE + MARGIN + 5);
    expect(w.armed!.context).toMatchObject({ reason: 'SIGTERM', graceMs: GRACE, marginMs: MARGIN });
    expect(w.updates[0]).toMatchObject({ phase: 'draining', requestsInFlight: 1, requests: [expect.objectContaining({ route: '/cds-services/:id' })] });
    s.slow.release();
    await reply;
    await done;
    expect(w.updates.some((u) => u['phase'] === 'closing' && (u['closersPending'] as string[]).includes('store'))).toBe(true);
    // Our `exit` returned (a test), so the process did not end: the watchdog is told to stand down.
    expect(w.cancelled).toBe(true);
  });

  it('a second signal does not start a second shutdown', async () => {
    const s = await setup();
    const first = s.stopper.shutdown('SIGTERM');
    const second = s.stopper.shutdown('SIGINT');
    expect(second).toBe(first);
    await first;
    expect(s.exits).toHaveLength(1);
    expect(s.watchdogs).toHaveLength(1);
    expect(msgs(s.logs)).toContain('already shutting down');
  });

  it('logs neither raw paths nor queries of requests in flight (capability tokens live there)', async () => {
    const s = await setup();
    // An unmatched path: only its first segment is logged.
    const token = randomUUID();
    const hanging = new Promise<void>((ok) => {
      const req = request({ host: '127.0.0.1', port: s.port, method: 'POST', path: `/agp/${token}?patient=123`, agent: false, headers: { 'Content-Type': 'application/json', 'Content-Length': '100' } });
      req.on('error', () => ok());
      req.write('{'); // the body never completes: the request stays in flight
    });
    await new Promise((r) => setTimeout(r, 100));
    await s.stopper.shutdown('SIGTERM');
    await hanging;
    const text = s.logs.text + JSON.stringify(s.watchdogs[0]!.updates);
    expect(text).toContain('"route":"/agp/…"');
    expect(text).not.toContain(token);
    expect(text).not.toContain('patient=123');
  });
});
