import { describe, expect, it } from '@jest/globals';
import { CARDS_DIR } from '../../../src/app.js';
import { fill, loadCardTemplates } from '../../../src/cards/templates.js';
import type { PgxCardTemplates } from '../../../src/services/pgx/cards.js';
import { allDrugs } from '../../../src/services/pgx/knowledge/index.js';

describe('pharmacogenomics card templates (cards/pharmacogenomics.json)', () => {
  const t = loadCardTemplates<PgxCardTemplates>(CARDS_DIR, 'pharmacogenomics');
  const longestDrug = allDrugs().map((d) => d.name).sort((a, b) => b.length - a.length)[0]!;
  const worst = {
    drug: longestDrug,
    result: 'TPMT Possible Intermediate Metabolizer + NUDT15 Possible Intermediate Metabolizer',
    gene: 'HLA-B*15:02 / HLA-A*31:01',
    weekly: '100.0',
    daily: '14.3',
    missing: 'height not on file, weight not on file',
  };

  it.each(Object.keys(t.summary))('83: summary "%s" stays under 140 characters with the longest values', (kind) => {
    expect(fill(t.summary[kind]!, worst).length).toBeLessThan(140);
  });

  it('override reasons all carry a display (spec 2.0 §Card attributes)', () => {
    for (const r of t.overrideReasons) expect(r.display).toBeTruthy();
  });
});
