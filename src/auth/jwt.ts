import {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type FetchImplementation,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
  type JWTVerifyResult,
  type RemoteJWKSetOptions,
} from 'jose';
import type { ReplayCache } from './replay-cache.js';
import type { ClientIdentity, TrustedClient } from './types.js';

/**
 * Asymmetric algorithms accepted for CDS client JWTs. Spec 2.0 §JWT signing algorithm:
 * ES384/RS384 recommended; `none` and symmetric (HMAC) algorithms SHALL NOT be accepted.
 * ES256/RS256 are kept because deployed EHRs sign with them.
 */
export const ALLOWED_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'] as const;

/**
 * Why a token was refused: logged for operators, never sent to the caller. `reason` is a stable
 * code (`no-key-for-kid`, `jwks-fetch-failed: timeout`, `claim-invalid: exp`, …) and `detail` says
 * it in words; neither ever carries the token, a claim value or a header value.
 */
export class AuthFailure extends Error {
  constructor(
    readonly reason: string,
    readonly detail: string = reason,
  ) {
    super(reason);
    this.name = 'AuthFailure';
  }
}

export interface JwtVerifierOptions {
  readonly clients: readonly TrustedClient[];
  readonly replayCache: ReplayCache;
  readonly clockSkewSeconds: number;
  readonly maxLifetimeSeconds: number;
  readonly jwksTimeoutMs: number;
  readonly jwksCacheSeconds: number;
  readonly now?: () => number;
  /** Builds a remote JWK Set (e.g. one whose cache is shared through Redis); jose's own by default. */
  readonly remoteJwks?: (url: string, options: RemoteJWKSetOptions) => JWTVerifyGetKey;
}

export interface JwtVerifier {
  /**
   * Verifies `token` for a call to `audience` (the endpoint URL, or its accepted spellings);
   * throws AuthFailure.
   */
  verify(token: string, audience: string | readonly string[]): Promise<ClientIdentity>;
}

const stripSlash = (u: string): string => u.replace(/\/+$/, '');

/** Claims whose name may be logged when they fail (the name only, never the value). */
const CLAIM_NAMES = new Set(['exp', 'nbf', 'iat', 'aud', 'iss', 'jti', 'sub', 'typ']);

/** A JWK Set download that failed before jose could read it: why, in a loggable word. */
class JwksFetchError extends Error {
  constructor(readonly what: string) {
    super(what);
    this.name = 'JwksFetchError';
  }
}

/**
 * fetch for remote JWK Sets that says why a download failed (jose reports only "not 200 OK"):
 * `http <status>` (redirects are not followed: jose asks for `redirect: manual`), `unreachable`,
 * `invalid` (not JSON). A timeout stays the TimeoutError jose turns into JWKSTimeout.
 */
const jwksFetch: FetchImplementation = async (url, init) => {
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch (err) {
    if ((err as { name?: string }).name === 'TimeoutError' || init.signal.aborted) throw err;
    throw new JwksFetchError('unreachable');
  }
  if (res.status !== 200) {
    await res.body?.cancel().catch(() => undefined);
    throw new JwksFetchError(`http ${res.status}`);
  }
  const text = await res.text();
  try {
    JSON.parse(text);
  } catch {
    throw new JwksFetchError('invalid');
  }
  return new Response(text, { status: 200, headers: { 'content-type': 'application/json' } });
};

type KeySourceKind = 'jwks' | 'jwks_url' | 'jku';

interface KeySource {
  readonly kind: KeySourceKind;
  readonly get: JWTVerifyGetKey;
}

const SOURCE_WORDS: Record<KeySourceKind, string> = { jwks: "the issuer's inline jwks", jwks_url: "the issuer's jwks_url", jku: "the token's allowlisted jku" };

/** A key-lookup error as the failure it means, naming the key source (never its URL). */
function keyFailure(err: unknown, kind: KeySourceKind): unknown {
  if (err instanceof AuthFailure || err instanceof errors.JWKSMultipleMatchingKeys) return err;
  if (err instanceof errors.JWKSNoMatchingKey) return new AuthFailure('no-key-for-kid', "no key in the issuer's key sets matches the token's kid and alg");
  if (kind === 'jwks') {
    if (err instanceof errors.JWKSInvalid) return new AuthFailure('key-set-invalid: jwks', "the issuer's inline jwks is not a usable JWK Set (public keys only)");
  } else {
    if (err instanceof JwksFetchError) return new AuthFailure(`jwks-fetch-failed: ${err.what}`, `fetching ${SOURCE_WORDS[kind]} failed: ${err.what}`);
    if (err instanceof errors.JWKSTimeout) return new AuthFailure('jwks-fetch-failed: timeout', `fetching ${SOURCE_WORDS[kind]} timed out (JWKS_TIMEOUT_MS)`);
    if (err instanceof errors.JWKSInvalid) return new AuthFailure('jwks-fetch-failed: invalid', `${SOURCE_WORDS[kind]} did not return a JWK Set of public keys`);
  }
  if (err instanceof errors.JOSENotSupported || err instanceof errors.JWKInvalid) {
    return new AuthFailure('key-unusable', `the matching key in ${SOURCE_WORDS[kind]} cannot verify this token`);
  }
  return err;
}

