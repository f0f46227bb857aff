import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { Card, FeedbackItem } from '../../src/cds/types.js';
import { POSTGRES_MIGRATIONS } from '../../src/store/migrations/postgres.js';
import { SQLITE_MIGRATIONS } from '../../src/store/migrations/sqlite.js';
import { isPseudonym, pseudonymize } from '../../src/store/pseudonymize.js';
import { SqliteDecisionStore } from '../../src/store/sqlite.js';
import { MigrationError, type DecisionStore, type IssuedCard, type IssuedCardsRecord } from '../../src/store/types.js';
import { backends, type Backend } from './backends.js';

const SECRET = 'test-pseudonym-secret-0123456789';
const SERVICE = 'cardiovascular-risk';
const DAY = 86_400_000;
const T0 = new Date('2026-03-01T12:00:00.000Z');

function card(uuid: string, kind?: string, extra: Partial<Card> = {}): IssuedCard {
  return {
    uuid,
    summary: `summary ${uuid}`,
    indicator: 'info',
    source: { label: 'test' },
    suggestions: [{ label: 'do it', uuid: `${uuid}-s1` }],
    ...(kind !== undefined ? { kind } : {}),
    ...extra,
  };
}

function issued(cards: IssuedCard[], at = T0, serviceId = SERVICE): IssuedCardsRecord {
  return {
    serviceId,
    hook: 'patient-view',
    hookInstance: `hi-${cards[0]?.uuid ?? 'none'}`,
    cards,
    models: [{ id: 'pce', version: '1.0.0' }],
    ruleTables: [{ id: 'statin-rules', version: '2026-01' }],
    at,
  };
}

const accepted = (cardUuid: string, ts = '2026-03-01T12:05:00Z'): FeedbackItem => ({
  card: cardUuid,
  outcome: 'accepted',
  acceptedSuggestions: [{ id: `${cardUuid}-s1` }],
  outcomeTimestamp: ts,
});

const overridden = (cardUuid: string, code: string | undefined, ts = '2026-03-01T12:06:00Z'): FeedbackItem => ({
  card: cardUuid,
  outcome: 'overridden',
  ...(code ? { overrideReason: { reason: { system: 'http://example.org/override', code, display: `reason ${code}` }, userComment: 'Mr Smith declined' } } : {}),
  outcomeTimestamp: ts,
});

const SHIPPED = { sqlite: SQLITE_MIGRATIONS, postgres: POSTGRES_MIGRATIONS };

describe('SqliteDecisionStore.openSync', () => {
  it('gives a ready in-memory store synchronously (a default for tests and the sandbox)', async () => {
    const s = SqliteDecisionStore.openSync({ path: ':memory:' });
    try {
      await s.recordIssuedCards(issued([card('m1', 'A')]));
      expect(await s.recordFeedback(SERVICE, [accepted('m1')], T0)).toEqual(['recorded']);
      expect(await s.cardAnalytics({})).toMatchObject([{ issued: 1, accepted: 1, acceptanceRate: 1 }]);
    } finally {
      await s.close();
    }
  });
});

describe('pseudonymize', () => {
  it('gives a stable, keyed, kind-separated base64url token', () => {
    const a = pseudonymize(SECRET, 'patient', 'Patient/123');
    expect(a).toBe(pseudonymize(SECRET, 'patient', 'Patient/123'));
    expect(isPseudonym(a)).toBe(true);
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(pseudonymize(SECRET, 'patient', 'Patient/124'));
    expect(a).not.toBe(pseudonymize(SECRET, 'user', 'Patient/123'));
    expect(a).not.toBe(pseudonymize(`${SECRET}x`, 'patient', 'Patient/123'));
    expect(a).not.toContain('123');
  });

  it('refuses a short secret', () => {
    expect(() => pseudonymize('short', 'patient', 'x')).toThrow(/at least 16/);
  });
});

