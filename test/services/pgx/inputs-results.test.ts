import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Bundle, Observation, ObservationComponent } from 'fhir/r4.js';
import { extractPgxResults, isUnreadable, type PgxResults } from '../../../src/services/pgx/inputs/results.js';

/*
 * extractPgxResults on the pgx-* fixture patients (fhir-fixtures/README.md, "Pharmacogenomics")
 * and on hand-made Observations in the shapes and alternatives the reader accepts.
 */

const ANCHOR = new Date('2026-06-01T00:00:00Z');

function fixtureObservations(file: string): Observation[] {
  const bundle = JSON.parse(readFileSync(resolve(process.cwd(), 'fhir-fixtures', file), 'utf8')) as Bundle;
  return (bundle.entry ?? []).map((e) => e.resource!).filter((r): r is Observation => r.resourceType === 'Observation');
}

function deepFreeze<T>(x: T): T {
  if (x && typeof x === 'object' && !Object.isFrozen(x)) {
    Object.freeze(x);
    for (const v of Object.values(x as object)) deepFreeze(v);
  }
  return x;
}

function read(observations: Observation[]): PgxResults {
  return extractPgxResults(deepFreeze(observations), ANCHOR);
}

const LOINC = 'http://loinc.org';
const HGNC: Record<string, string> = { CYP2C19: 'HGNC:2621', CYP2D6: 'HGNC:2625', CYP2C9: 'HGNC:2623', VKORC1: 'HGNC:23663', 'HLA-B': 'HGNC:4932', DPYD: 'HGNC:3012' };

function geneComponent(gene: string): ObservationComponent {
  const coding = HGNC[gene] ? { system: 'http://www.genenames.org/geneId', code: HGNC[gene], display: gene } : { display: gene };
  return { code: { coding: [{ system: LOINC, code: '48018-6' }] }, valueCodeableConcept: { coding: [coding] } };
}

let seq = 0;
function obs(partial: Partial<Observation> & { gene?: string; extra?: ObservationComponent[] }): Observation {
  const { gene, extra, ...rest } = partial;
  seq += 1;
  return {
    resourceType: 'Observation',
    id: `t-${seq}`,
    status: 'final',
    code: { coding: [{ system: LOINC, code: '84413-4', display: 'Genotype display name' }] },
    effectiveDateTime: '2025-01-10T10:00:00Z',
    issued: '2025-01-20T16:00:00Z',
    component: [...(gene ? [geneComponent(gene)] : []), ...(extra ?? [])],
    ...rest,
  } as Observation;
}

function genotype(gene: string | undefined, text: string, more: Partial<Observation> = {}): Observation {
  return obs({ gene, valueCodeableConcept: { text }, ...more });
}

function phenotype(gene: string | undefined, value: string, more: Partial<Observation> & { extra?: ObservationComponent[] } = {}): Observation {
  const { extra, ...rest } = more;
  return obs({
    gene,
    code: { coding: [{ system: 'http://hl7.org/fhir/uv/genomics-reporting/CodeSystem/tbd-codes-cs', code: 'therapeutic-implication' }] },
    extra: [{ code: { coding: [{ system: LOINC, code: '53040-2' }] }, valueCodeableConcept: { text: value } }, ...(extra ?? [])],
    ...rest,
  });
}

function haplotypeComponent(allele: string): ObservationComponent {
  return {
    code: { coding: [{ system: LOINC, code: '84414-2' }] },
    valueCodeableConcept: { coding: [{ system: 'http://www.ebi.ac.uk/ipd/imgt/hla', code: allele, display: allele }] },
  };
}

const kinds = (r: PgxResults): string[] => r.problems.map((p) => `${p.kind}:${p.gene ?? ''}`);

