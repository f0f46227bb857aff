/**
 * Configuration from environment variables, validated once at start and frozen.
 * A bad value throws ConfigError naming the variable; the entry point prints it and exits.
 */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface AppConfig {
  readonly port: number;
  readonly host: string;
  /** Public base URL of this service; JWT `aud` is checked against endpoints under it. */
  readonly publicBaseUrl: string;
  /**
   * Base URLs a client JWT's `aud` may name the called endpoint under: PUBLIC_BASE_URL, and with
   * the sandbox and no PUBLIC_BASE_URL set, the loopback spellings of the default base too.
   */
  readonly audienceBaseUrls: readonly string[];
  /** Path of the trusted CDS clients JSON file (undefined only with the sandbox, which writes its own). */
  readonly trustedClientsFile: string | undefined;
  /** Explicit opt-out of CDS client authentication (development only; warned at start). */
  readonly authDisabled: boolean;
  readonly sandbox: boolean;
  readonly sandboxFhirPort: number;
  /** Folder of fixture Bundles loaded into the sandbox FHIR server. */
  readonly fixturesDir: string;
  readonly logLevel: LogLevel;
  /** Allowed CORS origins; `*` means any (CDS Hooks browser clients need CORS, spec 2.0 §CORS). */
  readonly corsOrigins: readonly string[] | '*';
  /** CORS origins of the sandbox FHIR server (browser CDS clients call it themselves); default corsOrigins. */
  readonly sandboxFhirCorsOrigins: readonly string[] | '*';
  readonly bodyLimitBytes: number;
  /** Timeout for one FHIR HTTP call. */
  readonly fhirTimeoutMs: number;
  /** Deadline for all prefetch fallback fetches of one request. */
  readonly prefetchDeadlineMs: number;
  /** Maximum search pages followed for one prefetch key. */
  readonly fhirMaxPages: number;
  /** Largest FHIR response body read (one search page or resource); a larger one is cut off unread. */
  readonly fhirMaxResponseBytes: number;
  /** Allow `http://` FHIR servers (sandbox only unless set). */
  readonly allowHttpFhir: boolean;
  /** Clock skew tolerated on exp/iat/nbf. */
  readonly jwtClockSkewSeconds: number;
  /** Tokens whose exp is further than this in the future are refused (spec: short-lived JWTs). */
  readonly jwtMaxLifetimeSeconds: number;
  readonly jwksTimeoutMs: number;
  readonly jwksCacheSeconds: number;
  /** Lookback windows (days) for the cardiovascular inputs: the most recent value inside wins. */
  readonly lookbackDays: { readonly lipids: number; readonly bloodPressure: number; readonly smoking: number; readonly body: number; readonly renal: number };
  /** Pharmacogenomics: show info cards for normal results (off by default). */
  readonly pgxShowNormal: boolean;
  /** Pharmacogenomics: per-drug override of "test before prescribing" (drug name or RxNorm -> on/off). */
  readonly pgxPreTesting: Readonly<Record<string, boolean>>;
  /** Glucose monitoring: show an info card when every CGM metric is on target (off by default). */
  readonly cgmShowOnTarget: boolean;
  /** Glucose monitoring: conditions that call for the older/high-risk targets (system|code); undefined = the shipped list. */
  readonly cgmHighRiskConditions: readonly { readonly system: string; readonly code: string }[] | undefined;
  /** Lifetime of an AGP chart link. */
  readonly agpLinkTtlSeconds: number;
  /** Most AGP charts held in memory at once (without Redis); the oldest is dropped beyond it. */
  readonly agpMaxLinks: number;
  /** Decision store: SQLite file (default) or PostgreSQL (DATABASE_URL) for several replicas. */
  readonly store: { readonly kind: 'sqlite'; readonly path: string } | { readonly kind: 'postgres'; readonly url: string; readonly schema?: string };
  /** Key of the HMAC that turns patient and user ids into pseudonyms in the audit log. */
  readonly pseudonymSecret: string | undefined;
  readonly retentionDays: number;
  /** Shared replay and JWKS caches for several replicas. */
  readonly redisUrl: string | undefined;
  /** Bearer secret that opens /analytics (compared in constant time). */
  readonly analyticsAdminToken: string | undefined;
  /** Scope a trusted client's JWT must carry (and be granted) to read /analytics. */
  readonly analyticsScope: string;
  /** ONNX Runtime intra-op threads per model session. */
  readonly modelThreads: number;
  /** Shutdown grace period after SIGTERM. */
  readonly shutdownGraceMs: number;
}

type Env = Readonly<Record<string, string | undefined>>;