describe.each(backends())('DecisionStore on $label', (backend: Backend) => {
  const run = backend.skipReason ? it.skip : it;
  let store: DecisionStore | undefined;
  const open = async (): Promise<DecisionStore> => (store = await backend.open());

  beforeEach(async () => {
    if (!backend.skipReason) await backend.fresh();
  });
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });
  afterAll(async () => {
    await backend.cleanup();
  });

  run('applies migrations once: migrate again and reopening change nothing', async () => {
    const s = await open();
    await s.migrate();
    await s.migrate();
    expect((await backend.rows(s, 'schema_migrations')).map((r) => [Number(r['id']), r['name']])).toEqual(SHIPPED[backend.name].map((m) => [m.id, m.name]));
    await s.recordIssuedCards(issued([card('c1', 'A')]));
    await s.close();
    const again = await open();
    expect(await backend.rows(again, 'schema_migrations')).toHaveLength(SHIPPED[backend.name].length);
    expect(await backend.rows(again, 'issued_cards')).toHaveLength(1);
  });

  run('records issued cards, then feedback on them as "recorded"', async () => {
    const s = await open();
    await s.recordIssuedCards(issued([card('c1', 'A'), card('c2', 'A'), { ...card('x'), uuid: undefined } as unknown as IssuedCard]));
    const cards = await backend.rows(s, 'issued_cards');
    expect(cards.map((r) => r['card_uuid'])).toEqual(['c1', 'c2']);
    expect(cards[0]).toMatchObject({ service_id: SERVICE, hook: 'patient-view', kind: 'A', indicator: 'info', summary: 'summary c1' });
    const suggestionUuids: unknown = cards[0]!['suggestion_uuids'];
    expect(typeof suggestionUuids === 'string' ? JSON.parse(suggestionUuids) : suggestionUuids).toEqual(['c1-s1']);
    const statuses = await s.recordFeedback(SERVICE, [accepted('c1'), overridden('c2', 'x')], new Date(T0.getTime() + 60_000));
    expect(statuses).toEqual(['recorded', 'recorded']);
    const fb = await backend.rows(s, 'feedback');
    expect(fb).toHaveLength(2);
    expect(fb.map((r) => [r['card_uuid'], r['outcome'], Boolean(r['unknown_card'])])).toEqual([
      ['c1', 'accepted', false],
      ['c2', 'overridden', false],
    ]);
    expect(fb[1]).toMatchObject({ override_code: 'x', override_system: 'http://example.org/override' });
    // The free-text comment may name people: only that there was one is kept.
    expect(JSON.stringify(fb)).not.toContain('Smith');
    expect(Boolean(fb[1]!['has_comment'])).toBe(true);
  });

  run('keeps feedback on an unknown card, flagged, and answers "unknown-card"', async () => {
    const s = await open();
    await s.recordIssuedCards(issued([card('c1', 'A')]));
    const statuses = await s.recordFeedback(SERVICE, [accepted('c1'), accepted('nope')], T0);
    expect(statuses).toEqual(['recorded', 'unknown-card']);
    // A card another service issued is unknown to this one.
    expect(await s.recordFeedback('other-service', [accepted('c1')], T0)).toEqual(['unknown-card']);
    const fb = await backend.rows(s, 'feedback');
    expect(fb.map((r) => [r['service_id'], r['card_uuid'], Boolean(r['unknown_card'])])).toEqual([
      [SERVICE, 'c1', false],
      [SERVICE, 'nope', true],
      ['other-service', 'c1', true],
    ]);
  });

  run('is idempotent on (card, outcome, outcomeTimestamp)', async () => {
    const s = await open();
    await s.recordIssuedCards(issued([card('c1', 'A')]));
    await s.recordIssuedCards(issued([card('c1', 'B')], new Date(T0.getTime() + DAY))); // re-issue keeps the first
    expect(await s.recordFeedback(SERVICE, [accepted('c1', '2026-03-01T12:05:00Z')], T0)).toEqual(['recorded']);
    expect(await s.recordFeedback(SERVICE, [accepted('c1', '2026-03-01T12:05:00Z')], T0)).toEqual(['recorded']);
    // The same instant written another way, twice in one batch: still the same fact.
    expect(await s.recordFeedback(SERVICE, [accepted('c1', '2026-03-01T12:05:00.000+00:00'), accepted('c1', '2026-03-01T13:05:00+01:00')], T0)).toEqual([
      'recorded',
      'recorded',
    ]);
    expect(await backend.rows(s, 'feedback')).toHaveLength(1);
    // A different timestamp or outcome is a new fact.
    await s.recordFeedback(SERVICE, [accepted('c1', '2026-03-01T12:07:00Z'), overridden('c1', 'x', '2026-03-01T12:05:00Z')], T0);
    expect(await backend.rows(s, 'feedback')).toHaveLength(3);
    const [c] = await backend.rows(s, 'issued_cards');
    expect(c!['kind']).toBe('A');
  });

  run('computes acceptance analytics per service and card kind', async () => {
    const s = await open();
    const a = Array.from({ length: 10 }, (_, i) => card(`a${i}`, 'A'));
    const b = Array.from({ length: 5 }, (_, i) => card(`b${i}`, 'B'));
    await s.recordIssuedCards(issued(a.slice(0, 6)));
    await s.recordIssuedCards(issued([...a.slice(6), ...b]));
    await s.recordIssuedCards(issued([card('o1', 'A')], T0, 'other-service'));
    const statuses = await s.recordFeedback(
      SERVICE,
      [accepted('a0'), accepted('a1'), accepted('a2'), accepted('a3'), overridden('a4', 'x'), overridden('a5', 'x'), overridden('a6', 'y'), accepted('ghost')],
      T0,
    );
    expect(statuses.filter((x) => x === 'recorded')).toHaveLength(7);
    await s.recordFeedback('other-service', [accepted('o1')], T0);

    const rows = await s.cardAnalytics({ serviceId: SERVICE });
    expect(rows).toEqual([
      {
        serviceId: SERVICE,
        cardKind: 'A',
        issued: 10,
        accepted: 4,
        overridden: 3,
        acceptedThenOverridden: 0,
        overriddenThenAccepted: 0,
        acceptanceRate: 4 / 7,
        topOverrideReasons: [
          { system: 'http://example.org/override', code: 'x', display: 'reason x', count: 2 },
          { system: 'http://example.org/override', code: 'y', display: 'reason y', count: 1 },
        ],
      },
      { serviceId: SERVICE, cardKind: 'B', issued: 5, accepted: 0, overridden: 0, acceptedThenOverridden: 0, overriddenThenAccepted: 0, acceptanceRate: null, topOverrideReasons: [] },
    ]);
    const all = await s.cardAnalytics({});
    expect(all.map((r) => [r.serviceId, r.cardKind, r.issued, r.accepted])).toEqual([
      [SERVICE, 'A', 10, 4],
      [SERVICE, 'B', 5, 0],
      ['other-service', 'A', 1, 1],
    ]);
    expect((await s.cardAnalytics({ serviceId: SERVICE, topReasons: 1 }))[0]!.topOverrideReasons.map((r) => r.code)).toEqual(['x']);
  });

  run('counts a card once, by its latest feedback; an override without a reason lists none', async () => {
    const s = await open();
    await s.recordIssuedCards(issued([card('c1', 'A'), card('c2', 'A'), card('c3', 'A')]));
    await s.recordFeedback(SERVICE, [overridden('c1', 'x', '2026-03-01T12:01:00Z'), accepted('c1', '2026-03-01T12:02:00Z')], T0);
    await s.recordFeedback(SERVICE, [accepted('c2', '2026-03-01T12:01:00Z'), overridden('c2', 'y', '2026-03-01T12:02:00Z')], T0);
    await s.recordFeedback(SERVICE, [overridden('c3', undefined)], T0);
    const [row] = await s.cardAnalytics({});
    expect(row).toMatchObject({ issued: 3, accepted: 1, overridden: 2, acceptanceRate: 1 / 3 });
    expect(row!.topOverrideReasons.map((r) => [r.code, r.count])).toEqual([['y', 1]]);
  });

  const withReasons = (cardUuid: string, reasons: { code?: string; comment?: string }[], ts = '2026-03-01T12:06:00Z'): FeedbackItem => ({
    card: cardUuid,
    outcome: 'overridden',
    overrideReasons: reasons.map((r) => ({
      ...(r.code ? { reason: { system: 'http://example.org/override', code: r.code, display: `reason ${r.code}` } } : {}),
      ...(r.comment ? { userComment: r.comment } : {}),
    })),
    outcomeTimestamp: ts,
  });
  const reasonRows = async (s: DecisionStore) => (await backend.rows(s, 'feedback_override_reasons')).map((r) => [Number(r['feedback_id']), Number(r['position']), r['override_code'] ?? null, Boolean(r['has_comment'])]);

  run('keeps every reason of overrideReasons (a comment only as present) and counts each in topOverrideReasons', async () => {
    const s = await open();
    await s.recordIssuedCards(issued([card('c1', 'A'), card('c2', 'A'), card('c3', 'A')]));
    await s.recordFeedback(
      SERVICE,
      [withReasons('c1', [{ code: 'x', comment: 'Mrs Jones refused' }, { code: 'y' }]), overridden('c2', 'x'), withReasons('c3', [{ comment: 'see note' }, { code: 'z' }, { code: 'z' }])],
      T0,
    );
    const fb = await backend.rows(s, 'feedback');
    const idOf = (uuid: string) => Number(fb.find((r) => r['card_uuid'] === uuid)!['id']);
    expect(await reasonRows(s)).toEqual([
      [idOf('c1'), 0, 'x', true],
      [idOf('c1'), 1, 'y', false],
      [idOf('c2'), 0, 'x', true],
      [idOf('c3'), 0, null, true],
      [idOf('c3'), 1, 'z', false],
      [idOf('c3'), 2, 'z', false],
    ]);
    // The feedback row keeps its first coded reason, as before lists existed.
    expect(fb.find((r) => r['card_uuid'] === 'c3')).toMatchObject({ override_code: 'z' });
    expect(JSON.stringify([fb, await backend.rows(s, 'feedback_override_reasons')])).not.toMatch(/Jones|see note|Smith/);
    const [row] = await s.cardAnalytics({});
    // z twice in one list is one card overridden for z.
    expect(row!.topOverrideReasons.map((r) => [r.code, r.count])).toEqual([['x', 2], ['y', 1], ['z', 1]]);
  });

  run('a repeated fact does not repeat its reasons (again later, or twice in one batch)', async () => {
    const s = await open();
    await s.recordIssuedCards(issued([card('c1', 'A')]));
    const item = withReasons('c1', [{ code: 'x' }, { code: 'y' }]);
    await s.recordFeedback(SERVICE, [item, item], T0);
    await s.recordFeedback(SERVICE, [{ ...item, outcomeTimestamp: '2026-03-01T13:06:00+01:00' }], T0);
    expect(await backend.rows(s, 'feedback')).toHaveLength(1);
    expect((await reasonRows(s)).map((r) => r[2])).toEqual(['x', 'y']);
    expect((await s.cardAnalytics({}))[0]!.topOverrideReasons.map((r) => [r.code, r.count])).toEqual([['x', 1], ['y', 1]]);
  });

  run('counts a card by its latest outcome and also as acceptedThenOverridden / overriddenThenAccepted when the outcome changed', async () => {
    const s = await open();
    await s.recordIssuedCards(issued(['c1', 'c2', 'c3', 'c4', 'c5'].map((u) => card(u, 'A'))));
    await s.recordFeedback(SERVICE, [accepted('c1', '2026-03-01T12:01:00Z'), overridden('c1', 'x', '2026-03-01T12:02:00Z')], T0);
    await s.recordFeedback(SERVICE, [overridden('c2', 'y', '2026-03-01T12:01:00Z'), accepted('c2', '2026-03-01T12:02:00Z')], T0);
    await s.recordFeedback(SERVICE, [accepted('c3', '2026-03-01T12:01:00Z'), accepted('c3', '2026-03-01T12:03:00Z'), accepted('c4')], T0);
    // Out of order: the later acceptance arrives first, the earlier override after it.
    await s.recordFeedback(SERVICE, [accepted('c5', '2026-03-01T12:10:00Z')], T0);
    await s.recordFeedback(SERVICE, [overridden('c5', 'x', '2026-03-01T12:05:00Z')], new Date(T0.getTime() + 60_000));
    const [row] = await s.cardAnalytics({});
    expect(row).toMatchObject({ issued: 5, accepted: 4, overridden: 1, acceptedThenOverridden: 1, overriddenThenAccepted: 2, acceptanceRate: 4 / 5 });
    // Reasons come from the latest feedback only: c2's and c5's earlier overrides are not counted.
    expect(row!.topOverrideReasons.map((r) => [r.code, r.count])).toEqual([['x', 1]]);
  });

  run('feedback with equal timestamps resolves to the override, whatever order it arrives in', async () => {
    const s = await open();
    await s.recordIssuedCards(issued([card('c1', 'A'), card('c2', 'A')]));
    const ts = '2026-03-01T12:05:00Z';
    await s.recordFeedback(SERVICE, [accepted('c1', ts)], T0);
    await s.recordFeedback(SERVICE, [overridden('c1', 'x', ts)], T0);
    await s.recordFeedback(SERVICE, [overridden('c2', 'x', '2026-03-01T13:05:00+01:00')], T0);
    await s.recordFeedback(SERVICE, [accepted('c2', ts)], T0);
    const [row] = await s.cardAnalytics({});
    expect(row).toMatchObject({ accepted: 0, overridden: 2, acceptedThenOverridden: 2, overriddenThenAccepted: 0, acceptanceRate: 0 });
  });

  run('migration 002 copies the override reasons stored before it into the reasons table', async () => {
    const s1 = await backend.open(SHIPPED[backend.name].filter((m) => m.id === 1));
    await s1.recordIssuedCards(issued([card('c1', 'A')]));
    await backend.exec(
      s1,
      backend.name === 'sqlite'
        ? `INSERT INTO feedback (service_id, card_uuid, outcome, outcome_timestamp, outcome_at, received_at, unknown_card, override_system, override_code, override_display, has_comment)
           VALUES ('${SERVICE}', 'c1', 'overridden', '2026-03-01T12:06:00.000Z', ${Date.parse('2026-03-01T12:06:00Z')}, ${T0.getTime()}, 0, 'http://example.org/override', 'x', 'reason x', 1)`
        : `INSERT INTO feedback (service_id, card_uuid, outcome, outcome_timestamp, outcome_at, received_at, unknown_card, override_system, override_code, override_display, has_comment)
           VALUES ('${SERVICE}', 'c1', 'overridden', '2026-03-01T12:06:00.000Z', '2026-03-01T12:06:00Z', '${T0.toISOString()}', false, 'http://example.org/override', 'x', 'reason x', true)`,
    );
    await s1.close();
    const s = await open();
    expect((await reasonRows(s)).map((r) => [r[1], r[2], r[3]])).toEqual([[0, 'x', true]]);
    expect((await s.cardAnalytics({}))[0]!.topOverrideReasons).toEqual([{ system: 'http://example.org/override', code: 'x', display: 'reason x', count: 1 }]);
  });

  run('purging feedback removes its override reasons', async () => {
    const s = await open();
    await s.recordIssuedCards(issued([card('c1', 'A')], new Date(T0.getTime() - 100 * DAY)));
    await s.recordFeedback(SERVICE, [withReasons('c1', [{ code: 'x' }, { code: 'y' }])], new Date(T0.getTime() - 100 * DAY));
    expect(await s.purge(new Date(T0.getTime() - 90 * DAY))).toEqual({ cards: 1, feedback: 1, audit: 0 });
    expect(await backend.rows(s, 'feedback_override_reasons')).toEqual([]);
  });

  run('filters analytics by issue time: from inclusive, to exclusive', async () => {
    const s = await open();
    const jan = new Date('2026-01-15T00:00:00Z');
    const feb = new Date('2026-02-15T00:00:00Z');
    const mar = new Date('2026-03-15T00:00:00Z');
    await s.recordIssuedCards(issued([card('j1', 'A'), card('j2', 'A')], jan));
    await s.recordIssuedCards(issued([card('f1', 'A'), card('f2', 'A'), card('f3', 'A')], feb));
    await s.recordIssuedCards(issued([card('m1', 'A')], mar));
    await s.recordFeedback(SERVICE, [accepted('j1'), accepted('f1'), overridden('f2', 'x'), accepted('m1')], mar);

    const issuedIn = async (q: { from?: Date; to?: Date }) => (await s.cardAnalytics({ serviceId: SERVICE, ...q })).map((r) => [r.issued, r.accepted, r.overridden]);
    expect(await issuedIn({ from: new Date('2026-02-01T00:00:00Z'), to: new Date('2026-03-01T00:00:00Z') })).toEqual([[3, 1, 1]]);
    expect(await issuedIn({ from: feb })).toEqual([[4, 2, 1]]);
    expect(await issuedIn({ to: feb })).toEqual([[2, 1, 0]]);
    expect(await issuedIn({ from: new Date('2027-01-01T00:00:00Z') })).toEqual([]);
    expect(await s.cardAnalytics({ serviceId: 'nobody' })).toEqual([]);
  });

  run('purges cards, feedback and audit rows older than the retention cut-off', async () => {
    const s = await open();
    const old = new Date(T0.getTime() - 100 * DAY);
    await s.recordIssuedCards(issued([card('old1', 'A'), card('old2', 'A')], old));
    await s.recordIssuedCards(issued([card('new1', 'A')], T0));
    await s.recordFeedback(SERVICE, [accepted('old1')], old);
    await s.recordFeedback(SERVICE, [accepted('new1')], T0);
    const audit = (at: Date) => ({
      at,
      serviceId: SERVICE,
      hook: 'patient-view',
      hookInstance: 'hi',
      status: 200,
      latencyMs: 12.5,
      prefetchSupplied: [],
      prefetchFetched: [],
      models: [],
      cardUuids: [],
    });
    await s.recordAudit(audit(old));
    await s.recordAudit(audit(T0));

    const cutoff = new Date(T0.getTime() - 90 * DAY);
    expect(await s.purge(cutoff)).toEqual({ cards: 2, feedback: 1, audit: 1 });
    expect(await s.purge(cutoff)).toEqual({ cards: 0, feedback: 0, audit: 0 });
    expect((await backend.rows(s, 'issued_cards')).map((r) => r['card_uuid'])).toEqual(['new1']);
    expect((await backend.rows(s, 'feedback')).map((r) => r['card_uuid'])).toEqual(['new1']);
    expect(await backend.rows(s, 'audit')).toHaveLength(1);
    expect(await s.cardAnalytics({})).toMatchObject([{ issued: 1, accepted: 1 }]);
  });

  run('writes audit rows with pseudonymous tokens and never a raw identifier', async () => {
    const s = await open();
    const patientToken = pseudonymize(SECRET, 'patient', 'Patient/smith-123');
    const userToken = pseudonymize(SECRET, 'user', 'Practitioner/dr-jones');
    const entry = {
      at: T0,
      clientIss: 'https://ehr.example.org',
      tenant: 'hospital-a',
      serviceId: SERVICE,
      hook: 'patient-view',
      hookInstance: 'd1577c69-dfbe-44ad-ba6d-3e05e953b2ea',
      status: 200,
      latencyMs: 42.25,
      patientToken,
      userToken,
      prefetchSupplied: ['patient', 'lipids'],
      prefetchFetched: ['bp'],
      models: [{ id: 'pce', version: '1.0.0' }],
      cardUuids: ['c1', 'c2'],
    };
    await s.recordAudit(entry);
    // The same patient seen again gets the same token, so their rows can be linked without the id.
    await s.recordAudit({ ...entry, patientToken: pseudonymize(SECRET, 'patient', 'Patient/smith-123'), status: 412 });
    await expect(s.recordAudit({ ...entry, patientToken: 'Patient/smith-123' })).rejects.toThrow(/pseudonymize/);
    await expect(s.recordAudit({ ...entry, userToken: 'dr-jones' })).rejects.toThrow(/pseudonymize/);

    const rows = await backend.rows(s, 'audit');
    expect(rows).toHaveLength(2);
    expect(rows[0]!['patient_token']).toBe(patientToken);
    expect(rows[1]!['patient_token']).toBe(patientToken);
    expect(rows[0]).toMatchObject({ client_iss: 'https://ehr.example.org', tenant: 'hospital-a', status: 200, latency_ms: 42.25, user_token: userToken });
    const text = JSON.stringify(rows);
    for (const raw of ['smith', '123', 'jones', 'Patient/', 'Practitioner/']) expect(text).not.toContain(raw);
  });

  run('a broken migration throws MigrationError naming it, and leaves the schema as it was', async () => {
    const shipped = SHIPPED[backend.name];
    await (await open()).close();
    const broken = [...shipped, { id: 99, name: '099-broken-on-purpose', sql: 'CREATE TABLE half_done (id integer);\nCREATE TABLE oops (;' }];
    const err = await backend.open(broken).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MigrationError);
    expect((err as MigrationError).migration).toBe('099-broken-on-purpose');
    expect((err as Error).message).toMatch(/^migration 099-broken-on-purpose failed: .*syntax error/);
    const s = await open();
    expect((await backend.rows(s, 'schema_migrations')).map((r) => r['name'])).toEqual(shipped.map((m) => m.name));
    expect(await backend.tableExists(s, 'feedback')).toBe(true);
    expect(await backend.tableExists(s, 'half_done')).toBe(false);
  });

  run('answers ping while open, and not after close', async () => {
    const s = await open();
    await expect(s.ping()).resolves.toBeUndefined();
    await s.close();
    await expect(s.ping()).rejects.toBeDefined();
    await s.close(); // closing twice is harmless
  });

  run('refuses to start when an applied migration was edited', async () => {
    const shipped = SHIPPED[backend.name];
    await (await open()).close();
    const edited = [{ ...shipped[0]!, sql: `${shipped[0]!.sql}\n-- edited` }];
    await expect(backend.open(edited)).rejects.toThrow(/migration 001-initial failed: already applied .* text has changed/);
  });
});
