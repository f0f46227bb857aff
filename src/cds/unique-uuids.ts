import { stableUuid } from '../cards/uuid.js';
import type { Card, CdsServiceResponse, Suggestion } from './types.js';

/**
 * Every card and suggestion uuid in one response is distinct (spec 2.0 §Card attributes: the uuid identifies
 * the card for feedback; two cards under one uuid lose one's feedback). Services derive uuids from their
 * input, so the same input can still name two things alike (a draft order repeated, a suggestion keyed like
 * its card); the second and later holders of a uuid get one derived from it and their position, which is
 * stable for the same input. Card kinds keyed by uuid follow their card. Inputs are not modified.
 */
export function uniqueUuids(
  response: CdsServiceResponse,
  kinds: Readonly<Record<string, string>>,
): { response: CdsServiceResponse; kinds: Readonly<Record<string, string>>; renamed: number } {
  const seen = new Set<string>();
  const outKinds: Record<string, string> = { ...kinds };
  let renamed = 0;
  const claim = (uuid: string, where: string): string => {
    let candidate = uuid;
    for (let n = 1; seen.has(candidate); n += 1) candidate = stableUuid('duplicate-uuid', uuid, where, String(n));
    if (candidate !== uuid) renamed += 1;
    seen.add(candidate);
    return candidate;
  };
  const cards = response.cards.map((card, i): Card => {
    const uuid = card.uuid === undefined ? undefined : claim(card.uuid, `card ${i}`);
    if (uuid !== undefined && card.uuid !== undefined && uuid !== card.uuid && kinds[card.uuid] !== undefined) outKinds[uuid] = kinds[card.uuid]!;
    const suggestions = card.suggestions?.map((s, j): Suggestion => (s.uuid === undefined ? s : { ...s, uuid: claim(s.uuid, `card ${i} suggestion ${j}`) }));
    return { ...card, ...(uuid !== undefined ? { uuid } : {}), ...(suggestions ? { suggestions } : {}) };
  });
  return { response: { ...response, cards }, kinds: outKinds, renamed };
}
