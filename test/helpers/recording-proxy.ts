import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxyHit {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

export interface RecordingProxy {
  readonly baseUrl: string;
  readonly hits: ProxyHit[];
  /** Delay before forwarding, to simulate a slow FHIR server. */
  delayMs: number;
  /** Rewrites response bodies (e.g. to plant a foreign `next` link). */
  rewrite?: (body: string) => string;
  close(): Promise<void>;
}

/**
 * A real HTTP hop in front of a FHIR server that records every request (method, URL, headers),
 * so tests can prove which requests carried which bearer token, and where.
 */
export async function startRecordingProxy(targetBaseUrl: string): Promise<RecordingProxy> {
  const target = new URL(targetBaseUrl);
  const state: RecordingProxy = {
    baseUrl: '',
    hits: [],
    delayMs: 0,
    close: async () => {
      server.closeAllConnections();
      await new Promise((ok) => server.close(ok));
    },
  };
  const server: Server = createServer((req, res) => {
    state.hits.push({ method: req.method ?? 'GET', url: req.url ?? '', headers: req.headers });
    const forward = (): void => {
      const upstream = httpRequest(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
        (up) => {
          const chunks: Buffer[] = [];
          up.on('data', (c: Buffer) => chunks.push(c));
          up.on('end', () => {
            let body = Buffer.concat(chunks).toString('utf8');
            // Paging links point at the upstream; make them point at the proxy as a client would see them.
            body = body.split(targetBaseUrl).join(state.baseUrl);
            if (state.rewrite) body = state.rewrite(body);
            const headers = { ...up.headers };
            delete headers['content-length'];
            delete headers['transfer-encoding'];
            res.writeHead(up.statusCode ?? 502, headers);
            res.end(body);
          });
        },
      );
      upstream.on('error', () => {
        res.writeHead(502);
        res.end();
      });
      req.pipe(upstream);
    };
    if (state.delayMs > 0) setTimeout(forward, state.delayMs);
    else forward();
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as AddressInfo).port;
  (state as { baseUrl: string }).baseUrl = `http://127.0.0.1:${port}${target.pathname.replace(/\/+$/, '')}`;
  return state;
}
