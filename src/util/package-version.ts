import { readFileSync } from 'node:fs';

let cached: string | undefined;

/**
 * The `version` of this project's package.json, read once. The file sits two folders above this
 * module in src/ (src/util/) and three in the build (dist/src/util/); the Docker image ships it.
 */
export function packageVersion(): string {
  if (cached === undefined) {
    const path = import.meta.url.includes('/dist/') ? '../../../package.json' : '../../package.json';
    const { version } = JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as { version?: unknown };
    if (typeof version !== 'string' || version.trim() === '') throw new Error('package.json has no version');
    cached = version;
  }
  return cached;
}
