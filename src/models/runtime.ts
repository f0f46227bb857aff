import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from './ort.js';
import type { ModelCard, ModelTensorSpec } from './model-card.js';

/** A model that cannot be loaded, or whose ONNX graph disagrees with its model card: the start stops. */
export class ModelLoadError extends Error {
  constructor(
    readonly modelId: string,
    problem: string,
  ) {
    super(`model ${modelId}: ${problem}`);
    this.name = 'ModelLoadError';
  }
}

/** An inference that failed at run time; becomes a 500 without internals, logged with the model id. */
export class InferenceError extends Error {
  constructor(
    readonly modelId: string,
    options?: { cause?: unknown },
  ) {
    super(`inference failed for model ${modelId}`, options);
    this.name = 'InferenceError';
  }
}

export interface LoadedModel {
  readonly card: ModelCard;
  readonly version: number;
  /** Input column names, in order. */
  readonly columns: readonly string[];
  /** Contribution term names, in order (empty when the model has none). */
  readonly terms: readonly string[];
}

export interface ModelOutputs {
  /** First output (risk or dose), one value per row. */
  readonly values: readonly number[];
  /** Per-term contributions, one array per row. */
  readonly contributions: readonly (readonly number[])[];
}

export interface RuntimeOptions {
  readonly intraOpNumThreads?: number;
  readonly interOpNumThreads?: number;
}

interface Entry extends LoadedModel {
  readonly session: ort.InferenceSession;
  readonly input: ModelTensorSpec;
  readonly primary: ModelTensorSpec;
  readonly contributionsOutput?: ModelTensorSpec;
}

function latestVersion(dir: string): number | undefined {
  const versions = readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && /^\d+$/.test(d.name) && existsSync(join(dir, d.name, 'model.onnx')))
    .map((d) => Number(d.name));
  return versions.length ? Math.max(...versions) : undefined;
}

/** Compares the session's declared inputs/outputs with the model card; returns the first mismatch. */
function mismatch(card: ModelCard, session: ort.InferenceSession): string | undefined {
  const names = (specs: readonly ModelTensorSpec[]): string => specs.map((s) => s.name).join(',');
  if (session.inputNames.join(',') !== names(card.inputs)) return `inputs are [${session.inputNames.join(', ')}], model card says [${names(card.inputs)}]`;
  if (session.outputNames.join(',') !== names(card.outputs)) return `outputs are [${session.outputNames.join(', ')}], model card says [${names(card.outputs)}]`;
  const meta = [...session.inputMetadata, ...session.outputMetadata];
  for (const spec of [...card.inputs, ...card.outputs]) {
    const m = meta.find((x) => x.name === spec.name);
    if (!m || !m.isTensor) return `${spec.name} is not a tensor`;
    if (m.type !== spec.dtype) return `${spec.name} has type ${m.type}, model card says ${spec.dtype}`;
    const shape = m.shape.map((d) => (typeof d === 'number' ? d : -1));
    if (shape.join(',') !== spec.shape.join(',')) return `${spec.name} has shape [${shape.join(', ')}], model card says [${spec.shape.join(', ')}]`;
  }
  const input = card.inputs[0];
  if (card.inputs.length !== 1 || !input?.columns || input.columns.length !== input.shape[1]) return 'expects one input whose columns match its width';
  const contributions = card.outputs.find((o) => o.name === 'contributions');
  if (contributions && contributions.terms?.length !== contributions.shape[1]) return 'contribution terms do not match the output width';
  return undefined;
}

/**
 * Every model of `models/`, loaded at start (latest numeric version of each), one shared
 * InferenceSession per model. Batch-capable: `run` takes any number of rows.
 */
export class ModelRuntime {
  /** Inferences still running, so close() never releases a session under one. */
  private readonly running = new Set<Promise<unknown>>();
  private closing: Promise<void> | undefined;

  private constructor(private readonly entries: ReadonlyMap<string, Entry>) {}

