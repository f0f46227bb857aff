import { execFileSync } from 'node:child_process';
import { isAbsolute, resolve } from 'node:path';

/**
 * System-level view of what a process (and its threads and children) does: which addresses it
 * connects or sends to and which files it creates or opens for writing, whether from JavaScript
 * or from native code. Read from `strace -f -y` output.
 */

/** Why strace cannot be used here, or undefined when it can. */
export function straceUnavailable(): string | undefined {
  try {
    execFileSync('strace', ['-f', '-qq', '-e', 'trace=none', '--', 'true'], { stdio: 'ignore', timeout: 10_000 });
    return undefined;
  } catch (err) {
    return `strace is not usable here (${(err as Error).message.split('\n')[0]})`;
  }
}

/** The wrapper: every thread and child, file descriptors annotated with their paths, only these calls. */
export function straceWrapper(outFile: string): string[] {
  return [
    'strace',
    '-f',
    '-qq',
    '-y',
    // Stops only on the traced calls (seccomp filter), so the traced service keeps most of its speed.
    '--seccomp-bpf',
    '-e',
    'trace=connect,sendto,sendmsg,open,openat,creat,mkdir,mkdirat,rename,renameat,renameat2,link,linkat,symlink,symlinkat',
    '-e',
    'signal=none',
    '-o',
    outFile,
    '--',
  ];
}

export interface Connection {
  /** `AF_INET`, `AF_INET6`, `AF_UNIX`, ... */
  readonly family: string;
  /** `127.0.0.1:8080`, `[::1]:443`, a socket path, or the raw address for other families. */
  readonly address: string;
  readonly line: string;
}

export interface FileWrite {
  /** Absolute path created, opened for writing, or renamed/linked to. */
  readonly path: string;
  readonly line: string;
}

export interface Trace {
  readonly connections: readonly Connection[];
  readonly writes: readonly FileWrite[];
}

const WRITE_FLAGS = /\b(O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|O_APPEND)\b/;
const STR = '"((?:[^"\\\\]|\\\\.)*)"';
const DIRFD = '(?:AT_FDCWD|\\d+)(?:<([^>]*)>)?';

function unescape(s: string): string {
  return s.replace(/\\(.)/g, '$1');
}

/** Joins `<unfinished ...>` / `<... resumed>` halves (concurrent threads under -f) into whole calls. */
function wholeCalls(text: string): string[] {
  const pending = new Map<string, string>();
  const calls: string[] = [];
  for (const raw of text.split('\n')) {
    const m = /^(\d+)\s+(.*)$/.exec(raw);
    if (!m) continue;
    const [, pid, rest] = m as unknown as [string, string, string];
    if (rest.endsWith('<unfinished ...>')) {
      pending.set(pid, rest.slice(0, -'<unfinished ...>'.length));
      continue;
    }
    const resumed = /^<\.\.\. \w+ resumed>(.*)$/.exec(rest);
    if (resumed) {
      calls.push(`${pending.get(pid) ?? ''}${resumed[1]}`);
      pending.delete(pid);
      continue;
    }
    calls.push(rest);
  }
  return [...calls, ...pending.values()];
}

function addresses(call: string): Connection[] {
  const out: Connection[] = [];
  for (const m of call.matchAll(/\{sa_family=(AF_\w+)(?:, ([^}]*))?\}/g)) {
    const family = m[1]!;
    const body = m[2] ?? '';
    let address = body;
    if (family === 'AF_INET') {
      const a = /sin_port=htons\((\d+)\), sin_addr=inet_addr\("([^"]+)"\)/.exec(body);
      if (a) address = `${a[2]}:${a[1]}`;
    } else if (family === 'AF_INET6') {
      const port = /sin6_port=htons\((\d+)\)/.exec(body)?.[1];
      const addr = /inet_pton\(AF_INET6, "([^"]+)"/.exec(body)?.[1];
      if (port && addr) address = `[${addr}]:${port}`;
    } else if (family === 'AF_UNIX') {
      address = /sun_path=(@?"[^"]*")/.exec(body)?.[1] ?? body;
    }
    out.push({ family, address, line: call });
  }
  return out;
}

/** Parses `strace -f -y` output; `cwd` resolves paths given relative to the current directory. */
export function parseTrace(text: string, cwd: string): Trace {
  const connections: Connection[] = [];
  const writes: FileWrite[] = [];
  const at = (base: string | undefined, p: string): string => (isAbsolute(p) ? resolve(p) : resolve(base ?? cwd, p));
  for (const call of wholeCalls(text)) {
    const failed = /\)\s+=\s+-1\b/.test(call);
    if (/^(connect|sendto|sendmsg)\(/.test(call)) {
      connections.push(...addresses(call));
      continue;
    }
    if (failed) continue; // nothing was written
    let m: RegExpExecArray | null;
    if ((m = new RegExp(`^openat\\(${DIRFD}, ${STR}, ([A-Z0-9_|]+)`).exec(call))) {
      if (WRITE_FLAGS.test(m[3]!)) writes.push({ path: at(m[1], unescape(m[2]!)), line: call });
    } else if ((m = new RegExp(`^open\\(${STR}, ([A-Z0-9_|]+)`).exec(call))) {
      if (WRITE_FLAGS.test(m[2]!)) writes.push({ path: at(undefined, unescape(m[1]!)), line: call });
    } else if ((m = new RegExp(`^(?:creat|mkdir)\\(${STR}`).exec(call))) {
      writes.push({ path: at(undefined, unescape(m[1]!)), line: call });
    } else if ((m = new RegExp(`^mkdirat\\(${DIRFD}, ${STR}`).exec(call))) {
      writes.push({ path: at(m[1], unescape(m[2]!)), line: call });
    } else if ((m = new RegExp(`^(?:rename|link|symlink)\\(${STR}, ${STR}`).exec(call))) {
      writes.push({ path: at(undefined, unescape(m[2]!)), line: call });
    } else if ((m = new RegExp(`^(?:renameat2?|linkat)\\(${DIRFD}, ${STR}, ${DIRFD}, ${STR}`).exec(call))) {
      writes.push({ path: at(m[3], unescape(m[4]!)), line: call });
    } else if ((m = new RegExp(`^symlinkat\\(${STR}, ${DIRFD}, ${STR}`).exec(call))) {
      writes.push({ path: at(m[2], unescape(m[3]!)), line: call });
    }
  }
  return { connections, writes };
}
