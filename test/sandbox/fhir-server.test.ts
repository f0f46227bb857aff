import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Bundle, BundleEntry, CapabilityStatement, OperationOutcome, Resource } from '@medplum/fhirtypes';
import { startSandboxFhirServer, type SandboxFhirServer } from '../../src/sandbox/fhir-server.js';
import { CHOLESTEROL, clinicalResources, idsOf, LOINC, observation, SYSTOLIC, transaction } from './data.js';

const FHIR_JSON = { 'Content-Type': 'application/fhir+json' };

let server: SandboxFhirServer;

async function get<T = Bundle>(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: T; headers: Headers }> {
  const url = path.startsWith('http') ? path : `${server.baseUrl}/${path}`;
  const res = await fetch(url, { headers });
  return { status: res.status, body: (await res.json()) as T, headers: res.headers };
}

async function send<T = Resource>(method: string, path: string, body: unknown, headers: Record<string, string> = FHIR_JSON): Promise<{ status: number; body: T; headers: Headers }> {
  const res = await fetch(`${server.baseUrl}${path ? `/${path}` : ''}`, {
    method,
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T, headers: res.headers };
}

function link(bundle: Bundle, relation: string): string | undefined {
  return bundle.link?.find((l) => l.relation === relation)?.url;
}

beforeAll(async () => {
  server = await startSandboxFhirServer({ port: 0 });
  const loaded = await send('POST', '', transaction(clinicalResources()));
  if (loaded.status !== 200) {
    throw new Error(`test data did not load: ${JSON.stringify(loaded.body)}`);
  }
});

afterAll(async () => {
  await server.close();
});

describe('sandbox FHIR server: start-up', () => {
  it('listens on an ephemeral port when asked for port 0 and reports it in baseUrl', () => {
    expect(server.port).toBeGreaterThan(0);
    expect(server.baseUrl).toBe(`http://127.0.0.1:${server.port}/fhir`);
  });
});

describe('sandbox FHIR server: metadata', () => {
  it('GET /metadata returns an R4 CapabilityStatement for a JSON server', async () => {
    const { status, body } = await get<CapabilityStatement>('metadata');
    expect(status).toBe(200);
    expect({ type: body.resourceType, version: body.fhirVersion, json: body.format.includes('json'), mode: body.rest?.[0]?.mode }).toEqual({
      type: 'CapabilityStatement',
      version: '4.0.1',
      json: true,
      mode: 'server',
    });
  });

  it('lists Observation with read and search-type and its code, date and patient parameters', async () => {
    const { body } = await get<CapabilityStatement>('metadata');
    const obs = body.rest?.[0]?.resource?.find((r) => r.type === 'Observation');
    expect(obs?.interaction?.map((i) => i.code)).toEqual(expect.arrayContaining(['read', 'search-type']));
    expect(obs?.searchParam?.map((p) => p.name)).toEqual(expect.arrayContaining(['code', 'date', 'patient', 'subject', '_id']));
  });

  it('declares batch and transaction at system level', async () => {
    const { body } = await get<CapabilityStatement>('metadata');
    expect(body.rest?.[0]?.interaction?.map((i) => i.code)).toEqual(expect.arrayContaining(['batch', 'transaction']));
  });

  it('answers with application/fhir+json', async () => {
    const { headers } = await get('metadata');
    expect(headers.get('content-type')).toMatch(/^application\/fhir\+json/);
  });
});

describe('sandbox FHIR server: read', () => {
  it('reads a resource by id', async () => {
    const { status, body } = await get<Resource>('Patient/p1');
    expect({ status, type: body.resourceType, id: body.id }).toEqual({ status: 200, type: 'Patient', id: 'p1' });
  });

  it('sends the version as a weak ETag', async () => {
    const { body, headers } = await get<Resource>('Patient/p1');
    expect(headers.get('etag')).toBe(`W/"${body.meta?.versionId}"`);
  });

  it('answers 404 with an OperationOutcome for an unknown id', async () => {
    const { status, body } = await get<OperationOutcome>('Patient/does-not-exist');
    expect({ status, type: body.resourceType }).toEqual({ status: 404, type: 'OperationOutcome' });
  });

  it('answers 404 with an OperationOutcome for an unknown resource type', async () => {
    const { status, body } = await get<OperationOutcome>('Spaceship/1');
    expect({ status, type: body.resourceType }).toEqual({ status: 404, type: 'OperationOutcome' });
  });

  it('answers 404 with an OperationOutcome outside /fhir', async () => {
    const res = await fetch(server.baseUrl.replace(/\/fhir$/, '/elsewhere'));
    expect({ status: res.status, type: ((await res.json()) as Resource).resourceType }).toEqual({ status: 404, type: 'OperationOutcome' });
  });
});

describe('sandbox FHIR server: search', () => {
  it('a bare patient id finds the same Observations as Patient/<id>', async () => {
    const bare = await get('Observation?patient=p1');
    const typed = await get('Observation?patient=Patient/p1');
    expect(idsOf(bare.body).sort()).toEqual(idsOf(typed.body).sort());
  });

  it('patient=p1 finds every Observation of p1 and nothing else', async () => {
    const { body } = await get('Observation?patient=p1');
    expect(idsOf(body).sort()).toEqual(['bp-1', 'bp-2', 'chol-1', 'chol-2', 'chol-3', 'chol-other-system']);
  });

  it('a bare subject id also matches other target types with that id (Group/p1)', async () => {
    const { body } = await get('Observation?subject=p1&code=2093-3');
    expect(idsOf(body).sort()).toEqual(['chol-1', 'chol-2', 'chol-3', 'chol-other-system', 'group-obs']);
  });

  it('subject:Patient=p1 is the same as subject=Patient/p1', async () => {
    const modifier = await get('Observation?subject:Patient=p1');
    const typed = await get('Observation?subject=Patient/p1');
    expect(idsOf(modifier.body).sort()).toEqual(idsOf(typed.body).sort());
  });

  it('code=2093-3 matches the code in any system', async () => {
    const { body } = await get('Observation?patient=p1&code=2093-3');
    expect(idsOf(body).sort()).toEqual(['chol-1', 'chol-2', 'chol-3', 'chol-other-system']);
  });

  it('code=http://loinc.org|2093-3 matches only LOINC codings', async () => {
    const { body } = await get(`Observation?patient=p1&code=${encodeURIComponent(`${LOINC}|${CHOLESTEROL}`)}`);
    expect(idsOf(body).sort()).toEqual(['chol-1', 'chol-2', 'chol-3']);
  });

  it('date=ge filters by effective date', async () => {
    const { body } = await get('Observation?patient=p1&date=ge2024-06-01');
    expect(idsOf(body).sort()).toEqual(['bp-2', 'chol-2', 'chol-3']);
  });

  it('_sort=-date&_count=1 returns the most recent Observation', async () => {
    const { body } = await get(`Observation?patient=p1&code=${CHOLESTEROL}&_sort=-date&_count=1`);
    expect(idsOf(body)).toEqual(['chol-2']);
  });

  it('_sort=date orders oldest first, comparing instants across time zones', async () => {
    const { body } = await get(`Observation?patient=p1&code=${SYSTOLIC},${CHOLESTEROL}&_sort=date`);
    expect(idsOf(body)).toEqual(['chol-1', 'bp-1', 'chol-other-system', 'chol-3', 'bp-2', 'chol-2']);
  });

  it('total counts every match even when the page is smaller', async () => {
    const { body } = await get('Observation?patient=p1&_count=2');
    expect({ total: body.total, page: body.entry?.length }).toEqual({ total: 6, page: 2 });
  });

  it('entries carry an absolute fullUrl and search.mode match', async () => {
    const { body } = await get('Observation?_id=chol-1');
    expect(body.entry?.[0]).toMatchObject({ fullUrl: `${server.baseUrl}/Observation/chol-1`, search: { mode: 'match' } });
  });

  it('POST _search with a form body equals the GET search', async () => {
    const res = await fetch(`${server.baseUrl}/Observation/_search`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'patient=p1&code=2093-3',
    });
    const viaGet = await get('Observation?patient=p1&code=2093-3');
    expect(idsOf((await res.json()) as Bundle).sort()).toEqual(idsOf(viaGet.body).sort());
  });

  it('an unsupported parameter is ignored, reported in an outcome entry and left out of the self link', async () => {
    const { body } = await get('Observation?patient=p1&frobnicate=yes');
    const outcome = body.entry?.find((e) => e.search?.mode === 'outcome')?.resource as OperationOutcome | undefined;
    expect({ total: body.total, warning: outcome?.issue[0]?.severity, self: link(body, 'self')?.includes('frobnicate') }).toEqual({
      total: 6,
      warning: 'warning',
      self: false,
    });
  });

  it('Prefer: handling=strict turns an unsupported parameter into a 400', async () => {
    const { status, body } = await get<OperationOutcome>('Observation?frobnicate=yes', { Prefer: 'handling=strict' });
    expect({ status, type: body.resourceType }).toEqual({ status: 400, type: 'OperationOutcome' });
  });

  it('an invalid date value is a 400 OperationOutcome', async () => {
    const { status, body } = await get<OperationOutcome>('Observation?date=yesterday');
    expect({ status, type: body.resourceType }).toEqual({ status: 400, type: 'OperationOutcome' });
  });

  it('a negative _count is a 400 OperationOutcome', async () => {
    const { status, body } = await get<OperationOutcome>('Observation?_count=-1');
    expect({ status, type: body.resourceType }).toEqual({ status: 400, type: 'OperationOutcome' });
  });
});

