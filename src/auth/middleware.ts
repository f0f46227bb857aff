import type { RequestHandler } from 'express';
import { HttpError } from '../errors/http-error.js';
import { AuthFailure, type JwtVerifier } from './jwt.js';

/**
 * Requires `Authorization: Bearer <JWT>` on every request it guards (spec 2.0 §Trusting CDS
 * Clients). Any failure is a bare 401; the precise cause (a stable code and words, never token
 * content) goes to the log only. The token's `aud` must be the endpoint's URL under one of
 * `audienceBases` (PUBLIC_BASE_URL, and with the sandbox its loopback spellings).
 */
export function requireClientJwt(verifier: JwtVerifier, audienceBases: readonly string[]): RequestHandler {
  return (req, _res, next) => {
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+([A-Za-z0-9_\-.]+)$/.exec(header.trim()) : null;
    if (!match?.[1]) {
      req.log.info({ authFailure: 'missing-bearer-token', authFailureDetail: 'no Authorization: Bearer <JWT> header, or a malformed one' }, 'client authentication failed');
      next(new HttpError('UNAUTHORIZED'));
      return;
    }
    verifier.verify(match[1], audienceBases.map((base) => base + req.path)).then(
      (identity) => {
        req.client = identity;
        next();
      },
      (err: unknown) => {
        logAuthFailure(req.log, err);
        next(new HttpError('UNAUTHORIZED'));
      },
    );
  };
}

/** Logs why a client JWT was refused: the AuthFailure's code and words, nothing from the token. */
export function logAuthFailure(log: { info: (obj: object, msg: string) => void }, err: unknown): void {
  const failure = err instanceof AuthFailure ? err : new AuthFailure('verification-error', 'the token could not be verified');
  log.info({ authFailure: failure.reason, authFailureDetail: failure.detail }, 'client authentication failed');
}
