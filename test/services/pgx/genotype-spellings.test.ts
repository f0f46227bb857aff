/**
 * Every spelling of a genotype result goes through the real input path - a Genomics Reporting IG genotype
 * Observation (LOINC 84413-4, gene studied 48018-6 as HGNC) read by extractPgxResults, then interpretResults - to
 * the phenotype (and activity score) CPIC gives it, and VKORC1 to the right -1639 genotype for the IWPC inputs.
 *
 * 1. Generated from the shared CPIC/PharmCAT tables (../shared/pgx, or PGX_SHARED_DIR): for every gene file and
 *    every row of `diplotypes`, its `diplotype`, `generesult` and `lookupkey` spellings, with and without the gene
 *    prefix, and the laboratory spellings of the single-variant genes derived from the rows (DPYD variant +
 *    zygosity, HGVS allele pairs; VKORC1 rs9923231 / -1639 bases, c./g. names). Skipped with a printed reason
 *    when the shared folder is absent.
 * 2. Hand-written cases that need no shared files.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import type { Observation, ObservationComponent } from 'fhir/r4.js';
import { interpretResults, type GeneFinding } from '../../../src/services/pgx/assess.js';
import { extractPgxResults, isUnreadable, type PgxResults } from '../../../src/services/pgx/inputs/index.js';
import { vkorc1Category, vkorc1GenotypeOf } from '../../../src/services/pgx/warfarin.js';

const NOW = new Date('2026-06-01T00:00:00Z');
const LOINC = 'http://loinc.org';
const HGNC: Record<string, string> = {
  CYP2C19: 'HGNC:2621', CYP2C9: 'HGNC:2623', CYP2D6: 'HGNC:2625', CYP3A5: 'HGNC:2638', DPYD: 'HGNC:3012', NUDT15: 'HGNC:23063',
  SLCO1B1: 'HGNC:10959', TPMT: 'HGNC:12014', UGT1A1: 'HGNC:12530', VKORC1: 'HGNC:23663',
};

function genotypeObservation(gene: string, text: string, extra: ObservationComponent[] = []): Observation {
  return {
    resourceType: 'Observation',
    id: 'g-1',
    status: 'final',
    code: { coding: [{ system: LOINC, code: '84413-4', display: 'Genotype display name' }] },
    effectiveDateTime: '2025-01-10T10:00:00Z',
    valueCodeableConcept: { text },
    component: [{ code: { coding: [{ system: LOINC, code: '48018-6' }] }, valueCodeableConcept: { coding: [{ system: 'http://www.genenames.org/geneId', code: HGNC[gene]!, display: gene }] } }, ...extra],
  };
}

const allelicState = (zygosity: 'homozygous' | 'heterozygous'): ObservationComponent => ({
  code: { coding: [{ system: LOINC, code: '53034-5' }] },
  valueCodeableConcept: { coding: [{ system: LOINC, code: zygosity === 'homozygous' ? 'LA6705-3' : 'LA6706-1', display: zygosity }] },
});

interface Read {
  readonly results: PgxResults;
  readonly finding?: GeneFinding;
}

/** The real input path for one genotype Observation. */
function read(gene: string, text: string, extra: ObservationComponent[] = []): Read {
  const results = extractPgxResults([genotypeObservation(gene, text, extra)], NOW);
  const finding = interpretResults(results).findings[gene];
  return finding ? { results, finding } : { results };
}

/** What a spelling came to, in one comparable line. */
function outcome(r: Read, gene: string): string {
  const problems = r.results.problems.filter(isUnreadable).map((p) => `${p.kind}: ${p.reason}`);
  if (problems.length > 0) return `unreadable (${problems.join('; ')})`;
  if (!r.finding) return 'no result';
  const as = r.finding.activityScore !== undefined ? ` AS ${r.finding.activityScore}` : '';
  const vk = gene === 'VKORC1' ? ` IWPC ${vkorc1Category(vkorc1GenotypeOf(r.finding))}` : '';
  return `${r.finding.phenotype}${as}${vk}`;
}

