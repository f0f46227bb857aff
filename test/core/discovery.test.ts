import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { ServiceRegistry } from '../../src/cds/registry.js';
import { createHarness, echoService } from '../helpers/harness.js';

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
        prefetch: { patient: 'Patient/{{context.patientId}}' },
        usageRequirements: 'Needs lipids',
      },
    ]);
  });

  it('210/211: a service declared for several hooks is listed once per hook under the same id', async () => {
    const h = await createHarness({ services: [echoService({ hooks: ['order-select', 'order-sign'] })] });
    const res = await request(h.app).get('/cds-services').set('Authorization', `Bearer ${await h.token('/cds-services')}`);
    expect(res.body.services.map((s: { id: string; hook: string }) => `${s.id}:${s.hook}`)).toEqual(['echo:order-select', 'echo:order-sign']);
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
