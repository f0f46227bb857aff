import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { MedicationRequest } from 'fhir/r4.js';
import { CARDS_DIR, MODELS_DIR } from '../../src/app.js';
import { doseText, loadProfileRules, shapeForProfile, type DroppedSuggestion } from '../../src/cds/profiles/index.js';
import type { Card, CdsHandlerOutput, CdsServiceResponse, Suggestion } from '../../src/cds/types.js';
import { ModelRuntime } from '../../src/models/runtime.js';
import { cardiovascularRiskService } from '../../src/services/cardiovascular-risk/index.js';
import { glucoseMonitoringService } from '../../src/services/glucose-monitoring/index.js';
import { pharmacogenomicsService } from '../../src/services/pgx/index.js';
import { draftOrder, serviceCards } from './service-cards.js';

const rules = loadProfileRules(CARDS_DIR);
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';

type Shaped = { out: CdsServiceResponse; dropped: DroppedSuggestion[] };
function shape(serviceId: string, h: CdsHandlerOutput, profile: 'epic' | 'generic' = 'epic'): Shaped {
  const dropped: DroppedSuggestion[] = [];
  const { provenance, ...response } = h;
  const out = shapeForProfile(response, { profile, serviceId, hookInstance: 'h-1', cardKinds: provenance?.cardKinds ?? {}, rules, onDropped: (_c, d) => dropped.push(d) });
  return { out, dropped };
}
const actionsOf = (c: Card) => (c.suggestions ?? []).flatMap((s) => s.actions ?? []);
const codesCreated = (s: Suggestion): string[] =>
  (s.actions ?? []).flatMap((a) => {
    const mr = a.resource as MedicationRequest | undefined;
    const med = mr?.contained?.find((r) => r.resourceType === 'Medication') as { code?: { coding?: { code?: string }[] } } | undefined;
    return a.type === 'create' ? [...(mr?.medicationCodeableConcept?.coding ?? []), ...(med?.code?.coding ?? [])].map((c) => c.code ?? '') : [];
  });

/** What Epic takes: any, one action per suggestion, create and delete only, a label and a distinct uuid each, no systemActions. */
function expectEpicShape(out: CdsServiceResponse): void {
  expect(out.systemActions).toBeUndefined();
  const uuids = out.cards.flatMap((c) => [c.uuid, ...(c.suggestions ?? []).map((s) => s.uuid)]);
  expect(uuids.every((u) => typeof u === 'string' && u.length > 0)).toBe(true);
  expect(new Set(uuids).size).toBe(uuids.length);
  for (const c of out.cards) {
    if (c.suggestions) expect(c.selectionBehavior).toBe('any');
    for (const s of c.suggestions ?? []) {
      expect(s.label.length).toBeGreaterThan(0);
      expect(s.actions).toHaveLength(1);
      expect(['create', 'delete']).toContain(s.actions![0]!.type);
    }
    expect(c.source.topic?.code).toMatch(/^[A-Za-z0-9]{1,100}$/);
  }
}

/** Clinical content is passed as issued: summary, detail, indicator, extension, override reasons, links. */
function expectSameClinicalContent(a: CdsServiceResponse, b: CdsServiceResponse): void {
  const clinical = (r: CdsServiceResponse) => r.cards.map(({ summary, detail, indicator, extension, overrideReasons, links }) => ({ summary, detail, indicator, extension, overrideReasons, links }));
  expect(clinical(a)).toEqual(clinical(b));
}

