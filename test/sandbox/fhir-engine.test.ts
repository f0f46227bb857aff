import { beforeAll, describe, expect, it } from '@jest/globals';
import { parseSearchRequest } from '@medplum/core';
import { MemoryRepository } from '@medplum/fhir-router';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { createFhirEngine, type FhirEngine } from '../../src/sandbox/fhir-engine.js';
import { CHOLESTEROL, clinicalResources, observation, SYSTOLIC, transaction } from './data.js';

/** Ids and total of a search, in result order. */
async function search(engine: FhirEngine, query: string): Promise<{ ids: string[]; total: number | undefined }> {
  const bundle = await engine.repo.search(parseSearchRequest(query));
  return { ids: (bundle.entry ?? []).map((e) => e.resource?.id ?? ''), total: bundle.total };
}

async function load(engine: FhirEngine, resources: Resource[]): Promise<void> {
  const [outcome] = await engine.execute({ method: 'POST', url: '', body: transaction(resources) });
  if (outcome.id !== 'ok') {
    throw new Error(JSON.stringify(outcome));
  }
}

/** A few patients with interleaved writes, so index candidates and scan order could drift apart. */
function mixedResources(): Resource[] {
  const resources = clinicalResources();
  for (let i = 0; i < 30; i++) {
    const patient = `Patient/p${(i % 3) + 1}`;
    const code = i % 2 ? CHOLESTEROL : SYSTOLIC;
    resources.push(observation({ id: `mix-${i}`, subject: patient, code, when: `2024-0${(i % 9) + 1}-1${i % 10}`, value: i }));
  }
  resources.push({ resourceType: 'Observation', id: 'no-subject', status: 'final', code: { text: 'orphan' } } as Resource);
  return resources;
}

const QUERIES = [
  'Observation?patient=p1',
  'Observation?patient=Patient/p1',
  'Observation?subject=p1',
  'Observation?subject=Patient/p2&code=2093-3',
  'Observation?patient=p1,p3',
  'Observation?patient=Patient/p1&_sort=-date',
  'Observation?patient=p2&_sort=date&_count=3&_offset=2',
  'Observation?patient=Patient/p1&date=ge2024-05-01',
  'Observation?patient=nobody',
  'Observation?patient=',
  'Observation?patient:missing=true',
  'Observation?subject:not=Patient/p1',
  'Condition?patient=p2',
];

describe('patient-compartment index', () => {
  let indexed: FhirEngine;
  let scanned: FhirEngine;

  beforeAll(async () => {
    indexed = createFhirEngine({ patientIndex: true });
    scanned = createFhirEngine({ patientIndex: false });
    for (const engine of [indexed, scanned]) {
      await load(engine, mixedResources());
    }
  });

  it.each(QUERIES)('%s: same results, order and total with and without the index', async (query) => {
    expect(await search(indexed, query)).toEqual(await search(scanned, query));
  });

  /** medplum's scan knows no bare ids and sorts differently, so compare typed, unsorted, unpaged queries. */
  const MEDPLUM_COMPARABLE = [
    'Observation?patient=Patient/p1',
    'Observation?subject=Patient/p2&code=2093-3',
    'Observation?patient=Patient/p1&date=ge2024-05-01',
    'Observation?patient=',
    'Observation?subject:not=Patient/p1',
  ];

  it.each(MEDPLUM_COMPARABLE)("%s: same result set as medplum's own linear scan", async (query) => {
    const ours = await search(indexed, query);
    const medplum = await MemoryRepository.prototype.search.call(indexed.repo, parseSearchRequest(query));
    expect(ours.ids.sort()).toEqual((medplum.entry ?? []).map((e) => e.resource?.id ?? '').sort());
  });

  it('stays exact after updates move a resource to another patient and deletes', async () => {
    for (const engine of [indexed, scanned]) {
      await engine.execute({ method: 'PUT', url: 'Observation/mix-0', body: observation({ id: 'mix-0', subject: 'Patient/p2', code: SYSTOLIC }) });
      await engine.execute({ method: 'DELETE', url: 'Observation/mix-1' });
      await engine.execute({ method: 'PUT', url: 'Observation/mix-1', body: observation({ id: 'mix-1', subject: 'Patient/p1', code: SYSTOLIC }) });
    }
    const results = await Promise.all(QUERIES.map(async (q) => [await search(indexed, q), await search(scanned, q)]));
    expect(results.map(([a]) => a)).toEqual(results.map(([, b]) => b));
  });

  it('a bare id and Patient/<id> give the same result', async () => {
    expect(await search(indexed, 'Observation?patient=p3')).toEqual(await search(indexed, 'Observation?patient=Patient/p3'));
  });
});

