/**
 * Outbound-connection guard for tests, preloaded into a process with `node --import <this file>`.
 * Every TCP/IPC connection made through Node (net, http, https, tls, fetch/undici, pg, ioredis)
 * goes through net.Socket.prototype.connect: one to a destination not in EGRESS_ALLOW
 * (comma-separated `host:port` as the code names it, or `unix:<path>`; a trailing `*` matches
 * a prefix) is refused with ECONNREFUSED and logged
 * on stderr as `egress-guard: refused <host:port>`. UDP sends are refused likewise (the service
 * has no reason to send any). Native code that opens sockets itself (e.g. an SDK inside a native
 * addon) does not come through here: that is what the strace part of the test is for.
 *
 * Plain JavaScript, so it loads before any TypeScript loader.
 */
import dgram from 'node:dgram';
import net from 'node:net';

const allowList = (process.env.EGRESS_ALLOW ?? '').split(',').map((s) => s.trim()).filter(Boolean);
/** Exact `host:port` / `unix:<path>`; an entry ending in `*` allows everything starting with the rest. */
const allows = (to) => allowList.some((a) => (a.endsWith('*') ? to.startsWith(a.slice(0, -1)) : to === a));
const log = (line) => process.stderr.write(`egress-guard: ${line}\n`);
log(`active pid=${process.pid} allowed=${allowList.join(',') || '(none)'}`);

/** `host:port` (or `unix:<path>`) from any of the forms Socket#connect accepts. */
function destination(args) {
  let [first, second] = args;
  // net.connect() passes its already-normalised arguments as one array: [options, callback].
  if (Array.isArray(first)) [first, second] = first;
  if (first && typeof first === 'object') {
    if (first.path) return `unix:${first.path}`;
    return `${first.host ?? 'localhost'}:${first.port}`;
  }
  if (typeof first === 'string' && !/^\d+$/.test(first)) return `unix:${first}`;
  return `${typeof second === 'string' ? second : 'localhost'}:${first}`;
}

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function guardedConnect(...args) {
  const to = destination(args);
  if (allows(to)) return connect.apply(this, args);
  log(`refused ${to}`);
  const err = Object.assign(new Error(`egress-guard: connection to ${to} refused`), { code: 'ECONNREFUSED' });
  process.nextTick(() => this.destroy(err));
  return this;
};

for (const method of ['send', 'connect']) {
  dgram.Socket.prototype[method] = function guardedUdp() {
    log(`refused udp ${method}`);
    throw Object.assign(new Error('egress-guard: UDP refused'), { code: 'ECONNREFUSED' });
  };
}
