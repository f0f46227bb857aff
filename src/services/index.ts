import { ServiceRegistry } from '../cds/registry.js';
import type { ModelRuntime } from '../models/runtime.js';
import { cardiovascularRiskService } from './cardiovascular-risk/index.js';

export interface ServiceDeps {
  readonly models: ModelRuntime;
  readonly cardsDir: string;
  readonly publicBaseUrl: string;
}

/**
 * The decision services of this deployment. Each lives in its own folder under src/services
 * as a declaration plus a handler and is registered here (see README "Adding a service").
 */
export function buildRegistry(deps: ServiceDeps): ServiceRegistry {
  return new ServiceRegistry().register(cardiovascularRiskService(deps));
}
