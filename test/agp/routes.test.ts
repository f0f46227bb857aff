import { describe, expect, it } from '@jest/globals';
import express from 'express';
import request from 'supertest';
import { MemoryAgpLinkStore, newAgpToken, type AgpLinkStore } from '../../src/agp/link-store.js';
import { agpRoutes } from '../../src/agp/routes.js';
import { errorHandler } from '../../src/errors/handler.js';
import { agpProfile, type AgpChart } from '../../src/services/glucose-monitoring/agp.js';
import { createHarness } from '../helpers/harness.js';

const TTL = 15 * 60_000;

function chart(): AgpChart {
  const readings = [];
  for (let d = 0; d < 14; d++) for (let m = 0; m < 1440; m += 5) readings.push({ minuteOfDay: m, mgdl: 100 + 60 * Math.sin((m / 1440) * 2 * Math.PI) + ((d * 7 + m) % 40) });
  return {
    profile: agpProfile(readings),
    periodStart: '2025-03-01',
    periodEnd: '2025-03-14',
    unit: 'mg/dL',
    daysWithData: 14,
    capturedPercent: 100,
    targetLow: 70,
    targetHigh: 180,
  };
}

function setup(store: AgpLinkStore) {
  const app = express();
  app.use(agpRoutes(store));
  app.use(errorHandler);
  return app;
}

function expectGone(res: request.Response) {
  expect(res.status).toBe(404);
  expect(res.headers['content-type']).toMatch(/^application\/fhir\+json/);
  const outcome = JSON.parse(res.text) as { resourceType: string; issue: { severity: string; code: string; diagnostics: string }[] };
  expect(outcome.resourceType).toBe('OperationOutcome');
  expect(outcome.issue).toEqual([expect.objectContaining({ code: 'not-found', diagnostics: 'no such chart, or the link has expired' })]);
  expect(res.text).not.toContain('<svg');
}

describe('GET /agp/:token', () => {
  it('serves the SVG with no-store and a locked-down CSP, and again within its lifetime', async () => {
    let now = 1_700_000_000_000;
    const store = new MemoryAgpLinkStore({ now: () => now });
    const app = setup(store);
    const token = await store.put(chart(), TTL);
    for (const wait of [0, 5 * 60_000]) {
      now += wait;
      const res = await request(app).get(`/agp/${token}`);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('image/svg+xml; charset=utf-8');
      expect(res.headers['cache-control']).toBe('no-store, private');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-security-policy']).toBe("default-src 'none'; style-src 'unsafe-inline'");
      const body = res.text ?? (res.body as Buffer).toString('utf8');
      expect(body).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      expect(body).toContain('2025-03-01 to 2025-03-14');
    }
  });

  it('answers 404 with an OperationOutcome once the link has expired', async () => {
    let now = 1_700_000_000_000;
    const store = new MemoryAgpLinkStore({ now: () => now });
    const app = setup(store);
    const token = await store.put(chart(), TTL);
    expect((await request(app).get(`/agp/${token}`)).status).toBe(200);
    now += TTL;
    expectGone(await request(app).get(`/agp/${token}`));
  });

  it('answers the same 404 for an unknown or malformed token, without asking the store about a malformed one', async () => {
    const asked: string[] = [];
    const inner = new MemoryAgpLinkStore();
    const store: AgpLinkStore = {
      put: (c, ttl) => inner.put(c, ttl),
      get: (t) => {
        asked.push(t);
        return inner.get(t);
      },
    };
    const app = setup(store);
    const unknown = await request(app).get(`/agp/${newAgpToken()}`);
    expectGone(unknown);
    for (const bad of ['abc', `${newAgpToken()}x`, `${newAgpToken().slice(0, 42)}=`, '%3Csvg%3E']) {
      const res = await request(app).get(`/agp/${bad}`);
      expectGone(res);
      expect(res.text).toBe(unknown.text);
    }
    expect(asked).toHaveLength(1);
  });

  it('carries no patient identifier', async () => {
    const store = new MemoryAgpLinkStore();
    const app = setup(store);
    // Extra fields a caller might leave on the chart object are not rendered.
    const c = { ...chart(), patient: 'Patient/example-123', name: 'Jane Doe' } as AgpChart;
    const token = await store.put(c, TTL);
    const res = await request(app).get(`/agp/${token}`);
    expect(res.status).toBe(200);
    const body = res.text ?? (res.body as Buffer).toString('utf8');
    expect(body).not.toMatch(/patient|example-123|jane|doe/i);
    expect(JSON.stringify(res.headers)).not.toMatch(/patient|example-123/i);
  });
});

describe('embedding the chart from another origin (the full app, with helmet)', () => {
  it('an AGP response carries Cross-Origin-Resource-Policy: cross-origin, its other protections unchanged', async () => {
    let now = 1_700_000_000_000;
    const links = new MemoryAgpLinkStore({ now: () => now });
    const h = await createHarness({ agpLinks: links });
    const token = await links.put(chart(), TTL);
    const res = await request(h.app).get(`/agp/${token}`).set('Origin', 'https://sandbox.cds-hooks.org');
    expect(res.status).toBe(200);
    expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(res.headers['access-control-allow-origin']).toBe('*'); // the app-wide CORS (CORS_ORIGINS), as before
    expect({
      csp: res.headers['content-security-policy'],
      cache: res.headers['cache-control'],
      referrer: res.headers['referrer-policy'],
      nosniff: res.headers['x-content-type-options'],
    }).toEqual({ csp: "default-src 'none'; style-src 'unsafe-inline'", cache: 'no-store, private', referrer: 'no-referrer', nosniff: 'nosniff' });
    now += TTL;
    expectGone(await request(h.app).get(`/agp/${token}`));
  });

  it.each(['/health/live', '/openapi.json', '/cds-services', '/models', '/nowhere'])('%s keeps helmet\'s same-origin', async (path) => {
    const h = await createHarness({ agpLinks: new MemoryAgpLinkStore() });
    expect((await request(h.app).get(path)).headers['cross-origin-resource-policy']).toBe('same-origin');
  });
});
