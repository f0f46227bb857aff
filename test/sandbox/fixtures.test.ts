import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFhirEngine } from '../../src/sandbox/fhir-engine.js';
import { loadFixtures, rebaseBundleDates, rebaseDays, shiftDateString } from '../../src/sandbox/fixtures.js';
import { observation, transaction } from './data.js';

const ANCHOR = '2026-06-01T00:00:00Z';
/** 10 days after the anchor, late in the UTC day. */
const TODAY = new Date('2026-06-11T23:30:00Z');

function bundleWith(resource: Resource, timestamp = ANCHOR): Bundle {
  return transaction([resource], timestamp);
}

function rebasedResource(resource: Resource, today = TODAY): Record<string, unknown> {
  return rebaseBundleDates(bundleWith(resource), today).entry?.[0]?.resource as unknown as Record<string, unknown>;
}

describe('rebaseDays', () => {
  it('counts whole days from the anchor date to today (UTC)', () => {
    expect(rebaseDays(ANCHOR, TODAY)).toBe(10);
  });

  it('is negative when today is before the anchor', () => {
    expect(rebaseDays(ANCHOR, new Date('2026-05-30T12:00:00Z'))).toBe(-2);
  });

  it('rejects an anchor without day precision', () => {
    expect(() => rebaseDays('2026-06', TODAY)).toThrow(/day precision/);
  });
});

describe('shiftDateString', () => {
  it('shifts a date by whole days across month and year ends', () => {
    expect(shiftDateString('2025-12-25', 10)).toBe('2026-01-04');
  });

  it('keeps the time, fractional seconds and offset of a dateTime', () => {
    expect(shiftDateString('2024-02-28T23:15:00.123+05:30', 2)).toBe('2024-03-01T23:15:00.123+05:30');
  });

  it('leaves year and year-month precision alone', () => {
    expect([shiftDateString('2019', 10), shiftDateString('2019-04', 10)]).toEqual(['2019', '2019-04']);
  });

  it('leaves strings that are not FHIR dates alone', () => {
    expect(['2093-3', 'hello', '2024-13-01', '2024-02-30'].map((v) => shiftDateString(v, 5))).toEqual(['2093-3', 'hello', '2024-13-01', '2024-02-30']);
  });
});

describe('rebaseBundleDates', () => {
  it('shifts dates in any element (birthDate, effectiveDateTime, period, issued, nested extension)', () => {
    const resource = {
      ...observation({ id: 'o', subject: 'Patient/p', code: '1', period: { start: '2026-01-01', end: '2026-01-02T10:00:00Z' } }),
      issued: '2026-01-03T00:00:00.000Z',
      extension: [{ url: 'http://example.org/x', valueDateTime: '2026-01-04' }],
    };
    const out = rebasedResource(resource);
    expect([out.effectivePeriod, out.issued, (out.extension as { valueDateTime: string }[])[0]?.valueDateTime]).toEqual([
      { start: '2026-01-11', end: '2026-01-12T10:00:00Z' },
      '2026-01-13T00:00:00.000Z',
      '2026-01-14',
    ]);
  });

  it('shifts a Patient birthDate so ages stay the same', () => {
    expect(rebasedResource({ resourceType: 'Patient', id: 'p', birthDate: '1960-05-01' }).birthDate).toBe('1960-05-11');
  });

  it('does not touch ids, identifier values, codes or text that look like dates', () => {
    const patient = {
      resourceType: 'Patient',
      id: '2026-01-01',
      identifier: [{ system: 'urn:x', value: '2026-01-01' }],
      name: [{ text: '2026-01-01' }],
    } as Resource;
    expect(rebasedResource(patient)).toEqual(patient);
  });

  it('moves Bundle.timestamp too, so rebasing again the same day changes nothing', () => {
    const once = rebaseBundleDates(bundleWith({ resourceType: 'Patient', id: 'p', birthDate: '1960-05-01' }), TODAY);
    expect(rebaseBundleDates(once, TODAY)).toEqual(once);
  });

  it('does not mutate its input', () => {
    const input = bundleWith({ resourceType: 'Patient', id: 'p', birthDate: '1960-05-01' });
    const snapshot = structuredClone(input);
    rebaseBundleDates(input, TODAY);
    expect(input).toEqual(snapshot);
  });

  it('requires Bundle.timestamp', () => {
    expect(() => rebaseBundleDates(transaction([]), TODAY)).toThrow(/timestamp/);
  });
});

describe('loadFixtures', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sandbox-fixtures-'));
    await writeFile(join(dir, '20-observations.json'), JSON.stringify(transaction([observation({ id: 'o1', subject: 'Patient/p1', code: '1', when: '2026-05-01T08:00:00Z' }), observation({ id: 'o2', subject: 'Patient/p1', code: '1' })], ANCHOR)));
    await writeFile(join(dir, '10-patients.json'), JSON.stringify(transaction([{ resourceType: 'Patient', id: 'p1', birthDate: '1960-05-01' }], ANCHOR)));
    await writeFile(join(dir, 'README.md'), 'not a fixture');
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads every *.json file in name order and counts resources', async () => {
    const report = await loadFixtures(createFhirEngine(), dir, { today: TODAY });
    expect({ files: report.files.map((f) => [f.file, f.resources, f.shiftDays]), resources: report.resources }).toEqual({
      files: [
        ['10-patients.json', 1, 10],
        ['20-observations.json', 2, 10],
      ],
      resources: 3,
    });
  });

  it('stores rebased dates by default', async () => {
    const engine = createFhirEngine();
    await loadFixtures(engine, dir, { today: TODAY });
    const obs = await engine.repo.readResource<Resource & { effectiveDateTime?: string }>('Observation', 'o1');
    expect(obs.effectiveDateTime).toBe('2026-05-11T08:00:00Z');
  });

  it('stores dates as written when rebasing is off', async () => {
    const engine = createFhirEngine();
    await loadFixtures(engine, dir, { today: TODAY, rebaseDates: false });
    const obs = await engine.repo.readResource<Resource & { effectiveDateTime?: string }>('Observation', 'o1');
    expect(obs.effectiveDateTime).toBe('2026-05-01T08:00:00Z');
  });

  it('names the file when a fixture is not a transaction Bundle', async () => {
    const bad = await mkdtemp(join(tmpdir(), 'sandbox-fixtures-bad-'));
    await writeFile(join(bad, 'broken.json'), JSON.stringify({ resourceType: 'Bundle', type: 'collection' }));
    await expect(loadFixtures(createFhirEngine(), bad)).rejects.toThrow(/broken\.json/);
    await rm(bad, { recursive: true, force: true });
  });

  it('names the file when its transaction fails', async () => {
    const bad = await mkdtemp(join(tmpdir(), 'sandbox-fixtures-bad-'));
    const failing = { ...transaction([], ANCHOR), entry: [{ resource: { resourceType: 'Patient', id: 'a' }, request: { method: 'PUT', url: 'Patient/b' } }] };
    await writeFile(join(bad, 'failing.json'), JSON.stringify(failing));
    await expect(loadFixtures(createFhirEngine(), bad)).rejects.toThrow(/failing\.json/);
    await rm(bad, { recursive: true, force: true });
  });
});