/** Anything jwtVerify threw, as the failure it means. */
function verifyFailure(err: unknown): AuthFailure {
  if (err instanceof AuthFailure) return err;
  if (err instanceof errors.JWSSignatureVerificationFailed) return new AuthFailure('signature-invalid', 'the signature does not verify with the key found for the token');
  if (err instanceof errors.JWTClaimValidationFailed || err instanceof errors.JWTExpired) {
    const claim = CLAIM_NAMES.has(err.claim) ? err.claim : 'other';
    const words = err.reason === 'missing' ? 'is missing' : err.reason === 'invalid' ? 'is not of the right type' : err instanceof errors.JWTExpired ? 'has passed' : 'failed its check';
    return new AuthFailure(`claim-invalid: ${claim}`, `the ${claim} claim ${words}`);
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return new AuthFailure('algorithm-not-allowed', 'the token is signed with an algorithm that is not accepted');
  if (err instanceof errors.JWKSMultipleMatchingKeys) return new AuthFailure('ambiguous-key', 'several keys match a token that names no kid');
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return new AuthFailure('malformed-token', 'the token is not a well-formed signed JWT');
  return new AuthFailure('verification-error', 'the token could not be verified');
}

/**
 * jwtVerify, and when the key set holds several keys matching a token without `kid`, each of
 * them in turn (jose leaves that to the caller: JWKSMultipleMatchingKeys yields the candidates).
 */
async function verifyWithCandidates(token: string, getKey: JWTVerifyGetKey, options: JWTVerifyOptions): Promise<JWTVerifyResult> {
  try {
    return await jwtVerify(token, getKey, options);
  } catch (err) {
    if (!(err instanceof errors.JWKSMultipleMatchingKeys)) throw err;
    for await (const key of err) {
      try {
        return await jwtVerify(token, key, options);
      } catch (e) {
        if (!(e instanceof errors.JWSSignatureVerificationFailed)) throw e;
      }
    }
    throw new errors.JWSSignatureVerificationFailed();
  }
}

export function createJwtVerifier(opts: JwtVerifierOptions): JwtVerifier {
  const now = opts.now ?? Date.now;
  const remoteSets = new Map<string, JWTVerifyGetKey>();
  const localSets = new Map<TrustedClient, JWTVerifyGetKey>();

  const remote = (url: string): JWTVerifyGetKey => {
    let set = remoteSets.get(url);
    if (!set) {
      const options: RemoteJWKSetOptions = {
        timeoutDuration: opts.jwksTimeoutMs,
        cacheMaxAge: opts.jwksCacheSeconds * 1000,
        cooldownDuration: 30_000,
        [customFetch]: jwksFetch,
      };
      set = opts.remoteJwks ? opts.remoteJwks(url, options) : createRemoteJWKSet(new URL(url), options);
      remoteSets.set(url, set);
    }
    return set;
  };

  const inline = (client: TrustedClient): JWTVerifyGetKey => {
    let set = localSets.get(client);
    if (!set) {
      try {
        set = createLocalJWKSet(client.jwks!);
      } catch {
        throw new AuthFailure('key-set-invalid: jwks', "the issuer's inline jwks is not a usable JWK Set");
      }
      localSets.set(client, set);
    }
    return set;
  };

  /**
   * Where the token's key is looked for, in order (spec 2.0 §Trusting CDS Clients; a key set
   * agreed out of band is what the jku header is checked against, not replaced by):
   * (a) the issuer's inline `jwks`, (b) its `jwks_url`, (c) the token's `jku`, only when it is on
   * the issuer's `jku` allowlist. A `kid` absent from (a) or (b) falls through to the next
   * source. An unlisted `jku` is never fetched: ignored when (a) or (b) exists, refused when not.
   */
  const keySources = (client: TrustedClient, jku: string | undefined): KeySource[] => {
    const outOfBand: KeySource[] = [
      ...(client.jwks ? [{ kind: 'jwks' as const, get: inline(client) }] : []),
      ...(client.jwks_url ? [{ kind: 'jwks_url' as const, get: remote(client.jwks_url) }] : []),
    ];
    const jkuAllowed = jku !== undefined && (client.jku?.includes(jku) ?? false);
    if (jku !== undefined && !jkuAllowed && outOfBand.length === 0) {
      // Spec 2.0 row 195: services keep an allowlist of jku URLs.
      throw new AuthFailure('jku-not-allowed', "the token's jku is not on the issuer's jku allowlist and the issuer has no out-of-band key set");
    }
    const sources = [...outOfBand, ...(jkuAllowed ? [{ kind: 'jku' as const, get: remote(jku) }] : [])];
    if (sources.length === 0) throw new AuthFailure('no-key-source', 'the token has no jku and the issuer has no out-of-band key set (jwks or jwks_url)');
    return sources;
  };

  const chain =
    (sources: readonly KeySource[]): JWTVerifyGetKey =>
    async (header, token) => {
      for (const [i, source] of sources.entries()) {
        try {
          return await source.get(header, token);
        } catch (err) {
          if (err instanceof errors.JWKSNoMatchingKey && i < sources.length - 1) continue;
          throw keyFailure(err, source.kind);
        }
      }
      throw new AuthFailure('no-key-source', 'no key source for the issuer');
    };

  const findClient = (iss: string, tenant: unknown): TrustedClient => {
    const candidates = opts.clients.filter((c) => c.iss === iss);
    if (candidates.length === 0) throw new AuthFailure('unknown-issuer', 'the token\'s iss is not in the trusted clients');
    const t = typeof tenant === 'string' ? tenant : undefined;
    const match = candidates.find((c) => c.tenant !== undefined && c.tenant === t) ?? candidates.find((c) => c.tenant === undefined);
    if (!match) throw new AuthFailure('tenant-not-trusted', "the token's tenant is not trusted for its issuer");
    return match;
  };

  return {
    async verify(token, audience) {
      let header: ReturnType<typeof decodeProtectedHeader>;
      let unverified: JWTPayload;
      try {
        header = decodeProtectedHeader(token);
        unverified = decodeJwt(token);
      } catch {
        throw new AuthFailure('malformed-token', 'the token is not a well-formed JWT');
      }
      if (typeof header.alg !== 'string' || !(ALLOWED_ALGORITHMS as readonly string[]).includes(header.alg)) {
        throw new AuthFailure('algorithm-not-allowed', 'the token is signed with an algorithm that is not accepted (none and HMAC never are)');
      }
      if (header.jku !== undefined && typeof header.jku !== 'string') throw new AuthFailure('malformed-token', 'the jku header is not a string');
      if (typeof unverified.iss !== 'string') throw new AuthFailure('claim-invalid: iss', 'the iss claim is missing');
      const client = findClient(unverified.iss, unverified['tenant']);
      const getKey = chain(keySources(client, header.jku));

      let payload: JWTPayload;
      try {
        ({ payload } = await verifyWithCandidates(token, getKey, {
          issuer: client.iss,
          audience: [...(typeof audience === 'string' ? [audience] : audience).map(stripSlash), ...(client.audiences ?? [])],
          algorithms: [...ALLOWED_ALGORITHMS],
          clockTolerance: opts.clockSkewSeconds,
          requiredClaims: ['iss', 'aud', 'exp', 'iat', 'jti'],
          currentDate: new Date(now()),
        }));
      } catch (err) {
        throw verifyFailure(err);
      }
      const nowSec = now() / 1000;
      const exp = payload.exp as number;
      const iat = payload.iat as number;
      if (iat > nowSec + opts.clockSkewSeconds) throw new AuthFailure('claim-invalid: iat', 'the token was issued in the future (beyond JWT_CLOCK_SKEW_SECONDS)');
      if (exp - nowSec > opts.maxLifetimeSeconds) throw new AuthFailure('claim-invalid: exp', 'the token expires further ahead than JWT_MAX_LIFETIME_SECONDS');
      const tenant = typeof payload['tenant'] === 'string' ? payload['tenant'] : undefined;
      if (client.tenant !== undefined && tenant !== client.tenant) throw new AuthFailure('claim-invalid: tenant', "the tenant claim does not match the issuer's entry");
      if (typeof payload.jti !== 'string' || payload.jti.length === 0 || payload.jti.length > 256) {
        throw new AuthFailure('claim-invalid: jti', 'the jti claim is not a string of 1 to 256 characters');
      }
      let fresh: boolean;
      try {
        fresh = await opts.replayCache.remember(`${client.iss}\u0000${payload.jti}`, (exp + opts.clockSkewSeconds) * 1000);
      } catch {
        // Fails closed: without the replay check a stolen token could be used again.
        throw new AuthFailure('replay-check-failed', 'the jti replay cache could not be consulted');
      }
      if (!fresh) throw new AuthFailure('replayed-jti', 'a token with this jti was already used');
      const scope = typeof payload['scope'] === 'string' ? payload['scope'].split(' ').filter(Boolean) : [];
      return {
        iss: client.iss,
        ...(tenant !== undefined ? { tenant } : {}),
        ...(typeof payload.sub === 'string' ? { sub: payload.sub } : {}),
        client,
        scopes: scope.filter((s) => client.scopes?.includes(s)),
      };
    },
  };
}
