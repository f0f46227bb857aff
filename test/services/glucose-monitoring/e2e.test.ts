import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { resolve } from 'node:path';
import request from 'supertest';
import type { FhirResource } from 'fhir/r4.js';
import { MemoryAgpLinkStore } from '../../../src/agp/link-store.js';
import { CARDS_DIR } from '../../../src/app.js';
import { renderTemplate } from '../../../src/cds/prefetch.js';
import { startSandboxFhirServer } from '../../../src/sandbox/fhir-server.js';
import { CGM_PREFETCH, glucoseMonitoringService } from '../../../src/services/glucose-monitoring/index.js';
import { ehrPrefetch } from '../../helpers/ehr.js';
import { openapiSchema } from '../../helpers/openapi-schema.js';
import { createHarness, patientViewRequest, TEST_BASE_URL, TEST_ISSUER, type Harness } from '../../helpers/harness.js';
import { startRecordingProxy, type RecordingProxy } from '../../helpers/recording-proxy.js';

const KEY = 'org.precision-cds.glucose-monitoring';
const TTL_MS = 15 * 60_000;

type Metrics = Record<'meanMgdl' | 'gmiPercent' | 'cvPercent' | 'tirPercent' | 'tbr70Percent' | 'tbr54Percent' | 'tar180Percent' | 'tar250Percent' | 'level2Events', number>;
interface Period {
  start: string;
  end: string;
  source: string;
  sufficient?: boolean;
  capturedPercent?: number;
  readings?: number;
  metrics?: Partial<Metrics>;
}
interface Ext {
  kind: string;
  status: string;
  source: string;
  unit: string;
  targets: { set: string; reason: string };
  current: Period;
  previous?: Period;
  offTarget: { metric: string }[];
  change?: { direction: string };
  taggedGenericReadings?: number;
  agp?: { url: string; expiresAt: string };
}
interface Body {
  cards: { uuid: string; summary: string; indicator: string; detail: string; links?: { url: string; type: string; label: string }[]; extension: Record<string, Ext> }[];
}

/**
 * End to end over HTTP: the glucose-monitoring service against the sandbox FHIR engine loaded
 * with the fixture patients (dates rebased to today), with prefetch and with the FHIR fallback.
 * The fallback goes through a recording proxy so the queries and their paging can be seen.
 */