// ------------------------------------------------------------------------------------- shared tables

const dir = process.env['PGX_SHARED_DIR'] ?? resolve(process.cwd(), '..', 'shared', 'pgx');
const haveShared = existsSync(dir);
if (!haveShared) console.warn(`genotype spellings: shared CPIC tables not found at ${dir}; the generated cases are skipped (hand-written cases still run)`);
const dShared = haveShared ? describe : describe.skip;

interface SharedRow {
  readonly diplotype: string;
  readonly generesult: string;
  readonly lookupkey: string;
  readonly phenotype: string;
  readonly activityScore: string | null;
}
interface SharedGene {
  readonly gene: string;
  readonly diplotypes: readonly SharedRow[];
}

const sharedFiles = haveShared ? readdirSync(dir).filter((f) => f.endsWith('.json')).sort() : [];
const load = (f: string): SharedGene => JSON.parse(readFileSync(join(dir, f), 'utf8')) as SharedGene;
const score = (s: string | null): number | undefined => (s === null || !/^\d+(\.\d+)?$/.test(s) ? undefined : Number(s));

/**
 * VKORC1 in CPIC's table: 'rs9923231 reference (C)' / 'rs9923231 variant (T)'; the README of shared/pgx: "C is the
 * reference, T the variant: T corresponds to -1639 A". The IWPC category expected is that -1639 genotype.
 */
const RS_LETTER = (allele: string): string => /\(([ACGT])\)/.exec(allele)?.[1] ?? '?';
const GENE_STRAND: Readonly<Record<string, string>> = { C: 'G', T: 'A' };
function iwpcOf(row: SharedRow): string {
  const letters = row.diplotype.split('/').map((a) => GENE_STRAND[RS_LETTER(a)] ?? '?');
  return letters.sort().join('/');
}

/** Spellings of one row and what each must come to. */
function spellingsOf(gene: string, row: SharedRow): [string, string][] {
  const as = score(row.activityScore);
  const full = `${row.phenotype}${as !== undefined ? ` AS ${as}` : ''}${gene === 'VKORC1' ? ` IWPC ${iwpcOf(row)}` : ''}`;
  const phenotypeOnly = `${row.phenotype}${gene === 'VKORC1' ? ` IWPC ${iwpcOf(row)}` : ''}`;
  const prefixed = (s: string): string[] => [s, `${gene} ${s}`, ...(s.startsWith('*') ? [`${gene}${s}`] : [])];
  const out: [string, string][] = [];
  // the diplotype names: phenotype and activity score
  for (const s of prefixed(row.diplotype)) out.push([s, full]);
  // generesult: a phenotype term (VKORC1: '-1639 AA', a genotype); it carries no activity score
  for (const s of prefixed(row.generesult)) out.push([s, gene === 'VKORC1' ? full : phenotypeOnly]);
  // lookupkey: the phenotype term, or the activity score ('1.5', 'n/a' = no score: Indeterminate)
  const keyScore = score(row.lookupkey);
  for (const s of prefixed(row.lookupkey)) out.push([s, keyScore !== undefined ? `${row.phenotype} AS ${keyScore}` : gene === 'VKORC1' ? full : phenotypeOnly]);
  return out;
}

