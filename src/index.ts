// First import: ONNX Runtime's telemetry is switched off before anything can load the native library.
import './models/ort-env.js';
import { createServer } from 'node:http';
import { resolve } from 'node:path';
import { CARDS_DIR, createApp, MODELS_DIR, PROJECT_ROOT } from './app.js';
import { ModelLoadError, ModelRuntime } from './models/runtime.js';
import { openRedis } from './auth/redis-client.js';
import { sharedJwksFactory } from './auth/redis-jwks-cache.js';
import { RedisReplayCache } from './auth/redis-replay-cache.js';
import { MigrationError, openDecisionStore, type DecisionStore } from './store/index.js';
import { loadTrustedClients } from './auth/trusted-clients.js';
import type { TrustedClient } from './auth/types.js';
import { ConfigError, loadConfig, type AppConfig } from './config/config.js';
import type { ReadinessCheck } from './health/routes.js';
import { createLogger } from './logging/logger.js';
import { ensureSandboxClientKey, ensureSandboxSecret, sandboxTrustedClient } from './sandbox/sandbox-client.js';
import { buildRegistry } from './services/index.js';
import { MemoryAgpLinkStore, RedisAgpLinkStore, type AgpLinkStore } from './agp/link-store.js';
import { fhirMetadataCheck } from './health/fhir-metadata-check.js';
import { gracefulShutdown, type Closer } from './shutdown/graceful.js';
import { closeOutboundConnections } from './shutdown/outbound.js';

