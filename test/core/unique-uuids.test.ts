/**
 * Every uuid in a response is distinct (spec 2.0 §Card attributes: feedback refers to a card by its uuid), and
 * still stable for the same input.
 */
import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { uniqueUuids } from '../../src/cds/unique-uuids.js';
import type { Card, CdsServiceResponse } from '../../src/cds/types.js';
import { createHarness, echoService, patientViewRequest } from '../helpers/harness.js';

const U1 = '00000000-0000-4000-8000-000000000001';
const U2 = '00000000-0000-4000-8000-000000000002';
const card = (uuid: string, suggestionUuid?: string): Card => ({
  uuid,
  summary: 's',
  indicator: 'info',
  source: { label: 'Test' },
  ...(suggestionUuid ? { suggestions: [{ label: 'Do it', uuid: suggestionUuid }], selectionBehavior: 'at-most-one' as const } : {}),
});
const allUuids = (r: CdsServiceResponse): string[] => r.cards.flatMap((c) => [c.uuid!, ...(c.suggestions ?? []).map((s) => s.uuid!)]);

describe('uniqueUuids', () => {
  it('two cards with one uuid: the second gets another, and its kind follows it', () => {
    const { response, kinds, renamed } = uniqueUuids({ cards: [card(U1), card(U1)] }, { [U1]: 'kind-a' });
    const [a, b] = response.cards;
    expect(a!.uuid).toBe(U1);
    expect(b!.uuid).not.toBe(U1);
    expect(renamed).toBe(1);
    expect(kinds[b!.uuid!]).toBe('kind-a');
  });

  it('a suggestion keyed like its card (the lipid-panel and test-order pattern) gets its own', () => {
    const { response } = uniqueUuids({ cards: [card(U1, U1), card(U2, U1)] }, {});
    expect(new Set(allUuids(response)).size).toBe(4);
  });

  it('is stable: the same input gives the same uuids', () => {
    const input = { cards: [card(U1, U1), card(U1, U2), card(U2)] };
    expect(allUuids(uniqueUuids(input, {}).response)).toEqual(allUuids(uniqueUuids(input, {}).response));
  });

  it('leaves distinct uuids and the input alone', () => {
    const input = { cards: [card(U1, U2)] };
    const copy = structuredClone(input);
    const out = uniqueUuids(input, {});
    expect(out.renamed).toBe(0);
    expect(out.response).toEqual(input);
    expect(input).toEqual(copy);
  });
});

describe('uuids over HTTP', () => {
  it('a service that repeats a uuid still answers distinct ones, and feedback on the second card finds it', async () => {
    const dup = echoService({ prefetch: {}, handler: async () => ({ cards: [card(U1), card(U1, U1)] }) });
    const h = await createHarness({ services: [dup] });
    const res = await request(h.app).post('/cds-services/echo').set('Authorization', `Bearer ${await h.token('/cds-services/echo')}`).send(patientViewRequest());
    expect(res.status).toBe(200);
    const uuids = allUuids(res.body as CdsServiceResponse);
    expect(new Set(uuids).size).toBe(3);
    const second = (res.body as CdsServiceResponse).cards[1]!.uuid!;
    const fb = await request(h.app)
      .post('/cds-services/echo/feedback')
      .set('Authorization', `Bearer ${await h.token('/cds-services/echo/feedback')}`)
      .send({ feedback: [{ card: second, outcome: 'overridden', outcomeTimestamp: new Date().toISOString() }] });
    expect(fb.body.feedback).toEqual([{ card: second, status: 'recorded' }]);
  });
});
