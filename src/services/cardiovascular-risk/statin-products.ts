import { productPresentation, type Presentation } from '../../clinical/dose.js';
import { checkProducts, type ProductDef } from '../../clinical/products.js';
import { GUIDELINE, type Intensity } from './assess.js';
import { STATINS } from './features/codes.js';

/**
 * The statin product a one-click statin order names: the RxNorm clinical drug (SCD) of the
 * guideline dose (data/guideline.json statins) from data/statins.json, so an EHR that fills the
 * order from its code gets the strength the label says. The table is checked against the product
 * schema when this module loads, and a guideline dose without a product stops the start.
 */

const PRODUCTS = checkProducts(STATINS.clinicalDrugs, 'statins.json clinicalDrugs');

export interface StatinOrder {
  readonly product: ProductDef;
  /** One tablet of the product and how much of the statin it holds. */
  readonly presentation: Presentation;
}

/** The single-ingredient immediate-release oral tablet of `ingredient` holding exactly `mg` (undefined when statins.json has none). */
export function statinProduct(ingredient: string, mg: number, rxnorm?: string): StatinOrder | undefined {
  for (const product of PRODUCTS) {
    if (product.strength.length !== 1 || product.doseForm !== 'Oral Tablet') continue;
    const presentation = productPresentation(product, { name: ingredient, ...(rxnorm ? { rxnorm } : {}) });
    if (presentation && presentation.unit === 'tablet' && presentation.mgPerUnit === mg) return { product, presentation };
  }
  return undefined;
}

function orderFor(intensity: Intensity): StatinOrder {
  const s = GUIDELINE.statins[intensity];
  const found = statinProduct(s.ingredient, s.doseMg, s.rxnorm);
  if (!found) throw new Error(`guideline.json statins.${intensity}: statins.json has no ${s.ingredient} ${s.doseMg} mg oral tablet (SCD) to order`);
  return found;
}

/** The product of each intensity's one-click order, found once at start. */
export const STATIN_ORDERS: Readonly<Record<Intensity, StatinOrder>> = { moderate: orderFor('moderate'), high: orderFor('high') };
