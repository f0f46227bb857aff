import { assertProductEntries, assertSchema, productAjv, productLookup, type ProductDef as StrengthProduct, type ProductLookup } from '../../../clinical/products.js';
import { loadJson } from '../../../util/data-file.js';

/**
 * data/rxnorm-products.json: RxNorm clinical (SCD) and branded (SBD) drugs with their ingredients
 * (to identify orders, orders.ts) and their strength per tablet, capsule or mL (to read a dose
 * written in tablets or mL, src/clinical/dose.ts). Checked against data/rxnorm-products.schema.json
 * when this module loads: a broken table stops the start, naming the entry.
 */

export interface ProductDef extends StrengthProduct {
  readonly tty: 'SCD' | 'SBD';
  /** Ingredient names (ingredients.json drugs and partners; ezetimibe and amlodipine are named only here). */
  readonly ingredients: readonly string[];
  /** Key into the file's `sources`. */
  readonly source: string;
}

interface ProductTable {
  readonly source: string;
  readonly sources: Readonly<Record<string, string>>;
  readonly products: readonly ProductDef[];
}

const SCHEMA = loadJson<object>(import.meta.url, './data/rxnorm-products.schema.json');
const FILE = 'rxnorm-products.json';

/** Validates the product table (schema, then what a schema cannot say); throws naming the entry. */
export function checkProductTable(data: unknown, file = FILE): ProductTable {
  assertSchema(productAjv().compile(SCHEMA), data, file);
  const table = data as ProductTable;
  assertProductEntries(table.products, file);
  table.products.forEach((p, i) => {
    const where = `${file}: entry ${i} (${p.rxcui} ${p.name})`;
    if (!Object.hasOwn(table.sources, p.source)) throw new Error(`${where}: source '${p.source}' is not described in 'sources'`);
    const named = [...p.strength.map((s) => s.ingredient)].sort().join(',');
    if (named !== [...p.ingredients].sort().join(',')) throw new Error(`${where}: ingredients [${p.ingredients.join(', ')}] and strengths [${named}] name different ingredients`);
  });
  return table;
}

const TABLE = checkProductTable(loadJson<unknown>(import.meta.url, `./data/${FILE}`));

export const RXNORM_PRODUCTS: readonly ProductDef[] = TABLE.products;

/** Strength of a product code of the table, for the dose reader (undefined: strength unknown). */
export const productStrength: ProductLookup = productLookup(RXNORM_PRODUCTS);
