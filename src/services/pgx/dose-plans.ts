import { fill } from '../../cards/templates.js';
import type { Suggestion } from '../../cds/types.js';
import { formatMg, readDose, timingText, writeDose, type DoseProblemCode, type DoseReading, type DrugRef } from '../../clinical/dose.js';
import { productStrength } from './inputs/products.js';
import { doseSuggestion, orderId, type DraftRef, type SuggestionContext } from './suggestions.js';

/**
 * The dose suggestions of pharmacogenomic cards (CPIC dose factor, CPIC maximum daily dose, IWPC
 * warfarin dose), in mg, from the draft's dose read by src/clinical/dose.ts. When the draft's dose
 * cannot be read safely the suggestion is left out, and the card says why in its detail and in the
 * `dose` note of its extension.
 */

/** Wording of the dose parts of a card (cards/pharmacogenomics.json `dose`). */
export interface DoseTemplates {
  readonly label: { readonly warfarin: string; readonly factor: string; readonly max: string };
  readonly note: { readonly warfarin: string; readonly factor: string; readonly max: string };
  readonly detail: { readonly read: string; readonly omitted: string; readonly withinMax: string; readonly noOrderId: string };
}

export type DoseReasonCode = DoseProblemCode | 'no-order-id';

/** The machine-readable `dose` note of the card extension (openapi PharmacogenomicsExtension.dose). */
export interface DoseNote {
  readonly suggestion: 'made' | 'omitted' | 'not-needed';
  readonly reasons?: readonly { readonly code: DoseReasonCode; readonly detail: string }[];
  readonly current?: { readonly stated: string; readonly mgPerDose: number; readonly mgPerDay?: number };
  readonly suggested?: { readonly mgPerDose: number; readonly mgPerDay?: number };
}

export interface DosePlan {
  readonly suggestion?: Suggestion;
  readonly note: DoseNote;
  /** Lines for the card detail. */
  readonly detail: readonly string[];
}

/** 'name:<ingredient>' rows have no verified RxNorm code (knowledge/types.ts). */
export const drugRef = (rxnorm: string, name: string): DrugRef => (rxnorm.startsWith('name:') ? { name } : { rxnorm, name });

function read(draft: DraftRef, drug: DrugRef): DoseReading {
  return readDose(draft.resource, { drug, products: productStrength, ...(draft.medication ? { medication: draft.medication } : {}) });
}

const perDayText = (mgPerDay: number | undefined): string => (mgPerDay !== undefined ? `, ${formatMg(mgPerDay)} mg a day` : '');

function current(r: DoseReading): DoseNote['current'] {
  return { stated: r.stated!, mgPerDose: r.mgPerDose!, ...(r.mgPerDay !== undefined ? { mgPerDay: r.mgPerDay } : {}) };
}

function readLine(r: DoseReading, t: DoseTemplates): string {
  return fill(t.detail.read, { stated: r.stated!, current: `${formatMg(r.mgPerDose!)} mg per dose${perDayText(r.mgPerDay)}` });
}

function omitted(reasons: readonly { code: DoseReasonCode; detail: string }[], t: DoseTemplates, r?: DoseReading): DosePlan {
  return {
    note: { suggestion: 'omitted', reasons, ...(r?.mgPerDose !== undefined ? { current: current(r) } : {}) },
    detail: [fill(t.detail.omitted, { reasons: reasons.map((x) => x.detail).join('; ') })],
  };
}

/** Read the draft's dose; a plan when the suggestion must be left out (with every reason), else none. */
function readOrOmit(draft: DraftRef, drug: DrugRef, t: DoseTemplates, needPerDay: boolean): { reading: DoseReading; plan?: DosePlan } {
  const reading = read(draft, drug);
  const reasons: { code: DoseReasonCode; detail: string }[] = [
    ...reading.problems,
    ...(needPerDay && reading.problems.length === 0 && reading.mgPerDay === undefined ? reading.frequencyProblems : []),
    ...(orderId(draft) ? [] : [{ code: 'no-order-id' as const, detail: t.detail.noOrderId }]),
  ];
  return reasons.length > 0 ? { reading, plan: omitted(reasons, t, reading) } : { reading };
}

const twoSignificant = (x: number): number => Number(x.toPrecision(2));
/** Two significant digits, rounded down: a dose under a ceiling stays under it. */
function twoSignificantDown(x: number): number {
  const step = 10 ** (Math.floor(Math.log10(x)) - 1);
  return Number((Math.floor(x / step + 1e-9) * step).toPrecision(12));
}

