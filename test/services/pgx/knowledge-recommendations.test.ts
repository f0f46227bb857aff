/** Recommendation and drug tables: integrity of the data, and the recommendationsFor() look-up. */
import { describe, expect, it } from '@jest/globals';
import {
  GENES,
  HLA_ALLELES,
  PHENOTYPES,
  allDrugs,
  allGuidelines,
  allRecommendationRows,
  drugInfo,
  drugKey,
  geneTable,
  isPreTestingExpected,
  phenotypeOf,
  recommendationsFor,
  type GeneSymbol,
  type Phenotype,
} from '../../../src/services/pgx/knowledge/index.js';

const rows = allRecommendationRows();
const drugs = allDrugs();
const guidelines = new Map(allGuidelines().map((g) => [g.id, g]));
const isGene = (g: string): g is GeneSymbol => (GENES as readonly string[]).includes(g);

/** Every phenotype a gene's rule table can produce. */
function producible(gene: GeneSymbol): Set<Phenotype> {
  const t = geneTable(gene);
  return new Set([...(t.phenotypeRules ?? []).map((r) => r.phenotype), ...(t.activityScoreRanges ?? []).map((r) => r.phenotype)]);
}

const REQUIRED = [
  ['CYP2C19', 'clopidogrel'],
  ['CYP2C19', 'citalopram'],
  ['CYP2C19', 'escitalopram'],
  ['CYP2C19', 'voriconazole'],
  ['CYP2D6', 'codeine'],
  ['CYP2D6', 'tramadol'],
  ['SLCO1B1', 'simvastatin'],
  ['SLCO1B1', 'atorvastatin'],
  ['SLCO1B1', 'rosuvastatin'],
  ['SLCO1B1', 'pravastatin'],
  ['SLCO1B1', 'pitavastatin'],
  ['SLCO1B1', 'lovastatin'],
  ['SLCO1B1', 'fluvastatin'],
  ['CYP2C9', 'fluvastatin'],
  ['TPMT', 'azathioprine'],
  ['TPMT', 'mercaptopurine'],
  ['TPMT', 'thioguanine'],
  ['NUDT15', 'azathioprine'],
  ['NUDT15', 'mercaptopurine'],
  ['NUDT15', 'thioguanine'],
  ['DPYD', 'fluorouracil'],
  ['DPYD', 'capecitabine'],
  ['HLA-B*57:01', 'abacavir'],
  ['HLA-B*15:02', 'carbamazepine'],
  ['HLA-B*15:02', 'oxcarbazepine'],
  ['HLA-B*58:01', 'allopurinol'],
  ['CYP2C9', 'phenytoin'],
  ['HLA-B*15:02', 'phenytoin'],
  ['CYP2C9', 'fosphenytoin'],
  ['HLA-B*15:02', 'fosphenytoin'],
  ['CYP3A5', 'tacrolimus'],
  ['UGT1A1', 'atazanavir'],
] as const;

/** Determinate phenotypes deliberately without a row (CPIC gives none). */
const KNOWN_GAPS = new Set(['tacrolimus|CYP3A5|Possible Intermediate Metabolizer']);

