import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { ensureSandboxClientKey, signSandboxToken } from '../../src/sandbox/sandbox-client.js';

export const ROOT = resolve(process.cwd());
/** PUBLIC_BASE_URL of the spawned service: JWT audiences and AGP links are built on it. */
export const PUBLIC_BASE = 'http://127.0.0.1:3999';

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Date.now() when the process was seen to end. */
  readonly at: number;
}

export interface ServiceProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly fhirBaseUrl: string;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  readonly exited: Promise<Exit>;
}

export interface StartOptions {
  /** The whole environment of the process (not merged with this one's). */
  readonly env: Readonly<Record<string, string>>;
  /** Runs `node` under this command, e.g. ['strace', '-f', ..., '--']. */
  readonly wrapper?: readonly string[];
  /** Options for node before the tsx loader, e.g. ['--import', '<guard>']. */
  readonly nodeArgs?: readonly string[];
  readonly startTimeoutMs?: number;
}

/**
 * The real entry point, as test/integration/entrypoint.test.ts runs it: node with the tsx
 * loader in one process (the tsx CLI would put the server in a child that signals miss).
 * Resolves once it listens.
 */
export async function startService(opts: StartOptions): Promise<ServiceProcess> {
  const node = [process.execPath, ...(opts.nodeArgs ?? []), '--import', 'tsx', 'src/index.ts'];
  const [cmd, ...args] = opts.wrapper?.length ? [...opts.wrapper, ...node] : node;
  const child = spawn(cmd!, args, { cwd: ROOT, env: { ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<Exit>((ok) => child.once('exit', (code, signal) => ok({ code, signal, at: Date.now() })));
  const deadline = Date.now() + (opts.startTimeoutMs ?? 90_000);
  for (;;) {
    const m = /"port":(\d+),"services"/.exec(out);
    if (m) {
      const fhirBaseUrl = /"fhirBaseUrl":"([^"]+)"/.exec(out)?.[1] ?? '';
      return { child, port: Number(m[1]), fhirBaseUrl, output: () => out, exited };
    }
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      // Under a wrapper the service is its child: kill it by the pid the egress guard printed, if preloaded.
      const traced = Number(/egress-guard: active pid=(\d+)/.exec(out)?.[1]);
      if (traced && child.exitCode === null && child.signalCode === null) process.kill(traced, 'SIGKILL');
      child.kill('SIGKILL');
      throw new Error(`service did not start: ${out.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A port free right now on loopback (for a server whose port must be known before it starts). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((ok) => srv.listen(0, '127.0.0.1', ok));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((ok) => srv.close(() => ok()));
  return port;
}

/** Copies the named fixture patients' Bundles into `dir`: the sandbox then loads only those (a faster start). */
export function fixtureSubset(dir: string, patientIds: readonly string[]): string {
  mkdirSync(dir, { recursive: true });
  const src = join(ROOT, 'fhir-fixtures');
  for (const id of patientIds) {
    const file = readdirSync(src).find((f) => f.endsWith(`-${id}.json`));
    if (!file) throw new Error(`no fixture for ${id}`);
    copyFileSync(join(src, file), join(dir, file));
  }
  return dir;
}

/** A sandbox EHR client JWT for `path` (the service trusts the key under .sandbox/). */
export async function sandboxToken(path: string): Promise<string> {
  const keys = await ensureSandboxClientKey(join(ROOT, '.sandbox'));
  return signSandboxToken(keys.privateJwk, `${PUBLIC_BASE}${path}`);
}

/** `fhirServer` + `fhirAuthorization` of a hook request against the sandbox: no prefetch, so the service fetches. */
export function fhirFallback(fhirBaseUrl: string): Record<string, unknown> {
  return {
    fhirServer: fhirBaseUrl,
    fhirAuthorization: { access_token: 'sandbox-token', token_type: 'Bearer', expires_in: 300, scope: 'user/*.read', subject: 'precision-cds' },
  };
}

/** A draft warfarin MedicationRequest (RxNorm 11289) with a structured dose, as an order-sign context carries it. */
export function warfarinOrderContext(patientId: string): Record<string, unknown> {
  const draft = {
    resourceType: 'MedicationRequest',
    id: 'draft-warfarin',
    status: 'draft',
    intent: 'order',
    subject: { reference: `Patient/${patientId}` },
    medicationCodeableConcept: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '11289', display: 'warfarin' }], text: 'warfarin' },
    dosageInstruction: [
      {
        text: '5 mg once daily',
        timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd' } },
        doseAndRate: [{ doseQuantity: { value: 5, unit: 'mg', system: 'http://unitsofmeasure.org', code: 'mg' } }],
      },
    ],
  };
  return { userId: 'Practitioner/dr-1', patientId, draftOrders: { resourceType: 'Bundle', type: 'collection', entry: [{ resource: draft }] } };
}
