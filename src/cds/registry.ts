import { checkQuerySubset, validateTemplate } from './prefetch.js';
import type { CdsServiceDefinition, CdsServiceDescriptor } from './types.js';

const SERVICE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const HOOK_ID = /^[a-z0-9][a-z0-9-]*$/;

/**
 * The services this deployment offers. Each is declared once (id, hooks, prefetch, …) with its
 * handler; discovery is generated from here. Declarations are checked when registered so a
 * broken one stops the start rather than failing a clinician's request.
 */
export class ServiceRegistry {
  private readonly services = new Map<string, CdsServiceDefinition>();

  register(def: CdsServiceDefinition): this {
    if (!SERVICE_ID.test(def.id)) throw new Error(`invalid service id "${def.id}"`);
    if (this.services.has(def.id)) throw new Error(`service "${def.id}" is registered twice`);
    if (def.hooks.length === 0) throw new Error(`service "${def.id}" declares no hook`);
    for (const h of def.hooks) if (!HOOK_ID.test(h)) throw new Error(`service "${def.id}": invalid hook "${h}"`);
    if (!def.description.trim()) throw new Error(`service "${def.id}": description is required`);
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
    this.services.set(def.id, Object.freeze({ ...def, hooks: Object.freeze([...def.hooks]) }));
    return this;
  }

  get(id: string): CdsServiceDefinition | undefined {
    return this.services.get(id);
  }

  list(): readonly CdsServiceDefinition[] {
    return [...this.services.values()];
  }

  /** Discovery entries: one per (service, hook). https://cds-hooks.hl7.org/2.0/#discovery */
  discovery(): readonly CdsServiceDescriptor[] {
    return this.list().flatMap((s) =>
      s.hooks.map((hook) => ({
        hook,
        ...(s.title ? { title: s.title } : {}),
        description: s.description,
        id: s.id,
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
