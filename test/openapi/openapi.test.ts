/**
 * openapi/openapi.json: an OpenAPI 3.1.0 document whose `components.schemas` are strict
 * JSON Schema 2020-12, compiled by ajv exactly as the service does at start. Test titles cite
 * the requirement IDs of /work/shared/cds-hooks/service-requirements.tsv.
 */
import { describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
// ajv-formats is CommonJS; under TS NodeNext its default import is typed as the CJS module
// (module.exports), whose `.default` is the plugin. At runtime module.exports is the plugin
// itself and also carries `.default`, so `.default(ajv)` works under tsc, ts-jest ESM, tsx and node.
import ajvFormats from 'ajv-formats';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

const OPENAPI_KEYWORDS = ['openapi', 'info', 'paths', 'components', 'servers', 'tags', 'security', 'webhooks', 'externalDocs', 'jsonSchemaDialect'];
const DOC_PATH = path.resolve(process.cwd(), 'openapi/openapi.json');
const EXAMPLES_DIR = path.resolve(process.cwd(), '../shared/cds-hooks/examples');

const doc = JSON.parse(readFileSync(DOC_PATH, 'utf8')) as JsonObject;

/** The loader the service uses (src/cds/validation.ts), verbatim in its ajv options. */
function loadOpenApi(document: object): { ajv: Ajv2020; schema: (name: string) => ValidateFunction } {
  const ajv = new Ajv2020({ allErrors: true, strict: true, keywords: OPENAPI_KEYWORDS });
  ajvFormats.default(ajv);
  ajv.addSchema(document, 'openapi.json');
  return {
    ajv,
    schema: (name) => {
      const v = ajv.getSchema(`openapi.json#/components/schemas/${name}`);
      if (!v) throw new Error(`schema ${name} missing`);
      return v;
    },
  };
}

const { schema } = loadOpenApi(doc);

/** `instancePath keyword` of each error, for readable assertions. */
function problems(v: ValidateFunction, data: unknown): string[] {
  if (v(data)) return [];
  return (v.errors ?? []).map((e: ErrorObject) => `${e.instancePath || '/'} ${e.keyword}${e.keyword === 'required' ? `:${String(e.params['missingProperty'])}` : ''}`);
}

function ok(name: string, data: unknown): void {
  expect(problems(schema(name), data)).toEqual([]);
}

function fails(name: string, data: unknown, expected: string): void {
  const found = problems(schema(name), data);
  expect(found.length).toBeGreaterThan(0);
  expect(found).toContain(expected);
}

const schemas = (doc['components'] as JsonObject)['schemas'] as JsonObject;

function walk(node: Json, visit: (obj: JsonObject, at: string) => void, at = '#'): void {
  if (Array.isArray(node)) node.forEach((n, i) => walk(n, visit, `${at}/${i}`));
  else if (node !== null && typeof node === 'object') {
    visit(node, at);
    for (const [k, v] of Object.entries(node)) walk(v, visit, `${at}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`);
  }
}

function resolvePointer(root: Json, pointer: string): Json | undefined {
  if (!pointer.startsWith('#')) return undefined;
  let node: Json | undefined = root;
  for (const raw of pointer.slice(1).split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || Array.isArray(node) || !(key in node)) return undefined;
    node = (node as JsonObject)[key];
  }
  return node;
}

