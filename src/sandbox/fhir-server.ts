/**
 * HTTP face of the sandbox FHIR engine: FHIR R4 RESTful API (https://hl7.org/fhir/R4/http.html)
 * under /fhir, JSON only. Search adds what medplum's in-memory search lacks: default and maximum
 * page sizes, absolute paging links, fullUrl on entries, and a warning for ignored parameters.
 */
import { getResourceTypes, getSearchParameter, getSearchParameters, getStatus, isOk, isResourceType } from '@medplum/core';
import type { FhirResponse, HttpMethod } from '@medplum/fhir-router';
import type {
  Bundle,
  BundleEntry,
  BundleLink,
  CapabilityStatement,
  CapabilityStatementRestResource,
  OperationOutcome,
  OperationOutcomeIssue,
  Resource,
  SearchParameter,
} from '@medplum/fhirtypes';
import cors from 'cors';
import express, { type NextFunction, type Request, type Response } from 'express';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { createFhirEngine, type FhirEngine } from './fhir-engine.js';
import { loadFixtures, type FixtureLoadReport } from './fixtures.js';

export interface SandboxFhirAppOptions {
  /** Largest accepted request body, in body-parser syntax (default '50mb', so big Bundles load). */
  readonly bodyLimit?: string | number;
  /** Page size when a search has no _count (default 50). */
  readonly defaultPageSize?: number;
  /** Largest _count honoured; larger values are lowered to it (default 1000). */
  readonly maxPageSize?: number;
  /** Fixed FHIR base for links; by default the address each request came in on. */
  readonly baseUrl?: string;
  /**
   * Browser origins allowed to call the server (CORS), or `*`. Browser CDS clients such as the
   * HL7 reference client fetch prefetch data from the FHIR server themselves. Default: no CORS.
   */
  readonly corsOrigins?: readonly string[] | '*';
  readonly logger?: Logger;
}

/**
 * JSON media types served, the first being the default: the R4 one, the DSTU2 one the HL7
 * reference client still sends in Accept (https://hl7.org/fhir/R4/http.html#mime-type: servers
 * SHOULD accept it), and plain JSON. The answer is labelled with the type the client asked for.
 */
const JSON_MEDIA_TYPES = ['application/fhir+json', 'application/json+fhir', 'application/json'] as const;
/** `_format` values (https://hl7.org/fhir/R4/http.html#parameters: it overrides Accept) and the type each selects. */
const JSON_FORMATS: Readonly<Record<string, string>> = {
  json: 'application/fhir+json',
  'application/fhir+json': 'application/fhir+json',
  'application/json+fhir': 'application/json+fhir',
  'application/json': 'application/json',
};
/** application/json, application/fhir+json, application/json-patch+json. */
const JSON_BODY_TYPES = ['application/json', 'application/*+json'];
const METHODS: readonly string[] = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'];

/** Mounts the FHIR API under /fhir; everything else answers 404 as an OperationOutcome. */
export function createSandboxFhirApp(engine: FhirEngine, opts: SandboxFhirAppOptions = {}): express.Application {
  const limit = opts.bodyLimit ?? '50mb';
  const paging: Paging = { defaultCount: opts.defaultPageSize ?? 50, maxCount: opts.maxPageSize ?? 1000 };
  const baseOf = (req: Request): string => opts.baseUrl ?? `${req.protocol}://${req.get('host') ?? 'localhost'}${req.baseUrl}`;

  const fhir = express.Router();
  fhir.use(requireJsonResponse);
  fhir.use(express.json({ limit, type: JSON_BODY_TYPES }));
  fhir.use(express.urlencoded({ limit, extended: false }));
  fhir.get('/metadata', (req, res) => sendFhir(res, 200, capabilityStatement(baseOf(req))));
  fhir.use(async (req, res) => {
    await handleInteraction(engine, req, res, { base: baseOf(req), paging });
  });

  const app = express();
  app.disable('x-powered-by');
  // Our ETag is the resource version (https://hl7.org/fhir/R4/http.html#versioning), not a body hash.
  app.set('etag', false);
  if (opts.corsOrigins) {
    // A page on a public origin (https://sandbox.cds-hooks.org) calling this server on loopback:
    // Chrome's Private Network Access preflight asks for this opt-in (https://wicg.github.io/private-network-access/).
    app.use((req, res, next) => {
      if (req.method === 'OPTIONS' && req.get('access-control-request-private-network') === 'true') res.set('Access-Control-Allow-Private-Network', 'true');
      next();
    });
    // Preflights (a POST _search with Authorization, a JSON body) are answered here, before /fhir.
    app.use(
      cors({
        origin: opts.corsOrigins === '*' ? '*' : [...opts.corsOrigins],
        methods: ['GET', 'POST'],
        allowedHeaders: ['Authorization', 'Content-Type', 'Accept', 'Prefer', 'If-None-Exist'],
        exposedHeaders: ['ETag', 'Last-Modified', 'Location', 'Content-Location'],
        maxAge: 600,
      }),
    );
  }
  app.use('/fhir', fhir);
  app.use((_req: Request, _res: Response) => {
    throw new FhirHttpError(404, issue('not-found', 'Not a FHIR endpoint; the FHIR base is /fhir'));
  });
  app.use(errorHandler(opts.logger));
  return app;
}

