import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createFhirAccess, FhirAccessError, type FhirAccessOptions } from '../../src/fhir/fhir-access.js';

/**
 * The FHIR transport over real HTTP against a scripted server: every response body the service
 * starts to read is read to its end or its connection is closed (on deadline, error or size
 * limit), so no socket is left half-read; redirects are refused; the token goes only where asked.
 */
type Route = (req: IncomingMessage, res: ServerResponse) => void;

describe('FHIR access transport', () => {
  let server: Server;
  let base: string;
  let route: Route;
  const seen: IncomingMessage[] = [];
  /** Resolves when the server sees the socket of the latest request closed. */
  let socketClosed: Promise<void>;

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(req);
      const socket: Socket = req.socket;
      socketClosed = new Promise((ok) => (socket.destroyed ? ok() : socket.once('close', () => ok())));
      route(req, res);
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/fhir`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((ok) => server.close(ok));
  });

  beforeEach(() => {
    seen.length = 0;
  });

  const access = (o: Partial<FhirAccessOptions> = {}) => createFhirAccess({ baseUrl: base, timeoutMs: 2000, maxPages: 5, ...o });
  const failure = async (p: Promise<unknown>): Promise<string> => {
    try {
      await p;
    } catch (err) {
      return err instanceof FhirAccessError ? err.failure : `other: ${String(err)}`;
    }
    return 'no failure';
  };
  /** The server's side of the connection closed within `ms` (not left open, half-read). */
  const closesWithin = (ms: number): Promise<boolean> =>
    Promise.race([socketClosed.then(() => true), new Promise<boolean>((ok) => setTimeout(() => ok(false), ms).unref())]);
  const stall = (res: ServerResponse, firstChunk: string, headers: Record<string, string> = {}): void => {
    res.writeHead(200, { 'Content-Type': 'application/fhir+json', ...headers });
    res.write(firstChunk); // ...and never end: only the client can close this connection
  };

  it('a body past the size limit is cut off: too-large, and the connection is closed', async () => {
    route = (_req, res) => {
      stall(res, `{"resourceType":"Bundle","entry":[${'{"resource":{"resourceType":"Basic"}},'.repeat(2000)}`);
    };
    expect(await failure(access({ maxResponseBytes: 10_000 }).get('Observation?patient=1'))).toBe('too-large');
    expect(await closesWithin(1000)).toBe(true);
  });

  it('a declared Content-Length past the limit is refused before reading, and the connection is closed', async () => {
    route = (_req, res) => stall(res, '{"resourceType":', { 'Content-Length': String(50_000_000) });
    expect(await failure(access({ maxResponseBytes: 10_000 }).get('Patient/1'))).toBe('too-large');
    expect(await closesWithin(1000)).toBe(true);
  });

  it('a body still arriving at the deadline is aborted: timeout, and the connection is closed', async () => {
    route = (_req, res) => stall(res, '{"resourceType":"Bundle","entry":[');
    const started = Date.now();
    expect(await failure(access({ timeoutMs: 300 }).get('Observation?patient=1'))).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(1500);
    expect(await closesWithin(1000)).toBe(true);
  });

  it('the request-wide deadline signal aborts a read in progress the same way', async () => {
    route = (_req, res) => stall(res, '{"resourceType":"Bundle","entry":[');
    expect(await failure(access({ timeoutMs: 5000, signal: AbortSignal.timeout(200) }).get('Observation?patient=1'))).toBe('timeout');
    expect(await closesWithin(1000)).toBe(true);
  });

  it('an error status is not read: server-error, and a body still streaming is not left half-read', async () => {
    route = (_req, res) => {
      res.writeHead(500, { 'Content-Type': 'application/fhir+json' });
      res.write('{"resourceType":"OperationOutcome","issue":[');
    };
    expect(await failure(access().get('Patient/1'))).toBe('server-error');
    expect(await closesWithin(1000)).toBe(true);
  });

  it('a redirect is refused, not followed (the token could go elsewhere)', async () => {
    let followed = 0;
    route = (req, res) => {
      if (req.url?.startsWith('/elsewhere')) {
        followed += 1;
        res.end('{"resourceType":"Patient"}');
        return;
      }
      res.writeHead(302, { Location: `${base.replace('/fhir', '')}/elsewhere` });
      res.end();
    };
    expect(await failure(access({ accessToken: 'secret' }).get('Patient/1'))).toBe('redirect');
    expect(followed).toBe(0);
  });

  it('sends Accept: application/fhir+json; the bearer token when there is one; no Authorization header at all without one', async () => {
    route = (_req, res) => res.end('{"resourceType":"Patient","id":"1"}');
    await access({ accessToken: 'tok-1' }).get('Patient/1');
    await access().get('Patient/1');
    expect(seen.map((r) => r.headers['accept'])).toEqual(['application/fhir+json', 'application/fhir+json']);
    expect(seen[0]!.headers['authorization']).toBe('Bearer tok-1');
    expect(seen[1]!.headers).not.toHaveProperty('authorization');
  });

  it('a body that is not a FHIR resource is a bad response', async () => {
    route = (_req, res) => res.end('<html>login</html>');
    expect(await failure(access().get('Patient/1'))).toBe('bad-response');
  });

  it('an absolute URL is never fetched through get (only this server)', async () => {
    route = (_req, res) => res.end('{"resourceType":"Patient"}');
    expect(await failure(access().get('http://127.0.0.1:9/fhir/Patient/1'))).toBe('bad-response');
    expect(seen).toHaveLength(0);
  });
});
