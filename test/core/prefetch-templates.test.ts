import { describe, expect, it } from '@jest/globals';
import { renderTemplate, validateTemplate } from '../../src/cds/prefetch.js';

describe('prefetch tokens (spec 2.0 §Prefetch tokens)', () => {
  const ctx = { userId: 'PractitionerRole/role-9', patientId: 'pat-1', encounterId: 'enc-2', draftOrders: { resourceType: 'Bundle' }, flag: true };

  it('35/55/59: fills {{context.X}} from root-level context fields', () => {
    expect(renderTemplate('Observation?patient={{context.patientId}}&encounter={{context.encounterId}}', ctx)).toEqual({
      ok: true,
      url: 'Observation?patient=pat-1&encounter=enc-2',
    });
  });

  it('56: fills the user tokens from context.userId by resource type', () => {
    expect(renderTemplate('PractitionerRole?_id={{userPractitionerRoleId}}', ctx)).toEqual({ ok: true, url: 'PractitionerRole?_id=role-9' });
    expect(renderTemplate('Practitioner/{{userPractitionerId}}', ctx).ok).toBe(false);
    expect(renderTemplate('Patient/{{userPatientId}}', { userId: 'Patient/p7' })).toEqual({ ok: true, url: 'Patient/p7' });
    expect(renderTemplate('RelatedPerson/{{userRelatedPersonId}}', { userId: 'RelatedPerson/r1' })).toEqual({ ok: true, url: 'RelatedPerson/r1' });
  });

  it('57: a non-primitive context field cannot be used as a token', () => {
    const r = renderTemplate('Bundle/{{context.draftOrders}}', ctx);
    expect(r).toEqual({ ok: false, reason: 'no value for prefetch token {{context.draftOrders}}' });
  });

  it('a missing context field leaves the key unfetchable, naming the token', () => {
    expect(renderTemplate('Encounter/{{context.missing}}', ctx)).toEqual({ ok: false, reason: 'no value for prefetch token {{context.missing}}' });
  });

  it('token values are URL-encoded so they cannot add query parameters', () => {
    expect(renderTemplate('Observation?patient={{context.patientId}}', { patientId: '1&code=evil' })).toEqual({
      ok: true,
      url: 'Observation?patient=1%26code%3Devil',
    });
  });

  it('primitive booleans and numbers render as text', () => {
    expect(renderTemplate('X?a={{context.flag}}', ctx)).toEqual({ ok: true, url: 'X?a=true' });
  });

  it('validateTemplate accepts the spec examples and refuses absolute URLs and unknown tokens', () => {
    expect(() => validateTemplate('Observation?patient={{context.patientId}}&code=4548-4&_count=1&sort:desc=date')).not.toThrow();
    expect(() => validateTemplate('PractitionerRole?_id={{userPractitionerRoleId}}')).not.toThrow();
    expect(() => validateTemplate('http://x/Patient/{{context.patientId}}')).toThrow();
    expect(() => validateTemplate('Patient/{{user}}')).toThrow();
  });
});

describe('prefetch query subset (spec 2.0 §Prefetch query restrictions)', () => {
  it('58: the registry accepts the recommended subset and refuses what lies outside it', async () => {
    const { checkQuerySubset } = await import('../../src/cds/prefetch.js');
    const ok = [
      'Patient/{{context.patientId}}',
      'Observation?patient={{context.patientId}}&code=http://loinc.org|2093-3&date=ge2020-01-01&_sort=-date&_count=1',
      'MedicationRequest?patient={{context.patientId}}&status:in=http://x/vs',
      'PractitionerRole?_id={{userPractitionerRoleId}}',
    ];
    const bad = [
      'Observation?patient={{context.patientId}}&_include=Observation:subject',
      'Observation?code:text=chol',
      'Observation?subject.name=x',
      'Observation?date=sa2020-01-01',
      'Patient/{{context.patientId}}/_history',
    ];
    for (const t of ok) expect(() => checkQuerySubset(t)).not.toThrow();
    for (const t of bad) expect(() => checkQuerySubset(t)).toThrow();
  });
});
