import { Router, type Request, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/config.js';
import { HttpError } from '../errors/http-error.js';
import { checkFhirServer } from '../fhir/allowlist.js';
import { createFhirAccess, FhirAccessError, type FhirAccess } from '../fhir/fhir-access.js';
import type { Metrics } from '../metrics/metrics.js';
import { InferenceError } from '../models/runtime.js';
import { loadCardTemplates } from '../cards/templates.js';
import { guardJsonBody } from './body-guard.js';
import { pseudonymize, type DecisionStore } from '../store/index.js';
import { cleanServiceResponse, pruneEmpty } from './json.js';
import { uniqueUuids } from './unique-uuids.js';
import { profileOf, shapeForProfile, type ProfileRules } from './profiles/index.js';
import { completionFailed } from './completeness.js';
import { dataIncompleteOutput, IncompleteDataError, unhandledIncomplete, type DataIncompleteTemplates } from './incomplete.js';
import { foreignPatientKeys, resolvePrefetch } from './prefetch.js';
import { ServiceRegistry, type ServiceRoute } from './registry.js';
import type { CdsHandlerOutput, CdsHookRequest, CdsServiceDefinition, CdsServiceResponse, FeedbackItem, IncompleteData, PrefetchResult, Provenance } from './types.js';
import type { Validation, Validators } from './validation.js';

export interface CdsRoutesDeps {
  readonly config: AppConfig;
  readonly registry: ServiceRegistry;
  readonly validators: Validators;
  readonly store: DecisionStore;
  /** HMAC key for the audit log's pseudonymous patient and user ids. */
  readonly pseudonymSecret: string;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** FHIR servers allowed when no authenticated client is known (auth off). */
  readonly defaultFhirServers: readonly string[];
  /** Guards every route (the CDS client JWT check), or passes when auth is off. */
  readonly authenticate: RequestHandler;
  /** How cards are shaped per client profile (cards/profiles.json). */
  readonly profileRules: ProfileRules;
  /** Card wording folder (`cards/`): the core's data-incomplete card lives there. */
  readonly cardsDir: string;
}

const MAX_JSON_DEPTH = 64;

function sendJson(res: import('express').Response, status: number, body: unknown): void {
  res.status(status).set('Cache-Control', 'no-store').type('application/json').send(JSON.stringify(body));
}

function invalid(v: Validation): asserts v is { ok: true } {
  if (!v.ok) throw new HttpError('INVALID_REQUEST', v.issues);
}

function requireJson(req: Request): void {
  if (!req.is(['application/json', 'application/*+json'])) throw new HttpError('UNSUPPORTED_MEDIA_TYPE');
}

/** The service a URL id names, and the hooks it takes there (one for a per-hook discovery id). */
function findService(registry: ServiceRegistry, id: string): ServiceRoute {
  const route = registry.resolve(id);
  if (!route) throw new HttpError('SERVICE_NOT_FOUND', [{ diagnostics: `no CDS service with id "${id}"` }]);
  return route;
}

export function cdsRoutes(deps: CdsRoutesDeps): Router {
  const { config, registry, validators, store, metrics } = deps;
  const router = Router();
  const incompleteCard = loadCardTemplates<DataIncompleteTemplates>(deps.cardsDir, 'data-incomplete');

  // Spec 2.0 §Discovery: {baseUrl}/cds-services, always available over GET.
  router.get('/cds-services', deps.authenticate, (_req, res) => {
    sendJson(res, 200, pruneEmpty({ services: registry.discovery() }) ?? { services: [] });
  });

  router.post('/cds-services/:id', deps.authenticate, async (req, res) => {
    const { service, hooks } = findService(registry, req.params['id'] as string);
    res.locals['serviceId'] = service.id;
    requireJson(req);
    const body = req.body as unknown;
    guardJsonBody(body, MAX_JSON_DEPTH);
    invalid(validators.request(body));
    const request = body as CdsHookRequest;
    res.locals['hookInstance'] = request.hookInstance;
    if (!hooks.includes(request.hook)) {
      throw new HttpError('HOOK_MISMATCH', [{ diagnostics: `hook must be ${hooks.join(' or ')} for service "${req.params['id'] as string}"`, expression: 'hook' }]);
    }
    invalid(validators.context(request.hook, request.context));

    const started = process.hrtime.bigint();
    const elapsedMs = (): number => Number(process.hrtime.bigint() - started) / 1e6;
    let prefetchSeen: PrefetchResult | undefined;
    let provenance: Provenance | undefined;
    let cardUuids: string[] = [];
    // Audit trail (issue 5): who asked what, which data and models were used, what was answered.
    // Pseudonyms only: never a token, a raw identifier or a clinical value.
    const audit = async (status: number): Promise<void> => {
      const ctx = request.context;
      try {
        await store.recordAudit({
          at: new Date(),
          ...(req.client ? { clientIss: req.client.iss, ...(req.client.tenant ? { tenant: req.client.tenant } : {}) } : {}),
          serviceId: service.id,
          hook: request.hook,
          hookInstance: request.hookInstance,
          status,
          latencyMs: Math.round(elapsedMs() * 100) / 100,
          ...(typeof ctx['patientId'] === 'string' ? { patientToken: pseudonymize(deps.pseudonymSecret, 'patient', ctx['patientId']) } : {}),
          ...(typeof ctx['userId'] === 'string' ? { userToken: pseudonymize(deps.pseudonymSecret, 'user', ctx['userId']) } : {}),
          prefetchSupplied: [...(prefetchSeen?.supplied ?? [])],
          prefetchFetched: [...(prefetchSeen?.fetched ?? [])],
          models: [...(provenance?.models ?? [])],
          cardUuids,
        });
      } catch (err) {
        req.log.error({ err, serviceId: service.id }, 'audit write failed');
      }
    };
    const observe = (status: number): void => {
      metrics.cdsRequests.inc({ service: service.id, hook: request.hook, status: String(status) });
      metrics.cdsLatency.observe({ service: service.id, hook: request.hook }, elapsedMs() / 1000);
    };

    const deadline = AbortSignal.timeout(config.prefetchDeadlineMs);
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    const signal = AbortSignal.any([deadline, abort.signal]);

    try {
      let fhir: FhirAccess | undefined;
      if (request.fhirServer) {
        const allowed = req.client?.client.fhir_servers ?? deps.defaultFhirServers;
        const baseUrl = checkFhirServer(request.fhirServer, allowed, config.allowHttpFhir);
        const access = { baseUrl, timeoutMs: config.fhirTimeoutMs, maxPages: config.fhirMaxPages, maxResponseBytes: config.fhirMaxResponseBytes, signal };
        // The token is used for this request's FHIR server only and is never stored or logged.
        if (request.fhirAuthorization) fhir = createFhirAccess({ ...access, accessToken: request.fhirAuthorization.access_token });
        // Without a token, only a server its client declared open (`fhir_open`; with auth off, the
        // default servers, i.e. the sandbox's) is read, with no Authorization header at all.
        else if (req.client ? req.client.client.fhir_open === true : config.authDisabled) fhir = createFhirAccess(access);
      }

      const prefetch = await resolvePrefetch(service.prefetch ?? {}, request, fhir, service.deferredPrefetch);
      prefetchSeen = prefetch;
      metrics.prefetchKeys.inc({ service: service.id, source: 'supplied' }, prefetch.supplied.length);
      metrics.prefetchKeys.inc({ service: service.id, source: 'fetched' }, prefetch.fetched.length);
      metrics.prefetchKeys.inc({ service: service.id, source: 'unavailable' }, Object.keys(prefetch.unavailable).length);
      metrics.prefetchKeys.inc({ service: service.id, source: 'incomplete' }, Object.keys(prefetch.incomplete).length);
      res.locals['prefetch'] = { supplied: prefetch.supplied, fetched: prefetch.fetched, completed: prefetch.completed, incomplete: Object.keys(prefetch.incomplete) };

      const foreign = foreignPatientKeys(service.prefetch ?? {}, request, prefetch);
      if (foreign.length > 0) {
        throw new HttpError(
          'INVALID_REQUEST',
          foreign.map((k) => ({ diagnostics: `prefetch.${k} is a different patient than context.patientId`, expression: `prefetch.${k}` })),
        );
      }

      const missing = ServiceRegistry.requiredKeys(service).filter((k) => Object.hasOwn(prefetch.unavailable, k));
      if (missing.length > 0) {
        // Spec 2.0 §Prefetch template: cannot reach the FHIR server and data not prefetched -> 412.
        throw new HttpError(
          'PRECONDITION_FAILED',
          missing.map((k) => ({ diagnostics: `prefetch "${k}" could not be obtained: ${prefetch.unavailable[k]}`, expression: `prefetch.${k}` })),
        );
      }

      // Data received incomplete are never scored: one card says so, for every service, unless the
      // service handles that key itself. Counts and causes are logged, never URLs or identifiers.
      const incompleteAnswer = (incomplete: Readonly<Record<string, IncompleteData>>): CdsHandlerOutput => {
        req.log.info({ serviceId: service.id, incomplete: Object.fromEntries(Object.entries(incomplete).map(([k, v]) => [k, v.cause])) }, 'data received incomplete: no assessment');
        return dataIncompleteOutput(service, incomplete, incompleteCard, { hookInstance: request.hookInstance, maxPages: config.fhirMaxPages });
      };
      const unhandled = unhandledIncomplete(service, prefetch.incomplete);
      let output: CdsHandlerOutput;
      if (Object.keys(unhandled).length > 0) output = incompleteAnswer(unhandled);
      else {
        try {
          output = await service.handler({
            request,
            prefetch,
            ...(fhir ? { fhir } : {}),
            ...(req.client ? { client: req.client } : {}),
            log: req.log.child({ serviceId: service.id, hookInstance: request.hookInstance }),
            signal,
            now: new Date(),
          });
        } catch (err) {
          if (err instanceof IncompleteDataError) output = incompleteAnswer(err.incomplete);
          // The handler's own fetch was to complete what the client sent incomplete: said as such, not 412.
          else if (err instanceof FhirAccessError && Object.keys(prefetch.deferredIncomplete).length > 0) {
            output = incompleteAnswer(Object.fromEntries(Object.entries(prefetch.deferredIncomplete).map(([k, gap]) => [k, completionFailed(gap, err)])));
          } else throw err;
        }
      }
      const { provenance: handlerProvenance, ...sendable } = output as CdsHandlerOutput;
      // One uuid, one card or suggestion: feedback must find what it refers to.
      const unique = uniqueUuids(cleanServiceResponse(sendable as CdsServiceResponse), handlerProvenance?.cardKinds ?? {});
      if (unique.renamed > 0) req.log.warn({ serviceId: service.id, renamed: unique.renamed }, 'duplicate uuids in a service response were made distinct');
      provenance = handlerProvenance ? { ...handlerProvenance, cardKinds: unique.kinds } : undefined;
      // Shaped for the caller's EHR (topic codes, what it can apply) before validation, so what is checked is what is sent.
      const response = shapeForProfile(unique.response, {
        profile: profileOf(req.client),
        serviceId: service.id,
        hookInstance: request.hookInstance,
        cardKinds: unique.kinds,
        rules: deps.profileRules,
        onDropped: (card, d) => req.log.warn({ serviceId: service.id, card, suggestion: d.suggestion, reason: d.reason }, 'suggestion left out: the client cannot apply it'),
      });
      const check = validators.response(response);
      if (!check.ok) {
        // A service that breaks the spec must not reach a clinician's screen.
        req.log.error({ serviceId: service.id, problems: check.issues.map((i) => i.diagnostics) }, 'service produced an invalid response');
        throw new HttpError('INTERNAL');
      }
      cardUuids = response.cards.map((c) => c.uuid).filter((u): u is string => typeof u === 'string');
      await store.recordIssuedCards({
        serviceId: service.id,
        hook: request.hook,
        hookInstance: request.hookInstance,
        cards: response.cards.map((c) => ({ ...c, ...(c.uuid && provenance?.cardKinds[c.uuid] ? { kind: provenance.cardKinds[c.uuid] } : {}) })),
        models: [...(provenance?.models ?? [])],
        ruleTables: [...(provenance?.ruleTables ?? [])],
        at: new Date(),
      });
      for (const c of response.cards) metrics.cardsIssued.inc({ service: service.id, indicator: c.indicator });
      observe(200);
      await audit(200);
      sendJson(res, 200, response);
    } catch (err) {
      if (err instanceof InferenceError) req.log.error({ modelId: err.modelId, err: err.cause }, 'model inference failed');
      const mapped =
        err instanceof FhirAccessError
          ? new HttpError('PRECONDITION_FAILED', [{ diagnostics: `data needed from the FHIR server could not be obtained: ${err.failure}` }])
          : err;
      const status = mapped instanceof HttpError ? mapped.status : 500;
      observe(status);
      await audit(status);
      throw mapped;
    }
  });

  // Spec 2.0 §Feedback.
  router.post('/cds-services/:id/feedback', deps.authenticate, async (req, res) => {
    // Either URL of a service (its id or a per-hook id) records under the service id, as its cards are.
    const { service } = findService(registry, req.params['id'] as string);
    res.locals['serviceId'] = service.id;
    requireJson(req);
    guardJsonBody(req.body, MAX_JSON_DEPTH);
    invalid(validators.feedback(req.body));
    const items = (req.body as { feedback: FeedbackItem[] }).feedback;
    // Answered only once the store says the write is durable (issue 5).
    const statuses = await store.recordFeedback(service.id, items, new Date());
    sendJson(res, 200, { feedback: items.map((item, i) => ({ card: item.card, status: statuses[i] })) });
  });

  router.all(['/cds-services', '/cds-services/:id', '/cds-services/:id/feedback'], (_req, _res, next) => {
    next(new HttpError('METHOD_NOT_ALLOWED'));
  });

  return router;
}
