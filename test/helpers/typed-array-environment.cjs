/**
 * Jest runs tests in a separate V8 context whose typed-array constructors differ from the
 * host's; onnxruntime-node checks `instanceof Float32Array` against the host's and refuses
 * tensors made inside the test context. Sharing the host's constructors fixes that.
 */
const { TestEnvironment } = require('jest-environment-node');

const SHARED = ['ArrayBuffer', 'SharedArrayBuffer', 'DataView', 'Float32Array', 'Float64Array', 'Int8Array', 'Int16Array', 'Int32Array', 'Uint8Array', 'Uint8ClampedArray', 'Uint16Array', 'Uint32Array', 'BigInt64Array', 'BigUint64Array'];

class TypedArrayEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) this.global[name] = globalThis[name];
  }
}

module.exports = TypedArrayEnvironment;
