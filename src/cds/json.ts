/**
 * Spec 2.0 §Use of JSON: JSON elements SHALL NOT be null or empty, unless the spec says so
 * (an empty `cards` array). Applied to everything the service sends.
 */
export function pruneEmpty(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(pruneEmpty).filter((v) => v !== undefined);
    return items.length > 0 ? items : undefined;
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const pruned = pruneEmpty(v);
      if (pruned !== undefined) out[k] = pruned;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  if (value === null || value === '' || value === undefined) return undefined;
  if (typeof value === 'number' && !Number.isFinite(value)) return undefined;
  return value;
}

/** A CDS service response with empty members removed but `cards` kept even when empty. */
export function cleanServiceResponse<T extends { cards: readonly unknown[] }>(response: T): T {
  const pruned = (pruneEmpty(response) ?? {}) as Partial<T>;
  return { ...pruned, cards: (pruned.cards ?? []) as T['cards'] } as T;
}
