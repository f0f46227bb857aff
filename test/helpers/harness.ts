import type { AgpLinkStore } from '../../src/agp/link-store.js';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTHeaderParameters, type JWTPayload } from 'jose';
import { createApp, type App } from '../../src/app.js';
import type { TrustedClient } from '../../src/auth/types.js';
import { ServiceRegistry } from '../../src/cds/registry.js';
import type { CdsServiceDefinition } from '../../src/cds/types.js';
import { loadConfig, type AppConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/logging/logger.js';
import type { ModelRuntime } from '../../src/models/runtime.js';
import type { DecisionStore } from '../../src/store/index.js';
import type { ReplayCache } from '../../src/auth/replay-cache.js';

export const TEST_BASE_URL = 'https://cds.test.example';
export const TEST_ISSUER = 'https://ehr.test.example';
export const TEST_FHIR = 'https://fhir.test.example/r4';

export interface ClientKey {
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
  readonly alg: string;
  readonly kid: string;
}

export async function makeClientKey(alg: 'ES384' | 'ES256' | 'RS384' | 'RS256' = 'ES384'): Promise<ClientKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = randomUUID();
  return { privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }, alg, kid };
}

export interface TokenOptions {
  readonly claims?: JWTPayload;
  readonly header?: Partial<JWTHeaderParameters>;
  readonly key?: ClientKey;
  /** Remove these registered claims from the payload. */
  readonly omit?: readonly string[];
}

/** Log lines written by the app under test, as parsed JSON and raw text. */
export class LogCapture {
  readonly lines: string[] = [];
  write(line: string): void {
    this.lines.push(line);
  }
  get text(): string {
    return this.lines.join('');
  }
  get records(): Record<string, unknown>[] {
    return this.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}

export interface Harness extends App {
  readonly config: AppConfig;
  readonly registry: ServiceRegistry;
  readonly key: ClientKey;
  readonly logs: LogCapture;
  readonly clients: readonly TrustedClient[];
  /** A valid client JWT for `path` (aud = base URL + path), with overrides. */
  token(path: string, opts?: TokenOptions): Promise<string>;
}

export interface HarnessOptions {
  readonly services?: readonly CdsServiceDefinition[];
  readonly env?: Readonly<Record<string, string>>;
  readonly fhirServers?: readonly string[];
  readonly clients?: (key: ClientKey) => TrustedClient[];
  readonly defaultFhirServers?: readonly string[];
  readonly models?: ModelRuntime;
  readonly store?: DecisionStore;
  readonly replayCache?: ReplayCache;
  /** AGP chart links served at /agp/{token}. */
  readonly agpLinks?: AgpLinkStore;
}

export async function createHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const key = await makeClientKey('ES384');
  const config = loadConfig({
    PUBLIC_BASE_URL: TEST_BASE_URL,
    TRUSTED_CLIENTS: '/dev/null',
    LOG_LEVEL: 'info',
    ...opts.env,
  });
  const clients: TrustedClient[] = opts.clients
    ? opts.clients(key)
    : [{ iss: TEST_ISSUER, jwks: { keys: [key.publicJwk] }, fhir_servers: [...(opts.fhirServers ?? [TEST_FHIR])] }];
  const registry = new ServiceRegistry();
  for (const s of opts.services ?? []) registry.register(s);
  const logs = new LogCapture();
  const logger = createLogger(config.logLevel, logs);
  const built = createApp({
    config,
    logger,
    registry,
    trustedClients: clients,
    defaultFhirServers: opts.defaultFhirServers ?? [],
    ...(opts.models ? { models: opts.models } : {}),
    ...(opts.store ? { store: opts.store } : {}),
    ...(opts.replayCache ? { replayCache: opts.replayCache } : {}),
    ...(opts.agpLinks ? { agpLinks: opts.agpLinks } : {}),
  });
  return {
    ...built,
    config,
    registry,
    key,
    logs,
    clients,
    token: (path, t = {}) => signToken(path, key, t),
  };
}

export async function signToken(path: string, defaultKey: ClientKey, t: TokenOptions = {}): Promise<string> {
  const key = t.key ?? defaultKey;
  const now = Math.floor(Date.now() / 1000);
  const payload: JWTPayload = { iss: TEST_ISSUER, aud: TEST_BASE_URL + path, iat: now, exp: now + 300, jti: randomUUID(), ...t.claims };
  for (const k of t.omit ?? []) delete payload[k];
  return new SignJWT(payload).setProtectedHeader({ alg: key.alg, typ: 'JWT', kid: key.kid, ...t.header } as JWTHeaderParameters).sign(key.privateKey);
}

/** A minimal valid patient-view request body. */
export function patientViewRequest(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    hook: 'patient-view',
    hookInstance: randomUUID(),
    context: { userId: 'Practitioner/example', patientId: 'pat-1' },
    ...overrides,
  };
}

/** A test decision service that echoes what it was given, as one card. */
export function echoService(overrides: Partial<CdsServiceDefinition> = {}): CdsServiceDefinition {
  return {
    id: 'echo',
    hooks: ['patient-view'],
    title: 'Echo',
    description: 'Test service that reports which prefetch keys it got',
    prefetch: { patient: 'Patient/{{context.patientId}}' },
    handler: async ({ prefetch }) => ({
      cards: [
        {
          uuid: randomUUID(),
          summary: `keys: ${Object.keys(prefetch.data).sort().join(',') || 'none'}`,
          indicator: 'info',
          source: { label: 'Test' },
          extension: {
            'org.precision-cds.test': {
              supplied: prefetch.supplied,
              fetched: prefetch.fetched,
              completed: prefetch.completed,
              incomplete: prefetch.incomplete,
              deferred: prefetch.deferred,
              data: prefetch.data,
            },
          },
        },
      ],
    }),
    ...overrides,
  };
}
