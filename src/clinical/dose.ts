import { UcumLhcUtils } from '@lhncbc/ucum-lhc';
import type { CodeableConcept, Dosage, Medication, MedicationRequest, Quantity, Timing } from 'fhir/r4.js';
import { loadJson } from '../util/data-file.js';
import { asArray, isRecord, medicationOf, str } from './medication.js';
import type { ProductDef, ProductLookup } from './products.js';

/**
 * Reading and writing medication doses in mass, shared by the services (imports no service).
 *
 * readDose: a MedicationRequest's dose as mg per dose and per day, when that can be done safely:
 * - a UCUM mass (mg, g, ug; 'mcg' accepted) is converted to mg with @lhncbc/ucum-lhc;
 * - a count of tablets or capsules ({pill}, {tbl}, {tablet}, TAB, ...) only with the strength of
 *   one unit of the product, and mL only with its concentration (mg per mL);
 * - the strength comes from the order's Medication (Medication.ingredient.strength, contained or in
 *   the draftOrders Bundle) and from the product table by RxNorm code; when both give one and they
 *   disagree, nothing is computed;
 * - doses a day from Timing.repeat (frequency per period in h, d or wk).
 * Every "cannot" comes back as a problem in plain words, for the card. Nothing here guesses a unit.
 *
 * The writer gives a Dosage dose in UCUM mg and its text, so every dose the services write means
 * what its unit says.
 */

export const UCUM_SYSTEM = 'http://unitsofmeasure.org';
const RXNORM_SYSTEMS = new Set(['http://www.nlm.nih.gov/research/umls/rxnorm', 'urn:oid:2.16.840.1.113883.6.88']);

interface UnitTable {
  readonly mass: { readonly ucum: Readonly<Record<string, MassUcum>>; readonly words: Readonly<Record<string, MassUcum>> };
  readonly count: Readonly<Record<string, CountForm>>;
  readonly volume: Readonly<Record<string, 'mL'>>;
  readonly periodUnitHours: Readonly<Record<string, number>>;
  readonly halfUnitDoseForms: readonly string[];
}

type MassUcum = 'mg' | 'g' | 'ug';
/** 'unit' = a tablet or a capsule, not said which ({pill}). */
type CountForm = 'tablet' | 'capsule' | 'unit';

const UNITS = loadJson<UnitTable>(import.meta.url, './data/dose-units.json');
const UCUM = UcumLhcUtils.getInstance();

// ------------------------------------------------------------------------------------ types

export type DoseProblemCode =
  | 'no-dose'
  | 'several-doses'
  | 'dose-range'
  | 'invalid-dose'
  | 'no-unit'
  | 'unknown-unit'
  | 'unit-conflict'
  | 'strength-unknown'
  | 'strength-unreadable'
  | 'strength-conflict'
  | 'strength-ambiguous'
  | 'form-mismatch'
  | 'frequency-unknown';

export interface DoseProblem {
  readonly code: DoseProblemCode;
  /** Plain words for the card. */
  readonly detail: string;
}

/** The drug whose dose is read (an ingredient of the order's product). */
export interface DrugRef {
  readonly rxnorm?: string;
  readonly name: string;
}

/** One unit of the ordered product and how much of the drug it holds. */
export interface Presentation {
  readonly mgPerUnit: number;
  readonly unit: CountForm | 'mL';
  /** RxNorm dose form, when the product table knows the product. */
  readonly doseForm?: string;
  /** A half unit can be given (immediate-release tablets only; data/dose-units.json halfUnitNote). */
  readonly halfUnits: boolean;
  /** The RxNorm code the table strength came from. */
  readonly productCode?: string;
  readonly source: 'product-table' | 'medication' | 'both';
}