describe('glucose-monitoring on fixture patients', () => {
  let sandbox: Awaited<ReturnType<typeof startSandboxFhirServer>>;
  let proxy: RecordingProxy;
  let clock = Date.now();
  const links = new MemoryAgpLinkStore({ now: () => clock });
  let h: Harness;
  let hOnTarget: Harness;

  const harness = (opts: { showOnTarget?: boolean; env?: Record<string, string>; open?: boolean } = {}): Promise<Harness> =>
    createHarness({
      services: [glucoseMonitoringService({ cardsDir: CARDS_DIR, publicBaseUrl: TEST_BASE_URL, agpLinks: links, agpLinkTtlMs: TTL_MS, showOnTarget: opts.showOnTarget ?? false })],
      // The sandbox engine needs ~200 ms per 1,000-reading page; a loaded CI machine must not turn that into a 412.
      env: { ALLOW_HTTP_FHIR: 'true', PREFETCH_DEADLINE_MS: '30000', FHIR_TIMEOUT_MS: '20000', ...opts.env },
      agpLinks: links,
      clients: (key) => [{ iss: TEST_ISSUER, jwks: { keys: [key.publicJwk] }, fhir_servers: [proxy.baseUrl, sandbox.baseUrl], ...(opts.open ? { fhir_open: true } : {}) }],
    });

  beforeAll(async () => {
    sandbox = await startSandboxFhirServer({ port: 0, fixturesDir: resolve(process.cwd(), 'fhir-fixtures') });
    proxy = await startRecordingProxy(sandbox.baseUrl);
    h = await harness();
    hOnTarget = await harness({ showOnTarget: true });
  }, 120_000);

  afterAll(async () => {
    await proxy.close();
    await sandbox.close();
    await links.close();
  });

  beforeEach(() => {
    clock = Date.now();
    proxy.hits.length = 0;
  });

  const fhirAccess = { access_token: 'sandbox-token', token_type: 'Bearer', expires_in: 300, scope: 'user/*.read', subject: 'precision-cds' };

  async function post(app: Harness, body: Record<string, unknown>): Promise<request.Response> {
    return request(app.app).post('/cds-services/glucose-monitoring').set('Authorization', `Bearer ${await app.token('/cds-services/glucose-monitoring')}`).send(body);
  }

  async function invoke(patientId: string, mode: 'prefetch' | 'fhir', app: Harness = h): Promise<Body> {
    const context = { userId: 'Practitioner/dr-1', patientId };
    const body =
      mode === 'prefetch'
        ? patientViewRequest({ context, prefetch: (await ehrPrefetch(sandbox.baseUrl, CGM_PREFETCH, patientId)) as Record<string, FhirResource | null> })
        : patientViewRequest({ context, fhirServer: proxy.baseUrl, fhirAuthorization: fhirAccess });
    const res = await post(app, body);
    if (res.status !== 200) throw new Error(`status ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body as Body;
  }
  const ext = (b: Body): Ext => b.cards[0]!.extension[KEY]!;

  describe.each(['prefetch', 'fhir'] as const)('with %s', (mode) => {
    it('nocturnal level-2 hypoglycemia (cgm-hypo) -> critical card led by time below 54, worse than before, with an AGP link', async () => {
      const b = await invoke('cgm-hypo', mode);
      expect(b.cards).toHaveLength(1);
      const card = b.cards[0]!;
      const e = ext(b);
      expect(card.indicator).toBe('critical');
      expect(card.summary).toMatch(/^Clinically significant hypoglycemia: \d+\.\d% of time < 54 mg\/dL \(target < 1%\)/);
      expect(card.summary.length).toBeLessThan(140);
      expect(e.status).toBe('scored');
      expect(e.targets.set).toBe('standard');
      // Fixture: 5.6 % below 54 over days -14..0; today's hours without data shift it a little.
      expect(e.current.metrics!.tbr54Percent!).toBeGreaterThan(4);
      expect(e.current.metrics!.level2Events!).toBeGreaterThanOrEqual(10);
      expect(e.offTarget.map((f) => f.metric).slice(0, 3)).toEqual(['tbr54', 'level2Events', 'tbr70']);
      expect(e.change?.direction).toBe('worse');
      expect(card.links?.[0]?.type).toBe('absolute');
      expect(card.links?.[0]?.url).toMatch(new RegExp(`^${TEST_BASE_URL}/agp/[A-Za-z0-9_-]{43}$`));
    });

    it('stable patient (cgm-stable) -> no card by default (on target)', async () => {
      expect((await invoke('cgm-stable', mode)).cards).toEqual([]);
    });

    it('mmol/L readings, age 72 (cgm-mmol) -> older/high-risk targets met; the on-target card, when configured, speaks mmol/L', async () => {
      expect((await invoke('cgm-mmol', mode)).cards).toEqual([]);
      const b = await invoke('cgm-mmol', mode, hOnTarget);
      const e = ext(b);
      expect(b.cards[0]!.indicator).toBe('info');
      expect(e.unit).toBe('mmol/L');
      expect(e.targets.set).toBe('older-high-risk');
      expect(e.targets.reason).toMatch(/age 72/);
      expect(b.cards[0]!.summary).toMatch(/3\.9 mmol\/L/);
    });

    it('sparse sensor wear (cgm-sparse) -> insufficient data, no score', async () => {
      const b = await invoke('cgm-sparse', mode);
      const e = ext(b);
      expect(b.cards[0]!.indicator).toBe('info');
      expect(e.status).toBe('insufficient');
      expect(e.current.sufficient).toBe(false);
      expect(e.current.capturedPercent!).toBeLessThan(70);
      expect(e.current.metrics).toBeUndefined();
      expect(b.cards[0]!.links).toBeUndefined();
    });

    it('summary Observations only (cgm-summary-only) -> used as reported and said so, compared with the earlier summary', async () => {
      const b = await invoke('cgm-summary-only', mode);
      const e = ext(b);
      expect(b.cards[0]!.indicator).toBe('warning');
      expect(e.source).toBe('reported');
      expect(b.cards[0]!.summary).toMatch(/\(as reported\)$/);
      expect(b.cards[0]!.detail).toMatch(/as reported/);
      expect(e.current.metrics).toMatchObject({ tirPercent: 58, tbr54Percent: 1.5, tbr70Percent: 5 });
      expect(e.change?.direction).toBe('worse');
      expect(b.cards[0]!.links).toBeUndefined();
    });

    it('2339-0 readings from a CGM device (cgm-glucose-tagged) -> counted as CGM; only variability off target', async () => {
      const e = ext(await invoke('cgm-glucose-tagged', mode));
      expect(e.taggedGenericReadings).toBeGreaterThan(7000);
      expect(e.offTarget.map((f) => f.metric)).toEqual(['cv']);
    });

    it('under 65 with end-stage renal disease (cgm-high-risk) -> older/high-risk targets, naming the condition', async () => {
      expect((await invoke('cgm-high-risk', mode)).cards).toEqual([]);
      const e = ext(await invoke('cgm-high-risk', mode, hOnTarget));
      expect(e.targets.set).toBe('older-high-risk');
      expect(e.targets.reason).toMatch(/End-stage renal disease/);
    });

    it('a patient without CGM data (cvd-high-risk-male) -> no card', async () => {
      expect((await invoke('cvd-high-risk-male', mode)).cards).toEqual([]);
    });
  });

  it('every card kind carries an extension valid against GlucoseMonitoringExtension in openapi.json', async () => {
    const validate = openapiSchema('GlucoseMonitoringExtension');
    const kinds = new Set<string>();
    for (const id of ['cgm-hypo', 'cgm-stable', 'cgm-mmol', 'cgm-sparse', 'cgm-summary-only', 'cgm-glucose-tagged', 'cgm-high-risk']) {
      const e = ext(await invoke(id, 'prefetch', hOnTarget));
      kinds.add(e.kind);
      expect({ id, ok: validate(e), errors: validate.errors ?? null }).toEqual({ id, ok: true, errors: null });
    }
    expect([...kinds].sort()).toEqual(['cgm-critical', 'cgm-insufficient', 'cgm-off-target', 'cgm-on-target']);
  });

  it('prefetch and FHIR fallback give the same metrics', async () => {
    const a = ext(await invoke('cgm-hypo', 'prefetch'));
    const b = ext(await invoke('cgm-hypo', 'fhir'));
    expect(Math.abs(a.current.readings! - b.current.readings!)).toBeLessThanOrEqual(1);
    expect(b.current.metrics!.tirPercent!).toBeCloseTo(a.current.metrics!.tirPercent!, 0);
    expect(b.current.metrics!.tbr54Percent!).toBeCloseTo(a.current.metrics!.tbr54Percent!, 0);
  });

  it('the FHIR fallback asks for the two 14-day periods only, and follows their paging', async () => {
    const e = ext(await invoke('cgm-hypo', 'fhir'));
    const readingQueries = proxy.hits.filter((x) => x.url.includes('99504-3'));
    // Every reading query is date-bounded: nothing older than 28 days is loaded.
    expect(readingQueries.length).toBeGreaterThan(0);
    for (const q of readingQueries) expect(decodeURIComponent(q.url)).toMatch(/date=ge\d{4}-\d\d-\d\dT/);
    // About 4,000 readings per period at 1,000 per page: the pages after the first were followed.
    expect(readingQueries.length).toBeGreaterThanOrEqual(8);
    expect(e.current.readings!).toBeGreaterThan(3000);
  });

  // Was: an "insufficient" card. Cut readings are not too few readings: the core's data-incomplete card says why instead.
  it('paging cut at FHIR_MAX_PAGES -> not scored, no sufficiency claim: the data-incomplete card names cgmReadings and the page limit', async () => {
    const limited = await harness({ env: { FHIR_MAX_PAGES: '2' } });
    const b = await invoke('cgm-hypo', 'fhir', limited);
    expect(b.cards).toHaveLength(1);
    expect(b.cards[0]!.extension[KEY]).toBeUndefined();
    const e = b.cards[0]!.extension['org.precision-cds.data-incomplete'] as unknown as { keys: { key: string; cause: string; received: number }[] };
    expect(e.keys).toEqual([expect.objectContaining({ key: 'cgmReadings', cause: 'page-limit', received: 2000 })]);
    expect(`${b.cards[0]!.summary} ${b.cards[0]!.detail}`).not.toMatch(/insufficient|\d\s*%/i);
  });

  describe('a first page of cgmReadings and no fhirAuthorization, as the HL7 reference client sends (issue 3)', () => {
    let hOpen: Harness;
    beforeAll(async () => {
      hOpen = await harness({ open: true });
    });

    /** Every key prefetched whole except cgmReadings, its first page only; fhirServer alone (the client's open mode). */
    async function referenceClient(patientId: string) {
      const context = { userId: 'Practitioner/dr-1', patientId };
      const full = await ehrPrefetch(sandbox.baseUrl, CGM_PREFETCH, patientId);
      const r = renderTemplate(CGM_PREFETCH.cgmReadings, { patientId });
      if (!r.ok) throw new Error(r.reason);
      const firstPage = (await (await fetch(`${proxy.baseUrl}/${r.url}`)).json()) as { total: number; entry: unknown[]; link: { relation: string }[] };
      proxy.hits.length = 0;
      return {
        firstPage,
        fullBody: patientViewRequest({ context, prefetch: full as Record<string, FhirResource | null> }),
        firstPageBody: patientViewRequest({ context, fhirServer: proxy.baseUrl, prefetch: { ...full, cgmReadings: firstPage } }),
      };
    }

    /**
     * Readings lie on the UTC 5-minute grid and both 14-day windows end at the moment of the call:
     * two calls compare exactly only when no reading crosses a window edge between them, i.e. when
     * no 5-minute mark falls between them.
     */
    async function clearOfGridMark(budgetMs = 20_000): Promise<void> {
      const toMark = 300_000 - (Date.now() % 300_000);
      if (toMark < budgetMs) await new Promise((ok) => setTimeout(ok, toMark + 500));
    }

    it('the situation reported: 1,000 of 8,064 readings and a next link', async () => {
      const { firstPage } = await referenceClient('cgm-hypo');
      expect(firstPage.total).toBe(8064);
      expect(firstPage.entry).toHaveLength(1000);
      expect(firstPage.link.map((l) => l.relation)).toContain('next');
    });

    it('(i) a client with fhir_open: the readings are completed from its FHIR server without a token; metrics identical to the full prefetch', async () => {
      const { fullBody, firstPageBody } = await referenceClient('cgm-hypo');
      await clearOfGridMark();
      const full = await post(hOpen, fullBody);
      const completed = await post(hOpen, firstPageBody);
      expect([full.status, completed.status]).toEqual([200, 200]);
      const a = ext(full.body as Body);
      const b = ext(completed.body as Body);
      expect(b.status).toBe('scored');
      expect(b.kind).toBe(a.kind);
      // Everything but the window edges themselves (each call's own "now").
      const periods = (e: Ext) => [e.current, e.previous].map((p) => ({ ...p, start: undefined, end: undefined }));
      expect(periods(b)).toEqual(periods(a));
      expect(b.offTarget).toEqual(a.offTarget);
      expect(completed.body.cards[0].summary).toBe(full.body.cards[0].summary);
      // cgmReadings is deferred: the service completes it with its own two date-bounded period
      // searches, paged to their ends, all to the allowlisted server, none with an Authorization header.
      expect(proxy.hits.length).toBeGreaterThanOrEqual(8);
      for (const hit of proxy.hits) {
        expect(decodeURIComponent(hit.url)).toMatch(/^\/fhir\/Observation\?.*date=ge\d{4}-/);
        expect(hit.headers).not.toHaveProperty('authorization');
      }
    }, 120_000);

    it('(ii) a client without fhir_open: the data-incomplete card, no score, no "insufficient", no percent captured, no FHIR call', async () => {
      const { firstPageBody } = await referenceClient('cgm-hypo');
      const res = await post(h, firstPageBody);
      expect(res.status).toBe(200);
      const cards = (res.body as Body).cards;
      expect(cards).toHaveLength(1);
      expect(cards[0]!.indicator).toBe('info');
      expect(cards[0]!.extension[KEY]).toBeUndefined();
      expect(cards[0]!.links).toBeUndefined();
      const e = cards[0]!.extension['org.precision-cds.data-incomplete'] as unknown as { kind: string; assessed: boolean; keys: { key: string; cause: string; received: number; total: number }[] };
      expect(e).toMatchObject({ kind: 'data-incomplete', assessed: false, keys: [{ key: 'cgmReadings', cause: 'no-fhir-access', received: 1000, total: 8064 }] });
      const text = `${cards[0]!.summary}\n${cards[0]!.detail}`;
      expect(text).not.toMatch(/insufficient/i);
      expect(text).not.toMatch(/captured|\d\s*%/);
      expect(text).toMatch(/1,000 of 8,064 entries/);
      expect(text).toMatch(/fhir_open/);
      expect(proxy.hits).toHaveLength(0);
    });
  });

  it('cgmReadings neither prefetched nor fetchable -> 412 naming it', async () => {
    const prefetch = await ehrPrefetch(sandbox.baseUrl, CGM_PREFETCH, 'cgm-hypo');
    delete prefetch['cgmReadings'];
    const res = await post(h, patientViewRequest({ context: { userId: 'Practitioner/dr-1', patientId: 'cgm-hypo' }, prefetch }));
    expect(res.status).toBe(412);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(JSON.stringify(res.body)).toMatch(/cgmReadings/);
  });

  describe('AGP link', () => {
    it('works within its lifetime (more than once), carries no patient id, and answers 404 after expiry', async () => {
      const b = await invoke('cgm-hypo', 'fhir');
      const url = b.cards[0]!.links![0]!.url;
      expect(url).not.toMatch(/cgm-hypo|Patient/);
      const path = new URL(url).pathname;
      const first = await request(h.app).get(path);
      expect(first.status).toBe(200);
      expect(first.headers['content-type']).toMatch(/^image\/svg\+xml/);
      expect(first.headers['cache-control']).toMatch(/no-store/);
      const svg = first.text || first.body.toString();
      expect(svg).toMatch(/^<svg|^<\?xml/);
      expect(svg).not.toMatch(/cgm-hypo|Hope|Synthetic/);
      clock += TTL_MS - 1000;
      expect((await request(h.app).get(path)).status).toBe(200);
      clock += 2000;
      const gone = await request(h.app).get(path);
      expect(gone.status).toBe(404);
      expect(gone.body.resourceType).toBe('OperationOutcome');
    });

    it('the link token never reaches the logs (routes are logged by their pattern)', async () => {
      const url = (await invoke('cgm-hypo', 'prefetch')).cards[0]!.links![0]!.url;
      const token = url.split('/').pop()!;
      expect((await request(h.app).get(new URL(url).pathname)).status).toBe(200);
      expect(h.logs.text).toContain('/agp/:token');
      expect(h.logs.text).not.toContain(token);
    });

    it('the card extension says where and until when', async () => {
      const e = ext(await invoke('cgm-hypo', 'prefetch'));
      expect(e.agp?.url).toMatch(/\/agp\//);
      expect(Date.parse(e.agp!.expiresAt) - Date.now()).toBeGreaterThan(TTL_MS - 60_000);
    });
  });
});