// ------------------------------------------------------------------------------------------
describe('openapi.json: structure', () => {
  it('is OpenAPI 3.1.0 with the JSON Schema 2020-12 dialect, info and servers', () => {
    expect(doc['openapi']).toBe('3.1.0');
    expect(doc['jsonSchemaDialect']).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(doc['info']).toMatchObject({ title: 'precision-cds', version: '0.1.0' });
    expect(typeof (doc['info'] as JsonObject)['description']).toBe('string');
    expect(doc['servers']).toEqual([expect.objectContaining({ url: '/' })]);
  });

  it('has only OpenAPI top-level members (the ones the loader declares as ajv keywords)', () => {
    for (const key of Object.keys(doc)) expect(OPENAPI_KEYWORDS).toContain(key);
  });

  const contract = [
    'CdsRequest', 'FhirAuthorization', 'Extension', 'PatientViewContext', 'OrderSelectContext', 'OrderSignContext',
    'FeedbackRequest', 'FeedbackItem', 'FeedbackResponse', 'Coding', 'OverrideReasonCoding', 'Source', 'Action',
    'Suggestion', 'Link', 'Card', 'CdsServiceResponse', 'CdsServiceDescriptor', 'DiscoveryResponse', 'OperationOutcome',
    'HealthLive', 'HealthReady',
  ];
  it.each(contract)('defines the contract schema %s', (name) => {
    expect(schemas[name]).toBeDefined();
  });

  it('every component schema compiles in ajv strict mode through the service loader', () => {
    const loaded = loadOpenApi(JSON.parse(readFileSync(DOC_PATH, 'utf8')) as object);
    for (const name of Object.keys(schemas)) expect(typeof loaded.schema(name)).toBe('function');
  });

  it('every $ref is #/components/schemas/<Name> and resolves', () => {
    const refs: string[] = [];
    walk(doc, (obj, at) => {
      if ('$ref' in obj) refs.push(`${String(obj['$ref'])} @ ${at}`);
    });
    expect(refs.length).toBeGreaterThan(20);
    for (const r of refs) {
      const [ref] = r.split(' @ ');
      expect(`${r}: ${String(/^#\/components\/schemas\/[A-Za-z0-9]+$/.test(ref ?? ''))}`).toBe(`${r}: true`);
      expect(resolvePointer(doc, ref ?? '')).toBeDefined();
    }
  });

  it('uses no OpenAPI-only schema keywords (example, nullable, discriminator, xml) and no null types', () => {
    const bad: string[] = [];
    walk(schemas, (obj, at) => {
      for (const k of ['example', 'nullable', 'discriminator', 'xml']) if (k in obj) bad.push(`${at}/${k}`);
      const t = obj['type'];
      if (t === 'null' || (Array.isArray(t) && t.includes('null'))) bad.push(`${at}/type`);
    });
    expect(bad).toEqual([]);
  });

  it('every schema carrying `examples` validates its own examples', () => {
    for (const [name, s] of Object.entries(schemas)) {
      const examples = (s as JsonObject)['examples'];
      if (!Array.isArray(examples)) continue;
      for (const e of examples) expect([name, problems(schema(name), e)]).toEqual([name, []]);
    }
  });

  const operations: [string, string, string[], boolean][] = [
    ['/cds-services', 'get', ['200', '401', '500'], true],
    ['/cds-services/{id}', 'post', ['200', '400', '401', '404', '412', '413', '415', '500'], true],
    ['/cds-services/{id}/feedback', 'post', ['200', '400', '401', '404', '413', '415', '500'], true],
    ['/health/live', 'get', ['200'], false],
    ['/health/ready', 'get', ['200', '503'], false],
    ['/metrics', 'get', ['200'], false],
    ['/openapi.json', 'get', ['200'], false],
    ['/agp/{token}', 'get', ['200', '404'], false],
  ];
  it.each(operations)('%s %s documents responses %j (auth: %s)', (p, method, codes, authenticated) => {
    const op = ((doc['paths'] as JsonObject)[p] as JsonObject)[method] as JsonObject;
    expect(op).toBeDefined();
    const responses = op['responses'] as JsonObject;
    expect(Object.keys(responses).sort()).toEqual([...codes].sort());
    for (const [code, r] of Object.entries(responses)) {
      expect(typeof (r as JsonObject)['description']).toBe('string');
      const content = (r as JsonObject)['content'] as JsonObject;
      expect(content).toBeDefined();
      if (Number(code) >= 400 && p.startsWith('/cds-services')) {
        expect(content).toEqual({ 'application/fhir+json': { schema: { $ref: '#/components/schemas/OperationOutcome' } } });
      }
    }
    expect(op['security']).toEqual(authenticated ? [{ cdsClientJwt: [] }] : []);
  });

  it('every path has at least one operation and every operation has responses', () => {
    for (const [p, item] of Object.entries(doc['paths'] as JsonObject)) {
      const ops = Object.entries(item as JsonObject).filter(([k]) => ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'].includes(k));
      expect([p, ops.length > 0]).toEqual([p, true]);
      for (const [, op] of ops) expect(Object.keys((op as JsonObject)['responses'] as JsonObject).length).toBeGreaterThan(0);
    }
  });

  it('request bodies: the hook call takes CdsRequest and feedback takes FeedbackRequest, as application/json', () => {
    const paths = doc['paths'] as JsonObject;
    const body = (p: string): Json | undefined => resolvePointer(paths as Json, `#/${p.replace(/~/g, '~0').replace(/\//g, '~1')}/post/requestBody/content/application~1json/schema/$ref`);
    expect(body('/cds-services/{id}')).toBe('#/components/schemas/CdsRequest');
    expect(body('/cds-services/{id}/feedback')).toBe('#/components/schemas/FeedbackRequest');
  });

  it('/metrics is Prometheus text and 412 is documented for unobtainable FHIR data (row 54)', () => {
    const paths = doc['paths'] as JsonObject;
    expect(resolvePointer(paths as Json, '#/~1metrics/get/responses/200/content/text~1plain')).toBeDefined();
    expect(String(resolvePointer(paths as Json, '#/~1cds-services~1{id}/post/responses/412/description'))).toMatch(/prefetch/i);
  });

  it('cdsClientJwt is an http bearer JWT scheme whose description states the CDS Hooks JWT rules (rows 176, 201, 203, 205; enforced in src/auth, tested in test/auth)', () => {
    const s = ((doc['components'] as JsonObject)['securitySchemes'] as JsonObject)['cdsClientJwt'] as JsonObject;
    expect(s).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    for (const word of ['iss', 'aud', 'exp', 'iat', 'jti', 'ES384', 'RS384', 'ES256', 'RS256', 'none', 'HMAC', 'jku']) {
      expect(String(s['description'])).toContain(word);
    }
  });
});

// ------------------------------------------------------------------------------------------
const examplesPresent = existsSync(EXAMPLES_DIR);
if (!examplesPresent) console.warn(`openapi tests: ${EXAMPLES_DIR} not found; shared CDS Hooks examples are skipped`);
const d = examplesPresent ? describe : describe.skip;

const readExample = (file: string): JsonObject => JSON.parse(readFileSync(path.join(EXAMPLES_DIR, file), 'utf8')) as JsonObject;
const exampleFiles = examplesPresent ? readdirSync(EXAMPLES_DIR).filter((f) => f.endsWith('.json')).sort() : [];

const CONTEXT_SCHEMA: Record<string, string> = {
  'patient-view': 'PatientViewContext',
  'order-select': 'OrderSelectContext',
  'order-sign': 'OrderSignContext',
};

/**
 * Full requests whose `context` is knowingly inconsistent with its hook definition.
 * spec2.0-request-with-extension.json: spec 2.0 §Extensions illustrates `extension` with a
 * patient-view request whose context has only `userId`, but patient-view 1.0 makes `patientId`
 * REQUIRED. The envelope is valid; the context must be (and is asserted to be) refused.
 */
const CONTEXT_EXCLUDED: Record<string, string> = {
  'spec2.0-request-with-extension.json': '/ required:patientId',
};

const fullRequests = exampleFiles.filter((f) => {
  const j = readExample(f);
  return 'hook' in j && 'hookInstance' in j && 'context' in j;
});

d('shared examples: requests', () => {
  it('finds the full hook requests among the examples', () => {
    expect(fullRequests).toEqual(
      expect.arrayContaining([
        'spec2.0-patient-view-request.json',
        'spec2.0-request-with-extension.json',
        'COMPOSED-order-sign-request-spec2.0-envelope+library-R4-context.json',
        'cdshooks-docs-examples-order-select-request.json',
        'crd-testkit-order-sign-hook-request.json',
      ]),
    );
  });

  it.each(fullRequests)('%s is a valid CdsRequest', (file) => {
    ok('CdsRequest', readExample(file));
  });

  const withContextSchema = fullRequests.filter((f) => String(readExample(f)['hook']) in CONTEXT_SCHEMA && !(f in CONTEXT_EXCLUDED));
  it.each(withContextSchema)('%s: context validates against the schema of its hook', (file) => {
    const j = readExample(file);
    ok(CONTEXT_SCHEMA[String(j['hook'])] as string, j['context']);
  });

  it.each(Object.entries(CONTEXT_EXCLUDED))('excluded %s: its context is refused (%s), a known spec inconsistency', (file, error) => {
    const j = readExample(file);
    ok('CdsRequest', j);
    fails(CONTEXT_SCHEMA[String(j['hook'])] as string, j['context'], error);
  });

  it.each([
    ['library1.0.1-patient-view-context-example1.json', 'PatientViewContext'],
    ['library1.0.1-patient-view-context-example2.json', 'PatientViewContext'],
    ['library1.0.1-order-select-context-R4.json', 'OrderSelectContext'],
    ['library1.0.1-order-sign-context-R4.json', 'OrderSignContext'],
  ])('hook library context %s validates against %s', (file, name) => {
    ok(name, readExample(file)['context']);
  });

  it('spec prefetch data (with the odd `"user": "123"` value) is accepted in a request; the service judges each key', () => {
    const prefetch = readExample('spec2.0-prefetch-data.json')['prefetch'];
    ok('CdsRequest', { hook: 'patient-view', hookInstance: 'x', context: { userId: 'Practitioner/1', patientId: '1' }, prefetch });
  });

  it('spec fhirAuthorization example is a valid FhirAuthorization', () => {
    ok('FhirAuthorization', readExample('spec2.0-fhirAuthorization.json')['fhirAuthorization']);
  });
});

d('shared examples: feedback', () => {
  it.each(['spec2.0-feedback-accepted.json', 'spec2.0-feedback-overridden-no-reason.json', 'spec2.0-feedback-overridden-with-reason.json'])(
    '%s is a valid FeedbackRequest',
    (file) => {
      ok('FeedbackRequest', readExample(file));
    },
  );
});

/** Every example with a top-level `cards` array, and what our outgoing schema must say about it. */
const RESPONSE_VERDICTS: Record<string, 'valid' | string> = {
  'spec2.0-response-empty-cards.json': 'valid',
  'spec2.0-response-cards-links-overrideReasons.json': 'valid',
  'COMPOSED-card-with-suggestions-from-spec2.0-fragments.json': 'valid',
  'crd-testkit-card-with-suggestions.json': 'valid',
  // 87: indicator is REQUIRED on a card; the spec's autolaunchable example omits it.
  'spec2.0-response-autolaunchable.json': '/cards/0 required:indicator',
  // 128: description is REQUIRED on an action in 2.0; the spec's systemActions example omits it.
  'spec2.0-response-systemActions.json': '/systemActions/0 required:description',
  'cdshooks-docs-examples-pama-systemActions-response.json': '/systemActions/0 required:description',
};

d('shared examples: responses and discovery', () => {
  it('every example with a top-level cards array has a verdict', () => {
    const responses = exampleFiles.filter((f) => Array.isArray(readExample(f)['cards']));
    expect(responses.sort()).toEqual(Object.keys(RESPONSE_VERDICTS).sort());
  });

  const valid = Object.entries(RESPONSE_VERDICTS).filter(([, v]) => v === 'valid').map(([f]) => f);
  it.each(valid)('%s is a valid CdsServiceResponse', (file) => {
    ok('CdsServiceResponse', readExample(file));
  });

  const invalid = Object.entries(RESPONSE_VERDICTS).filter(([, v]) => v !== 'valid');
  it.each(invalid)('%s breaks the spec\'s own rules and is refused by our outgoing schema (%s)', (file, error) => {
    fails('CdsServiceResponse', readExample(file), error);
  });

  it.each(['spec2.0-discovery-response.json', 'spec2.0-discovery-with-extension.json'])('%s is a valid DiscoveryResponse', (file) => {
    ok('DiscoveryResponse', readExample(file));
  });

  it.each(['spec2.0-action-create.json', 'spec2.0-action-update.json', 'spec2.0-action-delete.json'])('%s is a valid Action', (file) => {
    ok('Action', readExample(file));
  });

  it('the spec source example is a valid Source', () => {
    ok('Source', readExample('spec2.0-card-source.json')['source']);
  });

  it('100/136: the spec override reasons are valid OverrideReasonCodings', () => {
    for (const r of readExample('spec2.0-overrideReasons.json')['overrideReasons'] as Json[]) ok('OverrideReasonCoding', r);
  });
});

// ------------------------------------------------------------------------------------------
const card = (extra: JsonObject = {}): JsonObject => ({
  uuid: '4e0a3a1e-3283-4575-ab82-028d55fe2719',
  summary: 'Example Card',
  indicator: 'info',
  source: { label: 'precision-cds' },
  ...extra,
});
const suggestion: JsonObject = {
  label: 'Replace the draft order',
  uuid: 'e56e1945-20b3-4393-8503-a1a20fd73152',
  actions: [{ type: 'delete', description: 'Remove the order', resourceId: 'MedicationRequest/123' }],
};

describe('outgoing schemas: spec rules', () => {
  it('74/77: {"cards": []} is a valid response; a response without cards is not', () => {
    ok('CdsServiceResponse', { cards: [] });
    fails('CdsServiceResponse', {}, '/ required:cards');
  });

  it('83: a summary of 139 characters passes, 140 fails', () => {
    ok('Card', card({ summary: 'x'.repeat(139) }));
    fails('Card', card({ summary: 'x'.repeat(140) }), '/summary maxLength');
  });

  it('87: indicator is required and limited to info, warning, critical', () => {
    const { indicator: _dropped, ...noIndicator } = card();
    fails('Card', noIndicator, '/ required:indicator');
    fails('Card', card({ indicator: 'hard-stop' }), '/indicator enum');
  });

  it('93/96: suggestions without selectionBehavior fail; with it they pass', () => {
    fails('Card', card({ suggestions: [suggestion] }), '/ dependentRequired');
    ok('Card', card({ suggestions: [suggestion], selectionBehavior: 'at-most-one' }));
    fails('Card', card({ suggestions: [suggestion], selectionBehavior: 'all' }), '/selectionBehavior enum');
  });

  it('100/136: override reasons without display fail', () => {
    fails('Card', card({ overrideReasons: [{ system: 'http://example.org/r', code: 'a' }] }), '/overrideReasons/0 required:display');
    fails('Card', card({ overrideReasons: [{ system: 'http://example.org/r', code: 'a', display: 'A', version: '1' }] }), '/overrideReasons/0 unevaluatedProperties');
  });

  it('107/111: source url and icon must be absolute URLs', () => {
    fails('Source', { label: 'x', url: '/relative/path' }, '/url format');
    fails('Source', { label: 'x', icon: 'icon.png' }, '/icon format');
  });

  it('147: appContext on an absolute link fails; on a smart link it passes', () => {
    fails('Link', { label: 'App', url: 'https://app.example.org/launch', type: 'absolute', appContext: '{"a":1}' }, '/appContext false schema');
    ok('Link', { label: 'App', url: 'https://app.example.org/launch', type: 'smart', appContext: '{"a":1}' });
    fails('Link', { label: 'App', url: 'https://app.example.org', type: 'deep' }, '/type enum');
  });

  it('127/131/133/134: action type rules (delete has no resource and names resourceId; create/update carry the resource)', () => {
    fails('Action', { type: 'delete', description: 'Remove', resourceId: 'MedicationRequest/1', resource: { resourceType: 'MedicationRequest' } }, '/resource false schema');
    fails('Action', { type: 'delete', description: 'Remove' }, '/ required:resourceId');
    fails('Action', { type: 'create', description: 'Add' }, '/ required:resource');
    fails('Action', { type: 'update', description: 'Change' }, '/ required:resource');
    fails('Action', { type: 'modify', description: 'x', resource: { resourceType: 'Patient' } }, '/type enum');
    fails('Action', { type: 'delete', description: 'Remove', resourceId: '123' }, '/resourceId pattern');
  });

  it('128: an action (including a system action) without description fails', () => {
    fails('CdsServiceResponse', { cards: [], systemActions: [{ type: 'update', resource: { resourceType: 'ServiceRequest', id: '1' } }] }, '/systemActions/0 required:description');
  });

  it('3: no empty strings, nulls, empty arrays or empty objects in what the service sends (except cards: [])', () => {
    fails('Card', card({ detail: '' }), '/detail minLength');
    fails('Card', card({ uuid: null }), '/uuid type');
    fails('Card', card({ links: [] }), '/links minItems');
    fails('Card', card({ suggestions: [], selectionBehavior: 'any' }), '/suggestions minItems');
    fails('Card', card({ extension: {} }), '/extension minProperties');
    fails('Card', card({ source: { label: '' } }), '/source/label minLength');
    fails('CdsServiceResponse', { cards: [], systemActions: [] }, '/systemActions minItems');
    fails('CdsServiceDescriptor', { hook: 'patient-view', description: 'd', id: 'x', prefetch: {} }, '/prefetch minProperties');
    fails('CdsServiceDescriptor', { hook: 'patient-view', description: 'd', id: 'x', title: '' }, '/title minLength');
    fails('OperationOutcome', { resourceType: 'OperationOutcome', issue: [] }, '/issue minItems');
  });

  it('outgoing objects are closed: a misspelt member is refused', () => {
    fails('Card', card({ suggestion: [suggestion] }), '/ additionalProperties');
  });

  it('7/9/10: a discovery entry needs hook, description and id; services may be empty', () => {
    ok('DiscoveryResponse', { services: [] });
    fails('CdsServiceDescriptor', { hook: 'patient-view', id: 'x' }, '/ required:description');
    ok('CdsServiceDescriptor', { hook: 'order-sign', description: 'd', id: 'pgx-on-order-sign', prefetch: { patient: 'Patient/{{context.patientId}}' } });
  });

  it('errors: the OperationOutcome the service builds is valid', () => {
    ok('OperationOutcome', {
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'error', code: 'invalid', diagnostics: 'context.patientId is required', expression: ['context.patientId'] }],
    });
    fails('OperationOutcome', { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'bad-thing' }] }, '/issue/0/code enum');
  });

  it('feedback response and health bodies', () => {
    ok('FeedbackResponse', { feedback: [{ card: 'c1', status: 'recorded' }, { card: 'c2', status: 'unknown-card' }] });
    fails('FeedbackResponse', { feedback: [{ card: 'c1', status: 'stored' }] }, '/feedback/0/status enum');
    ok('HealthLive', { status: 'ok' });
    ok('HealthReady', { status: 'unavailable', checks: { services: { status: 'ok', detail: '2 registered' }, shutdown: { status: 'unavailable', detail: 'shutting down' } } });
    ok('HealthReady', { status: 'ok', checks: { services: { status: 'ok' } }, models: [{ id: 'cyp2c19', version: '1.0.0' }] });
  });
});