describe('fixture patients', () => {
  it('12 pgx-cyp2c19-poor: CYP2C19 *2/*2 and a reported Poor metabolizer for clopidogrel', () => {
    const r = read(fixtureObservations('12-pgx-cyp2c19-poor.json'));
    expect(r.genotypes).toEqual({
      CYP2C19: {
        gene: 'CYP2C19',
        diplotype: '*2/*2',
        raw: 'CYP2C19 *2/*2',
        date: '2025-04-07T10:00:00Z',
        source: ['Observation/pgx-cyp2c19-poor-pgx-1'],
      },
    });
    expect(r.phenotypes.CYP2C19).toEqual([
      {
        gene: 'CYP2C19',
        phenotype: 'Poor metabolizer',
        drug: { rxnorm: '32968', text: 'clopidogrel' },
        date: '2025-04-21T16:30:00Z',
        source: ['Observation/pgx-cyp2c19-poor-pgx-2'],
      },
    ]);
    expect(r.hla).toEqual({});
    expect(r.variants).toEqual({});
    expect(r.problems).toEqual([]);
  });

  it('13 and 14: HLA-B*57:01 positive / negative', () => {
    const pos = read(fixtureObservations('13-pgx-hla-b5701-positive.json'));
    expect(pos.hla).toEqual({
      'HLA-B*57:01': { allele: 'HLA-B*57:01', status: 'positive', date: '2025-12-03T10:00:00Z', source: ['Observation/pgx-hla-b5701-positive-pgx-1'] },
    });
    expect(pos.genotypes).toEqual({});
    expect(pos.problems).toEqual([]);
    const neg = read(fixtureObservations('14-pgx-hla-b5701-negative.json'));
    expect(neg.hla['HLA-B*57:01']?.status).toBe('negative');
    expect(neg.problems).toEqual([]);
  });

  it('15 pgx-cyp2d6-ultrarapid: copy-number diplotype kept as written', () => {
    const r = read(fixtureObservations('15-pgx-cyp2d6-ultrarapid.json'));
    expect(r.genotypes.CYP2D6?.diplotype).toBe('*1/*1x2');
    expect(r.phenotypes.CYP2D6?.[0]).toMatchObject({ phenotype: 'Ultrarapid metabolizer', drug: { rxnorm: '2670' } });
    expect(r.problems).toEqual([]);
  });

  it('16 pgx-warfarin: CYP2C9 *1/*3 and VKORC1 -1639 A/G', () => {
    const r = read(fixtureObservations('16-pgx-warfarin.json'));
    expect(r.genotypes.CYP2C9?.diplotype).toBe('*1/*3');
    expect(r.genotypes.VKORC1).toBeUndefined();
    expect(r.variants.VKORC1).toEqual({
      gene: 'VKORC1',
      rsid: 'rs9923231',
      genotype: 'A/G',
      raw: 'VKORC1 -1639G>A A/G',
      date: '2026-05-11T10:00:00Z',
      source: ['Observation/pgx-warfarin-pgx-2'],
    });
    expect(r.problems).toEqual([]);
  });

  it('17 pgx-multi: all seven genes and four phenotypes', () => {
    const r = read(fixtureObservations('17-pgx-multi.json'));
    expect(Object.fromEntries(Object.entries(r.genotypes).map(([g, v]) => [g, v.diplotype]))).toEqual({
      TPMT: '*1/*3A',
      NUDT15: '*1/*1',
      DPYD: 'Reference/c.1905+1G>A (*2A)',
      SLCO1B1: '*5/*15',
      CYP3A5: '*3/*3',
      UGT1A1: '*28/*28',
      CYP2C9: '*2/*3',
    });
    expect(Object.fromEntries(Object.entries(r.phenotypes).map(([g, v]) => [g, v.map((p) => p.phenotype)]))).toEqual({
      TPMT: ['Intermediate metabolizer'],
      DPYD: ['Intermediate metabolizer'],
      UGT1A1: ['Poor metabolizer'],
      CYP2C9: ['Poor metabolizer'],
    });
    expect(r.phenotypes.TPMT?.[0]?.drug).toBeUndefined();
    expect(r.problems).toEqual([]);
  });

  it('18 pgx-no-results: nothing, and the vitals and labs are ignored', () => {
    const r = read(fixtureObservations('18-pgx-no-results.json'));
    expect(r).toEqual({ genotypes: {}, phenotypes: {}, hla: {}, variants: {}, problems: [] });
  });

  it('19 pgx-hla-b1502-b5801: two HLA-B alleles positive and CYP2C9 *1/*1', () => {
    const r = read(fixtureObservations('19-pgx-hla-b1502-b5801.json'));
    expect(Object.fromEntries(Object.entries(r.hla).map(([a, v]) => [a, v.status]))).toEqual({
      'HLA-B*15:02': 'positive',
      'HLA-B*58:01': 'positive',
    });
    expect(r.genotypes.CYP2C9?.diplotype).toBe('*1/*1');
    expect(r.problems).toEqual([]);
  });

  it('20 pgx-conflicting: genotype *1/*1 and the outside Poor metabolizer are both passed on', () => {
    const r = read(fixtureObservations('20-pgx-conflicting.json'));
    expect(r.genotypes.CYP2C19?.diplotype).toBe('*1/*1');
    expect(r.phenotypes.CYP2C19?.map((p) => p.phenotype)).toEqual(['Poor metabolizer']);
    // The disagreement between genotype and phenotype is the service's to judge, not an input problem.
    expect(r.problems).toEqual([]);
  });

  it('does not change its input', () => {
    const observations = fixtureObservations('17-pgx-multi.json');
    const before = JSON.stringify(observations);
    extractPgxResults(deepFreeze(observations), ANCHOR);
    expect(JSON.stringify(observations)).toBe(before);
  });
});

