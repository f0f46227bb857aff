import { timingSafeEqual } from 'node:crypto';
import { Router, type RequestHandler } from 'express';
import type { JwtVerifier } from '../auth/jwt.js';
import { logAuthFailure } from '../auth/middleware.js';
import { HttpError } from '../errors/http-error.js';
import type { DecisionStore } from '../store/index.js';

export interface AnalyticsDeps {
  readonly store: DecisionStore;
  readonly verifier: JwtVerifier;
  /** Base URLs a JWT's `aud` may name the endpoint under (PUBLIC_BASE_URL first). */
  readonly audienceBases: readonly string[];
  readonly adminToken: string | undefined;
  readonly scope: string;
}

const safeEqual = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * Who may read analytics: the configured admin bearer secret, or a trusted client's JWT whose
 * `scope` claim carries the analytics scope and whose trusted-clients entry grants it.
 */
function requireAnalyticsAccess(deps: AnalyticsDeps): RequestHandler {
  return (req, _res, next) => {
    const token = /^Bearer\s+(\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!token) return next(new HttpError('UNAUTHORIZED'));
    if (deps.adminToken && safeEqual(token, deps.adminToken)) return next();
    if (!token.includes('.')) return next(new HttpError('UNAUTHORIZED'));
    deps.verifier.verify(token, deps.audienceBases.map((base) => base + req.path)).then(
      (client) => next(client.scopes.includes(deps.scope) ? undefined : new HttpError('FORBIDDEN', 'the token does not grant the analytics scope')),
      (err: unknown) => {
        logAuthFailure(req.log, err);
        next(new HttpError('UNAUTHORIZED'));
      },
    );
  };
}

function date(name: string, raw: unknown): Date | undefined {
  if (raw === undefined) return undefined;
  const d = typeof raw === 'string' && /^\d{4}-\d{2}-\d{2}/.test(raw) ? new Date(raw) : undefined;
  if (!d || Number.isNaN(d.getTime())) throw new HttpError('INVALID_REQUEST', [{ diagnostics: `${name} must be an ISO date or date-time`, expression: name }]);
  return d;
}

/** GET /analytics/cards?service=&from=&to=: per service and card kind, cards issued, accepted, overridden, acceptance rate, top override reasons. */
export function analyticsRoutes(deps: AnalyticsDeps): Router {
  const router = Router();
  router.get('/analytics/cards', requireAnalyticsAccess(deps), async (req, res) => {
    const service = req.query['service'];
    if (service !== undefined && (typeof service !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(service))) {
      throw new HttpError('INVALID_REQUEST', [{ diagnostics: 'service must be a service id', expression: 'service' }]);
    }
    const from = date('from', req.query['from']);
    const to = date('to', req.query['to']);
    const rows = await deps.store.cardAnalytics({ ...(service ? { serviceId: service } : {}), ...(from ? { from } : {}), ...(to ? { to } : {}) });
    res.status(200).set('Cache-Control', 'no-store').json({
      ...(service ? { service } : {}),
      ...(from ? { from: from.toISOString() } : {}),
      ...(to ? { to: to.toISOString() } : {}),
      cards: rows.map((r) => ({ ...r, ...(r.acceptanceRate === null ? { acceptanceRate: undefined } : {}) })),
    });
  });
  return router;
}
