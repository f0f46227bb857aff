import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { checkProducts, type ProductDef } from '../../src/clinical/products.js';
import { STATINS } from '../../src/services/cardiovascular-risk/features/codes.js';
import { checkProductTable, RXNORM_PRODUCTS } from '../../src/services/pgx/inputs/products.js';

/**
 * The structured strengths of the product tables against the RxNorm names they carry, read here
 * by their own parser (RxNorm SCD/SBD naming: '[n HR] <substance> <amount> <MG|MG/ML> [/ ...] <dose form> [Brand]').
 */
function fromName(name: string): { doseForm: string; strength: { substance: string; value: number; unit: string; perUnit: string }[] } {
  const unbranded = name.replace(/\s*\[[^\]]+\]$/, '').replace(/^\d+ HR /, '');
  const form = /\b((?:Extended Release )?Oral (?:Tablet|Capsule|Solution|Suspension))$/.exec(unbranded);
  if (!form) throw new Error(`no dose form in '${name}'`);
  const doseForm = form[1]!;
  const parts = unbranded.slice(0, -doseForm.length).trim().split(' / ');
  const perUnit = /Tablet$/.test(doseForm) ? '{tablet}' : /Capsule$/.test(doseForm) ? '{capsule}' : 'mL';
  return {
    doseForm,
    strength: parts.map((p) => {
      const m = /^(.+) (\d+(?:\.\d+)?) (MG|MG\/ML)$/.exec(p);
      if (!m) throw new Error(`unreadable strength '${p}' in '${name}'`);
      if ((m[3] === 'MG/ML') !== (perUnit === 'mL')) throw new Error(`'${name}': ${m[3]} does not fit ${doseForm}`);
      return { substance: m[1]!, value: Number(m[2]), unit: 'mg', perUnit };
    }),
  };
}

const statinProducts = STATINS.clinicalDrugs as unknown as readonly ProductDef[];
const tables: [string, readonly ProductDef[]][] = [
  ['pgx rxnorm-products.json', RXNORM_PRODUCTS],
  ['cardiovascular-risk statins.json', statinProducts],
];

describe.each(tables)('%s: structured strength agrees with the RxNorm name', (_, products) => {
  it.each(products.map((p) => [p.rxcui, p.name, p] as const))('%s %s', (_code, name, p) => {
    const expected = fromName(name);
    expect(p.doseForm).toBe(expected.doseForm);
    expect(p.strength.map((s) => ({ substance: s.substance, value: s.value, unit: s.unit, perUnit: s.per.unit, perValue: s.per.value }))).toEqual(
      expected.strength.map((s) => ({ ...s, perValue: 1 })),
    );
    // the ingredient is the substance's first word (warfarin sodium -> warfarin)
    for (const s of p.strength) expect(s.substance.split(' ')[0]).toBe(s.ingredient);
  });
});

describe('product tables are checked when they load', () => {
  const pgxFile = (): { products: Record<string, unknown>[] } =>
    JSON.parse(readFileSync('src/services/pgx/inputs/data/rxnorm-products.json', 'utf8')) as { products: Record<string, unknown>[] };

  it('the shipped tables pass', () => {
    expect(() => checkProductTable(pgxFile())).not.toThrow();
    expect(() => checkProducts(statinProducts, 'statins.json')).not.toThrow();
  });

  it('a negative strength fails, naming the entry', () => {
    const f = pgxFile();
    const i = f.products.findIndex((p) => p['rxcui'] === '855332');
    (f.products[i]!['strength'] as { value: number }[])[0]!.value = -5;
    expect(() => checkProductTable(f)).toThrow(/products\[\d+\] \(855332 warfarin sodium 5 MG Oral Tablet\).*must be > 0/);
  });

  it('a missing strength fails, naming the entry', () => {
    const f = pgxFile();
    delete f.products[0]!['strength'];
    expect(() => checkProductTable(f)).toThrow(/products\[0\] \(309362 clopidogrel 75 MG Oral Tablet\).*strength/);
  });

  it('a tablet measured per mL fails, naming the entry', () => {
    const f = pgxFile();
    ((f.products[0]!['strength'] as { per: { unit: string } }[])[0]!.per.unit = 'mL');
    expect(() => checkProductTable(f)).toThrow(/309362 clopidogrel 75 MG Oral Tablet.*per mL/);
  });

  it('strengths that name other ingredients than the entry lists fail', () => {
    const f = pgxFile();
    (f.products[0]!['strength'] as { ingredient: string }[])[0]!.ingredient = 'prasugrel';
    expect(() => checkProductTable(f)).toThrow(/309362.*name different ingredients/);
  });

  it('a source not described in sources fails', () => {
    const f = pgxFile();
    f.products[0]!['source'] = 'hearsay';
    expect(() => checkProductTable(f)).toThrow(/309362.*'hearsay'/);
  });

  it('a duplicated code fails', () => {
    const f = pgxFile();
    f.products.push(structuredClone(f.products[0]!));
    expect(() => checkProductTable(f)).toThrow(/309362.*listed twice/);
  });
});
