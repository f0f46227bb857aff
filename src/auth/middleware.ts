import type { RequestHandler } from 'express';
import { HttpError } from '../errors/http-error.js';
import { AuthFailure, type JwtVerifier } from './jwt.js';

/**
 * Requires `Authorization: Bearer <JWT>` on every request it guards (spec 2.0 §Trusting CDS
 * Clients). Any failure is a bare 401; the reason goes to the log only.
 */
export function requireClientJwt(verifier: JwtVerifier, publicBaseUrl: string): RequestHandler {
  return (req, _res, next) => {
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+([A-Za-z0-9_\-.]+)$/.exec(header.trim()) : null;
    if (!match?.[1]) {
      req.log.info({ authFailure: 'missing or malformed Authorization header' }, 'client authentication failed');
      next(new HttpError('UNAUTHORIZED'));
      return;
    }
    const audience = publicBaseUrl + req.path;
    verifier.verify(match[1], audience).then(
      (identity) => {
        req.client = identity;
        next();
      },
      (err: unknown) => {
        const reason = err instanceof AuthFailure ? err.reason : 'verification error';
        req.log.info({ authFailure: reason }, 'client authentication failed');
        next(new HttpError('UNAUTHORIZED'));
      },
    );
  };
}