/** Laboratory spellings of a row of a gene whose alleles are single variants (DPYD, VKORC1). */
function labSpellingsOf(gene: string, row: SharedRow): [string, string][] {
  const as = score(row.activityScore);
  const full = `${row.phenotype}${as !== undefined ? ` AS ${as}` : ''}${gene === 'VKORC1' ? ` IWPC ${iwpcOf(row)}` : ''}`;
  const out: [string, string][] = [];
  const [a, b] = row.diplotype.split('/') as [string, string];
  if (gene === 'DPYD') {
    const hgvs = (x: string): string => x.replace(/\s*\([^()]*\)$/, '');
    const alias = (x: string): string | undefined => /\(([^()]*)\)$/.exec(x)?.[1];
    const variant = a === 'Reference' ? b : b === 'Reference' ? a : a === b ? a : undefined;
    if (!variant || variant === 'Reference') return out;
    const zygosity = a === b ? 'homozygous' : 'heterozygous';
    const name = hgvs(variant);
    out.push([`${name} ${zygosity}`, full], [`NM_000110.4:${name} ${zygosity}`, full], [`DPYD ${name} (${zygosity})`, full]);
    if (alias(variant)) out.push([`${alias(variant)} ${zygosity}`, full]);
    if (!name.includes(',')) out.push([`c.[${name.slice(2)}];[${zygosity === 'homozygous' ? name.slice(2) : '='}]`, full]);
  }
  if (gene === 'VKORC1') {
    const rs = [RS_LETTER(a), RS_LETTER(b)];
    const g = rs.map((l) => GENE_STRAND[l]!);
    out.push([`rs9923231 ${rs.join('/')}`, full], [`rs9923231 ${rs.join('')}`, full], [`rs9923231 ${rs.join('/').toLowerCase()}`, full]);
    out.push([`-1639 ${g.join('/')}`, full], [`VKORC1 -1639G>A ${g.join('/')}`, full], [`c.-1639G>A ${g.join('')}`, full]);
    const variants = rs.filter((l) => l === 'T').length;
    if (variants > 0) {
      const zygosity = variants === 2 ? 'homozygous' : 'heterozygous';
      out.push(
        [`c.-1639G>A ${zygosity}`, full],
        [`NM_024006.6:c.-1639G>A ${zygosity}`, full],
        [`NC_000016.10:g.31096368C>T ${zygosity}`, full],
        [`rs9923231 ${zygosity}`, full],
        [`c.[-1639G>A];[${variants === 2 ? '-1639G>A' : '='}]`, full],
        [`NC_000016.10:g.[31096368C>T];[${variants === 2 ? '31096368C>T' : '31096368='}]`, full],
      );
    }
  }
  return out;
}

const counts: string[] = [];
afterAll(() => {
  if (counts.length) console.log(`genotype spellings through extractPgxResults -> interpretResults:\n  ${counts.join('\n  ')}`);
});

dShared('every spelling of every shared CPIC diplotype, through the real input path', () => {
  it('the shared folder has gene files', () => {
    expect(sharedFiles.length).toBeGreaterThan(0);
  });

  it.each(sharedFiles)('%s: diplotype, generesult and lookupkey spellings, with and without the gene prefix', (f) => {
    const shared = load(f);
    const expected = new Map<string, string>();
    for (const row of shared.diplotypes) for (const [s, want] of spellingsOf(shared.gene, row)) expected.set(s, want);
    const mismatches: string[] = [];
    for (const [spelling, want] of expected) {
      const got = outcome(read(shared.gene, spelling), shared.gene);
      if (got !== want) mismatches.push(`${spelling}: ${got} vs ${want}`);
    }
    counts.push(`${shared.gene}: ${expected.size - mismatches.length}/${expected.size} spellings of ${shared.diplotypes.length} diplotypes agree`);
    expect(mismatches.slice(0, 20)).toEqual([]);
  });

  it.each(sharedFiles.filter((f) => /^(DPYD|VKORC1)\.json$/.test(f)))('%s: laboratory spellings of single-variant alleles (zygosity, HGVS, rs-id with bases)', (f) => {
    const shared = load(f);
    const expected = new Map<string, string>();
    for (const row of shared.diplotypes) for (const [s, want] of labSpellingsOf(shared.gene, row)) expected.set(s, want);
    const mismatches: string[] = [];
    for (const [spelling, want] of expected) {
      const got = outcome(read(shared.gene, spelling), shared.gene);
      if (got !== want) mismatches.push(`${spelling}: ${got} vs ${want}`);
    }
    counts.push(`${shared.gene}: ${expected.size - mismatches.length}/${expected.size} laboratory spellings agree`);
    expect(expected.size).toBeGreaterThan(0);
    expect(mismatches.slice(0, 20)).toEqual([]);
  });
});

