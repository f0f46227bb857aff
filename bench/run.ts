/**
 * npm run bench: throughput and latency of the CDS services over real HTTP on loopback.
 * The server runs in its own process; autocannon drives it at concurrency 10. Every request
 * carries its own pre-signed client JWT (each jti is accepted once), as real EHR calls do.
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

const ROOT = resolve(new URL('..', import.meta.url).pathname);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
// One-use JWTs for the whole run (more than the service can answer in SECONDS on this machine).
const TOKENS = Number(process.env.BENCH_TOKENS ?? 30000);
const CONNECTIONS = 10;

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

interface Figures {
  readonly name: string;
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
  readonly non2xx: number;
  readonly serverP50: number;
  readonly serverP99: number;
}

async function measure(name: string, port: number, privateJwk: JWK, service: string, body: string): Promise<Figures> {
  const path = `/cds-services/${service}`;
  const pool = await tokens(privateJwk, path, TOKENS);
  let i = 0;
  await fetch(`http://127.0.0.1:${port}/bench/latencies`); // reset
  const started = process.hrtime.bigint();
  const result = await autocannon({
    url: `http://127.0.0.1:${port}${path}`,
    method: 'POST',
    connections: CONNECTIONS,
    duration: SECONDS,
    headers: { 'content-type': 'application/json' },
    body,
    requests: [{ setupRequest: (req) => ({ ...req, headers: { ...req.headers, authorization: `Bearer ${pool[i++]}` } }) }],
  });
  // Throughput over the measured wall time (autocannon's per-second average rounds to whole seconds).
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const server = (await (await fetch(`http://127.0.0.1:${port}/bench/latencies`)).json()) as { p50: number; p99: number };
  return { name, rps: result.requests.total / seconds, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors, non2xx: result.non2xx, serverP50: server.p50, serverP99: server.p99 };
}

const child = spawn(process.execPath, [...(process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] : []), '--import', 'tsx', 'bench/server.ts'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], env: process.env });
const first = await new Promise<string>((ok) => child.stdout!.once('data', (b: Buffer) => ok(b.toString())));
const { port, privateJwk } = JSON.parse(first) as { port: number; privateJwk: JWK };
try {
  const prefetch = await fullPrefetch('cvd-high-risk-male');
  const request = (hookInstance: string, withPrefetch: boolean): string =>
    JSON.stringify({ hook: 'patient-view', hookInstance, context: { userId: 'Practitioner/bench', patientId: 'cvd-high-risk-male' }, ...(withPrefetch ? { prefetch } : {}) });
  // Warm-up, so JIT and model sessions are hot in both measurements.
  if (!process.env.BENCH_NO_WARMUP) await measure('warm-up', port, privateJwk, 'cardiovascular-risk', request(randomUUID(), true));
  const trivial = await measure('trivial (same middleware, no cards)', port, privateJwk, 'bench-trivial', request(randomUUID(), false));
  const cvd = await measure('cardiovascular-risk, full prefetch', port, privateJwk, 'cardiovascular-risk', request(randomUUID(), true));
  const rows = [trivial, cvd].map((f) => `| ${f.name} | ${f.rps.toFixed(0)} | ${f.p50} | ${f.p99} | ${f.serverP50.toFixed(2)} | ${f.serverP99.toFixed(2)} | ${f.errors + f.non2xx} |`);
  process.stdout.write(
    [
      `precision-cds benchmark: ${SECONDS} s per target, concurrency ${CONNECTIONS}, node ${process.version}, ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}`,
      '',
      '| target | requests/s | client p50 ms | client p99 ms | server p50 ms | server p99 ms | errors |',
      '|---|---|---|---|---|---|---|',
      ...rows,
      '',
      `cardiovascular-risk / trivial throughput ratio: ${((cvd.rps / trivial.rps) * 100).toFixed(1)} % (target >= 50 %); client p99 ${cvd.p99} ms, server p99 ${cvd.serverP99.toFixed(2)} ms (target < 15 ms)`,
      '',
    ].join('\n'),
  );
} finally {
  child.kill('SIGTERM');
}
