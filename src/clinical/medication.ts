import type { FhirResource, Medication, MedicationRequest, Reference } from 'fhir/r4.js';

/**
 * Shared clinical helpers (no service imports): defensive readers for FHIR data that comes from
 * outside, and the Medication a medication order points at. Nothing here mutates its input.
 */

export function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

export function asArray(x: unknown): unknown[] {
  return Array.isArray(x) ? x : [];
}

export function str(x: unknown): string | undefined {
  return typeof x === 'string' && x.trim() !== '' ? x : undefined;
}

/** 'http://ehr/fhir/MedicationRequest/abc/_history/2' -> 'MedicationRequest/abc'. */
export function referenceKey(s: string): string {
  const parts = s.trim().replace(/\/_history\/[^/]*$/, '').split('/').filter((p) => p !== '');
  return parts.length >= 2 ? `${parts[parts.length - 2]}/${parts[parts.length - 1]}` : s.trim();
}

/** A resource of a Bundle with the entry's fullUrl (CDS Hooks `context.draftOrders`). */
export interface BundleEntry {
  readonly resource: FhirResource;
  readonly fullUrl?: string;
}

/** The entries of a Bundle that carry a resource with a resourceType; anything else is skipped. */
export function bundleEntries(bundle: unknown): BundleEntry[] {
  if (!isRecord(bundle) || bundle.resourceType !== 'Bundle') return [];
  return asArray(bundle.entry)
    .filter(isRecord)
    .filter((e) => isRecord(e.resource) && typeof e.resource.resourceType === 'string')
    .map((e) => ({ resource: e.resource as FhirResource, ...(str(e.fullUrl) ? { fullUrl: (e.fullUrl as string).trim() } : {}) }));
}

export type MedicationLookup = (reference: Reference) => Medication | undefined;

/** A Medication contained in `resource`, named by a local reference '#id' (FHIR R4 §References: contained resources). */
export function containedLookup(resource: { contained?: unknown }): MedicationLookup {
  return (ref) => {
    const r = str(ref.reference);
    if (!r?.startsWith('#')) return undefined;
    const id = r.slice(1);
    return asArray(resource.contained)
      .filter(isRecord)
      .find((x) => x.resourceType === 'Medication' && x.id === id) as Medication | undefined;
  };
}

/**
 * The Medication a draft order's reference names: contained in the order ('#id'), else a
 * Medication entry of the draftOrders Bundle, by its fullUrl or as 'Medication/<id>' (CDS Hooks
 * 2.0 order-select / order-sign: draftOrders is a Bundle that may carry the Medications).
 */
export function draftMedicationLookup(entries: readonly BundleEntry[], request: { contained?: unknown }): MedicationLookup {
  const contained = containedLookup(request);
  return (ref) => {
    const fromContained = contained(ref);
    if (fromContained) return fromContained;
    const r = str(ref.reference)?.trim();
    if (!r || r.startsWith('#')) return undefined;
    const key = referenceKey(r);
    return entries.find(
      (e): e is BundleEntry & { resource: Medication } =>
        e.resource.resourceType === 'Medication' && ((!!e.fullUrl && e.fullUrl === r) || (!!e.resource.id && key === `Medication/${e.resource.id}`)),
    )?.resource;
  };
}

/** The Medication `request.medicationReference` points at, looked up as {@link draftMedicationLookup} does. */
export function medicationOf(request: MedicationRequest, draftOrders?: unknown): Medication | undefined {
  const ref = request.medicationReference;
  if (!isRecord(ref)) return undefined;
  return draftMedicationLookup(bundleEntries(draftOrders), request)(ref as Reference);
}