// ---------------------------------------------------------------------------------------------
// Interactions
// ---------------------------------------------------------------------------------------------

interface Paging {
  readonly defaultCount: number;
  readonly maxCount: number;
}

interface RequestContext {
  readonly base: string;
  readonly paging: Paging;
}

async function handleInteraction(engine: FhirEngine, req: Request, res: Response, ctx: RequestContext): Promise<void> {
  const method = req.method;
  if (!METHODS.includes(method)) {
    throw new FhirHttpError(405, issue('not-supported', `HTTP method ${method} is not supported`));
  }
  const segments = req.path.split('/').filter(Boolean);
  const resourceType = segments[0];
  if (resourceType !== undefined && !isResourceType(resourceType)) {
    throw new FhirHttpError(404, issue('not-found', `Unknown resource type '${resourceType}'`));
  }
  if (resourceType && isSearch(method, segments)) {
    await handleSearch(engine, req, res, resourceType, ctx);
    return;
  }
  if (!resourceType && method === 'GET') {
    throw new FhirHttpError(400, issue('not-supported', 'System-level search is not supported; search a resource type'));
  }
  if (segments.length === 1 && method !== 'POST' && rawQuery(req).length <= 1) {
    // https://hl7.org/fhir/R4/http.html#cond-update: a type-level PUT, PATCH or DELETE is conditional.
    throw new FhirHttpError(400, issue('required', `A conditional ${method} needs search criteria`));
  }
  const body = method === 'GET' || method === 'DELETE' ? undefined : jsonBody(req, method, segments);
  const url = segments.join('/') + rawQuery(req);
  const response = await engine.execute({ method: method as HttpMethod, url, body, headers: req.headers });
  sendInteractionResult(res, ctx.base, response);
}

function isSearch(method: string, segments: string[]): boolean {
  return (method === 'GET' && segments.length === 1) || (method === 'POST' && segments.length === 2 && segments[1] === '_search');
}

/** The parsed JSON body. A create ignores any id the client sent (https://hl7.org/fhir/R4/http.html#create). */
function jsonBody(req: Request, method: string, segments: string[]): unknown {
  const body: unknown = req.body;
  if (body === undefined || !req.is(JSON_BODY_TYPES)) {
    const type = req.headers['content-type'];
    throw type
      ? new FhirHttpError(415, issue('not-supported', `Unsupported content type '${type}'; send application/fhir+json`))
      : new FhirHttpError(400, issue('required', 'A JSON request body is required'));
  }
  if (method === 'POST' && segments.length === 1 && isObject(body)) {
    const { id: _ignored, ...rest } = body;
    return rest;
  }
  return body;
}

function sendInteractionResult(res: Response, base: string, [outcome, resource]: FhirResponse): void {
  const status = getStatus(outcome);
  if (!isOk(outcome) || !resource) {
    sendFhir(res, status, outcome);
    return;
  }
  setVersionHeaders(res, base, resource, status === 201);
  sendFhir(res, status, resource);
}

