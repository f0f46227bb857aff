import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { CARDS_DIR } from '../../src/app.js';
import { loadCardTemplates } from '../../src/cards/templates.js';
import { derivedKind, loadProfileRules, shapeForProfile, topicCode, topicDisplay } from '../../src/cds/profiles/index.js';
import type { Card } from '../../src/cds/types.js';
import type { CvdCardTemplates } from '../../src/services/cardiovascular-risk/cards.js';
import { SERVICE_ID as CVD_SERVICE_ID } from '../../src/services/cardiovascular-risk/cards.js';
import { SERVICE_ID as CGM_SERVICE_ID } from '../../src/services/glucose-monitoring/cards.js';
import { PGX_SERVICE_ID } from '../../src/services/pgx/cards.js';
import { allRecommendationRows } from '../../src/services/pgx/knowledge/index.js';

const rules = loadProfileRules(CARDS_DIR);
const topic = rules.topic;
const CODE = /^[A-Za-z0-9]+$/;

describe('card topic codes (source.topic, every profile)', () => {
  it('a plain kebab-case service and kind read as PascalCase words', () => {
    expect(topicCode('pharmacogenomics', 'warfarin-dose', topic)).toBe('PharmacogenomicsWarfarinDose');
    expect(topicCode('glucose-monitoring', 'cgm-critical', topic)).toBe('GlucoseMonitoringCgmCritical');
    expect(topicDisplay('glucose-monitoring', 'cgm-critical')).toBe('Glucose monitoring: cgm critical');
  });

  it('a kind that would read like another (a word starting with a digit) gets a hash of the exact pair', () => {
    const a = topicCode('pharmacogenomics', 'cpic-hla-b-5701-abacavir-positive', topic);
    const b = topicCode('pharmacogenomics', 'cpic-hla-b5701-abacavir-positive', topic);
    expect(a).toMatch(/^PharmacogenomicsCpicHlaB5701AbacavirPositive[0-9a-f]{8}$/);
    expect(b).toBe('PharmacogenomicsCpicHlaB5701AbacavirPositive');
    expect(a).not.toBe(b);
  });

  it('a code that would pass 100 characters is cut and ends with the hash, so two long kinds stay apart', () => {
    const long = (tail: string) => `${'very-long-kind-name-'.repeat(8)}${tail}`;
    const x = topicCode('pharmacogenomics', long('a'), topic);
    const y = topicCode('pharmacogenomics', long('b'), topic);
    expect(x).toHaveLength(100);
    expect(y).toHaveLength(100);
    expect(x.slice(0, 92)).toBe(y.slice(0, 92));
    expect(x).not.toBe(y);
  });

  it('property: any service id and kind give letters and digits only, 1 to 100 of them, the same every time', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 300 }), (service, kind) => {
        const code = topicCode(service, kind, topic);
        return CODE.test(code) && code.length <= 100 && code === topicCode(service, kind, topic);
      }),
      { seed: 20261201, numRuns: 500 },
    );
  });

  it('property: different kinds of one service get different codes', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.oneof(fc.stringMatching(/^[a-z][a-z0-9]{0,6}(-[a-z0-9]{1,6}){0,4}$/), fc.string({ maxLength: 20 })), { minLength: 2, maxLength: 40 }), (kinds) => {
        return new Set(kinds.map((k) => topicCode('pharmacogenomics', k, topic))).size === kinds.length;
      }),
      { seed: 20261201, numRuns: 300 },
    );
  });

  it("every kind the three services issue has its own valid code", () => {
    const cvd = Object.keys(loadCardTemplates<CvdCardTemplates>(CARDS_DIR, CVD_SERVICE_ID).indicator);
    const kinds: [string, string][] = [
      ...allRecommendationRows().map((r): [string, string] => [PGX_SERVICE_ID, r.id]),
      ...['conflict', 'indeterminate', 'test-order', 'warfarin-dose', 'warfarin-not-calculated'].map((k): [string, string] => [PGX_SERVICE_ID, k]),
      ...cvd.map((k): [string, string] => [CVD_SERVICE_ID, k]),
      ...['cgm-critical', 'cgm-off-target', 'cgm-on-target', 'cgm-insufficient', 'cgm-no-recent-data'].map((k): [string, string] => [CGM_SERVICE_ID, k]),
    ];
    const codes = kinds.map(([s, k]) => topicCode(s, k, topic));
    expect(codes.filter((c) => !CODE.test(c) || c.length > 100)).toEqual([]);
    expect(new Set(codes).size).toBe(kinds.length);
  });
});

describe('topic on the card (shapeForProfile)', () => {
  const card = (extra: Partial<Card> = {}): Card => ({ uuid: 'c-1', summary: 'x', indicator: 'warning', source: { label: 'CPIC guideline (2022)' }, ...extra });
  const shape = (c: Card, cardKinds: Record<string, string> = {}) =>
    shapeForProfile({ cards: [c] }, { profile: 'generic', serviceId: 'pharmacogenomics', hookInstance: 'h-1', cardKinds, rules }).cards[0]!.source.topic;

  it('comes from the card kind the handler gave, in the card-topic code system', () => {
    expect(shape(card(), { 'c-1': 'warfarin-dose' })).toEqual({ system: 'https://precision-cds.org/CodeSystem/card-topic', code: 'PharmacogenomicsWarfarinDose', display: 'Pharmacogenomics: warfarin dose' });
  });

  it('a card without a kind gets one from its source label and indicator (documented, deterministic)', () => {
    expect(derivedKind(card({ indicator: 'critical' }))).toBe('card-cpic-guideline-2022-critical');
    expect(shape(card({ indicator: 'critical' }))!.code).toBe(topicCode('pharmacogenomics', 'card-cpic-guideline-2022-critical', topic));
  });

  it('a topic the service set is kept when an EHR can key on it, replaced when it cannot', () => {
    const own = { system: 'https://cds.example/topics', code: 'cvd', display: 'Cardiovascular risk' };
    expect(shape(card({ source: { label: 'L', topic: own } }), { 'c-1': 'k' })).toEqual(own);
    expect(shape(card({ source: { label: 'L', topic: { ...own, code: 'cvd-risk' } } }), { 'c-1': 'k' })!.code).toBe('PharmacogenomicsK');
    expect(shape(card({ source: { label: 'L', topic: { ...own, code: 'x'.repeat(101) } } }), { 'c-1': 'k' })!.code).toBe('PharmacogenomicsK');
  });
});
