import { Router } from 'express';
import { HttpError } from '../errors/http-error.js';
import type { ModelRuntime } from './runtime.js';

/**
 * Model cards, public: a clinician follows the link on a decision card from the EHR, without
 * our client JWT. They hold no patient data.
 */
export function modelRoutes(models: ModelRuntime): Router {
  const router = Router();
  router.get('/models', (_req, res) => {
    res.json({ models: models.list() });
  });
  router.get('/models/:id', (req, res) => {
    const id = req.params['id'] as string;
    if (!models.has(id)) throw new HttpError('NOT_FOUND', [{ diagnostics: `no model "${id}"` }]);
    res.json(models.get(id).card);
  });
  return router;
}
