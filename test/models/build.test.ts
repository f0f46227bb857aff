/**
 * The committed models are exactly what the builder makes from coefficients.json: rebuilding
 * every model in memory gives bytes identical to models/<id>/1/model.onnx and text identical to
 * models/<id>/model.json, and the build is deterministic.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { buildModelBytes, buildModelCardJson, MODEL_IDS as BUILDER_IDS } from '../../scripts/build-models.js';
import { coefficients, MODEL_IDS, MODELS_DIR, onnxPath } from './model-test-utils.js';

const { onnx } = onnxProto;

describe('model build', () => {
  it('builds the eleven product models', () => {
    expect([...BUILDER_IDS].sort()).toEqual([...MODEL_IDS].sort());
  });

  it.each(MODEL_IDS)('%s: rebuilding gives bytes identical to the committed model.onnx', (id) => {
    const committed = new Uint8Array(readFileSync(onnxPath(id)));
    const rebuilt = buildModelBytes(id);
    expect(rebuilt.byteLength).toBe(committed.byteLength);
    expect(Buffer.compare(Buffer.from(rebuilt), Buffer.from(committed))).toBe(0);
  });

  it.each(MODEL_IDS)('%s: the committed model.json is the generated card', (id) => {
    expect(readFileSync(join(MODELS_DIR, id, 'model.json'), 'utf8')).toBe(buildModelCardJson(id));
  });

  it('is deterministic across builds', () => {
    for (const id of MODEL_IDS) expect(Buffer.from(buildModelBytes(id)).equals(Buffer.from(buildModelBytes(id)))).toBe(true);
  });

  it.each(MODEL_IDS)('%s: ModelProto header, metadata and float32 coefficients', (id) => {
    const set = coefficients(id);
    const model = onnx.ModelProto.decode(readFileSync(onnxPath(id)));
    expect(Number(model.irVersion)).toBe(8);
    expect(model.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 17]]);
    expect(model.producerName).toBe('precision-cds');
    expect(model.docString).toContain(set.source.doi);
    const meta = Object.fromEntries(model.metadataProps.map((p) => [p.key, p.value]));
    expect(meta).toMatchObject({ model_id: id, model_version: '1', family: set.family, source_doi: set.source.doi });
    expect(meta['contributions_terms']).toBe(set.terms.map((t) => t.name).join(','));

    const init = model.graph?.initializer ?? [];
    expect(init.filter((t) => t.dataType !== onnx.TensorProto.DataType.FLOAT).map((t) => t.name)).toEqual(['axis_1']);
    const coef = init.find((t) => t.name === 'coefficients')!;
    expect((coef.dims ?? []).map(Number)).toEqual([set.terms.length]);
    expect(coef.floatData).toEqual(set.terms.map((t) => Math.fround(t.coefficient)));
  });
});
