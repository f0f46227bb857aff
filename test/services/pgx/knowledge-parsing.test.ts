/** Diplotype parsing, Indeterminate calls, phenotype-name matching and HLA carrier status. */
import { describe, expect, it } from '@jest/globals';
import {
  dpydPhenotypeFromVariants,
  hlaCarrierStatus,
  normalizeHlaAllele,
  normalizePhenotype,
  parseDiplotype,
  phenotypeOf,
  samePhenotype,
  type DiplotypeErrorCode,
} from '../../../src/services/pgx/knowledge/index.js';

const errorCode = (gene: string, text: string): DiplotypeErrorCode | 'ok' => {
  const r = parseDiplotype(gene, text);
  return r.ok ? 'ok' : r.error.code;
};

describe('parseDiplotype', () => {
  it('accepts star alleles with or without the gene name', () => {
    for (const t of ['CYP2C19 *1/*2', '*1/*2', 'CYP2C19*1/*2', 'cyp2c19: *1/*2', ' *1 / *2 ']) {
      const r = parseDiplotype('CYP2C19', t);
      expect(r).toMatchObject({ ok: true, diplotype: { gene: 'CYP2C19', text: '*1/*2' } });
    }
    expect(parseDiplotype('TPMT', '*1/*3a')).toMatchObject({ ok: true, diplotype: { text: '*1/*3A' } });
    expect(parseDiplotype('UGT1A1', '*1/*80+*28')).toMatchObject({ ok: true, diplotype: { text: '*1/*80+*28' } });
  });

  it('reads CYP2D6 gene copies and tandems', () => {
    const r = parseDiplotype('CYP2D6', '*1/*1x2');
    expect(r.ok && r.diplotype.alleles[1]).toMatchObject({ name: '*1', copies: 2, copiesAtLeast: false });
    const n = parseDiplotype('CYP2D6', '*2xN/*4');
    expect(n.ok && n.diplotype.alleles[0]).toMatchObject({ name: '*2', copies: 2, copiesAtLeast: true });
    const ge = parseDiplotype('CYP2D6', '*1x>=3/*4');
    expect(ge.ok && ge.diplotype.alleles[0]).toMatchObject({ copies: 3, copiesAtLeast: true });
    const t = parseDiplotype('CYP2D6', '*36+*10/*1');
    expect(t.ok && t.diplotype.alleles[0]).toMatchObject({ name: '*36+*10', components: ['*36', '*10'] });
  });

  it('reads DPYD HGVS names, star aliases and the CPIC "NAME (ALIAS)" form', () => {
    expect(parseDiplotype('DPYD', 'c.1905+1G>A/c.1905+1G>A')).toMatchObject({ ok: true, diplotype: { text: 'c.1905+1G>A/c.1905+1G>A' } });
    expect(parseDiplotype('DPYD', '*2A/*13')).toMatchObject({ ok: true, diplotype: { text: 'c.1905+1G>A/c.1679T>G' } });
    expect(parseDiplotype('DPYD', 'c.1905+1G>A (*2A)/Reference')).toMatchObject({ ok: true });
    expect(parseDiplotype('DPYD', 'HapB3/*1')).toMatchObject({ ok: true, diplotype: { text: 'c.1129-5923C>G, c.1236G>A/Reference' } });
    expect(errorCode('DPYD', 'c.1905+1G>A (*13)/Reference')).toBe('unknown-allele');
  });

  it('reads single-SNP genotypes for VKORC1 and SLCO1B1 rs4149056', () => {
    for (const t of ['rs9923231 C/T', 'rs9923231 CT', 'C/T', 'TC', '-1639 G/A', '-1639 AG', 'VKORC1 -1639 GA', 'rs9923231 reference (C)/rs9923231 variant (T)']) {
      expect([t, phenotypeOf('VKORC1', t).phenotype]).toEqual([t, '-1639 AG']);
    }
    expect(phenotypeOf('VKORC1', 'rs9923231 T/T').phenotype).toBe('-1639 AA');
    expect(phenotypeOf('VKORC1', '-1639 GG').phenotype).toBe('-1639 GG');
    expect(errorCode('VKORC1', 'C/A')).toBe('mixed-notation');
    expect(phenotypeOf('SLCO1B1', 'rs4149056 T/T').phenotype).toBe('Normal Function');
    expect(phenotypeOf('SLCO1B1', 'rs4149056 T/C').phenotype).toBe('Decreased Function');
    expect(phenotypeOf('SLCO1B1', 'rs4149056 CC').phenotype).toBe('Poor Function');
    expect(errorCode('SLCO1B1', 'rs4149056 A/C')).toBe('unknown-allele');
  });

  it('returns typed errors for malformed text and unknown alleles', () => {
    expect(errorCode('CYP2C19', 'CYP2C19 *2')).toBe('malformed');
    expect(errorCode('CYP2C19', '*2/*999')).toBe('unknown-allele');
    expect(errorCode('CYP2C19', '')).toBe('empty');
    expect(errorCode('CYP2C19', '   ')).toBe('empty');
    expect(errorCode('CYP2C19', 'foo')).toBe('malformed');
    expect(errorCode('CYP2C19', '*1/*2/*3')).toBe('malformed');
    expect(errorCode('CYP2C19', '*1/')).toBe('malformed');
    expect(errorCode('CYP2C19', 'CYP2D6 *1/*2')).toBe('gene-mismatch');
    expect(errorCode('CYP2C19', 'HLA-B*57:01/*08:01')).toBe('gene-mismatch');
    expect(errorCode('CYP2C19', '*1x2/*2')).toBe('copy-number-not-supported');
    expect(errorCode('ABCG2', '*1/*2')).toBe('unknown-gene');
    expect(errorCode('HLA-B', '*57:01/*08:01')).toBe('unknown-gene');
    const r = parseDiplotype('CYP2C19', '*2/*999');
    expect(!r.ok && r.error.allele).toBe('*999');
  });
});

