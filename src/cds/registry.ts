import { packageVersion } from '../util/package-version.js';
import { checkQuerySubset, validateTemplate } from './prefetch.js';
import type { CdsServiceDefinition, CdsServiceDescriptor } from './types.js';

const SERVICE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const HOOK_ID = /^[a-z0-9][a-z0-9-]*$/;

/** What one `{baseUrl}/cds-services/{id}` URL addresses: a service, and the hooks it takes there. */
export interface ServiceRoute {
  readonly service: CdsServiceDefinition;
  readonly hooks: readonly string[];
}

/**
 * The discovery id of `service` on `hook`. Clients key services by discovery id (the HL7
 * reference client keeps one entry per id), so a service declared for several hooks is listed
 * once per hook as `<id>-<hook>`; a one-hook service keeps its own id.
 */
export function discoveryId(service: Pick<CdsServiceDefinition, 'id' | 'hooks'>, hook: string): string {
  return service.hooks.length === 1 ? service.id : `${service.id}-${hook}`;
}

/**
 * The services this deployment offers. Each is declared once (id, hooks, prefetch, …) with its
 * handler; discovery is generated from here. Declarations are checked when registered so a
 * broken one stops the start rather than failing a clinician's request.
 */
export class ServiceRegistry {
  private readonly services = new Map<string, CdsServiceDefinition>();
  /** Every id a URL may name: each service id (all its hooks) and each per-hook discovery id. */
  private readonly routes = new Map<string, ServiceRoute>();

  register(def: CdsServiceDefinition): this {
    if (!SERVICE_ID.test(def.id)) throw new Error(`invalid service id "${def.id}"`);
    if (this.services.has(def.id)) throw new Error(`service "${def.id}" is registered twice`);
    if (def.hooks.length === 0) throw new Error(`service "${def.id}" declares no hook`);
    for (const h of def.hooks) if (!HOOK_ID.test(h)) throw new Error(`service "${def.id}": invalid hook "${h}"`);
    if (new Set(def.hooks).size !== def.hooks.length) throw new Error(`service "${def.id}" declares a hook twice`);
    if (!def.description.trim()) throw new Error(`service "${def.id}": description is required`);
    if (def.version !== undefined && !def.version.trim()) throw new Error(`service "${def.id}": version must not be empty`);
    // Discovery ids must be unique across the registry, and so must every id a URL can name.
    const ids = [def.id, ...(def.hooks.length > 1 ? def.hooks.map((h) => discoveryId(def, h)) : [])];
    for (const id of ids) {
      if (!SERVICE_ID.test(id)) throw new Error(`service "${def.id}": discovery id "${id}" is not a valid id (at most 64 characters)`);
      const taken = this.routes.get(id);
      if (taken) throw new Error(`service "${def.id}": id "${id}" is already used by service "${taken.service.id}"`);
    }
    for (const [key, template] of Object.entries(def.prefetch ?? {})) {
      try {
        validateTemplate(template);
        checkQuerySubset(template);
      } catch (err) {
        throw new Error(`service "${def.id}" prefetch "${key}": ${(err as Error).message}`);
      }
    }
    for (const key of def.requiredPrefetch ?? []) {
      if (!def.prefetch || !Object.hasOwn(def.prefetch, key)) throw new Error(`service "${def.id}": required prefetch "${key}" is not declared`);
    }
    for (const key of def.deferredPrefetch ?? []) {
      if (!def.prefetch || !Object.hasOwn(def.prefetch, key)) throw new Error(`service "${def.id}": deferred prefetch "${key}" is not declared`);
      if (ServiceRegistry.requiredKeys(def).includes(key)) throw new Error(`service "${def.id}": prefetch "${key}" cannot be both required and deferred`);
    }
    for (const key of def.handlesIncomplete ?? []) {
      if (!def.prefetch || !Object.hasOwn(def.prefetch, key)) throw new Error(`service "${def.id}": handlesIncomplete "${key}" is not declared`);
    }
    const service: CdsServiceDefinition = Object.freeze({ ...def, hooks: Object.freeze([...def.hooks]) });
    this.services.set(def.id, service);
    // The service id keeps answering every hook (integrations made before per-hook ids), unlisted.
    this.routes.set(def.id, Object.freeze({ service, hooks: service.hooks }));
    if (service.hooks.length > 1) {
      for (const hook of service.hooks) this.routes.set(discoveryId(service, hook), Object.freeze({ service, hooks: Object.freeze([hook]) }));
    }
    return this;
  }

  /** The service registered under its own id. */
  get(id: string): CdsServiceDefinition | undefined {
    return this.services.get(id);
  }

  /** What `{baseUrl}/cds-services/{id}` invokes: a service id (all its hooks) or a per-hook discovery id (that hook). */
  resolve(id: string): ServiceRoute | undefined {
    return this.routes.get(id);
  }

  list(): readonly CdsServiceDefinition[] {
    return [...this.services.values()];
  }

  /**
   * Discovery entries: one per (service, hook), each with its own id (see `discoveryId`), and a
   * `version` (CDS Hooks 3.0 ballot §Discovery): the declaration's, else the package's.
   * https://cds-hooks.hl7.org/2.0/#discovery
   */
  discovery(): readonly CdsServiceDescriptor[] {
    return this.list().flatMap((s) =>
      s.hooks.map((hook) => ({
        hook,
        ...(s.title ? { title: s.title } : {}),
        description: s.description,
        id: discoveryId(s, hook),
        version: s.version ?? packageVersion(),
        ...(s.prefetch && Object.keys(s.prefetch).length > 0 ? { prefetch: s.prefetch } : {}),
        ...(s.usageRequirements ? { usageRequirements: s.usageRequirements } : {}),
        ...(s.extension ? { extension: s.extension } : {}),
      })),
    );
  }

  /** Keys whose absence makes the service unable to answer (412). */
  static requiredKeys(def: CdsServiceDefinition): readonly string[] {
    return def.requiredPrefetch ?? Object.keys(def.prefetch ?? {});
  }
}