describe('genotypes', () => {
  it('accepts the gene from the value when there is no gene component, a valueString, and no space before the star', () => {
    const r = read([
      genotype(undefined, 'CYP2C19 *1/*17'),
      obs({ gene: 'CYP2D6', valueString: 'CYP2D6*1/*4' }),
      obs({ gene: 'CYP2C9', valueCodeableConcept: { coding: [{ system: 'http://www.pharmvar.org', code: 'CYP2C9 *1/*2' }] } }),
    ]);
    expect(r.genotypes.CYP2C19?.diplotype).toBe('*1/*17');
    expect(r.genotypes.CYP2D6?.diplotype).toBe('*1/*4');
    expect(r.genotypes.CYP2C9?.diplotype).toBe('*1/*2');
    expect(r.problems).toEqual([]);
  });

  // Was 'keeps unknown alleles as written (the phenotype step decides)': an allele the rule table does not
  // know made an Indeterminate phenotype, and a malformed result became "not tested" downstream. Now it is a
  // problem that names the result (task genotypes: unknown allele = unreadable).
  it('an allele the rule table does not know is not a result: an unknown-allele problem naming the result as written', () => {
    const unknown = genotype('CYP2C19', 'CYP2C19 *1/*99');
    const r = read([unknown, genotype('CYP2D6', 'CYP2D6 *2x2 / *4')]);
    expect(r.genotypes.CYP2C19).toBeUndefined();
    expect(r.genotypes.CYP2D6?.diplotype).toBe('*2x2/*4');
    expect(kinds(r)).toEqual(['unknown-allele:CYP2C19']);
    expect(r.problems[0]?.results).toEqual([{ source: `Observation/${unknown.id}`, date: '2025-01-10T10:00:00Z', value: 'CYP2C19 *1/*99' }]);
    expect(r.problems[0]?.reason).toMatch(/\*99/);
  });

  it('a CPIC phenotype term or activity score written as the genotype (CPIC generesult / lookupkey) is a reported phenotype', () => {
    const r = read([genotype('CYP2C19', 'CYP2C19 Likely Poor Metabolizer'), genotype('CYP2C9', 'CYP2C9 1.5'), genotype('DPYD', 'n/a'), genotype('TPMT', 'Indeterminate')]);
    expect(r.genotypes).toEqual({});
    expect(Object.fromEntries(Object.entries(r.phenotypes).map(([g, v]) => [g, v.map((p) => [p.phenotype, p.activityScore])]))).toEqual({
      CYP2C19: [['Likely Poor Metabolizer', undefined]],
      CYP2C9: [['Intermediate Metabolizer', 1.5]],
      DPYD: [['Indeterminate', undefined]],
      TPMT: [['Indeterminate', undefined]],
    });
    expect(r.problems).toEqual([]);
  });

  it.each([
    ['CYP2C19', 'only the gene'],
    ['*2', 'a single allele'],
    ['CYP2C19 unknown', 'unknown'],
    ['CYP2C19 PM', 'an abbreviation is not a genotype'],
    ['Poor Function', 'a phenotype term of another gene'],
    ['CYP2C19 *1/*2 or *1/*3', 'ambiguous'],
    ['*1/*2/*3', 'three alleles'],
    ['CYP2D6 *1/*2', 'another gene named in the value'],
    ['N/A', 'n/a'],
  ])('malformed value %p (%s) -> problem, no genotype', (text) => {
    const r = read([genotype('CYP2C19', text)]);
    expect(r.genotypes).toEqual({});
    expect(kinds(r)).toEqual(['malformed:CYP2C19']);
    expect(r.problems[0]?.source).toEqual([expect.stringMatching(/^Observation\/t-/)]);
    expect(r.problems[0]?.detail).toMatch(/cannot be used/);
  });

  it('an empty value is malformed', () => {
    const r = read([obs({ gene: 'CYP2C19', valueCodeableConcept: { text: '' } }), obs({ gene: 'CYP2C9' })]);
    expect(r.genotypes).toEqual({});
    expect(kinds(r)).toEqual(['malformed:CYP2C19', 'malformed:CYP2C9']);
  });

  it('a malformed report does not hide a readable one for the same gene', () => {
    const r = read([genotype('CYP2C19', 'CYP2C19 unknown'), genotype('CYP2C19', 'CYP2C19 *1/*2')]);
    expect(r.genotypes.CYP2C19?.diplotype).toBe('*1/*2');
    expect(kinds(r)).toEqual(['malformed:CYP2C19']);
  });

  it('the same diplotype twice (in either allele order): the newest report, a duplicate note', () => {
    const older = genotype('CYP2C19', 'CYP2C19 *1/*2', { effectiveDateTime: '2020-03-01', issued: '2020-03-05T00:00:00Z' });
    const newer = genotype('CYP2C19', 'CYP2C19 *2/*1', { effectiveDateTime: '2024-03-01', issued: '2024-03-05T00:00:00Z' });
    const r = read([older, newer]);
    expect(r.genotypes.CYP2C19).toEqual({
      gene: 'CYP2C19',
      diplotype: '*2/*1',
      raw: 'CYP2C19 *2/*1',
      date: '2024-03-01',
      source: [`Observation/${newer.id}`, `Observation/${older.id}`],
    });
    expect(kinds(r)).toEqual(['duplicate:CYP2C19']);
  });

  it('different diplotypes for one gene: conflicting, and no genotype for it', () => {
    const a = genotype('CYP2C19', 'CYP2C19 *1/*1');
    const b = genotype('CYP2C19', 'CYP2C19 *2/*2', { effectiveDateTime: '2025-06-01' });
    const r = read([a, b, genotype('CYP2C9', 'CYP2C9 *1/*1')]);
    expect(r.genotypes.CYP2C19).toBeUndefined();
    expect(r.genotypes.CYP2C9?.diplotype).toBe('*1/*1');
    expect(kinds(r)).toEqual(['conflicting:CYP2C19']);
    expect(r.problems[0]?.source.sort()).toEqual([`Observation/${a.id}`, `Observation/${b.id}`].sort());
    expect(r.problems[0]?.detail).toMatch(/\*1\/\*1.*versus.*\*2\/\*2|\*2\/\*2.*versus.*\*1\/\*1/);
  });

  it('the same Observation twice is one report', () => {
    const o = genotype('CYP2C19', 'CYP2C19 *1/*2');
    const r = read([o, structuredClone(o)]);
    expect(r.genotypes.CYP2C19?.source).toEqual([`Observation/${o.id}`]);
    expect(r.problems).toEqual([]);
  });

  it('only final, amended and corrected results count; preliminary ones are noted', () => {
    const r = read([
      genotype('CYP2C19', 'CYP2C19 *2/*2', { status: 'preliminary' }),
      genotype('CYP2C9', 'CYP2C9 *1/*3', { status: 'amended' }),
      genotype('CYP2D6', 'CYP2D6 *1/*1', { status: 'corrected' }),
      genotype('TPMT', 'TPMT *1/*3A', { status: 'entered-in-error' }),
      genotype('DPYD', 'DPYD *1/*1', { status: 'registered' }),
    ]);
    expect(Object.keys(r.genotypes).sort()).toEqual(['CYP2C9', 'CYP2D6']);
    expect(kinds(r)).toEqual(['unusable-status:CYP2C19', 'unusable-status:DPYD']);
    expect(r.problems[0]?.detail).toMatch(/preliminary/);
  });

  it('a result dated in the future is not used', () => {
    const r = read([genotype('CYP2C19', 'CYP2C19 *2/*2', { effectiveDateTime: '2026-08-01', issued: '2026-08-02T00:00:00Z' })]);
    expect(r.genotypes).toEqual({});
    expect(kinds(r)).toEqual(['malformed:CYP2C19']);
    expect(r.problems[0]?.detail).toMatch(/future/);
  });

  it('unknown genes: a symbol is kept with a note, an unknown HGNC id without a symbol is not used', () => {
    const r = read([
      genotype('ABCB1', 'ABCB1 *1/*2'),
      obs({
        valueCodeableConcept: { text: '*1/*2' },
        component: [{ code: { coding: [{ system: LOINC, code: '48018-6' }] }, valueCodeableConcept: { coding: [{ system: 'http://www.genenames.org/geneId', code: 'HGNC:99999' }] } }],
      }),
    ]);
    expect(r.genotypes.ABCB1?.diplotype).toBe('*1/*2');
    expect(r.problems.map((p) => p.kind)).toEqual(['unknown-gene', 'unknown-gene']);
    expect(r.problems[0]?.gene).toBe('ABCB1');
    expect(r.problems[1]?.detail).toMatch(/HGNC:99999/);
  });

  it('a star-allele diplotype with a dbSNP component stays a diplotype; a nucleotide genotype is a variant', () => {
    const dbsnp = (rsid: string): ObservationComponent => ({
      code: { coding: [{ system: LOINC, code: '81255-2' }] },
      valueCodeableConcept: { coding: [{ system: 'http://www.ncbi.nlm.nih.gov/SNP', code: rsid }] },
    });
    const r = read([
      obs({ gene: 'CYP2C19', extra: [dbsnp('rs12248560')], valueCodeableConcept: { text: 'CYP2C19 *1/*17' } }),
      obs({ gene: 'SLCO1B1', extra: [dbsnp('rs4149056')], valueCodeableConcept: { text: 'rs4149056 T/C' } }),
    ]);
    expect(r.genotypes.CYP2C19?.diplotype).toBe('*1/*17');
    expect(r.variants.SLCO1B1).toMatchObject({ gene: 'SLCO1B1', rsid: 'rs4149056', genotype: 'T/C' });
    expect(r.problems).toEqual([]);
  });

  it('a gene component naming two genes is malformed', () => {
    const o = genotype('CYP2C19', '*1/*2', { component: [geneComponent('CYP2C19'), geneComponent('CYP2C9')] });
    const r = read([o]);
    expect(r.genotypes).toEqual({});
    expect(r.problems.map((p) => p.kind)).toEqual(['malformed']);
  });
});

