/**
 * Builds the product's ONNX models from the published coefficients.
 *
 *   npx tsx scripts/build-models.ts [outDir]      (npm run build:models)
 *
 * For every model id: reads `models/<id>/coefficients.json`, builds an ONNX graph that takes the
 * RAW clinical inputs and contains the whole equation, and writes the Triton-style layout
 * `<outDir>/<id>/1/model.onnx` plus the model card `<outDir>/<id>/model.json`. Output is
 * deterministic: rebuilding gives identical bytes.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type CoefficientSet, loadCoefficients } from '../src/models/reference/coefficients.js';
import { buildModelCard, MODEL_VERSION } from './onnx/cards.js';
import { buildEquation, columnsOf, CONTRIBUTIONS_NAME, INPUT_NAME } from './onnx/families.js';
import { GraphBuilder } from './onnx/graph-builder.js';

/** The repository's model folder (source of coefficients.json, default output). */
export const MODELS_DIR = fileURLToPath(new URL('../models/', import.meta.url));

export const MODEL_IDS = [
  'pce-white-female',
  'pce-white-male',
  'pce-aa-female',
  'pce-aa-male',
  'prevent-cvd-female',
  'prevent-cvd-male',
  'prevent-ascvd-female',
  'prevent-ascvd-male',
  'prevent-hf-female',
  'prevent-hf-male',
  'iwpc-warfarin',
] as const;

export type ModelId = (typeof MODEL_IDS)[number];

export const PRODUCER_NAME = 'precision-cds';

/** Builds one model from a coefficient set: the ONNX bytes and the model card. Writes nothing. */
export function buildArtifacts(set: CoefficientSet): { bytes: Uint8Array; card: ReturnType<typeof buildModelCard> } {
  const g = new GraphBuilder();
  const { primary, contributions, usedColumns } = buildEquation(g, set);
  const card = buildModelCard(set, usedColumns);
  const columns = columnsOf(set.family).map((c) => c.name);
  const terms = set.terms.map((t) => t.name);
  const doc = `${card.title}. ${set.source.citation} doi:${set.source.doi}, ${set.source.table}. ${set.equation}.`;
  const bytes = g.build({
    graphName: set.id,
    docString: doc,
    producerName: PRODUCER_NAME,
    modelVersion: MODEL_VERSION,
    input: { name: INPUT_NAME, width: columns.length, docString: `raw clinical inputs, columns: ${columns.join(', ')}` },
    outputs: [
      { name: primary, width: 1, docString: card.outputs[0]?.description ?? primary },
      { name: contributions, width: terms.length, docString: `coefficient x term value; terms: ${terms.join(', ')}` },
    ],
    metadata: [
      ['model_id', set.id],
      ['model_version', String(MODEL_VERSION)],
      ['family', set.family],
      ['source_citation', set.source.citation],
      ['source_doi', set.source.doi],
      ['source_table', set.source.table],
      ['coefficients_copy', set.source.copyUsed],
      ['input_columns', columns.join(',')],
      [`${CONTRIBUTIONS_NAME}_terms`, terms.join(',')],
    ],
  });
  return { bytes, card };
}

/** Builds the ONNX bytes of `modelId` from `<modelsDir>/<id>/coefficients.json`; writes nothing. */
export function buildModelBytes(modelId: string, modelsDir: string = MODELS_DIR): Uint8Array {
  return buildArtifacts(loadCoefficients(modelsDir, modelId)).bytes;
}

/** The model card JSON text for `modelId` (as written to model.json). */
export function buildModelCardJson(modelId: string, modelsDir: string = MODELS_DIR): string {
  return `${JSON.stringify(buildArtifacts(loadCoefficients(modelsDir, modelId)).card, null, 2)}\n`;
}

/**
 * Writes every model to `outDir`: `<id>/1/model.onnx` and `<id>/model.json`, and copies
 * `coefficients.json` there when `outDir` is not the source folder. Returns the files written.
 */
export function buildAll(outDir: string = MODELS_DIR, sourceDir: string = MODELS_DIR): string[] {
  const written: string[] = [];
  for (const id of MODEL_IDS) {
    const dir = join(outDir, id);
    mkdirSync(join(dir, String(MODEL_VERSION)), { recursive: true });
    const onnxPath = join(dir, String(MODEL_VERSION), 'model.onnx');
    writeFileSync(onnxPath, buildModelBytes(id, sourceDir));
    const cardPath = join(dir, 'model.json');
    writeFileSync(cardPath, buildModelCardJson(id, sourceDir));
    written.push(onnxPath, cardPath);
    if (resolve(outDir) !== resolve(sourceDir)) {
      const coefPath = join(dir, 'coefficients.json');
      copyFileSync(join(sourceDir, id, 'coefficients.json'), coefPath);
      written.push(coefPath);
    }
  }
  return written;
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invokedDirectly) {
  const outDir = process.argv[2] ? resolve(process.argv[2]) : MODELS_DIR;
  const files = buildAll(outDir);
  for (const f of files) process.stdout.write(`${f}\n`);
}