describe('recommendation table integrity', () => {
  it('has unique, stable ids', () => {
    const ids = rows.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^cpic-[a-z0-9.-]+$/);
  });

  it('every row references a known drug, gene/HLA allele and phenotype, and the drug lists that gene', () => {
    for (const r of rows) {
      const drug = drugInfo(r.drug);
      expect([r.id, drug?.name]).toEqual([r.id, expect.any(String)]);
      if (!drug) continue;
      expect(drugKey(drug)).toBe(r.drug);
      expect(Object.keys(r.when).length).toBeGreaterThan(0);
      for (const [gene, cond] of Object.entries(r.when)) {
        expect([r.id, drug.genes.includes(gene)]).toEqual([r.id, true]);
        if ((HLA_ALLELES as readonly string[]).includes(gene)) {
          expect([r.id, cond.hla]).toEqual([r.id, expect.stringMatching(/^(positive|negative)$/)]);
          expect(cond.phenotypes).toBeUndefined();
        } else {
          expect([r.id, isGene(gene)]).toEqual([r.id, true]);
          if (!isGene(gene)) continue;
          const can = producible(gene);
          expect(cond.phenotypes?.length).toBeGreaterThan(0);
          for (const p of cond.phenotypes ?? []) {
            expect(PHENOTYPES).toContain(p);
            expect([r.id, p, can.has(p)]).toEqual([r.id, p, true]);
            expect(p).not.toBe('Indeterminate');
          }
          if (cond.activityScores) expect(geneTable(gene).method).toBe('activity-score');
        }
      }
    }
  });

  it('every row has a guideline with URL and date, a CPIC strength, a severity and its own action text', () => {
    for (const r of rows) {
      const g = guidelines.get(r.guideline);
      expect([r.id, g?.url]).toEqual([r.id, expect.stringMatching(/^https:\/\//)]);
      expect(g?.published).toMatch(/^\d{4}(-\d{2}){0,2}$/);
      expect(g?.citation).toMatch(/Clin (Pharmacol Ther|Transl Sci)/);
      expect(['strong', 'moderate', 'optional']).toContain(r.strength);
      expect(['avoid', 'alternative', 'dose-change', 'standard']).toContain(r.severity);
      expect(['guideline-table', 'secondary-source', 'needs-review']).toContain(r.evidence);
      expect(r.action.length).toBeGreaterThan(20);
      if (r.dose) {
        expect(r.dose.text.length).toBeGreaterThan(5);
        if (r.dose.factor !== undefined) expect(r.dose.factor).toBeGreaterThan(0);
        if (r.dose.factorRange) expect(r.dose.factorRange[0]).toBeLessThan(r.dose.factorRange[1]);
      }
      for (const s of r.supersedes ?? []) {
        const other = rows.find((x) => x.id === s);
        expect([r.id, s, other?.drug]).toEqual([r.id, s, r.drug]);
      }
    }
  });

  it("no 'avoid' row offers the same drug as its alternative, and alternatives carry verified RxNorm codes or names only", () => {
    for (const r of rows) {
      const drug = drugInfo(r.drug);
      for (const a of r.alternatives ?? []) {
        if (a.rxnorm !== undefined) expect(a.rxnorm).toMatch(/^\d+$/);
        if (r.severity === 'avoid') {
          expect([r.id, a.name.toLowerCase()]).not.toEqual([r.id, drug?.name.toLowerCase()]);
          if (a.rxnorm) expect([r.id, a.rxnorm]).not.toEqual([r.id, drug?.rxnorm]);
        }
      }
    }
  });

  it('covers the required gene-drug pairs and every determinate phenotype of each pair', () => {
    for (const [gene, name] of REQUIRED) {
      const drug = drugInfo(name);
      expect([name, drug?.genes.includes(gene)]).toEqual([name, true]);
      if (!drug) continue;
      const mine = rows.filter((r) => r.drug === drugKey(drug) && gene in r.when);
      expect([name, gene, mine.length > 0]).toEqual([name, gene, true]);
      if ((HLA_ALLELES as readonly string[]).includes(gene)) {
        const statuses = new Set(mine.map((r) => r.when[gene]?.hla));
        expect([name, gene, [...statuses].sort()]).toEqual([name, gene, ['negative', 'positive']]);
      } else if (isGene(gene)) {
        for (const p of producible(gene)) {
          if (p === 'Indeterminate' || KNOWN_GAPS.has(`${name}|${gene}|${p}`)) continue;
          const covered = mine.some((r) => r.when[gene]?.phenotypes?.includes(p));
          expect([name, gene, p, covered]).toEqual([name, gene, p, true]);
        }
      }
    }
  });

  it('lists the drugs with RxNorm ingredient codes and pre-prescription testing defaults', () => {
    for (const d of drugs) {
      if (d.rxnorm !== null) expect(d.rxnorm).toMatch(/^\d+$/);
      expect(d.genes.length).toBeGreaterThan(0);
      for (const g of d.genes) expect([...GENES, ...HLA_ALLELES]).toContain(g);
    }
    const pre = drugs.filter((d) => d.preTestingExpected).map((d) => d.name).sort();
    expect(pre).toEqual(['abacavir', 'azathioprine', 'capecitabine', 'carbamazepine', 'clopidogrel', 'fluorouracil', 'mercaptopurine', 'oxcarbazepine', 'thioguanine']);
    expect(drugInfo('32968')?.name).toBe('clopidogrel');
    expect(drugInfo('Clopidogrel')?.rxnorm).toBe('32968');
    expect(drugInfo('fosphenytoin')?.rxnorm).toBeNull();
    expect(isPreTestingExpected('2002')).toBe(true);
    expect(isPreTestingExpected('2002', { carbamazepine: false })).toBe(false);
    expect(isPreTestingExpected('8183', { '8183': true })).toBe(true);
  });
});

describe('recommendationsFor', () => {
  it('clopidogrel + CYP2C19 poor metabolizer -> avoid (critical) with prasugrel / ticagrelor', () => {
    const r = recommendationsFor('32968', { CYP2C19: phenotypeOf('CYP2C19', '*2/*2') });
    expect(r.noDrugAdvice).toBe(false);
    expect(r.recommendations.map((x) => x.id)).toEqual(['cpic-cyp2c19-clopidogrel-pm']);
    const [rec] = r.recommendations;
    expect(rec).toMatchObject({ severity: 'avoid', indicator: 'critical', strength: 'strong', drugName: 'clopidogrel' });
    expect(rec?.alternatives?.map((a) => a.rxnorm)).toEqual(['613391', '1116632']);
    expect(rec?.guideline.url).toBe('https://cpicpgx.org/guidelines/guideline-for-clopidogrel-and-cyp2c19/');
    expect(rec?.matched).toEqual({ CYP2C19: 'Poor Metabolizer' });
  });

  it('accepts free-text phenotypes and drug names', () => {
    expect(recommendationsFor('codeine', { CYP2D6: 'UM' }).recommendations[0]?.id).toBe('cpic-cyp2d6-codeine-um');
    expect(recommendationsFor('2670', { CYP2D6: 'normal metabolizer' }).recommendations[0]).toMatchObject({ severity: 'standard', indicator: 'info' });
    expect(recommendationsFor('clopidogrel', { CYP2C19: 'Likely intermediate metabolizer' }).recommendations[0]?.indicator).toBe('warning');
  });

  it('indeterminate or unknown results give no drug advice, with a flag', () => {
    const ind = recommendationsFor('32968', { CYP2C19: phenotypeOf('CYP2C19', '*1/*999') });
    expect(ind.noDrugAdvice).toBe(true);
    expect(ind.recommendations).toEqual([]);
    expect(ind.flags.map((f) => f.code)).toEqual(['indeterminate-result']);
    const odd = recommendationsFor('32968', { CYP2C19: 'sort of slow' });
    expect(odd.flags.map((f) => f.code)).toEqual(['unrecognised-result']);
    const none = recommendationsFor('32968', {});
    expect(none.flags.map((f) => f.code)).toEqual(['missing-result']);
    const hla = recommendationsFor('abacavir', { 'HLA-B*57:01': 'pending' });
    expect(hla.noDrugAdvice).toBe(true);
    expect(hla.flags[0]?.code).toBe('indeterminate-result');
    const unknown = recommendationsFor('999999', { CYP2C19: 'PM' });
    expect(unknown).toMatchObject({ noDrugAdvice: true, flags: [{ code: 'unknown-drug' }] });
  });

  it('HLA results: abacavir, carbamazepine (with HLA-A*31:01), allopurinol', () => {
    expect(recommendationsFor('190521', { 'HLA-B*57:01': 'positive' }).recommendations[0]).toMatchObject({ severity: 'avoid', indicator: 'critical' });
    expect(recommendationsFor('190521', { 'hla-b*5701': { status: 'negative' } }).recommendations[0]?.severity).toBe('standard');
    const cbz = recommendationsFor('2002', { 'HLA-B*15:02': 'HLA-B*15:02/HLA-B*40:01', 'HLA-A*31:01': 'positive' });
    expect(cbz.recommendations.map((x) => x.id)).toEqual(['cpic-hla-b-1502-carbamazepine-positive']);
    const cbzA = recommendationsFor('2002', { 'HLA-B*15:02': 'negative', 'HLA-A*31:01': 'positive' });
    expect(cbzA.recommendations.map((x) => x.id)).toEqual(['cpic-hla-a-3101-carbamazepine-positive']);
    const cbzNeg = recommendationsFor('2002', { 'HLA-B*15:02': 'negative' });
    expect(cbzNeg.recommendations.map((x) => x.id)).toEqual(['cpic-hla-b-1502-carbamazepine-negative']);
    expect(cbzNeg.flags.map((f) => [f.code, f.gene])).toEqual([['missing-result', 'HLA-A*31:01']]);
    expect(recommendationsFor('allopurinol', { 'HLA-B*58:01': '1 copy' }).recommendations[0]?.severity).toBe('avoid');
  });

  it('phenytoin combines HLA-B*15:02 and CYP2C9 (activity score decides intermediate dosing)', () => {
    const pos = recommendationsFor('8183', { 'HLA-B*15:02': 'positive', CYP2C9: phenotypeOf('CYP2C9', '*3/*3') });
    expect(pos.recommendations.map((x) => x.id)).toEqual(['cpic-hla-b-1502-phenytoin-positive']);
    const as1 = recommendationsFor('8183', { 'HLA-B*15:02': 'negative', CYP2C9: phenotypeOf('CYP2C9', '*1/*3') });
    expect(as1.recommendations.map((x) => x.id)).toEqual(['cpic-cyp2c9-phenytoin-im-as1']);
    expect(as1.recommendations[0]?.dose?.factor).toBe(0.75);
    const as15 = recommendationsFor('8183', { 'HLA-B*15:02': 'negative', CYP2C9: phenotypeOf('CYP2C9', '*1/*2') });
    expect(as15.recommendations.map((x) => x.id).sort()).toEqual(['cpic-cyp2c9-phenytoin-im-as1.5', 'cpic-hla-b-1502-phenytoin-negative']);
    const noScore = recommendationsFor('8183', { 'HLA-B*15:02': 'negative', CYP2C9: 'Intermediate Metabolizer' });
    expect(noScore.flags.map((f) => f.code)).toContain('activity-score-missing');
    const fos = recommendationsFor('fosphenytoin', { 'HLA-B*15:02': 'negative', CYP2C9: phenotypeOf('CYP2C9', '*3/*3') });
    expect(fos.recommendations.map((x) => x.id)).toEqual(['cpic-cyp2c9-fosphenytoin-pm']);
  });

  it('DPYD: activity score picks the intermediate row; poor metabolizers avoid', () => {
    const im = recommendationsFor('4492', { DPYD: phenotypeOf('DPYD', 'c.2846A>T/Reference') });
    expect(im.recommendations.map((x) => x.id)).toEqual(['cpic-dpyd-fluorouracil-im-as1.5']);
    expect(im.recommendations[0]?.dose?.factor).toBe(0.5);
    const im1 = recommendationsFor('194000', { DPYD: phenotypeOf('DPYD', '*2A/Reference') });
    expect(im1.recommendations[0]).toMatchObject({ id: 'cpic-dpyd-capecitabine-im-as1', strength: 'strong' });
    const pm = recommendationsFor('194000', { DPYD: phenotypeOf('DPYD', '*2A/*13') });
    expect(pm.recommendations[0]).toMatchObject({ severity: 'avoid', indicator: 'critical' });
    expect(recommendationsFor('194000', { DPYD: 'IM' }).flags.map((f) => f.code)).toEqual(['activity-score-missing']);
  });

  it('thiopurines: combined TPMT + NUDT15 logic', () => {
    const both = recommendationsFor('103', { TPMT: phenotypeOf('TPMT', '*1/*3A'), NUDT15: phenotypeOf('NUDT15', '*1/*3') });
    expect(both.recommendations.map((x) => x.id)).toEqual(['cpic-tpmt-nudt15-mercaptopurine-im-im']);
    expect(both.recommendations[0]?.dose?.factorRange).toEqual([0.2, 0.5]);
    const tpmtPm = recommendationsFor('1256', { TPMT: phenotypeOf('TPMT', '*3A/*3A'), NUDT15: phenotypeOf('NUDT15', '*1/*3') });
    expect(tpmtPm.recommendations.map((x) => x.id)).toEqual(['cpic-tpmt-azathioprine-pm']);
    const oneIm = recommendationsFor('10485', { TPMT: phenotypeOf('TPMT', '*1/*1'), NUDT15: phenotypeOf('NUDT15', '*1/*2') });
    expect(oneIm.recommendations.map((x) => x.id)).toEqual(['cpic-nudt15-thioguanine-im']);
    const normal = recommendationsFor('103', { TPMT: 'NM', NUDT15: 'NM' });
    expect(normal.recommendations.every((x) => x.severity === 'standard')).toBe(true);
    const onlyTpmt = recommendationsFor('103', { TPMT: phenotypeOf('TPMT', '*1/*3C') });
    expect(onlyTpmt.recommendations.map((x) => x.id)).toEqual(['cpic-tpmt-mercaptopurine-im']);
    expect(onlyTpmt.flags.map((f) => [f.code, f.gene])).toEqual([['missing-result', 'NUDT15']]);
  });

  it('fluvastatin returns both gene rows; statins use SLCO1B1 function terms', () => {
    const f = recommendationsFor('41127', { SLCO1B1: phenotypeOf('SLCO1B1', '*5/*5'), CYP2C9: phenotypeOf('CYP2C9', '*3/*3') });
    expect(f.recommendations.map((x) => x.dose?.maxDailyDoseMg).sort()).toEqual([20, 40]);
    const simva = recommendationsFor('36567', { SLCO1B1: phenotypeOf('SLCO1B1', 'rs4149056 T/C') });
    expect(simva.recommendations[0]).toMatchObject({ id: 'cpic-slco1b1-simvastatin-df', dose: { maxDailyDoseMg: 20, maxExclusive: true } });
    const ator = recommendationsFor('83367', { SLCO1B1: 'poor function' });
    expect(ator.recommendations[0]?.alternatives).toEqual([{ rxnorm: '301542', name: 'rosuvastatin' }]);
  });

  it('tacrolimus possible intermediate metabolizer has no CPIC row: flagged, no advice', () => {
    const r = recommendationsFor('42316', { CYP3A5: phenotypeOf('CYP3A5', '*1/*8') });
    expect(r.noDrugAdvice).toBe(true);
    expect(r.flags.map((f) => f.code)).toEqual(['no-recommendation-for-result']);
    expect(recommendationsFor('42316', { CYP3A5: phenotypeOf('CYP3A5', '*1/*3') }).recommendations[0]?.dose?.factorRange).toEqual([1.5, 2]);
  });

  it('warfarin points to the IWPC dosing model instead of a table row', () => {
    const r = recommendationsFor('11289', { CYP2C9: phenotypeOf('CYP2C9', '*1/*3'), VKORC1: phenotypeOf('VKORC1', '-1639 AG') });
    expect(r.recommendations).toEqual([]);
    expect(r.dosingModel).toMatchObject({ id: 'iwpc', module: 'src/models/reference/iwpc.ts' });
    expect(r.flags.map((f) => f.code)).toEqual(['dosing-model']);
  });
});
