/**
 * npm run bench: throughput and latency of the CDS services over real HTTP on loopback.
 * The server runs in its own process; autocannon drives it at concurrency 10. Every request
 * carries its own pre-signed client JWT (each jti is accepted once), as real EHR calls do.
 * glucose-monitoring is driven with 14 + 14 days of 5-minute CGM readings in prefetch (8,064
 * Observations, a 4.6 MB body), at concurrency 10 and 1; before the HTTP runs, its metric
 * computation is timed in-process (bench/cgm.ts).
 *
 * BENCH_SECONDS (10) per target; BENCH_TARGETS (all): comma-separated subset of trivial, cvd, cgm;
 * BENCH_CONNECTIONS (10); BENCH_NO_WARMUP skips the warm-up runs; BENCH_PROFILE writes a CPU
 * profile of the server to /tmp/prof.
 */
import autocannon from 'autocannon';
import os from 'node:os';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { importJWK, SignJWT, type JWK } from 'jose';
import { startSandboxFhirServer } from '../src/sandbox/fhir-server.js';
import { CVD_PREFETCH } from '../src/services/cardiovascular-risk/index.js';
import { renderTemplate } from '../src/cds/prefetch.js';
import { CGM_PATIENT_ID, CGM_READINGS, cgmMicroBenchmark, cgmScenario } from './cgm.js';

const ROOT = resolve(new URL('..', import.meta.url).pathname);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
// One-use JWTs for the whole run (more than the service can answer in SECONDS on this machine).
const TOKENS = Number(process.env.BENCH_TOKENS ?? 30000);
// glucose-monitoring answers far fewer requests (each parses a 4.6 MB body): a smaller pool.
const CGM_TOKENS = Number(process.env.BENCH_CGM_TOKENS ?? 500 * SECONDS);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const TARGETS = new Set((process.env.BENCH_TARGETS ?? 'trivial,cvd,cgm').split(',').map((t) => t.trim()));
const WARMUP = !process.env.BENCH_NO_WARMUP;

async function fullPrefetch(patientId: string): Promise<Record<string, unknown>> {
  const sandbox = await startSandboxFhirServer({ port: 0, fixturesDir: resolve(ROOT, 'fhir-fixtures') });
  const out: Record<string, unknown> = {};
  for (const [key, template] of Object.entries(CVD_PREFETCH)) {
    const r = renderTemplate(template, { patientId });
    if (!r.ok) throw new Error(r.reason);
    out[key] = await (await fetch(`${sandbox.baseUrl}/${r.url}`)).json();
  }
  await sandbox.close();
  return out;
}

async function tokens(privateJwk: JWK, path: string, n: number): Promise<string[]> {
  const key = await importJWK(privateJwk, 'ES384');
  const now = Math.floor(Date.now() / 1000);
  return Promise.all(
    Array.from({ length: n }, () =>
      new SignJWT({}).setProtectedHeader({ alg: 'ES384', kid: 'bench' }).setIssuer('https://bench-ehr.local').setAudience(`http://bench.local${path}`).setIssuedAt(now).setExpirationTime(now + 600).setJti(randomUUID()).sign(key),
    ),
  );
}