describe('sandbox FHIR server: paging', () => {
  async function collect(first: string): Promise<{ ids: string[]; pages: number }> {
    const ids: string[] = [];
    let pages = 0;
    let next: string | undefined = first;
    while (next && pages < 20) {
      const { body }: { body: Bundle } = await get(next);
      ids.push(...idsOf(body));
      next = link(body, 'next');
      pages++;
    }
    return { ids, pages };
  }

  it('following next links to the end yields every match exactly once', async () => {
    const all = await get('Observation?_sort=date&_count=1000');
    const paged = await collect(`${server.baseUrl}/Observation?_sort=date&_count=3`);
    expect(paged.ids).toEqual(idsOf(all.body));
  });

  it('pages unsorted results without repeats or gaps too', async () => {
    const all = await get('Observation?_count=1000');
    const paged = await collect(`${server.baseUrl}/Observation?_count=4`);
    expect(paged.ids.sort()).toEqual(idsOf(all.body).sort());
  });

  it('the last page has no next link', async () => {
    const { body } = await get('Observation?patient=p1&_count=4&_offset=4');
    expect(link(body, 'next')).toBeUndefined();
  });

  it('links are absolute URLs on the server base, carrying _count and _offset', async () => {
    const { body } = await get('Observation?patient=p1&_count=2&_offset=2');
    expect({ self: link(body, 'self'), previous: link(body, 'previous'), next: link(body, 'next') }).toEqual({
      self: `${server.baseUrl}/Observation?patient=p1&_count=2&_offset=2`,
      previous: `${server.baseUrl}/Observation?patient=p1&_count=2`,
      next: `${server.baseUrl}/Observation?patient=p1&_count=2&_offset=4`,
    });
  });

  it('uses a page size of 50 when _count is absent', async () => {
    const { body } = await get('Observation?patient=p1');
    expect(link(body, 'self')).toContain('_count=50');
  });

  it('lowers a _count above 1000 to 1000', async () => {
    const { body } = await get('Observation?_count=5000');
    expect(link(body, 'self')).toContain('_count=1000');
  });

  it('_summary=count returns the total without entries', async () => {
    const { body } = await get('Observation?patient=p1&_summary=count');
    expect({ total: body.total, entries: body.entry }).toEqual({ total: 6, entries: undefined });
  });
});