function str(env: Env, name: string, fallback?: string): string {
  const v = env[name];
  if (v === undefined || v.trim() === '') {
    if (fallback === undefined) throw new ConfigError(name, 'is required');
    return fallback;
  }
  return v.trim();
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${n}`);
  return n;
}

const TRUE = new Set(['1', 'true', 'on', 'yes']);
const FALSE = new Set(['0', 'false', 'off', 'no']);

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const v = raw.trim().toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  throw new ConfigError(name, `must be on/off (true/false), got "${raw}"`);
}

function httpUrl(name: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(name, `must be an absolute URL, got "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(name, 'must be an http(s) URL');
  if (url.search || url.hash) throw new ConfigError(name, 'must not have a query or fragment');
  return url.toString().replace(/\/+$/, '');
}

function storeConfig(env: Env): AppConfig['store'] {
  const kind = str(env, 'STORE', env['DATABASE_URL']?.trim() ? 'postgres' : 'sqlite');
  if (kind === 'sqlite') return Object.freeze({ kind, path: str(env, 'SQLITE_PATH', 'data/precision-cds.sqlite') });
  if (kind !== 'postgres') throw new ConfigError('STORE', `must be sqlite or postgres, got "${kind}"`);
  const url = str(env, 'DATABASE_URL');
  if (!/^postgres(ql)?:\/\//.test(url)) throw new ConfigError('DATABASE_URL', 'must be a postgres:// URL');
  const schema = env['DATABASE_SCHEMA']?.trim();
  if (schema && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new ConfigError('DATABASE_SCHEMA', 'must be a plain lower-case identifier');
  return Object.freeze({ kind, url, ...(schema ? { schema } : {}) });
}

function secret(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  if (v === undefined || v === '') return undefined;
  if (v.length < 16) throw new ConfigError(name, 'must be at least 16 characters');
  return v;
}

/** PGX_PRETEST_OVERRIDES="abacavir=on,clopidogrel=off": which drugs get a "test first" card. */
function preTesting(env: Env): Readonly<Record<string, boolean>> {
  const raw = env['PGX_PRETEST_OVERRIDES']?.trim();
  if (!raw) return Object.freeze({});
  const out: Record<string, boolean> = {};
  for (const pair of raw.split(',')) {
    const [k, v] = pair.split('=').map((x) => x.trim().toLowerCase());
    if (!k || (v !== 'on' && v !== 'off')) throw new ConfigError('PGX_PRETEST_OVERRIDES', `expected drug=on|off pairs, got "${pair}"`);
    out[k] = v === 'on';
  }
  return Object.freeze(out);
}

/**
 * CGM_HIGH_RISK_CONDITIONS="http://snomed.info/sct|46177005,http://hl7.org/fhir/sid/icd-10-cm|N18.6"
 * replaces the shipped high-risk list; "none" empties it (age alone then chooses the targets).
 */
function highRiskConditions(env: Env): AppConfig['cgmHighRiskConditions'] {
  const raw = env['CGM_HIGH_RISK_CONDITIONS']?.trim();
  if (!raw) return undefined;
  if (raw.toLowerCase() === 'none') return Object.freeze([]);
  return Object.freeze(
    raw.split(',').map((pair) => {
      const i = pair.lastIndexOf('|');
      const system = pair.slice(0, i).trim();
      const code = pair.slice(i + 1).trim();
      if (i <= 0 || !code || !/^(https?:\/\/|urn:)/.test(system)) {
        throw new ConfigError('CGM_HIGH_RISK_CONDITIONS', `expected comma-separated system|code pairs (or "none"), got "${pair.trim()}"`);
      }
      return Object.freeze({ system, code });
    }),
  );
}

/** A comma-separated list of browser origins, or `*` (any). */
function origins(env: Env, name: string, fallback: readonly string[] | '*'): readonly string[] | '*' {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  return raw === '*' ? '*' : Object.freeze(raw.split(',').map((o, i) => httpUrl(`${name}[${i}]`, o.trim())));
}

/**
 * The default base (http://localhost:<port>) as a user of the sandbox may type it: a browser
 * client such as the HL7 reference client puts the exact URL it called in `aud`, and
 * `http://127.0.0.1:3000` reaches the same service. Only for the sandbox with no
 * PUBLIC_BASE_URL: a deployment names its one public URL.
 */
function loopbackSpellings(port: number): string[] {
  return ['localhost', '127.0.0.1', '[::1]'].map((host) => httpUrl('PORT', `http://${host}:${port}`));
}

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function loadConfig(env: Env = process.env): AppConfig {
  const port = int(env, 'PORT', 3000, 0, 65535);
  const sandbox = bool(env, 'SANDBOX', false);
  const logLevel = str(env, 'LOG_LEVEL', 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  const authDisabled = bool(env, 'AUTH_DISABLED', false);
  const trustedClientsFile = env.TRUSTED_CLIENTS?.trim() || undefined;
  if (!trustedClientsFile && !authDisabled && !sandbox) {
    throw new ConfigError('TRUSTED_CLIENTS', 'is required (path of the trusted CDS clients JSON file) unless SANDBOX=on or AUTH_DISABLED=true');
  }
  const corsOrigins = origins(env, 'CORS_ORIGINS', '*');
  const publicBaseUrl = httpUrl('PUBLIC_BASE_URL', str(env, 'PUBLIC_BASE_URL', `http://localhost:${port}`));
  const config: AppConfig = {
    port,
    host: str(env, 'HOST', '0.0.0.0'),
    publicBaseUrl,
    audienceBaseUrls: Object.freeze(sandbox && !env['PUBLIC_BASE_URL']?.trim() ? loopbackSpellings(port) : [publicBaseUrl]),
    sandboxFhirCorsOrigins: origins(env, 'SANDBOX_FHIR_CORS_ORIGINS', corsOrigins),
    trustedClientsFile,
    authDisabled,
    sandbox,
    sandboxFhirPort: int(env, 'SANDBOX_FHIR_PORT', 8080, 0, 65535),
    fixturesDir: str(env, 'FIXTURES_DIR', 'fhir-fixtures'),
    logLevel,
    corsOrigins,
    // 28 days of 5-minute CGM readings prefetched as a searchset are about 5 MB; 16 MiB leaves room for 1-minute sensors' 14 days.
    bodyLimitBytes: int(env, 'BODY_LIMIT_BYTES', 16 * 1024 * 1024, 1024, 100 * 1024 * 1024),
    fhirTimeoutMs: int(env, 'FHIR_TIMEOUT_MS', 3000, 100, 60000),
    prefetchDeadlineMs: int(env, 'PREFETCH_DEADLINE_MS', 5000, 100, 120000),
    fhirMaxPages: int(env, 'FHIR_MAX_PAGES', 20, 1, 1000),
    // One 1,000-entry page of CGM Observations is about 0.6 MB; 16 MiB bounds what one answer can cost.
    fhirMaxResponseBytes: int(env, 'FHIR_MAX_RESPONSE_BYTES', 16 * 1024 * 1024, 1024, 256 * 1024 * 1024),
    allowHttpFhir: bool(env, 'ALLOW_HTTP_FHIR', sandbox),
    jwtClockSkewSeconds: int(env, 'JWT_CLOCK_SKEW_SECONDS', 60, 0, 600),
    jwtMaxLifetimeSeconds: int(env, 'JWT_MAX_LIFETIME_SECONDS', 3600, 60, 86400),
    jwksTimeoutMs: int(env, 'JWKS_TIMEOUT_MS', 3000, 100, 60000),
    jwksCacheSeconds: int(env, 'JWKS_CACHE_SECONDS', 600, 0, 86400),
    shutdownGraceMs: int(env, 'SHUTDOWN_GRACE_MS', 10000, 0, 120000),
    modelThreads: int(env, 'MODEL_THREADS', 1, 1, 64),
    pgxShowNormal: bool(env, 'PGX_SHOW_NORMAL', false),
    store: storeConfig(env),
    pseudonymSecret: secret(env, 'PSEUDONYM_SECRET'),
    retentionDays: int(env, 'RETENTION_DAYS', 365, 1, 36500),
    redisUrl: env['REDIS_URL']?.trim() || undefined,
    analyticsAdminToken: secret(env, 'ANALYTICS_ADMIN_TOKEN'),
    analyticsScope: str(env, 'ANALYTICS_SCOPE', 'analytics/cards.read'),
    pgxPreTesting: preTesting(env),
    cgmShowOnTarget: bool(env, 'CGM_SHOW_ON_TARGET', false),
    cgmHighRiskConditions: highRiskConditions(env),
    agpLinkTtlSeconds: int(env, 'AGP_LINK_TTL_SECONDS', 900, 30, 86400),
    agpMaxLinks: int(env, 'AGP_MAX_LINKS', 10000, 10, 1000000),
    lookbackDays: Object.freeze({
      lipids: int(env, 'LOOKBACK_LIPIDS_DAYS', 1826, 1, 36500),
      bloodPressure: int(env, 'LOOKBACK_BP_DAYS', 365, 1, 36500),
      smoking: int(env, 'LOOKBACK_SMOKING_DAYS', 365, 1, 36500),
      body: int(env, 'LOOKBACK_BODY_DAYS', 730, 1, 36500),
      renal: int(env, 'LOOKBACK_RENAL_DAYS', 730, 1, 36500),
    }),
  };
  return Object.freeze(config);
}
