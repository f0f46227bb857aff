import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

/**
 * ONNX Runtime's telemetry is switched off by src/models/ort-env.ts, which only runs first when
 * every import of onnxruntime-node goes through src/models/ort.ts. These tests keep it that way.
 */
const ROOT = resolve(process.cwd());
const SCANNED = ['src', 'scripts', 'bench', 'test'];
const EXTENSIONS = /\.(ts|mts|cts|js|mjs|cjs)$/;
/** The one module allowed to load the native library, and why each other entry is allowed. */
const ALLOWED: Readonly<Record<string, string>> = {
  'src/models/ort.ts': 'the single entry point, after ort-env.ts',
  'test/models/ort-import.test.ts': 'this file: examples of the pattern, in strings',
};

/** Module specifiers naming onnxruntime-node: static and dynamic import, export-from, require. */
const DIRECT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)['"`]onnxruntime-node(?:\/[^'"`]*)?['"`]/;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if (d.isDirectory()) return d.name === 'node_modules' ? [] : sources(p);
    return EXTENSIONS.test(d.name) ? [p] : [];
  });
}

describe('onnxruntime-node is imported only through src/models/ort.ts', () => {
  it('the pattern recognises every form of import', () => {
    const forms = [
      "import * as ort from 'onnxruntime-node';",
      'import { InferenceSession } from "onnxruntime-node";',
      "import 'onnxruntime-node';",
      "export * from 'onnxruntime-node';",
      "const ort = await import('onnxruntime-node');",
      "const ort = require('onnxruntime-node');",
      "import { binding } from 'onnxruntime-node/dist/binding';",
    ];
    expect(forms.filter((f) => !DIRECT.test(f))).toEqual([]);
    expect(DIRECT.test("import * as ort from '../models/ort.js';")).toBe(false);
  });

  it('no other source file under src, scripts, bench or test imports it', () => {
    const offenders = SCANNED.flatMap((d) => sources(join(ROOT, d)))
      .map((p) => relative(ROOT, p))
      .filter((p) => !(p in ALLOWED) && DIRECT.test(readFileSync(join(ROOT, p), 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('src/models/ort.ts imports ort-env.js before onnxruntime-node (ES modules evaluate in import order)', () => {
    const text = readFileSync(join(ROOT, 'src/models/ort.ts'), 'utf8');
    const env = text.indexOf("import './ort-env.js'");
    const ort = text.search(DIRECT);
    expect(env).toBeGreaterThanOrEqual(0);
    expect(ort).toBeGreaterThan(env);
  });

  it('loading it sets ORT_DISABLE_TELEMETRY=1 in the process, overriding another value', () => {
    const out = execFileSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', "const ort = await import('./src/models/ort.ts'); process.stdout.write(`${process.env.ORT_DISABLE_TELEMETRY} ${typeof ort.InferenceSession.create}`);"],
      { cwd: ROOT, env: { ...process.env, ORT_DISABLE_TELEMETRY: '0' }, encoding: 'utf8' },
    );
    expect(out).toBe('1 function');
  });
});