export interface DoseReading {
  /** The dose as the order states it ('1 {pill}'), for the card. */
  readonly stated?: string;
  /** mg of the drug per dose; absent when `problems` is not empty. */
  readonly mgPerDose?: number;
  readonly dosesPerDay?: number;
  /** mg a day; absent when the dose or the frequency could not be read. */
  readonly mgPerDay?: number;
  readonly presentation?: Presentation;
  /** Why mg per dose could not be read (empty when it was). */
  readonly problems: readonly DoseProblem[];
  /** Why doses a day could not be read (empty when they were). */
  readonly frequencyProblems: readonly DoseProblem[];
}

export interface ReadDoseOptions {
  readonly drug: DrugRef;
  /** The Medication the order's medicationReference resolves to; looked up in the order and `draftOrders` when not given. */
  readonly medication?: Medication;
  /** The CDS Hooks draftOrders Bundle, to find a Medication the order references. */
  readonly draftOrders?: unknown;
  /** Product strengths by RxNorm code (a service's product table). */
  readonly products?: ProductLookup;
}

// ------------------------------------------------------------------------------------ numbers

/** Removes floating-point noise (0.1 * 3 = 0.30000000000000004) without rounding a real value. */
const clean = (x: number): number => Number(x.toPrecision(12));

/** mg as written on a card and in a Dosage text: the number itself (callers round first), without float noise. */
export function formatMg(mg: number): string {
  return String(clean(mg));
}

const same = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));

function toMg(value: number, unit: MassUcum): number | undefined {
  const r = UCUM.convertUnitTo(unit, value, 'mg');
  return r.status === 'succeeded' && typeof r.toVal === 'number' && Number.isFinite(r.toVal) ? clean(r.toVal) : undefined;
}

// ------------------------------------------------------------------------------------ units

type Unit = { readonly kind: 'mass'; readonly ucum: MassUcum } | { readonly kind: 'count'; readonly form: CountForm } | { readonly kind: 'volume' };

const lower = (s: string): string => s.trim().toLowerCase();

/** A unit word (no UCUM claim): case-insensitive. */
function fromWord(word: string): Unit | undefined {
  const w = lower(word);
  const mass = Object.hasOwn(UNITS.mass.words, w) ? UNITS.mass.words[w] : undefined;
  if (mass) return { kind: 'mass', ucum: mass };
  const count = Object.hasOwn(UNITS.count, w) ? UNITS.count[w] : undefined;
  if (count) return { kind: 'count', form: count };
  if (Object.hasOwn(UNITS.volume, w)) return { kind: 'volume' };
  return undefined;
}

/** A UCUM code: masses exactly as UCUM spells them (case-sensitive), annotations and mL case-insensitively. */
function fromUcum(code: string): Unit | undefined {
  const c = code.trim();
  const mass = Object.hasOwn(UNITS.mass.ucum, c) ? UNITS.mass.ucum[c] : undefined;
  if (mass) return { kind: 'mass', ucum: mass };
  if (c === 'mL') return { kind: 'volume' };
  const w = lower(c);
  if (Object.hasOwn(UNITS.count, w)) return { kind: 'count', form: UNITS.count[w]! };
  return undefined;
}

const unitName = (u: Unit): string => (u.kind === 'mass' ? u.ucum : u.kind === 'volume' ? 'mL' : u.form);

function compatible(a: Unit, b: Unit): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'mass' && b.kind === 'mass') return a.ucum === b.ucum;
  if (a.kind === 'count' && b.kind === 'count') return a.form === b.form || a.form === 'unit' || b.form === 'unit';
  return true;
}

/** The more specific of two compatible count units ({pill} + tablet -> tablet). */
const specific = (a: Unit, b: Unit): Unit => (a.kind === 'count' && a.form === 'unit' ? b : a);

/**
 * The unit of a Quantity. A code with the UCUM system (or no system) is read as UCUM; a code of
 * another system (HL7 orderableDrugForm TAB) and the `unit` text are read as words. Code and text
 * that name different units are a conflict, never a choice.
 */
