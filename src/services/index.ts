import { ServiceRegistry } from '../cds/registry.js';
import type { ModelRuntime } from '../models/runtime.js';
import type { AppConfig } from '../config/config.js';
import { DEFAULT_FEATURE_CONFIG } from './cardiovascular-risk/features/index.js';
import { cardiovascularRiskService } from './cardiovascular-risk/index.js';
import { pharmacogenomicsService } from './pgx/index.js';
import type { AgpLinkStore } from '../agp/link-store.js';
import { glucoseMonitoringService } from './glucose-monitoring/index.js';

export interface ServiceDeps {
  readonly models: ModelRuntime;
  readonly cardsDir: string;
  readonly publicBaseUrl: string;
  readonly lookbackDays?: AppConfig['lookbackDays'];
  readonly pgx?: { readonly showNormal: boolean; readonly preTesting: Readonly<Record<string, boolean>> };
  readonly cgm?: {
    readonly showOnTarget: boolean;
    readonly highRiskConditions?: readonly { readonly system: string; readonly code: string }[];
    /** Where AGP charts wait for their link; without it cards carry no AGP link. */
    readonly agpLinks?: AgpLinkStore;
    readonly agpLinkTtlMs: number;
  };
}

/**
 * The decision services of this deployment. Each lives in its own folder under src/services
 * as a declaration plus a handler and is registered here (see README "Adding a service").
 */
export function buildRegistry(deps: ServiceDeps): ServiceRegistry {
  const lb = deps.lookbackDays;
  const features = lb
    ? { ...DEFAULT_FEATURE_CONFIG, lipidsLookbackDays: lb.lipids, bpLookbackDays: lb.bloodPressure, smokingLookbackDays: lb.smoking, bodyLookbackDays: lb.body, renalLookbackDays: lb.renal }
    : DEFAULT_FEATURE_CONFIG;
  return new ServiceRegistry()
    .register(cardiovascularRiskService({ ...deps, features }))
    .register(
      pharmacogenomicsService({
        models: deps.models,
        cardsDir: deps.cardsDir,
        options: { showStandard: deps.pgx?.showNormal ?? false, preTestingOverrides: deps.pgx?.preTesting ?? {} },
        ...(lb ? { bodyLookbackDays: lb.body } : {}),
      }),
    )
    .register(
      glucoseMonitoringService({
        cardsDir: deps.cardsDir,
        publicBaseUrl: deps.publicBaseUrl,
        showOnTarget: deps.cgm?.showOnTarget ?? false,
        agpLinkTtlMs: deps.cgm?.agpLinkTtlMs ?? 15 * 60_000,
        ...(deps.cgm?.agpLinks ? { agpLinks: deps.cgm.agpLinks } : {}),
        ...(deps.cgm?.highRiskConditions ? { highRiskConditions: deps.cgm.highRiskConditions } : {}),
      }),
    );
}
