/**
 * The project's compact gene tables must reproduce CPIC's own tables: every diplotype in the shared
 * CPIC/PharmCAT files (/work/shared/pgx) gives the same phenotype and activity score, every allele has the
 * same function/value, and CYP2D6 activity scores follow the shared activity-value table.
 * Skipped, with a printed reason, when the shared folder is not on this machine.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import {
  GENES,
  allelesOf,
  geneTable,
  lookupAllele,
  parseDiplotype,
  phenotypeOf,
  type GeneSymbol,
  type Phenotype,
} from '../../../src/services/pgx/knowledge/index.js';

const dir = process.env['PGX_SHARED_DIR'] ?? '/work/shared/pgx';
const haveShared = existsSync(dir);
if (!haveShared) console.warn(`pgx knowledge: shared CPIC tables not found at ${dir}; agreement tests skipped`);
const d = haveShared ? describe : describe.skip;

interface SharedAllele {
  readonly name: string;
  readonly functionValue: string;
  readonly activityValue: string | null;
}
interface SharedDiplotype {
  readonly diplotype: string;
  readonly phenotype: string;
  readonly activityScore: string | null;
}
interface SharedGene {
  readonly gene: string;
  readonly namedAlleles: readonly SharedAllele[];
  readonly diplotypes: readonly SharedDiplotype[];
  readonly version: string;
}

const counts: string[] = [];
afterAll(() => {
  if (counts.length) console.log(`pgx knowledge agreement with shared CPIC tables:\n  ${counts.join('\n  ')}`);
});

const sharedFiles = haveShared ? readdirSync(dir).filter((f) => f.endsWith('.json')).sort() : [];
const load = (f: string): SharedGene => JSON.parse(readFileSync(join(dir, f), 'utf8')) as SharedGene;
const num = (s: string | null): number | undefined => (s === null || s === 'n/a' ? undefined : Number(s));

d('gene tables vs shared CPIC diplotype tables', () => {
  it('has a rule table for every shared gene file, with the same CPIC data version', () => {
    expect(sharedFiles.length).toBeGreaterThan(0);
    for (const f of sharedFiles) {
      const shared = load(f);
      expect(GENES).toContain(shared.gene);
      expect(shared.version.startsWith(geneTable(shared.gene as GeneSymbol).cpicDataVersion)).toBe(true);
    }
  });

  it.each(sharedFiles)('%s: every allele has the same function (and activity value)', (f) => {
    const shared = load(f);
    const gene = shared.gene as GeneSymbol;
    const mismatches: string[] = [];
    for (const a of shared.namedAlleles) {
      const mine = lookupAllele(gene, a.name);
      if (!mine) mismatches.push(`${a.name}: missing`);
      else {
        if (mine.function !== a.functionValue) mismatches.push(`${a.name}: ${mine.function} vs ${a.functionValue}`);
        const v = num(a.activityValue);
        if (v !== undefined && mine.activityValue !== v) mismatches.push(`${a.name}: value ${mine.activityValue} vs ${v}`);
        if (v === undefined && typeof mine.activityValue === 'number') mismatches.push(`${a.name}: value ${mine.activityValue} vs none`);
      }
    }
    // No alleles invented beyond the shared table (SNP pseudo-alleles such as 'rs4149056 C' excepted).
    const sharedNames = new Set(shared.namedAlleles.map((a) => a.name));
    const snpNames = new Set(Object.values(geneTable(gene).snp?.alleles ?? {}).map((s) => s.allele));
    const extra = allelesOf(gene)
      .map((a) => a.name)
      .filter((n) => !sharedNames.has(n) && !snpNames.has(n) && ![...sharedNames].some((s) => s.startsWith(`${n} (`)));
    expect(mismatches).toEqual([]);
    expect(extra).toEqual([]);
  });

  it.each(sharedFiles)('%s: every diplotype maps to the same phenotype and activity score', (f) => {
    const shared = load(f);
    const mismatches: string[] = [];
    let scored = 0;
    for (const x of shared.diplotypes) {
      const r = phenotypeOf(shared.gene, x.diplotype);
      const as = num(x.activityScore);
      if (as !== undefined) scored++;
      if (r.phenotype !== x.phenotype) mismatches.push(`${x.diplotype}: ${r.phenotype} vs ${x.phenotype} (${r.reason ?? ''})`);
      else if (as !== undefined && r.activityScore !== as) mismatches.push(`${x.diplotype}: AS ${r.activityScore} vs ${as}`);
      else if (as === undefined && x.phenotype === 'Indeterminate' && r.reason === undefined) mismatches.push(`${x.diplotype}: Indeterminate without a reason`);
    }
    counts.push(`${shared.gene}: ${shared.diplotypes.length - mismatches.length}/${shared.diplotypes.length} diplotypes agree (${scored} with activity score)`);
    expect(mismatches.slice(0, 20)).toEqual([]);
  });
});

// ---------------------------------------------------------------- CYP2D6 from the activity-value TSV

interface TsvRow {
  readonly allele: string;
  readonly value: number;
  readonly atLeast: boolean;
}
const tsvPath = join(dir, 'CYP2D6-activity-values.tsv');
const tsvRows: TsvRow[] = existsSync(tsvPath)
  ? readFileSync(tsvPath, 'utf8')
      .split('\n')
      .filter((l) => l.trim() && !l.startsWith('#'))
      .map((l) => {
        const [allele, value] = l.split('\t').map((s) => s.trim());
        const atLeast = (value ?? '').startsWith('>=');
        return { allele: allele ?? '', value: Number((value ?? '').replace('>=', '')), atLeast };
      })
  : [];
const dTsv = tsvRows.length ? describe : describe.skip;
if (haveShared && !tsvRows.length) console.warn(`pgx knowledge: ${tsvPath} not found; CYP2D6 activity-value tests skipped`);

/** Thresholds from the clinical reference (CPIC 2020): 0 poor, 0.25-1.0 intermediate, 1.25-2.25 normal, > 2.25 ultrarapid. */
function cyp2d6Expected(score: number): Phenotype {
  if (score === 0) return 'Poor Metabolizer';
  if (score <= 1.0) return 'Intermediate Metabolizer';
  if (score <= 2.25) return 'Normal Metabolizer';
  return 'Ultrarapid Metabolizer';
}

