import { describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import request from 'supertest';
import { ServiceRegistry } from '../../src/cds/registry.js';
import { createHarness, echoService, type Harness } from '../helpers/harness.js';

/** The version package.json declares, read here independently of the code under test. */
const PACKAGE_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const discover = async (h: Harness): Promise<{ id: string; hook: string; version: string }[]> =>
  (await request(h.app).get('/cds-services').set('Authorization', `Bearer ${await h.token('/cds-services')}`)).body.services;

const orderRequest = (hook: string): Record<string, unknown> => ({
  hook,
  hookInstance: randomUUID(),
  context: {
    userId: 'Practitioner/example',
    patientId: 'pat-1',
    ...(hook === 'order-select' ? { selections: ['MedicationRequest/mr-1'] } : {}),
    draftOrders: { resourceType: 'Bundle', type: 'collection', entry: [{ resource: { resourceType: 'MedicationRequest', id: 'mr-1', status: 'draft', intent: 'order', subject: { reference: 'Patient/pat-1' }, medicationCodeableConcept: { text: 'x' } } }] },
  },
  prefetch: { patient: { resourceType: 'Patient', id: 'pat-1' } },
});

describe('discovery (spec 2.0 §Discovery)', () => {
  it('4/5/6/13: GET /cds-services answers 200 with a services array', async () => {
    const h = await createHarness({ services: [echoService()] });
    const res = await request(h.app).get('/cds-services').set('Authorization', `Bearer ${await h.token('/cds-services')}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(Array.isArray(res.body.services)).toBe(true);
  });

  it('7/8/9/10/11/12/29/36: each service carries hook, title, description, id, prefetch and usageRequirements from its declaration', async () => {
    const h = await createHarness({ services: [echoService({ usageRequirements: 'Needs lipids' })] });
    const res = await request(h.app).get('/cds-services').set('Authorization', `Bearer ${await h.token('/cds-services')}`);
    expect(res.body.services).toEqual([
      {
        hook: 'patient-view',
        title: 'Echo',
        description: 'Test service that reports which prefetch keys it got',
        id: 'echo',
        version: PACKAGE_VERSION,
        prefetch: { patient: 'Patient/{{context.patientId}}' },
        usageRequirements: 'Needs lipids',
      },
    ]);
  });

  it('a service declared for several hooks is listed once per hook as <id>-<hook>; a one-hook service keeps its id', async () => {
    const h = await createHarness({ services: [echoService({ hooks: ['order-select', 'order-sign'] }), echoService({ id: 'solo' })] });
    expect((await discover(h)).map((s) => `${s.id}:${s.hook}`)).toEqual(['echo-order-select:order-select', 'echo-order-sign:order-sign', 'solo:patient-view']);
  });

  it('discovery ids are unique, so a client that keys services by id keeps every entry', async () => {
    const h = await createHarness({ services: [echoService({ hooks: ['patient-view', 'order-select', 'order-sign'] }), echoService({ id: 'solo' })] });
    const ids = (await discover(h)).map((s) => s.id);
    expect(ids).toHaveLength(4);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each(['order-select', 'order-sign'])('the listed id of the %s entry is invocable with its hook', async (hook) => {
    const h = await createHarness({ services: [echoService({ hooks: ['order-select', 'order-sign'] })] });
    const id = (await discover(h)).find((s) => s.hook === hook)!.id;
    const res = await request(h.app).post(`/cds-services/${id}`).set('Authorization', `Bearer ${await h.token(`/cds-services/${id}`)}`).send(orderRequest(hook));
    expect(res.status).toBe(200);
  });

  it('a per-hook id refuses the service\'s other hook with 400 HOOK_MISMATCH as an OperationOutcome', async () => {
    const h = await createHarness({ services: [echoService({ hooks: ['order-select', 'order-sign'] })] });
    const res = await request(h.app)
      .post('/cds-services/echo-order-sign')
      .set('Authorization', `Bearer ${await h.token('/cds-services/echo-order-sign')}`)
      .send(orderRequest('order-select'));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'invalid', diagnostics: expect.stringContaining('hook must be order-sign') }] });
  });

  it.each(['order-select', 'order-sign'])('the bare service id (no longer listed) still takes %s for existing integrations', async (hook) => {
    const h = await createHarness({ services: [echoService({ hooks: ['order-select', 'order-sign'] })] });
    expect((await discover(h)).map((s) => s.id)).not.toContain('echo');
    const res = await request(h.app).post('/cds-services/echo').set('Authorization', `Bearer ${await h.token('/cds-services/echo')}`).send(orderRequest(hook));
    expect(res.status).toBe(200);
  });

  it.each(['echo', 'echo-order-sign'])('feedback sent to /cds-services/%s/feedback is recorded under the service id, where the card is', async (id) => {
    const h = await createHarness({ services: [echoService({ hooks: ['order-select', 'order-sign'] })] });
    const inv = await request(h.app).post('/cds-services/echo-order-sign').set('Authorization', `Bearer ${await h.token('/cds-services/echo-order-sign')}`).send(orderRequest('order-sign'));
    const card = inv.body.cards[0].uuid as string;
    const res = await request(h.app)
      .post(`/cds-services/${id}/feedback`)
      .set('Authorization', `Bearer ${await h.token(`/cds-services/${id}/feedback`)}`)
      .send({ feedback: [{ card, outcome: 'overridden', outcomeTimestamp: '2026-01-01T00:00:00Z' }] });
    expect(res.status).toBe(200);
    // 'recorded' (not 'unknown-card'): the store found the card under the service id.
    expect(res.body.feedback).toEqual([{ card, status: 'recorded' }]);
    const rows = await h.store.cardAnalytics({ serviceId: 'echo' });
    expect(rows.reduce((n, r) => n + r.overridden, 0)).toBe(1);
  });

  it('an unknown id is a 404 OperationOutcome, for a per-hook spelling of a hook the service does not declare too', async () => {
    const h = await createHarness({ services: [echoService({ hooks: ['order-select', 'order-sign'] })] });
    const res = await request(h.app).post('/cds-services/echo-patient-view').set('Authorization', `Bearer ${await h.token('/cds-services/echo-patient-view')}`).send(orderRequest('order-sign'));
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'not-found' }] });
  });

  it('each entry carries version: the declaration\'s when it has one, else the package version', async () => {
    const h = await createHarness({ services: [echoService({ version: '2.3.0' }), echoService({ id: 'plain', hooks: ['order-select', 'order-sign'] })] });
    expect((await discover(h)).map((s) => `${s.id}@${s.version}`)).toEqual(['echo@2.3.0', `plain-order-select@${PACKAGE_VERSION}`, `plain-order-sign@${PACKAGE_VERSION}`]);
  });

  it('the registry refuses an id that collides with another service\'s per-hook id, in either order', () => {
    const multi = echoService({ id: 'pgx', hooks: ['order-select', 'order-sign'] });
    const single = echoService({ id: 'pgx-order-sign', hooks: ['order-sign'] });
    expect(() => new ServiceRegistry().register(multi).register(single)).toThrow(/id "pgx-order-sign" is already used by service "pgx"/);
    expect(() => new ServiceRegistry().register(single).register(multi)).toThrow(/id "pgx-order-sign" is already used by service "pgx-order-sign"/);
  });

  it('the registry refuses a hook declared twice, an empty version and a per-hook id over 64 characters', () => {
    expect(() => new ServiceRegistry().register(echoService({ hooks: ['order-sign', 'order-sign'] }))).toThrow(/declares a hook twice/);
    expect(() => new ServiceRegistry().register(echoService({ version: ' ' }))).toThrow(/version must not be empty/);
    expect(() => new ServiceRegistry().register(echoService({ id: 'x'.repeat(60), hooks: ['order-select', 'order-sign'] }))).toThrow(/is not a valid id/);
  });

  it('3: with no services registered, discovery is an empty list (the one empty array the spec allows is cards, so services stays present)', async () => {
    const h = await createHarness();
    const res = await request(h.app).get('/cds-services').set('Authorization', `Bearer ${await h.token('/cds-services')}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ services: [] });
  });

  it('55/56/57/59: the registry refuses prefetch tokens the spec does not allow', () => {
    const bad = ['Patient/{{patientId}}', 'Observation?patient={{context.patient.id}}', 'Patient/{{context.patientId}', 'https://evil.example/Patient/1', 'Patient?_id={{userId}}'];
    for (const template of bad) {
      expect(() => new ServiceRegistry().register(echoService({ prefetch: { p: template } }))).toThrow();
    }
  });

  it('the registry refuses duplicate ids, bad ids and undeclared required prefetch keys', () => {
    const r = new ServiceRegistry().register(echoService());
    expect(() => r.register(echoService())).toThrow(/twice/);
    expect(() => new ServiceRegistry().register(echoService({ id: 'bad id/x' }))).toThrow(/invalid service id/);
    expect(() => new ServiceRegistry().register(echoService({ requiredPrefetch: ['nope'] }))).toThrow(/not declared/);
  });

  it('the registry refuses deferred prefetch keys that are undeclared or also required', () => {
    expect(() => new ServiceRegistry().register(echoService({ deferredPrefetch: ['nope'] }))).toThrow(/deferred prefetch "nope" is not declared/);
    expect(() => new ServiceRegistry().register(echoService({ deferredPrefetch: ['patient'] }))).toThrow(/both required and deferred/);
  });
});
