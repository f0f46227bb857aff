import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTrustedClients, parseTrustedClients } from '../../src/auth/trusted-clients.js';
import { ConfigError } from '../../src/config/config.js';

describe('TRUSTED_CLIENTS file', () => {
  it('loads a valid list and freezes it', () => {
    const clients = parseTrustedClients([{ iss: 'https://ehr', jwks_url: 'https://ehr/jwks', tenant: 't1', fhir_servers: ['https://ehr/fhir'] }]);
    expect(clients[0]?.iss).toBe('https://ehr');
    expect(Object.isFrozen(clients)).toBe(true);
  });

  it.each([
    ['not an array', { iss: 'x' }],
    ['missing iss', [{ jwks_url: 'https://e/j', fhir_servers: [] }]],
    ['no key source', [{ iss: 'x', fhir_servers: [] }]],
    ['missing fhir_servers', [{ iss: 'x', jwks_url: 'https://e/j' }]],
    ['unknown member (typo)', [{ iss: 'x', jwks_uri: 'https://e/j', fhir_servers: [] }]],
    ['unknown profile', [{ iss: 'x', jwks_url: 'https://e/j', fhir_servers: [], profile: 'cerner' }]],
    ['duplicate issuer', [{ iss: 'x', jwks_url: 'https://e/j', fhir_servers: [] }, { iss: 'x', jwks_url: 'https://e/k', fhir_servers: [] }]],
  ])('refuses %s with a ConfigError naming TRUSTED_CLIENTS', (_n, json) => {
    expect(() => parseTrustedClients(json)).toThrow(ConfigError);
    expect(() => parseTrustedClients(json)).toThrow(/^TRUSTED_CLIENTS/);
  });

  it('accepts a profile per client (generic, epic, oracle); without one the entry has none (generic applies)', () => {
    const clients = parseTrustedClients(
      (['generic', 'epic', 'oracle', undefined] as const).map((profile, i) => ({ iss: `https://ehr-${i}`, jwks_url: 'https://e/j', fhir_servers: [], ...(profile ? { profile } : {}) })),
    );
    expect(clients.map((c) => c.profile)).toEqual(['generic', 'epic', 'oracle', undefined]);
  });

  it('reports unreadable and non-JSON files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tc-'));
    writeFileSync(join(dir, 'bad.json'), '{nope');
    expect(() => loadTrustedClients(join(dir, 'missing.json'))).toThrow(/cannot read/);
    expect(() => loadTrustedClients(join(dir, 'bad.json'))).toThrow(/not valid JSON/);
  });
});
