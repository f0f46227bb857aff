import { spawn, type ChildProcess } from 'node:child_process';

/** What was still pending the last time the service said so: written in the watchdog's log line. */
export type PendingReport = Readonly<Record<string, unknown>>;

export interface Watchdog {
  /** The watchdog process, when it could be started. */
  readonly pid: number | undefined;
  /** Starts the countdown: at `killAt` (epoch ms) this process is killed if it is still alive. */
  arm(killAt: number, context?: Readonly<Record<string, unknown>>): void;
  /** Latest pending state; the watchdog keeps only the last one. Never blocks. */
  update(pending: PendingReport): void;
  /** The shutdown finished without help (or the test is over): the watchdog ends, killing nothing. */
  cancel(): void;
}

/**
 * The watchdog program, run by a separate `node` process. It reads JSON lines on stdin:
 * `{"arm":<epoch ms>,"context":{...}}` starts the countdown, `{"pending":{...}}` replaces what it
 * will report. At the deadline it writes one fatal log line (pino's shape) to stdout and sends
 * SIGKILL to its parent. End of stdin means the parent is gone (exited or killed): it ends.
 * It kills only its own parent, checked by `process.ppid` at that moment, so a recycled pid is
 * never hit: an orphaned watchdog has been re-parented.
 */
const PROGRAM = String.raw`
const { writeSync } = require('node:fs');
const parent = process.ppid;
let pending = {};
let context = {};
let timer;
let buffer = '';
const fire = () => {
  if (process.ppid !== parent) process.exit(0);
  const line = { level: 'fatal', time: new Date().toISOString(), pid: parent, service: 'precision-cds', component: 'shutdown-watchdog',
    ...context, pending, exit: 'SIGKILL', msg: 'shutdown did not finish in time: killing the process' };
  try { writeSync(1, JSON.stringify(line) + '\n'); } catch {}
  try { process.kill(parent, 'SIGKILL'); } catch {}
  process.exit(0);
};
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffer += chunk;
  for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
    let message;
    try { message = JSON.parse(buffer.slice(0, nl)); } catch {}
    buffer = buffer.slice(nl + 1);
    if (!message) continue;
    if (message.pending) pending = message.pending;
    if (typeof message.arm === 'number' && !timer) {
      context = message.context || {};
      timer = setTimeout(fire, Math.max(0, message.arm - Date.now()));
    }
  }
});
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
`;

function spawnWatchdog(): ChildProcess | undefined {
  try {
    const child = spawn(process.execPath, ['-e', PROGRAM], {
      // stdout shared with ours (the log stream); an empty environment so no NODE_OPTIONS preload
      // (loaders, instrumentation) slows it down or changes it.
      stdio: ['pipe', 'inherit', 'inherit'],
      env: {},
      // Its own process group: a Ctrl-C sent to the terminal's group does not kill the watchdog.
      detached: true,
    });
    // A watchdog that could not start (or has ended) must not crash the service it watches.
    child.on('error', () => undefined);
    child.stdin?.on('error', () => undefined);
    // Neither the process nor its pipe may keep this one alive.
    child.unref();
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    return child;
  } catch {
    return undefined;
  }
}

/**
 * Starts the shutdown watchdog, idle until `arm()`: a separate process that SIGKILLs this one at
 * the armed deadline unless this process has ended by then, after logging what was pending.
 *
 * Why a process and not a worker thread: the reported hang (main thread in a futex wait after
 * the HTTP servers had closed) is most likely inside `process.exit()`, in native exit handlers
 * (ONNX Runtime's threads). Node stops every worker thread at the start of `process.exit()`,
 * before those handlers run, so a worker-thread watchdog would be gone exactly then. A separate
 * process depends on nothing in this one: not its event loop, not its threads, not its exit.
 *
 * Why started ahead of the shutdown: starting `node` takes a noticeable amount of CPU, and on a
 * busy machine that could take longer than the margin it has to enforce; idle, it costs a
 * sleeping process.
 */
export function startWatchdog(): Watchdog {
  let child = spawnWatchdog();
  let ended = false;
  const send = (message: unknown): void => {
    if (ended || !child?.stdin || child.stdin.destroyed) return;
    child.stdin.write(`${JSON.stringify(message)}\n`);
  };
  return {
    get pid() {
      return child?.pid;
    },
    arm(killAt, context = {}) {
      // Gone since the start (killed by someone, crashed): start another, late rather than never.
      if (!child || child.exitCode !== null || child.signalCode !== null) child = spawnWatchdog();
      send({ arm: killAt, context });
    },
    update(pending) {
      send({ pending });
    },
    cancel() {
      if (ended) return;
      ended = true;
      child?.stdin?.end();
    },
  };
}
