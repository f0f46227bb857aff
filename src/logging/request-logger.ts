import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';

const SAFE_REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * Gives every request an id and a child logger, and logs one line when it finishes: method,
 * route path, status and latency, plus service id and hookInstance when set. No headers,
 * query strings or bodies are logged (tokens and patient data live there), and a matched route
 * is logged by its pattern (`/agp/:token`), so capability tokens in paths stay out too.
 */
export function requestLogger(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const incoming = req.headers['x-request-id'];
    req.id = typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    req.log = logger.child({ reqId: req.id });
    res.setHeader('X-Request-Id', req.id);
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      const latencyMs = Number(process.hrtime.bigint() - start) / 1e6;
      const locals = res.locals as { serviceId?: string; hookInstance?: string };
      req.log.info(
        {
          method: req.method,
          path: req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : req.path,
          status: res.statusCode,
          latencyMs: Math.round(latencyMs * 100) / 100,
          ...(locals.serviceId ? { serviceId: locals.serviceId } : {}),
          ...(locals.hookInstance ? { hookInstance: locals.hookInstance } : {}),
        },
        'request completed',
      );
    });
    next();
  };
}
