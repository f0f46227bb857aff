import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Patient } from 'fhir/r4.js';
import { CVD_PREFETCH } from '../../src/services/cardiovascular-risk/index.js';
import { ehrPrefetch } from '../helpers/ehr.js';
import { fhirFallback, fixtureSubset, freePort, PUBLIC_BASE, ROOT, sandboxToken, startService, warfarinOrderContext, type Exit, type ServiceProcess } from '../helpers/service-process.js';
import { parseTrace, straceUnavailable, straceWrapper, type Trace } from '../helpers/strace.js';

/**
 * Issue "a clinical service must not phone home": the real entry point (sandbox on, SQLite in a
 * temp data dir) runs with a fresh, empty HOME and TMPDIR, WITHOUT ORT_DISABLE_TELEMETRY in its
 * environment (the code must set it), serves requests through every ONNX model, and stops on
 * SIGTERM. Then: HOME and TMPDIR are still empty (ONNX Runtime's telemetry writes a device id
 * and an event queue under ~/.cache and a mat-debug-<pid>.log in the temp folder); nothing was
 * created or opened for writing outside the service's data paths (the SQLite dir, .sandbox/);
 * and no connection went anywhere but the configured sandbox FHIR server, seen both by an
 * in-process guard (test/helpers/egress-guard.mjs) and, for native code too, by strace.
 */
const PATIENTS = ['cvd-high-risk-male', 'cvd-black-female', 'cvd-white-female', 'pgx-warfarin', 'cgm-hypo'];
const GUARD = join(ROOT, 'test/helpers/egress-guard.mjs');
const noStrace = straceUnavailable();
if (noStrace) process.stderr.write(`no-phone-home: the system-level (strace) checks are SKIPPED: ${noStrace}\n`);

/**
 * Not the service: the test runs it with the tsx loader, which at start looks for a parent tsx
 * CLI (watch mode) on a local socket `$TMPDIR/tsx-<user>/<ppid>.pipe` (not found: ENOENT; it
 * creates nothing). The built service (`node dist/src/index.js`) has no such loader.
 */
const TSX_IPC = (tmp: string): string => `${tmp}/tsx-`;
const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const isTsxIpc = (tmp: string, address: string): boolean => new RegExp(`^"${escapeRe(tmp)}/tsx-[^/"]+/\\d+\\.pipe"$`).test(address);

const listAll = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? [`${d.name}/`, ...listAll(join(dir, d.name)).map((p) => `${d.name}/${p}`)] : [d.name]));

