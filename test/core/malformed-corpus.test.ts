import { describe, expect, it, beforeAll } from '@jest/globals';
import request from 'supertest';
import { createHarness, echoService, patientViewRequest, type Harness } from '../helpers/harness.js';

/**
 * A corpus of malformed requests. Each must get a 4xx FHIR OperationOutcome, never a 5xx,
 * a stack trace or a crash; the service keeps answering afterwards.
 */
type Case = { name: string; body: string; contentType?: string; path?: string };

const valid = patientViewRequest({ prefetch: { patient: { resourceType: 'Patient', id: 'pat-1' } } });
const j = (o: unknown): string => JSON.stringify(o);
const without = (k: string): Record<string, unknown> => Object.fromEntries(Object.entries(valid).filter(([key]) => key !== k));
const withCtx = (ctx: unknown): string => j({ ...valid, context: ctx });
const deep = (n: number): string => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
const deepArr = (n: number): string => '['.repeat(n) + ']'.repeat(n);

const cases: Case[] = [
  // invalid JSON
  { name: 'empty body', body: '' },
  { name: 'truncated JSON', body: '{"hook":"patient-view"' },
  { name: 'trailing comma', body: '{"hook":"patient-view",}' },
  { name: 'single quotes', body: "{'hook':'patient-view'}" },
  { name: 'bare string', body: '"patient-view"' },
  { name: 'bare number', body: '42' },
  { name: 'null', body: 'null' },
  { name: 'NaN literal', body: '{"hook":NaN}' },
  { name: 'comment in JSON', body: '{/* x */"hook":"patient-view"}' },
  { name: 'binary garbage', body: '\u0000\u0001\u0002\u00ff' },
  // wrong top-level shape
  { name: 'array body', body: j([valid]) },
  { name: 'empty object', body: '{}' },
  { name: 'missing hook', body: j(without('hook')) },
  { name: 'missing hookInstance', body: j(without('hookInstance')) },
  { name: 'missing context', body: j(without('context')) },
  { name: 'hook is a number', body: j({ ...valid, hook: 7 }) },
  { name: 'hook is null', body: j({ ...valid, hook: null }) },
  { name: 'hook is an empty string', body: j({ ...valid, hook: '' }) },
  { name: 'wrong hook for the service', body: j({ ...valid, hook: 'order-sign' }) },
  { name: 'unknown hook', body: j({ ...valid, hook: 'no-such-hook' }) },
  { name: 'hookInstance is an object', body: j({ ...valid, hookInstance: { id: 1 } }) },
  { name: 'hookInstance is empty', body: j({ ...valid, hookInstance: '' }) },
  { name: 'hookInstance is huge', body: j({ ...valid, hookInstance: 'x'.repeat(100_000) }) },
  { name: 'context is an array', body: withCtx([]) },
  { name: 'context is a string', body: withCtx('Patient/1') },
  { name: 'context is null', body: withCtx(null) },
  { name: 'context.patientId missing', body: withCtx({ userId: 'Practitioner/1' }) },
  { name: 'context.userId missing', body: withCtx({ patientId: 'pat-1' }) },
  { name: 'context.patientId is a number', body: withCtx({ userId: 'Practitioner/1', patientId: 12 }) },
  { name: 'context.patientId has illegal characters', body: withCtx({ userId: 'Practitioner/1', patientId: '../../etc/passwd' }) },
  { name: 'context.patientId is huge', body: withCtx({ userId: 'Practitioner/1', patientId: 'a'.repeat(10_000) }) },
  { name: 'context.userId is not a reference', body: withCtx({ userId: 'bob', patientId: 'pat-1' }) },
  { name: 'fhirServer is not a URL', body: j({ ...valid, fhirServer: 'not a url' }) },
  { name: 'fhirServer is a number', body: j({ ...valid, fhirServer: 1 }) },
  { name: 'fhirServer points at a metadata address', body: j({ ...valid, fhirServer: 'https://169.254.169.254', fhirAuthorization: { access_token: 't', token_type: 'Bearer', expires_in: 1, scope: 's', subject: 'c' } }) },
  { name: 'fhirServer with credentials', body: j({ ...valid, fhirServer: 'https://user:pw@fhir.test.example/r4', fhirAuthorization: { access_token: 't', token_type: 'Bearer', expires_in: 1, scope: 's', subject: 'c' } }) },
  { name: 'fhirServer file URL', body: j({ ...valid, fhirServer: 'file:///etc/passwd', fhirAuthorization: { access_token: 't', token_type: 'Bearer', expires_in: 1, scope: 's', subject: 'c' } }) },
  { name: 'fhirAuthorization without fhirServer', body: j({ ...valid, fhirAuthorization: { access_token: 't', token_type: 'Bearer', expires_in: 1, scope: 's', subject: 'c' } }) },
  { name: 'fhirAuthorization missing access_token', body: j({ ...valid, fhirServer: 'https://fhir.test.example/r4', fhirAuthorization: { token_type: 'Bearer', expires_in: 1, scope: 's', subject: 'c' } }) },
  { name: 'fhirAuthorization wrong token_type', body: j({ ...valid, fhirServer: 'https://fhir.test.example/r4', fhirAuthorization: { access_token: 't', token_type: 'MAC', expires_in: 1, scope: 's', subject: 'c' } }) },
  { name: 'fhirAuthorization expires_in negative', body: j({ ...valid, fhirServer: 'https://fhir.test.example/r4', fhirAuthorization: { access_token: 't', token_type: 'Bearer', expires_in: -5, scope: 's', subject: 'c' } }) },
  { name: 'fhirAuthorization is a string', body: j({ ...valid, fhirServer: 'https://fhir.test.example/r4', fhirAuthorization: 'Bearer t' }) },
  { name: 'prefetch is an array', body: j({ ...valid, prefetch: [1, 2] }) },
  { name: 'prefetch is a string', body: j({ ...valid, prefetch: 'x' }) },
  { name: 'extension is an array', body: j({ ...valid, extension: ['a'] }) },
  { name: 'extension is a string', body: j({ ...valid, extension: 'x' }) },
  // prototype pollution and nesting
  { name: '__proto__ at top level', body: '{"__proto__":{"polluted":true},"hook":"patient-view","hookInstance":"x","context":{}}' },
  { name: '__proto__ inside context', body: '{"hook":"patient-view","hookInstance":"x","context":{"userId":"Practitioner/1","patientId":"p","__proto__":{"isAdmin":true}}}' },
  { name: 'constructor.prototype inside prefetch', body: j({ ...valid, prefetch: { patient: { resourceType: 'Patient', constructor: { prototype: { x: 1 } } } } }) },
  { name: 'deeply nested object (10k levels)', body: `{"hook":"patient-view","hookInstance":"x","context":{"userId":"Practitioner/1","patientId":"p"},"extension":${deep(10_000)}}` },
  { name: 'deeply nested arrays (50k levels)', body: `{"hook":"patient-view","hookInstance":"x","context":{"userId":"Practitioner/1","patientId":"p"},"prefetch":{"p":${deepArr(50_000)}}}` },
  { name: 'huge string over the body limit', body: j({ ...valid, extension: { 'org.x': 'y'.repeat(17 * 1024 * 1024) } }) },
  // wrong media types
  { name: 'text/plain body', body: j(valid), contentType: 'text/plain' },
  { name: 'form body', body: 'hook=patient-view', contentType: 'application/x-www-form-urlencoded' },
  { name: 'XML body', body: '<hook>patient-view</hook>', contentType: 'application/xml' },
  { name: 'JSON in latin1 charset', body: j(valid), contentType: 'application/json; charset=latin1' },
  // feedback endpoint
  { name: 'feedback: empty list', body: j({ feedback: [] }), path: '/cds-services/echo/feedback' },
  { name: 'feedback: not a list', body: j({ feedback: { card: 'x' } }), path: '/cds-services/echo/feedback' },
  { name: 'feedback: missing outcomeTimestamp', body: j({ feedback: [{ card: 'x', outcome: 'overridden' }] }), path: '/cds-services/echo/feedback' },
  { name: 'feedback: bad timestamp', body: j({ feedback: [{ card: 'x', outcome: 'overridden', outcomeTimestamp: 'yesterday' }] }), path: '/cds-services/echo/feedback' },
  { name: 'feedback: accepted with overrideReason only', body: j({ feedback: [{ card: 'x', outcome: 'accepted', overrideReason: { userComment: 'x' }, outcomeTimestamp: '2026-01-01T00:00:00Z' }] }), path: '/cds-services/echo/feedback' },
  { name: 'feedback: __proto__ item', body: '{"feedback":[{"__proto__":{"x":1},"card":"x","outcome":"overridden","outcomeTimestamp":"2026-01-01T00:00:00Z"}]}', path: '/cds-services/echo/feedback' },
  // unknown routes / methods
  { name: 'unknown service', body: j(valid), path: '/cds-services/does-not-exist' },
  { name: 'path traversal in service id', body: j(valid), path: '/cds-services/..%2f..%2fetc%2fpasswd' },
];

describe('malformed request corpus', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({ services: [echoService()] });
  });

  it('has at least 50 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(50);
  });

  it.each(cases.map((c) => [c.name, c] as const))('14/76: %s -> 4xx OperationOutcome', async (_name, c) => {
    const path = c.path ?? '/cds-services/echo';
    const res = await request(h.app)
      .post(path)
      .set('Authorization', `Bearer ${await h.token(path)}`)
      .set('Content-Type', c.contentType ?? 'application/json')
      .send(c.body);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue.length).toBeGreaterThan(0);
    expect(res.text).not.toMatch(/at [\w.<>]+ \(|node_modules|\.ts:\d+/);
  });

  it('still serves a valid request after the whole corpus, and nothing was polluted', async () => {
    const res = await request(h.app).post('/cds-services/echo').set('Authorization', `Bearer ${await h.token('/cds-services/echo')}`).send(valid);
    expect(res.status).toBe(200);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(({} as Record<string, unknown>)['isAdmin']).toBeUndefined();
  });
});
