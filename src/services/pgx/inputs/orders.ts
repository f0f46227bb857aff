import type {
  CodeableConcept,
  Dosage,
  FhirResource,
  Medication,
  MedicationIngredient,
  MedicationRequest,
  MedicationStatement,
  Reference,
} from 'fhir/r4.js';
import { bundleEntries, containedLookup, draftMedicationLookup, referenceKey, type MedicationLookup } from '../../../clinical/medication.js';
import { loadJson } from '../../../util/data-file.js';
import { RXNORM_PRODUCTS, type ProductDef } from './products.js';
import { asArray, conceptTexts, containsWord, isRecord, rxnormCodes, str } from './fhir.js';

/**
 * Medications from CDS Hooks draft orders (order-select / order-sign `context.draftOrders`) and
 * from a patient's active MedicationRequests / MedicationStatements. Pure: inputs are read, never
 * changed; each DraftMedication carries the draft exactly as sent.
 *
 * A drug is identified, in this order:
 * 1. RxNorm codes in medicationCodeableConcept: an ingredient code of data/ingredients.json
 *    ('rxnorm-ingredient'), else a clinical or branded drug code of data/rxnorm-products.json
 *    ('rxnorm-product');
 * 2. the Medication the order points at (contained '#id', or a Medication in the draftOrders
 *    Bundle): the same codes in Medication.code and its ingredients ('medication-resource');
 * 3. ingredient names and brand names as whole words in the texts (medicationCodeableConcept
 *    text and coding displays, the Medication's code and ingredient texts, the reference's
 *    display) - the last resort ('text');
 * 4. otherwise 'none' with no ingredients: the order is not one the service advises on (no
 *    code and no text, or nothing that names a drug of the list).
 * Only ingredients of the drug list make an order relevant; partner ingredients (acetaminophen
 * in acetaminophen/codeine, lamivudine in abacavir/lamivudine) are reported alongside them.
 */

export type MatchedBy = 'rxnorm-ingredient' | 'rxnorm-product' | 'medication-resource' | 'text' | 'none';

export interface IngredientRef {
  rxnorm: string;
  name: string;
}

export interface DraftMedication {
  /** MedicationRequest.id, when the draft has one. */
  requestId?: string;
  /** 'MedicationRequest/<id>'; without an id the entry's fullUrl, else 'draftOrders.entry[<n>]'. */
  reference: string;
  /** The draft as sent (the same object, untouched). */
  resource: MedicationRequest;
  /** Ingredients found, by name; empty when matchedBy is 'none'. */
  ingredients: IngredientRef[];
  matchedBy: MatchedBy;
  /** The order's own name for the drug, for cards. */
  displayText: string;
  /** The text or route names a non-systemic form (eye drops, cream, ointment, ...). */
  nonSystemic: boolean;
  /** The Medication the draft's medicationReference resolves to (contained, or in the draftOrders Bundle), as sent. */
  medication?: Medication;
}

export interface ActiveIngredient extends IngredientRef {
  /** 'MedicationRequest/<id>' or 'MedicationStatement/<id>'. */
  source: string;
  matchedBy: Exclude<MatchedBy, 'none'>;
  /** The IWPC warfarin algorithm's co-medication term this ingredient belongs to, if any. */
  warfarinModel?: 'amiodarone' | 'enzyme-inducer';
}

// ------------------------------------------------------------------------------------ tables

export { RXNORM_PRODUCTS, type ProductDef };

type Verification = 'cpic-drug-table' | 'vsac' | 'corroborated' | 'unverified';

export interface IngredientDef {
  readonly rxnorm: string;
  readonly name: string;
  readonly synonyms: readonly string[];
  readonly verification: Verification;
  readonly warfarinModel?: 'amiodarone' | 'enzyme-inducer';
}

interface IngredientTable {
  readonly drugs: readonly IngredientDef[];
  readonly partners: readonly IngredientDef[];
}

const INGREDIENT_TABLE = loadJson<IngredientTable>(import.meta.url, './data/ingredients.json');

/** The drugs the service advises on (data/ingredients.json). */
export const DRUG_INGREDIENTS: readonly IngredientDef[] = INGREDIENT_TABLE.drugs;
/** Ingredients reported only next to a drug of the list, in combination products. */
export const PARTNER_INGREDIENTS: readonly IngredientDef[] = INGREDIENT_TABLE.partners;

const PRIMARY = new Set(DRUG_INGREDIENTS.map((d) => d.name));
const BY_NAME = new Map([...DRUG_INGREDIENTS, ...PARTNER_INGREDIENTS].map((d) => [d.name, d]));
/** Ingredient codes used to identify orders: unverified codes are left out (name matching only). */
const BY_CODE = new Map(
  [...DRUG_INGREDIENTS, ...PARTNER_INGREDIENTS].filter((d) => d.verification !== 'unverified').map((d) => [d.rxnorm, d]),
);
const PRODUCTS = new Map(RXNORM_PRODUCTS.map((p) => [p.rxcui, p]));
const TEXT_TERMS: readonly { readonly term: string; readonly def: IngredientDef }[] = [...DRUG_INGREDIENTS, ...PARTNER_INGREDIENTS].flatMap(
  (def) => [def.name, ...def.synonyms].map((term) => ({ term, def })),
);