function readUnit(q: Quantity, what: string): { unit: Unit; label: string } | { problem: DoseProblem } {
  const code = str(q.code)?.trim();
  const system = str(q.system)?.trim();
  const text = str(q.unit)?.trim();
  let fromCode: Unit | undefined;
  if (code) {
    fromCode = !system ? (fromUcum(code) ?? fromWord(code)) : system === UCUM_SYSTEM ? fromUcum(code) : fromWord(code);
    if (!fromCode && (!system || system === UCUM_SYSTEM)) {
      const hint = fromWord(code)?.kind === 'mass' ? ` (UCUM is case-sensitive: a milligram is 'mg')` : '';
      return { problem: { code: 'unknown-unit', detail: `${what} is in '${code}', a unit the service does not read${hint}` } };
    }
  }
  const fromText = text ? fromWord(text) : undefined;
  if (fromCode && fromText && !compatible(fromCode, fromText)) {
    return { problem: { code: 'unit-conflict', detail: `${what} has the unit code '${code}' but the unit text '${text}'` } };
  }
  const unit = fromCode && fromText ? specific(fromCode, fromText) : (fromCode ?? fromText);
  if (unit) return { unit, label: code && fromCode ? code : (text ?? unitName(unit)) };
  if (!code && !text) return { problem: { code: 'no-unit', detail: `${what} has no unit` } };
  return { problem: { code: 'unknown-unit', detail: `${what} is in '${code ?? text}'${code && system ? ` (${system})` : ''}, a unit the service does not read` } };
}

// ------------------------------------------------------------------------------------ strength

function rxnormCodes(cc: unknown): string[] {
  if (!isRecord(cc)) return [];
  return asArray((cc as CodeableConcept).coding)
    .filter(isRecord)
    .filter((c) => RXNORM_SYSTEMS.has(String(c.system)) && str(c.code))
    .map((c) => String(c.code).trim());
}

function conceptWords(cc: unknown): string[] {
  if (!isRecord(cc)) return [];
  const c = cc as CodeableConcept;
  return [str(c.text), ...asArray(c.coding).filter(isRecord).map((x) => str(x.display))].filter((s): s is string => !!s);
}

function containsWord(text: string, word: string): boolean {
  const escaped = word.toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^a-z0-9])${escaped}($|[^a-z0-9])`, 'i').test(text);
}

const formWord = (u: CountForm | 'mL'): string => (u === 'unit' ? 'pill' : u);

function describe(p: Presentation): string {
  return p.unit === 'mL' ? `${formatMg(p.mgPerUnit)} mg per mL` : `${formatMg(p.mgPerUnit)} mg per ${formWord(p.unit)}`;
}

/** One unit of a product-table product and how much of `drug` it holds (undefined when the product has no strength for it). */
export function productPresentation(p: ProductDef, drug: DrugRef): Presentation | undefined {
  const s = p.strength.find((x) => x.ingredient.toLowerCase() === drug.name.toLowerCase());
  if (!s) return undefined;
  const mg = toMg(s.value, s.unit);
  if (mg === undefined) return undefined;
  const unit = s.per.unit === 'mL' ? 'mL' : s.per.unit === '{capsule}' ? 'capsule' : 'tablet';
  return {
    mgPerUnit: clean(mg / s.per.value),
    unit,
    doseForm: p.doseForm,
    halfUnits: unit === 'tablet' && UNITS.halfUnitDoseForms.includes(p.doseForm),
    productCode: p.rxcui,
    source: 'product-table',
  };
}

interface StrengthFinding {
  readonly presentation?: Presentation;
  readonly problems: DoseProblem[];
  /** How many ingredients the product has, when known. */
  readonly ingredientCount?: number;
}

function tableStrength(codes: readonly string[], drug: DrugRef, products: ProductLookup | undefined): StrengthFinding {
  if (!products) return { problems: [] };
  const found = [...new Set(codes)].map((c) => products(c)).filter((p): p is ProductDef => p !== undefined);
  if (found.length === 0) return { problems: [] };
  const problems: DoseProblem[] = [];
  const candidates: Presentation[] = [];
  for (const p of found) {
    const pres = productPresentation(p, drug);
    if (pres) candidates.push(pres);
    else problems.push({ code: 'strength-conflict', detail: `the order's code RxNorm ${p.rxcui} (${p.name}) does not contain ${drug.name}` });
  }
  const distinct = candidates.filter((c, i) => candidates.findIndex((d) => d.unit === c.unit && same(d.mgPerUnit, c.mgPerUnit)) === i);
  if (distinct.length > 1) {
    problems.push({ code: 'strength-conflict', detail: `the order's codes give different strengths (${distinct.map((d) => `RxNorm ${d.productCode}: ${describe(d)}`).join('; ')})` });
  }
  return { ...(problems.length === 0 && candidates[0] ? { presentation: candidates[0] } : {}), problems, ingredientCount: Math.max(...found.map((p) => p.strength.length)) };
}

