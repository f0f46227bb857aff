import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Bundle, OperationOutcome } from '@medplum/fhirtypes';
import { request as httpRequest } from 'node:http';
import { startSandboxFhirServer, type SandboxFhirServer } from '../../src/sandbox/fhir-server.js';
import { CHOLESTEROL, clinicalResources, idsOf, LOINC, transaction } from './data.js';

/**
 * The sandbox FHIR server as a browser CDS client uses it (the HL7 reference client,
 * ../shared/cds-hooks/clients.md): CORS, `Accept: application/json+fhir`, and searches as
 * `POST <Type>/_search` with a form body. Real HTTP against the real engine.
 */

const REFERENCE_ORIGIN = 'https://sandbox.cds-hooks.org';
const DSTU2_JSON = 'application/json+fhir';

let listed: SandboxFhirServer;
let open: SandboxFhirServer;
let closed: SandboxFhirServer;

beforeAll(async () => {
  [listed, open, closed] = await Promise.all([
    startSandboxFhirServer({ port: 0, corsOrigins: [REFERENCE_ORIGIN, 'http://localhost:8000'] }),
    startSandboxFhirServer({ port: 0, corsOrigins: '*' }),
    startSandboxFhirServer({ port: 0 }),
  ]);
  for (const s of [listed, open, closed]) {
    const res = await fetch(s.baseUrl, { method: 'POST', headers: { 'Content-Type': 'application/fhir+json' }, body: JSON.stringify(transaction(clinicalResources())) });
    if (res.status !== 200) throw new Error(`test data did not load: ${await res.text()}`);
  }
});

afterAll(async () => {
  await Promise.all([listed, open, closed].map((s) => s.close()));
});

/** A preflight as a browser sends it before the reference client's POST _search with a bearer token. */
const preflight = (server: SandboxFhirServer, origin: string): Promise<Response> =>
  fetch(`${server.baseUrl}/Observation/_search`, {
    method: 'OPTIONS',
    headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type' },
  });

/** The reference client's search: POST <Type>/_search, form-encoded, Accept application/json+fhir. */
const searchAsReferenceClient = (server: SandboxFhirServer, type: string, form: string, contentType = 'application/x-www-form-urlencoded'): Promise<Response> =>
  fetch(`${server.baseUrl}/${type}/_search`, {
    method: 'POST',
    headers: { Origin: REFERENCE_ORIGIN, Accept: DSTU2_JSON, 'Content-Type': contentType, Authorization: 'Bearer sandbox-token' },
    body: form,
  });

/** A GET with exactly these headers (fetch always adds an Accept of its own). */
function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; type: string; body: string }> {
  return new Promise((ok, fail) => {
    const req = httpRequest(url, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body }));
    });
    req.on('error', fail);
    req.end();
  });
}