dTsv('CYP2D6 activity scores from the shared activity-value table', () => {
  const base = tsvRows.filter((r) => !/x/i.test(r.allele));
  const copies = tsvRows.filter((r) => /x/i.test(r.allele));

  it('every TSV allele has the same activity value in the project table', () => {
    const mismatches: string[] = [];
    for (const r of base) {
      const mine = lookupAllele('CYP2D6', r.allele);
      if (mine?.activityValue !== r.value) mismatches.push(`${r.allele}: ${mine?.activityValue} vs ${r.value}`);
    }
    // Copy-number rows: the allele paired with a zero-value allele (*5, gene deletion) scores its own value.
    for (const r of copies) {
      const p = phenotypeOf('CYP2D6', `${r.allele}/*5`);
      if (p.activityScore !== r.value || (p.activityScoreIsMinimum === true) !== r.atLeast) {
        mismatches.push(`${r.allele}: ${p.activityScore}${p.activityScoreIsMinimum ? '+' : ''} vs ${r.atLeast ? '>=' : ''}${r.value}`);
      }
    }
    expect(base.length).toBeGreaterThan(10);
    expect(mismatches).toEqual([]);
  });

  it('computes scores and thresholds for all pairs, including x2, x3 and xN copies', () => {
    interface Form {
      readonly text: string;
      readonly min: number;
      readonly exact: boolean;
    }
    const forms: Form[] = [];
    for (const r of base) {
      forms.push({ text: r.allele, min: r.value, exact: true });
      forms.push({ text: `${r.allele}x2`, min: r.value * 2, exact: true });
      forms.push({ text: `${r.allele}x3`, min: r.value * 3, exact: true });
      forms.push({ text: `${r.allele}xN`, min: r.value * 2, exact: r.value === 0 });
    }
    for (const r of copies) forms.push({ text: r.allele, min: r.value, exact: !r.atLeast || r.value === 0 });
    let n = 0;
    let indeterminate = 0;
    const mismatches: string[] = [];
    for (const a of forms) {
      for (const b of forms) {
        n++;
        const text = `${a.text}/${b.text}`;
        const p = phenotypeOf('CYP2D6', text);
        const min = Math.round((a.min + b.min) * 100) / 100;
        const exact = a.exact && b.exact;
        let expected: Phenotype = cyp2d6Expected(min);
        if (!exact && expected !== 'Ultrarapid Metabolizer') expected = 'Indeterminate';
        if (expected === 'Indeterminate') indeterminate++;
        if (p.phenotype !== expected || p.activityScore !== min) mismatches.push(`${text}: ${p.phenotype} ${p.activityScore} vs ${expected} ${min}`);
      }
    }
    counts.push(`CYP2D6: ${n - mismatches.length}/${n} generated diplotypes agree with TSV values and CPIC thresholds (${indeterminate} correctly Indeterminate for unknown copy number)`);
    expect(mismatches.slice(0, 20)).toEqual([]);
  });

  it('applies the CPIC threshold boundaries', () => {
    const cases: [string, number, Phenotype][] = [
      ['*4/*4', 0, 'Poor Metabolizer'],
      ['*4/*10', 0.25, 'Intermediate Metabolizer'],
      ['*1/*4', 1, 'Intermediate Metabolizer'],
      ['*1/*10', 1.25, 'Normal Metabolizer'],
      ['*1x2/*10', 2.25, 'Normal Metabolizer'],
      ['*1x2/*17', 2.5, 'Ultrarapid Metabolizer'],
      ['*1/*1x2', 3, 'Ultrarapid Metabolizer'],
      ['*41x3/*4', 0.75, 'Intermediate Metabolizer'],
      ['CYP2D6 *36+*10/*1', 1.25, 'Normal Metabolizer'],
    ];
    for (const [text, as, phenotype] of cases) {
      const p = phenotypeOf('CYP2D6', text);
      expect([text, p.phenotype, p.activityScore]).toEqual([text, phenotype, as]);
    }
    expect(phenotypeOf('CYP2D6', '*1x≥3/*4')).toMatchObject({ phenotype: 'Ultrarapid Metabolizer', activityScore: 3, activityScoreIsMinimum: true });
    expect(phenotypeOf('CYP2D6', '*41xN/*4').phenotype).toBe('Indeterminate');
    expect(parseDiplotype('CYP2D6', '*2×2/*4')).toMatchObject({ ok: true, diplotype: { text: '*2x2/*4' } });
  });
});
