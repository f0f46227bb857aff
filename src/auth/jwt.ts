import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
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

/** Why a token was refused: logged for operators, never sent to the caller. */
export class AuthFailure extends Error {
  constructor(readonly reason: string) {
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
  /** Verifies `token` for a call to `audience` (the endpoint URL); throws AuthFailure. */
  verify(token: string, audience: string): Promise<ClientIdentity>;
}

const stripSlash = (u: string): string => u.replace(/\/+$/, '');

export function createJwtVerifier(opts: JwtVerifierOptions): JwtVerifier {
  const now = opts.now ?? Date.now;
  const remoteSets = new Map<string, JWTVerifyGetKey>();
  const localSets = new Map<TrustedClient, JWTVerifyGetKey>();

  const remote = (url: string): JWTVerifyGetKey => {
    let set = remoteSets.get(url);
    if (!set) {
      const options: RemoteJWKSetOptions = { timeoutDuration: opts.jwksTimeoutMs, cacheMaxAge: opts.jwksCacheSeconds * 1000, cooldownDuration: 30_000 };
      set = opts.remoteJwks ? opts.remoteJwks(url, options) : createRemoteJWKSet(new URL(url), options);
      remoteSets.set(url, set);
    }
    return set;
  };

  const keysFor = (client: TrustedClient, jku: string | undefined): JWTVerifyGetKey => {
    if (jku !== undefined) {
      // Spec 2.0: services SHOULD keep an allowlist of jku URLs; an unlisted jku is refused.
      if (!client.jku?.includes(jku)) throw new AuthFailure('jku not allowed for issuer');
      return remote(jku);
    }
    if (client.jwks) {
      let set = localSets.get(client);
      if (!set) {
        set = createLocalJWKSet(client.jwks);
        localSets.set(client, set);
      }
      return set;
    }
    if (client.jwks_url) return remote(client.jwks_url);
    throw new AuthFailure('no out-of-band key set for issuer and no jku');
  };

  const findClient = (iss: string, tenant: unknown): TrustedClient => {
    const candidates = opts.clients.filter((c) => c.iss === iss);
    if (candidates.length === 0) throw new AuthFailure('unknown issuer');
    const t = typeof tenant === 'string' ? tenant : undefined;
    const match = candidates.find((c) => c.tenant !== undefined && c.tenant === t) ?? candidates.find((c) => c.tenant === undefined);
    if (!match) throw new AuthFailure('tenant not trusted for issuer');
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
        throw new AuthFailure('malformed token');
      }
      if (typeof header.alg !== 'string' || !(ALLOWED_ALGORITHMS as readonly string[]).includes(header.alg)) {
        throw new AuthFailure(`algorithm not allowed: ${String(header.alg)}`);
      }
      if (typeof unverified.iss !== 'string') throw new AuthFailure('missing iss');
      const client = findClient(unverified.iss, unverified['tenant']);
      const keys = keysFor(client, typeof header.jku === 'string' ? header.jku : undefined);

      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, keys, {
          issuer: client.iss,
          audience: [stripSlash(audience), ...(client.audiences ?? [])],
          algorithms: [...ALLOWED_ALGORITHMS],
          clockTolerance: opts.clockSkewSeconds,
          requiredClaims: ['iss', 'aud', 'exp', 'iat', 'jti'],
          currentDate: new Date(now()),
        }));
      } catch (err) {
        throw new AuthFailure(`verification failed: ${(err as { code?: string }).code ?? 'error'}`);
      }
      const nowSec = now() / 1000;
      const exp = payload.exp as number;
      const iat = payload.iat as number;
      if (iat > nowSec + opts.clockSkewSeconds) throw new AuthFailure('iat in the future');
      if (exp - nowSec > opts.maxLifetimeSeconds) throw new AuthFailure('token lifetime too long');
      const tenant = typeof payload['tenant'] === 'string' ? payload['tenant'] : undefined;
      if (client.tenant !== undefined && tenant !== client.tenant) throw new AuthFailure('tenant mismatch');
      if (typeof payload.jti !== 'string' || payload.jti.length === 0 || payload.jti.length > 256) throw new AuthFailure('bad jti');
      const fresh = await opts.replayCache.remember(`${client.iss}\u0000${payload.jti}`, (exp + opts.clockSkewSeconds) * 1000);
      if (!fresh) throw new AuthFailure('replayed jti');
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