// ------------------------------------------------------------------------------------- hand-written

describe('hand-written spellings (no shared files needed)', () => {
  it.each([
    // VKORC1: CPIC / PharmCAT allele names (the issue), generesult, rs-id with bases, c. and HGVS
    ['VKORC1', 'rs9923231 variant (T)/rs9923231 variant (T)', '-1639 AA IWPC A/A'],
    ['VKORC1', 'VKORC1 rs9923231 reference (C)/rs9923231 variant (T)', '-1639 AG IWPC A/G'],
    ['VKORC1', 'rs9923231 variant(T) / rs9923231 reference(C)', '-1639 AG IWPC A/G'],
    ['VKORC1', '-1639 AA', '-1639 AA IWPC A/A'],
    ['VKORC1', 'VKORC1 -1639 GG', '-1639 GG IWPC G/G'],
    ['VKORC1', 'rs9923231 T/T', '-1639 AA IWPC A/A'],
    ['VKORC1', 'rs9923231 TT', '-1639 AA IWPC A/A'],
    ['VKORC1', 'rs9923231 C/T', '-1639 AG IWPC A/G'],
    ['VKORC1', 'RS9923231  c/t', '-1639 AG IWPC A/G'],
    ['VKORC1', 'rs9923231: CC', '-1639 GG IWPC G/G'],
    ['VKORC1', 'VKORC1 -1639 G>A GA', '-1639 AG IWPC A/G'],
    ['VKORC1', 'c.-1639G>A homozygous', '-1639 AA IWPC A/A'],
    ['VKORC1', 'c.-1639G>A (heterozygous)', '-1639 AG IWPC A/G'],
    ['VKORC1', 'Heterozygous c.-1639G>A', '-1639 AG IWPC A/G'],
    ['VKORC1', 'c.-1639G>A/c.-1639G>A', '-1639 AA IWPC A/A'],
    ['VKORC1', 'NM_024006.6:c.-1639G>A homozygous', '-1639 AA IWPC A/A'],
    ['VKORC1', 'NM_024006.6(VKORC1):c.-1639G>A heterozygous', '-1639 AG IWPC A/G'],
    ['VKORC1', 'NM_024006.6:c.[-1639G>A];[-1639=]', '-1639 AG IWPC A/G'],
    ['VKORC1', 'NC_000016.10:g.31096368C>T het', '-1639 AG IWPC A/G'],
    ['VKORC1', 'NC_000016.9:g.31107689C>T homozygous', '-1639 AA IWPC A/A'],
    ['VKORC1', 'rs9923231 heterozygous', '-1639 AG IWPC A/G'],
    // star alleles, gene prefix or not, spaces and case
    ['CYP2C19', '*1/*2', 'Intermediate Metabolizer'],
    ['CYP2C19', 'CYP2C19 *1/*2', 'Intermediate Metabolizer'],
    ['CYP2C19', 'CYP2C19*1/*2', 'Intermediate Metabolizer'],
    ['CYP2C19', 'cyp2c19: *2 / *2', 'Poor Metabolizer'],
    ['CYP2C19', 'CYP2C19*1/CYP2C19*17', 'Rapid Metabolizer'],
    ['CYP2C9', 'CYP2C9 *1/*3', 'Intermediate Metabolizer AS 1'],
    ['TPMT', 'TPMT *1/*3a', 'Intermediate Metabolizer'],
    ['CYP2D6', 'CYP2D6 *1/*1x2', 'Ultrarapid Metabolizer AS 3'],
    ['UGT1A1', '*80+*28/*80+*28', 'Poor Metabolizer'],
    // DPYD: c. names, star aliases, the CPIC "NAME (ALIAS)" form, variant + zygosity, HGVS with the transcript
    ['DPYD', 'c.1905+1G>A/c.1905+1G>A', 'Poor Metabolizer AS 0'],
    ['DPYD', 'DPYD Reference/c.1905+1G>A (*2A)', 'Intermediate Metabolizer AS 1'],
    ['DPYD', '*1/*2A', 'Intermediate Metabolizer AS 1'],
    ['DPYD', 'c.1905+1G>A heterozygous', 'Intermediate Metabolizer AS 1'],
    ['DPYD', 'NM_000110.4:c.2846A>T heterozygous', 'Intermediate Metabolizer AS 1.5'],
    ['DPYD', 'c.[1905+1G>A];[=]', 'Intermediate Metabolizer AS 1'],
    ['DPYD', 'c.1129-5923C>G, c.1236G>A (HapB3)/Reference', 'Intermediate Metabolizer AS 1.5'],
    // SLCO1B1 rs4149056 (CPIC allows the phenotype from that variant alone)
    ['SLCO1B1', 'rs4149056 T/C', 'Decreased Function'],
    ['SLCO1B1', 'c.521T>C homozygous', 'Poor Function'],
    // CPIC generesult / lookupkey forms
    ['CYP2C19', 'CYP2C19 Likely Intermediate Metabolizer', 'Likely Intermediate Metabolizer'],
    ['CYP2C9', '1.5', 'Intermediate Metabolizer AS 1.5'],
    ['CYP2C9', 'CYP2C9 activity score 0.5', 'Poor Metabolizer AS 0.5'],
    ['DPYD', 'Intermediate Metabolizer (activity score 1.0)', 'Intermediate Metabolizer AS 1'],
  ])('%s %p -> %s', (gene, text, want) => {
    expect(outcome(read(gene, text), gene)).toBe(want);
  });

  it('the allelic-state component gives the zygosity of a variant written alone', () => {
    expect(outcome(read('VKORC1', 'NC_000016.10:g.31096368C>T', [allelicState('heterozygous')]), 'VKORC1')).toBe('-1639 AG IWPC A/G');
    expect(outcome(read('DPYD', 'c.1905+1G>A', [allelicState('homozygous')]), 'DPYD')).toBe('Poor Metabolizer AS 0');
  });

  it.each([
    ['VKORC1', 'VKORC1 A/G', /does not say which VKORC1 variant/],
    ['VKORC1', 'VKORC1 1173C>T C/T', /1173C>T/],
    ['VKORC1', 'VKORC1 -1639G>A C/T', /takes the letters G\/A/],
    ['VKORC1', 'rs9923231 C/A', /mixes/],
    ['VKORC1', 'NC_000016.10:g.31096368C>T', /neither the genotype .* nor the zygosity/],
    ['VKORC1', 'NM_024006.5:c.-1639G>A homozygous', /transcript NM_024006\.5/],
    ['VKORC1', 'c.-1639G>A hemizygous', /hemizygous/],
    ['CYP2C19', 'CYP2C19 *2 heterozygous', /both alleles are needed/],
    ['CYP2C19', 'CYP2C19 *1/*99', /'\*99' is not in the rule table/],
    ['CYP2C19', 'rs4244285 A/A', /single variant .* does not give the CYP2C19 diplotype/],
    ['DPYD', 'c.[1905+1G>A];[2846=]', /not the position/],
    ['DPYD', '0.75', /activity score 0\.75 has no CPIC phenotype/],
    ['CYP2C9', 'Poor Metabolizer (activity score 1.5)', /activity score 1\.5 is Intermediate Metabolizer/],
  ])('%s %p is unreadable, with the reason', (gene, text, reason) => {
    expect(outcome(read(gene, text), gene)).toMatch(reason);
  });

  it('a written genotype that contradicts the allelic-state component is unreadable', () => {
    expect(outcome(read('VKORC1', 'VKORC1 -1639G>A A/A', [allelicState('heterozygous')]), 'VKORC1')).toMatch(/^unreadable .*allelic state says heterozygous/);
  });
});
