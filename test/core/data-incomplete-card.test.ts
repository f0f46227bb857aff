import { describe, expect, it } from '@jest/globals';
import { CARDS_DIR } from '../../src/app.js';
import { loadCardTemplates } from '../../src/cards/templates.js';
import { ServiceRegistry } from '../../src/cds/registry.js';
import { dataIncompleteOutput, unhandledIncomplete, type DataIncompleteTemplates } from '../../src/cds/incomplete.js';
import type { CdsServiceDefinition, IncompleteCause, IncompleteData } from '../../src/cds/types.js';
import { echoService } from '../helpers/harness.js';
import { openapiSchema } from '../helpers/openapi-schema.js';

/** The core's data-incomplete card: wording from cards/data-incomplete.json, one card, no assessment. */
const t = loadCardTemplates<DataIncompleteTemplates>(CARDS_DIR, 'data-incomplete');
const service: CdsServiceDefinition = {
  id: 'glucose-monitoring',
  hooks: ['patient-view'],
  title: 'Continuous glucose monitoring: time in range',
  description: 'x',
  prefetch: { cgmReadings: 'Observation?patient={{context.patientId}}', cgmSummary: 'Observation?patient={{context.patientId}}' },
  handler: async () => ({ cards: [] }),
};
const item = (cause: IncompleteCause, received = 1000, total: number | undefined = 8064): IncompleteData => ({
  cause,
  received,
  ...(total !== undefined ? { total } : {}),
  reason: `the client sent ${received} of ${total} entries (${cause})`,
});
const ctx = { hookInstance: 'd1577c69-dfbe-44ad-ba6d-3e05e953b2ea', maxPages: 20 };

describe('the data-incomplete card', () => {
  const out = dataIncompleteOutput(service, { cgmReadings: item('no-fhir-access') }, t, ctx);
  const card = out.cards[0]!;

  it('is one info card naming the key, what was received and why, with no suggestion', () => {
    expect(out.cards).toHaveLength(1);
    expect(card.indicator).toBe('info');
    expect(card.summary).toContain('cgmReadings');
    expect(card.detail).toContain('the client sent 1000 of 8064 entries (no-fhir-access)');
    expect(card.suggestions).toBeUndefined();
  });

  it('says no assessment was made, and makes no sufficiency claim and no percentage', () => {
    expect(card.summary).toMatch(/No assessment/);
    expect(card.detail).toMatch(/no assessment was made/);
    for (const text of [card.summary, card.detail!]) {
      expect(text).not.toMatch(/insufficient/i);
      expect(text).not.toMatch(/\d\s*%/);
    }
  });

  it('says what to do: send fhirAuthorization or enable fhir_open, or prefetch every page', () => {
    expect(card.detail).toMatch(/fhirAuthorization/);
    expect(card.detail).toMatch(/fhir_open/);
    expect(card.detail).toMatch(/prefetch every page/);
  });

  it('one remedy per cause, the page limit named with its value', () => {
    const o = dataIncompleteOutput(service, { cgmReadings: item('page-limit'), cgmSummary: item('page-limit', 100, 300) }, t, { ...ctx, maxPages: 7 });
    const d = o.cards[0]!.detail!;
    expect(d.split('FHIR_MAX_PAGES` = 7').length - 1).toBe(1);
    expect(o.cards[0]!.summary).toContain('cgmReadings and cgmSummary');
  });

  it('every cause has its remedy in the wording file', () => {
    for (const c of ['no-fhir-access', 'fhir-error', 'page-limit', 'foreign-link', 'short-pages'] as const) {
      expect(() => dataIncompleteOutput(service, { cgmReadings: item(c) }, t, ctx)).not.toThrow();
      expect(t.remedy[c]).toEqual(expect.any(String));
    }
  });

  it('the summary stays under 140 characters whatever the keys (long lists fall back to a general summary)', () => {
    const many = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`aVeryLongPrefetchKeyName${i}`, item('fhir-error')]));
    const s = dataIncompleteOutput(service, many, t, ctx).cards[0]!.summary;
    expect([...s].length).toBeLessThan(140);
    expect(s).toBe(t.summaryFallback);
  });

  it('its uuid is stable for the request and differs between requests; provenance records kind data-incomplete', () => {
    const again = dataIncompleteOutput(service, { cgmReadings: item('no-fhir-access') }, t, ctx);
    const other = dataIncompleteOutput(service, { cgmReadings: item('no-fhir-access') }, t, { ...ctx, hookInstance: '1d6d0e3b-3d1b-4c43-8d33-7a8f0b0d2c11' });
    expect(again.cards[0]!.uuid).toBe(card.uuid);
    expect(other.cards[0]!.uuid).not.toBe(card.uuid);
    expect(out.provenance?.cardKinds).toEqual({ [card.uuid!]: 'data-incomplete' });
  });

  it('the card validates against Card, its extension against DataIncompleteExtension (openapi.json)', () => {
    const cardSchema = openapiSchema('Card');
    const extSchema = openapiSchema('DataIncompleteExtension');
    expect(cardSchema(card)).toBe(true);
    const ext = card.extension!['org.precision-cds.data-incomplete'];
    expect({ ok: extSchema(ext), errors: extSchema.errors ?? null }).toEqual({ ok: true, errors: null });
    expect(ext).toEqual({ kind: 'data-incomplete', service: 'glucose-monitoring', assessed: false, keys: [{ key: 'cgmReadings', cause: 'no-fhir-access', reason: expect.any(String), received: 1000, total: 8064 }] });
  });
});

describe('which incomplete keys the core answers for', () => {
  it('all of them, unless the service declared that it handles a key itself', () => {
    const incomplete = { cgmReadings: item('page-limit'), cgmSummary: item('page-limit') };
    expect(Object.keys(unhandledIncomplete(service, incomplete))).toEqual(['cgmReadings', 'cgmSummary']);
    expect(Object.keys(unhandledIncomplete({ ...service, handlesIncomplete: ['cgmSummary'] }, incomplete))).toEqual(['cgmReadings']);
  });

  it('the registry refuses a handlesIncomplete key the service does not declare', () => {
    expect(() => new ServiceRegistry().register(echoService({ handlesIncomplete: ['nope'] }))).toThrow(/handlesIncomplete "nope" is not declared/);
    expect(() => new ServiceRegistry().register(echoService({ handlesIncomplete: ['patient'] }))).not.toThrow();
  });
});
