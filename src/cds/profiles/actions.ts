/**
 * Suggestions rewritten into what a client can apply, without changing what they do clinically:
 * an `update` the client cannot apply becomes cancel-and-reorder (delete the draft, create a copy
 * of the updated resource), and a suggestion with more actions than the client takes becomes one
 * suggestion per action. Spec 2.0 §Suggestion: a suggestion's actions are applied together, so a
 * suggestion that cannot be rewritten whole is dropped rather than cut down to a part.
 */
import type { CodeableConcept, FhirResource, Medication, MedicationRequest } from 'fhir/r4.js';
import { fill } from '../../cards/templates.js';
import { stableUuid } from '../../cards/uuid.js';
import type { Action, Card, Suggestion } from '../types.js';
import type { ClientProfile, ProfileWording } from './rules.js';

/** Why a suggestion was left out for a profile (for the log; never patient data). */
export interface DroppedSuggestion {
  readonly suggestion: string;
  readonly reason: string;
}

interface Part {
  readonly action: Action;
  /** The button text when this action becomes a suggestion of its own. */
  readonly label?: string;
}

interface Rewritten {
  readonly parts?: readonly Part[];
  readonly dropped?: string;
}

/** Request resources whose status value set has `draft` (FHIR R4 RequestStatus). */
const DRAFTABLE = new Set(['MedicationRequest', 'ServiceRequest', 'DeviceRequest', 'NutritionOrder']);

const conceptText = (c: CodeableConcept | undefined): string | undefined => c?.text ?? c?.coding?.find((x) => x.display)?.display;

/** The order's own name for its drug: its concept, else the contained Medication it points at, else the reference's display. */
export function medicationName(mr: MedicationRequest): string | undefined {
  const direct = conceptText(mr.medicationCodeableConcept);
  if (direct) return direct;
  const ref = mr.medicationReference?.reference;
  if (ref?.startsWith('#')) {
    const med = (mr.contained ?? []).find((r): r is Medication => r.resourceType === 'Medication' && r.id === ref.slice(1));
    const contained = conceptText(med?.code);
    if (contained) return contained;
  }
  return mr.medicationReference?.display;
}

/**
 * The per-dose amount of a MedicationRequest with its unit, as written in the order
 * (`2.5 mg`); undefined when the first dosage has no numeric dose or no unit, because a number
 * without its unit does not say what dose it means.
 */
export function doseText(mr: MedicationRequest): string | undefined {
  const q = mr.dosageInstruction?.[0]?.doseAndRate?.[0]?.doseQuantity;
  const unit = q?.unit ?? q?.code;
  if (typeof q?.value !== 'number' || !Number.isFinite(q.value) || !unit) return undefined;
  return `${q.value} ${unit}`;
}

/**
 * Cancel-and-reorder for an update the client cannot apply: delete the resource the update names,
 * and create a copy of the updated resource without its id (and without the meta and business
 * identifiers of the cancelled one), as a draft. Epic fills a created order's details from its own
 * order record, not from the resource sent (clients.md), so for a MedicationRequest the labels and
 * descriptions of both halves state the new dose; when no dose with a unit can be read, the
 * suggestion is not offered (a re-order the words cannot describe would be filled with the old dose).
 */
function cancelAndReorder(update: Action, w: ProfileWording): Rewritten {
  const r = update.resource;
  if (!r?.id) return { dropped: 'the update names no resource id to cancel' };
  const reordered = structuredClone(r) as FhirResource & { id?: string; meta?: unknown; identifier?: unknown; status?: string };
  delete reordered.id;
  delete reordered.meta;
  delete reordered.identifier;
  if (DRAFTABLE.has(r.resourceType)) reordered.status = 'draft';
  const resourceId = `${r.resourceType}/${r.id}`;
  if (r.resourceType === 'MedicationRequest') {
    const mr = r as MedicationRequest;
    const dose = doseText(mr);
    if (!dose) return { dropped: 'the updated MedicationRequest has no dose with a unit to state' };
    const drug = medicationName(mr) ?? w.medicationFallback;
    const dosage = mr.dosageInstruction?.[0]?.text;
    const vars = { drug, dose, dosage: dosage ?? '' };
    return {
      parts: [
        { action: { type: 'delete', description: fill(w.cancelForReorderDescription, vars), resourceId }, label: fill(w.cancelForReorderLabel, vars) },
        {
          action: { type: 'create', description: fill(dosage ? w.reorderDescription : w.reorderDescriptionNoText, vars), resource: reordered as FhirResource, ...(update.extension ? { extension: update.extension } : {}) },
          label: fill(w.reorderLabel, vars),
        },
      ],
    };
  }
  const cancel = fill(w.cancelForOtherLabel, { type: r.resourceType });
  return {
    parts: [
      { action: { type: 'delete', description: cancel, resourceId }, label: cancel },
      { action: { type: 'create', description: update.description, resource: reordered as FhirResource, ...(update.extension ? { extension: update.extension } : {}) }, label: fill(w.reorderOtherLabel, { description: update.description }) },
    ],
  };
}