interface Quantiles {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

interface Figures {
  readonly name: string;
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
  readonly non2xx: number;
  readonly serverP50: number;
  readonly serverP99: number;
  readonly serverP90: number;
  readonly serverMax: number;
  readonly clientP90: number;
  readonly clientMax: number;
  readonly requests: number;
  /** Server side, request in -> body read in full. */
  readonly receiving: Quantiles;
  /** Server side, body read in full -> response finished. */
  readonly processing: Quantiles;
}

async function measure(name: string, port: number, privateJwk: JWK, service: string, body: string, poolSize = TOKENS, connections = CONNECTIONS): Promise<Figures> {
  const path = `/cds-services/${service}`;
  const pool = await tokens(privateJwk, path, poolSize);
  let i = 0;
  await fetch(`http://127.0.0.1:${port}/bench/latencies`); // reset
  const started = process.hrtime.bigint();
  const result = await autocannon({
    url: `http://127.0.0.1:${port}${path}`,
    method: 'POST',
    connections,
    duration: SECONDS,
    headers: { 'content-type': 'application/json' },
    body,
    requests: [{ setupRequest: (req) => ({ ...req, headers: { ...req.headers, authorization: `Bearer ${pool[i++]}` } }) }],
  });
  // Throughput over the measured wall time (autocannon's per-second average rounds to whole seconds).
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const server = (await (await fetch(`http://127.0.0.1:${port}/bench/latencies`)).json()) as Quantiles & { receiving: Quantiles; processing: Quantiles };
  if (i > pool.length) throw new Error(`${name}: ${i} requests but only ${pool.length} tokens; raise BENCH_TOKENS / BENCH_CGM_TOKENS`);
  return { name, rps: result.requests.total / seconds, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors, non2xx: result.non2xx, serverP50: server.p50, serverP99: server.p99, serverP90: server.p90, serverMax: server.max, clientP90: result.latency.p90, clientMax: result.latency.max, requests: result.requests.total, receiving: server.receiving, processing: server.processing };
}

const ms = (x: number): string => x.toFixed(x < 1 ? 3 : 2);
const spread = (q: { p50: number; p90: number; p99: number; max: number } | Figures): string =>
  ('serverP50' in q ? [q.serverP50, q.serverP90, q.serverP99, q.serverMax] : [q.p50, q.p90, q.p99, q.max]).map((x) => x.toFixed(0)).join('/');

// In-process micro-benchmark first, while no server competes for the CPU.
const micro = TARGETS.has('cgm') ? (() => {
  const s = cgmScenario(Date.now());
  const body = JSON.stringify({ hook: 'patient-view', hookInstance: randomUUID(), context: { userId: 'Practitioner/bench', patientId: CGM_PATIENT_ID }, prefetch: s.prefetch });
  return cgmMicroBenchmark(s, body);
})() : undefined;

const child = spawn(process.execPath, [...(process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] : []), '--import', 'tsx', 'bench/server.ts'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], env: process.env });
const first = await new Promise<string>((ok) => child.stdout!.once('data', (b: Buffer) => ok(b.toString())));
const { port, privateJwk } = JSON.parse(first) as { port: number; privateJwk: JWK };
try {
  const rows: Figures[] = [];
  let trivial: Figures | undefined;
  let cvd: Figures | undefined;
  let cgm: Figures | undefined;
  let cgmInfo = '';
  if (TARGETS.has('cvd') || TARGETS.has('trivial')) {
    const prefetch = await fullPrefetch('cvd-high-risk-male');
    const request = (hookInstance: string, withPrefetch: boolean): string =>
      JSON.stringify({ hook: 'patient-view', hookInstance, context: { userId: 'Practitioner/bench', patientId: 'cvd-high-risk-male' }, ...(withPrefetch ? { prefetch } : {}) });
    // Warm-up, so JIT and model sessions are hot in both measurements.
    if (WARMUP) await measure('warm-up', port, privateJwk, 'cardiovascular-risk', request(randomUUID(), true));
    if (TARGETS.has('trivial')) rows.push((trivial = await measure('trivial (same middleware, no cards)', port, privateJwk, 'bench-trivial', request(randomUUID(), false))));
    if (TARGETS.has('cvd')) rows.push((cvd = await measure('cardiovascular-risk, full prefetch', port, privateJwk, 'cardiovascular-risk', request(randomUUID(), true))));
  }
  if (TARGETS.has('cgm')) {
    // Readings end just before now: generated here, right before the runs that use them.
    const s = cgmScenario(Date.now());
    const body = JSON.stringify({ hook: 'patient-view', hookInstance: randomUUID(), context: { userId: 'Practitioner/bench', patientId: CGM_PATIENT_ID }, prefetch: s.prefetch });
    // One checked call first: the scenario must give the off-target card it is meant to.
    const [token] = await tokens(privateJwk, '/cds-services/glucose-monitoring', 1);
    const res = await fetch(`http://127.0.0.1:${port}/cds-services/glucose-monitoring`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body });
    const text = await res.text();
    const cards = res.ok ? ((JSON.parse(text) as { cards: { indicator: string; summary: string }[] }).cards ?? []) : [];
    if (!res.ok || cards.length !== 1) throw new Error(`glucose-monitoring check call: HTTP ${res.status}, ${cards.length} cards: ${text.slice(0, 500)}`);
    cgmInfo = `glucose-monitoring request: ${CGM_READINGS.toLocaleString('en')} readings, body ${(Buffer.byteLength(body) / 1e6).toFixed(2)} MB; response ${(Buffer.byteLength(text) / 1e3).toFixed(1)} kB, card [${cards[0]!.indicator}] ${cards[0]!.summary}`;
    if (WARMUP) await measure('warm-up', port, privateJwk, 'glucose-monitoring', body, CGM_TOKENS);
    rows.push((cgm = await measure('glucose-monitoring, 28 days of 5-min readings', port, privateJwk, 'glucose-monitoring', body, CGM_TOKENS)));
    // One request at a time: the latency of a single call without queueing behind others.
    if (CONNECTIONS !== 1) rows.push(await measure('glucose-monitoring, same, concurrency 1', port, privateJwk, 'glucose-monitoring', body, CGM_TOKENS, 1));
  }
  const lines = [
    `precision-cds benchmark: ${SECONDS} s per target, concurrency ${CONNECTIONS}, node ${process.version}, ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}`,
    '',
    '| target | requests/s | client p50 ms | client p99 ms | server p50 ms | server p99 ms | errors |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((f) => `| ${f.name} | ${f.rps.toFixed(f.rps < 100 ? 1 : 0)} | ${f.p50} | ${f.p99} | ${f.serverP50.toFixed(2)} | ${f.serverP99.toFixed(2)} | ${f.errors + f.non2xx} |`),
    '',
  ];
  if (trivial && cvd) {
    lines.push(
      `cardiovascular-risk / trivial throughput ratio: ${((cvd.rps / trivial.rps) * 100).toFixed(1)} % (target >= 50 %); client p99 ${cvd.p99} ms, server p99 ${cvd.serverP99.toFixed(2)} ms (target < 15 ms)`,
      '',
    );
  }
  if (cgm) {
    lines.push(
      cgmInfo,
      `glucose-monitoring latency spread (p50/p90/p99/max ms), ${cgm.requests} requests: client ${[cgm.p50, cgm.clientP90, cgm.p99, cgm.clientMax].join('/')}; server ${spread(cgm)}, of which receiving the body ${spread(cgm.receiving)} and processing it ${spread(cgm.processing)}`,
      '',
    );
  }
  if (micro) {
    lines.push(
      'glucose-monitoring in-process (no HTTP), single run timings:',
      '',
      '| step | runs | median ms | p99 ms |',
      '|---|---|---|---|',
      ...micro.timings.map((t) => `| ${t.name} | ${t.iterations} | ${ms(t.medianMs)} | ${ms(t.p99Ms)} |`),
      '',
      `metrics for ${micro.readings.toLocaleString('en')} readings: median ${ms(micro.metrics.medianMs)} ms, p99 ${ms(micro.metrics.p99Ms)} ms (target < ${micro.targetMs} ms): ${micro.metrics.p99Ms < micro.targetMs ? 'met' : 'NOT met'}`,
      `scenario: ${micro.check}`,
      '',
    );
  }
  process.stdout.write(lines.join('\n'));
} finally {
  child.kill('SIGTERM');
}
