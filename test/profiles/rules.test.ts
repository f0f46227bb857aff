import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CARDS_DIR } from '../../src/app.js';
import { loadProfileRules, parseProfileRules, PROFILE_NAMES, ProfileRulesError } from '../../src/cds/profiles/index.js';
import { SERVICE_ID as CGM_SERVICE_ID } from '../../src/services/glucose-monitoring/cards.js';
import { PGX_SERVICE_ID } from '../../src/services/pgx/cards.js';
import { allRecommendationRows } from '../../src/services/pgx/knowledge/index.js';

const raw = (): Record<string, any> => JSON.parse(readFileSync(join(CARDS_DIR, 'profiles.json'), 'utf8'));
const schema = (): object => JSON.parse(readFileSync(join(CARDS_DIR, 'profiles.schema.json'), 'utf8'));

describe('profile rules (cards/profiles.json)', () => {
  it('the shipped file passes its schema and names a profile for every name a trusted client may use', () => {
    const rules = loadProfileRules(CARDS_DIR);
    expect(Object.keys(rules.profiles).sort()).toEqual([...PROFILE_NAMES].sort());
    expect(rules.topic.system).toBe('https://precision-cds.org/CodeSystem/card-topic');
    expect(rules.topic.maxCodeLength).toBe(100);
    expect(Object.isFrozen(rules.profiles.epic)).toBe(true);
  });

  it.each([
    ['a profile missing', (d: Record<string, any>) => delete d['profiles']['oracle'], '/profiles'],
    ['an unknown action type', (d: Record<string, any>) => (d['profiles']['epic']['actionTypes'] = ['create', 'replace']), '/profiles/epic/actionTypes/1'],
    ['an unknown critical rule', (d: Record<string, any>) => (d['profiles']['oracle']['critical'] = 'never'), '/profiles/oracle/critical'],
    ['an interruptive list without its source', (d: Record<string, any>) => delete d['interruptive']['pharmacogenomics']['source'], '/interruptive/pharmacogenomics'],
    ['a wording template missing', (d: Record<string, any>) => delete d['wording']['reorderLabel'], '/wording'],
    ['a topic system that is not a URL', (d: Record<string, any>) => (d['topic']['system'] = 'card-topic'), '/topic/system'],
  ])('refuses %s, naming where', (_what, mutate, where) => {
    const d = raw();
    mutate(d);
    expect(() => parseProfileRules(d, schema())).toThrow(ProfileRulesError);
    expect(() => parseProfileRules(d, schema())).toThrow(where);
  });

  it('refuses a profile that can apply neither update nor both create and delete (an update could not be rewritten)', () => {
    const d = raw();
    d['profiles']['epic']['actionTypes'] = ['create'];
    expect(() => parseProfileRules(d, schema())).toThrow(/profile "epic" supports neither update nor both create and delete/);
  });

  // The interruptive lists are knowledge about the services' own tables: kept in step with them here.
  it('pharmacogenomics: exactly the CPIC recommendations that say to avoid the drug warrant a pop-up', () => {
    const listed = loadProfileRules(CARDS_DIR).interruptive[PGX_SERVICE_ID]!.kinds;
    const avoid = allRecommendationRows().filter((r) => r.severity === 'avoid').map((r) => r.id);
    expect([...listed].sort()).toEqual([...avoid].sort());
  });

  it('glucose-monitoring: the critical card (time < 54 mg/dL at least twice its target) warrants a pop-up, no other', () => {
    expect(loadProfileRules(CARDS_DIR).interruptive[CGM_SERVICE_ID]!.kinds).toEqual(['cgm-critical']);
  });

  it('lists no service that does not exist', () => {
    expect(Object.keys(loadProfileRules(CARDS_DIR).interruptive).sort()).toEqual([CGM_SERVICE_ID, PGX_SERVICE_ID].sort());
  });
});
