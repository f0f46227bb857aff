import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cpSync, mkdtempSync, readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { MODELS_DIR } from '../../src/app.js';
import { pce } from '../../src/models/reference/pce.js';
import { InferenceError, ModelLoadError, ModelRuntime } from '../../src/models/runtime.js';
import { createHarness } from '../helpers/harness.js';

/** A copy of one model folder whose model.json is edited by `edit`. */
function brokenRepo(edit: (card: Record<string, any>) => void, id = 'pce-white-female'): string {
  const dir = mkdtempSync(join(tmpdir(), 'models-'));
  cpSync(join(MODELS_DIR, id), join(dir, id), { recursive: true });
  const path = join(dir, id, 'model.json');
  const card = JSON.parse(readFileSync(path, 'utf8')) as Record<string, any>;
  edit(card);
  writeFileSync(path, JSON.stringify(card));
  return dir;
}

describe('model runtime', () => {
  let runtime: ModelRuntime;
  beforeAll(async () => {
    runtime = await ModelRuntime.load(MODELS_DIR);
  });
  afterAll(async () => {
    await runtime.close();
  });

  it('loads every model of models/ with its latest version', () => {
    const ids = runtime.list().map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(['pce-white-female', 'pce-aa-male', 'prevent-cvd-female', 'prevent-hf-male', 'iwpc-warfarin']));
    expect(runtime.list().every((m) => m.version === 1)).toBe(true);
  });

  it('runs a batch: one output per row, equal to running the rows one by one', async () => {
    const rows = [
      [55, 213, 50, 120, 0, 0, 0],
      [65, 240, 35, 160, 1, 1, 0],
      [45, 180, 60, 110, 0, 0, 1],
    ];
    const batch = await runtime.run('pce-white-female', rows);
    expect(batch.values).toHaveLength(3);
    for (const [i, row] of rows.entries()) {
      const single = await runtime.run('pce-white-female', [row]);
      expect(batch.values[i]).toBeCloseTo(single.values[0]!, 6);
      expect(batch.contributions[i]).toHaveLength(runtime.get('pce-white-female').terms.length);
    }
  });

  it('agrees with the published equation for the guideline worked example', async () => {
    const out = await runtime.run('pce-white-female', [[55, 213, 50, 120, 0, 0, 0]]);
    const ref = pce('white', 'female', { age: 55, totalCholesterol: 213, hdlCholesterol: 50, systolicBp: 120, bpTreated: false, currentSmoker: false, diabetes: false }).risk;
    expect(out.values[0]).toBeCloseTo(ref, 5);
  });

  it('an inference with the wrong input width is an InferenceError naming the model', async () => {
    await expect(runtime.run('pce-white-female', [[1, 2, 3]])).rejects.toMatchObject({ name: 'InferenceError', modelId: 'pce-white-female' });
    await expect(runtime.run('no-such-model', [[1]])).rejects.toBeInstanceOf(InferenceError);
  });

  it.each([
    ['an input name that differs from the graph', (c: Record<string, any>) => (c['inputs'][0].name = 'x')],
    ['an output missing from the card', (c: Record<string, any>) => c['outputs'].pop()],
    ['a wrong input width', (c: Record<string, any>) => (c['inputs'][0].shape = [-1, 8])],
    ['a wrong dtype', (c: Record<string, any>) => (c['outputs'][0].dtype = 'float64')],
    ['a column list that does not match the width', (c: Record<string, any>) => c['inputs'][0].columns.pop()],
    ['a version that is not the latest folder', (c: Record<string, any>) => (c['version'] = 2)],
    ['an id that is not the folder name', (c: Record<string, any>) => (c['id'] = 'other')],
  ])('refuses to load a model card with %s', async (_name, edit) => {
    await expect(ModelRuntime.load(brokenRepo(edit))).rejects.toBeInstanceOf(ModelLoadError);
  });

  it('refuses a model folder without a numeric version holding model.onnx', async () => {
    const dir = brokenRepo(() => undefined);
    rmSync(join(dir, 'pce-white-female', '1'), { recursive: true });
    mkdirSync(join(dir, 'pce-white-female', 'latest'));
    await expect(ModelRuntime.load(dir)).rejects.toThrow(/no numeric version/);
  });

  it('/health/ready lists each loaded model with id and version; /models/{id} serves its model card', async () => {
    const h = await createHarness();
    const { createApp } = await import('../../src/app.js');
    const app = createApp({ config: h.config, logger: (await import('../../src/logging/logger.js')).createLogger('silent'), registry: h.registry, trustedClients: [], models: runtime }).app;
    const ready = await request(app).get('/health/ready');
    expect(ready.body.models).toEqual(expect.arrayContaining([{ id: 'pce-white-female', version: 1 }, { id: 'iwpc-warfarin', version: 1 }]));
    const card = await request(app).get('/models/prevent-cvd-female');
    expect(card.body.source.doi).toBe('10.1161/CIRCULATIONAHA.123.067626');
    expect((await request(app).get('/models/nope')).status).toBe(404);
  });
});

describe('model runtime close (shutdown)', () => {
  const row = [55, 213, 50, 120, 0, 0, 0];

  it('an inference already running when close() is called finishes with its result', async () => {
    const runtime = await ModelRuntime.load(MODELS_DIR);
    const running = runtime.run('pce-white-female', [row]);
    const closed = runtime.close();
    const out = await running;
    await closed;
    expect(out.values[0]).toBeCloseTo(pce('white', 'female', { age: 55, totalCholesterol: 213, hdlCholesterol: 50, systolicBp: 120, bpTreated: false, currentSmoker: false, diabetes: false }).risk, 5);
  });

  it('after close() an inference is an InferenceError, and closing again is harmless', async () => {
    const runtime = await ModelRuntime.load(MODELS_DIR);
    await runtime.close();
    await expect(runtime.run('pce-white-female', [row])).rejects.toMatchObject({ name: 'InferenceError', modelId: 'pce-white-female' });
    await expect(runtime.close()).resolves.toBeUndefined();
  });
});
