/**
 * README "Your first call" must work as written on a fresh `npm start` (issue: the obvious first call answered
 * 412 and the README said nothing about calling a service). Each ```sh first-call block of the README is run
 * by bash in the project folder against the real entry point with the sandbox; only the two port numbers are
 * replaced by the free ports this test starts the service on.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

const ROOT = resolve(process.cwd());
const README = readFileSync(resolve(ROOT, 'README.md'), 'utf8');
const BLOCKS = [...README.matchAll(/```sh first-call\n([\s\S]*?)```/g)].map((m) => m[1]!);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((ok) => server.close(() => ok()));
  return port;
}

function bash(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((ok) => {
    execFile('bash', ['-c', script], { cwd: ROOT, env, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
      ok({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('README: your first call, as written', () => {
  let child: ChildProcess;
  let output = '';
  let port = 0;
  let fhirPort = 0;

  beforeAll(async () => {
    port = await freePort();
    fhirPort = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, SANDBOX: 'on', PORT: String(port), SANDBOX_FHIR_PORT: String(fhirPort), HOST: '127.0.0.1', LOG_LEVEL: 'warn' };
    delete env['PUBLIC_BASE_URL'];
    delete env['TRUSTED_CLIENTS'];
    child = spawn(process.execPath, ['--import', 'tsx', 'src/index.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (output += b.toString()));
    const deadline = Date.now() + 90_000;
    for (;;) {
      const ready = await fetch(`http://127.0.0.1:${port}/health/ready`).then((r) => r.ok, () => false);
      if (ready) break;
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the service did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }, 100_000);

  afterAll(() => {
    if (child?.exitCode === null) child.kill('SIGKILL');
  });

  it('the README has one first call per service and hook', () => {
    const urls = BLOCKS.map((b) => /curl -sf (\S+)/.exec(b)?.[1]);
    expect(urls).toEqual([
      'http://localhost:3000/cds-services/cardiovascular-risk',
      'http://localhost:3000/cds-services/glucose-monitoring',
      'http://localhost:3000/cds-services/pharmacogenomics-order-select',
      'http://localhost:3000/cds-services/pharmacogenomics-order-sign',
    ]);
  });

  it.each(BLOCKS.map((b, i) => [i + 1, b] as const))('block %i answers 200 with cards', async (_n, block) => {
    const script = block.replaceAll('localhost:3000', `localhost:${port}`).replaceAll('127.0.0.1:8080', `127.0.0.1:${fhirPort}`);
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port) };
    delete env['PUBLIC_BASE_URL'];
    const { code, stdout, stderr } = await bash(script, env);
    expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });
    const body = JSON.parse(stdout) as { cards: { summary: string; indicator: string }[] };
    expect(body.cards.length).toBeGreaterThan(0);
    // A real answer about the patient, not "data incomplete" or a 412's stand-in.
    expect(body.cards.map((c) => c.summary).join(' | ')).not.toMatch(/incomplete|could not be obtained/i);
  }, 90_000);
});