describe('haplotypes', () => {
  const hap = (gene: string, value: string, more: Partial<Observation> = {}): Observation =>
    obs({ gene, code: { coding: [{ system: LOINC, code: '84414-2' }] }, valueCodeableConcept: { text: value }, ...more });

  it('two haplotypes make a diplotype when the gene has no genotype', () => {
    const r = read([hap('CYP2C19', 'CYP2C19 *17'), hap('CYP2C19', '*1')]);
    expect(r.genotypes.CYP2C19).toMatchObject({ diplotype: '*1/*17', raw: 'CYP2C19 *17; *1' });
    expect(r.genotypes.CYP2C19?.source).toHaveLength(2);
    expect(r.problems).toEqual([]);
  });

  it('one haplotype marked homozygous makes a diplotype; one alone does not', () => {
    const homozygous = hap('CYP2C19', '*2', {
      component: [geneComponent('CYP2C19'), { code: { coding: [{ system: LOINC, code: '53034-5' }] }, valueCodeableConcept: { coding: [{ system: LOINC, code: 'LA6705-3', display: 'Homozygous' }] } }],
    });
    expect(read([homozygous]).genotypes.CYP2C19?.diplotype).toBe('*2/*2');
    const single = read([hap('CYP2D6', '*4')]);
    expect(single.genotypes).toEqual({});
    expect(kinds(single)).toEqual(['malformed:CYP2D6']);
  });

  it('are not used when a genotype is reported, and three are conflicting', () => {
    const withGenotype = read([genotype('CYP2C19', 'CYP2C19 *1/*2'), hap('CYP2C19', '*1'), hap('CYP2C19', '*2')]);
    expect(withGenotype.genotypes.CYP2C19?.diplotype).toBe('*1/*2');
    expect(withGenotype.genotypes.CYP2C19?.source).toHaveLength(1);
    expect(withGenotype.problems).toEqual([]);
    const three = read([hap('CYP2C9', '*1'), hap('CYP2C9', '*2'), hap('CYP2C9', '*3')]);
    expect(three.genotypes).toEqual({});
    expect(kinds(three)).toEqual(['conflicting:CYP2C9']);
  });
});

