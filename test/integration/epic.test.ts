import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import request from 'supertest';
import { MemoryAgpLinkStore } from '../../src/agp/link-store.js';
import { CARDS_DIR, MODELS_DIR } from '../../src/app.js';
import { ModelRuntime } from '../../src/models/runtime.js';
import { startSandboxFhirServer } from '../../src/sandbox/fhir-server.js';
import { cardiovascularRiskService, CVD_PREFETCH } from '../../src/services/cardiovascular-risk/index.js';
import { CGM_PREFETCH, glucoseMonitoringService } from '../../src/services/glucose-monitoring/index.js';
import { pharmacogenomicsService, PGX_PREFETCH } from '../../src/services/pgx/index.js';
import { ehrPrefetch } from '../helpers/ehr.js';
import { createHarness, makeClientKey, signToken, TEST_BASE_URL, type ClientKey, type Harness } from '../helpers/harness.js';
import { openapiSchema } from '../helpers/openapi-schema.js';

/**
 * End to end over HTTP, calling the service the way Epic does (../shared/cds-hooks/clients.md):
 * RS384 client JWTs whose key set is named by `jku` (served over local HTTP and allowlisted),
 * `iss`/`aud`/`sub` per site, `nbf` 5 minutes before `iat`; its own triggers as patient-view with
 * `com.epic.cdshooks.request.bpa-trigger-action`; draft orders carrying their Medication contained;
 * batched feedback with `overrideReasons`. The trusted-clients entry says `profile: "epic"`, and the
 * cards must come back in the shapes Epic applies. Real services, ONNX models and the sandbox FHIR
 * engine loaded with the fixture patients.
 */
const EPIC_ISS = 'https://fhir.epic-site.example/interconnect-prd-oauth';
const SITE_AUD = `${TEST_BASE_URL}/cds-services`;
const ADMIN = 'analytics-admin-secret-0123456789';
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const TRIGGER = 'com.epic.cdshooks.request.bpa-trigger-action';
const PATIENTS = ['cvd-high-risk-male', 'pgx-cyp2c19-poor', 'pgx-warfarin', 'cgm-hypo'];

type Action = { type: string; description: string; resourceId?: string; resource?: Record<string, any> };
type Suggestion = { label: string; uuid: string; isRecommended?: boolean; actions: Action[] };
type Card = {
  uuid: string;
  summary: string;
  indicator: string;
  source: { label: string; topic?: { system: string; code: string; display?: string } };
  selectionBehavior?: string;
  suggestions?: Suggestion[];
  overrideReasons?: { system: string; code: string; display: string }[];
  extension?: Record<string, Record<string, any>>;
};
type Body = { cards: Card[]; systemActions?: unknown[] };

/** Epic's draft order: the drug as a contained Medication referenced from the order. */
function epicDraft(patientId: string, id: string, rxnorm: string, name: string, doseMg: number): Record<string, unknown> {
  return {
    resourceType: 'MedicationRequest',
    id,
    status: 'draft',
    intent: 'order',
    subject: { reference: `Patient/${patientId}` },
    contained: [{ resourceType: 'Medication', id: 'med', code: { coding: [{ system: RXNORM, code: rxnorm, display: name }], text: `${name} tablet` } }],
    medicationReference: { reference: '#med', display: `${name} tablet` },
    dosageInstruction: [
      {
        text: `${doseMg} mg by mouth once daily`,
        timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd' } },
        doseAndRate: [{ doseQuantity: { value: doseMg, unit: 'mg', system: 'http://unitsofmeasure.org', code: 'mg' } }],
      },
    ],
  };
}

/** Every card in the shapes Epic applies (clients.md: Cards, Orders). */
function expectEpicShapes(body: Body): void {
  expect(openapiSchema('CdsServiceResponse')(body)).toBe(true);
  expect(body.systemActions).toBeUndefined();
  const uuids = body.cards.flatMap((c) => [c.uuid, ...(c.suggestions ?? []).map((s) => s.uuid)]);
  expect(uuids.every((u) => typeof u === 'string')).toBe(true);
  expect(new Set(uuids).size).toBe(uuids.length);
  for (const c of body.cards) {
    expect(c.source.topic).toEqual({ system: 'https://precision-cds.org/CodeSystem/card-topic', code: expect.stringMatching(/^[A-Za-z0-9]{1,100}$/), display: expect.any(String) });
    if (!c.suggestions) continue;
    expect(c.selectionBehavior).toBe('any');
    for (const s of c.suggestions) {
      expect(s.label.length).toBeGreaterThan(0);
      expect(s.actions).toHaveLength(1);
      expect(['create', 'delete']).toContain(s.actions[0]!.type);
    }
  }
}

