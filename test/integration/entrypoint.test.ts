import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(process.cwd());
// node with the tsx loader, one process: the tsx CLI would put the server in a child a SIGKILL misses.
const RUN = [process.execPath, ['--import', 'tsx', 'src/index.ts']] as const;

/** The real entry point as `npm start` runs it: sandbox FHIR server, sandbox client keys, listening, SIGTERM. */
describe('entry point with the sandbox (npm start)', () => {
  let child: ChildProcess;
  let output = '';
  let port = 0;
  let fhirBaseUrl = '';

  beforeAll(async () => {
    child = spawn(RUN[0], [...RUN[1]], {
      cwd: ROOT,
      env: { ...process.env, SANDBOX: 'on', PORT: '0', SANDBOX_FHIR_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', PUBLIC_BASE_URL: 'http://127.0.0.1:3999', CORS_ORIGINS: '*', SANDBOX_FHIR_CORS_ORIGINS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (output += b.toString()));
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && !port) {
      const m = /"port":(\d+),"services"/.exec(output);
      if (m) port = Number(m[1]);
      else await new Promise((r) => setTimeout(r, 100));
    }
    fhirBaseUrl = /"fhirBaseUrl":"([^"]+)"/.exec(output)?.[1] ?? '';
  }, 70_000);

  afterAll(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });

  it('starts, loads the fixtures into the sandbox FHIR server and reports ready', async () => {
    expect(port).toBeGreaterThan(0);
    const ready = await fetch(`http://127.0.0.1:${port}/health/ready`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { checks: Record<string, { status: string }> };
    expect(body.checks['sandbox-fhir']?.status).toBe('ok');
  });

  it('the sandbox FHIR server returns the fixture patients', async () => {
    const res = await fetch(`${fhirBaseUrl}/Patient?_count=100`);
    const bundle = (await res.json()) as { total: number; entry: { resource: { id: string } }[] };
    expect(bundle.total).toBeGreaterThanOrEqual(12);
    expect(bundle.entry.map((e) => e.resource.id)).toContain('cvd-high-risk-male');
  });

  it('discovery answers 200 with a sandbox client token and 401 without', async () => {
    const { ensureSandboxClientKey, signSandboxToken } = await import('../../src/sandbox/sandbox-client.js');
    const keys = await ensureSandboxClientKey(join(ROOT, '.sandbox'));
    const token = await signSandboxToken(keys.privateJwk, 'http://127.0.0.1:3999/cds-services');
    const ok = await fetch(`http://127.0.0.1:${port}/cds-services`, { headers: { Authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    const replay = await fetch(`http://127.0.0.1:${port}/cds-services`, { headers: { Authorization: `Bearer ${token}` } });
    expect(replay.status).toBe(401);
    const none = await fetch(`http://127.0.0.1:${port}/cds-services`);
    expect(none.status).toBe(401);
  });

  it('glucose-monitoring works through the real wiring: a card from the sandbox FHIR server and its AGP chart link', async () => {
    const { ensureSandboxClientKey, signSandboxToken } = await import('../../src/sandbox/sandbox-client.js');
    const keys = await ensureSandboxClientKey(join(ROOT, '.sandbox'));
    const token = await signSandboxToken(keys.privateJwk, 'http://127.0.0.1:3999/cds-services/glucose-monitoring');
    const res = await fetch(`http://127.0.0.1:${port}/cds-services/glucose-monitoring`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        hook: 'patient-view',
        hookInstance: 'd1577c69-dfbe-44ad-ba6d-3e05e953b2ea',
        fhirServer: fhirBaseUrl,
        fhirAuthorization: { access_token: 'sandbox', token_type: 'Bearer', expires_in: 300, scope: 'user/*.read', subject: 'precision-cds' },
        context: { userId: 'Practitioner/dr-1', patientId: 'cgm-hypo' },
      }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { cards: { indicator: string; links?: { url: string }[] }[] };
    expect(body.cards[0]?.indicator).toBe('critical');
    const link = new URL(body.cards[0]!.links![0]!.url);
    expect(link.origin).toBe('http://127.0.0.1:3999'); // PUBLIC_BASE_URL
    const chart = await fetch(`http://127.0.0.1:${port}${link.pathname}`);
    expect(chart.status).toBe(200);
    expect(chart.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
  });

  it('serves metrics', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(await res.text()).toContain('http_requests_total');
  });

  it('the sandbox FHIR server serves browser clients: CORS (CORS_ORIGINS, * by default) and the DSTU2 JSON media type', async () => {
    const res = await fetch(`${fhirBaseUrl}/Patient/cvd-high-risk-male`, { headers: { Origin: 'https://sandbox.cds-hooks.org', Accept: 'application/json+fhir' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('content-type')).toMatch(/^application\/json\+fhir/);
  });

  it('shuts down cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('"msg":"stopped"');
  });
});

describe('entry point configuration errors', () => {
  it('a bad variable stops the process with a message naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const child = spawn(RUN[0], [...RUN[1]], { cwd: ROOT, env: { ...process.env, PORT: 'eighty', SANDBOX: 'off', TRUSTED_CLIENTS: join(dir, 'x.json') }, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    const code = await new Promise<number | null>((ok) => child.once('exit', ok));
    expect(code).toBe(1);
    expect(err).toContain('PORT');
  }, 30_000);
});