describe('phenotypeOf', () => {
  it('computes CPIC phenotypes from the rule tables', () => {
    expect(phenotypeOf('CYP2C19', '*2/*2').phenotype).toBe('Poor Metabolizer');
    expect(phenotypeOf('CYP2C19', '*1/*2').phenotype).toBe('Intermediate Metabolizer');
    expect(phenotypeOf('CYP2C19', '*17/*17').phenotype).toBe('Ultrarapid Metabolizer');
    expect(phenotypeOf('CYP2C19', '*2/*9').phenotype).toBe('Likely Poor Metabolizer');
    expect(phenotypeOf('CYP2C9', '*1/*3')).toMatchObject({ phenotype: 'Intermediate Metabolizer', activityScore: 1 });
    expect(phenotypeOf('CYP2C9', '*2/*3')).toMatchObject({ phenotype: 'Poor Metabolizer', activityScore: 0.5 });
    expect(phenotypeOf('DPYD', 'c.1129-5923C>G/Reference')).toMatchObject({ phenotype: 'Intermediate Metabolizer', activityScore: 1.5 });
    expect(phenotypeOf('CYP3A5', '*3/*3').phenotype).toBe('Poor Metabolizer');
    expect(phenotypeOf('CYP3A5', '*1/*3').phenotype).toBe('Intermediate Metabolizer');
    const r = phenotypeOf('TPMT', '*1/*3A');
    expect(r.alleleFunctions.map((f) => f.function)).toEqual(['Normal function', 'No function']);
    expect(r.source.url).toMatch(/^https:\/\//);
  });

  it('gives Indeterminate with a reason - never a guess - for unknown or uncertain alleles', () => {
    for (const [gene, text] of [
      ['CYP2C19', '*2/*999'],
      ['CYP2C19', '*1/*12'],
      ['CYP2C9', '*1/*7'],
      ['CYP2D6', '*1/*22'],
      ['DPYD', 'Reference/c.9999A>T'],
      ['CYP2C19', 'foo'],
      ['ABCG2', '*1/*1'],
    ] as const) {
      const r = phenotypeOf(gene, text);
      expect([gene, text, r.phenotype]).toEqual([gene, text, 'Indeterminate']);
      expect(r.reason).toBeTruthy();
      expect(r.activityScore).toBeUndefined();
    }
  });

  it('uses the two lowest-value variants for unphased DPYD results', () => {
    expect(dpydPhenotypeFromVariants([])).toMatchObject({ phenotype: 'Normal Metabolizer', activityScore: 2 });
    expect(dpydPhenotypeFromVariants(['c.2846A>T'])).toMatchObject({ phenotype: 'Intermediate Metabolizer', activityScore: 1.5 });
    expect(dpydPhenotypeFromVariants(['c.2846A>T', 'c.1905+1G>A (*2A)', 'c.85T>C'])).toMatchObject({ phenotype: 'Poor Metabolizer', activityScore: 0.5 });
    expect(dpydPhenotypeFromVariants(['c.9999A>T']).phenotype).toBe('Indeterminate');
  });
});

describe('phenotype names', () => {
  it('normalises to CPIC terms', () => {
    expect(normalizePhenotype('Poor metabolizer')).toBe('Poor Metabolizer');
    expect(normalizePhenotype('PM')).toBe('Poor Metabolizer');
    expect(normalizePhenotype('CYP2C19 ultra-rapid metaboliser')).toBe('Ultrarapid Metabolizer');
    expect(normalizePhenotype('UM')).toBe('Ultrarapid Metabolizer');
    expect(normalizePhenotype('Extensive metabolizer')).toBe('Normal Metabolizer');
    expect(normalizePhenotype('Intermediate metabolizer (IM)')).toBe('Intermediate Metabolizer');
    expect(normalizePhenotype('likely PM')).toBe('Likely Poor Metabolizer');
    expect(normalizePhenotype('Possible intermediate metabolizer')).toBe('Possible Intermediate Metabolizer');
    expect(normalizePhenotype('CYP3A5 non-expresser')).toBe('Poor Metabolizer');
    expect(normalizePhenotype('low function', 'SLCO1B1')).toBe('Poor Function');
    expect(normalizePhenotype('poor', 'SLCO1B1')).toBe('Poor Function');
    expect(normalizePhenotype('Decreased function')).toBe('Decreased Function');
    expect(normalizePhenotype('VKORC1 -1639 G/A')).toBe('-1639 AG');
    expect(normalizePhenotype('AA', 'VKORC1')).toBe('-1639 AA');
    expect(normalizePhenotype('rs9923231 CC')).toBe('-1639 GG');
    expect(normalizePhenotype('fast-ish')).toBeUndefined();
    expect(normalizePhenotype('Poor metabolizer (UM)')).toBeUndefined();
  });

  it('samePhenotype compares reported free text with the computed phenotype', () => {
    const computed = phenotypeOf('CYP2C19', '*2/*3');
    expect(samePhenotype('Poor metabolizer', computed)).toBe(true);
    expect(samePhenotype('PM', computed)).toBe(true);
    expect(samePhenotype('poor METABOLISER', 'Poor Metabolizer')).toBe(true);
    expect(samePhenotype('IM', computed)).toBe(false);
    expect(samePhenotype('nonsense', computed)).toBe(false);
    expect(samePhenotype('PM', 'Likely Poor Metabolizer')).toBe(false);
    expect(samePhenotype('PM', 'Likely Poor Metabolizer', { lenient: true })).toBe(true);
    expect(samePhenotype('poor', phenotypeOf('SLCO1B1', '*5/*5'))).toBe(true);
  });
});

describe('HLA carrier status', () => {
  it('normalises allele names', () => {
    expect(normalizeHlaAllele('hla-b*57:01')).toBe('HLA-B*57:01');
    expect(normalizeHlaAllele('HLA-B*5701')).toBe('HLA-B*57:01');
    expect(normalizeHlaAllele('B*15:02:01')).toBe('HLA-B*15:02');
    expect(normalizeHlaAllele('HLA-B*07:02')).toBeUndefined();
  });

  it('reads result words, copy counts and genotypes', () => {
    const s = (allele: string, text: string): string => hlaCarrierStatus(allele, text).status;
    expect(s('HLA-B*57:01', 'Positive')).toBe('positive');
    expect(s('HLA-B*57:01', 'HLA-B*57:01 detected')).toBe('positive');
    expect(s('HLA-B*57:01', 'not detected')).toBe('negative');
    expect(s('HLA-B*57:01', 'Negative')).toBe('negative');
    expect(s('HLA-B*57:01', 'non-carrier')).toBe('negative');
    expect(s('HLA-B*57:01', '1 copy')).toBe('positive');
    expect(s('HLA-B*57:01', 'HLA-B*57:01:01/HLA-B*44:02')).toBe('positive');
    expect(s('HLA-B*57:01', '*57:01/*08:01')).toBe('positive');
    expect(s('HLA-B*57:01', 'HLA-B*07:02/HLA-B*44:02')).toBe('negative');
    expect(s('HLA-B*15:02', 'HLA-B*15:01/*15:03')).toBe('negative');
    expect(s('HLA-B*57:01', 'HLA-B*58:01 positive')).toBe('indeterminate');
    expect(s('HLA-B*57:01', 'HLA-B*57:01')).toBe('indeterminate');
    expect(s('HLA-B*57:01', 'HLA-A*31:01/HLA-A*02:01')).toBe('indeterminate');
    expect(s('HLA-B*57:01', '')).toBe('indeterminate');
    expect(s('HLA-B*57:01', 'pending')).toBe('indeterminate');
    expect(hlaCarrierStatus('HLA-B*57:01', 'pending').reason).toBeTruthy();
  });
});
