/**
 * `source.topic` for every card: a code that is the same for the same kind of card on every call,
 * so an EHR can key a user's override on it (Epic keeps an override per topic code; its codes must
 * be alphanumeric and at most 100 characters, ../shared/cds-hooks/clients.md).
 */
import { createHash } from 'node:crypto';
import type { Card, Coding } from '../types.js';
import type { ProfileRules } from './rules.js';

/** Lowercase kebab-case whose words start with a letter: turned into PascalCase it reads back one way. */
const PLAIN = /^[a-z][a-z0-9]*(?:-[a-z][a-z0-9]*)*$/;
const ALPHANUMERIC = /^[A-Za-z0-9]+$/;

const words = (text: string): string[] => text.split(/[^A-Za-z0-9]+/).filter(Boolean);
const pascal = (text: string): string => words(text).map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');

/**
 * The topic code of a card kind: PascalCase of the service id followed by PascalCase of the kind
 * (`pharmacogenomics` + `warfarin-dose` -> `PharmacogenomicsWarfarinDose`). A hash of the exact
 * (service id, kind) pair is appended (hex, `hashLength` characters) when the readable form alone
 * could stand for another pair (a part not in plain kebab-case, e.g. `hla-b-5701`: `b-5701` and
 * `b5701` read the same) or when it would pass `maxCodeLength`; the readable part is then cut to
 * leave room. Only letters and digits, never longer than `maxCodeLength`.
 */
export function topicCode(serviceId: string, kind: string, topic: ProfileRules['topic']): string {
  const readable = pascal(serviceId) + pascal(kind);
  if (PLAIN.test(serviceId) && PLAIN.test(kind) && readable.length <= topic.maxCodeLength) return readable;
  const hash = createHash('sha256').update(`${serviceId}\u0000${kind}`, 'utf8').digest('hex').slice(0, topic.hashLength);
  return readable.slice(0, topic.maxCodeLength - hash.length) + hash;
}

/** Readable words for the topic's display: `Pharmacogenomics: warfarin dose`. */
export function topicDisplay(serviceId: string, kind: string): string {
  const service = words(serviceId).join(' ');
  return `${service[0]?.toUpperCase() ?? ''}${service.slice(1)}: ${words(kind).join(' ').toLowerCase()}`;
}

/** A topic a service set itself is kept when an EHR can key on it (alphanumeric, short enough). */
export function isUsableTopic(topic: Coding | undefined, rules: ProfileRules['topic']): topic is Coding {
  return topic !== undefined && typeof topic.system === 'string' && topic.system.length > 0 && typeof topic.code === 'string' && ALPHANUMERIC.test(topic.code) && topic.code.length <= rules.maxCodeLength;
}

/**
 * The kind of a card the service gave no kind for (no `provenance.cardKinds` entry): `card-`,
 * the words of its source label and its indicator as issued (`card-cpic-guideline-2022-critical`).
 * Deterministic, free of patient data (the label names the source, not the patient), and the same
 * for the same kind of card on every call.
 */
export function derivedKind(card: Card): string {
  const label = words(card.source.label).join('-').toLowerCase();
  return ['card', label, card.indicator].filter(Boolean).join('-');
}

/** The topic for a card of `kind` from `serviceId`, in the configured code system. */
export function topicFor(serviceId: string, kind: string, rules: ProfileRules['topic']): Coding {
  return { system: rules.system, code: topicCode(serviceId, kind, rules), display: topicDisplay(serviceId, kind) };
}