const NON_SYSTEMIC =
  /\b(ophthalmic|eye drops?|otic|ear drops?|topical|cream|ointment|gel|foam|shampoo|lotion|vaginal|rectal|nasal spray|irrigation|cutaneous)\b/i;

// ---------------------------------------------------------------------------- identification

interface Identified {
  ingredients: IngredientDef[];
  matchedBy: MatchedBy;
}

function sortedUnique(defs: Iterable<IngredientDef>): IngredientDef[] {
  return [...new Map([...defs].map((d) => [d.name, d])).values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** Ingredient and product codes -> ingredients, when at least one is a drug of the list. */
function byCodes(codes: readonly string[]): { ingredients: IngredientDef[]; viaIngredient: boolean } | undefined {
  const found: IngredientDef[] = [];
  let viaIngredient = false;
  for (const code of codes) {
    const def = BY_CODE.get(code);
    if (def) {
      found.push(def);
      if (PRIMARY.has(def.name)) viaIngredient = true;
    }
  }
  for (const code of codes) {
    for (const name of PRODUCTS.get(code)?.ingredients ?? []) {
      const def = BY_NAME.get(name);
      if (def) found.push(def); // names without a verified ingredient code (ezetimibe) are not reported
    }
  }
  if (!found.some((d) => PRIMARY.has(d.name))) return undefined;
  return { ingredients: sortedUnique(found), viaIngredient };
}

function byText(texts: readonly string[]): IngredientDef[] | undefined {
  const found = TEXT_TERMS.filter(({ term }) => texts.some((t) => containsWord(t, term))).map(({ def }) => def);
  return found.some((d) => PRIMARY.has(d.name)) ? sortedUnique(found) : undefined;
}

function medicationCodes(med: Medication): string[] {
  const ingredientConcepts = (asArray(med.ingredient).filter(isRecord) as MedicationIngredient[])
    .map((i) => i.itemCodeableConcept)
    .filter(isRecord) as CodeableConcept[];
  return [...rxnormCodes(isRecord(med.code) ? med.code : undefined), ...ingredientConcepts.flatMap((cc) => rxnormCodes(cc))];
}

function medicationTexts(med: Medication): string[] {
  const ingredientConcepts = (asArray(med.ingredient).filter(isRecord) as MedicationIngredient[])
    .map((i) => i.itemCodeableConcept)
    .filter(isRecord) as CodeableConcept[];
  return [...conceptTexts(isRecord(med.code) ? med.code : undefined), ...ingredientConcepts.flatMap((cc) => conceptTexts(cc))];
}

interface Identification extends Identified {
  displayText: string;
  nonSystemic: boolean;
  /** The Medication the order points at, when it was found. */
  medication?: Medication;
}

function identify(
  concept: unknown,
  reference: unknown,
  dosage: readonly Dosage[],
  lookup: MedicationLookup,
): Identification {
  const cc = isRecord(concept) ? (concept as CodeableConcept) : undefined;
  const ref = isRecord(reference) ? (reference as Reference) : undefined;
  const med = ref ? lookup(ref) : undefined;
  const ownTexts = conceptTexts(cc);
  const medTexts = med ? medicationTexts(med) : [];
  const refDisplay = str(ref?.display)?.trim();
  const texts = [...ownTexts, ...medTexts, ...(refDisplay ? [refDisplay] : [])];
  const routeTexts = dosage.flatMap((d) => (isRecord(d.route) ? conceptTexts(d.route) : []));
  const codes = rxnormCodes(cc);
  const displayText =
    ownTexts[0] ??
    medTexts[0] ??
    refDisplay ??
    (codes.length ? `RxNorm ${codes.join(', ')}` : med && rxnormCodes(med.code).length ? `RxNorm ${rxnormCodes(med.code).join(', ')}` : undefined);

  let found: Identified = { ingredients: [], matchedBy: 'none' };
  const direct = byCodes(codes);
  if (direct) {
    found = { ingredients: direct.ingredients, matchedBy: direct.viaIngredient ? 'rxnorm-ingredient' : 'rxnorm-product' };
  } else {
    const viaMedication = med ? byCodes(medicationCodes(med)) : undefined;
    if (viaMedication) {
      found = { ingredients: viaMedication.ingredients, matchedBy: 'medication-resource' };
    } else {
      const viaText = byText(texts);
      if (viaText) found = { ingredients: viaText, matchedBy: 'text' };
    }
  }
  return {
    ...found,
    displayText: displayText ?? (found.ingredients.length ? found.ingredients.map((d) => d.name).join(' / ') : 'Medication order without a drug name'),
    nonSystemic: [...texts, ...routeTexts].some((t) => NON_SYSTEMIC.test(t)),
    ...(med ? { medication: med } : {}),
  };
}

function toRefs(defs: readonly IngredientDef[]): IngredientRef[] {
  return defs.map((d) => ({ rxnorm: d.rxnorm, name: d.name }));
}

function dosages(x: { dosageInstruction?: Dosage[]; dosage?: Dosage[] }): Dosage[] {
  return [...asArray(x.dosageInstruction), ...asArray(x.dosage)].filter(isRecord) as Dosage[];
}

// ---------------------------------------------------------------------------------- drafts

/**
 * The medication orders of a CDS Hooks order-select / order-sign context: MedicationRequest
 * entries of `context.draftOrders` (other resource types are ignored); for order-select only
 * those named in `context.selections` (none when selections is missing), for order-sign all.
 * Drafts marked doNotPerform or entered-in-error are left out.
 */
export function extractDraftMedications(
  context: { draftOrders?: unknown; selections?: unknown },
  hook: 'order-select' | 'order-sign',
): DraftMedication[] {
  const entries = bundleEntries(context.draftOrders);
  const selections =
    hook === 'order-select'
      ? asArray(context.selections)
          .map((s) => str(s)?.trim())
          .filter((s): s is string => !!s)
      : undefined;
  const out: DraftMedication[] = [];
  entries.forEach((entry, index) => {
    if (entry.resource.resourceType !== 'MedicationRequest') return;
    const request = entry.resource;
    const id = str(request.id)?.trim();
    if (selections) {
      const selected = selections.some(
        (s) => (!!entry.fullUrl && s === entry.fullUrl) || (!!id && referenceKey(s) === `MedicationRequest/${id}`),
      );
      if (!selected) return;
    }
    if (request.doNotPerform === true || request.status === 'entered-in-error') return;
    const found = identify(request.medicationCodeableConcept, request.medicationReference, dosages(request), draftMedicationLookup(entries, request));
    out.push({
      ...(id ? { requestId: id } : {}),
      reference: id ? `MedicationRequest/${id}` : (entry.fullUrl ?? `draftOrders.entry[${index}]`),
      resource: request,
      ingredients: toRefs(found.ingredients),
      matchedBy: found.matchedBy,
      displayText: found.displayText,
      nonSystemic: found.nonSystemic,
      ...(found.medication ? { medication: found.medication } : {}),
    });
  });
  return out;
}

// ---------------------------------------------------------------------------------- active

function activeIngredientsOf(
  resource: MedicationRequest | MedicationStatement,
  source: string,
  concept: unknown,
  reference: unknown,
): ActiveIngredient[] {
  const found = identify(concept, reference, dosages(resource as { dosageInstruction?: Dosage[]; dosage?: Dosage[] }), containedLookup(resource));
  if (found.matchedBy === 'none') return [];
  const matchedBy = found.matchedBy;
  return found.ingredients.map((d) => ({
    rxnorm: d.rxnorm,
    name: d.name,
    source,
    matchedBy,
    ...(d.warfarinModel ? { warfarinModel: d.warfarinModel } : {}),
  }));
}

/**
 * Ingredients of the patient's active medications (MedicationRequest status 'active' and not
 * doNotPerform; MedicationStatement status 'active'), identified as draft orders are - for the
 * warfarin model's amiodarone and enzyme-inducer terms (see `warfarinModel`) and any other
 * co-medication check. One item per ingredient per resource.
 */
export function activeMedicationIngredients(
  requests: readonly MedicationRequest[],
  statements: readonly MedicationStatement[],
): ActiveIngredient[] {
  const out: ActiveIngredient[] = [];
  requests.forEach((r, i) => {
    if (!isRecord(r) || r.resourceType !== 'MedicationRequest' || r.status !== 'active' || r.doNotPerform === true) return;
    const source = str(r.id) ? `MedicationRequest/${r.id}` : `MedicationRequest[${i}]`;
    out.push(...activeIngredientsOf(r, source, r.medicationCodeableConcept, r.medicationReference));
  });
  statements.forEach((s, i) => {
    if (!isRecord(s) || s.resourceType !== 'MedicationStatement' || s.status !== 'active') return;
    const source = str(s.id) ? `MedicationStatement/${s.id}` : `MedicationStatement[${i}]`;
    out.push(...activeIngredientsOf(s, source, s.medicationCodeableConcept, s.medicationReference));
  });
  return out;
}

/** The reported ingredients of a product code of data/rxnorm-products.json ([] for other codes). */
export function productIngredients(rxcui: string): IngredientRef[] {
  return toRefs(sortedUnique((PRODUCTS.get(rxcui)?.ingredients ?? []).map((n) => BY_NAME.get(n)).filter((d): d is IngredientDef => !!d)));
}

