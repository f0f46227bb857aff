import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fhirMetadataCheck } from '../../src/health/fhir-metadata-check.js';

/**
 * The readiness check of a FHIR server reads only the status of GET /metadata. Its body must be
 * cancelled: left unread, the connection stays open half-read, the server's response stuck in
 * the socket buffers (the symptom seen at shutdown: 64 KB unread on the client side).
 */
describe('FHIR server readiness check', () => {
  const CHUNK = Buffer.alloc(64 * 1024, 0x20);
  const TOTAL_CHUNKS = 512; // 32 MB: far more than loopback socket buffers hold
  let server: Server;
  let base = '';
  const responses: { closed: boolean; finished: boolean; sent: number }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const r = { closed: false, finished: false, sent: 0 };
      responses.push(r);
      res.on('close', () => (r.closed = true));
      res.on('finish', () => (r.finished = true));
      if (req.url !== '/fhir/metadata') {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/fhir+json' });
      const pump = (): void => {
        while (r.sent < TOTAL_CHUNKS && !r.closed) {
          r.sent += 1;
          if (!res.write(CHUNK)) {
            res.once('drain', pump);
            return;
          }
        }
        if (r.sent >= TOTAL_CHUNKS) res.end();
      };
      pump();
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/fhir`;
  });

  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it('is ok on a 2xx and cancels the body: the server sees its response closed, not left hanging', async () => {
    // A long timeout: its abort would also close the connection, later; the body must not wait for it.
    const result = await fhirMetadataCheck('fhir', base, 30_000).check();
    expect(result).toEqual({ status: 'ok' });
    const r = responses.at(-1)!;
    const until = Date.now() + 3000;
    while (!r.closed && Date.now() < until) await new Promise((ok) => setTimeout(ok, 10));
    expect(r).toMatchObject({ closed: true, finished: false });
    expect(r.sent).toBeLessThan(TOTAL_CHUNKS);
  });

  it('is unavailable, naming the status, when the server answers an error', async () => {
    const result = await fhirMetadataCheck('fhir', `${base}/nowhere`).check();
    expect(result).toEqual({ status: 'unavailable', detail: 'HTTP 404' });
  });
});
