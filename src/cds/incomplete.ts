/**
 * One rule for every service: data received incomplete are never scored. When a key a service
 * reads is incomplete (see completeness.ts) and the service has not declared that it handles that
 * key itself (`handlesIncomplete`), the core answers one info card saying which data arrived
 * incomplete, why, that no assessment was made and what would fix it, instead of calling the
 * handler. A handler that finds its own fetches cut (deferred keys) throws IncompleteDataError
 * for the same answer.
 */
import { fill } from '../cards/templates.js';
import { stableUuid } from '../cards/uuid.js';
import type { Card, CdsHandlerOutput, CdsServiceDefinition, IncompleteCause, IncompleteData } from './types.js';

export const DATA_INCOMPLETE_KIND = 'data-incomplete';
export const DATA_INCOMPLETE_EXTENSION = 'org.precision-cds.data-incomplete';
const SUMMARY_MAX = 139;

/** Wording of the card: cards/data-incomplete.json. */
export interface DataIncompleteTemplates {
  readonly source: { readonly label: string; readonly url: string };
  readonly summary: string;
  readonly summaryFallback: string;
  readonly detail: { readonly lead: string; readonly heading: string; readonly item: string; readonly todo: string };
  readonly remedy: Readonly<Record<IncompleteCause, string>>;
}

/** Thrown by a handler whose own fetch of a (deferred) key came back incomplete: the core answers the data-incomplete card. */
export class IncompleteDataError extends Error {
  constructor(readonly incomplete: Readonly<Record<string, IncompleteData>>) {
    super(`data incomplete: ${Object.keys(incomplete).join(', ')}`);
    this.name = 'IncompleteDataError';
  }
}

/** The incomplete keys the service does not handle itself. */
export function unhandledIncomplete(service: CdsServiceDefinition, incomplete: Readonly<Record<string, IncompleteData>>): Record<string, IncompleteData> {
  const own = new Set(service.handlesIncomplete ?? []);
  return Object.fromEntries(Object.entries(incomplete).filter(([k]) => !own.has(k)));
}

export interface DataIncompleteContext {
  readonly hookInstance: string;
  /** FHIR_MAX_PAGES, named in the page-limit remedy. */
  readonly maxPages: number;
}

/** "a, b and c" */
function list(keys: readonly string[]): string {
  return keys.length <= 1 ? (keys[0] ?? '') : `${keys.slice(0, -1).join(', ')} and ${keys.at(-1)}`;
}

/**
 * The core's answer when data were received incomplete: one info card (uuid stable per request),
 * its extension listing each key with why, and the card kind for the decision store.
 */
export function dataIncompleteOutput(
  service: CdsServiceDefinition,
  incomplete: Readonly<Record<string, IncompleteData>>,
  t: DataIncompleteTemplates,
  ctx: DataIncompleteContext,
): CdsHandlerOutput {
  const keys = Object.keys(incomplete);
  const byKeys = fill(t.summary, { keys: list(keys) });
  const summary = byKeys.length <= SUMMARY_MAX ? byKeys : t.summaryFallback;
  const causes = [...new Set(Object.values(incomplete).map((i) => i.cause))];
  const detail = [
    fill(t.detail.lead, { service: service.title ?? service.id }),
    '',
    t.detail.heading,
    ...keys.map((key) => fill(t.detail.item, { key, reason: incomplete[key]!.reason })),
    '',
    t.detail.todo,
    ...causes.map((c) => `- ${fill(t.remedy[c], { maxPages: String(ctx.maxPages) })}`),
  ].join('\n');
  const uuid = stableUuid(service.id, ctx.hookInstance, DATA_INCOMPLETE_KIND);
  const card: Card = {
    uuid,
    summary,
    detail,
    indicator: 'info',
    source: { label: t.source.label, url: t.source.url },
    extension: {
      [DATA_INCOMPLETE_EXTENSION]: {
        kind: DATA_INCOMPLETE_KIND,
        service: service.id,
        assessed: false,
        keys: keys.map((key) => {
          const i = incomplete[key]!;
          return { key, cause: i.cause, reason: i.reason, received: i.received, ...(i.total !== undefined ? { total: i.total } : {}) };
        }),
      },
    },
  };
  return { cards: [card], provenance: { models: [], ruleTables: [], cardKinds: { [uuid]: DATA_INCOMPLETE_KIND } } };
}