describe('epic profile, on cards the services emit', () => {
  let models: ModelRuntime;
  let pgx: ReturnType<typeof pharmacogenomicsService>;
  beforeAll(async () => {
    models = await ModelRuntime.load(MODELS_DIR);
    pgx = pharmacogenomicsService({ models, cardsDir: CARDS_DIR, options: { showStandard: false, preTestingOverrides: {} } });
  }, 60_000);
  afterAll(async () => {
    await models.close();
  });

  it('a CPIC avoid card with alternatives: each alternative ordered on its own, the draft cancelled once, nothing keeps the drug', async () => {
    const h = await serviceCards(pgx, 'pgx-cyp2c19-poor', { hook: 'order-sign', drafts: [draftOrder('pgx-cyp2c19-poor', '32968', 'clopidogrel', { doseMg: 75, contained: true })] });
    const generic = shape('pharmacogenomics', h, 'generic').out;
    const { out } = shape('pharmacogenomics', h);
    expectEpicShape(out);
    expectSameClinicalContent(out, generic);
    const card = out.cards[0]!;
    expect(card.indicator).toBe('critical');
    expect(card.suggestions!.map((s) => [s.label, s.actions![0]!.type])).toEqual([
      ['Draft an order for prasugrel (choose only one of 2)', 'create'],
      ['Draft an order for ticagrelor (choose only one of 2)', 'create'],
      ['Remove the draft order for clopidogrel', 'delete'],
    ]);
    expect(card.suggestions![2]!.actions![0]!.resourceId).toBe('MedicationRequest/draft-1');
    // The created orders are the service's own, untouched.
    const original = generic.cards[0]!.suggestions!.map((s) => s.actions!.find((a) => a.type === 'create')!.resource);
    expect(card.suggestions!.slice(0, 2).map((s) => s.actions![0]!.resource)).toEqual(original);
    // "Never keep the drug": no suggestion orders clopidogrel again.
    expect(card.suggestions!.flatMap(codesCreated)).not.toContain('32968');
  });

  it('a CPIC avoid card without alternatives keeps its single cancel, uuid and all', async () => {
    const h = await serviceCards(pgx, 'pgx-cyp2d6-ultrarapid', { drafts: [draftOrder('pgx-cyp2d6-ultrarapid', '2670', 'codeine', { doseMg: 30 })] });
    const { out } = shape('pharmacogenomics', h);
    expectEpicShape(out);
    expect(out.cards[0]!.suggestions).toEqual(h.cards[0]!.suggestions);
  });

  it('a dose change (update) becomes cancel-and-reorder: a draft copy without id at the new dose, and both labels state it', async () => {
    const h = await serviceCards(pgx, 'pgx-multi', { drafts: [draftOrder('pgx-multi', '4492', 'fluorouracil', { doseMg: 400 })] });
    const update = h.cards[0]!.suggestions![0]!.actions![0]!;
    expect(update.type).toBe('update');
    const updated = update.resource as MedicationRequest;
    const { out } = shape('pharmacogenomics', h);
    expectEpicShape(out);
    expectSameClinicalContent(out, shape('pharmacogenomics', h, 'generic').out);
    const [reorder, cancel] = out.cards[0]!.suggestions!;
    const dose = doseText(updated)!;
    expect(dose).toBe('200 mg');
    expect(reorder!.label).toBe('Re-order fluorouracil at 200 mg per dose');
    expect(reorder!.actions![0]!.description).toContain('200 mg per dose');
    expect(cancel!.label).toBe('Cancel the draft order for fluorouracil (to re-order it at 200 mg per dose)');
    expect(cancel!.actions![0]).toEqual({ type: 'delete', description: expect.stringContaining('200 mg'), resourceId: 'MedicationRequest/draft-1' });
    const { id: _id, ...withoutId } = updated;
    expect(reorder!.actions![0]!.resource).toEqual({ ...withoutId, status: 'draft' });
    // The suggestions are new, so they get new uuids, the same on every call for this card.
    expect(reorder!.uuid).not.toBe(h.cards[0]!.suggestions![0]!.uuid);
    expect(shape('pharmacogenomics', h).out.cards[0]!.suggestions!.map((s) => s.uuid)).toEqual([reorder!.uuid, cancel!.uuid]);
  });

  it('warfarin (IWPC dose, drug in a contained Medication): the re-order says the IWPC dose the update set', async () => {
    const h = await serviceCards(pgx, 'pgx-warfarin', { hook: 'order-select', drafts: [draftOrder('pgx-warfarin', '11289', 'warfarin', { doseMg: 5, contained: true })] });
    const updated = h.cards[0]!.suggestions![0]!.actions![0]!.resource as MedicationRequest;
    const value = updated.dosageInstruction![0]!.doseAndRate![0]!.doseQuantity!.value!;
    const { out } = shape('pharmacogenomics', h);
    expectEpicShape(out);
    const [reorder, cancel] = out.cards[0]!.suggestions!;
    expect(reorder!.label).toBe(`Re-order warfarin at ${value} mg per dose`);
    expect(reorder!.actions![0]!.description).toContain(updated.dosageInstruction![0]!.text!);
    const created = reorder!.actions![0]!.resource as MedicationRequest;
    expect(created.medicationReference).toEqual({ reference: '#med1' });
    expect(created.contained).toEqual(updated.contained);
    expect(created.dosageInstruction![0]!.doseAndRate![0]!.doseQuantity!.value).toBe(value);
    expect(cancel!.actions![0]!.resourceId).toBe('MedicationRequest/draft-1');
  });

  it('a test-order card (already any, one create each) keeps its suggestions, with their own uuids', async () => {
    const h = await serviceCards(pgx, 'pgx-no-results', { drafts: [draftOrder('pgx-no-results', '190521', 'abacavir')] });
    const { out } = shape('pharmacogenomics', h);
    expectEpicShape(out);
    const { source, suggestions, ...rest } = out.cards[0]!;
    const { source: issuedSource, suggestions: issuedSuggestions, ...issued } = h.cards[0]!;
    expect(rest).toEqual(issued);
    expect(source).toEqual({ ...issuedSource, topic: expect.objectContaining({ code: 'PharmacogenomicsTestOrder' }) });
    // The card and its one test order have distinct uuids from the service (src/services/pgx/suggestions.ts).
    expect(issuedSuggestions![0]!.uuid).not.toBe(h.cards[0]!.uuid);
    expect(suggestions).toEqual(issuedSuggestions);
  });

  it('cardiovascular-risk: the high- and moderate-intensity statin orders stay, each saying to choose only one', async () => {
    const cvd = cardiovascularRiskService({ models, cardsDir: CARDS_DIR, publicBaseUrl: 'https://cds.test.example' });
    const h = await serviceCards(cvd, 'cvd-high-risk-male');
    const { out } = shape('cardiovascular-risk', h);
    expectEpicShape(out);
    expectSameClinicalContent(out, shape('cardiovascular-risk', h, 'generic').out);
    const issued = h.cards[0]!.suggestions!;
    expect(out.cards[0]!.suggestions).toEqual(issued.map((s) => ({ ...s, label: `${s.label} (choose only one of 2)` })));
    expect(out.cards[0]!.source.topic!.code).toBe('CardiovascularRiskStatinAdvised');
  });

  it('glucose-monitoring: a critical card without suggestions gets its topic and nothing else', async () => {
    const cgm = glucoseMonitoringService({ cardsDir: CARDS_DIR, publicBaseUrl: 'https://cds.test.example', showOnTarget: false, agpLinkTtlMs: 900_000 });
    const h = await serviceCards(cgm, 'cgm-hypo');
    const { out } = shape('glucose-monitoring', h);
    expectEpicShape(out);
    expect(out.cards[0]!.indicator).toBe('critical');
    expect(out.cards[0]!.source.topic!.code).toBe('GlucoseMonitoringCgmCritical');
    expect({ ...out.cards[0]!, source: h.cards[0]!.source }).toEqual(h.cards[0]);
  });

  it('never changes its input (a frozen response shapes the same)', async () => {
    const h = await serviceCards(pgx, 'pgx-cyp2c19-poor', { drafts: [draftOrder('pgx-cyp2c19-poor', '32968', 'clopidogrel', { doseMg: 75 }), draftOrder('pgx-cyp2c19-poor', '2556', 'citalopram', { id: 'draft-2', doseMg: 40 })] });
    const before = structuredClone(h);
    const freeze = (v: unknown): void => {
      if (v && typeof v === 'object') {
        Object.values(v).forEach(freeze);
        Object.freeze(v);
      }
    };
    freeze(h);
    const { out } = shape('pharmacogenomics', h);
    expect(h).toEqual(before);
    expect(actionsOf(out.cards[0]!).length).toBeGreaterThan(0);
  });
});

