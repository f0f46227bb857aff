/** Shared helpers for the model tests: seeded PRNG, in-range input generators, ONNX runner. */
import { join } from 'node:path';
import * as ort from '../../src/models/ort.js';
import type { ModelCard } from '../../src/models/model-card.js';
import { type CoefficientSet, loadCoefficients } from '../../src/models/reference/coefficients.js';
import { iwpcDose } from '../../src/models/reference/iwpc.js';
import { pceRisk } from '../../src/models/reference/pce.js';
import { preventRisk } from '../../src/models/reference/prevent.js';
import { readFileSync } from 'node:fs';
import { MODELS_DIR } from '../../scripts/build-models.js';
import { mulberry32 } from '../../scripts/prng.js';

export { MODEL_IDS, MODELS_DIR } from '../../scripts/build-models.js';

export const onnxPath = (id: string): string => join(MODELS_DIR, id, '1', 'model.onnx');
export const coefficients = (id: string): CoefficientSet => loadCoefficients(MODELS_DIR, id);
export const card = (id: string): ModelCard => JSON.parse(readFileSync(join(MODELS_DIR, id, 'model.json'), 'utf8')) as ModelCard;

/** Seeded PRNG shared with the fixture generator. */
export const prng = mulberry32;

const uniform = (r: () => number, lo: number, hi: number): number => lo + (hi - lo) * r();
const bit = (r: () => number): number => (r() < 0.5 ? 0 : 1);
const pick = (r: () => number, n: number): number => Math.min(n - 1, Math.floor(r() * n));

/** One random in-range row of raw inputs in the model card's column order. */
export function randomRow(family: string, r: () => number): number[] {
  switch (family) {
    case 'pce':
      // age, TC, HDL, SBP, bp_treated, smoker, diabetes
      return [uniform(r, 40, 79), uniform(r, 130, 320), uniform(r, 20, 100), uniform(r, 90, 200), bit(r), bit(r), bit(r)];
    case 'prevent':
      // age, TC, HDL, SBP, diabetes, smoker, BMI, eGFR, bp_treated, statin
      return [
        uniform(r, 30, 79),
        uniform(r, 130, 320),
        uniform(r, 20, 100),
        uniform(r, 90, 180),
        bit(r),
        bit(r),
        uniform(r, 18.5, 39.9),
        uniform(r, 15, 140),
        bit(r),
        bit(r),
      ];
    case 'iwpc': {
      // mutually exclusive categories, as the caller would encode them
      const vkorc1 = pick(r, 4); // 0 G/G, 1 A/G, 2 A/A, 3 unknown
      const cyp2c9 = pick(r, 7); // 0 *1/*1, 1 *1/*2, 2 *1/*3, 3 *2/*2, 4 *2/*3, 5 *3/*3, 6 unknown
      const race = pick(r, 4); // 0 White, 1 Asian, 2 Black, 3 missing/mixed
      const row = [1 + pick(r, 9), uniform(r, 120, 220), uniform(r, 30, 250)];
      row.push(...[1, 2, 3].map((k) => (vkorc1 === k ? 1 : 0)));
      row.push(...[1, 2, 3, 4, 5, 6].map((k) => (cyp2c9 === k ? 1 : 0)));
      row.push(...[1, 2, 3].map((k) => (race === k ? 1 : 0)));
      row.push(bit(r), bit(r));
      return row;
    }
    default:
      throw new Error(`unknown family ${family}`);
  }
}

/** Rows as a float32 batch; also returns the rows as the float32 values ONNX sees. */
export function toBatch(rows: readonly (readonly number[])[]): { data: Float32Array; rows: number[][]; width: number } {
  const width = rows[0]?.length ?? 0;
  const data = new Float32Array(rows.length * width);
  rows.forEach((row, i) => data.set(row, i * width));
  const f32rows = rows.map((_, i) => Array.from(data.subarray(i * width, (i + 1) * width)));
  return { data, rows: f32rows, width };
}

export interface OnnxResult {
  readonly primary: number[];
  readonly contributions: number[][];
}

/** Runs `rows` through the model as one batch. */
export async function runOnnx(session: ort.InferenceSession, rows: readonly (readonly number[])[]): Promise<OnnxResult> {
  const { data, width } = toBatch(rows);
  const out = await session.run({ features: new ort.Tensor('float32', data, [rows.length, width]) });
  const primaryName = session.outputNames[0]!;
  const primary = out[primaryName];
  const contributions = out['contributions'];
  if (!primary || !contributions) throw new Error('missing outputs');
  const p = primary.data as Float32Array;
  const c = contributions.data as Float32Array;
  const t = contributions.dims[1]!;
  expectDims(primary.dims, [rows.length, 1]);
  expectDims(contributions.dims, [rows.length, t]);
  return {
    primary: Array.from(p),
    contributions: rows.map((_, i) => Array.from(c.subarray(i * t, (i + 1) * t))),
  };
}

function expectDims(actual: readonly number[], expected: readonly number[]): void {
  if (actual.join(',') !== expected.join(',')) throw new Error(`dims [${actual.join(',')}], expected [${expected.join(',')}]`);
}

/** The plain TypeScript evaluation (src/models/reference) of one row in card column order. */
export function referenceEval(set: CoefficientSet, row: readonly number[]): { value: number; contributions: number[] } {
  const v = (i: number): number => {
    const x = row[i];
    if (x === undefined) throw new Error(`row too short for column ${i}`);
    return x;
  };
  switch (set.family) {
    case 'pce': {
      const r = pceRisk(
        { age: v(0), totalCholesterol: v(1), hdlCholesterol: v(2), systolicBp: v(3), bpTreated: v(4), currentSmoker: v(5), diabetes: v(6) },
        set,
      );
      return { value: r.risk, contributions: r.contributions };
    }
    case 'prevent': {
      const r = preventRisk(
        {
          age: v(0),
          totalCholesterol: v(1),
          hdlCholesterol: v(2),
          systolicBp: v(3),
          diabetes: v(4),
          currentSmoker: v(5),
          bmi: v(6),
          egfr: v(7),
          bpTreated: v(8),
          statin: v(9),
        },
        set,
      );
      return { value: r.risk, contributions: r.contributions };
    }
    case 'iwpc': {
      const r = iwpcDose(
        {
          ageDecades: v(0),
          heightCm: v(1),
          weightKg: v(2),
          vkorc1Ag: v(3),
          vkorc1Aa: v(4),
          vkorc1Unknown: v(5),
          cyp2c9_12: v(6),
          cyp2c9_13: v(7),
          cyp2c9_22: v(8),
          cyp2c9_23: v(9),
          cyp2c9_33: v(10),
          cyp2c9Unknown: v(11),
          raceAsian: v(12),
          raceBlack: v(13),
          raceMissingOrMixed: v(14),
          enzymeInducer: v(15),
          amiodarone: v(16),
        },
        set,
      );
      return { value: r.weeklyDoseMg, contributions: r.contributions };
    }
  }
}
