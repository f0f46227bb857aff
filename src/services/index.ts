import { ServiceRegistry } from '../cds/registry.js';

/**
 * The decision services of this deployment. Each lives in its own folder under src/services
 * as a declaration plus a handler and is registered here (see README "Adding a service").
 */
export function buildRegistry(): ServiceRegistry {
  return new ServiceRegistry();
}