/** The actions of one suggestion in types the client applies, or why that cannot be done. */
function rewrite(s: Suggestion, p: ClientProfile, w: ProfileWording): Rewritten {
  const parts: Part[] = [];
  for (const a of s.actions ?? []) {
    if (p.actionTypes.includes(a.type)) {
      parts.push({ action: a });
    } else if (a.type === 'update') {
      const r = cancelAndReorder(a, w);
      if (!r.parts) return r;
      parts.push(...r.parts);
    } else {
      return { dropped: `the client does not apply ${a.type} actions` };
    }
  }
  return { parts };
}

export interface SuggestionShapeContext {
  readonly profile: ClientProfile;
  readonly wording: ProfileWording;
  /** The card's uuid (or a stable stand-in): suggestion uuids made here derive from it. */
  readonly cardKey: string;
}

/**
 * The card's suggestions as the profile can apply them, and the ones left out with why.
 *
 * With `maxActionsPerSuggestion`, a suggestion with more actions becomes one suggestion per
 * action: a replacement (delete + create) becomes "order the alternative" and "cancel the
 * draft"; a dose change (update) becomes "re-order at the new dose" and "cancel the draft". The
 * same cancel named by several suggestions is offered once; orders come first, cancels last.
 * Where several orders were alternatives (`at-most-one`) and the client selects `any`, each
 * order's label says to choose only one. A suggestion that keeps one action keeps its uuid; new
 * ones get uuids derived from the card, the original suggestion and the action, so they are the
 * same on every call with the same card.
 */
export function shapeSuggestions(card: Card, ctx: SuggestionShapeContext): { suggestions: Suggestion[]; dropped: DroppedSuggestion[] } {
  const { profile: p, wording: w, cardKey } = ctx;
  const max = p.maxActionsPerSuggestion;
  const dropped: DroppedSuggestion[] = [];
  const kept: { s: Suggestion; origin: number }[] = [];
  for (const [i, s] of (card.suggestions ?? []).entries()) {
    const id = s.uuid ?? `#${i}`;
    const r = rewrite(s, p, w);
    if (!r.parts) {
      dropped.push({ suggestion: id, reason: r.dropped ?? 'cannot be applied' });
      continue;
    }
    const converted = r.parts.some((part) => part.label !== undefined);
    if (max === undefined || r.parts.length <= max) {
      if (max !== undefined && r.parts.length === 0) {
        dropped.push({ suggestion: id, reason: 'a suggestion without actions has nothing for the client to apply' });
        continue;
      }
      // Kept whole (the same object when nothing changed); a cancel-and-reorder kept as one suggestion is labelled by its re-order.
      const label = r.parts.find((part) => part.action.type === 'create')?.label ?? s.label;
      kept.push({ s: converted ? { ...s, label, actions: r.parts.map((part) => part.action) } : s, origin: i });
      continue;
    }
    for (const [k, part] of r.parts.entries()) {
      const a = part.action;
      kept.push({
        s: {
          label: part.label ?? a.description,
          // A cancel's uuid depends only on what it cancels: the same cancel from several suggestions is one.
          uuid: a.type === 'delete' && a.resourceId ? stableUuid('profile', cardKey, 'cancel', a.resourceId) : stableUuid('profile', cardKey, id, String(k), a.type),
          ...(s.isRecommended !== undefined ? { isRecommended: s.isRecommended } : {}),
          actions: [a],
          ...(s.extension ? { extension: s.extension } : {}),
        },
        origin: i,
      });
    }
  }
  if (max === undefined) return { suggestions: kept.map((k) => k.s), dropped };

  const isCancel = (s: Suggestion): boolean => s.actions?.length === 1 && s.actions[0]!.type === 'delete';
  const orders = kept.filter((k) => !isCancel(k.s));
  const cancels = new Map<string, Suggestion>();
  for (const { s } of kept.filter((k) => isCancel(k.s))) {
    const key = s.actions![0]!.resourceId ?? s.uuid ?? s.label;
    const seen = cancels.get(key);
    if (!seen) cancels.set(key, s);
    else if (s.isRecommended && !seen.isRecommended) cancels.set(key, { ...seen, isRecommended: true });
  }
  const alternatives = new Set(orders.map((o) => o.origin)).size;
  const choose = card.selectionBehavior === 'at-most-one' && p.selectionBehavior === 'any' && alternatives > 1;
  const suffix = choose ? fill(w.choiceSuffix, { count: String(alternatives) }) : '';
  const suggestions = [...orders.map((o) => (suffix ? { ...o.s, label: o.s.label + suffix } : o.s)), ...cancels.values()];
  return { suggestions, dropped };
}
