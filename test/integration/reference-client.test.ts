/**
 * End to end over real HTTP, driven the way the HL7 CDS Hooks reference client calls a service from a browser
 * (test/helpers/reference-client.ts; ../shared/cds-hooks/clients.md): its key pasted into a trusted-clients
 * entry with `fhir_open`, its unreachable `jku` ignored, CORS on every call, first-page-only prefetch through
 * `POST _search` with the DSTU2 media type, no `fhirAuthorization`, per-hook discovery ids, one action applied
 * per accepted suggestion, feedback on accept and dismiss. Every service and hook: cardiovascular-risk and
 * glucose-monitoring on patient-view, pharmacogenomics on order-select (Rx View) and order-sign (Rx Sign),
 * against the sandbox FHIR engine loaded with the fixture patients, the real ONNX models and the SQLite store.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { MemoryAgpLinkStore } from '../../src/agp/link-store.js';
import { CARDS_DIR, MODELS_DIR } from '../../src/app.js';
import { ModelRuntime } from '../../src/models/runtime.js';
import { iwpc } from '../../src/models/reference/iwpc.js';
import { startSandboxFhirServer } from '../../src/sandbox/fhir-server.js';
import { buildRegistry } from '../../src/services/index.js';
import type { CdsServiceDefinition } from '../../src/cds/types.js';
import { createHarness, makeClientKey, type ClientKey, type Harness } from '../helpers/harness.js';
import { openapiSchema } from '../helpers/openapi-schema.js';
import { REFERENCE_ISSUER, REFERENCE_JKU, REFERENCE_ORIGIN, ReferenceClient, rxContext, type ClientCard, type Descriptor, type RxForm } from '../helpers/reference-client.js';

const PATIENTS = ['cvd-high-risk-male', 'pgx-cyp2c19-poor', 'pgx-warfarin', 'cgm-hypo'];
const CGM_KEY = 'org.precision-cds.glucose-monitoring';
const PGX_KEY = 'org.precision-cds.pharmacogenomics';
const ADMIN = 'reference-client-admin-secret-0123';

/**
 * The fixture's readings fall on 5-minute marks; two calls a second apart see the same 14-day window's readings
 * unless a mark passes between them, so the comparison starts at least 20 s before the next mark.
 */
async function awayFromReadingMark(): Promise<void> {
  const toNext = 300_000 - (Date.now() % 300_000);
  if (toNext < 20_000) await new Promise((ok) => setTimeout(ok, toNext + 1_000));
}

interface Running {
  readonly h: Harness;
  readonly server: Server;
  readonly base: string;
}

/** The service listening on a real port, PUBLIC_BASE_URL = that address (the client's `aud` is the URL it calls). */
async function listen(services: readonly CdsServiceDefinition[], key: ClientKey, fhirServer: string, fhirOpen: boolean, models: ModelRuntime, links: MemoryAgpLinkStore): Promise<Running> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const h = await createHarness({
    services,
    models,
    agpLinks: links,
    env: { PUBLIC_BASE_URL: base, ALLOW_HTTP_FHIR: 'true', ANALYTICS_ADMIN_TOKEN: ADMIN },
    // The README's entry for the reference client: its published key pasted as `jwks` (here our own key with
    // the same shape), no `jku` allowlist, the sandbox FHIR server, readable without a token.
    clients: () => [{ iss: REFERENCE_ISSUER, jwks: { keys: [key.publicJwk] }, fhir_servers: [fhirServer], ...(fhirOpen ? { fhir_open: true } : {}) }],
  });
  server.on('request', h.app);
  return { h, server, base };
}