// ------------------------------------------------------------------------------------------
const request = (extra: JsonObject = {}): JsonObject => ({
  hook: 'patient-view',
  hookInstance: 'd1577c69-dfbe-44ad-ba6d-3e05e953b2ea',
  context: { userId: 'Practitioner/example', patientId: '1288992' },
  ...extra,
});
const fhirAuthorization: JsonObject = {
  access_token: 'opaque',
  token_type: 'Bearer',
  expires_in: 300,
  scope: 'user/Patient.read',
  subject: 'precision-cds',
};
const bundle: JsonObject = { resourceType: 'Bundle', entry: [{ resource: { resourceType: 'MedicationRequest', id: '103', status: 'draft' } }] };

describe('incoming schemas: requests', () => {
  it('fhirServer is required when fhirAuthorization is given', () => {
    fails('CdsRequest', request({ fhirAuthorization }), '/ dependentRequired');
    ok('CdsRequest', request({ fhirAuthorization, fhirServer: 'https://ehr.example.org/fhir' }));
    fails('CdsRequest', request({ fhirServer: 'not a url' }), '/fhirServer format');
  });

  it('token_type: "Bearer" in any capitalisation is accepted (RFC 6749 §7.1 makes it case-insensitive); other types fail', () => {
    ok('FhirAuthorization', { ...fhirAuthorization, token_type: 'bearer' });
    ok('FhirAuthorization', { ...fhirAuthorization, token_type: 'BEARER' });
    fails('FhirAuthorization', { ...fhirAuthorization, token_type: 'MAC' }, '/token_type pattern');
    fails('FhirAuthorization', { ...fhirAuthorization, token_type: 'Bearer ' }, '/token_type pattern');
    fails('FhirAuthorization', { ...fhirAuthorization, expires_in: -1 }, '/expires_in minimum');
    const { subject: _s, ...noSubject } = fhirAuthorization;
    fails('FhirAuthorization', noSubject, '/ required:subject');
  });

  it('hook, hookInstance and context are required; hookInstance is any non-empty string up to 256', () => {
    const { hookInstance: _h, ...noInstance } = request();
    fails('CdsRequest', noInstance, '/ required:hookInstance');
    fails('CdsRequest', request({ hookInstance: '' }), '/hookInstance minLength');
    fails('CdsRequest', request({ hookInstance: 'x'.repeat(257) }), '/hookInstance maxLength');
    ok('CdsRequest', request({ hookInstance: 'not-a-uuid' }));
    fails('CdsRequest', request({ context: 'patient' }), '/context type');
  });

  it('214: an extension is a JSON object, in requests and in what the service sends', () => {
    ok('CdsRequest', request({ extension: { 'com.example.timestamp': '2017-11-27T22:13:25Z' } }));
    fails('CdsRequest', request({ extension: 'com.example.flag' }), '/extension type');
    fails('Card', card({ extension: ['com.example.flag'] }), '/extension type');
  });

  it('is lenient where real clients are odd: unknown members, null or non-resource prefetch values', () => {
    ok('CdsRequest', request({ user: 'Practitioner/example', 'com.example.vendor': true }));
    ok('CdsRequest', request({ prefetch: { patient: null, odd: '123', list: [] } }));
    ok('PatientViewContext', { userId: 'Practitioner/example', patientId: '1288992', 'com.example.extra': 1 });
  });

  it('patient-view context: userId is Practitioner, PractitionerRole, Patient or RelatedPerson; ids are FHIR ids', () => {
    ok('PatientViewContext', { userId: 'RelatedPerson/rp-1', patientId: '1288992', encounterId: '89284' });
    fails('PatientViewContext', { userId: 'Device/1', patientId: '1288992' }, '/userId pattern');
    fails('PatientViewContext', { userId: 'example', patientId: '1288992' }, '/userId pattern');
    fails('PatientViewContext', { userId: 'Practitioner/1', patientId: 'Patient/1288992' }, '/patientId pattern');
    fails('PatientViewContext', { userId: 'Practitioner/1', patientId: '1', encounterId: '' }, '/encounterId pattern');
  });

  it('order-select context: selections are ResourceType/id references and draftOrders a Bundle with entries', () => {
    const ctx = { userId: 'PractitionerRole/123', patientId: '1288992', selections: ['MedicationRequest/103'], draftOrders: bundle };
    ok('OrderSelectContext', ctx);
    fails('OrderSelectContext', { ...ctx, selections: [] }, '/selections minItems');
    fails('OrderSelectContext', { ...ctx, selections: ['103'] }, '/selections/0 pattern');
    fails('OrderSelectContext', { ...ctx, userId: 'Patient/1' }, '/userId pattern');
    fails('OrderSelectContext', { ...ctx, draftOrders: { resourceType: 'MedicationRequest' } }, '/draftOrders/resourceType const');
    fails('OrderSelectContext', { ...ctx, draftOrders: { resourceType: 'Bundle', entry: [{ fullUrl: 'x' }] } }, '/draftOrders/entry/0 required:resource');
  });

  it('order-sign context: draftOrders is required', () => {
    ok('OrderSignContext', { userId: 'Practitioner/abc', patientId: '1288992', draftOrders: bundle });
    fails('OrderSignContext', { userId: 'Practitioner/abc', patientId: '1288992' }, '/ required:draftOrders');
  });
});

