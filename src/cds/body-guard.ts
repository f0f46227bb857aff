import { HttpError } from '../errors/http-error.js';

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Refuses JSON that is nested deeper than `maxDepth` or carries prototype-pollution keys
 * (`__proto__`, `constructor`, `prototype`), before any code walks it. Iterative, so a
 * hostile depth cannot overflow the stack.
 */
export function guardJsonBody(body: unknown, maxDepth: number): void {
  const stack: [unknown, number][] = [[body, 0]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (depth >= maxDepth) throw new HttpError('INVALID_REQUEST', `JSON is nested deeper than ${maxDepth} levels`);
    if (Array.isArray(value)) {
      for (const v of value) stack.push([v, depth + 1]);
      continue;
    }
    for (const key of Object.keys(value)) {
      if (FORBIDDEN_KEYS.has(key)) throw new HttpError('INVALID_REQUEST', [{ diagnostics: `member name "${key}" is not allowed` }]);
      stack.push([(value as Record<string, unknown>)[key], depth + 1]);
    }
  }
}
