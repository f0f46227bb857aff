import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Fills `{{name}}` placeholders; a placeholder without a value is a template bug, so it throws. */
export function fill(template: string, vars: Readonly<Record<string, string>>): string {
  return template.replace(/\{\{\s*([A-Za-z][A-Za-z0-9]*)\s*\}\}/g, (_m, name: string) => {
    const v = vars[name];
    if (v === undefined) throw new Error(`card template placeholder {{${name}}} has no value`);
    return v;
  });
}

/** Reads `cards/<name>.json` from the project's cards folder (card wording is data, not code). */
export function loadCardTemplates<T>(cardsDir: string, name: string): T {
  return JSON.parse(readFileSync(join(cardsDir, `${name}.json`), 'utf8')) as T;
}
