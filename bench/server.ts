/**
 * The benchmark's server process: the real app (auth, validation, logging, metrics) with the
 * cardiovascular-risk and glucose-monitoring services and a trivial service that returns no
 * cards, behind the same middleware. glucose-monitoring keeps its AGP chart links in memory, as
 * a single replica without Redis does. Prints its port and the bench client's private key on stdout, then serves.
 */
import { quantile } from './quantiles.js';
import { CARDS_DIR, createApp, MODELS_DIR } from '../src/app.js';
import { ServiceRegistry } from '../src/cds/registry.js';
import { loadConfig } from '../src/config/config.js';
import { createLogger } from '../src/logging/logger.js';
import { ModelRuntime } from '../src/models/runtime.js';
import { cardiovascularRiskService } from '../src/services/cardiovascular-risk/index.js';
import { glucoseMonitoringService } from '../src/services/glucose-monitoring/index.js';
import { MemoryAgpLinkStore } from '../src/agp/link-store.js';
import { exportJWK, generateKeyPair } from 'jose';
import { createWriteStream } from 'node:fs';
import express from 'express';

const config = loadConfig({ ...process.env, TRUSTED_CLIENTS: '/dev/null', PUBLIC_BASE_URL: 'http://bench.local', LOG_LEVEL: process.env.LOG_LEVEL ?? 'info' });
const models = await ModelRuntime.load(MODELS_DIR);
const agpLinks = new MemoryAgpLinkStore();
const registry = new ServiceRegistry()
  .register(cardiovascularRiskService({ models, cardsDir: CARDS_DIR, publicBaseUrl: config.publicBaseUrl }))
  .register(glucoseMonitoringService({ cardsDir: CARDS_DIR, publicBaseUrl: config.publicBaseUrl, agpLinks, agpLinkTtlMs: 900_000, showOnTarget: false }))
  .register({ id: 'bench-trivial', hooks: ['patient-view'], description: 'Benchmark baseline: answers no cards', handler: async () => ({ cards: [] }) });
const { privateKey, publicKey } = await generateKeyPair('ES384', { extractable: true });
const publicJwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'ES384' };
// Logs go to a file, as a deployment's would, not to the benchmark's console.
const logger = createLogger(config.logLevel, createWriteStream('/dev/null'));
const built = createApp({ config, logger, registry, models, agpLinks, trustedClients: [{ iss: 'https://bench-ehr.local', jwks: { keys: [publicJwk] }, fhir_servers: [] }] });
// Server-side latency of each CDS call (request in -> response finished), kept for the bench client,
// split at the moment the body has been read in full: receiving (upload, and waiting for the event
// loop to read it) and processing (JSON parse, checks, service, response, and waiting for the
// event loop between those steps).
const latencies: number[] = [];
const receiving: number[] = [];
const processing: number[] = [];
const outer = express();
outer.use((req, res, next) => {
  const t0 = process.hrtime.bigint();
  let received: bigint | undefined;
  req.once('end', () => (received = process.hrtime.bigint()));
  res.on('finish', () => {
    if (req.method !== 'POST') return;
    latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (received === undefined) return;
    receiving.push(Number(received - t0) / 1e6);
    processing.push(Number(process.hrtime.bigint() - received) / 1e6);
  });
  next();
});
const quantiles = (xs: number[]): { count: number; p50: number; p90: number; p99: number; max: number } => {
  const sorted = [...xs].sort((a, b) => a - b);
  const q = (p: number): number => quantile(sorted, p);
  return { count: sorted.length, p50: q(0.5), p90: q(0.9), p99: q(0.99), max: sorted[sorted.length - 1] ?? 0 };
};
outer.get('/bench/latencies', (_req, res) => {
  res.json({ ...quantiles(latencies), receiving: quantiles(receiving), processing: quantiles(processing) });
  latencies.length = 0;
  receiving.length = 0;
  processing.length = 0;
});
outer.use(built.app);
const server = outer.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ port, privateJwk: exportPrivate })}\n`);
});
const exportPrivate = await exportJWK(privateKey);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