describe('phenotypes', () => {
  it('gene from the code text or from the genotype it was derived from; drug from 51963-7', () => {
    const g = genotype('CYP2D6', 'CYP2D6 *4/*4');
    const fromText = phenotype(undefined, 'Poor metabolizer', { code: { text: 'CYP2D6 phenotype', coding: [{ code: 'therapeutic-implication' }] } });
    const fromDerived = phenotype(undefined, 'Normal metabolizer', {
      derivedFrom: [{ reference: `Observation/${g.id}` }],
      extra: [{ code: { coding: [{ system: LOINC, code: '51963-7' }] }, valueCodeableConcept: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '10689', display: 'tramadol' }] } }],
    });
    const r = read([g, fromText, fromDerived]);
    expect(r.phenotypes.CYP2D6?.map((p) => [p.phenotype, p.drug?.rxnorm])).toEqual([
      ['Poor metabolizer', undefined],
      ['Normal metabolizer', '10689'],
    ]);
    // Two different CYP2D6 phenotypes are reported: both are kept, and the disagreement is noted.
    expect(kinds(r)).toEqual(['conflicting:CYP2D6']);
    expect(r.genotypes.CYP2D6?.diplotype).toBe('*4/*4');
  });

  it('the same phenotype twice is merged (newest first) with a duplicate note; no gene or value is malformed', () => {
    const a = phenotype('CYP2C19', 'Poor metabolizer', { effectiveDateTime: '2020-01-01', issued: '2020-01-01T00:00:00Z' });
    const b = phenotype('CYP2C19', 'Poor Metaboliser', { effectiveDateTime: '2024-01-01', issued: '2024-01-01T00:00:00Z' });
    const r = read([a, b, phenotype(undefined, 'Poor metabolizer'), phenotype('CYP2C9', '')]);
    expect(r.phenotypes.CYP2C19).toEqual([{ gene: 'CYP2C19', phenotype: 'Poor Metaboliser', date: '2024-01-01', source: [`Observation/${b.id}`, `Observation/${a.id}`] }]);
    expect(kinds(r)).toEqual(['malformed:', 'malformed:CYP2C9', 'duplicate:CYP2C19']);
  });
});