interface RatioLike {
  numerator?: Quantity;
  denominator?: Quantity;
}

function medicationStrength(med: Medication, drug: DrugRef): StrengthFinding {
  const ingredients = asArray(med.ingredient)
    .filter(isRecord)
    .filter((i) => i.isActive !== false);
  if (ingredients.length === 0) return { problems: [] };
  const names = (i: Record<string, unknown>): string[] => [...conceptWords(i.itemCodeableConcept), ...(isRecord(i.itemReference) && str(i.itemReference.display) ? [String(i.itemReference.display)] : [])];
  const matches = ingredients.filter(
    (i) => (drug.rxnorm !== undefined && rxnormCodes(i.itemCodeableConcept).includes(drug.rxnorm)) || names(i).some((t) => containsWord(t, drug.name)),
  );
  const count = ingredients.length;
  let chosen: Record<string, unknown> | undefined;
  if (matches.length === 1) chosen = matches[0];
  else if (matches.length === 0 && count === 1) chosen = ingredients[0];
  else {
    if (!ingredients.some((i) => isRecord(i.strength))) return { problems: [], ingredientCount: count };
    return {
      problems: [{ code: 'strength-ambiguous', detail: `the order's Medication lists ${count} ingredients and which strength is ${drug.name}'s is not clear` }],
      ingredientCount: count,
    };
  }
  if (!chosen || !isRecord(chosen.strength)) return { problems: [], ingredientCount: count };
  const ratio = chosen.strength as RatioLike;
  const unreadable = (why: string): StrengthFinding => ({
    problems: [{ code: 'strength-unreadable', detail: `the strength of ${drug.name} in the order's Medication could not be read (${why})` }],
    ingredientCount: count,
  });
  const num = isRecord(ratio.numerator) ? ratio.numerator : undefined;
  const den = isRecord(ratio.denominator) ? ratio.denominator : undefined;
  if (!num || !den) return unreadable('a ratio needs a numerator and a denominator');
  const nv = num.value;
  const dv = den.value;
  if (typeof nv !== 'number' || !Number.isFinite(nv) || nv <= 0 || typeof dv !== 'number' || !Number.isFinite(dv) || dv <= 0) return unreadable('an amount is missing or not positive');
  if (num.comparator || den.comparator) return unreadable('an amount has a comparator');
  const nu = readUnit(num, 'the amount');
  if ('problem' in nu) return unreadable(nu.problem.detail);
  if (nu.unit.kind !== 'mass') return unreadable(`the amount is in '${nu.label}', not a mass`);
  const du = readUnit(den, 'the denominator');
  if ('problem' in du) return unreadable(du.problem.detail);
  if (du.unit.kind === 'mass') return unreadable(`it is per '${du.label}', not per tablet, capsule or mL`);
  const mg = toMg(nv, nu.unit.ucum);
  if (mg === undefined) return unreadable(`'${nu.label}' could not be converted to mg`);
  const unit = du.unit.kind === 'volume' ? 'mL' : du.unit.form;
  return { presentation: { mgPerUnit: clean(mg / dv), unit, halfUnits: false, source: 'medication' }, problems: [], ingredientCount: count };
}