/** CPIC dose factor ('about 50 % of the usual dose'): the draft's mg per dose times the factor, same schedule. */
export function factorPlan(recommendationId: string, drug: DrugRef, factor: number, draft: DraftRef, t: DoseTemplates, ctx: SuggestionContext, key: string): DosePlan {
  const { reading, plan } = readOrOmit(draft, drug, t, false);
  if (plan) return plan;
  const mg = twoSignificant(reading.mgPerDose! * factor);
  const percent = String(Math.round(factor * 100));
  const timing = timingText(draft.resource.dosageInstruction?.[0]);
  const dose = writeDose(mg, {
    ...(timing ? { timing } : {}),
    ...(reading.presentation ? { presentation: reading.presentation } : {}),
    note: fill(t.note.factor, { percent, current: formatMg(reading.mgPerDose!), id: recommendationId }),
  });
  const value = dose.doseQuantity.value!;
  const label = fill(t.label.factor, { percent, mg: formatMg(value), timing: timing ?? 'per dose' });
  const suggestion = doseSuggestion(draft, { dose, ...(timing ? { timing } : {}) }, ctx, key, label);
  const perDay = reading.dosesPerDay !== undefined ? { mgPerDay: Number((value * reading.dosesPerDay).toPrecision(12)) } : {};
  return {
    ...(suggestion ? { suggestion } : {}),
    note: { suggestion: 'made', current: current(reading), suggested: { mgPerDose: value, ...perDay } },
    detail: [readLine(reading, t)],
  };
}

/** CPIC maximum daily dose: when the draft's mg a day is above it, the most per dose that keeps the day under it, same schedule. */
export function maxDailyPlan(recommendationId: string, drug: DrugRef, maxMg: number, draft: DraftRef, t: DoseTemplates, ctx: SuggestionContext, key: string): DosePlan {
  const { reading, plan } = readOrOmit(draft, drug, t, true);
  if (plan) return plan;
  if (reading.mgPerDay! <= maxMg) {
    return {
      note: { suggestion: 'not-needed', current: current(reading) },
      detail: [readLine(reading, t), fill(t.detail.withinMax, { max: formatMg(maxMg) })],
    };
  }
  const mg = twoSignificantDown(maxMg / reading.dosesPerDay!);
  const timing = timingText(draft.resource.dosageInstruction?.[0]);
  const dose = writeDose(mg, {
    ...(timing ? { timing } : {}),
    ...(reading.presentation ? { presentation: reading.presentation } : {}),
    note: fill(t.note.max, { max: formatMg(maxMg), id: recommendationId }),
  });
  const value = dose.doseQuantity.value!;
  const label = fill(t.label.max, { mg: formatMg(value), timing: timing ?? 'per dose', max: formatMg(maxMg) });
  const suggestion = doseSuggestion(draft, { dose, ...(timing ? { timing } : {}) }, ctx, key, label);
  return {
    ...(suggestion ? { suggestion } : {}),
    note: { suggestion: 'made', current: current(reading), suggested: { mgPerDose: value, mgPerDay: Number((value * reading.dosesPerDay!).toPrecision(12)) } },
    detail: [readLine(reading, t)],
  };
}

/**
 * IWPC warfarin: the predicted daily dose rounded to 0.5 mg (tablets come in 0.5 mg steps in
 * practice), once daily, in mg; the text says how many of the draft's tablets that is when the
 * product's strength is known.
 */
export function warfarinPlan(dailyMg: number, weekly: string, draft: DraftRef, t: DoseTemplates, ctx: SuggestionContext, key: string): DosePlan {
  const { reading, plan } = readOrOmit(draft, { rxnorm: '11289', name: 'warfarin' }, t, false);
  if (plan) return plan;
  const rounded = Math.round(dailyMg * 2) / 2;
  if (rounded <= 0) return omitted([{ code: 'invalid-dose', detail: `the estimate (${formatMg(dailyMg)} mg a day) rounds to 0 mg` }], t, reading);
  const dose = writeDose(rounded, {
    timing: 'once daily',
    ...(reading.presentation ? { presentation: reading.presentation } : {}),
    note: fill(t.note.warfarin, { weekly }),
  });
  const value = dose.doseQuantity.value!;
  const label = fill(t.label.warfarin, { mg: formatMg(value) });
  const suggestion = doseSuggestion(draft, { dose, onceDaily: true, timing: 'once daily' }, ctx, key, label);
  return {
    ...(suggestion ? { suggestion } : {}),
    note: { suggestion: 'made', current: current(reading), suggested: { mgPerDose: value, mgPerDay: value } },
    detail: [readLine(reading, t)],
  };
}