/** ETag, Last-Modified and, for a create, Location (https://hl7.org/fhir/R4/http.html#create). */
function setVersionHeaders(res: Response, base: string, resource: Resource, created: boolean): void {
  const versionId = resource.meta?.versionId;
  if (!resource.id || !versionId || resource.resourceType === 'Bundle') {
    return;
  }
  res.set('ETag', `W/"${versionId}"`);
  if (resource.meta?.lastUpdated) {
    res.set('Last-Modified', new Date(resource.meta.lastUpdated).toUTCString());
  }
  if (created) {
    res.set('Location', `${base}/${resource.resourceType}/${resource.id}/_history/${versionId}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Search
// ---------------------------------------------------------------------------------------------

/** Search types medplum's in-memory matcher evaluates; number, quantity, composite and special never match. */
const MATCHABLE_TYPES: readonly string[] = ['reference', 'string', 'uri', 'token', 'date'];
/** Result parameters passed through as they are (https://hl7.org/fhir/R4/search.html#return). */
const PASSTHROUGH_PARAMS: readonly string[] = ['_total', '_format', '_pretty'];

function supportedParam(resourceType: string, code: string): SearchParameter | undefined {
  const param = getSearchParameter(resourceType, code);
  // medplum's own extension parameters (_compartment, medplum.com URLs) are not part of the R4 surface.
  const medplumOnly = code === '_compartment' || Boolean(param?.url?.includes('medplum.com'));
  const usable = param?.type && MATCHABLE_TYPES.includes(param.type) && !medplumOnly;
  return usable ? param : undefined;
}

/** medplum defines the Resource-level parameters (_id, _lastUpdated, ...) without their canonical URL. */
function paramDefinition(code: string, param: SearchParameter): string {
  return param.url ?? `http://hl7.org/fhir/SearchParameter/Resource-${code.replace(/^_/, '')}`;
}

interface SearchPlan {
  /** What runs, without _count and _offset. */
  readonly query: URLSearchParams;
  readonly ignored: readonly string[];
  readonly count: number;
  readonly offset: number;
}

async function handleSearch(engine: FhirEngine, req: Request, res: Response, resourceType: string, ctx: RequestContext): Promise<void> {
  const plan = planSearch(resourceType, searchInput(req), ctx.paging);
  if (plan.ignored.length > 0 && prefersStrictHandling(req)) {
    throw new FhirHttpError(400, issue('not-supported', `Unsupported search parameters: ${plan.ignored.join(', ')}`));
  }
  const url = `${resourceType}?${withPaging(plan.query, plan.count, plan.offset)}`;
  const [outcome, bundle] = await engine.execute({ method: 'GET', url });
  if (!isOk(outcome) || !bundle) {
    sendFhir(res, getStatus(outcome), outcome);
    return;
  }
  sendFhir(res, 200, searchset(bundle as Bundle, resourceType, plan, ctx.base));
}

/** URL query parameters plus, for POST _search, the form body (https://hl7.org/fhir/R4/http.html#search). */
function searchInput(req: Request): URLSearchParams {
  const params = new URLSearchParams(rawQuery(req).slice(1));
  if (req.method !== 'POST' || req.body === undefined) {
    return params;
  }
  if (!req.is('application/x-www-form-urlencoded') || !isObject(req.body)) {
    throw new FhirHttpError(415, issue('not-supported', 'POST _search takes an application/x-www-form-urlencoded body'));
  }
  for (const [key, value] of Object.entries(req.body)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      params.append(key, String(v));
    }
  }
  return params;
}

function planSearch(resourceType: string, input: URLSearchParams, paging: Paging): SearchPlan {
  const query = new URLSearchParams();
  const ignored: string[] = [];
  let count = paging.defaultCount;
  let offset = 0;
  let summaryCount = false;
  for (const [key, value] of input) {
    const [code = '', modifier] = key.split(':', 2);
    if (code === '_count') {
      count = Math.min(nonNegativeInteger(key, value), paging.maxCount);
    } else if (code === '_offset') {
      offset = nonNegativeInteger(key, value);
    } else if (code === '_summary' && (value === 'count' || value === 'false')) {
      summaryCount ||= value === 'count';
    } else if (code === '_sort') {
      planSort(resourceType, value, query, ignored);
    } else if (PASSTHROUGH_PARAMS.includes(code)) {
      query.append(key, value);
    } else if (supportedParam(resourceType, code)) {
      appendFilter(query, resourceType, code, modifier, value);
    } else {
      ignored.push(key);
    }
  }
  return { query, ignored, count: summaryCount ? 0 : count, offset };
}

/** Keeps the sort keys that are known parameters; the rest are reported as ignored. */
function planSort(resourceType: string, value: string, query: URLSearchParams, ignored: string[]): void {
  const fields = value.split(',').filter(Boolean);
  const known = fields.filter((f) => supportedParam(resourceType, f.replace(/^-/, '')));
  ignored.push(...fields.filter((f) => !known.includes(f)).map((f) => `_sort=${f}`));
  if (known.length > 0) {
    query.append('_sort', known.join(','));
  }
}

/** `subject:Patient=123` is `subject=Patient/123` (https://hl7.org/fhir/R4/search.html#reference). */
function appendFilter(query: URLSearchParams, resourceType: string, code: string, modifier: string | undefined, value: string): void {
  const isTypeModifier = modifier && isResourceType(modifier) && getSearchParameter(resourceType, code)?.type === 'reference';
  if (!isTypeModifier) {
    query.append(modifier ? `${code}:${modifier}` : code, value);
    return;
  }
  const typed = value.split(',').map((v) => (v.includes('/') ? v : `${modifier}/${v}`));
  query.append(code, typed.join(','));
}

function nonNegativeInteger(name: string, value: string): number {
  if (!/^\d{1,9}$/.test(value)) {
    throw new FhirHttpError(400, issue('invalid', `${name} must be a non-negative integer, got '${value}'`));
  }
  return Number(value);
}

function withPaging(query: URLSearchParams, count: number, offset: number): string {
  const paged = new URLSearchParams(query);
  paged.set('_count', String(count));
  if (offset > 0) {
    paged.set('_offset', String(offset));
  }
  return paged.toString();
}

/** https://hl7.org/fhir/R4/search.html#errors: Prefer: handling=strict turns ignored parameters into an error. */
function prefersStrictHandling(req: Request): boolean {
  return /\bhandling\s*=\s*strict\b/i.test(req.get('prefer') ?? '');
}

/** The searchset as clients expect it: total, paging links, fullUrl and search.mode on entries. */
function searchset(bundle: Bundle, resourceType: string, plan: SearchPlan, base: string): Bundle {
  const total = bundle.total ?? 0;
  const entry: BundleEntry[] = (bundle.entry ?? []).map((e) => ({
    fullUrl: e.resource ? `${base}/${e.resource.resourceType}/${e.resource.id}` : undefined,
    resource: e.resource,
    search: { mode: 'match' },
  }));
  if (plan.ignored.length > 0) {
    const warning = issue('not-supported', `Ignored unsupported search parameters: ${plan.ignored.join(', ')}`, 'warning');
    entry.push({ resource: warning, search: { mode: 'outcome' } });
  }
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    total,
    link: pagingLinks(`${base}/${resourceType}`, plan, total),
    ...(entry.length > 0 ? { entry } : {}),
  };
}