function strengthOf(request: MedicationRequest, med: Medication | undefined, drug: DrugRef, products: ProductLookup | undefined): StrengthFinding {
  const codes = [...rxnormCodes(request.medicationCodeableConcept), ...(med ? rxnormCodes(med.code) : [])];
  const table = tableStrength(codes, drug, products);
  const fromMed = med ? medicationStrength(med, drug) : { problems: [] };
  const problems = [...table.problems, ...fromMed.problems];
  const ingredientCount = Math.max(table.ingredientCount ?? 0, fromMed.ingredientCount ?? 0) || undefined;
  const a = table.presentation;
  const b = fromMed.presentation;
  let presentation: Presentation | undefined;
  if (a && b) {
    const unitsAgree = a.unit === b.unit || b.unit === 'unit';
    if (!unitsAgree || !same(a.mgPerUnit, b.mgPerUnit)) {
      problems.push({ code: 'strength-conflict', detail: `the order's Medication says ${describe(b)} but RxNorm ${a.productCode} is ${describe(a)}` });
    } else presentation = { ...a, source: 'both' };
  } else presentation = a ?? b;
  return { ...(problems.length === 0 && presentation ? { presentation } : {}), problems, ...(ingredientCount ? { ingredientCount } : {}) };
}

// ------------------------------------------------------------------------------------ frequency

/** Doses a day from Timing.repeat; FHIR R4 Timing: frequency defaults to once per period. */
function readFrequency(dosage: Dosage): { perDay?: number; problem?: DoseProblem } {
  const unknown = (detail: string) => ({ problem: { code: 'frequency-unknown' as const, detail } });
  if (dosage.asNeededBoolean === true || isRecord(dosage.asNeededCodeableConcept)) return unknown('it is taken as needed, so there is no fixed number of doses a day');
  const timing = isRecord(dosage.timing) ? (dosage.timing as Timing) : undefined;
  const repeat = timing && isRecord(timing.repeat) ? timing.repeat : undefined;
  if (!repeat) {
    const code = timing && isRecord(timing.code) ? (str(timing.code.text) ?? asArray(timing.code.coding).filter(isRecord).map((c) => str(c.code)).find((c) => c)) : undefined;
    return unknown(code ? `its timing is given only as the code '${code}'` : 'it has no timing');
  }
  if (repeat.frequencyMax !== undefined || repeat.periodMax !== undefined) return unknown('its timing is a range');
  if (asArray(repeat.dayOfWeek).length > 0) return unknown('it is given on some days of the week only');
  const frequency = repeat.frequency ?? 1;
  if (typeof frequency !== 'number' || !Number.isInteger(frequency) || frequency <= 0) return unknown('its frequency is not a positive whole number');
  if (repeat.frequency === undefined && (asArray(repeat.timeOfDay).length > 1 || asArray(repeat.when).length > 1)) return unknown('it names several times of day but no frequency');
  const period = repeat.period;
  if (typeof period !== 'number' || !Number.isFinite(period) || period <= 0) return unknown('its timing has no period');
  const unit = String(repeat.periodUnit ?? '');
  const hours = Object.hasOwn(UNITS.periodUnitHours, unit) ? UNITS.periodUnitHours[unit] : undefined;
  if (hours === undefined) return unknown(unit ? `its period unit '${unit}' has no fixed length in days` : 'its period has no unit');
  return { perDay: clean((frequency * 24) / (period * hours)) };
}

/** Words for a Timing.repeat the service reads ('once daily', 'twice daily', 'every 8 hours'); undefined otherwise. */
export function timingText(dosage: Dosage | undefined): string | undefined {
  if (!dosage) return undefined;
  const f = readFrequency(dosage);
  if (f.perDay === undefined) return undefined;
  const repeat = (dosage.timing as Timing).repeat!;
  const n = repeat.frequency ?? 1;
  const period = repeat.period!;
  const unit = repeat.periodUnit!;
  const word = { h: 'hour', d: 'day', wk: 'week' }[unit as 'h' | 'd' | 'wk'];
  if (period === 1 && unit === 'd') return n === 1 ? 'once daily' : n === 2 ? 'twice daily' : `${n} times daily`;
  if (period === 1 && unit === 'wk') return n === 1 ? 'once weekly' : `${n} times a week`;
  if (n === 1) return `every ${period} ${word}${period === 1 ? '' : 's'}`;
  return `${n} times every ${period} ${word}${period === 1 ? '' : 's'}`;
}

