import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import type { Bundle } from 'fhir/r4.js';
import { IncompleteDataError } from '../../src/cds/incomplete.js';
import type { CdsServiceDefinition } from '../../src/cds/types.js';
import { startSandboxFhirServer } from '../../src/sandbox/fhir-server.js';
import type { TrustedClient } from '../../src/auth/types.js';
import { createHarness, echoService, patientViewRequest, TEST_ISSUER, type ClientKey, type Harness } from '../helpers/harness.js';
import { startRecordingProxy, type RecordingProxy } from '../helpers/recording-proxy.js';

const TOKEN = 'fhir-token-of-this-request';
const PATIENT = 'inc-1';
const SBP_COUNT = 120;
const SBP_QUERY = `Observation?patient=${PATIENT}&code=http://loinc.org|8480-6&_count=50`;
const EXT = 'org.precision-cds.data-incomplete';

interface IncompleteExt {
  kind: string;
  service: string;
  assessed: boolean;
  keys: { key: string; cause: string; reason: string; received: number; total?: number }[];
}

/**
 * Prefetch received incomplete (a first page with a `next` link, or a `total` above its entries),
 * over real HTTP: CDS service -> recording proxy -> sandbox FHIR engine. Completed from the FHIR
 * server when the request gives access to it (a token, or a client whose servers are `fhir_open`);
 * otherwise the core answers the data-incomplete card and the service is not called.
 */