  static async load(dir: string, opts: RuntimeOptions = {}): Promise<ModelRuntime> {
    const entries = new Map<string, Entry>();
    const ids = existsSync(dir) ? readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort() : [];
    for (const id of ids) {
      const cardPath = join(dir, id, 'model.json');
      if (!existsSync(cardPath)) continue;
      let card: ModelCard;
      try {
        card = JSON.parse(readFileSync(cardPath, 'utf8')) as ModelCard;
      } catch {
        throw new ModelLoadError(id, 'model.json is not valid JSON');
      }
      if (card.id !== id) throw new ModelLoadError(id, `model.json id is "${card.id}"`);
      const version = latestVersion(join(dir, id));
      if (version === undefined) throw new ModelLoadError(id, 'no numeric version folder with model.onnx');
      if (card.version !== version) throw new ModelLoadError(id, `model.json version ${card.version} but latest folder is ${version}`);
      let session: ort.InferenceSession;
      try {
        session = await ort.InferenceSession.create(join(dir, id, String(version), 'model.onnx'), {
          intraOpNumThreads: opts.intraOpNumThreads ?? 1,
          interOpNumThreads: opts.interOpNumThreads ?? 1,
          graphOptimizationLevel: 'all',
        });
      } catch (err) {
        throw new ModelLoadError(id, `ONNX Runtime could not load it (${(err as Error).message})`);
      }
      const problem = mismatch(card, session);
      if (problem) throw new ModelLoadError(id, problem);
      const input = card.inputs[0]!;
      const contributionsOutput = card.outputs.find((o) => o.name === 'contributions');
      entries.set(id, {
        card,
        version,
        session,
        input,
        primary: card.outputs[0]!,
        ...(contributionsOutput ? { contributionsOutput } : {}),
        columns: input.columns!.map((c) => c.name),
        terms: contributionsOutput?.terms ?? [],
      });
    }
    return new ModelRuntime(entries);
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  get(id: string): LoadedModel {
    const e = this.entries.get(id);
    if (!e) throw new InferenceError(id);
    return e;
  }

  list(): readonly { readonly id: string; readonly version: number; readonly title: string }[] {
    return [...this.entries.values()].map((e) => ({ id: e.card.id, version: e.version, title: e.card.title }));
  }

  /** Runs a batch: `rows[i]` holds the input columns in model-card order. */
  async run(id: string, rows: readonly (readonly number[])[]): Promise<ModelOutputs> {
    const e = this.entries.get(id);
    // After close() (shutdown) a request still being handled gets an error, never a released session.
    if (!e || this.closing) throw new InferenceError(id);
    const width = e.columns.length;
    if (rows.length === 0) return { values: [], contributions: [] };
    const data = new Float32Array(rows.length * width);
    rows.forEach((row, i) => {
      if (row.length !== width) throw new InferenceError(id);
      data.set(row, i * width);
    });
    let out: ort.InferenceSession.ReturnType;
    let running: Promise<ort.InferenceSession.ReturnType> | undefined;
    try {
      running = e.session.run({ [e.input.name]: new ort.Tensor('float32', data, [rows.length, width]) });
      this.running.add(running);
      out = await running;
    } catch (err) {
      throw new InferenceError(id, { cause: err });
    } finally {
      if (running) this.running.delete(running);
    }
    const primary = out[e.primary.name]?.data as Float32Array | undefined;
    if (!primary || primary.length !== rows.length) throw new InferenceError(id);
    const values = Array.from(primary, Number);
    if (values.some((v) => !Number.isFinite(v))) throw new InferenceError(id);
    const t = e.terms.length;
    const contrib = e.contributionsOutput ? (out[e.contributionsOutput.name]?.data as Float32Array | undefined) : undefined;
    const contributions = rows.map((_, i) => (contrib ? Array.from(contrib.subarray(i * t, (i + 1) * t), Number) : []));
    return { values, contributions };
  }

  /**
   * Releases every session once the inferences already running have finished (releasing a
   * session under a running inference is undefined behaviour in native code); new runs are
   * refused from the first call on. Calling it again returns the same promise.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.allSettled([...this.running]);
      await Promise.all([...this.entries.values()].map((e) => e.session.release()));
    })();
    return this.closing;
  }
}