/** self, previous and next as absolute URLs (https://hl7.org/fhir/R4/http.html#paging). */
function pagingLinks(searchUrl: string, plan: SearchPlan, total: number): BundleLink[] {
  const { query, count, offset } = plan;
  const link = (relation: string, at: number): BundleLink => ({ relation, url: `${searchUrl}?${withPaging(query, count, at)}` });
  const links = [link('self', offset)];
  if (count > 0 && offset > 0) {
    links.push(link('previous', Math.max(0, offset - count)));
  }
  if (count > 0 && offset + count < total) {
    links.push(link('next', offset + count));
  }
  return links;
}

// ---------------------------------------------------------------------------------------------
// CapabilityStatement
// ---------------------------------------------------------------------------------------------

const STARTED_AT = new Date().toISOString();
const TYPE_INTERACTIONS = ['read', 'vread', 'update', 'patch', 'delete', 'history-instance', 'create', 'search-type'] as const;
let resourceCapabilities: CapabilityStatementRestResource[] | undefined;

/** https://hl7.org/fhir/R4/capabilitystatement.html; built from the same schema the engine searches with. */
function capabilityStatement(base: string): CapabilityStatement {
  resourceCapabilities ??= getResourceTypes()
    .sort()
    .map((type) => ({
      type,
      versioning: 'versioned',
      readHistory: true,
      updateCreate: true,
      interaction: TYPE_INTERACTIONS.map((code) => ({ code })),
      searchParam: Object.keys(getSearchParameters(type) ?? {})
        .sort()
        .flatMap((code) => {
          const param = supportedParam(type, code);
          return param?.type ? [{ name: code, definition: paramDefinition(code, param), type: param.type }] : [];
        }),
    }));
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: STARTED_AT,
    kind: 'instance',
    software: { name: 'precision-cds sandbox FHIR server' },
    implementation: { description: 'In-memory FHIR R4 server for testing the CDS service locally', url: base },
    fhirVersion: '4.0.1',
    format: ['json', ...JSON_MEDIA_TYPES],
    rest: [
      {
        mode: 'server',
        resource: resourceCapabilities,
        interaction: [{ code: 'transaction' }, { code: 'batch' }],
      },
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// Responses and errors
// ---------------------------------------------------------------------------------------------

/** An HTTP status with the OperationOutcome explaining it. */
class FhirHttpError extends Error {
  constructor(
    readonly status: number,
    readonly outcome: OperationOutcome
  ) {
    super(outcome.issue?.[0]?.diagnostics ?? `HTTP ${status}`);
  }
}

function issue(code: OperationOutcomeIssue['code'], diagnostics: string, severity: OperationOutcomeIssue['severity'] = 'error'): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: [{ severity, code, diagnostics }] };
}