describe('HLA', () => {
  const hla = (valueOrMore: Partial<Observation>, allele?: string): Observation =>
    obs({ gene: 'HLA-B', extra: allele ? [haplotypeComponent(allele)] : [], ...valueOrMore });
  const statusOf = (o: Observation, allele = 'HLA-B*57:01'): string | undefined => read([o]).hla[allele]?.status;

  it.each([
    ['LOINC answer LA6576-8 Positive', { valueCodeableConcept: { coding: [{ system: LOINC, code: 'LA6576-8', display: 'Positive' }] } }, 'positive'],
    ['LOINC answer LA6577-6 Negative', { valueCodeableConcept: { coding: [{ system: LOINC, code: 'LA6577-6' }] } }, 'negative'],
    ['LOINC answer LA9633-4 Present', { valueCodeableConcept: { coding: [{ system: LOINC, code: 'LA9633-4' }] } }, 'positive'],
    ['LOINC answer LA11883-8 Not detected', { valueCodeableConcept: { coding: [{ system: LOINC, code: 'LA11883-8' }] } }, 'negative'],
    ['SNOMED 10828004 Positive', { valueCodeableConcept: { coding: [{ system: 'http://snomed.info/sct', code: '10828004' }] } }, 'positive'],
    ['interpretation NEG only', { interpretation: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: 'NEG' }] }] }, 'negative'],
    ["valueString 'present'", { valueString: 'present' }, 'positive'],
    ["text 'absent'", { valueCodeableConcept: { text: 'Absent' } }, 'negative'],
    ["text 'detected'", { valueCodeableConcept: { text: 'Detected' } }, 'positive'],
    ["text 'not detected'", { valueCodeableConcept: { text: 'Not detected' } }, 'negative'],
    ['valueBoolean true', { valueBoolean: true }, 'positive'],
  ])('%s with the allele in component 84414-2', (_label, value, expected) => {
    expect(statusOf(hla(value as Partial<Observation>, 'HLA-B*57:01'))).toBe(expected);
  });

  it('allele named in the value text only, old notation and three fields', () => {
    expect(statusOf(hla({ valueCodeableConcept: { text: 'HLA-B*5701 detected' } }))).toBe('positive');
    expect(statusOf(hla({ valueString: 'HLA-B*57:01:01 negative' }))).toBe('negative');
    expect(statusOf(obs({ valueCodeableConcept: { text: 'HLA-B*57:01 positive' } }))).toBe('positive'); // no gene component
  });

  it("a laboratory's own HLA test code, named by the allele", () => {
    const o = obs({
      code: { coding: [{ system: LOINC, code: 'lab-123', display: 'HLA-B*57:01 [Presence] in Blood' }] },
      component: [],
      valueCodeableConcept: { coding: [{ system: 'http://snomed.info/sct', code: '260385009', display: 'Negative' }] },
    });
    expect(statusOf(o)).toBe('negative');
  });

  it('contradictory or missing presence is not used', () => {
    const contradictory = hla({
      valueCodeableConcept: { text: 'HLA-B*57:01 negative' },
      interpretation: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: 'POS' }] }],
    });
    const r1 = read([contradictory]);
    expect(r1.hla).toEqual({});
    expect(kinds(r1)).toEqual(['conflicting:HLA-B']);
    const missing = read([hla({ valueCodeableConcept: { text: 'HLA-B*57:01' } })]);
    expect(missing.hla).toEqual({});
    expect(kinds(missing)).toEqual(['malformed:HLA-B']);
    const noAllele = read([hla({ valueCodeableConcept: { text: 'positive' } })]);
    expect(noAllele.hla).toEqual({});
    expect(kinds(noAllele)).toEqual(['malformed:HLA-B']);
  });

  it('positive in one report and negative in another: conflicting, no result; the same twice: duplicate', () => {
    const r = read([hla({ valueString: 'HLA-B*57:01 positive' }), hla({ valueString: 'HLA-B*57:01 negative' })]);
    expect(r.hla).toEqual({});
    expect(kinds(r)).toEqual(['conflicting:HLA-B']);
    const dup = read([hla({ valueString: 'HLA-B*58:01 negative' }), hla({ valueString: 'HLA-B*58:01 negative', effectiveDateTime: '2025-05-01' })]);
    expect(dup.hla['HLA-B*58:01']).toMatchObject({ status: 'negative', date: '2025-05-01' });
    expect(kinds(dup)).toEqual(['duplicate:HLA-B']);
  });

  it('an HLA-B typing is a genotype, and each allele typed is carried (positive); no negatives are inferred', () => {
    const r = read([hla({ valueCodeableConcept: { text: 'HLA-B*57:01/HLA-B*44:02' } })]);
    expect(r.genotypes['HLA-B']?.diplotype).toBe('*57:01/*44:02');
    expect(Object.fromEntries(Object.entries(r.hla).map(([a, v]) => [a, v.status]))).toEqual({ 'HLA-B*57:01': 'positive', 'HLA-B*44:02': 'positive' });
    expect(r.hla['HLA-B*58:01']).toBeUndefined();
    expect(r.problems).toEqual([]);
  });

  it('a haplotype Observation naming an HLA allele means the allele was found', () => {
    const o = obs({ gene: 'HLA-B', code: { coding: [{ system: LOINC, code: '84414-2' }] }, valueCodeableConcept: { text: 'HLA-B*58:01' } });
    expect(read([o]).hla['HLA-B*58:01']?.status).toBe('positive');
  });
});

