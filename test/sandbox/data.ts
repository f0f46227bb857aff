/** Small, self-made clinical data for the sandbox FHIR tests (independent of fhir-fixtures/). */
import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';

export const LOINC = 'http://loinc.org';
export const CHOLESTEROL = '2093-3';
export const SYSTOLIC = '8480-6';

interface ObsInput {
  readonly id: string;
  readonly subject: string;
  readonly code: string;
  readonly system?: string;
  readonly when?: string;
  readonly period?: { start: string; end?: string };
  readonly value?: number;
}

export function observation(o: ObsInput): Resource {
  return {
    resourceType: 'Observation',
    id: o.id,
    status: 'final',
    code: { coding: [{ ...(o.system === '' ? {} : { system: o.system ?? LOINC }), code: o.code }] },
    subject: { reference: o.subject },
    ...(o.when ? { effectiveDateTime: o.when } : {}),
    ...(o.period ? { effectivePeriod: o.period } : {}),
    ...(o.value !== undefined ? { valueQuantity: { value: o.value, unit: 'mg/dL' } } : {}),
  };
}

export function putEntry(resource: Resource): BundleEntry {
  return { resource, request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` } };
}

export function transaction(resources: Resource[], timestamp?: string): Bundle {
  return { resourceType: 'Bundle', type: 'transaction', ...(timestamp ? { timestamp } : {}), entry: resources.map(putEntry) };
}

/**
 * Two patients with cholesterol and blood-pressure series, conditions, and an Observation about
 * a Group that shares patient p1's id (only a bare-id `subject=` search may match it).
 */
export function clinicalResources(): Resource[] {
  return [
    { resourceType: 'Patient', id: 'p1', birthDate: '1961-03-14', name: [{ family: 'Alpha' }] },
    { resourceType: 'Patient', id: 'p2', birthDate: '1975-09-02', name: [{ family: 'Beta' }] },
    observation({ id: 'chol-1', subject: 'Patient/p1', code: CHOLESTEROL, when: '2024-01-10T09:00:00Z', value: 210 }),
    observation({ id: 'chol-2', subject: 'Patient/p1', code: CHOLESTEROL, when: '2025-02-01T09:00:00Z', value: 190 }),
    observation({ id: 'chol-3', subject: 'Patient/p1', code: CHOLESTEROL, when: '2024-06-10T09:00:00Z', value: 200 }),
    observation({ id: 'chol-other-system', subject: 'Patient/p1', code: CHOLESTEROL, system: 'http://example.org/local', when: '2024-03-01' }),
    observation({ id: 'bp-1', subject: 'Patient/p1', code: SYSTOLIC, when: '2024-02-01T08:00:00+02:00', value: 141 }),
    observation({ id: 'bp-2', subject: 'Patient/p1', code: SYSTOLIC, period: { start: '2025-01-05T08:00:00Z', end: '2025-01-06T08:00:00Z' } }),
    observation({ id: 'bp-3', subject: 'Patient/p2', code: SYSTOLIC, when: '2024-05-01', value: 128 }),
    observation({ id: 'chol-p2', subject: 'Patient/p2', code: CHOLESTEROL, when: '2023-11-11T10:00:00Z', value: 180 }),
    observation({ id: 'group-obs', subject: 'Group/p1', code: CHOLESTEROL, when: '2024-04-04' }),
    { resourceType: 'Condition', id: 'cond-1', subject: { reference: 'Patient/p1' }, code: { text: 'Hypertension' }, recordedDate: '2020-05-05' },
    { resourceType: 'Condition', id: 'cond-2', subject: { reference: 'Patient/p2' }, code: { text: 'Diabetes' }, recordedDate: '2021-06-06' },
  ];
}

export function idsOf(bundle: Bundle): string[] {
  return (bundle.entry ?? []).filter((e) => e.search?.mode !== 'outcome').map((e) => e.resource?.id ?? '');
}
