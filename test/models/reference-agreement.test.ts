/**
 * For every model, 1,024 seeded pseudo-random in-range inputs (plus range ends and spline knots)
 * run through the ONNX model as ONE batch agree with the plain TypeScript evaluation of the
 * published formula (src/models/reference/*.ts) on the same float32 inputs.
 *
 * Tolerances are float32's: the graph computes in float32 with float32 coefficients, the
 * reference in float64 with the published decimals. PCE sums terms of magnitude ~100 that cancel
 * to ~30, so float32 rounding of the coefficients alone moves the linear predictor by ~1e-5;
 * measured worst cases are ~1.3e-5 absolute / 3.6e-5 relative in risk.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import * as ort from '../../src/models/ort.js';
import { coefficients, MODEL_IDS, onnxPath, prng, randomRow, referenceEval, runOnnx, toBatch } from './model-test-utils.js';

const N = 1024;
const sessions: ort.InferenceSession[] = [];

afterAll(async () => {
  for (const s of sessions) await s.release();
});

/** Range ends and knots for each family (all other columns at mid-range values). */
function edgeRows(family: string): number[][] {
  switch (family) {
    case 'pce':
      return [
        [40, 130, 20, 90, 0, 0, 0],
        [79, 320, 100, 200, 1, 1, 1],
        [40, 320, 20, 200, 1, 0, 1],
        [79, 130, 100, 90, 0, 1, 0],
      ];
    case 'prevent':
      return [
        [30, 130, 20, 90, 0, 0, 18.5, 15, 0, 0],
        [79, 320, 100, 180, 1, 1, 39.9, 140, 1, 1],
        [55, 200, 50, 110, 0, 0, 30, 60, 0, 0], // every knot
        [55, 200, 50, 130, 1, 0, 25, 90, 1, 1], // every centre
      ];
    case 'iwpc':
      return [
        [1, 120, 30, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        [9, 220, 250, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1, 1],
      ];
    default:
      return [];
  }
}

/** |actual - expected| <= atol + rtol * |expected| */
function within(actual: number, expected: number, atol: number, rtol: number): boolean {
  return Math.abs(actual - expected) <= atol + rtol * Math.abs(expected);
}

describe.each(MODEL_IDS)('%s agrees with the TypeScript reference', (id) => {
  it(`on ${N} seeded random in-range inputs plus edges, in one batch`, async () => {
    const set = coefficients(id);
    const r = prng(0x5eed + MODEL_IDS.indexOf(id));
    const raw = [...Array.from({ length: N }, () => randomRow(set.family, r)), ...edgeRows(set.family)];
    const { rows } = toBatch(raw); // the float32 values the model sees; the reference gets the same
    const session = await ort.InferenceSession.create(onnxPath(id));
    sessions.push(session);
    const out = await runOnnx(session, rows);
    expect(out.primary).toHaveLength(rows.length);

    const [atol, rtol] = set.family === 'iwpc' ? [0, 1e-5] : [1e-6, 1e-4];
    const bad: string[] = [];
    const first = referenceEval(set, rows[0]!).value;
    let spread = 0;
    rows.forEach((row, i) => {
      const ref = referenceEval(set, row);
      const got = out.primary[i]!;
      if (!within(got, ref.value, atol, rtol)) bad.push(`row ${i} [${row.join(', ')}]: onnx ${got}, reference ${ref.value}`);
      if (set.family !== 'iwpc' && !(got > 0 && got < 1)) bad.push(`row ${i}: risk ${got} outside (0, 1)`);
      ref.contributions.forEach((c, j) => {
        const g = out.contributions[i]![j]!;
        if (!within(g, c, 1e-6, 1e-6)) bad.push(`row ${i} term ${set.terms[j]!.name}: onnx ${g}, reference ${c}`);
      });
      spread = Math.max(spread, Math.abs(ref.value - first));
    });
    expect(bad.slice(0, 10)).toEqual([]);
    // the inputs really do spread the outputs (guards against a degenerate generator)
    expect(spread).toBeGreaterThan(set.family === 'iwpc' ? 10 : 0.1);
  });
});
