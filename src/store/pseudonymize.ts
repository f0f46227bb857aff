import { createHmac } from 'node:crypto';

export type PseudonymKind = 'patient' | 'user';

const MIN_SECRET_LENGTH = 16;
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/**
 * A stable pseudonymous token for a patient or user id: HMAC-SHA256 keyed by `secret`, base64url
 * (43 characters). The same (secret, kind, id) gives the same token; without the secret the token
 * cannot be linked back by hashing guessed ids. `kind` is part of the input, so a patient and a
 * user with the same id get different tokens.
 */
export function pseudonymize(secret: string, kind: PseudonymKind, id: string): string {
  if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) {
    throw new TypeError(`pseudonymization secret must be at least ${MIN_SECRET_LENGTH} characters`);
  }
  if (kind !== 'patient' && kind !== 'user') throw new TypeError(`unknown pseudonym kind: ${String(kind)}`);
  return createHmac('sha256', secret).update(`${kind}\u0000${id}`, 'utf8').digest('base64url');
}

/** Whether `value` has the shape of a `pseudonymize()` token (what the audit trail accepts). */
export function isPseudonym(value: string): boolean {
  return TOKEN.test(value);
}
