import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from '../../src/config/config.js';

describe('configuration', () => {
  it('has documented defaults and is frozen', () => {
    const c = loadConfig({ TRUSTED_CLIENTS: '/x.json' });
    expect(c.port).toBe(3000);
    expect(c.sandbox).toBe(false);
    expect(c.sandboxFhirPort).toBe(8080);
    expect(c.publicBaseUrl).toBe('http://localhost:3000');
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('JWT audiences: the loopback spellings of the default base only with the sandbox and no PUBLIC_BASE_URL', () => {
    expect(loadConfig({ SANDBOX: 'on', PORT: '3000' }).audienceBaseUrls).toEqual(['http://localhost:3000', 'http://127.0.0.1:3000', 'http://[::1]:3000']);
    expect(loadConfig({ SANDBOX: 'on', PORT: '3000', PUBLIC_BASE_URL: 'http://localhost:3000' }).audienceBaseUrls).toEqual(['http://localhost:3000']);
    expect(loadConfig({ TRUSTED_CLIENTS: '/x.json', PORT: '3000' }).audienceBaseUrls).toEqual(['http://localhost:3000']);
  });

  it('SANDBOX_FHIR_CORS_ORIGINS defaults to CORS_ORIGINS and can be set on its own', () => {
    expect(loadConfig({ SANDBOX: 'on' }).sandboxFhirCorsOrigins).toBe('*');
    expect(loadConfig({ SANDBOX: 'on', CORS_ORIGINS: 'https://ehr.example' }).sandboxFhirCorsOrigins).toEqual(['https://ehr.example']);
    expect(loadConfig({ SANDBOX: 'on', CORS_ORIGINS: 'https://ehr.example', SANDBOX_FHIR_CORS_ORIGINS: 'https://sandbox.cds-hooks.org,http://localhost:8000' }).sandboxFhirCorsOrigins).toEqual([
      'https://sandbox.cds-hooks.org',
      'http://localhost:8000',
    ]);
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['SANDBOX', 'maybe'],
    ['LOG_LEVEL', 'loud'],
    ['PUBLIC_BASE_URL', 'not a url'],
    ['PUBLIC_BASE_URL', 'ftp://x'],
    ['SANDBOX_FHIR_PORT', '-1'],
    ['CORS_ORIGINS', 'https://ok.example,nope'],
    ['SANDBOX_FHIR_CORS_ORIGINS', 'nope'],
    ['STORE', 'mysql'],
    ['PSEUDONYM_SECRET', 'too-short'],
    ['RETENTION_DAYS', '0'],
    ['ANALYTICS_ADMIN_TOKEN', 'short'],
    ['PGX_PRETEST_OVERRIDES', 'abacavir'],
    ['LOOKBACK_BP_DAYS', 'a year'],
    ['MODEL_THREADS', '0'],
    ['CGM_SHOW_ON_TARGET', 'sometimes'],
    ['CGM_HIGH_RISK_CONDITIONS', '46177005'],
    ['CGM_HIGH_RISK_CONDITIONS', 'snomed|46177005'],
    ['AGP_LINK_TTL_SECONDS', '5'],
    ['AGP_MAX_LINKS', 'many'],
    ['FHIR_MAX_RESPONSE_BYTES', '10'],
  ])('a bad %s (%s) stops the start with a message naming the variable', (name, value) => {
    let err: unknown;
    try {
      loadConfig({ TRUSTED_CLIENTS: '/x.json', [name]: value });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message.startsWith(name)).toBe(true);
  });

  it('glucose monitoring: on-target cards off, shipped high-risk list, 15-minute AGP links by default', () => {
    const c = loadConfig({ TRUSTED_CLIENTS: '/x.json' });
    expect(c.cgmShowOnTarget).toBe(false);
    expect(c.cgmHighRiskConditions).toBeUndefined();
    expect(c.agpLinkTtlSeconds).toBe(900);
  });

  it('CGM_HIGH_RISK_CONDITIONS takes system|code pairs, or none', () => {
    const c = loadConfig({ TRUSTED_CLIENTS: '/x.json', CGM_HIGH_RISK_CONDITIONS: 'http://snomed.info/sct|46177005, http://hl7.org/fhir/sid/icd-10-cm|N18.6' });
    expect(c.cgmHighRiskConditions).toEqual([
      { system: 'http://snomed.info/sct', code: '46177005' },
      { system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'N18.6' },
    ]);
    expect(loadConfig({ TRUSTED_CLIENTS: '/x.json', CGM_HIGH_RISK_CONDITIONS: 'none' }).cgmHighRiskConditions).toEqual([]);
  });

  it('uses PostgreSQL when DATABASE_URL is set, SQLite otherwise', () => {
    expect(loadConfig({ TRUSTED_CLIENTS: '/x' }).store).toEqual({ kind: 'sqlite', path: 'data/precision-cds.sqlite' });
    expect(loadConfig({ TRUSTED_CLIENTS: '/x', DATABASE_URL: 'postgres://u@h/db' }).store).toEqual({ kind: 'postgres', url: 'postgres://u@h/db' });
    expect(() => loadConfig({ TRUSTED_CLIENTS: '/x', STORE: 'postgres' })).toThrow(/^DATABASE_URL/);
  });

  it('requires TRUSTED_CLIENTS unless the sandbox or an explicit auth opt-out is set', () => {
    expect(() => loadConfig({})).toThrow(/TRUSTED_CLIENTS/);
    expect(loadConfig({ SANDBOX: 'on' }).sandbox).toBe(true);
    expect(loadConfig({ AUTH_DISABLED: 'true' }).authDisabled).toBe(true);
  });

  it('allows http FHIR servers only with the sandbox or ALLOW_HTTP_FHIR', () => {
    expect(loadConfig({ TRUSTED_CLIENTS: '/x' }).allowHttpFhir).toBe(false);
    expect(loadConfig({ SANDBOX: 'on' }).allowHttpFhir).toBe(true);
    expect(loadConfig({ TRUSTED_CLIENTS: '/x', ALLOW_HTTP_FHIR: 'true' }).allowHttpFhir).toBe(true);
  });
});
