import { describe, expect, it } from '@jest/globals';
import type { Bundle, BundleEntry } from 'fhir/r4.js';
import { matchCount, remainingGap, visibleGap } from '../../src/cds/completeness.js';

/** Detection of visibly incomplete search results (FHIR R4 §Paging, §Bundle.total), and the words for why. */
const BASE = 'https://fhir.example.org/r4';
const obs = (i: number, mode?: 'match' | 'include' | 'outcome'): BundleEntry => ({
  resource: { resourceType: 'Observation', id: `o${i}`, status: 'final', code: { text: 'x' } },
  ...(mode ? { search: { mode } } : {}),
});
const bundle = (entries: BundleEntry[], extra: Partial<Bundle> = {}): Bundle => ({ resourceType: 'Bundle', type: 'searchset', entry: entries, ...extra });
const next = (url = `${BASE}/Observation?patient=p1&_page=2`) => ({ link: [{ relation: 'self', url: `${BASE}/Observation?patient=p1` }, { relation: 'next', url }] });

describe('visibly incomplete search Bundles', () => {
  it('a next link makes a Bundle incomplete, whatever its total says', () => {
    expect(visibleGap(bundle([obs(1)], next()))).toEqual({ matches: 1, next: `${BASE}/Observation?patient=p1&_page=2` });
    expect(visibleGap(bundle([obs(1)], { total: 1, ...next() }))).toMatchObject({ matches: 1, total: 1 });
  });

  it('a total above the match entries makes it incomplete without a next link', () => {
    expect(visibleGap(bundle([obs(1), obs(2)], { total: 3 }))).toEqual({ matches: 2, total: 3 });
  });

  it('a total equal to the matches, or no total and no next link, is complete', () => {
    expect(visibleGap(bundle([obs(1), obs(2)], { total: 2 }))).toBeUndefined();
    expect(visibleGap(bundle([obs(1)]))).toBeUndefined();
    expect(visibleGap(bundle([], { total: 0, link: [{ relation: 'self', url: BASE }] }))).toBeUndefined();
  });

  it('include and outcome entries are not matches: they neither fill nor inflate the count', () => {
    const b = bundle([obs(1, 'match'), obs(2), obs(3, 'include'), obs(4, 'outcome')], { total: 3 });
    expect(matchCount(b)).toBe(2);
    expect(visibleGap(b)).toEqual({ matches: 2, total: 3 });
    expect(visibleGap(bundle([obs(1, 'match'), obs(2, 'include')], { total: 1 }))).toBeUndefined();
  });

  it('a next link without a URL still counts (it cannot be followed)', () => {
    expect(visibleGap(bundle([obs(1)], { link: [{ relation: 'next' } as unknown as { relation: string; url: string }] }))).toEqual({ matches: 1, next: '' });
  });

  it('a resource that is not a Bundle, null and a total below the matches are not incomplete', () => {
    expect(visibleGap({ resourceType: 'Patient', id: 'p1' })).toBeUndefined();
    expect(visibleGap(null)).toBeUndefined();
    expect(visibleGap(bundle([obs(1), obs(2)], { total: 1 }))).toBeUndefined();
  });
});

describe('what stays missing after paging, and why', () => {
  const fhir = { baseUrl: BASE, maxPages: 20 };

  it('a next link on the server after paging: the page limit stopped it', () => {
    const g = remainingGap(bundle(Array.from({ length: 4 }, (_, i) => obs(i)), { total: 8064, ...next() }), fhir);
    expect(g).toMatchObject({ cause: 'page-limit', received: 4, total: 8064 });
    expect(g!.reason).toContain('FHIR_MAX_PAGES (20 pages)');
    expect(g!.reason).toContain('4 of 8,064 entries');
  });

  it('a next link to another server: never followed', () => {
    expect(remainingGap(bundle([obs(1)], next('https://elsewhere.example/fhir/Observation?p=2')), fhir)).toMatchObject({ cause: 'foreign-link', received: 1 });
    expect(remainingGap(bundle([obs(1)], next(`${BASE}-evil/Observation?p=2`)), fhir)?.cause).toBe('foreign-link');
  });

  it('pages that end below the total: said as such', () => {
    expect(remainingGap(bundle([obs(1)], { total: 2 }), fhir)).toMatchObject({ cause: 'short-pages', received: 1, total: 2 });
  });

  it('a whole result has no gap', () => {
    expect(remainingGap(bundle([obs(1)], { total: 1 }), fhir)).toBeUndefined();
  });

  it('the words never carry a URL (paging links hold patient ids)', () => {
    for (const b of [bundle([obs(1)], next()), bundle([obs(1)], next('https://elsewhere.example/fhir/Observation?patient=secret-id'))]) {
      const g = remainingGap(b, fhir)!;
      expect(g.reason).not.toMatch(/https?:|p1|secret-id/);
    }
  });
});
