import { describe, expect, it } from '@jest/globals';
import { GUIDELINE } from '../../../src/services/cardiovascular-risk/assess.js';
import { STATIN_ORDERS, statinProduct } from '../../../src/services/cardiovascular-risk/statin-products.js';

describe('statin products of the one-click orders (statins.json)', () => {
  it('each guideline intensity orders the clinical drug of its dose: atorvastatin 20 mg -> 617310, 40 mg -> 617311', () => {
    expect(GUIDELINE.statins.moderate.doseMg).toBe(20);
    expect(GUIDELINE.statins.high.doseMg).toBe(40);
    expect([STATIN_ORDERS.moderate.product.rxcui, STATIN_ORDERS.high.product.rxcui]).toEqual(['617310', '617311']);
  });

  it('the product found holds the dose in one tablet', () => {
    for (const o of Object.values(STATIN_ORDERS)) expect([o.presentation.unit, o.presentation.mgPerUnit]).toEqual(['tablet', o.product.strength[0]!.value]);
  });

  it('a strength no single-ingredient tablet has (atorvastatin 25 mg) -> none, never a near one', () => {
    expect(statinProduct('atorvastatin', 25)).toBeUndefined();
  });

  it('combination products are never chosen (amlodipine/atorvastatin 20 mg is not atorvastatin 20 mg)', () => {
    expect(statinProduct('atorvastatin', 20)?.product.strength).toHaveLength(1);
  });

  it('an extended-release product is not a plain tablet (fluvastatin 80 mg ER)', () => {
    expect(statinProduct('fluvastatin', 80)).toBeUndefined();
  });
});
