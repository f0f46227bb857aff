import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { ConfigError } from '../config/config.js';
import { PROFILE_NAMES } from '../cds/profiles/rules.js';
import type { TrustedClient } from './types.js';

const schema = {
  type: 'array',
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['iss', 'fhir_servers'],
    properties: {
      iss: { type: 'string', minLength: 1 },
      jwks_url: { type: 'string', pattern: '^https?://' },
      jwks: {
        type: 'object',
        required: ['keys'],
        properties: { keys: { type: 'array', minItems: 1, items: { type: 'object', required: ['kty'] } } },
      },
      jku: { type: 'array', items: { type: 'string', pattern: '^https?://' } },
      tenant: { type: 'string', minLength: 1 },
      fhir_servers: { type: 'array', items: { type: 'string', pattern: '^https?://' } },
      fhir_open: { type: 'boolean' },
      audiences: { type: 'array', items: { type: 'string', minLength: 1 } },
      scopes: { type: 'array', items: { type: 'string', minLength: 1 } },
      profile: { enum: [...PROFILE_NAMES] },
      description: { type: 'string' },
    },
    anyOf: [{ required: ['jwks_url'] }, { required: ['jwks'] }, { required: ['jku'] }],
  },
} as const;

const validate = new Ajv({ allErrors: true }).compile(schema);

/** Parses and checks the trusted-clients list; problems name the file entry. */
export function parseTrustedClients(json: unknown, source = 'TRUSTED_CLIENTS'): readonly TrustedClient[] {
  if (!validate(json)) {
    const e = validate.errors?.[0];
    throw new ConfigError(source, `invalid trusted clients file at ${e?.instancePath || '/'}: ${e?.message ?? 'invalid'}`);
  }
  const clients = json as unknown as TrustedClient[];
  const seen = new Set<string>();
  for (const c of clients) {
    const key = `${c.iss}\u0000${c.tenant ?? ''}`;
    if (seen.has(key)) throw new ConfigError(source, `duplicate entry for iss "${c.iss}"${c.tenant ? ` tenant "${c.tenant}"` : ''}`);
    seen.add(key);
  }
  return Object.freeze(clients.map((c) => Object.freeze({ ...c })));
}

export function loadTrustedClients(path: string): readonly TrustedClient[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new ConfigError('TRUSTED_CLIENTS', `cannot read file "${path}"`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConfigError('TRUSTED_CLIENTS', `file "${path}" is not valid JSON`);
  }
  return parseTrustedClients(json);
}