/** Sends `body` labelled with the JSON media type negotiated for this request (application/fhir+json by default). */
function sendFhir(res: Response, status: number, body: Resource): void {
  const type = typeof res.locals['fhirMediaType'] === 'string' ? res.locals['fhirMediaType'] : JSON_MEDIA_TYPES[0];
  res.status(status).set('Content-Type', `${type}; charset=utf-8`).send(JSON.stringify(body));
}

/**
 * JSON is the only format (https://hl7.org/fhir/R4/http.html#mime-type): `_format`, when given,
 * decides; else Accept (no Accept, or any type, gets application/fhir+json). Anything else is 406.
 */
function requireJsonResponse(req: Request, res: Response, next: NextFunction): void {
  const format = new URLSearchParams(rawQuery(req).slice(1)).get('_format');
  // An unencoded '+' in a query string decodes to a space: `_format=application/fhir+json` as typed.
  const type = format !== null ? JSON_FORMATS[format.split(';')[0]!.trim().replace(/ /g, '+').toLowerCase()] : req.accepts([...JSON_MEDIA_TYPES]);
  if (!type) {
    throw new FhirHttpError(406, issue('not-supported', `This server only produces JSON (${JSON_MEDIA_TYPES.join(', ')})`));
  }
  res.locals['fhirMediaType'] = type;
  next();
}

/** Every failure leaves as an OperationOutcome; internals (messages, stacks) stay in the log. */
function errorHandler(logger: Logger | undefined) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const { status, outcome } = errorOutcome(err);
    if (status >= 500) {
      logger?.error({ err, method: req.method }, 'sandbox FHIR request failed');
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    sendFhir(res, status, outcome);
  };
}

