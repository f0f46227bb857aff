import { Router } from 'express';
import { HttpError } from '../errors/http-error.js';
import { renderAgpSvg } from '../services/glucose-monitoring/agp.js';
import { AGP_TOKEN, type AgpLinkStore } from './link-store.js';

/** The one answer for a malformed, unknown or expired token: which of them is not revealed. */
const GONE = 'no such chart, or the link has expired';

/**
 * AGP charts, public: a clinician follows the link on a glucose card from the EHR, without our
 * client JWT. The unguessable, short-lived token is the only credential; the SVG carries no
 * patient identifier, and nothing is cached or sent on as a referrer.
 */
export function agpRoutes(store: AgpLinkStore): Router {
  const router = Router();
  // Card renderers (the EHR's, the HL7 reference client) show the chart from their own origin:
  // helmet's `same-origin` would make the browser block it. Only /agp/* is opened up; the
  // unguessable short-lived token stays the only key, and no CORS header is sent (the chart is
  // embedded, not read by scripts).
  router.use('/agp', (_req, res, next) => {
    res.set('Cross-Origin-Resource-Policy', 'cross-origin');
    next();
  });
  router.get('/agp/:token', async (req, res) => {
    const token = req.params['token'] as string;
    const chart = AGP_TOKEN.test(token) ? await store.get(token) : undefined;
    if (chart === undefined) throw new HttpError('NOT_FOUND', [{ diagnostics: GONE }]);
    const svg = renderAgpSvg(chart);
    res
      .status(200)
      .set({
        'Content-Type': 'image/svg+xml; charset=utf-8',
        'Cache-Control': 'no-store, private',
        'Referrer-Policy': 'no-referrer',
        'X-Content-Type-Options': 'nosniff',
        'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'",
      })
      .send(svg);
  });
  return router;
}
