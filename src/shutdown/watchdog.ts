import { spawn, type ChildProcess } from 'node:child_process';

/** What was still pending the last time the service said so: written in the watchdog's log line. */
export type PendingReport = Readonly<Record<string, unknown>>;

export interface Watchdog {
  /** The watchdog process, when it could be started. */
  readonly pid: number | undefined;
  /** Latest pending state; the watchdog keeps only the last one. Never blocks. */
  update(pending: PendingReport): void;
  /** The shutdown finished without help (or the test is over): the watchdog ends, killing nothing. */
  cancel(): void;
}

export interface WatchdogOptions {
  /** Epoch milliseconds at which this process is killed if it is still alive. */
  readonly killAt: number;
  /** Fields written on the watchdog's log line (e.g. the grace period). */
  readonly context?: Readonly<Record<string, unknown>>;
}

/**
 * The watchdog program, run by a separate `node` process. It reads JSON lines (pending state)
 * on stdin; at `killAt` it writes one fatal log line (pino's shape) to stdout and sends SIGKILL
 * to its parent. End of stdin means the parent is gone (exited or killed): nothing to do.
 * It kills only its own parent, checked by `process.ppid` at that moment, so a recycled pid is
 * never hit: an orphaned watchdog has been re-parented.
 */
const PROGRAM = String.raw`
const { writeSync } = require('node:fs');
const parent = process.ppid;
const killAt = Number(process.argv[1]);
const context = JSON.parse(process.argv[2] || '{}');
let pending = {};
let buffer = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffer += chunk;
  for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
    const line = buffer.slice(0, nl);
    buffer = buffer.slice(nl + 1);
    try { pending = JSON.parse(line); } catch {}
  }
});
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
setTimeout(() => {
  if (process.ppid !== parent) process.exit(0);
  const line = { level: 'fatal', time: new Date().toISOString(), pid: parent, service: 'precision-cds', component: 'shutdown-watchdog',
    ...context, pending, exit: 'SIGKILL', msg: 'shutdown did not finish in time: killing the process' };
  try { writeSync(1, JSON.stringify(line) + '\n'); } catch {}
  try { process.kill(parent, 'SIGKILL'); } catch {}
  process.exit(0);
}, Math.max(0, killAt - Date.now()));
`;

/**
 * Starts the shutdown watchdog: a separate process that SIGKILLs this one at `killAt` unless
 * this process has ended by then, after logging what was still pending.
 *
 * Why a process and not a worker thread: the reported hang (main thread in a futex wait after
 * the HTTP servers had closed) is most likely inside `process.exit()`, in native exit handlers
 * (ONNX Runtime's threads). Node stops every worker thread at the start of `process.exit()`,
 * before those handlers run, so a worker-thread watchdog would be gone exactly then. A separate
 * process depends on nothing in this one: not its event loop, not its threads, not its exit.
 */
export function startWatchdog(opts: WatchdogOptions): Watchdog {
  let child: ChildProcess | undefined;
  try {
    child = spawn(process.execPath, ['-e', PROGRAM, String(opts.killAt), JSON.stringify(opts.context ?? {})], {
      // stdout shared with ours (the log stream); an empty environment so no NODE_OPTIONS preload
      // (loaders, instrumentation) slows it down or changes it.
      stdio: ['pipe', 'inherit', 'inherit'],
      env: {},
      // Its own process group: a Ctrl-C sent to the terminal's group does not kill the watchdog.
      detached: true,
    });
  } catch {
    child = undefined;
  }
  if (!child?.stdin) return { pid: undefined, update: () => undefined, cancel: () => undefined };
  const stdin = child.stdin;
  // A watchdog that could not start (or has ended) must not crash the shutdown it watches.
  stdin.on('error', () => undefined);
  child.on('error', () => undefined);
  // Neither the pipe nor the process may keep this one alive.
  child.unref();
  (stdin as unknown as { unref?: () => void }).unref?.();
  let ended = false;
  return {
    pid: child.pid,
    update(pending) {
      if (ended || stdin.destroyed) return;
      stdin.write(`${JSON.stringify(pending)}\n`);
    },
    cancel() {
      if (ended) return;
      ended = true;
      stdin.end();
    },
  };
}