describe('sandbox FHIR server: create, update, vread, delete', () => {
  it('POST creates with a server-assigned id (ignoring the client id), 201 and a Location', async () => {
    const { status, body, headers } = await send('POST', 'Patient', { resourceType: 'Patient', id: 'client-chosen' });
    expect({ status, idIgnored: body.id !== 'client-chosen', location: headers.get('location') }).toEqual({
      status: 201,
      idIgnored: true,
      location: `${server.baseUrl}/Patient/${body.id}/_history/${body.meta?.versionId}`,
    });
  });

  it('PUT updates and the earlier version stays readable with vread', async () => {
    const first = await send('PUT', 'Patient/upd-1', { resourceType: 'Patient', id: 'upd-1', gender: 'female' });
    await send('PUT', 'Patient/upd-1', { resourceType: 'Patient', id: 'upd-1', gender: 'male' });
    const old = await get<Resource & { gender?: string }>(`Patient/upd-1/_history/${first.body.meta?.versionId}`);
    const now = await get<Resource & { gender?: string }>('Patient/upd-1');
    expect([old.body.gender, now.body.gender]).toEqual(['female', 'male']);
  });

  it('PUT with an id that differs from the URL is a 400', async () => {
    const { status } = await send('PUT', 'Patient/upd-2', { resourceType: 'Patient', id: 'other' });
    expect(status).toBe(400);
  });

  it('PATCH applies a JSON Patch', async () => {
    await send('PUT', 'Patient/patch-1', { resourceType: 'Patient', id: 'patch-1', gender: 'female' });
    const patch = [{ op: 'replace', path: '/gender', value: 'other' }];
    const { status, body } = await send<Resource & { gender?: string }>('PATCH', 'Patient/patch-1', patch, { 'Content-Type': 'application/json-patch+json' });
    expect({ status, gender: body.gender }).toEqual({ status: 200, gender: 'other' });
  });

  it('a type-level DELETE without search criteria is a 400, not a wipe', async () => {
    const res = await fetch(`${server.baseUrl}/Condition`, { method: 'DELETE' });
    const after = await get('Condition?_summary=count');
    expect({ status: res.status, remaining: after.body.total }).toEqual({ status: 400, remaining: 2 });
  });

  it('DELETE removes the resource from reads and searches', async () => {
    await send('PUT', 'Observation/del-1', observation({ id: 'del-1', subject: 'Patient/del-p', code: CHOLESTEROL }));
    const deleted = await fetch(`${server.baseUrl}/Observation/del-1`, { method: 'DELETE' });
    const read = await get('Observation/del-1');
    const search = await get('Observation?patient=del-p');
    expect([deleted.status, read.status, search.body.total]).toEqual([200, 404, 0]);
  });
});

