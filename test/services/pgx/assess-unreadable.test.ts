/**
 * assessDrug with results on file that cannot be read: no advice that depends on their gene - no recommendation
 * naming it or that a row naming it would override, no standard row, no test order - and an 'unreadable'
 * assessment instead; advice that does not depend on it stands. Inputs go through extractPgxResults and
 * interpretResults, as in the service.
 */
import { describe, expect, it } from '@jest/globals';
import type { Observation } from 'fhir/r4.js';
import { assessDrug, interpretResults, type DrugAssessment } from '../../../src/services/pgx/assess.js';
import { extractPgxResults } from '../../../src/services/pgx/inputs/index.js';

const NOW = new Date('2026-06-01T00:00:00Z');
const LOINC = 'http://loinc.org';
const HGNC: Record<string, string> = { CYP2C9: 'HGNC:2623', TPMT: 'HGNC:12014', NUDT15: 'HGNC:23063', SLCO1B1: 'HGNC:10959', 'HLA-B': 'HGNC:4932', CYP2C19: 'HGNC:2621' };

let seq = 0;
function genotype(gene: string | undefined, text: string, more: Partial<Observation> = {}): Observation {
  seq += 1;
  return {
    resourceType: 'Observation',
    id: `o-${seq}`,
    status: 'final',
    code: { coding: [{ system: LOINC, code: '84413-4' }] },
    effectiveDateTime: '2025-01-10',
    valueCodeableConcept: { text },
    component: gene ? [{ code: { coding: [{ system: LOINC, code: '48018-6' }] }, valueCodeableConcept: { coding: [{ system: 'http://www.genenames.org/geneId', code: HGNC[gene]!, display: gene }] } }] : [],
    ...more,
  } as Observation;
}

const opts = (showStandard = false) => ({ showStandard, preTestingOverrides: {} });
const assess = (rxnorm: string, observations: Observation[], showStandard = false): DrugAssessment[] =>
  assessDrug(rxnorm, interpretResults(extractPgxResults(observations, NOW)), opts(showStandard));

/** One line per assessment: recommendation ids, or the kind and the genes withheld. */
function summary(a: readonly DrugAssessment[]): string[] {
  return a.map((x) => {
    if (x.kind === 'recommendations') return `recommend ${x.recommendations.map((r) => r.id).join(', ')}`;
    if (x.kind === 'unreadable') return `unreadable ${x.unreadable.genes.join(', ')}${x.unreadable.geneStated ? '' : ' (gene not stated)'}`;
    if (x.kind === 'test') return `test ${x.genes.join(', ')}`;
    return x.kind;
  });
}

const AZATHIOPRINE = '1256';
const PHENYTOIN = '8183';
const FLUVASTATIN = '41127';
const ABACAVIR = '190521';
const CITALOPRAM = '2556';
const CLOPIDOGREL = '32968';
const WARFARIN = '11289';

