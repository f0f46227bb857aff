import type { Medication, MedicationRequest, ServiceRequest, Timing } from 'fhir/r4.js';
import type { WrittenDose } from '../../clinical/dose.js';
import { stableUuid } from '../../cards/uuid.js';
import type { Suggestion } from '../../cds/types.js';

export const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';

/** The part of a draft order the suggestions need (see inputs/orders.ts). */
export interface DraftRef {
  /** `MedicationRequest/<id>`, when the draft has an id (needed to delete or update it). */
  readonly reference?: string;
  readonly resource: MedicationRequest;
  readonly displayText: string;
  /** The Medication the draft references (contained or in the draftOrders Bundle), for its strength. */
  readonly medication?: Medication;
}

export interface SuggestionContext {
  readonly serviceId: string;
  readonly hookInstance: string;
  readonly patientId: string;
}

const idOf = (reference: string | undefined): string | undefined => reference?.split('/')[1];

/** The draft's id when it has one (an update or delete needs it). */
export const orderId = (draft: DraftRef): string | undefined => idOf(draft.reference);

/**
 * Replace the draft with an alternative drug: create a new draft order, then delete the draft
 * (spec 2.0 §Action: create carries the new resource, delete carries resourceId). The spec leaves
 * the order of actions to the service; the create comes first because clients that apply only the
 * first action of a suggestion (the HL7 reference client, ../shared/cds-hooks/clients.md) then add
 * the alternative rather than only removing the drug, and the draft left in place is checked again
 * at order-sign. The dose is not carried over: a different drug needs its own dose, chosen by the
 * prescriber. Returns undefined when the draft has no id: without a delete the contraindicated
 * order would stay.
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
      { type: 'create', description: `Draft an order for ${alt.name}`, resource: created },
      { type: 'delete', description: `Remove the draft order for ${draft.displayText}`, resourceId: `MedicationRequest/${id}` },
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

/** The new dose of a draft: mg per dose (written in UCUM mg by src/clinical/dose.ts) and its Dosage text. */
export interface DoseChange {
  readonly dose: WrittenDose;
  /** Set the schedule to once a day (the dose is a daily dose): a twice-daily draft must not end up at twice the dose. */
  readonly onceDaily?: boolean;
  /** Words for the schedule, for the action description ('once daily'). */
  readonly timing?: string;
}

const ONCE_DAILY = { frequency: 1, period: 1, periodUnit: 'd' } as const;

/** Once a day, keeping only the course's bounds: a count of doses or times of day belonged to the old schedule. */
function onceDaily(timing: Timing | undefined): Timing {
  const repeat = timing?.repeat;
  const bounds = repeat ? Object.fromEntries(Object.entries(repeat).filter(([k]) => k.startsWith('bounds'))) : {};
  return { repeat: { ...bounds, ...ONCE_DAILY } };
}

/**
 * Change the draft's dose: an update carrying the whole resource (spec 2.0 §Action: update
 * holds the updated resource in its entirety), with the dose in UCUM mg and the text saying the
 * same; medication and every other field are kept. The input resource is never mutated. The
 * caller has read the draft's dose (src/clinical/dose.ts readDose), so dosageInstruction[0] has
 * one doseAndRate. Returns undefined when the draft has no id or no dose entry to change.
 */
export function doseSuggestion(draft: DraftRef, change: DoseChange, ctx: SuggestionContext, key: string, label: string): Suggestion | undefined {
  const id = idOf(draft.reference);
  if (!id || !draft.resource.dosageInstruction?.[0]?.doseAndRate?.[0]) return undefined;
  const updated = structuredClone(draft.resource);
  const d0 = updated.dosageInstruction![0]!;
  d0.doseAndRate![0]!.doseQuantity = change.dose.doseQuantity;
  d0.text = change.dose.text;
  if (change.onceDaily) d0.timing = onceDaily(d0.timing);
  const mg = change.dose.doseQuantity.value!;
  return {
    label,
    uuid: stableUuid(ctx.serviceId, ctx.hookInstance, key, 'dose', String(mg)),
    actions: [{ type: 'update', description: `Change the dose of ${draft.displayText} to ${mg} mg${change.timing ? ` ${change.timing}` : ' per dose'}`, resource: updated }],
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
    // Not the test card's uuid (derived from the same draft and gene): a card and its suggestion are told apart.
    uuid: stableUuid(ctx.serviceId, ctx.hookInstance, key, 'test', test.code.code, 'order'),
    actions: [{ type: 'create', description: `Draft an order for ${test.label}`, resource: sr }],
  };
}