describe('the HL7 reference CDS client (behaviour replayed from Node) against the running service', () => {
  let sandbox: Awaited<ReturnType<typeof startSandboxFhirServer>>;
  let models: ModelRuntime;
  let key: ClientKey;
  let open: Running;
  let closed: Running;
  let client: ReferenceClient;
  let services: Map<string, Descriptor>;
  const links = new MemoryAgpLinkStore();
  const jkuFetches: string[] = [];
  const realFetch = globalThis.fetch;

  beforeAll(async () => {
    // The client always names its published jku; the service must never try to fetch it.
    globalThis.fetch = ((input: Parameters<typeof fetch>[0], init?: RequestInit) => {
      if (String(input instanceof Request ? input.url : input).startsWith(REFERENCE_JKU)) jkuFetches.push(String(input));
      return realFetch(input, init);
    }) as typeof fetch;
    key = await makeClientKey('ES384');
    const fixtures = mkdtempSync(join(tmpdir(), 'refclient-fixtures-'));
    const all = resolve(process.cwd(), 'fhir-fixtures');
    for (const f of readdirSync(all).filter((n) => PATIENTS.some((p) => n.endsWith(`-${p}.json`)))) copyFileSync(join(all, f), join(fixtures, f));
    sandbox = await startSandboxFhirServer({ port: 0, fixturesDir: fixtures, corsOrigins: '*' });
    rmSync(fixtures, { recursive: true, force: true });
    models = await ModelRuntime.load(MODELS_DIR);
    const registry = (base: string) => buildRegistry({ models, cardsDir: CARDS_DIR, publicBaseUrl: base, cgm: { showOnTarget: false, agpLinks: links, agpLinkTtlMs: 900_000 } }).list();
    open = await listen(registry('http://placeholder'), key, sandbox.baseUrl, true, models, links);
    closed = await listen(registry('http://placeholder'), key, sandbox.baseUrl, false, models, links);
    client = new ReferenceClient(key, open.base, sandbox.baseUrl);
    services = await client.discover();
  }, 120_000);

  afterAll(async () => {
    globalThis.fetch = realFetch;
    for (const r of [open, closed]) if (r) await new Promise<void>((ok) => r.server.close(() => ok()));
    await sandbox?.close();
    await models?.close();
  });

  const service = (id: string): Descriptor => {
    const s = services.get(id);
    if (!s) throw new Error(`the client has no service "${id}" (discovery ids: ${[...services.keys()].join(', ')})`);
    return s;
  };
  const valid = (cards: ClientCard[]): void => expect(openapiSchema('CdsServiceResponse')({ cards })).toBe(true);

  it('discovery: one entry per id, each with its hook and version, so none collapses in the client', () => {
    expect([...services.values()].map((s) => [s.id, s.hook])).toEqual([
      ['cardiovascular-risk', 'patient-view'],
      ['pharmacogenomics-order-select', 'order-select'],
      ['pharmacogenomics-order-sign', 'order-sign'],
      ['glucose-monitoring', 'patient-view'],
    ]);
    for (const s of services.values()) expect(s.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('cardiovascular-risk (patient-view): statin card from the client\'s own prefetch; accept and dismiss are recorded', async () => {
    const cvd = service('cardiovascular-risk');
    const { status, cards, request } = await client.call(cvd, { patientId: 'cvd-high-risk-male', userId: 'Practitioner/COREPRACTITIONER1' });
    expect(status).toBe(200);
    expect(request['fhirAuthorization']).toBeUndefined();
    valid(cards);
    const card = cards[0]!;
    expect(card.summary).toMatch(/statin advised/);
    const order = card.suggestions![0]!.actions![0]!;
    expect(order.type).toBe('create');
    expect(order.resource!['dosageInstruction'][0].doseAndRate[0].doseQuantity).toEqual(expect.objectContaining({ code: 'mg', system: 'http://unitsofmeasure.org' }));
    const accepted = await client.accept(cvd, card, 0, { pills: 1, perDay: 1 });
    expect(accepted.feedback).toEqual({ status: 200, body: { feedback: [{ card: card.uuid, status: 'recorded' }] } });
    const reason = card.overrideReasons![0]!;
    expect(await client.dismiss(cvd, card, reason)).toEqual({ status: 200, body: { feedback: [{ card: card.uuid, status: 'recorded' }] } });
  });

  it('glucose-monitoring (patient-view): the first page the client sends is completed from the open FHIR server, and the metrics are those of the whole record', async () => {
    const cgm = service('glucose-monitoring');
    await awayFromReadingMark();
    const first = await client.call(cgm, { patientId: 'cgm-hypo', userId: 'Practitioner/COREPRACTITIONER1' });
    expect(first.status).toBe(200);
    const sent = (first.request['prefetch'] as Record<string, { entry?: unknown[]; link?: { relation: string }[]; total?: number }>)['cgmReadings']!;
    // What the client sent is visibly incomplete: the first page of many.
    expect(sent.link?.some((l) => l.relation === 'next')).toBe(true);
    expect(sent.entry!.length).toBeLessThan(sent.total!);
    valid(first.cards);
    const ext = first.cards[0]!.extension![CGM_KEY]!;
    expect(first.cards[0]!.summary).not.toMatch(/insufficient|incomplete/i);
    // The same patient with the service reading everything itself (no prefetch for the readings): same numbers.
    const smart = new ReferenceClient(key, open.base, sandbox.baseUrl, { smartToken: 'sandbox-smart-token' });
    const withToken = await smart.call({ ...cgm, prefetch: {} }, { patientId: 'cgm-hypo', userId: 'Practitioner/COREPRACTITIONER1' });
    expect(withToken.status).toBe(200);
    // The 14-day window moves with the clock: compare what it holds, not its edges.
    const { start: _s1, end: _e1, ...got } = ext['current'];
    const { start: _s2, end: _e2, ...whole } = withToken.cards[0]!.extension![CGM_KEY]!['current'];
    expect(got).toEqual(whole);
    expect(ext['current'].readings).toBeGreaterThan(sent.entry!.length);
  }, 60_000);

  it('glucose-monitoring without fhir_open: the client\'s first page is said to be incomplete, with no score and no sufficiency claim', async () => {
    const c = new ReferenceClient(key, closed.base, sandbox.baseUrl);
    const { status, cards } = await c.call((await c.discover()).get('glucose-monitoring')!, { patientId: 'cgm-hypo', userId: 'Practitioner/COREPRACTITIONER1' });
    expect(status).toBe(200);
    valid(cards);
    expect(cards).toHaveLength(1);
    expect(cards[0]!.summary).toMatch(/incomplete/);
    expect(`${cards[0]!.summary} ${cards[0]!.detail}`).not.toMatch(/insufficient|% captured|time in range \d/i);
    expect(cards[0]!.extension![CGM_KEY]).toBeUndefined();
  });

  it('Rx View (order-select): clopidogrel for a CYP2C19 poor metabolizer; the accepted replacement\'s first action swaps the drug', async () => {
    const rxView = service('pharmacogenomics-order-select');
    let form: RxForm = { medication: { code: '309362', name: 'clopidogrel 75 MG Oral Tablet' }, pills: 1, perDay: 1 };
    const { status, cards } = await client.call(rxView, rxContext('order-select', 'pgx-cyp2c19-poor', form));
    expect(status).toBe(200);
    valid(cards);
    const avoid = cards.find((c) => c.indicator === 'critical')!;
    expect(avoid.summary).toMatch(/Avoid clopidogrel/);
    expect(avoid.suggestions!.every((s) => s.actions![0]!.type === 'create')).toBe(true);
    const accepted = await client.accept(rxView, avoid, 0, form);
    expect(accepted.feedback.body.feedback[0].status).toBe('recorded');
    form = accepted.form;
    expect(form.medication?.code).not.toBe('309362');
    // The next Rx View call carries the alternative: no clopidogrel card any more.
    const again = await client.call(rxView, rxContext('order-select', 'pgx-cyp2c19-poor', form));
    expect(again.cards.filter((c) => /clopidogrel/i.test(c.summary))).toEqual([]);
  });

  it('Rx Sign (order-sign): warfarin 1 {pill} of a 5 mg tablet; the dose suggestion is written in mg and equals the IWPC equation', async () => {
    const rxSign = service('pharmacogenomics-order-sign');
    const form: RxForm = { medication: { code: '855332', name: 'Warfarin Sodium 5 MG Oral Tablet' }, pills: 1, perDay: 2 };
    const { status, cards } = await client.call(rxSign, rxContext('order-sign', 'pgx-warfarin', form));
    expect(status).toBe(200);
    valid(cards);
    const card = cards[0]!;
    const w = card.extension![PGX_KEY]!['warfarin'];
    // fhir-fixtures/README.md: pgx-warfarin is 67 (decade 6), 178 cm, 82 kg, White, VKORC1 A/G, CYP2C9 *1/*3, on amiodarone.
    const zero = { vkorc1Aa: 0, vkorc1Unknown: 0, cyp2c9_12: 0, cyp2c9_22: 0, cyp2c9_23: 0, cyp2c9_33: 0, cyp2c9Unknown: 0, raceAsian: 0, raceBlack: 0, raceMissingOrMixed: 0, enzymeInducer: 0 };
    const expected = iwpc({ ...zero, ageDecades: 6, heightCm: 178, weightKg: 82, vkorc1Ag: 1, cyp2c9_13: 1, amiodarone: 1 }).weeklyDoseMg;
    expect(w.predictedWeeklyDoseMg).toBeCloseTo(expected, 2);
    const daily = Math.round((expected / 7) * 2) / 2;
    const update = card.suggestions![0]!.actions![0]!;
    expect(update.type).toBe('update');
    const dosage = update.resource!['dosageInstruction'][0];
    expect(dosage.doseAndRate[0].doseQuantity).toEqual({ value: daily, unit: 'mg', system: 'http://unitsofmeasure.org', code: 'mg' });
    expect(dosage.timing.repeat).toEqual(expect.objectContaining({ frequency: 1, period: 1, periodUnit: 'd' }));
    expect(card.suggestions![0]!.label).toContain(`${daily} mg once daily`);
    const accepted = await client.accept(rxSign, card, 0, form);
    expect(accepted.feedback.body.feedback[0].status).toBe('recorded');
  });

  it('every call was a browser call CORS allowed, no token went to the FHIR server, FHIR searches were POST _search with the DSTU2 media type, and the unlisted jku was never fetched', async () => {
    const fhir = client.exchanges.filter((e) => e.url.startsWith(sandbox.baseUrl));
    const cds = client.exchanges.filter((e) => e.url.startsWith(open.base));
    expect(fhir.length).toBeGreaterThan(0);
    expect(cds.length).toBeGreaterThan(0);
    for (const e of [...fhir, ...cds]) expect({ url: e.url, allowOrigin: e.allowOrigin }).toEqual({ url: e.url, allowOrigin: expect.stringMatching(new RegExp(`^(\\*|${REFERENCE_ORIGIN})$`)) });
    for (const e of fhir) {
      expect(e.requestHeaders['Accept']).toBe('application/json+fhir');
      expect(e.requestHeaders['Authorization']).toBeUndefined();
      expect(e.status).toBe(200);
    }
    expect(fhir.filter((e) => e.method === 'POST').every((e) => e.url.endsWith('/_search'))).toBe(true);
    expect(jkuFetches).toEqual([]);
  });

  it('analytics count what the client said: accepted and overridden cards, with the reason', async () => {
    const res = await fetch(`${open.base}/analytics/cards?service=cardiovascular-risk`, { headers: { Authorization: `Bearer ${ADMIN}` } });
    expect(res.status).toBe(200);
    const rows = ((await res.json()) as { cards: { cardKind: string; accepted: number; overridden: number; acceptedThenOverridden: number; topOverrideReasons: { code: string }[] }[] }).cards;
    const statin = rows.find((r) => r.cardKind === 'statin-advised')!;
    expect(statin).toEqual(expect.objectContaining({ overridden: 1, acceptedThenOverridden: 1, topOverrideReasons: [expect.objectContaining({ code: 'patient-declined' })] }));
  });
});
