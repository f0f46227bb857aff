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
  /** Keys neither supplied nor fetchable, with why. */
  readonly unavailable: Readonly<Record<string, string>>;
  /** Keys whose search result was cut at the page limit. */
  readonly truncated: readonly string[];
  /** Keys the client did not supply that the service fetches itself (`deferredPrefetch`). */
  readonly deferred: readonly string[];
}

export interface CdsHandlerInput {
  readonly request: CdsHookRequest;
  readonly prefetch: PrefetchResult;
  /** FHIR access for further queries, when the request carried fhirServer + fhirAuthorization. */
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
   * neither fetches them nor answers 412 for them; a supplied paginated Bundle is still completed.
   */
  readonly deferredPrefetch?: readonly string[];
  readonly usageRequirements?: string;
  readonly extension?: Extension;
  readonly handler: CdsHandler;
}

export type { Bundle };
