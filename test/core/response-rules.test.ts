import { beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import type { CdsServiceResponse } from '../../src/cds/types.js';
import { createHarness, echoService, patientViewRequest, type Harness } from '../helpers/harness.js';

/**
 * The spec's rules for what a service sends (cards, suggestions, actions, links, codings) are
 * enforced on every response before it leaves: a response that breaks one is not sent (500,
 * logged). Each rule is proved by a response that breaks only that rule.
 */
const full = (): Record<string, unknown> => ({
  cards: [
    {
      uuid: '4e0a3a1e-3283-4575-ab82-028d55fe2719',
      summary: 'Consider a moderate-intensity statin',
      detail: '**10-year risk 21 %** by the Pooled Cohort Equations.',
      indicator: 'warning',
      source: { label: 'ACC/AHA 2018', url: 'https://www.ahajournals.org/doi/10.1161/CIR.0000000000000625', icon: 'https://cds.example/icon.png', topic: { system: 'https://cds.example/topics', code: 'cvd', display: 'Cardiovascular risk' } },
      suggestions: [
        {
          label: 'Order atorvastatin 20 mg',
          uuid: 'e56e1945-20b3-4393-8503-a1a20fd73152',
          isRecommended: true,
          actions: [
            { type: 'create', description: 'Draft a statin order', resource: { resourceType: 'MedicationRequest', status: 'draft', intent: 'proposal' } },
            { type: 'update', description: 'Update the order', resource: { resourceType: 'MedicationRequest', id: 'mr-1', status: 'draft', intent: 'order' } },
            { type: 'delete', description: 'Remove the draft', resourceId: 'MedicationRequest/mr-2' },
          ],
        },
      ],
      selectionBehavior: 'at-most-one',
      overrideReasons: [{ system: 'https://cds.example/override', code: 'patient-declined', display: 'Patient declined' }],
      links: [
        { label: 'Model card', url: 'https://cds.example/models/pce', type: 'absolute' },
        { label: 'Risk app', url: 'https://app.example/launch', type: 'smart', appContext: 'risk=1' },
      ],
      extension: { 'org.precision-cds.risk': { pce: 0.21 } },
    },
  ],
  systemActions: [{ type: 'create', description: 'Record a task', resource: { resourceType: 'Task', status: 'requested', intent: 'order' } }],
});

type Mutation = (r: { cards: Record<string, any>[]; systemActions?: Record<string, any>[] }) => void;
const card = (r: Parameters<Mutation>[0]): Record<string, any> => r.cards[0]!;
const suggestion = (r: Parameters<Mutation>[0]): Record<string, any> => card(r)['suggestions'][0];

const violations: [string, Mutation][] = [
  ['80: card uuid must be a string', (r) => (card(r)['uuid'] = 42)],
  ['83: summary must be under 140 characters', (r) => (card(r)['summary'] = 'x'.repeat(140))],
  ['87: indicator is required', (r) => delete card(r)['indicator']],
  ['88: indicator must be info, warning or critical', (r) => (card(r)['indicator'] = 'urgent')],
  ['90: source is required', (r) => delete card(r)['source']],
  ['92: suggestions must be an array of suggestions', (r) => (card(r)['suggestions'] = { label: 'x' })],
  ['93/96: selectionBehavior is required when suggestions are present', (r) => delete card(r)['selectionBehavior']],
  ['95: selectionBehavior must be at-most-one or any', (r) => (card(r)['selectionBehavior'] = 'all')],
  ['98: overrideReasons must be an array of codings', (r) => (card(r)['overrideReasons'] = 'patient declined')],
  ['100/136/219: each override reason needs a display', (r) => delete card(r)['overrideReasons'][0].display],
  ['103: links must be an array of links', (r) => (card(r)['links'] = 'https://x')],
  ['105: source label is required', (r) => delete card(r)['source'].label],
  ['107: source url must be an absolute URL', (r) => (card(r)['source'].url = '/relative/path')],
  ['111: source icon must be an absolute URL', (r) => (card(r)['source'].icon = 'icon.png')],
  ['115: source topic must be a Coding', (r) => (card(r)['source'].topic = 'cvd')],
  ['117: suggestion label is required', (r) => delete suggestion(r)['label']],
  ['119: suggestion uuid must be a string', (r) => (suggestion(r)['uuid'] = 7)],
  ['121: isRecommended must be a boolean', (r) => (suggestion(r)['isRecommended'] = 'yes')],
  ['124: suggestion actions must be an array of actions', (r) => (suggestion(r)['actions'] = { type: 'create' })],
  ['127: action type must be create, update or delete', (r) => (suggestion(r)['actions'][0].type = 'replace')],
  ['128: action description is required', (r) => delete suggestion(r)['actions'][0].description],
  ['130/131: a create action must carry a FHIR resource', (r) => delete suggestion(r)['actions'][0].resource],
  ['133: a delete action must not carry a resource (not even an id string)', (r) => (suggestion(r)['actions'][2].resource = 'MedicationRequest/mr-2')],
  ['134/135: a delete action carries resourceId as a string', (r) => (suggestion(r)['actions'][2].resourceId = 12)],
  ['138: link label is required', (r) => delete card(r)['links'][0].label],
  ['139: link url must be a URL', (r) => (card(r)['links'][0].url = 'not a url')],
  ['141/142: link type must be absolute or smart', (r) => (card(r)['links'][0].type = 'relative')],
  ['144: appContext must be a string', (r) => (card(r)['links'][1].appContext = { a: 1 })],
  ['146/147: appContext is not allowed on absolute links', (r) => (card(r)['links'][0].appContext = 'x')],
  ['216/218: coding code is required', (r) => delete card(r)['overrideReasons'][0].code],
  ['217: coding system is required', (r) => delete card(r)['overrideReasons'][0].system],
  ['215: extension member names use reverse-domain notation', (r) => (card(r)['extension'] = { risk: { pce: 0.21 } })],
  ['74: cards must be an array', (r) => ((r as Record<string, unknown>)['cards'] = { summary: 'x' })],
  ['75: systemActions must be an array of actions', (r) => ((r as Record<string, unknown>)['systemActions'] = { type: 'create' })],
];

describe('outgoing response rules (spec 2.0 §CDS Service Response)', () => {
  let h: Harness;
  let next: unknown;
  beforeAll(async () => {
    h = await createHarness({ services: [echoService({ handler: async () => next as CdsServiceResponse })] });
  });
  const send = async (body: unknown) => {
    next = body;
    return request(h.app)
      .post('/cds-services/echo')
      .set('Authorization', `Bearer ${await h.token('/cds-services/echo')}`)
      .send(patientViewRequest({ prefetch: { patient: { resourceType: 'Patient', id: 'pat-1' } } }));
  };

  it('74/75/81/82/84/94/99/104/106/108/113/116/118/120/122/123/129/140/145/220: a card using every optional member is sent as is', async () => {
    const res = await send(full());
    expect(res.status).toBe(200);
    expect(res.body).toEqual(full());
  });

  it.each(violations)('%s', async (_title, mutate) => {
    const body = full() as Parameters<Mutation>[0];
    mutate(body);
    const res = await send(body);
    expect(res.status).toBe(500);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });
});