describe('incomplete prefetch: completed from the FHIR server, or said on a card (issues 3 and 7)', () => {
  let sandbox: Awaited<ReturnType<typeof startSandboxFhirServer>>;
  let proxy: RecordingProxy;
  let foreign: Server;
  let foreignHits = 0;
  let foreignBase: string;
  let handlerCalls = 0;

  const templates = { patient: `Patient/{{context.patientId}}`, sbp: 'Observation?patient={{context.patientId}}&code=http://loinc.org|8480-6&_count=50' };
  const base = echoService({ prefetch: templates, requiredPrefetch: ['patient', 'sbp'] });
  const service: CdsServiceDefinition = {
    ...base,
    handler: async (input) => {
      handlerCalls += 1;
      return base.handler(input);
    },
  };

  const client = (key: ClientKey, extra: Partial<TrustedClient> = {}): TrustedClient => ({ iss: TEST_ISSUER, jwks: { keys: [key.publicJwk] }, fhir_servers: [proxy.baseUrl], ...extra });
  const harness = (opts: { open?: boolean; env?: Record<string, string>; services?: CdsServiceDefinition[] } = {}): Promise<Harness> =>
    createHarness({
      services: opts.services ?? [service],
      // Generous timeouts (a loaded CI machine must not turn a slow page into a failure); the deadline test sets its own.
      env: { ALLOW_HTTP_FHIR: 'true', PREFETCH_DEADLINE_MS: '30000', FHIR_TIMEOUT_MS: '20000', ...opts.env },
      clients: (key) => [client(key, opts.open ? { fhir_open: true } : {})],
    });

  const call = async (h: Harness, body: Record<string, unknown>, id = 'echo') =>
    request(h.app).post(`/cds-services/${id}`).set('Authorization', `Bearer ${await h.token(`/cds-services/${id}`)}`).send(body);

  const fhirAuthorization = { access_token: TOKEN, token_type: 'Bearer', expires_in: 300, scope: 'user/*.read', subject: 'precision-cds' };
  const body = (prefetch: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> =>
    patientViewRequest({ context: { userId: 'Practitioner/dr-1', patientId: PATIENT }, fhirServer: proxy.baseUrl, prefetch, ...extra });
  const patient = { resourceType: 'Patient', id: PATIENT };

  /** The first page of the key's search, as a browser client sends it: 50 of 120 entries, links on the FHIR server. */
  async function firstPage(): Promise<Bundle> {
    const page = (await (await fetch(`${proxy.baseUrl}/${SBP_QUERY}`)).json()) as Bundle;
    proxy.hits.length = 0;
    return page;
  }

  const echo = (res: request.Response) =>
    res.body.cards[0].extension['org.precision-cds.test'] as { supplied: string[]; fetched?: string[]; completed?: string[]; data: Record<string, Bundle> };
  const incomplete = (res: request.Response): IncompleteExt => res.body.cards[0].extension[EXT] as IncompleteExt;
  const res = (r: request.Response) => r.body.cards[0].extension['org.precision-cds.test'] as { deferred?: string[]; data: Record<string, unknown> };

  beforeAll(async () => {
    sandbox = await startSandboxFhirServer({ port: 0, rebaseDates: false });
    const entry = [
      { resource: { resourceType: 'Patient', id: PATIENT, gender: 'female', birthDate: '1960-05-01' }, request: { method: 'PUT', url: `Patient/${PATIENT}` } },
      ...Array.from({ length: SBP_COUNT }, (_, i) => ({
        resource: {
          resourceType: 'Observation',
          id: `${PATIENT}-sbp-${i}`,
          status: 'final',
          code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] },
          subject: { reference: `Patient/${PATIENT}` },
          effectiveDateTime: new Date(Date.UTC(2025, 0, 1) + i * 86_400_000).toISOString(),
          valueQuantity: { value: 120 + (i % 20), unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
        },
        request: { method: 'PUT', url: `Observation/${PATIENT}-sbp-${i}` },
      })),
    ];
    const r = await fetch(sandbox.baseUrl, { method: 'POST', headers: { 'Content-Type': 'application/fhir+json' }, body: JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry }) });
    expect(r.ok).toBe(true);
    proxy = await startRecordingProxy(sandbox.baseUrl);
    foreign = createServer((_req, res) => {
      foreignHits += 1;
      res.end('{}');
    });
    await new Promise<void>((ok) => foreign.listen(0, '127.0.0.1', ok));
    foreignBase = `http://127.0.0.1:${(foreign.address() as AddressInfo).port}/fhir`;
  });

  afterAll(async () => {
    await proxy.close();
    await sandbox.close();
    foreign.closeAllConnections();
    await new Promise((ok) => foreign.close(ok));
  });

  beforeEach(() => {
    proxy.hits.length = 0;
    proxy.delayMs = 0;
    foreignHits = 0;
    handlerCalls = 0;
  });

  it('the first page (next link) with fhirAuthorization is completed by following its next links, with the token, on that server only', async () => {
    const page = await firstPage();
    expect(page.entry).toHaveLength(50);
    expect(page.total).toBe(SBP_COUNT);
    const res = await call(await harness(), body({ patient, sbp: page }, { fhirAuthorization }));
    expect(res.status).toBe(200);
    expect(echo(res).data['sbp']!.entry).toHaveLength(SBP_COUNT);
    expect(new Set(echo(res).data['sbp']!.entry!.map((e) => e.resource?.id)).size).toBe(SBP_COUNT);
    expect(echo(res).completed).toEqual(['sbp']);
    expect(echo(res).supplied).toEqual(['patient', 'sbp']);
    expect(proxy.hits).toHaveLength(2); // pages 2 and 3 only: page 1 came from the client
    for (const hit of proxy.hits) expect(hit.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('a total above its entries without a next link: the key query is run again as a full search', async () => {
    const page = await firstPage();
    const { link: _links, ...cut } = page; // a client that dropped the paging links but kept the total
    const res = await call(await harness(), body({ patient, sbp: cut }, { fhirAuthorization }));
    expect(res.status).toBe(200);
    expect(echo(res).data['sbp']!.entry).toHaveLength(SBP_COUNT);
    expect(decodeURIComponent(proxy.hits[0]!.url)).toBe(`/fhir/${SBP_QUERY}`);
  });

  it('(c) fhir_open off, no fhirAuthorization: no FHIR call at all, no handler call, and the data-incomplete card says why', async () => {
    const page = await firstPage();
    const res = await call(await harness(), body({ patient, sbp: page }));
    expect(res.status).toBe(200);
    expect(proxy.hits).toHaveLength(0);
    expect(handlerCalls).toBe(0);
    expect(res.body.cards).toHaveLength(1);
    expect(res.body.cards[0].indicator).toBe('info');
    expect(incomplete(res)).toEqual({
      kind: 'data-incomplete',
      service: 'echo',
      assessed: false,
      keys: [{ key: 'sbp', cause: 'no-fhir-access', received: 50, total: SBP_COUNT, reason: expect.stringContaining('50 of 120 entries') }],
    });
    expect(res.body.cards[0].detail).toMatch(/fhirAuthorization/);
  });

  it('(c) fhir_open on, no fhirAuthorization: completed, every call without an Authorization header, all to the allowlisted server', async () => {
    const page = await firstPage();
    const res = await call(await harness({ open: true }), body({ patient, sbp: page }));
    expect(res.status).toBe(200);
    expect(echo(res).data['sbp']!.entry).toHaveLength(SBP_COUNT);
    expect(proxy.hits).toHaveLength(2);
    for (const hit of proxy.hits) expect(hit.headers).not.toHaveProperty('authorization');
    expect(foreignHits).toBe(0);
  });

  it('(c) fhir_open on: a next link that leaves the allowlisted server is not followed; the card says so', async () => {
    const page = await firstPage();
    const planted: Bundle = { ...page, link: [{ relation: 'next', url: `${foreignBase}/Observation?patient=${PATIENT}&_offset=50` }] };
    const res = await call(await harness({ open: true }), body({ patient, sbp: planted }));
    expect(res.status).toBe(200);
    expect(foreignHits).toBe(0);
    expect(incomplete(res).keys[0]).toMatchObject({ key: 'sbp', cause: 'foreign-link' });
    expect(incomplete(res).keys[0]!.reason).not.toContain(foreignBase);
  });

  it('(c) fhir_open on: keys not prefetched get the FHIR fallback, without an Authorization header', async () => {
    const res = await call(await harness({ open: true }), body({}, { prefetch: undefined }));
    expect(res.status).toBe(200);
    expect(echo(res).fetched).toEqual(['patient', 'sbp']);
    expect(proxy.hits.length).toBeGreaterThanOrEqual(4); // patient + three pages
    for (const hit of proxy.hits) expect(hit.headers).not.toHaveProperty('authorization');
  });

  it('fhir_open does not widen the allowlist: another fhirServer is still refused, and not called', async () => {
    const res = await call(await harness({ open: true }), body({}, { fhirServer: foreignBase }));
    expect(res.status).toBe(400);
    expect(foreignHits).toBe(0);
  });

  it('a FHIR server that cannot complete the data in time: the card says the server failed, nothing is scored', async () => {
    const page = await firstPage();
    const h = await harness({ env: { PREFETCH_DEADLINE_MS: '300', FHIR_TIMEOUT_MS: '5000' } });
    proxy.delayMs = 2000;
    const started = Date.now();
    const res = await call(h, body({ patient, sbp: page }, { fhirAuthorization }));
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(handlerCalls).toBe(0);
    expect(incomplete(res).keys[0]).toMatchObject({ key: 'sbp', cause: 'fhir-error', received: 50, total: SBP_COUNT });
    expect(incomplete(res).keys[0]!.reason).toMatch(/timeout/);
  });

  it('a key missing entirely still gives 412, even beside an incomplete one', async () => {
    const page = await firstPage();
    const res = await call(await harness(), body({ sbp: page }));
    expect(res.status).toBe(412);
    expect(JSON.stringify(res.body)).toMatch(/prefetch\.patient/);
  });

  it('a handler whose own fetch came back cut throws IncompleteDataError: the core answers the same card', async () => {
    const cutting: CdsServiceDefinition = {
      ...echoService({ id: 'cutting', prefetch: { patient: templates.patient } }),
      handler: async () => {
        throw new IncompleteDataError({ readings: { cause: 'page-limit', received: 2000, total: 4032, reason: 'paging stopped at FHIR_MAX_PAGES (2 pages) with 2,000 of 4,032 entries in hand' } });
      },
    };
    const res = await call(await harness({ services: [cutting] }), body({ patient }), 'cutting');
    expect(res.status).toBe(200);
    expect(incomplete(res)).toMatchObject({ service: 'cutting', keys: [{ key: 'readings', cause: 'page-limit' }] });
    expect(res.body.cards[0].detail).toMatch(/FHIR_MAX_PAGES` = 20/);
  });

  it('the card uuid is stable for the request, and the card is recorded with kind data-incomplete', async () => {
    const page = await firstPage();
    const h = await harness();
    const b = body({ patient, sbp: page });
    const first = await call(h, b);
    const again = await call(h, b);
    expect(again.body.cards[0].uuid).toBe(first.body.cards[0].uuid);
    const other = await call(h, { ...b, hookInstance: randomUUID() });
    expect(other.body.cards[0].uuid).not.toBe(first.body.cards[0].uuid);
    const rows = await h.store.cardAnalytics({ serviceId: 'echo' });
    expect(rows).toEqual([expect.objectContaining({ cardKind: 'data-incomplete', issued: 2 })]); // a card counts once by its uuid
  });

  it('the log says which keys and why in one word each, never the patient or a paging URL', async () => {
    const page = await firstPage();
    const h = await harness();
    await call(h, body({ patient, sbp: page }));
    const line = h.logs.records.find((r) => r['msg'] === 'data received incomplete: no assessment');
    expect(line?.['incomplete']).toEqual({ sbp: 'no-fhir-access' });
    expect(h.logs.text).not.toContain(PATIENT);
    expect(h.logs.text).not.toContain('Observation?');
  });

  it('a deferred key received incomplete is left to the handler when the server can be reached (its own query completes it), else the card', async () => {
    const deferring: CdsServiceDefinition = { ...service, requiredPrefetch: ['patient'], deferredPrefetch: ['sbp'] };
    const page = await firstPage();
    const open = await call(await harness({ open: true, services: [deferring] }), body({ patient, sbp: page }));
    expect(open.status).toBe(200);
    expect(res(open).deferred).toEqual(['sbp']);
    expect(res(open).data['sbp']).toBeUndefined();
    expect(proxy.hits).toHaveLength(0); // the core fetched nothing: the handler's own query is the completion
    const closed = await call(await harness({ services: [deferring] }), body({ patient, sbp: page }));
    expect(incomplete(closed).keys).toEqual([expect.objectContaining({ key: 'sbp', cause: 'no-fhir-access' })]);
  });

  it('a deferred key received incomplete whose own fetch then fails: the card says the server failed, not 412', async () => {
    const fetching: CdsServiceDefinition = {
      ...service,
      requiredPrefetch: ['patient'],
      deferredPrefetch: ['sbp'],
      handler: async ({ fhir }) => {
        await fhir!.get(SBP_QUERY);
        return { cards: [] };
      },
    };
    const page = await firstPage();
    proxy.delayMs = 2000;
    const h = await harness({ open: true, services: [fetching], env: { PREFETCH_DEADLINE_MS: '300', FHIR_TIMEOUT_MS: '5000' } });
    const r = await call(h, body({ patient, sbp: page }));
    expect(r.status).toBe(200);
    expect(incomplete(r).keys).toEqual([expect.objectContaining({ key: 'sbp', cause: 'fhir-error', received: 50, total: SBP_COUNT })]);
  });

  it('a complete prefetch Bundle (total equal to its entries) is used as sent: no FHIR call', async () => {
    const page = await firstPage();
    const whole: Bundle = { ...page, total: 50, link: [] };
    const res = await call(await harness({ open: true }), body({ patient, sbp: whole }));
    expect(echo(res).data['sbp']!.entry).toHaveLength(50);
    expect(echo(res).completed ?? []).toEqual([]);
    expect(proxy.hits).toHaveLength(0);
  });
});

describe('AUTH_DISABLED: the default FHIR servers (the sandbox) are open', () => {
  let sandbox: Awaited<ReturnType<typeof startSandboxFhirServer>>;
  let proxy: RecordingProxy;

  beforeAll(async () => {
    sandbox = await startSandboxFhirServer({ port: 0, rebaseDates: false });
    await fetch(`${sandbox.baseUrl}/Patient/open-1`, { method: 'PUT', headers: { 'Content-Type': 'application/fhir+json' }, body: JSON.stringify({ resourceType: 'Patient', id: 'open-1' }) });
    proxy = await startRecordingProxy(sandbox.baseUrl);
  });

  afterAll(async () => {
    await proxy.close();
    await sandbox.close();
  });

  it('a request with fhirServer alone gets the FHIR fallback, with no Authorization header', async () => {
    const h = await createHarness({
      services: [echoService({ prefetch: { patient: 'Patient/{{context.patientId}}' } })],
      env: { ALLOW_HTTP_FHIR: 'true', AUTH_DISABLED: 'true' },
      defaultFhirServers: [proxy.baseUrl],
    });
    const res = await request(h.app)
      .post('/cds-services/echo')
      .send(patientViewRequest({ context: { userId: 'Practitioner/dr-1', patientId: 'open-1' }, fhirServer: proxy.baseUrl }));
    expect(res.status).toBe(200);
    expect(res.body.cards[0].extension['org.precision-cds.test'].fetched).toEqual(['patient']);
    expect(proxy.hits).toHaveLength(1);
    expect(proxy.hits[0]!.headers).not.toHaveProperty('authorization');
  });
});
