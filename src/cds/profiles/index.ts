/**
 * Client profiles: a core stage between a service's handler and response validation that shapes
 * the response for the EHR that called (its trusted-clients entry's `profile`; `generic` when none
 * or when authentication is off). It never changes clinical content: summaries, details, numbers
 * and the resources' clinical fields are passed as issued. What changes, by profile (data:
 * cards/profiles.json):
 *
 * - every profile: `source.topic` on every card, a stable code per (service, card kind);
 * - selectionBehavior, actions per suggestion and action types the client applies (actions.ts);
 * - `critical` kept only for card kinds that warrant an interruptive pop-up, where critical pops up;
 * - `appContext` on links and response `systemActions`, where the client does not take them.
 *
 * The core names no service: card kinds come from the handler's `provenance.cardKinds`.
 */
import { stableUuid } from '../../cards/uuid.js';
import type { ClientIdentity } from '../../auth/types.js';
import type { Card, CdsServiceResponse, Link, Suggestion } from '../types.js';
import { shapeSuggestions, type DroppedSuggestion } from './actions.js';
import { PROFILE_NAMES, type ClientProfile, type ProfileName, type ProfileRules } from './rules.js';
import { derivedKind, isUsableTopic, topicFor } from './topic.js';

export { loadProfileRules, parseProfileRules, PROFILE_NAMES, ProfileRulesError, type ClientProfile, type ProfileName, type ProfileRules } from './rules.js';
export { derivedKind, topicCode, topicDisplay, topicFor } from './topic.js';
export { doseText, medicationName, type DroppedSuggestion } from './actions.js';

export interface ProfileContext {
  readonly profile: ProfileName;
  readonly serviceId: string;
  readonly hookInstance: string;
  /** The handler's card kind per card uuid (`provenance.cardKinds`). */
  readonly cardKinds: Readonly<Record<string, string>>;
  readonly rules: ProfileRules;
  /** Told about each suggestion left out because the client could not apply it. */
  readonly onDropped?: (card: string, dropped: DroppedSuggestion) => void;
}

/** The profile of the caller: its trusted-clients entry's, else generic (also with authentication off). */
export function profileOf(client: ClientIdentity | undefined): ProfileName {
  const profile = client?.client?.profile;
  return profile !== undefined && (PROFILE_NAMES as readonly string[]).includes(profile) ? profile : 'generic';
}

/**
 * With `require`, gives every suggestion a uuid distinct from the card's and the other suggestions'
 * (Epic keys feedback on them); otherwise only a repeated suggestion uuid is replaced. Kept ones
 * stay as they are.
 */
function withUuids(suggestions: readonly Suggestion[], cardKey: string, cardUuid: string | undefined, require: boolean): Suggestion[] {
  const seen = new Set<string>(require && cardUuid !== undefined ? [cardUuid] : []);
  return suggestions.map((s, i) => {
    let uuid = s.uuid;
    if ((uuid === undefined && require) || (uuid !== undefined && seen.has(uuid))) uuid = stableUuid('profile', cardKey, 'suggestion', String(i), s.label);
    if (uuid !== undefined) seen.add(uuid);
    return uuid === s.uuid ? s : { ...s, uuid };
  });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isArrayOf = (v: unknown, item: (x: unknown) => boolean): boolean => Array.isArray(v) && v.every(item);

/**
 * Whether the card has the shape the transforms read. A card that does not (a service defect) is
 * passed on untouched, so response validation refuses it instead of the stage hiding the defect.
 */
function wellFormed(card: Card): boolean {
  const c = card as unknown as Record<string, unknown>;
  if (c['uuid'] !== undefined && typeof c['uuid'] !== 'string') return false;
  const source = c['source'];
  if (!isObject(source) || typeof source['label'] !== 'string') return false;
  const topic = source['topic'];
  if (topic !== undefined && !(isObject(topic) && typeof topic['system'] === 'string' && typeof topic['code'] === 'string')) return false;
  if (c['links'] !== undefined && !isArrayOf(c['links'], isObject)) return false;
  const action = (a: unknown): boolean => isObject(a) && ['create', 'update', 'delete'].includes(a['type'] as string);
  const suggestion = (s: unknown): boolean => isObject(s) && typeof s['label'] === 'string' && (s['actions'] === undefined || isArrayOf(s['actions'], action));
  return c['suggestions'] === undefined || isArrayOf(c['suggestions'], suggestion);
}

function shapeCard(card: Card, index: number, p: ClientProfile, ctx: ProfileContext): Card {
  if (!wellFormed(card)) return card;
  const kind = card.uuid !== undefined && Object.hasOwn(ctx.cardKinds, card.uuid) ? ctx.cardKinds[card.uuid] : undefined;
  const uuid = card.uuid ?? (p.requireUuids ? stableUuid('profile', ctx.serviceId, ctx.hookInstance, 'card', String(index), kind ?? derivedKind(card)) : undefined);
  const cardKey = uuid ?? `${ctx.serviceId}\u0000${ctx.hookInstance}\u0000${index}`;
  const topic = isUsableTopic(card.source.topic, ctx.rules.topic) ? card.source.topic : topicFor(ctx.serviceId, kind ?? derivedKind(card), ctx.rules.topic);

  // Where critical pops up, only the kinds listed as warranting an interruption stay critical.
  const interruptive = kind !== undefined && Object.hasOwn(ctx.rules.interruptive, ctx.serviceId) && ctx.rules.interruptive[ctx.serviceId]!.kinds.includes(kind);
  const indicator = card.indicator === 'critical' && p.critical === 'interruptive-kinds-only' && !interruptive ? 'warning' : card.indicator;

  const shaped = shapeSuggestions(card, { profile: p, wording: ctx.rules.wording, cardKey });
  for (const d of shaped.dropped) ctx.onDropped?.(uuid ?? `cards[${index}]`, d);
  const suggestions = withUuids(shaped.suggestions, cardKey, uuid, p.requireUuids === true);
  const links = p.appContext ? card.links : card.links?.map(({ appContext: _dropped, ...link }): Link => link);

  const { suggestions: _s, selectionBehavior, links: _l, ...rest } = card;
  return {
    ...rest,
    ...(uuid !== undefined ? { uuid } : {}),
    indicator,
    source: { ...card.source, topic },
    ...(suggestions.length > 0 ? { suggestions } : {}),
    // Not made up when the service sent none: response validation must still see that defect.
    ...(suggestions.length > 0 && (p.selectionBehavior ?? selectionBehavior) ? { selectionBehavior: p.selectionBehavior ?? selectionBehavior } : {}),
    ...(links && links.length > 0 ? { links } : {}),
  };
}

/** The response shaped for the caller's profile; the input is not changed. */
export function shapeForProfile(response: CdsServiceResponse, ctx: ProfileContext): CdsServiceResponse {
  // A malformed response is left to response validation (see wellFormed).
  if (!Array.isArray(response.cards) || (response.systemActions !== undefined && !isArrayOf(response.systemActions, isObject))) return response;
  const p = ctx.rules.profiles[ctx.profile];
  const cards = response.cards.map((card, i) => shapeCard(card, i, p, ctx));
  const { systemActions, ...rest } = response;
  const actions = p.systemActions ? (systemActions ?? []).filter((a) => p.actionTypes.includes(a.type)) : [];
  return { ...rest, cards, ...(actions.length > 0 ? { systemActions: actions } : {}) };
}
