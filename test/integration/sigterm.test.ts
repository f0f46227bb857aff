import { afterAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SHUTDOWN_MARGIN_MS } from '../../src/shutdown/graceful.js';
import { ensureSandboxClientKey, signSandboxToken } from '../../src/sandbox/sandbox-client.js';
import { fhirFallback, fixtureSubset, PUBLIC_BASE, ROOT, startService, warfarinOrderContext, type ServiceProcess } from '../helpers/service-process.js';

/**
 * Issue "SIGTERM does not always end the process": the real entry point under mixed traffic
 * (cardiovascular-risk, pharmacogenomics warfarin and glucose-monitoring, all with FHIR fallback
 * against the embedded sandbox, so the service itself fetches, plus feedback posts) gets SIGTERM
 * mid-traffic, SIGTERM_ROUNDS times in a row on the same SQLite store. Every round must end
 * within SHUTDOWN_GRACE_MS + the shutdown margin of the service handling the signal (the table
 * printed shows how long after the SIGTERM that was), cleanly (exit 0) or by one of the documented
 * forced exits with its log line, and every feedback answered 200 must be in the store afterwards
 * (the next round is the restart on that store). Rounds alternate a grace
 * period long enough for the requests in flight to finish and one short enough to cut them
 * (their FHIR fetches aborted half-way through the CGM pages).
 */
const ROUNDS = Number(process.env['SIGTERM_ROUNDS'] ?? 8);
const GRACES_MS = [2000, 300];
/**
 * After the watchdog's deadline: its own timer waking up, the kill, the exit reaching this
 * process. On a machine with 6x more runnable processes than cores that took up to 475 ms
 * (50 rounds); 1 s keeps this test about the shutdown, not about the scheduler.
 */
const SLACK_MS = 1000;
const PATIENTS = ['cvd-high-risk-male', 'pgx-warfarin', 'cgm-hypo'];

type Kind = 'cvd' | 'pgx' | 'cgm' | 'feedback';

interface Round {
  readonly round: number;
  readonly graceMs: number;
  readonly startMs: number;
  /** From SIGTERM to the process's end. */
  readonly exitMs: number;
  /**
   * From SIGTERM to the service's "shutting down" line: signals reach JavaScript between two
   * tasks, so a request's synchronous work running at that moment delays them (in sandbox mode
   * the embedded FHIR engine's searches run on the same thread).
   */
  readonly handledMs: number;
  readonly code: number | null;
  readonly signal: string | null;
  /** clean: exit 0 after "stopped"; deadline: exit 1 by the in-process deadline; watchdog: SIGKILL by the watchdog. */
  readonly exit: 'clean' | 'deadline' | 'watchdog' | 'undocumented';
  /** For a forced exit, what its log line says was pending. */
  readonly pending?: unknown;
  readonly inFlightAtTerm: Readonly<Record<Kind, number>>;
  readonly answered: Readonly<Record<string, number>>;
  readonly acked: number;
  readonly missing: readonly string[];
  /** Bytes left in the SQLite WAL after the process ended (0 or absent: the store was closed). */
  readonly walBytes: number;
  readonly tail: string;
}

