/**
 * CDS Hooks 2.0 data types, read-only. Each cites its section of the specification:
 * https://cds-hooks.hl7.org/2.0/
 */
import type { Bundle, FhirResource } from 'fhir/r4.js';
import type { Logger } from 'pino';
import type { ClientIdentity } from '../auth/types.js';
import type { FhirAccess } from '../fhir/fhir-access.js';

/** Extensions are pre-coordinated JSON objects. https://cds-hooks.hl7.org/2.0/#extensions */
export type Extension = Readonly<Record<string, unknown>>;

/** https://cds-hooks.hl7.org/2.0/#coding */
export interface Coding {
  readonly system: string;
  readonly code: string;
  readonly display?: string;
}

/** https://cds-hooks.hl7.org/2.0/#fhir-resource-access */
export interface FhirAuthorization {
  readonly access_token: string;
  readonly token_type: 'Bearer';
  readonly expires_in: number;
  readonly scope: string;
  readonly subject: string;
  readonly patient?: string;
  readonly extension?: Extension;
}

/** https://cds-hooks.hl7.org/2.0/#http-request_1 */
export interface CdsHookRequest {
  readonly hook: string;
  readonly hookInstance: string;
  readonly fhirServer?: string;
  readonly fhirAuthorization?: FhirAuthorization;
  readonly context: Readonly<Record<string, unknown>>;
  readonly prefetch?: Readonly<Record<string, unknown>>;
  readonly extension?: Extension;
}

/** https://cds-hooks.hl7.org/2.0/#source */
export interface Source {
  readonly label: string;
  readonly url?: string;
  readonly icon?: string;
  readonly topic?: Coding;
}

/** https://cds-hooks.hl7.org/2.0/#action */
export interface Action {
  readonly type: 'create' | 'update' | 'delete';
  readonly description: string;
  readonly resource?: FhirResource;
  readonly resourceId?: string;
  readonly extension?: Extension;
}

/** https://cds-hooks.hl7.org/2.0/#suggestion */
export interface Suggestion {
  readonly label: string;
  readonly uuid?: string;
  readonly isRecommended?: boolean;
  readonly actions?: readonly Action[];
  readonly extension?: Extension;
}

/** https://cds-hooks.hl7.org/2.0/#link */
export interface Link {
  readonly label: string;
  readonly url: string;
  readonly type: 'absolute' | 'smart';
  readonly appContext?: string;
  readonly autolaunchable?: boolean;
  readonly extension?: Extension;
}

/** https://cds-hooks.hl7.org/2.0/#card-attributes */
export interface Card {
  readonly uuid?: string;
  /** Under 140 characters. */
  readonly summary: string;
  /** GitHub Flavored Markdown. */
  readonly detail?: string;
  readonly indicator: 'info' | 'warning' | 'critical';
  readonly source: Source;
  readonly suggestions?: readonly Suggestion[];
  readonly selectionBehavior?: 'at-most-one' | 'any';
  readonly overrideReasons?: readonly Coding[];
  readonly links?: readonly Link[];
  readonly extension?: Extension;
}

/** https://cds-hooks.hl7.org/2.0/#cds-service-response */
export interface CdsServiceResponse {
  readonly cards: readonly Card[];
  readonly systemActions?: readonly Action[];
}

/** One entry of the discovery response. https://cds-hooks.hl7.org/2.0/#response */
export interface CdsServiceDescriptor {
  readonly hook: string;
  readonly title?: string;
  readonly description: string;
  readonly id: string;
  /** CDS Hooks 3.0 ballot §Discovery (recommended): the version of this service. */
  readonly version: string;
  readonly prefetch?: Readonly<Record<string, string>>;
  readonly usageRequirements?: string;
  readonly extension?: Extension;
}

/** https://cds-hooks.hl7.org/2.0/#overridereason */
export interface OverrideReason {
  readonly reason?: Coding;
  readonly userComment?: string;
}

/** https://cds-hooks.hl7.org/2.0/#feedback */
export interface FeedbackItem {
  readonly card: string;
  readonly outcome: 'accepted' | 'overridden';
  readonly acceptedSuggestions?: readonly { readonly id: string }[];
  readonly overrideReason?: OverrideReason;
  /** Several reasons for one override, in place of `overrideReason` (as Epic sends them); never both. */
  readonly overrideReasons?: readonly OverrideReason[];
  readonly outcomeTimestamp: string;
  readonly extension?: Extension;
}

