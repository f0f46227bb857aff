import {
  createRemoteJWKSet,
  jwksCache,
  type ExportedJWKSCache,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
  type RemoteJWKSetOptions,
} from 'jose';
import type { RedisClient } from './redis-replay-cache.js';

/**
 * A remote JWKS whose fetched copy is shared by replicas through Redis.
 *
 * jose 6's `[jwksCache]` option takes an object `{ jwks, uat }` (key set, and time of the last
 * successful fetch in ms): jose reads it once when the key set is created (using it while
 * `uat + cacheMaxAge` is in the future) and assigns `uat` and `jwks` on it after every fetch.
 * Here the object is seeded from Redis, and jose's assignments are written back to Redis. Each
 * time the local copy is stale, or a token's key is not in it, Redis is consulted first and a
 * newer shared copy is taken instead of fetching; only when Redis has nothing fresher does this
 * replica fetch (and then share what it got).
 *
 * Whoever can write the Redis key can make this service trust a signing key: the Redis must be
 * private to the service (ACL or network), like the replay cache.
 */
export interface SharedJwksOptions extends Omit<RemoteJWKSetOptions, typeof jwksCache> {
  /** Prepended to the JWKS URL to form the Redis key. Default "precision-cds:jwks:". */
  readonly keyPrefix?: string;
  /** Longest wait for a Redis read or write before going on without it. Default 500 ms. */
  readonly redisTimeoutMs?: number;
}

export type SharedRemoteJWKSet = JWTVerifyGetKey;

const DEFAULT_MAX_AGE = 600_000;

/** `p`, or `fallback` once `ms` have passed or when `p` fails: Redis is an optimization here, never a gate. */
function within<T>(p: Promise<T>, ms: number, fallback: T): Promise<T> {
  return new Promise((ok) => {
    const timer = setTimeout(() => ok(fallback), ms);
    timer.unref?.();
    p.then(
      (v) => {
        clearTimeout(timer);
        ok(v);
      },
      () => {
        clearTimeout(timer);
        ok(fallback);
      },
    );
  });
}

function parseEntry(raw: string | null): ExportedJWKSCache | undefined {
  if (!raw) return undefined;
  try {
    const v = JSON.parse(raw) as { jwks?: unknown; uat?: unknown };
    if (typeof v.uat !== 'number' || !Number.isFinite(v.uat)) return undefined;
    const jwks = v.jwks as { keys?: unknown } | undefined;
    if (!jwks || typeof jwks !== 'object' || !Array.isArray(jwks.keys)) return undefined;
    return { uat: v.uat, jwks: jwks as JSONWebKeySet };
  } catch {
    return undefined;
  }
}

/** The Redis key holding the shared copy of the key set at `url`. */
export function jwksRedisKey(url: string | URL, keyPrefix = 'precision-cds:jwks:'): string {
  return keyPrefix + new URL(String(url)).href;
}

/**
 * Like jose's `createRemoteJWKSet(url, options)`, with the fetched key set shared through Redis.
 * If Redis is unreachable or slow (over `redisTimeoutMs`), the replica fetches on its own (as without sharing).
 */
export function createSharedRemoteJWKSet(redis: RedisClient, url: string | URL, options: SharedJwksOptions = {}): SharedRemoteJWKSet {
  const target = new URL(String(url));
  const { keyPrefix, redisTimeoutMs, ...joseOptions } = options;
  const redisWait = redisTimeoutMs ?? 500;
  const key = jwksRedisKey(target, keyPrefix);
  const maxAge = options.cacheMaxAge ?? DEFAULT_MAX_AGE;
  const freshAt = (uat: number): boolean => Date.now() < uat + maxAge;

  let set: ReturnType<typeof createRemoteJWKSet> | undefined;
  /** uat of the copy `set` holds. */
  let localUat = -Infinity;
  let persisting: Promise<unknown> = Promise.resolve();

  const load = async (): Promise<ExportedJWKSCache | undefined> => parseEntry(await within(redis.get(key), redisWait, null));

  const persist = (entry: ExportedJWKSCache): void => {
    const body = JSON.stringify(entry);
    const ttl = Number.isFinite(maxAge) ? Math.max(1, Math.ceil(entry.uat + maxAge - Date.now())) : undefined;
    const write = ttl === undefined ? redis.set(key, body) : redis.set(key, body, 'PX', ttl);
    persisting = within(write as Promise<unknown>, redisWait, undefined);
  };

  /** The object jose reads once and writes after each fetch; writes go on to Redis. */
  const cacheObject = (seed: ExportedJWKSCache | undefined): ExportedJWKSCache => {
    let jwks = seed?.jwks;
    let uat = seed?.uat;
    let scheduled = false;
    const changed = (): void => {
      if (scheduled) return;
      scheduled = true;
      // jose assigns uat then jwks in one go: write once both are in.
      queueMicrotask(() => {
        scheduled = false;
        if (jwks !== undefined && uat !== undefined) {
          localUat = uat;
          persist({ jwks, uat });
        }
      });
    };
    const obj = {
      get jwks() {
        return jwks;
      },
      set jwks(v) {
        jwks = v;
        changed();
      },
      get uat() {
        return uat;
      },
      set uat(v) {
        uat = v;
        changed();
      },
    };
    return obj as ExportedJWKSCache;
  };

  const rebuild = (seed: ExportedJWKSCache | undefined): void => {
    set = createRemoteJWKSet(target, { ...joseOptions, [jwksCache]: cacheObject(seed) });
    localUat = seed?.uat ?? -Infinity;
  };

  /** Takes the shared copy when it is fresh and newer than ours; true when it did. Concurrent callers share one look-up. */
  let checking: Promise<boolean> | undefined;
  const adoptShared = (): Promise<boolean> => {
    checking ??= load()
      .then((shared) => {
        if (shared && freshAt(shared.uat) && shared.uat > localUat) {
          rebuild(shared);
          return true;
        }
        return false;
      })
      .finally(() => {
        checking = undefined;
      });
    return checking;
  };

  return async (protectedHeader, token) => {
    if (!set || (!set.fresh && !set.reloading)) {
      if (!(await adoptShared()) && !set) rebuild(undefined);
    }
    try {
      const k = await set!(protectedHeader, token);
      await persisting;
      return k;
    } catch (err) {
      // A key not in our copy (rotation): another replica may already have fetched the new set.
      if ((err as { code?: string }).code === 'ERR_JWKS_NO_MATCHING_KEY' && (await adoptShared())) {
        const k = await set!(protectedHeader, token);
        await persisting;
        return k;
      }
      throw err;
    }
  };
}

/**
 * For `createJwtVerifier`: builds shared key sets in place of `createRemoteJWKSet(new URL(url), options)`.
 */
export function sharedJwksFactory(
  redis: RedisClient,
  keyPrefix?: string,
): (url: string, options: Omit<RemoteJWKSetOptions, typeof jwksCache>) => SharedRemoteJWKSet {
  return (url, options) => createSharedRemoteJWKSet(redis, url, { ...options, ...(keyPrefix !== undefined ? { keyPrefix } : {}) });
}