describe('SIGTERM under load', () => {
  const work = mkdtempSync(join(tmpdir(), 'sigterm-'));
  const fixtures = fixtureSubset(join(work, 'fixtures'), PATIENTS);
  const dbPath = join(work, 'data', 'store.sqlite');
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  async function round(n: number, key: Awaited<ReturnType<typeof ensureSandboxClientKey>>): Promise<Round> {
    const graceMs = GRACES_MS[n % GRACES_MS.length]!;
    const t0 = Date.now();
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      SANDBOX: 'on',
      SANDBOX_FHIR_PORT: '0',
      PORT: '0',
      HOST: '127.0.0.1',
      PUBLIC_BASE_URL: PUBLIC_BASE,
      STORE: 'sqlite',
      SQLITE_PATH: dbPath,
      FIXTURES_DIR: fixtures,
      LOG_LEVEL: 'info',
      SHUTDOWN_GRACE_MS: String(graceMs),
      // Generous, so requests are slow because of load, not failed by a deadline before the signal.
      PREFETCH_DEADLINE_MS: '30000',
      FHIR_TIMEOUT_MS: '20000',
    };
    const service: ServiceProcess = await startService({ env });
    const startMs = Date.now() - t0;
    const base = `http://127.0.0.1:${service.port}`;
    const fallback = fhirFallback(service.fhirBaseUrl);
    const inFlight: Record<Kind, number> = { cvd: 0, pgx: 0, cgm: 0, feedback: 0 };
    const answered: Record<string, number> = {};
    const acked: string[] = [];
    let stopped = false;

    const bodies: Record<Exclude<Kind, 'feedback'>, () => unknown> = {
      cvd: () => ({ hook: 'patient-view', hookInstance: randomUUID(), context: { userId: 'Practitioner/dr-1', patientId: 'cvd-high-risk-male' }, ...fallback }),
      pgx: () => ({ hook: 'order-sign', hookInstance: randomUUID(), context: warfarinOrderContext('pgx-warfarin'), ...fallback }),
      cgm: () => ({ hook: 'patient-view', hookInstance: randomUUID(), context: { userId: 'Practitioner/dr-1', patientId: 'cgm-hypo' }, ...fallback }),
    };
    const paths: Record<Kind, string> = {
      cvd: '/cds-services/cardiovascular-risk',
      pgx: '/cds-services/pharmacogenomics',
      cgm: '/cds-services/glucose-monitoring',
      feedback: '/cds-services/cardiovascular-risk/feedback',
    };
    const worker = async (kind: Kind): Promise<void> => {
      while (!stopped) {
        const path = paths[kind];
        const card = randomUUID();
        const body =
          kind === 'feedback' ? { feedback: [{ card, outcome: 'overridden', outcomeTimestamp: new Date().toISOString() }] } : bodies[kind]();
        inFlight[kind] += 1;
        try {
          const res = await fetch(base + path, {
            method: 'POST',
            headers: { Authorization: `Bearer ${await signSandboxToken(key.privateJwk, PUBLIC_BASE + path)}`, 'Content-Type': 'application/json' },
            body: JSON.stringify(body),
          });
          await res.arrayBuffer(); // the whole answer: a 200 cut half-way is not an acknowledgement
          answered[`${kind} ${res.status}`] = (answered[`${kind} ${res.status}`] ?? 0) + 1;
          if (kind === 'feedback' && res.status === 200) acked.push(card);
        } catch (err) {
          // The service has stopped listening: this worker is done. Anything else (a connection
          // closed under a request) is simply not acknowledged; try again.
          if ((err as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED') return;
        } finally {
          inFlight[kind] -= 1;
        }
      }
    };
    const kinds: Kind[] = ['cvd', 'pgx', 'cgm', 'cgm', 'feedback', 'feedback', 'feedback'];
    const workers = kinds.map((k) => worker(k));

    // Mid-traffic: feedback acknowledged and a CGM request in flight, then a varying delay.
    const until = Date.now() + 60_000;
    while ((acked.length === 0 || inFlight.cgm === 0) && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 100 + ((n * 397) % 1200)));
    const inFlightAtTerm = { ...inFlight };
    const termAt = Date.now();
    service.child.kill('SIGTERM');
    const hardStop = setTimeout(() => service.child.kill('SIGKILL'), graceMs + SHUTDOWN_MARGIN_MS + 30_000);
    const exit = await service.exited;
    clearTimeout(hardStop);
    const exitMs = exit.at - termAt;
    stopped = true;
    await Promise.all(workers);

    const db = new Database(dbPath, { readonly: true });
    const present = new Set((db.prepare('SELECT card_uuid FROM feedback').all() as { card_uuid: string }[]).map((r) => r.card_uuid));
    db.close();
    const wal = `${dbPath}-wal`;
    const out = service.output();
    const shuttingDown = /"time":"([^"]+)"[^\n]*"msg":"shutting down"/.exec(out)?.[1];
    const handledMs = shuttingDown ? Date.parse(shuttingDown) - termAt : NaN;
    const how =
      exit.code === 0 && out.includes('"msg":"stopped"')
        ? 'clean'
        : exit.code === 1 && out.includes('"msg":"shutdown did not finish in time: exiting"')
          ? 'deadline'
          : exit.signal === 'SIGKILL' && out.includes('"component":"shutdown-watchdog"')
            ? 'watchdog'
            : 'undocumented';
    const forcedLine = out.split('\n').find((l) => l.includes('"msg":"shutdown did not finish in time'));
    const pending = forcedLine ? (JSON.parse(forcedLine) as { pending?: unknown }).pending : undefined;
    return {
      round: n + 1,
      ...(pending ? { pending } : {}),
      graceMs,
      startMs,
      exitMs,
      handledMs,
      code: exit.code,
      signal: exit.signal,
      exit: how,
      inFlightAtTerm,
      answered,
      acked: acked.length,
      missing: acked.filter((c) => !present.has(c)),
      walBytes: existsSync(wal) ? statSync(wal).size : 0,
      tail: out.split('\n').slice(-6).join('\n'),
    };
  }

  it(`${ROUNDS} SIGTERMs under mixed traffic: each process ends within the grace period + margin, no acknowledged feedback lost`, async () => {
    const key = await ensureSandboxClientKey(join(ROOT, '.sandbox'));
    const rounds: Round[] = [];
    for (let n = 0; n < ROUNDS; n++) rounds.push(await round(n, key));

    const table = rounds
      .map(
        (r) =>
          `round ${String(r.round).padStart(2)}: grace ${String(r.graceMs).padStart(4)} ms, start ${String(r.startMs).padStart(5)} ms, exit ${String(r.exitMs).padStart(5)} ms after SIGTERM, handled after ${String(r.handledMs).padStart(4)} ms (${r.exit}: code ${r.code}${r.signal ? `, ${r.signal}` : ''}), in flight at SIGTERM ${JSON.stringify(r.inFlightAtTerm)}, feedback acked ${r.acked}, missing ${r.missing.length}, WAL ${r.walBytes} B; ${JSON.stringify(r.answered)}${r.pending ? `; pending: ${JSON.stringify(r.pending)}` : ''}`,
      )
      .join('\n');
    const count = (e: Round['exit']): number => rounds.filter((r) => r.exit === e).length;
    process.stderr.write(
      `SIGTERM rounds (SIGTERM_ROUNDS=${ROUNDS}):\n${table}\nslowest exit: ${Math.max(...rounds.map((r) => r.exitMs))} ms after SIGTERM, ${Math.max(...rounds.map((r) => r.exitMs - r.handledMs))} ms after the service handled it; clean ${count('clean')}, in-process deadline ${count('deadline')}, watchdog ${count('watchdog')}, undocumented ${count('undocumented')}\n`,
    );

    // The guarantee: the process ends by grace + margin after the service handles the signal.
    const late = rounds.filter((r) => !(r.exitMs - r.handledMs <= r.graceMs + SHUTDOWN_MARGIN_MS + SLACK_MS));
    expect(late.map((r) => ({ round: r.round, exitMs: r.exitMs, handledMs: r.handledMs, tail: r.tail }))).toEqual([]);
    // Exit 0, or one of the two documented forced exits, each with its log line naming what was pending.
    expect(rounds.filter((r) => r.exit === 'undocumented').map((r) => ({ round: r.round, code: r.code, signal: r.signal, tail: r.tail }))).toEqual([]);
    expect(rounds.flatMap((r) => r.missing)).toEqual([]);
    // A clean stop closed the store: SQLite checkpointed the WAL into the file and removed it.
    expect(rounds.filter((r) => r.exit === 'clean' && r.walBytes > 0).map((r) => r.round)).toEqual([]);
    // The traffic was real: a CGM request fetching from the sandbox in flight at every SIGTERM, and feedback acknowledged.
    expect(rounds.filter((r) => r.inFlightAtTerm.cgm === 0).map((r) => r.round)).toEqual([]);
    expect(rounds.filter((r) => r.acked === 0).map((r) => r.round)).toEqual([]);
  }, ROUNDS * 90_000);
});