// ------------------------------------------------------------------------------------ reading

/** Reads the dose of `opts.drug` in `request`; see the module comment. Never throws on bad input. */
export function readDose(request: MedicationRequest, opts: ReadDoseOptions): DoseReading {
  const med = opts.medication ?? medicationOf(request, opts.draftOrders);
  const strength = strengthOf(request, med, opts.drug, opts.products);
  const presentation = strength.presentation;
  const base = presentation ? { presentation } : {};
  const fail = (problems: DoseProblem[], stated?: string, frequencyProblems: DoseProblem[] = []): DoseReading => ({
    ...(stated ? { stated } : {}),
    ...base,
    problems,
    frequencyProblems,
  });

  const dosages = asArray(request.dosageInstruction).filter(isRecord) as Dosage[];
  if (dosages.length === 0) return fail([{ code: 'no-dose', detail: 'the order has no dosage instruction' }]);
  if (dosages.length > 1) return fail([{ code: 'several-doses', detail: `the order has ${dosages.length} dosage instructions (a taper or split doses), not one dose` }]);
  const dosage = dosages[0]!;
  const frequency = readFrequency(dosage);
  const frequencyProblems = frequency.problem ? [frequency.problem] : [];
  const rates = asArray(dosage.doseAndRate).filter(isRecord);
  const textOnly = str(dosage.text) ? ` (only the text '${String(dosage.text).trim()}')` : '';
  if (rates.length === 0) return fail([{ code: 'no-dose', detail: `the order has no structured dose${textOnly}` }], undefined, frequencyProblems);
  if (rates.length > 1) return fail([{ code: 'several-doses', detail: `the order gives ${rates.length} doses for one instruction` }], undefined, frequencyProblems);
  const rate = rates[0]!;
  if (isRecord(rate.doseRange)) return fail([{ code: 'dose-range', detail: 'the order gives a dose range instead of one dose' }], undefined, frequencyProblems);
  const q = isRecord(rate.doseQuantity) ? (rate.doseQuantity as Quantity) : undefined;
  if (!q) return fail([{ code: 'no-dose', detail: `the order has no structured dose${textOnly}` }], undefined, frequencyProblems);
  const value = q.value;
  const stated = `${typeof value === 'number' ? value : '?'} ${str(q.code) ?? str(q.unit) ?? '(no unit)'}`.trim();
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) return fail([{ code: 'invalid-dose', detail: 'the dose is missing a positive number' }], stated, frequencyProblems);
  if (q.comparator) return fail([{ code: 'invalid-dose', detail: `the dose is '${q.comparator} ${value}', not one amount` }], stated, frequencyProblems);

  const u = readUnit(q, 'the dose');
  if ('problem' in u) return fail([u.problem, ...strength.problems], stated, frequencyProblems);
  if (strength.problems.length > 0) return fail(strength.problems, stated, frequencyProblems);

  let mgPerDose: number | undefined;
  const problems: DoseProblem[] = [];
  const unit = u.unit;
  if (unit.kind === 'mass') {
    if ((strength.ingredientCount ?? 1) > 1) {
      problems.push({ code: 'strength-ambiguous', detail: `the dose is in ${u.label} but the product has ${strength.ingredientCount} ingredients, and which one the amount is of is not stated` });
    } else {
      mgPerDose = toMg(value, unit.ucum);
      if (mgPerDose === undefined) problems.push({ code: 'unknown-unit', detail: `'${u.label}' could not be converted to mg` });
    }
  } else {
    const unitWord = unit.kind === 'volume' ? 'mL' : `${formWord(unit.form)}s`;
    if (!presentation) {
      const ref = isRecord(request.medicationReference) ? str(request.medicationReference.reference) : undefined;
      const missing = ref && !med ? ` (its Medication '${ref}' was not in the request)` : '';
      problems.push({ code: 'strength-unknown', detail: `the dose is in ${unitWord} but the strength of one ${unit.kind === 'volume' ? 'mL' : formWord(unit.form)} of the product is not known${missing}` });
    } else if (unit.kind === 'volume' && presentation.unit !== 'mL') {
      problems.push({ code: 'form-mismatch', detail: `the dose is in mL but the product is measured per ${formWord(presentation.unit)} (${describe(presentation)})` });
    } else if (unit.kind === 'count' && presentation.unit === 'mL') {
      problems.push({ code: 'form-mismatch', detail: `the dose is in ${unitWord} but the product is a liquid (${describe(presentation)})` });
    } else if (unit.kind === 'count' && unit.form !== 'unit' && presentation.unit !== 'unit' && unit.form !== presentation.unit) {
      problems.push({ code: 'form-mismatch', detail: `the dose is in ${unitWord} but the product is ${presentation.unit === 'capsule' ? 'a capsule' : 'a tablet'}` });
    } else {
      mgPerDose = clean(value * presentation.mgPerUnit);
    }
  }
  if (mgPerDose === undefined) return fail(problems, stated, frequencyProblems);
  return {
    stated,
    mgPerDose,
    ...base,
    ...(frequency.perDay !== undefined ? { dosesPerDay: frequency.perDay, mgPerDay: clean(mgPerDose * frequency.perDay) } : {}),
    problems: [],
    frequencyProblems,
  };
}

