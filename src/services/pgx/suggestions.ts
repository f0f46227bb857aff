import type { MedicationRequest, ServiceRequest } from 'fhir/r4.js';
import { stableUuid } from '../../cards/uuid.js';
import type { Suggestion } from '../../cds/types.js';

export const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';

/** The part of a draft order the suggestions need (see inputs/orders.ts). */
export interface DraftRef {
  /** `MedicationRequest/<id>`, when the draft has an id (needed to delete or update it). */
  readonly reference?: string;
  readonly resource: MedicationRequest;
  readonly displayText: string;
}

export interface SuggestionContext {
  readonly serviceId: string;
  readonly hookInstance: string;
  readonly patientId: string;
}

const idOf = (reference: string | undefined): string | undefined => reference?.split('/')[1];

/**
 * Replace the draft with an alternative drug: delete the draft and create a new draft order
 * (spec 2.0 §Action: delete carries resourceId, create carries the new resource). The dose is
 * not carried over — a different drug needs its own dose, chosen by the prescriber.
 * Returns undefined when the draft has no id: without a delete the contraindicated order would stay.
 */
export function replaceSuggestion(draft: DraftRef, alt: { readonly rxnorm: string; readonly name: string }, ctx: SuggestionContext, key: string): Suggestion | undefined {
  const id = idOf(draft.reference);
  if (!id) return undefined;
  const d = draft.resource;
  const created: MedicationRequest = {
    resourceType: 'MedicationRequest',
    status: 'draft',
    intent: d.intent ?? 'order',
    subject: d.subject ?? { reference: `Patient/${ctx.patientId}` },
    ...(d.encounter ? { encounter: d.encounter } : {}),
    ...(d.requester ? { requester: d.requester } : {}),
    medicationCodeableConcept: { coding: [{ system: RXNORM, code: alt.rxnorm, display: alt.name }], text: alt.name },
    note: [{ text: `Suggested in place of ${draft.displayText} (pharmacogenomic result); set the dose before signing.` }],
  };
  return {
    label: `Replace ${draft.displayText} with ${alt.name}`,
    uuid: stableUuid(ctx.serviceId, ctx.hookInstance, key, 'replace', alt.rxnorm),
    actions: [
      { type: 'delete', description: `Remove the draft order for ${draft.displayText}`, resourceId: `MedicationRequest/${id}` },
      { type: 'create', description: `Draft an order for ${alt.name}`, resource: created },
    ],
  };
}

/** Only remove the draft (no alternative named by the guideline). */
export function removeSuggestion(draft: DraftRef, ctx: SuggestionContext, key: string): Suggestion | undefined {
  const id = idOf(draft.reference);
  if (!id) return undefined;
  return {
    label: `Cancel the draft order for ${draft.displayText}`,
    uuid: stableUuid(ctx.serviceId, ctx.hookInstance, key, 'remove'),
    actions: [{ type: 'delete', description: `Remove the draft order for ${draft.displayText}`, resourceId: `MedicationRequest/${id}` }],
  };
}

/**
 * Change the draft's dose: an update carrying the whole resource (spec 2.0 §Action: update
 * holds the updated resource in its entirety). The input resource is never mutated.
 * Returns undefined when the draft has no id or no structured dose to change.
 */
export function doseSuggestion(
  draft: DraftRef,
  newDose: (current: { value: number; unit: string }) => { value: number; unit: string; text: string },
  ctx: SuggestionContext,
  key: string,
  label: string,
): Suggestion | undefined {
  const id = idOf(draft.reference);
  const dosage = draft.resource.dosageInstruction?.[0];
  const qty = dosage?.doseAndRate?.[0]?.doseQuantity;
  if (!id || !dosage || !qty || typeof qty.value !== 'number') return undefined;
  const next = newDose({ value: qty.value, unit: qty.unit ?? qty.code ?? 'mg' });
  const updated = structuredClone(draft.resource);
  const d0 = updated.dosageInstruction![0]!;
  d0.doseAndRate![0]!.doseQuantity = { ...qty, value: next.value };
  d0.text = next.text;
  return {
    label,
    uuid: stableUuid(ctx.serviceId, ctx.hookInstance, key, 'dose', String(next.value)),
    actions: [{ type: 'update', description: `Change the dose of ${draft.displayText} to ${next.value} ${next.unit}`, resource: updated }],
  };
}

/** Order the pharmacogenomic test that is missing (a draft ServiceRequest). */
export function testOrderSuggestion(test: { readonly code: { system: string; code: string; display: string }; readonly label: string }, ctx: SuggestionContext, key: string): Suggestion {
  const sr: ServiceRequest = {
    resourceType: 'ServiceRequest',
    status: 'draft',
    intent: 'order',
    category: [{ coding: [{ system: 'http://snomed.info/sct', code: '108252007', display: 'Laboratory procedure' }] }],
    code: { coding: [test.code], text: test.label },
    subject: { reference: `Patient/${ctx.patientId}` },
  };
  return {
    label: `Order ${test.label}`,
    uuid: stableUuid(ctx.serviceId, ctx.hookInstance, key, 'test', test.code.code),
    actions: [{ type: 'create', description: `Draft an order for ${test.label}`, resource: sr }],
  };
}