describe('no phoning home: a fresh HOME and TMPDIR stay empty, and no connection leaves for an address not configured', () => {
  const work = mkdtempSync(join(tmpdir(), 'no-phone-home-'));
  const home = join(work, 'home');
  const tmp = join(work, 'tmp');
  const data = join(work, 'data'); // created by the service itself
  const traceFile = join(work, 'trace.txt');
  let service: ServiceProcess;
  let sandboxPort = 0;
  let exit: Exit;
  /** `<path> <status>` of every request made. */
  const answers: string[] = [];

  beforeAll(async () => {
    mkdirSync(home);
    mkdirSync(tmp);
    sandboxPort = await freePort();
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) {
      // No telemetry opt-out from outside, no other cache or config locations than the fresh ones.
      if (v !== undefined && k !== 'ORT_DISABLE_TELEMETRY' && !k.startsWith('XDG_') && k !== 'NODE_OPTIONS') env[k] = v;
    }
    Object.assign(env, {
      HOME: home,
      TMPDIR: tmp,
      TMP: tmp,
      TEMP: tmp,
      // tsx (the test's TypeScript loader, not part of the service) would cache compiled files in TMPDIR.
      TSX_DISABLE_CACHE: '1',
      SANDBOX: 'on',
      SANDBOX_FHIR_PORT: String(sandboxPort),
      PORT: '0',
      HOST: '127.0.0.1',
      PUBLIC_BASE_URL: PUBLIC_BASE,
      STORE: 'sqlite',
      SQLITE_PATH: join(data, 'store.sqlite'),
      FIXTURES_DIR: fixtureSubset(join(work, 'fixtures'), PATIENTS),
      LOG_LEVEL: 'info',
      // Generous: this machine is shared; the point here is what the process touches, not speed.
      PREFETCH_DEADLINE_MS: '30000',
      FHIR_TIMEOUT_MS: '20000',
      EGRESS_ALLOW: `127.0.0.1:${sandboxPort},unix:${TSX_IPC(tmp)}*`,
    });
    service = await startService({ env, nodeArgs: ['--import', GUARD], ...(noStrace ? {} : { wrapper: straceWrapper(traceFile) }) });

    const post = async (path: string, body: unknown): Promise<Record<string, any>> => {
      const res = await fetch(`http://127.0.0.1:${service.port}${path}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${await sandboxToken(path)}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      answers.push(`${path} ${res.status}`);
      return (await res.json()) as Record<string, any>;
    };
    const hook = (context: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ hook: 'patient-view', hookInstance: crypto.randomUUID(), context, ...extra });
    const view = (patientId: string) => ({ userId: 'Practitioner/dr-1', patientId });
    const fallback = fhirFallback(service.fhirBaseUrl);

    // Every model: PCE white male + PREVENT male, PCE AA female + PREVENT female, PCE white female (FHIR fallback) ...
    for (const p of ['cvd-high-risk-male', 'cvd-black-female', 'cvd-white-female']) await post('/cds-services/cardiovascular-risk', hook(view(p), fallback));
    // ... PCE AA male: no fixture patient, so cvd-high-risk-male's record as prefetch, with US Core race Black.
    const prefetch = await ehrPrefetch(service.fhirBaseUrl, CVD_PREFETCH, 'cvd-high-risk-male');
    const patient = structuredClone(prefetch['patient']) as Patient;
    patient.extension = [{ url: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-race', extension: [{ url: 'ombCategory', valueCoding: { system: 'urn:oid:2.16.840.1.113883.6.238', code: '2054-5', display: 'Black or African American' } }] }];
    await post('/cds-services/cardiovascular-risk', hook(view('cvd-high-risk-male'), { prefetch: { ...prefetch, patient } }));
    // ... IWPC warfarin dosing on an order-sign.
    await post('/cds-services/pharmacogenomics', { ...hook(warfarinOrderContext('pgx-warfarin'), fallback), hook: 'order-sign' });
    // CGM with FHIR fallback (no model, the heaviest FHIR traffic), its AGP chart, and feedback.
    const cgm = await post('/cds-services/glucose-monitoring', hook(view('cgm-hypo'), fallback));
    const agp = cgm['cards']?.[0]?.links?.[0]?.url as string | undefined;
    const chart = await fetch(`http://127.0.0.1:${service.port}${agp ? new URL(agp).pathname : '/agp/none'}`);
    await chart.arrayBuffer();
    answers.push(`/agp/:token ${chart.status}`);
    await post('/cds-services/glucose-monitoring/feedback', { feedback: [{ card: cgm['cards']?.[0]?.uuid ?? crypto.randomUUID(), outcome: 'overridden', outcomeTimestamp: new Date().toISOString() }] });
    await fetch(`http://127.0.0.1:${service.port}/health/ready`).then((r) => r.arrayBuffer());

    // The service itself (under strace, the traced node, whose pid the guard printed); strace ends with it.
    const pid = Number(/egress-guard: active pid=(\d+)/.exec(service.output())?.[1]);
    if (pid) process.kill(pid, 'SIGTERM');
    else service.child.kill('SIGTERM');
    exit = await service.exited;
  }, 180_000);

  afterAll(() => {
    if (service && service.child.exitCode === null && service.child.signalCode === null) {
      // Still running (a failed test): under strace, killing strace alone would leave the traced service running.
      const pid = Number(/egress-guard: active pid=(\d+)/.exec(service.output())?.[1]);
      if (pid) process.kill(pid, 'SIGKILL');
      service.child.kill('SIGKILL');
    }
    rmSync(work, { recursive: true, force: true });
  });

  it('served every request (so every model ran) and stopped cleanly', () => {
    expect(answers).toHaveLength(8);
    expect(answers.filter((a) => !a.endsWith(' 200'))).toEqual([]);
    expect(exit).toMatchObject({ code: 0, signal: null });
  });

  it('every ONNX model of models/ was run (audit trail)', () => {
    const db = new Database(join(data, 'store.sqlite'), { readonly: true });
    const rows = db.prepare('SELECT models FROM audit').all() as { models: string }[];
    db.close();
    const used = new Set(rows.flatMap((r) => (JSON.parse(r.models) as { id: string }[]).map((m) => m.id)));
    const all = readdirSync(join(ROOT, 'models'), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
    expect(all.filter((id) => !used.has(id))).toEqual([]);
  });

  it('HOME and TMPDIR are still empty (no ONNX Runtime device id, event queue or debug log)', () => {
    expect({ home: listAll(home), tmp: listAll(tmp) }).toEqual({ home: [], tmp: [] });
  });

  it('the in-process guard was active and refused nothing', () => {
    expect(service.output()).toContain(`egress-guard: active pid=`);
    expect(service.output().match(/egress-guard: refused .*/g) ?? []).toEqual([]);
    expect(service.output()).toContain(`allowed=127.0.0.1:${sandboxPort},`);
  });

  describe('system level (strace, every thread and child, native code included)', () => {
    const run = noStrace ? it.skip : it;
    let trace: Trace;
    beforeAll(() => {
      if (!noStrace) trace = parseTrace(readFileSync(traceFile, 'utf8'), ROOT);
    });

    run('connections went only to the sandbox FHIR server (and the trace does see them)', () => {
      // AF_UNSPEC (a UDP disconnect) and AF_NETLINK (the kernel) are not network destinations.
      const network = trace.connections.filter((c) => c.family !== 'AF_UNSPEC' && c.family !== 'AF_NETLINK' && !(c.family === 'AF_UNIX' && isTsxIpc(tmp, c.address)));
      expect(network.some((c) => c.address === `127.0.0.1:${sandboxPort}`)).toBe(true);
      expect(network.filter((c) => c.address !== `127.0.0.1:${sandboxPort}`).map((c) => c.line)).toEqual([]);
    });

    run('files were created or written only in the data dir and .sandbox/', () => {
      const allowed = [`${data}/`, `${join(ROOT, '.sandbox')}/`];
      // The data paths themselves may be created (a fresh clone has no .sandbox/ yet).
      const outside = trace.writes.filter((w) => w.path !== data && w.path !== join(ROOT, '.sandbox') && w.path !== '/dev/null' && !allowed.some((a) => w.path.startsWith(a)));
      expect(outside.map((w) => w.line)).toEqual([]);
      expect(trace.writes.some((w) => w.path === join(data, 'store.sqlite'))).toBe(true);
    });
  });
});

describe('the strace reading used above', () => {
  const sample = [
    '101 connect(21<socket:[1]>, {sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr("127.0.0.1")}, 16) = -1 EINPROGRESS (Operation now in progress)',
    '102 connect(22<socket:[2]>, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "2001:db8::1", &sin6_addr), sin6_scope_id=0}, 28 <unfinished ...>',
    '101 openat(AT_FDCWD</srv/app>, "/home/u/.cache/Microsoft/DeveloperTools/.onnxruntime/deviceid", O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0644) = 23</home/u/.cache/Microsoft/DeveloperTools/.onnxruntime/deviceid>',
    '102 <... connect resumed>) = -1 EINPROGRESS (Operation now in progress)',
    '101 openat(AT_FDCWD</srv/app>, "models/x/model.onnx", O_RDONLY|O_CLOEXEC) = 24</srv/app/models/x/model.onnx>',
    '101 openat(AT_FDCWD</srv/app>, "data/s.sqlite", O_RDWR|O_CREAT|O_CLOEXEC, 0644) = -1 EACCES (Permission denied)',
    '103 sendto(25<socket:[3]>, "\\x12\\x34", 2, 0, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.0.0.2")}, 16) = 2',
    '103 mkdir("/tmp/t/.ses", 0700) = 0',
  ].join('\n');

  it('finds connections and sends by address, across interleaved threads', () => {
    expect(parseTrace(sample, '/srv/app').connections.map((c) => c.address)).toEqual(['127.0.0.1:8080', '[2001:db8::1]:443', '10.0.0.2:53']);
  });

  it('finds files created or opened for writing, not reads and not failed opens', () => {
    expect(parseTrace(sample, '/srv/app').writes.map((w) => w.path)).toEqual(['/home/u/.cache/Microsoft/DeveloperTools/.onnxruntime/deviceid', '/tmp/t/.ses']);
  });
});

describe('the in-process guard used above', () => {
  it('refuses and logs a connection to an address not allowed, and lets an allowed one through', async () => {
    const srv = createNetServer((sock) => sock.end('ok'));
    await new Promise<void>((ok) => srv.listen(0, '127.0.0.1', ok));
    const port = (srv.address() as AddressInfo).port;
    const script = `
      const net = require('node:net');
      net.connect(9, '192.0.2.1').on('error', (e) => process.stdout.write('blocked:' + e.code + '\\n'));
      net.connect(${port}, '127.0.0.1').on('data', (d) => process.stdout.write('allowed:' + d + '\\n'));`;
    const child = spawn(process.execPath, ['--import', GUARD, '-e', script], { env: { ...process.env, EGRESS_ALLOW: `127.0.0.1:${port}` }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    await new Promise((ok) => child.once('exit', ok));
    srv.close();
    expect(stderr).toContain('egress-guard: refused 192.0.2.1:9');
    expect(stdout).toContain('blocked:ECONNREFUSED');
    expect(stdout).toContain('allowed:ok');
  });
});