describe('incoming schemas: feedback', () => {
  const accepted: JsonObject = { card: 'c1', outcome: 'accepted', acceptedSuggestions: [{ id: 's1' }], outcomeTimestamp: '2021-12-11T10:05:31Z' };
  const overridden: JsonObject = { card: 'c1', outcome: 'overridden', outcomeTimestamp: '2020-12-11T00:00:00Z' };

  it('accepted requires acceptedSuggestions and forbids overrideReason', () => {
    ok('FeedbackItem', accepted);
    const { acceptedSuggestions: _a, ...bare } = accepted;
    fails('FeedbackItem', bare, '/ required:acceptedSuggestions');
    fails('FeedbackItem', { ...accepted, overrideReason: { userComment: 'no' } }, '/overrideReason false schema');
    fails('FeedbackItem', { ...accepted, acceptedSuggestions: [] }, '/acceptedSuggestions minItems');
  });

  it('overridden forbids acceptedSuggestions; overrideReason is optional', () => {
    ok('FeedbackItem', overridden);
    ok('FeedbackItem', { ...overridden, overrideReason: { reason: { system: 'http://example.org/r', code: 'a' }, userComment: 'Patient declined' } });
    fails('FeedbackItem', { ...overridden, acceptedSuggestions: [{ id: 's1' }] }, '/acceptedSuggestions false schema');
    fails('FeedbackItem', { ...overridden, overrideReason: { userComment: 'x'.repeat(4097) } }, '/overrideReason/userComment maxLength');
  });

  it('overrideReasons (Epic): a list of 1 to 20 override reasons, in place of overrideReason, never with it', () => {
    const reason = { reason: { system: 'http://example.org/r', code: 'a', display: 'A' }, userComment: 'Patient declined' };
    ok('FeedbackItem', { ...overridden, overrideReasons: [reason, { userComment: 'also' }] });
    fails('FeedbackItem', { ...overridden, overrideReasons: [] }, '/overrideReasons minItems');
    fails('FeedbackItem', { ...overridden, overrideReasons: Array.from({ length: 21 }, () => reason) }, '/overrideReasons maxItems');
    fails('FeedbackItem', { ...overridden, overrideReasons: [{ userComment: 'x'.repeat(4097) }] }, '/overrideReasons/0/userComment maxLength');
    fails('FeedbackItem', { ...overridden, overrideReason: reason, overrideReasons: [reason] }, '/overrideReason false schema');
    fails('FeedbackItem', { ...accepted, overrideReasons: [reason] }, '/overrideReasons false schema');
  });

  it('outcome, card and outcomeTimestamp are checked', () => {
    fails('FeedbackItem', { ...overridden, outcome: 'ignored' }, '/outcome enum');
    fails('FeedbackItem', { ...overridden, outcomeTimestamp: '11/12/2020' }, '/outcomeTimestamp format');
    fails('FeedbackItem', { ...overridden, card: '' }, '/card minLength');
  });

  it('the feedback array holds 1 to 1000 items', () => {
    fails('FeedbackRequest', { feedback: [] }, '/feedback minItems');
    ok('FeedbackRequest', { feedback: Array.from({ length: 1000 }, () => overridden) });
    fails('FeedbackRequest', { feedback: Array.from({ length: 1001 }, () => overridden) }, '/feedback maxItems');
  });
});