function errorOutcome(err: unknown): { status: number; outcome: OperationOutcome } {
  if (err instanceof FhirHttpError) {
    return { status: err.status, outcome: err.outcome };
  }
  const { type, status } = (isObject(err) ? err : {}) as { type?: unknown; status?: unknown };
  if (type === 'entity.parse.failed') {
    return { status: 400, outcome: issue('invalid', 'The request body is not valid JSON') };
  }
  if (type === 'entity.too.large') {
    return { status: 413, outcome: issue('too-costly', 'The request body is larger than this server accepts') };
  }
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { status, outcome: issue('invalid', 'The request could not be read') };
  }
  return { status: 500, outcome: issue('exception', 'Internal server error') };
}

function rawQuery(req: Request): string {
  const at = req.originalUrl.indexOf('?');
  return at < 0 ? '' : req.originalUrl.slice(at);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------------------------

/** Parameters CDS prefetch templates and FHIR fallbacks search by, per type (see src/services/*). */
const WARM_SEARCH_PARAMS: Readonly<Record<string, readonly string[]>> = {
  Observation: ['code', 'date', 'category', 'status'],
  Condition: ['code', 'clinical-status'],
  MedicationRequest: ['status', 'code', 'intent'],
  MedicationStatement: ['status', 'code'],
  Device: ['type'],
};

export interface SandboxFhirServerOptions {
  /** 0 picks a free port; the chosen one is reported back. */
  readonly port: number;
  /** Interface to bind (default 127.0.0.1). */
  readonly host?: string;
  /** Folder of transaction Bundles (*.json) loaded before the server listens. */
  readonly fixturesDir?: string;
  readonly logger?: Logger;
  /** Shift fixture dates so they keep their distance from today (default true). */
  readonly rebaseDates?: boolean;
  readonly bodyLimit?: string | number;
  /** Browser origins allowed by CORS, or `*`; none when absent (see SandboxFhirAppOptions). */
  readonly corsOrigins?: readonly string[] | '*';
}

export interface SandboxFhirServer {
  /** e.g. http://127.0.0.1:8081/fhir */
  readonly baseUrl: string;
  readonly port: number;
  readonly engine: FhirEngine;
  readonly fixtures: FixtureLoadReport | undefined;
  close(): Promise<void>;
}

export async function startSandboxFhirServer(opts: SandboxFhirServerOptions): Promise<SandboxFhirServer> {
  const engine = createFhirEngine();
  // Stopped when the server closes: the background caching must not keep a closing process alive.
  const warming = new AbortController();
  const fixtures = opts.fixturesDir
    ? await loadFixtures(engine, opts.fixturesDir, { rebaseDates: opts.rebaseDates ?? true })
    : undefined;
  if (fixtures) {
    // The searches CDS services make (by patient, code and date, newest first) answered from cached values
    // from the first request on; computed in chunks so the server answers meanwhile.
    const warmStarted = performance.now();
    void engine.repo
      .warmSearchValues(WARM_SEARCH_PARAMS, { signal: warming.signal })
      .then((resources) => opts.logger?.info({ resources, elapsedMs: Math.round(performance.now() - warmStarted) }, 'sandbox FHIR search values cached'))
      .catch((err: unknown) => opts.logger?.warn({ err }, 'sandbox FHIR search value caching failed; searches compute them as they go'));
    opts.logger?.info(
      { files: fixtures.files.length, resources: fixtures.resources, elapsedMs: fixtures.elapsedMs },
      'sandbox FHIR fixtures loaded'
    );
  }
  const host = opts.host ?? '127.0.0.1';
  const app = createSandboxFhirApp(engine, { logger: opts.logger, bodyLimit: opts.bodyLimit, ...(opts.corsOrigins ? { corsOrigins: opts.corsOrigins } : {}) });
  const server = createServer(app);
  await listen(server, opts.port, host);
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    baseUrl: `http://${advertisedHost(host)}:${port}/fhir`,
    port,
    engine,
    fixtures,
    close: () => {
      warming.abort();
      return (closing ??= closeServer(server));
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Stops accepting and drops keep-alive connections, which would otherwise hold close() open. */
function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    server.closeAllConnections();
  });
}

/** A wildcard bind is reachable on loopback; IPv6 literals need brackets in a URL. */
function advertisedHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') {
    return '127.0.0.1';
  }
  return host.includes(':') ? `[${host}]` : host;
}