describe('an Epic client (profile "epic") end to end', () => {
  let sandbox: Awaited<ReturnType<typeof startSandboxFhirServer>>;
  let models: ModelRuntime;
  let jwks: Server;
  let jku: string;
  let key: ClientKey;
  let h: Harness;
  const links = new MemoryAgpLinkStore();
  const fetchedKeys: string[] = [];

  beforeAll(async () => {
    key = await makeClientKey('RS384');
    jwks = createServer((req, res) => {
      fetchedKeys.push(req.url ?? '');
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ keys: [key.publicJwk] }));
    });
    await new Promise<void>((ok) => jwks.listen(0, '127.0.0.1', ok));
    jku = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/interconnect/api/epic/2019/Security/Open/PublicKeys/jwks.json`;
    // Only the fixture patients this suite calls for: the sandbox starts in seconds, not a minute, on a busy machine.
    const fixtures = mkdtempSync(join(tmpdir(), 'epic-fixtures-'));
    const all = resolve(process.cwd(), 'fhir-fixtures');
    for (const f of readdirSync(all).filter((n) => PATIENTS.some((p) => n.endsWith(`-${p}.json`)))) copyFileSync(join(all, f), join(fixtures, f));
    sandbox = await startSandboxFhirServer({ port: 0, fixturesDir: fixtures });
    rmSync(fixtures, { recursive: true, force: true });
    models = await ModelRuntime.load(MODELS_DIR);
    h = await createHarness({
      services: [
        cardiovascularRiskService({ models, cardsDir: CARDS_DIR, publicBaseUrl: TEST_BASE_URL }),
        pharmacogenomicsService({ models, cardsDir: CARDS_DIR, options: { showStandard: false, preTestingOverrides: {} } }),
        glucoseMonitoringService({ cardsDir: CARDS_DIR, publicBaseUrl: TEST_BASE_URL, agpLinks: links, agpLinkTtlMs: 900_000, showOnTarget: false }),
      ],
      env: { ALLOW_HTTP_FHIR: 'true', PREFETCH_DEADLINE_MS: '30000', FHIR_TIMEOUT_MS: '20000', ANALYTICS_ADMIN_TOKEN: ADMIN },
      models,
      agpLinks: links,
      // A key set named by jku only (no inline keys), so the token's jku is what finds the key.
      clients: () => [{ iss: EPIC_ISS, jku: [jku], fhir_servers: [sandbox.baseUrl], audiences: [SITE_AUD], profile: 'epic' }],
    });
  }, 120_000);

  afterAll(async () => {
    jwks.closeAllConnections();
    await new Promise((ok) => jwks.close(ok));
    await sandbox.close();
    await models.close();
    await links.close();
  });

  /** Epic's client JWT: RS384, jku + kid, iss/aud/sub per site, nbf = iat - 300. */
  const epicToken = (path: string, header: Record<string, unknown> = {}): Promise<string> => {
    const iat = Math.floor(Date.now() / 1000);
    return signToken(path, key, { claims: { iss: EPIC_ISS, aud: SITE_AUD, sub: 'epic-cds-client-4711', iat, nbf: iat - 300, exp: iat + 300, jti: randomUUID() }, header: { jku, ...header } });
  };

  async function call(service: string, body: Record<string, unknown>): Promise<Body> {
    const path = `/cds-services/${service}`;
    const res = await request(h.app).post(path).set('Authorization', `Bearer ${await epicToken(path)}`).send(body);
    if (res.status !== 200) throw new Error(`status ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body as Body;
  }

  const orderHook = async (hook: 'order-sign' | 'order-select', patientId: string, drafts: Record<string, unknown>[]): Promise<Body> =>
    call('pharmacogenomics', {
      hook,
      hookInstance: randomUUID(),
      context: {
        userId: 'Practitioner/epic-user-1',
        patientId,
        draftOrders: { resourceType: 'Bundle', type: 'collection', entry: drafts.map((resource) => ({ resource })) },
        ...(hook === 'order-select' ? { selections: drafts.map((d) => `MedicationRequest/${String(d['id'])}`) } : {}),
      },
      prefetch: await ehrPrefetch(sandbox.baseUrl, PGX_PREFETCH, patientId),
    });

  const patientView = async (service: string, patientId: string, trigger: string | number, body: Record<string, unknown>): Promise<Body> =>
    call(service, { hook: 'patient-view', hookInstance: randomUUID(), context: { userId: 'Practitioner/epic-user-1', patientId }, extension: { [TRIGGER]: trigger }, ...body });

  it('order-sign, CPIC avoid with alternatives (clopidogrel, CYP2C19 poor metabolizer): order an alternative or cancel the draft, never keep it', async () => {
    const body = await orderHook('order-sign', 'pgx-cyp2c19-poor', [epicDraft('pgx-cyp2c19-poor', 'epic-ord-1', '32968', 'clopidogrel', 75)]);
    expectEpicShapes(body);
    const card = body.cards.find((c) => c.indicator === 'critical')!;
    expect(card.summary).toMatch(/^Avoid clopidogrel/);
    const orders = card.suggestions!.filter((s) => s.actions[0]!.type === 'create');
    expect(orders.map((s) => s.actions[0]!.resource!['medicationCodeableConcept'].coding[0].code).sort()).toEqual(['1116632', '613391']);
    expect(orders.every((s) => / \(choose only one of 2\)$/.test(s.label))).toBe(true);
    expect(card.suggestions!.filter((s) => s.actions[0]!.type === 'delete').map((s) => s.actions[0]!.resourceId)).toEqual(['MedicationRequest/epic-ord-1']);
    const created = JSON.stringify(orders.map((s) => s.actions[0]!.resource));
    expect(created).not.toContain('"32968"');
  });

  it('order-select, warfarin (IWPC dose change): cancel the draft and re-order it, the words stating the new dose', async () => {
    const body = await orderHook('order-select', 'pgx-warfarin', [epicDraft('pgx-warfarin', 'epic-ord-2', '11289', 'warfarin', 5)]);
    expectEpicShapes(body);
    const card = body.cards.find((c) => c.extension?.['org.precision-cds.pharmacogenomics']?.['warfarin'])!;
    const [reorder, cancel] = card.suggestions!;
    const created = reorder!.actions[0]!.resource!;
    const dose = created['dosageInstruction'][0].doseAndRate[0].doseQuantity;
    // The dose is the IWPC estimate the service computed (per day, to 0.5 mg), now in the words Epic shows.
    const daily = card.extension!['org.precision-cds.pharmacogenomics']!['warfarin'].predictedDailyDoseMg as number;
    expect(dose.value).toBe(Math.round(daily * 2) / 2);
    expect(reorder!.label).toBe(`Re-order warfarin tablet at ${dose.value} mg per dose`);
    expect(reorder!.actions[0]!.description).toContain(`${dose.value} mg per dose`);
    expect(created['id']).toBeUndefined();
    expect(created['status']).toBe('draft');
    expect(created['medicationReference']).toEqual({ reference: '#med', display: 'warfarin tablet' });
    expect(created['contained'][0].code.coding[0].code).toBe('11289');
    expect(cancel!.actions[0]).toMatchObject({ type: 'delete', resourceId: 'MedicationRequest/epic-ord-2' });
    expect(cancel!.label).toContain(`${dose.value} mg per dose`);
  });

  it('patient-view from an Epic trigger (sign orders, "23"): cardiovascular risk with its statin orders, each saying to choose one', async () => {
    const body = await patientView('cardiovascular-risk', 'cvd-high-risk-male', '23', { prefetch: await ehrPrefetch(sandbox.baseUrl, CVD_PREFETCH, 'cvd-high-risk-male') });
    expectEpicShapes(body);
    const card = body.cards[0]!;
    expect(card.source.topic!.code).toBe('CardiovascularRiskStatinAdvised');
    expect(card.suggestions!.map((s) => [s.label, s.isRecommended])).toEqual([
      ['Order atorvastatin 40 mg once daily (high intensity) (choose only one of 2)', true],
      ['Order atorvastatin 20 mg once daily (moderate intensity) (choose only one of 2)', false],
    ]);
  });

  it('patient-view from an Epic trigger (open chart, 60 as a number): glucose monitoring, critical stays critical', async () => {
    // Epic's prefetch is configured per site by hand: here it sends every key, the readings included.
    const body = await patientView('glucose-monitoring', 'cgm-hypo', 60, { prefetch: await ehrPrefetch(sandbox.baseUrl, CGM_PREFETCH, 'cgm-hypo') });
    expectEpicShapes(body);
    expect(body.cards.map((c) => [c.indicator, c.source.topic!.code])).toEqual([['critical', 'GlucoseMonitoringCgmCritical']]);
  });

  it('topic codes are the same for the same kind of card on every call (Epic keeps overrides by them)', async () => {
    const draft = epicDraft('pgx-cyp2c19-poor', 'epic-ord-3', '32968', 'clopidogrel', 75);
    const [a, b] = [await orderHook('order-sign', 'pgx-cyp2c19-poor', [draft]), await orderHook('order-select', 'pgx-cyp2c19-poor', [draft])];
    expect(a.cards.map((c) => c.uuid)).not.toEqual(b.cards.map((c) => c.uuid));
    expect(a.cards.map((c) => c.source.topic)).toEqual(b.cards.map((c) => c.source.topic));
    expect(a.cards[0]!.source.topic!.code).toBe('PharmacogenomicsCpicCyp2c19ClopidogrelPm');
  });

  it('batched feedback with overrideReasons is recorded and every reason counted; an acceptance of split suggestions counts', async () => {
    const avoid = (await orderHook('order-sign', 'pgx-cyp2c19-poor', [epicDraft('pgx-cyp2c19-poor', 'epic-ord-4', '32968', 'clopidogrel', 75)])).cards[0]!;
    const warfarin = (await orderHook('order-sign', 'pgx-warfarin', [epicDraft('pgx-warfarin', 'epic-ord-5', '11289', 'warfarin', 5)])).cards[0]!;
    const path = '/cds-services/pharmacogenomics/feedback';
    const reasons = avoid.overrideReasons!.slice(0, 2).map((reason) => ({ reason }));
    const res = await request(h.app)
      .post(path)
      .set('Authorization', `Bearer ${await epicToken(path)}`)
      .send({
        feedback: [
          { card: avoid.uuid, outcome: 'overridden', overrideReasons: [...reasons, { userComment: 'discussed with cardiology' }], outcomeTimestamp: new Date().toISOString() },
          { card: warfarin.uuid, outcome: 'accepted', acceptedSuggestions: warfarin.suggestions!.map((s) => ({ id: s.uuid })), outcomeTimestamp: new Date().toISOString() },
        ],
      });
    expect(res.status).toBe(200);
    expect(res.body.feedback).toEqual([
      { card: avoid.uuid, status: 'recorded' },
      { card: warfarin.uuid, status: 'recorded' },
    ]);
    const analytics = await request(h.app).get('/analytics/cards?service=pharmacogenomics').set('Authorization', `Bearer ${ADMIN}`);
    const row = (kind: string) => (analytics.body.cards as { cardKind: string; overridden: number; accepted: number; topOverrideReasons: { code: string }[] }[]).find((r) => r.cardKind === kind)!;
    expect(row('cpic-cyp2c19-clopidogrel-pm').overridden).toBeGreaterThanOrEqual(1);
    expect(row('cpic-cyp2c19-clopidogrel-pm').topOverrideReasons.map((r) => r.code).sort()).toEqual(reasons.map((r) => r.reason.code).sort());
    expect(row('warfarin-dose').accepted).toBeGreaterThanOrEqual(1);
  });

  it('the key set was found through the allowlisted jku; a jku not on the list is refused (401)', async () => {
    expect(fetchedKeys.length).toBeGreaterThan(0);
    const path = '/cds-services/pharmacogenomics';
    const other = await epicToken(path, { jku: 'https://attacker.example/jwks.json' });
    const res = await request(h.app).post(path).set('Authorization', `Bearer ${other}`).send({ hook: 'order-sign', hookInstance: randomUUID(), context: {} });
    expect(res.status).toBe(401);
  });
});
