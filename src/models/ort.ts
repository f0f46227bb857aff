/**
 * The only module that imports `onnxruntime-node` (test/models/ort-import.test.ts enforces it):
 * everything that needs ONNX Runtime imports it from here, so telemetry is off before the native
 * library loads whichever entry point (service, scripts, bench, tests) gets there first.
 *
 * Import order is evaluation order in ES modules: `./ort-env.js` must stay the first import.
 */
import './ort-env.js';

export * from 'onnxruntime-node';
