/**
 * The consensus table (data/targets.json) against its published sources: the reference copy of
 * Battelino 2019 in ../shared/clinical-reference.md section 4, and Bergenstal 2018's GMI table.
 */
import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CONSENSUS } from '../../../src/services/glucose-monitoring/knowledge.js';
import { glycemicMetrics } from '../../../src/services/glucose-monitoring/metrics.js';

const REFERENCE = resolve(process.cwd(), '..', 'shared', 'clinical-reference.md');
const present = existsSync(REFERENCE);
if (!present) console.warn(`glucose-monitoring knowledge: ${REFERENCE} not found; the check against the shared reference is skipped (../shared is beside CI and dev checkouts only)`);

/** Section 4's table rows: metric -> [most adults, older / high-risk] cells. */
function referenceRows(): Map<string, [string, string]> {
  const text = readFileSync(REFERENCE, 'utf8');
  const section = text.slice(text.indexOf('## 4.'), text.indexOf('## 5.'));
  const rows = new Map<string, [string, string]>();
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 4 || !cells[1] || cells[1].startsWith('metric') || cells[1].startsWith('-')) continue;
    rows.set(cells[1], [cells[2] ?? '', cells[3] ?? '']);
  }
  return rows;
}

/** A target cell as data: '> 70 %' -> { op: '>', value: 70 }. */
const cell = (text: string): { op: string; value: number } | undefined => {
  const m = /^(>|<|<=)\s*([\d.]+)\s*%$/.exec(text);
  return m ? { op: m[1]!, value: Number(m[2]) } : undefined;
};

(present ? describe : describe.skip)('targets.json against ../shared/clinical-reference.md section 4 (Battelino 2019)', () => {
  const rows = present ? referenceRows() : new Map<string, [string, string]>();
  const row = (prefix: string): [string, string] => [...rows.entries()].find(([k]) => k.startsWith(prefix))![1];
  const std = CONSENSUS.targets.standard;
  const old = CONSENSUS.targets['older-high-risk'];

  it.each([
    ['time in range 70-180', 'tir'],
    ['time below 70', 'tbr70'],
    ['time above 180', 'tar180'],
    ['time above 250', 'tar250'],
  ] as const)('%s: both columns', (prefix, key) => {
    const [most, older] = row(prefix);
    expect({ op: std[key].op, value: std[key].value }).toEqual(cell(most));
    expect({ op: old[key].op, value: old[key].value }).toEqual(cell(older));
  });

  it('time below 54: < 1 % for most adults (no separate older / high-risk target, which the data file says)', () => {
    const [most, older] = row('time below 54');
    expect({ op: std.tbr54.op, value: std.tbr54.value }).toEqual(cell(most));
    expect(older).toBe('');
    expect(old.tbr54.note).toMatch(/no separate target/);
  });

  it('CV <= 36 %', () => {
    expect(row('glycemic variability')[0]).toBe('<= 36 %');
    expect([std.cv.op, std.cv.value]).toEqual(['<=', 36]);
  });

  it('data sufficiency: 14 days, >= 70 % of possible readings', () => {
    expect(row('data sufficiency')[0]).toBe('14 days, >= 70 % of possible readings');
    expect(CONSENSUS.sufficiency).toEqual({ periodDays: 14, minCapturedPercent: 70 });
  });

  it('GMI = 3.31 + 0.02392 x mean and 1 mmol/L = 18.016 mg/dL, as printed', () => {
    const text = readFileSync(REFERENCE, 'utf8');
    expect(text).toContain(`GMI (%) = ${CONSENSUS.gmi.intercept} + ${CONSENSUS.gmi.slopePerMgdl} x mean glucose (mg/dL)`);
    expect(text).toContain(`1 mmol/L = ${CONSENSUS.mgdlPerMmol} mg/dL`);
  });
});

describe('GMI against the published table (Bergenstal RM et al., Diabetes Care 2018;41:2275-2280, Table 1)', () => {
  // Mean glucose (mg/dL) -> GMI (%), as printed to one decimal.
  it.each([
    [100, 5.7],
    [125, 6.3],
    [150, 6.9],
    [175, 7.5],
    [200, 8.1],
    [250, 9.3],
    [300, 10.5],
    [350, 11.7],
  ])('mean %d mg/dL -> GMI %d %%', (mean, gmi) => {
    const m = glycemicMetrics([{ t: 0, mgdl: mean, minuteOfDay: 0 }]);
    expect(Math.round(m.gmiPercent * 10) / 10).toBe(gmi);
  });
});
