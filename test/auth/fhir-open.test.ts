import { describe, expect, it } from '@jest/globals';
import { parseTrustedClients } from '../../src/auth/trusted-clients.js';
import { ConfigError } from '../../src/config/config.js';
import { sandboxTrustedClient } from '../../src/sandbox/sandbox-client.js';

/** `fhir_open` in a trusted-clients entry: its FHIR servers may be read without a token (issue 7). */
describe('fhir_open', () => {
  const entry = { iss: 'https://ehr', jwks_url: 'https://ehr/jwks', fhir_servers: ['https://ehr/fhir'] };

  it('is optional and off when absent', () => {
    expect(parseTrustedClients([entry])[0]!.fhir_open).toBeUndefined();
  });

  it('takes a boolean', () => {
    expect(parseTrustedClients([{ ...entry, fhir_open: true }])[0]!.fhir_open).toBe(true);
    expect(parseTrustedClients([{ ...entry, fhir_open: false }])[0]!.fhir_open).toBe(false);
  });

  it('refuses anything else, naming TRUSTED_CLIENTS', () => {
    expect(() => parseTrustedClients([{ ...entry, fhir_open: 'yes' }])).toThrow(ConfigError);
    expect(() => parseTrustedClients([{ ...entry, fhir_open: 1 }])).toThrow(/^TRUSTED_CLIENTS/);
  });

  it('is on for the embedded sandbox client, for its own sandbox FHIR server only', () => {
    const c = sandboxTrustedClient({ kty: 'EC', crv: 'P-384', x: 'x', y: 'y' }, 'http://127.0.0.1:8080/fhir');
    expect(c.fhir_open).toBe(true);
    expect(c.fhir_servers).toEqual(['http://127.0.0.1:8080/fhir']);
  });
});