describe('CORS', () => {
  it('answers the preflight of a POST _search with Authorization and a form body from a listed origin', async () => {
    const res = await preflight(listed, REFERENCE_ORIGIN);
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(REFERENCE_ORIGIN);
    expect(res.headers.get('access-control-allow-methods')?.split(',')).toContain('POST');
    expect(res.headers.get('access-control-allow-headers')?.toLowerCase().split(',')).toEqual(expect.arrayContaining(['authorization', 'content-type']));
  });

  it('opts in to a Private Network Access preflight (a public page calling the sandbox on loopback)', async () => {
    const res = await fetch(`${listed.baseUrl}/Observation/_search`, {
      method: 'OPTIONS',
      headers: { Origin: REFERENCE_ORIGIN, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Private-Network': 'true' },
    });
    expect(res.headers.get('access-control-allow-private-network')).toBe('true');
    expect((await preflight(listed, REFERENCE_ORIGIN)).headers.get('access-control-allow-private-network')).toBeNull();
  });

  it('does not allow an origin that is not listed', async () => {
    const res = await preflight(listed, 'https://elsewhere.example');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('with * allows any origin', async () => {
    expect((await preflight(open, 'https://anywhere.example')).headers.get('access-control-allow-origin')).toBe('*');
  });

  it('is off when no origins are given', async () => {
    expect((await preflight(closed, REFERENCE_ORIGIN)).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('a listed origin\'s actual responses, errors included, carry the allow-origin header and expose ETag', async () => {
    const read = await fetch(`${listed.baseUrl}/Patient/p1`, { headers: { Origin: REFERENCE_ORIGIN } });
    expect(read.headers.get('access-control-allow-origin')).toBe(REFERENCE_ORIGIN);
    expect(read.headers.get('access-control-expose-headers')).toContain('ETag');
    const missing = await fetch(`${listed.baseUrl}/Patient/nobody`, { headers: { Origin: REFERENCE_ORIGIN } });
    expect({ status: missing.status, origin: missing.headers.get('access-control-allow-origin') }).toEqual({ status: 404, origin: REFERENCE_ORIGIN });
  });
});

describe('JSON media types', () => {
  it.each([
    ['application/fhir+json', 'application/fhir+json'],
    [DSTU2_JSON, DSTU2_JSON],
    ['application/json', 'application/json'],
    ['*/*', 'application/fhir+json'],
    ['application/json, text/plain, */*', 'application/json'],
  ])('Accept: %s gets JSON labelled %s', async (accept, type) => {
    const res = await rawGet(`${listed.baseUrl}/Patient/p1`, { Accept: accept });
    expect({ status: res.status, type: res.type, resourceType: (JSON.parse(res.body) as { resourceType: string }).resourceType }).toEqual({
      status: 200,
      type: `${type}; charset=utf-8`,
      resourceType: 'Patient',
    });
  });

  it('no Accept gets application/fhir+json', async () => {
    const res = await rawGet(`${listed.baseUrl}/Patient/p1`, {});
    expect({ status: res.status, type: res.type }).toEqual({ status: 200, type: 'application/fhir+json; charset=utf-8' });
  });

  it.each(['application/fhir+xml', 'text/html'])('Accept: %s alone is 406 with an OperationOutcome', async (accept) => {
    const res = await rawGet(`${listed.baseUrl}/Patient/p1`, { Accept: accept });
    expect({ status: res.status, resourceType: (JSON.parse(res.body) as OperationOutcome).resourceType }).toEqual({ status: 406, resourceType: 'OperationOutcome' });
  });

  it.each([
    ['json', 'application/fhir+json'],
    ['application/json', 'application/json'],
    ['application%2Ffhir%2Bjson', 'application/fhir+json'],
    ['application/fhir+json', 'application/fhir+json'],
    ['application/json+fhir', DSTU2_JSON],
  ])('_format=%s is honoured, over an Accept it contradicts', async (format, type) => {
    const res = await rawGet(`${listed.baseUrl}/Patient/p1?_format=${format}`, { Accept: 'text/html' });
    expect({ status: res.status, type: res.type }).toEqual({ status: 200, type: `${type}; charset=utf-8` });
  });

  it.each(['xml', 'application/fhir+xml', 'html'])('_format=%s is 406', async (format) => {
    expect((await rawGet(`${listed.baseUrl}/Patient/p1?_format=${format}`, {})).status).toBe(406);
  });
});

describe('POST <Type>/_search as the reference client sends it', () => {
  const code = encodeURIComponent(`${LOINC}|${CHOLESTEROL}`);

  it('answers a form-encoded search with the searchset the GET search gives, labelled as asked', async () => {
    const res = await searchAsReferenceClient(listed, 'Observation', `patient=p1&code=${code}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(REFERENCE_ORIGIN);
    expect(res.headers.get('content-type')).toBe(`${DSTU2_JSON}; charset=utf-8`);
    const viaPost = (await res.json()) as Bundle;
    const viaGet = (await (await fetch(`${listed.baseUrl}/Observation?patient=p1&code=${code}`)).json()) as Bundle;
    expect(viaPost.type).toBe('searchset');
    expect(idsOf(viaPost).sort()).toEqual(idsOf(viaGet).sort());
    expect(idsOf(viaPost).length).toBeGreaterThan(1);
  });

  it('takes a charset on the form content type (as browsers and jQuery send it)', async () => {
    const res = await searchAsReferenceClient(listed, 'Observation', 'patient=p1', 'application/x-www-form-urlencoded; charset=UTF-8');
    expect(res.status).toBe(200);
  });

  it('its paging links carry the form parameters and work as GETs from the browser', async () => {
    const all = idsOf((await (await fetch(`${listed.baseUrl}/Observation?patient=p1&_count=1000`)).json()) as Bundle);
    let page = (await (await searchAsReferenceClient(listed, 'Observation', 'patient=p1&_count=2')).json()) as Bundle;
    const seen = [...idsOf(page)];
    for (let next = page.link?.find((l) => l.relation === 'next')?.url; next; next = page.link?.find((l) => l.relation === 'next')?.url) {
      expect(next.startsWith(`${listed.baseUrl}/Observation?`)).toBe(true);
      expect(new URL(next).searchParams.get('patient')).toBe('p1');
      const res = await fetch(next, { headers: { Origin: REFERENCE_ORIGIN, Accept: DSTU2_JSON } });
      expect({ status: res.status, origin: res.headers.get('access-control-allow-origin') }).toEqual({ status: 200, origin: REFERENCE_ORIGIN });
      page = (await res.json()) as Bundle;
      seen.push(...idsOf(page));
    }
    expect(all.length).toBeGreaterThan(2);
    expect(seen.sort()).toEqual([...all].sort());
  });

  it('a JSON body is 415 with an OperationOutcome, not a crash', async () => {
    const res = await searchAsReferenceClient(listed, 'Observation', '{"patient":"p1"}', 'application/json');
    expect({ status: res.status, resourceType: ((await res.json()) as OperationOutcome).resourceType }).toEqual({ status: 415, resourceType: 'OperationOutcome' });
  });
});
