import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import { randomUUID } from 'node:crypto';
import type { TrustedClient } from '../auth/types.js';

/** The sandbox plays an EHR: a CDS client with its own ES384 key pair (spec 2.0 recommends ES384). */
export const SANDBOX_ISSUER = 'https://sandbox-ehr.precision-cds.local';
const KEY_FILE = 'sandbox-client.private.jwk.json';

export interface SandboxClientFiles {
  readonly dir: string;
  readonly privateJwk: JWK;
  readonly publicJwk: JWK;
}

/** Creates (once) and loads the sandbox client's key pair under `dir` (kept out of git). */
export async function ensureSandboxClientKey(dir: string): Promise<SandboxClientFiles> {
  const file = join(dir, KEY_FILE);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const { privateKey } = await generateKeyPair('ES384', { extractable: true });
    const jwk = { ...(await exportJWK(privateKey)), alg: 'ES384', use: 'sig', kid: `sandbox-${randomUUID()}` };
    writeFileSync(file, JSON.stringify(jwk, null, 2) + '\n', { mode: 0o600 });
  }
  const privateJwk = JSON.parse(readFileSync(file, 'utf8')) as JWK;
  const { d: _d, ...publicJwk } = privateJwk;
  return { dir, privateJwk, publicJwk };
}

/** The sandbox EHR's entry: its FHIR server is the open sandbox one, readable without a token (`fhir_open`). */
export function sandboxTrustedClient(publicJwk: JWK, fhirBaseUrl: string): TrustedClient {
  return { iss: SANDBOX_ISSUER, jwks: { keys: [publicJwk] }, fhir_servers: [fhirBaseUrl], fhir_open: true };
}

/** Signs a CDS Hooks client JWT for `audience` (the endpoint URL), valid 5 minutes. */
export async function signSandboxToken(privateJwk: JWK, audience: string, lifetimeSeconds = 300): Promise<string> {
  const key = await importJWK(privateJwk, 'ES384');
  return new SignJWT({})
    .setProtectedHeader({ alg: 'ES384', typ: 'JWT', ...(privateJwk.kid ? { kid: privateJwk.kid } : {}) })
    .setIssuer(SANDBOX_ISSUER)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime(`${lifetimeSeconds}s`)
    .setJti(randomUUID())
    .sign(key);
}

/** A pseudonym key kept beside the sandbox client key, so sandbox pseudonyms stay stable across restarts. */
export function ensureSandboxSecret(dir: string): string {
  const file = join(dir, 'pseudonym-secret');
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(file, `${randomUUID()}${randomUUID()}\n`, { mode: 0o600 });
  }
  return readFileSync(file, 'utf8').trim();
}
