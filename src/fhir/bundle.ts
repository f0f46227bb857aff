import type { Bundle, FhirResource } from 'fhir/r4.js';

/** The resources of one type in a prefetch slot: the resource itself, or a Bundle's entries. */
export function resourcesOf<T extends FhirResource>(value: FhirResource | null | undefined, type: T['resourceType']): T[] {
  if (!value) return [];
  if (value.resourceType === type) return [value as T];
  if (value.resourceType !== 'Bundle') return [];
  return ((value as Bundle).entry ?? []).map((e) => e.resource).filter((r): r is T => r?.resourceType === type);
}
