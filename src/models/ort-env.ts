/**
 * Turns ONNX Runtime's usage telemetry off before the native library is loaded. Side effect only:
 * `./ort.ts` imports this module first, so it runs before `onnxruntime-node` is evaluated.
 *
 * Since onnxruntime 1.29 the Linux and macOS builds carry a telemetry client that is on by
 * default: it writes a persistent device identifier and an event queue under
 * `~/.cache/Microsoft/DeveloperTools/.onnxruntime/`, a `mat-debug-<pid>.log` per process in the
 * temp folder, and uploads them when it has a network. `ORT_DISABLE_TELEMETRY=1` in the process
 * environment before ONNX Runtime initialises is the documented full opt-out on non-Windows
 * platforms (no uploader, no events, no device id, no cache).
 *
 * The value is forced to '1' whatever the environment says (even `0` or `false`): a clinical
 * decision support service must never send usage data about itself to a third party, so no
 * setting may switch it back on. Assigning to `process.env` calls setenv(3), so the native
 * library's getenv() sees it.
 */
process.env['ORT_DISABLE_TELEMETRY'] = '1';

export {};
