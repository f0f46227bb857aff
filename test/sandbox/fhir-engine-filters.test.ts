/**
 * The sandbox engine answers token, date and reference filters from values cached per stored version
 * (src/sandbox/fhir-engine.ts compileFilter). Those answers must be medplum's own: checked here against
 * medplum's matcher on real fixture resources, for every operator, modifier and spelling in the pools below,
 * in seeded random combinations.
 */
import { describe, expect, it } from '@jest/globals';
import { matchesSearchRequest, parseSearchRequest, type Filter } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { compileFilter, ensureFhirDefinitions } from '../../src/sandbox/fhir-engine.js';

ensureFhirDefinitions();

const bundle = (file: string): Resource[] =>
  (JSON.parse(readFileSync(new URL(`../../fhir-fixtures/${file}`, import.meta.url), 'utf8')) as { entry: { resource: Resource }[] }).entry.map((e) => ({
    ...e.resource,
    id: e.resource.id ?? 'x',
  }));
// A CVD patient (lipids, BP, conditions, medications) and a CGM patient (readings, devices), as loaded.
const resources = [...bundle('01-cvd-high-risk-male.json'), ...bundle('26-cgm-glucose-tagged.json').slice(0, 400)];
const byType = new Map<string, Resource[]>();
for (const r of resources) byType.set(r.resourceType, [...(byType.get(r.resourceType) ?? []), r]);

const QUERIES: Record<string, string[]> = {
  Observation: [
    'code=http://loinc.org|2093-3', 'code=2093-3', 'code=http://LOINC.org|2093-3', 'code=|2093-3', 'code=http://loinc.org|', 'code=http://loinc.org|99504-3,http://loinc.org|2339-0',
    'code:not=http://loinc.org|2093-3', 'code:text=cholesterol', 'code:in=http://example.org/vs',
    'date=ge2026-01-01', 'date=lt2026-06-01T00:00:00Z', 'date=le2026', 'date=gt2026-05', 'date=2026-05-31', 'date=ne2026-05-31', 'date=sa2026-05-01', 'date=eb2026-05-20', 'date=ap2026-05-15',
    'date:missing=true', 'date:missing=false', 'category=vital-signs', 'category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory',
    'status=final', 'status:not=final', 'subject=Patient/cvd-high-risk-male', 'subject:not=Patient/cvd-high-risk-male', 'subject=', 'patient=Patient/cgm-glucose-tagged', 'device=Device/cgm-glucose-tagged-device-1',
  ],
  Condition: ['code=http://snomed.info/sct|44054006', 'clinical-status=active', 'patient=Patient/cvd-high-risk-male', 'onset-date=ge2020'],
  MedicationRequest: ['status=active', 'intent=order', 'code=http://www.nlm.nih.gov/research/umls/rxnorm|314076', 'authoredon=ge2025'],
  Device: ['type:text=glucose', 'patient=Patient/cgm-glucose-tagged'],
};

const filtersOf = (type: string, query: string): Filter[] => parseSearchRequest(`${type}?${query}`).filters ?? [];

describe('sandbox engine filters answer as medplum does', () => {
  it.each(Object.entries(QUERIES).flatMap(([type, qs]) => qs.map((q) => [type, q] as const)))('%s?%s', (type, query) => {
    const filters = filtersOf(type, query);
    expect(filters.length).toBeGreaterThan(0);
    for (const resource of byType.get(type) ?? []) {
      const stored = { seq: 0, resource: resource as Resource & { id: string }, cache: new Map<string, unknown>() };
      for (const f of filters) {
        const ours = compileFilter(type, f)(stored);
        expect({ id: resource.id, query, ours }).toEqual({ id: resource.id, query, ours: matchesSearchRequest(resource, { resourceType: type as 'Observation', filters: [f] }) });
        // The second call answers from the cache: the same.
        expect(compileFilter(type, f)(stored)).toBe(ours);
      }
    }
  });

  it('random combinations of those filters select the same resources (seeded)', () => {
    const obs = byType.get('Observation') ?? [];
    fc.assert(
      fc.property(fc.subarray(QUERIES['Observation']!, { minLength: 1, maxLength: 4 }), (queries) => {
        const filters = queries.flatMap((q) => filtersOf('Observation', q));
        const compiled = filters.map((f) => compileFilter('Observation', f));
        const ours = obs.filter((r) => {
          const stored = { seq: 0, resource: r as Resource & { id: string }, cache: new Map<string, unknown>() };
          return compiled.every((c) => c(stored));
        });
        const theirs = obs.filter((r) => matchesSearchRequest(r, { resourceType: 'Observation', filters }));
        expect(ours.map((r) => r.id)).toEqual(theirs.map((r) => r.id));
      }),
      { seed: 20261203, numRuns: 200 },
    );
  });
});

describe('warming the cached search values', () => {
  it('gives the same search answers as computing them on demand, and stops when aborted', async () => {
    const { createFhirEngine } = await import('../../src/sandbox/fhir-engine.js');
    const load = async () => {
      const engine = createFhirEngine();
      const entry = resources.map((r) => ({ resource: r, request: { method: 'PUT', url: `${r.resourceType}/${r.id}` } }));
      await engine.execute({ method: 'POST', url: '', body: { resourceType: 'Bundle', type: 'transaction', entry } });
      return engine;
    };
    const query = 'Observation?patient=cgm-glucose-tagged&code=http://loinc.org|2339-0,http://loinc.org|99504-3&date=ge2026-05-01&_sort=-date&_count=50';
    const cold = await load();
    const warm = await load();
    expect(await warm.repo.warmSearchValues({ Observation: ['code', 'date'] })).toBe(warm.repo.count('Observation'));
    const [, a] = await cold.execute({ method: 'GET', url: query });
    const [, b] = await warm.execute({ method: 'GET', url: query });
    const ids = (x: unknown) => ((x as { entry?: { resource: { id: string } }[] }).entry ?? []).map((e) => e.resource.id);
    expect(ids(b)).toEqual(ids(a));
    expect(ids(a).length).toBeGreaterThan(0);
    const stopped = new AbortController();
    stopped.abort();
    expect(await cold.repo.warmSearchValues({ Observation: ['code'] }, { signal: stopped.signal })).toBe(0);
  });
});
