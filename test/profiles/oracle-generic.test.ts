import { beforeAll, describe, expect, it } from '@jest/globals';
import { CARDS_DIR } from '../../src/app.js';
import { loadProfileRules, shapeForProfile, type ProfileName } from '../../src/cds/profiles/index.js';
import type { Card, CdsHandlerOutput, CdsServiceResponse } from '../../src/cds/types.js';
import { glucoseMonitoringService } from '../../src/services/glucose-monitoring/index.js';
import { pharmacogenomicsService } from '../../src/services/pgx/index.js';
import type { ModelRunner } from '../../src/services/cardiovascular-risk/assess.js';
import { draftOrder, serviceCards } from './service-cards.js';

const rules = loadProfileRules(CARDS_DIR);
const shape = (profile: ProfileName, serviceId: string, h: CdsHandlerOutput): CdsServiceResponse => {
  const { provenance, ...response } = h;
  return shapeForProfile(response, { profile, serviceId, hookInstance: 'h-1', cardKinds: provenance?.cardKinds ?? {}, rules });
};
const withoutTopics = (r: CdsServiceResponse): CdsServiceResponse => ({
  ...r,
  cards: r.cards.map((c) => {
    const { topic: _t, ...source } = c.source;
    return { ...c, source };
  }),
});

/** No model is needed for these cards (no warfarin): a runner that is never asked. */
const noModels = { get: () => undefined, run: () => Promise.reject(new Error('no model in this test')) } as unknown as ModelRunner;

describe('generic and oracle profiles, on cards the services emit', () => {
  const cards: Record<string, CdsHandlerOutput> = {};
  beforeAll(async () => {
    const pgx = pharmacogenomicsService({ models: noModels, cardsDir: CARDS_DIR, options: { showStandard: false, preTestingOverrides: {} } });
    const cgm = glucoseMonitoringService({ cardsDir: CARDS_DIR, publicBaseUrl: 'https://cds.test.example', showOnTarget: false, agpLinkTtlMs: 900_000 });
    cards['avoid'] = await serviceCards(pgx, 'pgx-cyp2c19-poor', { drafts: [draftOrder('pgx-cyp2c19-poor', '32968', 'clopidogrel', { doseMg: 75 })] });
    cards['dose'] = await serviceCards(pgx, 'pgx-multi', { drafts: [draftOrder('pgx-multi', '4492', 'fluorouracil', { doseMg: 400 })] });
    cards['cgm-critical'] = await serviceCards(cgm, 'cgm-hypo');
    cards['cgm-warning'] = await serviceCards(cgm, 'cgm-summary-only');
  }, 60_000);
  const service = (key: string) => (key.startsWith('cgm') ? 'glucose-monitoring' : 'pharmacogenomics');

  it.each(['avoid', 'dose', 'cgm-critical', 'cgm-warning'])('generic: %s is sent as issued, with a topic added', (key) => {
    const { provenance: _p, ...issued } = cards[key]!;
    const out = shape('generic', service(key), cards[key]!);
    expect(withoutTopics(out)).toEqual(issued);
    expect(out.cards.every((c) => /^[A-Za-z0-9]{1,100}$/.test(c.source.topic?.code ?? ''))).toBe(true);
  });

  it.each([
    ['avoid', 'critical'],
    ['cgm-critical', 'critical'],
    ['dose', 'warning'],
    ['cgm-warning', 'warning'],
  ])('oracle: %s keeps its indicator (%s): CPIC avoid and level-2 hypoglycaemia warrant the pop-up', (key, indicator) => {
    const out = shape('oracle', service(key), cards[key]!);
    expect(out.cards[0]!.indicator).toBe(indicator);
    expect(cards[key]!.cards[0]!.indicator).toBe(indicator);
  });

  it('oracle: suggestions, update actions and absolute links are sent as issued', () => {
    const { provenance: _p, ...issued } = cards['dose']!;
    expect(withoutTopics(shape('oracle', 'pharmacogenomics', cards['dose']!))).toEqual(issued);
    expect(shape('oracle', 'pharmacogenomics', cards['dose']!).cards[0]!.suggestions![0]!.actions![0]!.type).toBe('update');
  });
});

describe('oracle profile, rules without a service card that shows them', () => {
  const card = (extra: Partial<Card>): Card => ({ uuid: 'c-1', summary: 's', indicator: 'critical', source: { label: 'L' }, ...extra });
  const run = (c: Card, serviceId: string, cardKinds: Record<string, string>) => shapeForProfile({ cards: [c] }, { profile: 'oracle', serviceId, hookInstance: 'h', cardKinds, rules }).cards[0]!;

  it('a critical card of a kind not listed as interruptive (or of no kind) is sent as warning, its words unchanged', () => {
    expect(run(card({}), 'pharmacogenomics', { 'c-1': 'cpic-cyp2c19-clopidogrel-im' })).toMatchObject({ indicator: 'warning', summary: 's' });
    expect(run(card({}), 'some-service', { 'c-1': 'cgm-critical' }).indicator).toBe('warning');
    expect(run(card({}), 'pharmacogenomics', {}).indicator).toBe('warning');
    expect(run(card({}), 'pharmacogenomics', { 'c-1': 'cpic-cyp2c19-clopidogrel-pm' }).indicator).toBe('critical');
  });

  it('appContext is removed from SMART links (Oracle does not take it); the links stay, absolute URLs and all', () => {
    const links = [
      { label: 'Model card', url: 'https://cds.example/models/pce', type: 'absolute' as const },
      { label: 'Risk app', url: 'https://app.example/launch', type: 'smart' as const, appContext: 'risk=1' },
    ];
    expect(run(card({ indicator: 'info', links }), 'svc', {}).links).toEqual([links[0], { label: 'Risk app', url: 'https://app.example/launch', type: 'smart' }]);
    const epic = shapeForProfile({ cards: [card({ indicator: 'info', links })] }, { profile: 'epic', serviceId: 'svc', hookInstance: 'h', cardKinds: {}, rules });
    expect(epic.cards[0]!.links).toEqual(links);
  });
});