describe('VKORC1 -1639G>A (rs9923231)', () => {
  const dbsnp: ObservationComponent = {
    code: { coding: [{ system: LOINC, code: '81255-2' }] },
    valueCodeableConcept: { coding: [{ system: 'http://www.ncbi.nlm.nih.gov/SNP', code: 'rs9923231' }] },
  };
  const vk = (text: string, withGene = true, withRsid = true): PgxResults =>
    read([obs({ gene: withGene ? 'VKORC1' : undefined, extra: withRsid ? [dbsnp] : [], valueCodeableConcept: { text } })]);

  it.each([
    ['VKORC1 -1639G>A A/G', 'A/G'],
    ['VKORC1 -1639G>A G/A', 'A/G'],
    ['VKORC1 -1639G>A G/G', 'G/G'],
    ['VKORC1 c.-1639G>A A/A', 'A/A'],
    // rs9923231 on the genomic plus strand: C = -1639 G, T = -1639 A
    ['rs9923231 C/T', 'A/G'],
    ['rs9923231 T/T', 'A/A'],
    ['rs9923231 C/C', 'G/G'],
    ['rs9923231 G/A', 'A/G'],
  ])('%p -> %p', (text, expected) => {
    const r = vk(text);
    expect(r.variants.VKORC1?.genotype).toBe(expected);
    expect(r.variants.VKORC1?.rsid).toBe('rs9923231');
    expect(r.problems).toEqual([]);
  });

  it('rs9923231 without a gene component is VKORC1', () => {
    expect(vk('rs9923231 C/T', false, true).variants.VKORC1?.genotype).toBe('A/G');
    expect(vk('RS9923231 T/T', false, false).variants.VKORC1?.genotype).toBe('A/A'); // a capitalised rsid is no gene symbol
    expect(vk('rs9923231 C/T', false, false).variants.VKORC1?.genotype).toBe('A/G'); // rsid in the text
  });

  it.each([
    ['VKORC1 -1639G>A C/T', 'a -1639 genotype in plus-strand letters'],
    ['rs9923231 C/A', 'mixed strands'],
    ['VKORC1 -1639G>A', 'no genotype'],
    ['VKORC1 1173C>T C/T', 'another VKORC1 variant'],
  ])('%p (%s) is malformed', (text) => {
    const r = vk(text);
    expect(r.variants).toEqual({});
    expect(kinds(r)).toEqual(['malformed:VKORC1']);
  });

  it('a bare VKORC1 A/G (no -1639, no rsid) is not guessed', () => {
    const r = vk('VKORC1 A/G', true, false);
    expect(r.variants).toEqual({});
    expect(kinds(r)).toEqual(['malformed:VKORC1']);
  });

  it('variant-shape Observations (69548-6): absent -> G/G, present heterozygous -> A/G, homozygous -> A/A', () => {
    const variant = (value: string | undefined, state?: string): Observation =>
      obs({
        gene: 'VKORC1',
        code: { coding: [{ system: LOINC, code: '69548-6' }] },
        extra: [dbsnp, ...(state ? [{ code: { coding: [{ system: LOINC, code: '53034-5' }] }, valueCodeableConcept: { coding: [{ system: LOINC, code: state }] } }] : [])],
        ...(value ? { valueCodeableConcept: { coding: [{ system: LOINC, code: value }] } } : {}),
      });
    expect(read([variant('LA9634-2')]).variants.VKORC1?.genotype).toBe('G/G');
    expect(read([variant('LA9633-4', 'LA6706-1')]).variants.VKORC1?.genotype).toBe('A/G');
    expect(read([variant('LA9633-4', 'LA6705-3')]).variants.VKORC1?.genotype).toBe('A/A');
    expect(kinds(read([variant('LA9633-4')]))).toEqual(['malformed:VKORC1']);
  });

  it('two reports that disagree: conflicting, no VKORC1 result', () => {
    const r = read([
      obs({ gene: 'VKORC1', extra: [dbsnp], valueCodeableConcept: { text: 'VKORC1 -1639G>A A/G' } }),
      obs({ gene: 'VKORC1', extra: [dbsnp], valueCodeableConcept: { text: 'rs9923231 T/T' } }),
    ]);
    expect(r.variants).toEqual({});
    expect(kinds(r)).toEqual(['conflicting:VKORC1']);
  });

  // These were normaliseVkorc1's cases; the input path now reads VKORC1 with the knowledge module's parser.
  it('strand rules: rs letters are complemented, -1639 takes G/A only, letters of both strands are refused', () => {
    expect(vk('rs9923231 T/C').variants.VKORC1?.genotype).toBe('A/G');
    expect(vk('VKORC1 -1639G>A G/G').variants.VKORC1?.genotype).toBe('G/G');
    expect(kinds(vk('VKORC1 -1639G>A C/T'))).toEqual(['malformed:VKORC1']);
    expect(kinds(vk('rs9923231 C/G'))).toEqual(['malformed:VKORC1']);
  });
});

