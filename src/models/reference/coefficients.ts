/**
 * Shape of `models/<id>/coefficients.json`: the published coefficients of one model as data.
 * Read by the ONNX builder (scripts/build-models.ts) and by the plain TypeScript reference
 * equations in this folder, so both evaluate exactly the same published numbers.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's `models/` folder, found relative to this module (src/ or dist/src/). */
export const DEFAULT_MODELS_DIR = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../../../models/' : '../../../models/', import.meta.url));

/** 0/1 indicator, also accepted as a boolean by the convenience wrappers. */
export type Flag = boolean | number;
export const flag = (x: Flag): number => (typeof x === 'boolean' ? (x ? 1 : 0) : x);

export type ModelFamily = 'pce' | 'prevent' | 'iwpc';

export interface CoefficientTerm {
  /** Term name; also the name of the matching `contributions` column. */
  readonly name: string;
  /** The transformation of the raw inputs, as published. */
  readonly definition: string;
  readonly coefficient: number;
  /** The rounded print of the same coefficient, when a second published copy differs. */
  readonly publishedRounded?: number;
}

export interface CoefficientConstant {
  readonly value: number;
  readonly publishedRounded?: number;
  readonly description: string;
}

export interface CoefficientSet {
  readonly id: string;
  readonly family: ModelFamily;
  readonly group: string;
  readonly source: {
    readonly citation: string;
    readonly doi: string;
    readonly table: string;
    readonly copyUsed: string;
    readonly precisionNote?: string;
  };
  readonly equation: string;
  readonly omittedTerms?: { readonly note: string; readonly terms: readonly string[] };
  readonly terms: readonly CoefficientTerm[];
  /** pce: meanLinearPredictor, baselineSurvival; prevent: constant; iwpc: intercept. */
  readonly constants: Readonly<Record<string, CoefficientConstant>>;
}

/** Reads `<modelsDir>/<id>/coefficients.json`. */
export function loadCoefficients(modelsDir: string, id: string): CoefficientSet {
  const set = JSON.parse(readFileSync(join(modelsDir, id, 'coefficients.json'), 'utf8')) as CoefficientSet;
  if (set.id !== id) throw new Error(`${id}/coefficients.json has id "${set.id}"`);
  return set;
}

/** A named constant of the set; throws when the file lacks it. */
export function constantOf(set: CoefficientSet, name: string): number {
  const c = set.constants[name];
  if (c === undefined || typeof c.value !== 'number') throw new Error(`${set.id}: constant "${name}" missing`);
  return c.value;
}

/** Evaluates sum(coefficient * term) given every term's value by name; returns the per-term products too. */
export function linearPredictor(
  set: CoefficientSet,
  termValues: Readonly<Record<string, number>>,
): { sum: number; contributions: number[] } {
  const contributions = set.terms.map((t) => {
    const v = termValues[t.name];
    if (v === undefined) throw new Error(`${set.id}: no definition for term "${t.name}"`);
    return t.coefficient * v;
  });
  return { sum: contributions.reduce((a, b) => a + b, 0), contributions };
}
