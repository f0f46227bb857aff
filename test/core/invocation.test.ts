import { describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { createHarness, echoService, patientViewRequest, TEST_FHIR, type Harness } from '../helpers/harness.js';
import type { CdsServiceDefinition } from '../../src/cds/types.js';

async function invoke(h: Harness, id: string, body: unknown, contentType = 'application/json') {
  const path = `/cds-services/${id}`;
  const r = request(h.app).post(path).set('Authorization', `Bearer ${await h.token(path)}`).set('Content-Type', contentType);
  return r.send(typeof body === 'string' ? body : JSON.stringify(body));
}

const patient = { resourceType: 'Patient', id: 'pat-1', gender: 'female', birthDate: '1970-01-01' };

describe('invocation (spec 2.0 §Calling a CDS Service)', () => {
  it('16/28/74: POST /cds-services/{id} with prefetch answers 200 with a cards array', async () => {
    const h = await createHarness({ services: [echoService()] });
    const res = await invoke(h, 'echo', patientViewRequest({ prefetch: { patient } }));
    expect(res.status).toBe(200);
    expect(res.body.cards).toHaveLength(1);
    expect(res.body.cards[0].extension['org.precision-cds.test'].supplied).toEqual(['patient']);
  });

  it('an unknown service id gives 404 with an OperationOutcome', async () => {
    const h = await createHarness({ services: [echoService()] });
    const res = await invoke(h, 'nope', patientViewRequest());
    expect(res.status).toBe(404);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0].diagnostics).toContain('nope');
  });

  it('a hook that is not the service hook gives 400 naming hook', async () => {
    const h = await createHarness({ services: [echoService()] });
    const res = await invoke(h, 'echo', patientViewRequest({ hook: 'order-sign' }));
    expect(res.status).toBe(400);
    expect(res.body.issue[0].expression).toEqual(['hook']);
  });

  it('a missing context.patientId gives 400 naming context.patientId', async () => {
    const h = await createHarness({ services: [echoService()] });
    const res = await invoke(h, 'echo', patientViewRequest({ context: { userId: 'Practitioner/1' } }));
    expect(res.status).toBe(400);
    expect(res.body.issue.map((i: { expression?: string[] }) => i.expression?.[0])).toContain('context.patientId');
  });

  it('fhirAuthorization without fhirServer gives 400 naming fhirServer', async () => {
    const h = await createHarness({ services: [echoService()] });
    const res = await invoke(
      h,
      'echo',
      patientViewRequest({ fhirAuthorization: { access_token: 'x', token_type: 'Bearer', expires_in: 60, scope: 'patient/*.read', subject: 'cds' } }),
    );
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain('fhirServer');
  });

  it('a body over the limit gives 413', async () => {
    const h = await createHarness({ services: [echoService()], env: { BODY_LIMIT_BYTES: '2048' } });
    const res = await invoke(h, 'echo', patientViewRequest({ extension: { 'org.example.pad': 'x'.repeat(5000) } }));
    expect(res.status).toBe(413);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });

  it('1: a non-JSON content type gives 415', async () => {
    const h = await createHarness({ services: [echoService()] });
    const res = await invoke(h, 'echo', 'hook=patient-view', 'application/x-www-form-urlencoded');
    expect(res.status).toBe(415);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });

  it('invalid JSON gives 400', async () => {
    const h = await createHarness({ services: [echoService()] });
    const res = await invoke(h, 'echo', '{"hook": "patient-view",');
    expect(res.status).toBe(400);
    expect(res.body.issue[0].code).toBe('structure');
  });

  it('214: extension objects are accepted on the request and in context-independent places', async () => {
    const h = await createHarness({ services: [echoService()] });
    const res = await invoke(h, 'echo', patientViewRequest({ prefetch: { patient }, extension: { 'com.example.timestamp': '2017-11-27T22:13:25Z' } }));
    expect(res.status).toBe(200);
  });

  it.each([['a string', '23'], ['a number', 23]])(
    "214: Epic's trigger extension (com.epic.cdshooks.request.bpa-trigger-action as %s) on patient-view is accepted and served normally",
    async (_as, action) => {
      const h = await createHarness({ services: [echoService()] });
      const res = await invoke(h, 'echo', patientViewRequest({ prefetch: { patient }, extension: { 'com.epic.cdshooks.request.bpa-trigger-action': action } }));
      expect(res.status).toBe(200);
      expect(res.body.cards[0].extension['org.precision-cds.test'].supplied).toEqual(['patient']);
    },
  );

  it('3: null, empty-string, empty-array and empty-object members are removed from cards; cards: [] is kept', async () => {
    const messy: CdsServiceDefinition = echoService({
      id: 'messy',
      handler: async () => ({
        cards: [{ summary: 'x', detail: '', indicator: 'info', source: { label: 'L', url: null as unknown as string, topic: {} as never }, links: [], extension: {} }],
        systemActions: [],
      }),
    });
    const empty: CdsServiceDefinition = echoService({ id: 'empty', handler: async () => ({ cards: [] }) });
    const h = await createHarness({ services: [messy, empty] });
    // The emptied topic is pruned first; the card then gets its kind's topic like every card (client profiles).
    expect((await invoke(h, 'messy', patientViewRequest({ prefetch: { patient } }))).body).toEqual({
      cards: [{ summary: 'x', indicator: 'info', source: { label: 'L', topic: { system: 'https://precision-cds.org/CodeSystem/card-topic', code: 'MessyCardLInfo', display: 'Messy: card l info' } } }],
    });
    expect((await invoke(h, 'empty', patientViewRequest({ prefetch: { patient } }))).body).toEqual({ cards: [] });
  });

  it('77: a service with no advice answers 200 with an empty cards array', async () => {
    const h = await createHarness({ services: [echoService({ id: 'quiet', handler: async () => ({ cards: [] }) })] });
    const res = await invoke(h, 'quiet', patientViewRequest({ prefetch: { patient } }));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ cards: [] });
  });

  it('83: a card that breaks the spec (summary of 140+ characters) never reaches the client: 500 without internals', async () => {
    const bad = echoService({ id: 'bad', handler: async () => ({ cards: [{ summary: 'x'.repeat(140), indicator: 'info', source: { label: 'L' } }] }) });
    const h = await createHarness({ services: [bad] });
    const res = await invoke(h, 'bad', patientViewRequest({ prefetch: { patient } }));
    expect(res.status).toBe(500);
    expect(res.body.issue[0].diagnostics).toBe('Internal error');
    expect(h.logs.text).toContain('service produced an invalid response');
  });

  it('a handler that throws gives a 500 OperationOutcome without stack or message', async () => {
    const h = await createHarness({ services: [echoService({ id: 'boom', handler: async () => { throw new Error('secret internal detail'); } })] });
    const res = await invoke(h, 'boom', patientViewRequest({ prefetch: { patient } }));
    expect(res.status).toBe(500);
    expect(JSON.stringify(res.body)).not.toContain('secret internal detail');
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.ts:\d+/);
  });

  it('an inference failure is a 500 without internals, logged with the model id', async () => {
    const { InferenceError } = await import('../../src/models/runtime.js');
    const h = await createHarness({ services: [echoService({ id: 'infer', handler: async () => { throw new InferenceError('pce-white-male', { cause: new Error('onnx internal: bad tensor') }); } })] });
    const res = await invoke(h, 'infer', patientViewRequest({ prefetch: { patient } }));
    expect(res.status).toBe(500);
    expect(JSON.stringify(res.body)).not.toMatch(/onnx|tensor|pce-white-male/);
    expect(h.logs.records.some((r) => r['msg'] === 'model inference failed' && r['modelId'] === 'pce-white-male')).toBe(true);
  });

  it('a fhirServer that is not on the client allowlist is refused before any fetch', async () => {
    const h = await createHarness({ services: [echoService()] });
    const res = await invoke(
      h,
      'echo',
      patientViewRequest({
        fhirServer: 'https://169.254.169.254/latest',
        fhirAuthorization: { access_token: 'tok', token_type: 'Bearer', expires_in: 60, scope: 's', subject: 'c' },
      }),
    );
    expect(res.status).toBe(400);
    expect(res.body.issue[0].expression).toEqual(['fhirServer']);
  });

  it('an http:// fhirServer is refused unless allowed, even when listed', async () => {
    const h = await createHarness({ services: [echoService()], fhirServers: ['http://fhir.test.example/r4'] });
    const res = await invoke(
      h,
      'echo',
      patientViewRequest({
        fhirServer: 'http://fhir.test.example/r4',
        fhirAuthorization: { access_token: 'tok', token_type: 'Bearer', expires_in: 60, scope: 's', subject: 'c' },
      }),
    );
    expect(res.status).toBe(400);
    expect(res.body.issue[0].diagnostics).toContain('https');
  });

  it('54: required prefetch not supplied and no FHIR access gives 412 naming the key', async () => {
    const h = await createHarness({ services: [echoService()] });
    const res = await invoke(h, 'echo', patientViewRequest({ fhirServer: TEST_FHIR }));
    expect(res.status).toBe(412);
    expect(res.body.issue[0].expression).toEqual(['prefetch.patient']);
  });

  it('a prefetched Patient that is not context.patientId gives 400 naming the slot (never advice from another patient\'s data)', async () => {
    const h = await createHarness({ services: [echoService()] });
    const res = await invoke(h, 'echo', patientViewRequest({ prefetch: { patient: { resourceType: 'Patient', id: 'someone-else' } } }));
    expect(res.status).toBe(400);
    expect(res.body.issue[0].expression).toEqual(['prefetch.patient']);
    expect(res.body.issue[0].diagnostics).toBe('prefetch.patient is a different patient than context.patientId');
  });

  it('52: an OperationOutcome in a prefetch slot counts as not supplied (412 without FHIR access)', async () => {
    const h = await createHarness({ services: [echoService()] });
    const oo = { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'processing' }] };
    const res = await invoke(h, 'echo', patientViewRequest({ prefetch: { patient: oo } }));
    expect(res.status).toBe(412);
  });

  it('null in a prefetch slot means no data exists: supplied, not fetched', async () => {
    const h = await createHarness({ services: [echoService()] });
    const res = await invoke(h, 'echo', patientViewRequest({ prefetch: { patient: null } }));
    expect(res.status).toBe(200);
    expect(res.body.cards[0].extension['org.precision-cds.test'].supplied).toEqual(['patient']);
  });

  it('optional prefetch keys that cannot be had do not block the service', async () => {
    const svc = echoService({ prefetch: { patient: 'Patient/{{context.patientId}}', extra: 'Observation?patient={{context.patientId}}' }, requiredPrefetch: ['patient'] });
    const h = await createHarness({ services: [svc] });
    const res = await invoke(h, 'echo', patientViewRequest({ prefetch: { patient } }));
    expect(res.status).toBe(200);
  });

  it('hookInstance and service id are logged; the access token and patient id are not', async () => {
    const h = await createHarness({ services: [echoService()] });
    const hookInstance = randomUUID();
    await invoke(h, 'echo', patientViewRequest({ hookInstance, context: { userId: 'Practitioner/1', patientId: 'very-secret-patient' }, prefetch: { patient: { ...patient, id: 'very-secret-patient' } } }));
    const line = h.logs.records.find((r) => r['msg'] === 'request completed' && r['hookInstance'] === hookInstance);
    expect(line).toMatchObject({ serviceId: 'echo', status: 200 });
    expect(typeof line?.['latencyMs']).toBe('number');
    expect(h.logs.text).not.toContain('very-secret-patient');
  });
});
