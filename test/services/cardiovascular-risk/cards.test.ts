import { describe, expect, it } from '@jest/globals';
import { CARDS_DIR } from '../../../src/app.js';
import { fill, loadCardTemplates } from '../../../src/cards/templates.js';
import type { CvdCardTemplates } from '../../../src/services/cardiovascular-risk/cards.js';

describe('cardiovascular-risk card templates (cards/cardiovascular-risk.json)', () => {
  const t = loadCardTemplates<CvdCardTemplates>(CARDS_DIR, 'cardiovascular-risk');
  // The longest value each placeholder can take (see summaryVars / missingList in cards.ts).
  const worst = {
    pce: '100.0%',
    category: 'intermediate',
    intensity: 'moderate',
    reason: 'diabetes, age 40-75',
    preventCvd: '100.0%',
    pceReason: 'x'.repeat(60),
    missing: 'x'.repeat(90),
  };

  it.each(Object.keys(t.summary))('83: summary "%s" stays under 140 characters with the longest values', (kind) => {
    expect(fill(t.summary[kind]!, worst).length).toBeLessThan(140);
  });

  it('every summary kind has an indicator, and override reasons all have a display', () => {
    for (const kind of Object.keys(t.summary)) expect(['info', 'warning', 'critical']).toContain(t.indicator[kind]);
    expect(t.overrideReasons.length).toBeGreaterThan(0);
    for (const r of t.overrideReasons) expect(r.display).toBeTruthy();
  });

  it('fill refuses a placeholder without a value (a template bug, not a blank on a card)', () => {
    expect(() => fill('risk {{pce}}', {})).toThrow(/pce/);
  });
});