// ------------------------------------------------------------------------------------ writing

/** A Dosage dose in UCUM mg. Throws on a number that is not a positive finite amount (a bug, not input). */
export function mgQuantity(mg: number): Quantity {
  if (!Number.isFinite(mg) || mg <= 0) throw new Error(`not a dose in mg: ${mg}`);
  return { value: clean(mg), unit: 'mg', system: UCUM_SYSTEM, code: 'mg' };
}

/**
 * How `mg` is made from the product: '2 tablets of 5 mg', 'half a 5 mg tablet', '5 mL of the
 * 2 mg/mL liquid', or that it cannot be made from it (only whole units, or halves of an
 * immediate-release tablet).
 */
export function unitsText(mg: number, p: Presentation): string {
  const n = clean(mg / p.mgPerUnit);
  const strength = formatMg(p.mgPerUnit);
  if (p.unit === 'mL') {
    return Math.abs(n * 100 - Math.round(n * 100)) < 1e-6 ? `${String(n)} mL of the ${strength} mg/mL liquid` : `cannot be measured exactly from the ${strength} mg/mL liquid`;
  }
  const word = formWord(p.unit);
  if (Number.isInteger(n)) return `${n} ${word}${n === 1 ? '' : 's'} of ${strength} mg`;
  if (p.halfUnits && Number.isInteger(n * 2)) return n === 0.5 ? `half a ${strength} mg ${word}` : `${n} ${word}s of ${strength} mg`;
  return `cannot be made from ${p.halfUnits ? 'whole or half ' : 'whole '}${strength} mg ${word}s`;
}

export interface WrittenDose {
  readonly doseQuantity: Quantity;
  /** Dosage.text: the mg, the schedule, how it is made from the product, and a note. */
  readonly text: string;
}

/** The dose a service writes: `mg` per dose in UCUM mg, and its text. */
export function writeDose(mg: number, opts: { readonly timing?: string; readonly presentation?: Presentation; readonly note?: string } = {}): WrittenDose {
  const doseQuantity = mgQuantity(mg);
  const value = doseQuantity.value!;
  const made = opts.presentation ? ` (${unitsText(value, opts.presentation)})` : '';
  const text = `${formatMg(value)} mg${opts.timing ? ` ${opts.timing}` : ' per dose'}${made}${opts.note ? `; ${opts.note}` : ''}`;
  return { doseQuantity, text };
}