/** Entry point: the only place that listens. */
async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`precision-cds: configuration error: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  if (config.authDisabled) logger.warn('AUTH_DISABLED=true: CDS client authentication is OFF. Never run like this with real patient data.');

  let trustedClients: TrustedClient[] = [];
  try {
    if (config.trustedClientsFile) trustedClients = [...loadTrustedClients(config.trustedClientsFile)];
  } catch (err) {
    process.stderr.write(`precision-cds: configuration error: ${(err as Error).message}\n`);
    process.exit(1);
  }

  // Released at shutdown, together, once the HTTP server has closed (src/shutdown/graceful.ts).
  const closers: Closer[] = [{ name: 'outbound-connections', close: closeOutboundConnections }];
  const readinessChecks: ReadinessCheck[] = [];
  const defaultFhirServers: string[] = [];

  if (config.sandbox) {
    // Loaded only when needed: production (SANDBOX=off) never pays for the FHIR engine.
    const { startSandboxFhirServer } = await import('./sandbox/fhir-server.js');
    const sandbox = await startSandboxFhirServer({
      port: config.sandboxFhirPort,
      fixturesDir: resolve(PROJECT_ROOT, config.fixturesDir),
      corsOrigins: config.sandboxFhirCorsOrigins,
      logger: logger.child({ component: 'sandbox-fhir' }),
    });
    closers.push({ name: 'sandbox-fhir', close: () => sandbox.close() });
    defaultFhirServers.push(sandbox.baseUrl);
    readinessChecks.push(fhirMetadataCheck('sandbox-fhir', sandbox.baseUrl));
    const keys = await ensureSandboxClientKey(resolve(PROJECT_ROOT, '.sandbox'));
    trustedClients.push(sandboxTrustedClient(keys.publicJwk, sandbox.baseUrl));
    logger.info({ fhirBaseUrl: sandbox.baseUrl }, 'sandbox FHIR server ready');
  }

  let models: ModelRuntime;
  try {
    models = await ModelRuntime.load(MODELS_DIR, { intraOpNumThreads: config.modelThreads, interOpNumThreads: 1 });
  } catch (err) {
    // A model that does not match its model card must not serve a clinician: refuse to start.
    process.stderr.write(`precision-cds: ${err instanceof ModelLoadError ? err.message : `model loading failed: ${(err as Error).message}`}\n`);
    process.exit(1);
  }
  closers.push({ name: 'models', close: () => models.close() });
  logger.info({ models: models.list().map(({ id, version }) => `${id}@${version}`) }, 'models loaded');

  // Decision store: versioned migrations at start; a failed one stops the start with its name.
  let store: DecisionStore;
  try {
    store = await openDecisionStore(config.store.kind === 'sqlite' ? { kind: 'sqlite', path: resolve(PROJECT_ROOT, config.store.path) } : config.store);
  } catch (err) {
    const what = err instanceof MigrationError ? err.message : `cannot open the ${config.store.kind} store (${(err as Error).message})`;
    process.stderr.write(`precision-cds: ${what}\n`);
    process.exit(1);
  }
  closers.push({ name: 'store', close: () => store.close() });
  readinessChecks.push({ name: 'store', check: async () => (await store.ping().then(() => true, () => false)) ? { status: 'ok' } : { status: 'unavailable' } });
  const purge = (): void => {
    const cutoff = new Date(Date.now() - config.retentionDays * 86_400_000);
    store.purge(cutoff).then(
      (counts) => logger.info({ retentionDays: config.retentionDays, ...counts }, 'retention purge done'),
      (err: unknown) => logger.error({ err }, 'retention purge failed'),
    );
  };
  purge();
  setInterval(purge, 6 * 3_600_000).unref();

  let pseudonymSecret = config.pseudonymSecret;
  if (!pseudonymSecret) {
    if (config.sandbox) pseudonymSecret = ensureSandboxSecret(resolve(PROJECT_ROOT, '.sandbox'));
    else logger.warn('PSEUDONYM_SECRET is not set: audit pseudonyms will differ after a restart. Set it in production.');
  }

  // Several replicas: jti replay and JWKS caches shared through Redis.
  let shared: { replayCache: RedisReplayCache; remoteJwks: ReturnType<typeof sharedJwksFactory>; agpLinks: AgpLinkStore } | undefined;
  if (config.redisUrl) {
    const redis = await openRedis(config.redisUrl, { onError: (err) => logger.warn({ err: (err as Error).message }, 'redis error') }).catch((err: unknown) => {
      process.stderr.write(`precision-cds: cannot reach REDIS_URL (${(err as Error).message})\n`);
      process.exit(1);
    });
    shared = { replayCache: new RedisReplayCache(redis), remoteJwks: sharedJwksFactory(redis), agpLinks: new RedisAgpLinkStore(redis) };
    readinessChecks.push({ name: 'redis', check: async () => ((await redis.ping().then(() => true, () => false)) ? { status: 'ok' } : { status: 'unavailable' }) });
    // QUIT needs a live connection; without one there is nothing to wait for.
    closers.push({ name: 'redis', close: () => redis.quit().then(() => undefined, () => redis.disconnect()) });
  }

  // AGP chart links: in Redis when replicas share one, so a link works whichever replica answers it.
  const agpLinks: AgpLinkStore = shared?.agpLinks ?? new MemoryAgpLinkStore({ maxEntries: config.agpMaxLinks });
  closers.push({ name: 'agp-links', close: async () => agpLinks.close?.() });
  const registry = buildRegistry({
    models,
    cardsDir: CARDS_DIR,
    publicBaseUrl: config.publicBaseUrl,
    lookbackDays: config.lookbackDays,
    pgx: { showNormal: config.pgxShowNormal, preTesting: config.pgxPreTesting },
    cgm: {
      showOnTarget: config.cgmShowOnTarget,
      agpLinks,
      agpLinkTtlMs: config.agpLinkTtlSeconds * 1000,
      ...(config.cgmHighRiskConditions ? { highRiskConditions: config.cgmHighRiskConditions } : {}),
    },
  });
  const { app, healthState } = createApp({
    config: pseudonymSecret ? Object.freeze({ ...config, pseudonymSecret }) : config,
    logger,
    registry,
    trustedClients,
    defaultFhirServers,
    readinessChecks,
    models,
    store,
    agpLinks,
    ...(shared ? { replayCache: shared.replayCache, remoteJwks: shared.remoteJwks } : {}),
  });
  const server = createServer(app);
  const stopper = gracefulShutdown({ server, healthState, logger, graceMs: config.shutdownGraceMs, closers });
  process.on('SIGTERM', () => void stopper.shutdown('SIGTERM'));
  process.on('SIGINT', () => void stopper.shutdown('SIGINT'));
  server.listen(config.port, config.host);
  await new Promise<void>((ok, fail) => {
    server.once('listening', ok);
    server.once('error', fail);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  logger.info({ port, services: registry.list().map((s) => s.id), sandbox: config.sandbox }, 'precision-cds listening');
  if (config.sandbox) {
    process.stdout.write(
      [
        '',
        `  precision-cds is running on http://localhost:${port}`,
        `  Sandbox FHIR server:   ${defaultFhirServers[0]}`,
        `  Discovery:             GET ${config.publicBaseUrl}/cds-services`,
        '  Get a client JWT:      npm run token -- /cds-services',
        `  Try it:                curl -H "Authorization: Bearer $(npm run -s token -- /cds-services)" ${config.publicBaseUrl}/cds-services`,
        '  First calls:           README.md, "Your first call" (one per service, with fhirServer and no token)',
        '',
      ].join('\n') + '\n',
    );
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`precision-cds: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
