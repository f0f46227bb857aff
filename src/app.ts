import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import cors from 'cors';
import express, { type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import { randomBytes } from 'node:crypto';
import { analyticsRoutes } from './analytics/routes.js';
import type { AgpLinkStore } from './agp/link-store.js';
import { agpRoutes } from './agp/routes.js';
import { createJwtVerifier, type JwtVerifier, type JwtVerifierOptions } from './auth/jwt.js';
import { SqliteDecisionStore, type DecisionStore } from './store/index.js';
import { requireClientJwt } from './auth/middleware.js';
import { MemoryReplayCache, type ReplayCache } from './auth/replay-cache.js';
import type { TrustedClient } from './auth/types.js';
import type { ServiceRegistry } from './cds/registry.js';
import { loadProfileRules, type ProfileRules } from './cds/profiles/index.js';
import { cdsRoutes } from './cds/routes.js';
import { createValidators } from './cds/validation.js';
import type { AppConfig } from './config/config.js';
import { errorHandler, notFoundHandler } from './errors/handler.js';
import { healthRoutes, type HealthState, type ReadinessCheck } from './health/routes.js';
import { requestLogger } from './logging/request-logger.js';
import { Metrics } from './metrics/metrics.js';
import { modelRoutes } from './models/routes.js';
import type { ModelRuntime } from './models/runtime.js';

/** Files shipped beside the code, found relative to this module (src/ or dist/src/). */
export const PROJECT_ROOT = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../' : '../', import.meta.url));
export const OPENAPI_PATH = `${PROJECT_ROOT}openapi/openapi.json`;
export const MODELS_DIR = `${PROJECT_ROOT}models`;
export const CARDS_DIR = `${PROJECT_ROOT}cards`;

export interface AppDeps {
  readonly config: AppConfig;
  readonly logger: Logger;
  readonly registry: ServiceRegistry;
  readonly trustedClients: readonly TrustedClient[];
  /** FHIR servers allowed when auth is off (no client allowlist to consult). */
  readonly defaultFhirServers?: readonly string[];
  /** Cards, feedback and audit trail; an in-memory SQLite store when not given. */
  readonly store?: DecisionStore;
  readonly replayCache?: ReplayCache;
  /** Remote JWK Set factory (shared through Redis with several replicas). */
  readonly remoteJwks?: JwtVerifierOptions['remoteJwks'];
  readonly metrics?: Metrics;
  readonly readinessChecks?: readonly ReadinessCheck[];
  readonly healthState?: HealthState;
  /** Loaded ONNX models: listed in readiness, model cards served at /models/{id}. */
  readonly models?: ModelRuntime;
  /** AGP chart links (glucose-monitoring cards): served publicly at /agp/{token} while they live. */
  readonly agpLinks?: AgpLinkStore;
  /** Client profiles; read from cards/profiles.json when not given. */
  readonly profileRules?: ProfileRules;
}

export interface App {
  readonly app: Express;
  readonly metrics: Metrics;
  readonly store: DecisionStore;
  readonly healthState: HealthState;
  readonly verifier: JwtVerifier;
}

/** Builds the HTTP application; only the entry file listens. */
export function createApp(deps: AppDeps): App {
  const { config, logger, registry } = deps;
  const metrics = deps.metrics ?? new Metrics();
  const store = deps.store ?? SqliteDecisionStore.openSync({ path: ':memory:' });
  // Without a configured secret, pseudonyms are stable only for this process (the entry point warns).
  const pseudonymSecret = config.pseudonymSecret ?? randomBytes(32).toString('base64url');
  const healthState = deps.healthState ?? { shuttingDown: false };
  const validators = createValidators(OPENAPI_PATH);
  const openapi = readFileSync(OPENAPI_PATH, 'utf8');
  const verifier = createJwtVerifier({
    clients: deps.trustedClients,
    replayCache: deps.replayCache ?? new MemoryReplayCache(),
    ...(deps.remoteJwks ? { remoteJwks: deps.remoteJwks } : {}),
    clockSkewSeconds: config.jwtClockSkewSeconds,
    maxLifetimeSeconds: config.jwtMaxLifetimeSeconds,
    jwksTimeoutMs: config.jwksTimeoutMs,
    jwksCacheSeconds: config.jwksCacheSeconds,
  });
  const authenticate: RequestHandler = config.authDisabled
    ? (req, _res, next) => {
        // Node's IncomingMessage has its own (deprecated) `client`: the socket. Without authentication
        // there is no client identity, so it must not pass for one (fhir_servers, profile, handler input).
        delete req.client;
        next();
      }
    : requireClientJwt(verifier, config.audienceBaseUrls);

  const app = express();
  app.disable('x-powered-by');
  // Decision responses are per patient and moment: never cached, so no ETag hashing of each body.
  app.set('etag', false);
  app.set('trust proxy', false);
  app.use(requestLogger(logger));
  app.use(helmet());
  // The hosted reference client (https://sandbox.cds-hooks.org) calling a service on loopback or a private address:
  // Chrome's Private Network Access preflight asks for this opt-in (https://wicg.github.io/private-network-access/).
  // Every CDS route still requires a client JWT, so the opt-in opens nothing.
  app.use((req, res, next) => {
    if (req.method === 'OPTIONS' && req.get('access-control-request-private-network') === 'true') res.set('Access-Control-Allow-Private-Network', 'true');
    next();
  });
  // Spec 2.0 §CORS: browser-based CDS clients need it; Authorization and Content-Type allowed.
  app.use(
    cors({
      origin: config.corsOrigins === '*' ? '*' : [...config.corsOrigins],
      methods: ['GET', 'POST', 'OPTIONS'],
      allowedHeaders: ['Authorization', 'Content-Type', 'X-Request-Id'],
      exposedHeaders: ['X-Request-Id'],
      maxAge: 600,
    }),
  );
  app.use((req, res, next) => {
    res.on('finish', () => {
      const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      metrics.httpRequests.inc({ route, method: req.method, status: String(res.statusCode) });
    });
    next();
  });
  app.use(express.json({ limit: config.bodyLimitBytes, type: ['application/json', 'application/*+json'], strict: true }));

  app.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(openapi);
  });
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  const checks: ReadinessCheck[] = [
    { name: 'services', check: async () => ({ status: 'ok', detail: `${registry.list().length} registered` }) },
    ...(deps.readinessChecks ?? []),
  ];
  const models = deps.models;
  app.use(healthRoutes(checks, healthState, () => (models ? { models: models.list().map(({ id, version }) => ({ id, version })) } : {})));
  if (models) app.use(modelRoutes(models));
  if (deps.agpLinks) app.use(agpRoutes(deps.agpLinks));
  app.use(
    cdsRoutes({
      config,
      registry,
      validators,
      store,
      pseudonymSecret,
      metrics,
      logger,
      defaultFhirServers: deps.defaultFhirServers ?? [],
      authenticate,
      profileRules: deps.profileRules ?? loadProfileRules(CARDS_DIR),
      cardsDir: CARDS_DIR,
    }),
  );
  app.use(analyticsRoutes({ store, verifier, audienceBases: config.audienceBaseUrls, adminToken: config.analyticsAdminToken, scope: config.analyticsScope }));
  app.use(notFoundHandler);
  app.use(errorHandler);
  return { app, metrics, store, healthState, verifier };
}