describe('epic profile, suggestions it cannot take', () => {
  const draft = (dose?: { value?: number; unit?: string }) => ({
    resourceType: 'MedicationRequest' as const,
    id: 'mr-1',
    status: 'draft' as const,
    intent: 'order' as const,
    subject: { reference: 'Patient/p' },
    medicationCodeableConcept: { text: 'drug X' },
    dosageInstruction: [{ doseAndRate: [{ doseQuantity: { ...dose } }] }],
  });
  const card = (s: Suggestion): Card => ({ uuid: 'c-1', summary: 's', indicator: 'warning', source: { label: 'L' }, suggestions: [s], selectionBehavior: 'at-most-one' });
  const run = (c: Card, response: Partial<CdsServiceResponse> = {}) => shape('svc', { cards: [c], ...response });

  it('a dose without a unit is not re-ordered (the words could not say the dose), and says why', () => {
    const { out, dropped } = run(card({ label: 'Halve', uuid: 's-1', actions: [{ type: 'update', description: 'Halve', resource: draft({ value: 5 }) }] }));
    expect(out.cards[0]!.suggestions).toBeUndefined();
    expect(out.cards[0]!.selectionBehavior).toBeUndefined();
    expect(dropped).toEqual([{ suggestion: 's-1', reason: 'the updated MedicationRequest has no dose with a unit to state' }]);
  });

  it('an update of a resource without id cannot cancel anything: left out', () => {
    const { id: _id, ...noId } = draft({ value: 5, unit: 'mg' });
    const { out, dropped } = run(card({ label: 'x', uuid: 's-1', actions: [{ type: 'update', description: 'x', resource: noId }] }));
    expect(out.cards[0]!.suggestions).toBeUndefined();
    expect(dropped[0]!.reason).toMatch(/no resource id/);
  });

  it('an update of another resource type becomes a cancel and a re-order described by the update', () => {
    const sr = { resourceType: 'ServiceRequest' as const, id: 'sr-1', status: 'draft' as const, intent: 'order' as const, subject: { reference: 'Patient/p' }, code: { text: 'HbA1c' }, identifier: [{ value: 'placer-1' }] };
    const { out } = run(card({ label: 'Change', actions: [{ type: 'update', description: 'Order HbA1c fasting', resource: sr }] }));
    expect(out.cards[0]!.suggestions!.map((s) => [s.label, s.actions![0]!.type])).toEqual([
      ['Re-order as changed: Order HbA1c fasting', 'create'],
      ['Cancel the draft ServiceRequest (to re-order it as changed)', 'delete'],
    ]);
    // A new order: no id, no business identifier of the cancelled one.
    expect(out.cards[0]!.suggestions![0]!.actions![0]!.resource).toEqual({ resourceType: 'ServiceRequest', status: 'draft', intent: 'order', subject: { reference: 'Patient/p' }, code: { text: 'HbA1c' } });
  });

  it('a suggestion without actions gives Epic nothing to apply: left out; systemActions are not sent', () => {
    const { out, dropped } = run(card({ label: 'Noted', uuid: 's-1' }), { systemActions: [{ type: 'create', description: 'Task', resource: { resourceType: 'Task', status: 'requested', intent: 'order' } }] });
    expect(out.cards[0]!.suggestions).toBeUndefined();
    expect(out.systemActions).toBeUndefined();
    expect(dropped).toHaveLength(1);
  });

  it('a malformed card or response is passed on untouched, for response validation to refuse (a service defect is never hidden)', () => {
    const bad = [
      { summary: 's', indicator: 'info', source: { label: 'L', topic: 'cvd' } },
      { summary: 's', indicator: 'info', source: { label: 'L' }, suggestions: [{ label: 'x', actions: [{ type: 'replace', description: 'd' }] }], selectionBehavior: 'any' },
      { summary: 's', indicator: 'info', source: { label: 'L' }, suggestions: { label: 'x' } },
      { summary: 's', indicator: 'info' },
      { uuid: 42, summary: 's', indicator: 'info', source: { label: 'L' } },
    ] as unknown as Card[];
    for (const c of bad) expect(run(c).out.cards[0]).toBe(c);
    const odd = { cards: [], systemActions: { type: 'create' } } as unknown as CdsServiceResponse;
    expect(shapeForProfile(odd, { profile: 'epic', serviceId: 'svc', hookInstance: 'h', cardKinds: {}, rules })).toBe(odd);
  });

  it('a card kind is looked up as the handler\'s own entry only (a uuid like "constructor" has no kind)', () => {
    const out = shapeForProfile({ cards: [{ uuid: 'constructor', summary: 's', indicator: 'info', source: { label: 'L' } }] }, { profile: 'epic', serviceId: 'svc', hookInstance: 'h', cardKinds: {}, rules });
    expect(out.cards[0]!.source.topic!.code).toBe('SvcCardLInfo');
  });

  it('a card or suggestion without uuid gets a stable one (Epic needs them for feedback)', () => {
    const c: Card = { summary: 's', indicator: 'info', source: { label: 'L' }, suggestions: [{ label: 'Order', actions: [{ type: 'create', description: 'd', resource: { resourceType: 'ServiceRequest', status: 'draft', intent: 'order', subject: { reference: 'Patient/p' } } }] }], selectionBehavior: 'any' };
    const a = run(c).out.cards[0]!;
    const b = run(c).out.cards[0]!;
    expect(a.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a.suggestions![0]!.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect([b.uuid, b.suggestions![0]!.uuid]).toEqual([a.uuid, a.suggestions![0]!.uuid]);
  });
});
