import { createHash } from 'node:crypto';

/**
 * A UUID derived from its parts (name-based, RFC 9562 §5.8 layout with SHA-256), so the same
 * input gives the same card and suggestion ids and feedback can be joined to them.
 */
export function stableUuid(...parts: readonly string[]): string {
  const h = createHash('sha256').update(parts.join('\u0000')).digest();
  h[6] = (h[6]! & 0x0f) | 0x80; // version 8 (custom)
  h[8] = (h[8]! & 0x3f) | 0x80; // RFC 9562 variant
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
