/**
 * The benchmark's server process: the real app (auth, validation, logging, metrics) with the
 * cardiovascular-risk service and a trivial service that returns no cards, behind the same
 * middleware. Prints its port and the bench client's private key on stdout, then serves.
 */
import { CARDS_DIR, createApp, MODELS_DIR } from '../src/app.js';
import { ServiceRegistry } from '../src/cds/registry.js';
import { loadConfig } from '../src/config/config.js';
import { createLogger } from '../src/logging/logger.js';
import { ModelRuntime } from '../src/models/runtime.js';
import { cardiovascularRiskService } from '../src/services/cardiovascular-risk/index.js';
import { exportJWK, generateKeyPair } from 'jose';
import { createWriteStream } from 'node:fs';
import express from 'express';

const config = loadConfig({ ...process.env, TRUSTED_CLIENTS: '/dev/null', PUBLIC_BASE_URL: 'http://bench.local', LOG_LEVEL: process.env.LOG_LEVEL ?? 'info' });
const models = await ModelRuntime.load(MODELS_DIR);
const registry = new ServiceRegistry()
  .register(cardiovascularRiskService({ models, cardsDir: CARDS_DIR, publicBaseUrl: config.publicBaseUrl }))
  .register({ id: 'bench-trivial', hooks: ['patient-view'], description: 'Benchmark baseline: answers no cards', handler: async () => ({ cards: [] }) });
const { privateKey, publicKey } = await generateKeyPair('ES384', { extractable: true });
const publicJwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'ES384' };
// Logs go to a file, as a deployment's would, not to the benchmark's console.
const logger = createLogger(config.logLevel, createWriteStream('/dev/null'));
const built = createApp({ config, logger, registry, models, trustedClients: [{ iss: 'https://bench-ehr.local', jwks: { keys: [publicJwk] }, fhir_servers: [] }] });
// Server-side latency of each CDS call (request in -> response finished), kept for the bench client.
const latencies: number[] = [];
const outer = express();
outer.use((req, res, next) => {
  const t0 = process.hrtime.bigint();
  res.on('finish', () => {
    if (req.method === 'POST') latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
  });
  next();
});
outer.get('/bench/latencies', (_req, res) => {
  const sorted = [...latencies].sort((a, b) => a - b);
  const q = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
  res.json({ count: sorted.length, p50: q(0.5), p99: q(0.99) });
  latencies.length = 0;
});
outer.use(built.app);
const server = outer.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ port, privateJwk: exportPrivate })}\n`);
});
const exportPrivate = await exportJWK(privateKey);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
