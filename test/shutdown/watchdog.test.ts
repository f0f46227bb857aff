import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(process.cwd());
const GRACE = 300;
const MARGIN = 800;

interface Ended {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** From SIGTERM to the exit. */
  readonly afterTermMs: number;
  readonly stdout: string;
  readonly watchdogPid: number;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Starts test/shutdown/fixtures/shutdown-process.ts, sends SIGTERM once it listens, waits for the end. */
async function run(closer: 'blocked' | 'ok', opts: { killWatchdogFirst?: boolean } = {}): Promise<Ended> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/shutdown/fixtures/shutdown-process.ts'], {
    cwd: ROOT,
    env: { ...process.env, CLOSER: closer, GRACE_MS: String(GRACE), MARGIN_MS: String(MARGIN) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
  const ended = new Promise<[number | null, NodeJS.Signals | null]>((ok) => child.once('exit', (code, signal) => ok([code, signal])));
  const until = Date.now() + 30_000;
  while (!stdout.includes('ready\n')) {
    if (Date.now() > until || child.exitCode !== null) throw new Error(`fixture did not start: ${stdout}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  if (opts.killWatchdogFirst) {
    const pid = Number(/watchdog (\d+)/.exec(stdout)?.[1]);
    process.kill(pid, 'SIGKILL');
    while (alive(pid)) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 200)); // the service sees it gone
  }
  const termAt = Date.now();
  child.kill('SIGTERM');
  const [code, signal] = await ended;
  const afterTermMs = Date.now() - termAt;
  return { code, signal, afterTermMs, stdout, watchdogPid: Number(/watchdog (\d+)/.exec(stdout)?.[1]) };
}


describe('shutdown watchdog (a separate process)', () => {
  it('kills a process whose main thread is blocked in a futex wait at grace + margin, after logging what was pending', async () => {
    const r = await run('blocked');
    expect(r.signal).toBe('SIGKILL');
    expect(r.afterTermMs).toBeGreaterThanOrEqual(GRACE + MARGIN - 50);
    expect(r.afterTermMs).toBeLessThan(GRACE + MARGIN + 1500);
    const line = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, any>)
      .find((l) => l['component'] === 'shutdown-watchdog');
    expect(line).toMatchObject({ level: 'fatal', exit: 'SIGKILL', graceMs: GRACE, pending: { phase: 'closing', closersPending: ['native-lock'] } });
  }, 40_000);

  it('one killed before the shutdown is replaced when the shutdown arms it', async () => {
    const r = await run('blocked', { killWatchdogFirst: true });
    expect(r.signal).toBe('SIGKILL');
    expect(r.afterTermMs).toBeLessThan(GRACE + MARGIN + 3000);
    expect(r.stdout).toContain('"component":"shutdown-watchdog"');
  }, 40_000);

  it('ends by itself, killing nothing, when the process it watches exits normally', async () => {
    const r = await run('ok');
    expect({ code: r.code, signal: r.signal }).toEqual({ code: 0, signal: null });
    expect(r.watchdogPid).toBeGreaterThan(0);
    const until = Date.now() + 2000;
    while (alive(r.watchdogPid) && Date.now() < until) await new Promise((res) => setTimeout(res, 20));
    expect(alive(r.watchdogPid)).toBe(false);
    expect(r.stdout).not.toContain('shutdown-watchdog');
  }, 40_000);
});