describe('engine transactions', () => {
  it('a failed transaction restores the version it overwrote', async () => {
    const engine = createFhirEngine();
    await load(engine, [{ resourceType: 'Patient', id: 'keep', gender: 'female' } as Resource]);
    const before = await engine.repo.readResource('Patient', 'keep');
    const [outcome] = await engine.execute({
      method: 'POST',
      url: '',
      body: {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { resource: { resourceType: 'Patient', id: 'keep', gender: 'male' }, request: { method: 'PUT', url: 'Patient/keep' } },
          { resource: { resourceType: 'Patient', id: 'mismatch' }, request: { method: 'PUT', url: 'Patient/other' } },
        ],
      } satisfies Bundle,
    });
    expect({ failed: outcome.id !== 'ok', after: await engine.repo.readResource('Patient', 'keep') }).toEqual({ failed: true, after: before });
  });

  it('a failed transaction removes what it created, from reads and from the index', async () => {
    const engine = createFhirEngine();
    await engine.execute({
      method: 'POST',
      url: '',
      body: {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { resource: observation({ id: 'new-obs', subject: 'Patient/z', code: CHOLESTEROL }), request: { method: 'PUT', url: 'Observation/new-obs' } },
          { resource: { resourceType: 'Patient', id: 'mismatch' }, request: { method: 'PUT', url: 'Patient/other' } },
        ],
      } satisfies Bundle,
    });
    const found = await search(engine, 'Observation?patient=z');
    expect({ found, stored: engine.repo.count('Observation') }).toEqual({ found: { ids: [], total: 0 }, stored: 0 });
  });

  it('a transaction can carry more than 50 updates', async () => {
    const engine = createFhirEngine();
    const many = Array.from({ length: 120 }, (_, i) => observation({ id: `o${i}`, subject: 'Patient/big', code: SYSTOLIC }));
    await load(engine, many);
    expect(engine.repo.count('Observation')).toBe(120);
  });
});

describe('search sorting', () => {
  it('sorts by the first _sort key, then the next', async () => {
    const engine = createFhirEngine();
    await load(engine, [
      observation({ id: 'a', subject: 'Patient/s', code: SYSTOLIC, when: '2024-01-01' }),
      observation({ id: 'b', subject: 'Patient/s', code: CHOLESTEROL, when: '2024-01-01' }),
      observation({ id: 'c', subject: 'Patient/s', code: CHOLESTEROL, when: '2023-01-01' }),
    ]);
    expect((await search(engine, 'Observation?_sort=-date,code')).ids).toEqual(['b', 'a', 'c']);
  });

  it('compares dateTimes as instants, not as text', async () => {
    const engine = createFhirEngine();
    await load(engine, [
      observation({ id: 'utc-7am', subject: 'Patient/s', code: SYSTOLIC, when: '2024-02-01T07:00:00Z' }),
      observation({ id: 'plus2-8am', subject: 'Patient/s', code: SYSTOLIC, when: '2024-02-01T08:00:00+02:00' }),
    ]);
    expect((await search(engine, 'Observation?_sort=date')).ids).toEqual(['plus2-8am', 'utc-7am']);
  });
});