describe('assessDrug with unreadable results', () => {
  it('a readable and an unreadable result of the same gene: no advice from the readable one', () => {
    expect(summary(assess(CLOPIDOGREL, [genotype('CYP2C19', '*2/*2'), genotype('CYP2C19', '*2/*99')]))).toEqual(['unreadable CYP2C19']);
  });

  it('thiopurines: TPMT unreadable withholds the NUDT15 dose change, which a TPMT poor metabolizer row would override', () => {
    expect(summary(assess(AZATHIOPRINE, [genotype('TPMT', 'TPMT *1'), genotype('NUDT15', 'NUDT15 *1/*3')]))).toEqual(['unreadable TPMT']);
  });

  it('thiopurines: a TPMT poor metabolizer "avoid" stands when NUDT15 is unreadable (no NUDT15 row overrides it)', () => {
    expect(summary(assess(AZATHIOPRINE, [genotype('TPMT', 'TPMT *3A/*3A'), genotype('NUDT15', 'NUDT15 *1')]))).toEqual([
      'recommend cpic-tpmt-azathioprine-pm',
      'unreadable NUDT15',
    ]);
  });

  it('phenytoin: HLA-B*15:02 positive "avoid" stands with CYP2C9 unreadable; CYP2C9 advice is withheld when HLA-B*15:02 is unreadable', () => {
    const positive = genotype('HLA-B', 'HLA-B*15:02 positive');
    expect(summary(assess(PHENYTOIN, [positive, genotype('CYP2C9', 'CYP2C9 *3')]))).toEqual(['recommend cpic-hla-b-1502-phenytoin-positive', 'unreadable CYP2C9']);
    const unreadableHla = genotype('HLA-B', 'HLA-B*15:02 positive', { status: 'preliminary' });
    expect(summary(assess(PHENYTOIN, [unreadableHla, genotype('CYP2C9', 'CYP2C9 *3/*3')]))).toEqual(['unreadable HLA-B*15:02']);
  });

  it('a standard row is withheld when another gene of the drug is unreadable (that gene could override it)', () => {
    expect(summary(assess(FLUVASTATIN, [genotype('SLCO1B1', 'SLCO1B1 *1/*1')], true))).toEqual(['recommend cpic-slco1b1-fluvastatin-nf']);
    expect(summary(assess(FLUVASTATIN, [genotype('SLCO1B1', 'SLCO1B1 *1/*1'), genotype('CYP2C9', 'CYP2C9 *1/*99')], true))).toEqual(['unreadable CYP2C9']);
  });

  it('an HLA problem about one allele concerns that allele only; one without an allele concerns the locus', () => {
    const b5801 = [genotype('HLA-B', 'HLA-B*58:01 positive'), genotype('HLA-B', 'HLA-B*58:01 negative')];
    expect(summary(assess(ABACAVIR, b5801))).toEqual(['test HLA-B*57:01']);
    expect(summary(assess(ABACAVIR, [genotype('HLA-B', 'positive')]))).toEqual(['unreadable HLA-B*57:01']);
  });

  it('a result whose gene could not be read replaces a test order (it may be that test), and adds nothing elsewhere', () => {
    const geneless = genotype(undefined, '*2/*2');
    expect(summary(assess(ABACAVIR, [geneless]))).toEqual(['unreadable HLA-B*57:01 (gene not stated)']);
    expect(summary(assess(CITALOPRAM, [geneless]))).toEqual(['none']);
    expect(summary(assess(CLOPIDOGREL, [geneless, genotype('CYP2C19', '*1/*1')]))).toEqual(['none']);
  });

  it('warfarin: an unreadable VKORC1 or CYP2C9 result, or one of unknown gene while either is missing, stops the estimate', () => {
    const w = (o: Observation[]) => assess(WARFARIN, o).map((x) => (x.kind === 'warfarin' ? x.unreadable?.genes.join(', ') ?? 'estimate' : x.kind));
    expect(w([genotype('CYP2C9', 'CYP2C9 *1/*1')])).toEqual(['estimate']);
    expect(w([genotype('CYP2C9', 'CYP2C9 *1/*1/*2')])).toEqual(['CYP2C9']);
    expect(w([genotype('CYP2C9', 'CYP2C9 *1/*1'), genotype(undefined, 'A/A')])).toEqual(['VKORC1']);
  });
});

describe('assessDrug with results the rule table cannot use (never silence, never "not tested")', () => {
  const FLUOROURACIL = '4492';
  const notUsable = (a: readonly DrugAssessment[]) => a.filter((x) => x.kind === 'not-usable').map((x) => (x.kind === 'not-usable' ? `${x.finding.gene} ${x.finding.phenotype}: ${x.why}` : ''));
  const DPYD_HGNC = { DPYD: 'HGNC:3012' };
  Object.assign(HGNC, DPYD_HGNC);

  it('DPYD intermediate metabolizer reported without the activity score the fluorouracil rows are graded by: a not-usable card, no test order', () => {
    const a = assess(FLUOROURACIL, [genotype('DPYD', 'Intermediate Metabolizer')]);
    expect(a.map((x) => x.kind)).toEqual(['not-usable']);
    expect(notUsable(a)).toEqual([expect.stringMatching(/^DPYD Intermediate Metabolizer: .*activity score/)]);
  });

  it('the same with the activity score: the CPIC recommendation (control)', () => {
    expect(summary(assess(FLUOROURACIL, [genotype('DPYD', 'Reference/c.1905+1G>A (*2A)')]))).toEqual([expect.stringMatching(/^recommend /)]);
  });

  it('phenytoin: CYP2C9 intermediate metabolizer reported without the activity score (rows for 1.5 and 1 differ) is named, not dropped', () => {
    const a = assess(PHENYTOIN, [genotype('CYP2C9', 'Intermediate Metabolizer'), genotype('HLA-B', 'HLA-B*15:02 negative')]);
    expect(notUsable(a)).toEqual([expect.stringMatching(/^CYP2C9 Intermediate Metabolizer: .*activity score/)]);
    expect(a.some((x) => x.kind === 'test')).toBe(false);
  });
});