describe('what counts as unreadable (isUnreadable)', () => {
  const variantObs = (gene: string, extra: ObservationComponent[], value?: string): Observation =>
    obs({
      gene,
      code: { coding: [{ system: LOINC, code: '69548-6' }] },
      extra,
      valueCodeableConcept: value ? { text: value } : { coding: [{ system: LOINC, code: 'LA9633-4', display: 'Present' }] },
    });
  const dbsnp = (rsid: string): ObservationComponent => ({ code: { coding: [{ system: LOINC, code: '81255-2' }] }, valueCodeableConcept: { coding: [{ system: 'http://www.ncbi.nlm.nih.gov/SNP', code: rsid }] } });
  const heterozygous: ObservationComponent = { code: { coding: [{ system: LOINC, code: '53034-5' }] }, valueCodeableConcept: { coding: [{ system: LOINC, code: 'LA6706-1' }] } };
  const unreadable = (r: PgxResults): string[] => r.problems.filter(isUnreadable).map((p) => `${p.kind}:${p.gene ?? ''}`);

  it("variant Observations beside a star-allele genotype are its evidence, not unreadable results", () => {
    const r = read([genotype('CYP2C19', 'CYP2C19 *2/*2'), variantObs('CYP2C19', [dbsnp('rs4244285'), heterozygous], 'rs4244285 A/A')]);
    expect(r.genotypes.CYP2C19?.diplotype).toBe('*2/*2');
    expect(unreadable(r)).toEqual([]);
  });

  it('a single variant of a star-allele gene with no genotype is unreadable (it does not give the diplotype)', () => {
    const r = read([variantObs('CYP2C19', [dbsnp('rs4244285')], 'rs4244285 A/A')]);
    expect(unreadable(r)).toEqual(['malformed:CYP2C19']);
    expect(r.problems[0]?.reason).toMatch(/single variant \(rs4244285\) does not give the CYP2C19 diplotype/);
  });

  it('a VKORC1 variant present with its allelic state is read only when it says which variant (dbSNP or HGVS component)', () => {
    const hgvs: ObservationComponent = { code: { coding: [{ system: LOINC, code: '81290-9' }] }, valueCodeableConcept: { coding: [{ system: 'http://varnomen.hgvs.org', code: 'NC_000016.10:g.31096368C>T' }] } };
    expect(read([variantObs('VKORC1', [hgvs, heterozygous])]).variants.VKORC1?.genotype).toBe('A/G');
    expect(unreadable(read([variantObs('VKORC1', [heterozygous])]))).toEqual(['malformed:VKORC1']);
    const other: ObservationComponent = { code: { coding: [{ system: LOINC, code: '48004-6' }] }, valueCodeableConcept: { coding: [{ system: 'http://varnomen.hgvs.org', code: 'NM_024006.6:c.174-136C>T' }] } };
    expect(unreadable(read([variantObs('VKORC1', [other, heterozygous])]))).toEqual(['malformed:VKORC1']);
  });

  it('an HGNC id outside the gene table is no gene a drug depends on: noted, not unreadable', () => {
    const r = read([
      obs({
        valueCodeableConcept: { text: '*1/*2' },
        component: [{ code: { coding: [{ system: LOINC, code: '48018-6' }] }, valueCodeableConcept: { coding: [{ system: 'http://www.genenames.org/geneId', code: 'HGNC:99999' }] } }],
      }),
    ]);
    expect(r.problems.map((p) => [p.kind, p.gene])).toEqual([['unknown-gene', 'HGNC:99999']]);
    expect(unreadable(r)).toEqual([]);
  });

  it('duplicates are not unreadable; not-final, future-dated and conflicting results are, with their gene or HLA allele', () => {
    const hlaPrelim = obs({ gene: 'HLA-B', status: 'preliminary', valueCodeableConcept: { text: 'HLA-B*57:01 positive' } });
    const r = read([
      genotype('CYP2C9', 'CYP2C9 *1/*1'),
      genotype('CYP2C9', 'CYP2C9 *1/*1', { effectiveDateTime: '2024-01-01' }),
      genotype('TPMT', 'TPMT *1/*1', { effectiveDateTime: '2026-09-01', issued: '2026-09-02T00:00:00Z' }),
      genotype('DPYD', 'DPYD *1/*1'),
      genotype('DPYD', 'DPYD *1/*2A'),
      hlaPrelim,
    ]);
    expect(r.problems.map((p) => [p.kind, p.gene, p.alleles, isUnreadable(p)])).toEqual([
      ['malformed', 'TPMT', undefined, true],
      ['unusable-status', 'HLA-B', ['HLA-B*57:01'], true],
      ['duplicate', 'CYP2C9', undefined, false],
      ['conflicting', 'DPYD', undefined, true],
    ]);
  });
});
