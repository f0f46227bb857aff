import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { loadJson } from '../util/data-file.js';

/**
 * Drug products with their strength per unit of presentation (RxNorm clinical and branded drugs),
 * as the services' product tables hold them. The schema (data/product.schema.json) is checked when a
 * table loads, and a broken table stops the start naming the entry, so a dose is never computed from
 * a strength that was mistyped.
 */

export type StrengthMassUnit = 'mg' | 'g' | 'ug';
export type PresentationUnit = '{tablet}' | '{capsule}' | 'mL';

export interface StrengthDef {
  /** Ingredient name as the drug lists spell it (warfarin). */
  readonly ingredient: string;
  /** What the amount is expressed as (RxNorm basis of strength: warfarin sodium). */
  readonly substance: string;
  readonly value: number;
  readonly unit: StrengthMassUnit;
  /** Per one tablet / capsule, or per mL for a liquid. */
  readonly per: { readonly value: number; readonly unit: PresentationUnit };
}

export interface ProductDef {
  readonly rxcui: string;
  readonly name: string;
  /** RxNorm dose form ('Oral Tablet', 'Extended Release Oral Capsule', 'Oral Solution', ...). */
  readonly doseForm: string;
  readonly strength: readonly StrengthDef[];
}

/** Product lookup by RxNorm code, as the dose reader takes it. */
export type ProductLookup = (rxcui: string) => ProductDef | undefined;

export const PRODUCT_SCHEMA = loadJson<{ $id: string }>(import.meta.url, './data/product.schema.json');

/** An ajv instance that knows the product schema, for tables whose own schema refers to it by $id. */
export function productAjv(): Ajv2020 {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  ajv.addSchema(PRODUCT_SCHEMA);
  return ajv;
}

/** 'products[12] (855332 warfarin sodium 5 MG Oral Tablet)' for the entry an error path points into. */
function entryName(data: unknown, instancePath: string): string {
  const segments = instancePath.split('/').slice(1);
  let node: unknown = data;
  let path = '';
  let named = '';
  for (const s of segments) {
    if (Array.isArray(node)) {
      path += `[${s}]`;
      node = node[Number(s)];
      if (typeof node === 'object' && node !== null && 'rxcui' in node) {
        const n = node as { rxcui?: unknown; name?: unknown };
        named = `${path} (${String(n.rxcui)}${typeof n.name === 'string' ? ` ${n.name}` : ''})`;
      }
    } else if (typeof node === 'object' && node !== null) {
      path += path ? `.${s}` : s;
      node = (node as Record<string, unknown>)[s];
    } else break;
  }
  return named || path || '(root)';
}

function errorText(data: unknown, errors: readonly ErrorObject[]): string {
  return errors.map((e) => `${entryName(data, e.instancePath)}: ${e.instancePath || '/'} ${e.message ?? 'is invalid'}`).join('; ');
}

/** Throws, naming the file and the entry, when `data` does not match `validate`'s schema. */
export function assertSchema(validate: ValidateFunction, data: unknown, file: string): void {
  if (!validate(data)) throw new Error(`${file} does not match its schema: ${errorText(data, validate.errors ?? [])}`);
}

const FORM_UNIT: Readonly<Record<string, PresentationUnit>> = {
  'Oral Tablet': '{tablet}',
  'Extended Release Oral Tablet': '{tablet}',
  'Oral Capsule': '{capsule}',
  'Extended Release Oral Capsule': '{capsule}',
  'Oral Solution': 'mL',
  'Oral Suspension': 'mL',
};

/**
 * What a schema cannot say: codes unique, each strength per the dose form's unit (tablets per
 * tablet, liquids per mL), one strength per ingredient. Throws naming the entry.
 */
export function assertProductEntries(products: readonly ProductDef[], file: string): void {
  const seen = new Set<string>();
  products.forEach((p, i) => {
    const where = `${file}: entry ${i} (${p.rxcui} ${p.name})`;
    if (seen.has(p.rxcui)) throw new Error(`${where}: RxNorm code listed twice`);
    seen.add(p.rxcui);
    const unit = FORM_UNIT[p.doseForm];
    for (const s of p.strength) {
      if (s.per.unit !== unit) throw new Error(`${where}: strength of ${s.ingredient} is per ${s.per.unit}, but a ${p.doseForm} is measured per ${unit}`);
    }
    const names = p.strength.map((s) => s.ingredient);
    if (new Set(names).size !== names.length) throw new Error(`${where}: an ingredient has two strengths`);
  });
}

/** Validates a list of products against the product schema and the checks above; returns it typed. */
export function checkProducts(entries: unknown, file: string): readonly ProductDef[] {
  const validate = productAjv().compile({ type: 'array', items: { $ref: PRODUCT_SCHEMA.$id } });
  assertSchema(validate, entries, file);
  const products = entries as readonly ProductDef[];
  assertProductEntries(products, file);
  return products;
}

export function productLookup(products: readonly ProductDef[]): ProductLookup {
  const byCode = new Map(products.map((p) => [p.rxcui, p]));
  return (rxcui) => byCode.get(rxcui);
}
