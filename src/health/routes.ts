import { Router } from 'express';

export type CheckResult = { readonly status: 'ok' | 'unavailable'; readonly detail?: string };

/** A readiness check, e.g. the sandbox FHIR server or a database; models add their own. */
export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<CheckResult>;
}

export interface HealthState {
  /** Set on SIGTERM so load balancers stop sending traffic before we close. */
  shuttingDown: boolean;
}

export function healthRoutes(checks: readonly ReadinessCheck[], state: HealthState, extra: () => Record<string, unknown> = () => ({})): Router {
  const router = Router();
  router.get('/health/live', (_req, res) => {
    res.status(200).json({ status: 'ok' });
  });
  router.get('/health/ready', async (_req, res) => {
    const results: Record<string, CheckResult> = {};
    await Promise.all(
      checks.map(async (c) => {
        try {
          results[c.name] = await c.check();
        } catch {
          results[c.name] = { status: 'unavailable', detail: 'check failed' };
        }
      }),
    );
    if (state.shuttingDown) results['shutdown'] = { status: 'unavailable', detail: 'shutting down' };
    const ready = Object.values(results).every((r) => r.status === 'ok');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ok' : 'unavailable', checks: results, ...extra() });
  });
  return router;
}