describe('sandbox FHIR server: bad requests', () => {
  it('invalid JSON is a 400 OperationOutcome', async () => {
    const { status, body } = await send<OperationOutcome>('POST', 'Patient', '{"resourceType": "Patient",');
    expect({ status, type: body.resourceType }).toEqual({ status: 400, type: 'OperationOutcome' });
  });

  it('the error body never contains a stack trace', async () => {
    const res = await fetch(`${server.baseUrl}/Patient`, { method: 'POST', headers: FHIR_JSON, body: '{oops' });
    expect(await res.text()).not.toMatch(/\bat .*\.(js|ts):\d+/);
  });

  it('a non-JSON body is a 415 OperationOutcome', async () => {
    const { status, body } = await send<OperationOutcome>('POST', 'Patient', '<Patient/>', { 'Content-Type': 'application/fhir+xml' });
    expect({ status, type: body.resourceType }).toEqual({ status: 415, type: 'OperationOutcome' });
  });

  it('a body whose resourceType does not match the URL is a 400', async () => {
    const { status } = await send('POST', 'Patient', { resourceType: 'Observation' });
    expect(status).toBe(400);
  });

  it('asking for XML only is a 406', async () => {
    const { status } = await get('Patient/p1', { Accept: 'application/fhir+xml' });
    expect(status).toBe(406);
  });
});

describe('sandbox FHIR server: batch and transaction', () => {
  it('a transaction resolves urn:uuid references to the ids it assigns', async () => {
    const patientUrn = 'urn:uuid:6f1d3a52-8c1e-4f8e-9a6b-0c2d7b1e4a11';
    const { status, body } = await send<Bundle>('POST', '', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: patientUrn, resource: { resourceType: 'Patient', name: [{ family: 'Urn' }] }, request: { method: 'POST', url: 'Patient' } },
        { resource: { ...observation({ id: 'x', subject: patientUrn, code: CHOLESTEROL }), id: undefined }, request: { method: 'POST', url: 'Observation' } },
      ],
    });
    const patientId = body.entry?.[0]?.resource?.id;
    const obs = body.entry?.[1]?.resource as { subject?: { reference?: string } } | undefined;
    expect({ status, type: body.type, subject: obs?.subject?.reference }).toEqual({
      status: 200,
      type: 'transaction-response',
      subject: `Patient/${patientId}`,
    });
  });

  it('resources from a transaction are searchable by the resolved patient', async () => {
    const urn = 'urn:uuid:0b7a6c1e-2d3f-4a5b-8c9d-0e1f2a3b4c5d';
    const { body } = await send<Bundle>('POST', '', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: urn, resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } },
        { resource: observation({ id: 'tx-obs', subject: urn, code: SYSTOLIC }), request: { method: 'PUT', url: 'Observation/tx-obs' } },
      ],
    });
    const search = await get(`Observation?patient=${body.entry?.[0]?.resource?.id}`);
    expect(idsOf(search.body)).toEqual(['tx-obs']);
  });

  it('PUT entries keep their fixed ids', async () => {
    const { body } = await send<Bundle>('POST', '', transaction([{ resourceType: 'Patient', id: 'fixed-id-1' }]));
    expect(body.entry?.[0]?.response?.location).toBe('Patient/fixed-id-1');
  });

  it('a failing transaction is a 4xx OperationOutcome and leaves nothing behind', async () => {
    const { status, body } = await send<OperationOutcome>('POST', '', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { resource: { resourceType: 'Patient', id: 'tx-rollback' }, request: { method: 'PUT', url: 'Patient/tx-rollback' } },
        { resource: { resourceType: 'Patient', id: 'mismatch' }, request: { method: 'PUT', url: 'Patient/tx-other' } },
      ],
    });
    const read = await get('Patient/tx-rollback');
    expect({ status, type: body.resourceType, leftover: read.status }).toEqual({ status: 400, type: 'OperationOutcome', leftover: 404 });
  });

  it('a batch runs every entry independently and reports each status', async () => {
    const { status, body } = await send<Bundle>('POST', '', {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        { resource: { resourceType: 'Patient', id: 'batch-ok' }, request: { method: 'PUT', url: 'Patient/batch-ok' } },
        { request: { method: 'GET', url: 'Patient/batch-missing' } },
        { request: { method: 'GET', url: 'Patient/p1' } },
      ] satisfies BundleEntry[],
    });
    expect({ status, type: body.type, statuses: body.entry?.map((e) => e.response?.status) }).toEqual({
      status: 200,
      type: 'batch-response',
      statuses: ['200', '404', '200'],
    });
  });
});
