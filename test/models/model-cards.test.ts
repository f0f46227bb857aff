/**
 * Each model card (models/<id>/model.json) agrees with its ONNX session and its coefficients.
 * onnxruntime-node 1.30 exposes `session.inputMetadata` / `session.outputMetadata`: arrays of
 * { name, isTensor, type, shape } where symbolic dimensions are strings ('N').
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as ort from '../../src/models/ort.js';
import { card, coefficients, MODEL_IDS, onnxPath } from './model-test-utils.js';

const sessions = new Map<string, ort.InferenceSession>();

beforeAll(async () => {
  for (const id of MODEL_IDS) sessions.set(id, await ort.InferenceSession.create(onnxPath(id)));
});

afterAll(async () => {
  for (const s of sessions.values()) await s.release();
});

const EXPECTED_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  pce: ['age', 'total_cholesterol', 'hdl_cholesterol', 'systolic_bp', 'bp_treated', 'current_smoker', 'diabetes'],
  prevent: ['age', 'total_cholesterol', 'hdl_cholesterol', 'systolic_bp', 'diabetes', 'current_smoker', 'bmi', 'egfr', 'bp_treated', 'statin'],
  iwpc: [
    'age_decades',
    'height_cm',
    'weight_kg',
    'vkorc1_ag',
    'vkorc1_aa',
    'vkorc1_unknown',
    'cyp2c9_12',
    'cyp2c9_13',
    'cyp2c9_22',
    'cyp2c9_23',
    'cyp2c9_33',
    'cyp2c9_unknown',
    'race_asian',
    'race_black',
    'race_missing_or_mixed',
    'enzyme_inducer',
    'amiodarone',
  ],
};

describe.each(MODEL_IDS)('model card %s', (id) => {
  it('matches the ONNX session: names, dtypes and shapes', () => {
    const c = card(id);
    const s = sessions.get(id)!;
    expect(s.inputNames).toEqual(c.inputs.map((i) => i.name));
    expect(s.outputNames).toEqual(c.outputs.map((o) => o.name));
    const meta = [...s.inputMetadata, ...s.outputMetadata];
    for (const spec of [...c.inputs, ...c.outputs]) {
      const m = meta.find((x) => x.name === spec.name);
      expect(m?.isTensor).toBe(true);
      if (!m?.isTensor) continue;
      expect(m.type).toBe(spec.dtype);
      expect(m.shape[0]).toBe('N'); // dynamic batch dimension
      expect(m.shape.map((d) => (typeof d === 'number' ? d : -1))).toEqual([...spec.shape]);
    }
  });

  it('declares the contract: one float32 [N,K] input, risk/dose [N,1] and contributions [N,T]', () => {
    const c = card(id);
    const set = coefficients(id);
    expect(c.id).toBe(id);
    expect(c.version).toBe(1);
    expect(c.family).toBe(set.family);
    expect(c.inputs).toHaveLength(1);
    const input = c.inputs[0]!;
    expect(input.name).toBe('features');
    expect(input.columns!.map((col) => col.name)).toEqual(EXPECTED_COLUMNS[set.family]);
    expect(input.shape).toEqual([-1, EXPECTED_COLUMNS[set.family]!.length]);
    for (const col of input.columns!) {
      expect(col.validRange[0]).toBeLessThan(col.validRange[1]);
      expect(col.unit.length).toBeGreaterThan(0);
      expect(col.fhir.length).toBeGreaterThan(0);
    }
    expect(c.outputs.map((o) => o.name)).toEqual([set.family === 'iwpc' ? 'weekly_dose_mg' : 'risk', 'contributions']);
    expect(c.outputs[0]!.shape).toEqual([-1, 1]);
    const contributions = c.outputs[1]!;
    expect(contributions.terms).toEqual(set.terms.map((t) => t.name));
    expect(contributions.shape).toEqual([-1, set.terms.length]);
    expect(c.source.doi).toBe(set.source.doi);
    expect(c.limitations.length).toBeGreaterThan(0);
  });
});
