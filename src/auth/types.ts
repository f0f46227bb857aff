import type { JSONWebKeySet } from 'jose';
import type { ProfileName } from '../cds/profiles/rules.js';

/** One entry of the TRUSTED_CLIENTS file: a CDS client (EHR) we accept calls from. */
export interface TrustedClient {
  readonly iss: string;
  /** Out-of-band JWK Set URL (spec 2.0 §Trusting CDS Clients: used when the JWT has no jku). */
  readonly jwks_url?: string;
  /** Inline JWK Set, alternative to jwks_url. */
  readonly jwks?: JSONWebKeySet;
  /** JWK Set URLs this client may name in the JWT `jku` header. */
  readonly jku?: readonly string[];
  /** Tenant claim this entry is for; a token's `tenant` must then match it. */
  readonly tenant?: string;
  /** FHIR base URLs this client may send as `fhirServer`. */
  readonly fhir_servers: readonly string[];
  /**
   * The servers in `fhir_servers` may be read without a token (default false): a request with
   * `fhirServer` and no `fhirAuthorization` still gets the FHIR fallback and the completion of
   * truncated prefetch, with no Authorization header. For open FHIR servers such as a sandbox,
   * whose clients (e.g. the HL7 reference client in its open mode) send `fhirServer` alone.
   */
  readonly fhir_open?: boolean;
  /** Extra accepted `aud` values besides the endpoint URL under PUBLIC_BASE_URL. */
  readonly audiences?: readonly string[];
  /** Scopes granted to this client (e.g. analytics access). */
  readonly scopes?: readonly string[];
  /** How cards are shaped for this EHR (cards/profiles.json); generic when absent. */
  readonly profile?: ProfileName;
}

/** The authenticated caller of one request. */
export interface ClientIdentity {
  readonly iss: string;
  readonly tenant?: string;
  readonly sub?: string;
  readonly client: TrustedClient;
  readonly scopes: readonly string[];
}