/** What the prefetch stage hands a service: one slot per declared key. */
export interface PrefetchResult {
  /** Resource (or merged searchset Bundle) per key; `null` means the data does not exist. Keys that could not be had are absent. */
  readonly data: Readonly<Record<string, FhirResource | null>>;
  /** Keys the client supplied in the request. */
  readonly supplied: readonly string[];
  /** Keys fetched from the FHIR server. */
  readonly fetched: readonly string[];
  /** Supplied keys whose visibly incomplete Bundle was completed from the FHIR server (also listed in `supplied`). */
  readonly completed: readonly string[];
  /** Keys neither supplied nor fetchable, with why. */
  readonly unavailable: Readonly<Record<string, string>>;
  /**
   * Keys whose data are visibly incomplete (a search Bundle with a `next` link, or a `total` above its
   * matches) and could not be completed, with why. Their partial data stay in `data`; the core answers
   * with the data-incomplete card instead of calling the handler, unless the service declared the key
   * in `handlesIncomplete`.
   */
  readonly incomplete: Readonly<Record<string, IncompleteData>>;
  /** Keys the client did not supply (or supplied visibly incomplete) that the service fetches itself (`deferredPrefetch`). */
  readonly deferred: readonly string[];
  /**
   * Deferred keys the client supplied visibly incomplete, left to the handler to complete with its
   * own query (also in `deferred`): what the client sent, so that a failure of that fetch is
   * answered with the data-incomplete card, as a failed completion is for any other key.
   */
  readonly deferredIncomplete: Readonly<Record<string, BundleGap>>;
}

/** How a search Bundle shows it is not the whole result. */
export interface BundleGap {
  /** Match entries in hand. */
  readonly matches: number;
  /** The Bundle's `total`, when it states one. */
  readonly total?: number;
  /** The `next` link, when there is one ('' when it names no URL). */
  readonly next?: string;
}

/** Why incomplete data could not be completed: each calls for a different remedy on the card. */
export type IncompleteCause =
  /** No FHIR access in the request (no fhirAuthorization, and the client's server is not open). */
  | 'no-fhir-access'
  /** The FHIR server failed (error, timeout, deadline, refused, too large). */
  | 'fhir-error'
  /** Paging stopped at FHIR_MAX_PAGES. */
  | 'page-limit'
  /** The next-page link leaves the request's FHIR server: never followed. */
  | 'foreign-link'
  /** The server's pages ended with fewer matches than its own `total`. */
  | 'short-pages';

/** One incomplete key: what was received and why the rest could not be had. */
export interface IncompleteData {
  /** In words, for the card, the logs and diagnostics; never a URL or an identifier. */
  readonly reason: string;
  readonly cause: IncompleteCause;
  /** Search matches in hand. */
  readonly received: number;
  /** The server's stated `total`, when it gave one. */
  readonly total?: number;
}

export interface CdsHandlerInput {
  readonly request: CdsHookRequest;
  readonly prefetch: PrefetchResult;
  /** FHIR access for further queries: the request carried fhirServer + fhirAuthorization, or fhirServer is open to its client (`fhir_open`). */
  readonly fhir?: FhirAccess;
  readonly client?: ClientIdentity;
  readonly log: Logger;
  /** Aborted when the request's deadline passes or the caller goes away. */
  readonly signal: AbortSignal;
  readonly now: Date;
}

/** What produced a response, for the audit trail; never sent to the client. */
export interface Provenance {
  readonly models: readonly { readonly id: string; readonly version: string }[];
  readonly ruleTables: readonly { readonly id: string; readonly version: string }[];
  /** Card kind per card uuid (e.g. the guideline outcome or recommendation id), for analytics. */
  readonly cardKinds: Readonly<Record<string, string>>;
}

export interface CdsHandlerOutput extends CdsServiceResponse {
  readonly provenance?: Provenance;
}

export type CdsHandler = (input: CdsHandlerInput) => Promise<CdsHandlerOutput>;

/** A decision service: a declaration plus a handler (the cds-hooks sandbox pattern). */
export interface CdsServiceDefinition {
  readonly id: string;
  /**
   * One hook, or several. A one-hook service is listed in discovery under `id`; a service on
   * several hooks once per hook as `<id>-<hook>` (clients key services by discovery id, so a
   * shared id would hide all but one entry). `POST /cds-services/<id>` still takes every hook.
   */
  readonly hooks: readonly string[];
  /** Discovery `version` (CDS Hooks 3.0 ballot); the package version when absent. */
  readonly version?: string;
  readonly title?: string;
  readonly description: string;
  readonly prefetch?: Readonly<Record<string, string>>;
  /** Prefetch keys without which the service cannot answer: 412 when they cannot be had. Default: all keys. */
  readonly requiredPrefetch?: readonly string[];
  /**
   * Keys the handler fetches itself when the client did not supply them, with queries a template
   * cannot express (e.g. date windows relative to now, spec 2.0 tokens have no dates). The core
   * neither fetches them nor answers 412 for them. A supplied Bundle that is visibly incomplete is
   * left to the handler too when the FHIR server can be reached (its own query completes it), and
   * is incomplete (the data-incomplete card) when it cannot.
   */
  readonly deferredPrefetch?: readonly string[];
  /**
   * Keys whose incomplete data the handler deals with itself (opt-in). For every other key, data
   * received incomplete make the core answer one data-incomplete card without calling the handler:
   * no score and no data-sufficiency claim rests on a partial record.
   */
  readonly handlesIncomplete?: readonly string[];
  readonly usageRequirements?: string;
  readonly extension?: Extension;
  readonly handler: CdsHandler;
}

export type { Bundle };
