import { readFileSync } from 'node:fs';

/**
 * Reads a JSON data file (code list, rule table, card template) that sits beside the module
 * asking for it: `loadJson(import.meta.url, './data/statins.json')`. The build copies
 * `src/**\/*.json` into `dist/` so the same relative path works there.
 */
export function loadJson<T>(moduleUrl: string, relativePath: string): T {
  return JSON.parse(readFileSync(new URL(relativePath, moduleUrl), 'utf8')) as T;
}
