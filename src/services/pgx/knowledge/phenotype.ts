/**
 * phenotypeOf: diplotype -> CPIC phenotype (with activity score where the gene uses one), computed from the
 * project's rule tables. Unknown alleles, uncertain/unknown allele function or an undeterminable copy number
 * give 'Indeterminate' with a reason - never a guess.
 */
import { alleleCallText, parseDiplotype } from './diplotype.js';
import { geneData, lookupAllele, toGeneSymbol } from './genes.js';
import type {
  AlleleCall,
  AlleleFunctionCall,
  Diplotype,
  GeneSymbol,
  ParseResult,
  Phenotype,
  PhenotypeResult,
  ScoreRange,
  SourceRef,
} from './types.js';

const CPIC_HOME: SourceRef = {
  citation: 'Clinical Pharmacogenetics Implementation Consortium (CPIC) guidelines',
  url: 'https://cpicpgx.org/guidelines/',
  published: '2025-11-05',
};

function round(x: number): number {
  return Math.round(x * 10000) / 10000;
}

function inRange(score: number, r: ScoreRange): boolean {
  if (r.min !== undefined && (r.minExclusive ? score <= r.min : score < r.min)) return false;
  if (r.max !== undefined && (r.maxExclusive ? score >= r.max : score > r.max)) return false;
  return true;
}

/** Phenotype for an activity score under the gene's CPIC ranges (undefined when no range covers it). */
export function phenotypeForScore(gene: GeneSymbol, score: number): Phenotype | undefined {
  const ranges = geneData(gene).table.activityScoreRanges ?? [];
  return ranges.find((r) => inRange(round(score), r))?.phenotype;
}

function componentsOf(call: AlleleCall): readonly string[] {
  return call.components ?? [call.name];
}

function functionCalls(gene: GeneSymbol, calls: readonly AlleleCall[]): AlleleFunctionCall[] {
  const out: AlleleFunctionCall[] = [];
  for (const call of calls) {
    for (const name of componentsOf(call)) {
      const info = lookupAllele(gene, name);
      const base = { allele: name, copies: call.copies, copiesAtLeast: call.copiesAtLeast };
      if (!info) out.push({ ...base, function: 'Not in table' });
      else if (info.activityValue !== undefined) out.push({ ...base, function: info.function, activityValue: info.activityValue });
      else out.push({ ...base, function: info.function });
    }
  }
  return out;
}

function indeterminate(
  gene: GeneSymbol | string,
  reason: string,
  alleleFunctions: readonly AlleleFunctionCall[] = [],
  diplotype?: string,
): PhenotypeResult {
  const symbol = toGeneSymbol(gene);
  const table = symbol ? geneData(symbol).table : undefined;
  return {
    gene: symbol ?? gene,
    phenotype: 'Indeterminate',
    alleleFunctions,
    ...(diplotype ? { diplotype } : {}),
    reason,
    source: table?.source ?? CPIC_HOME,
    cpicDataVersion: table?.cpicDataVersion ?? CPIC_HOME.published,
  };
}

function byFunctionPair(gene: GeneSymbol, d: Diplotype, fns: readonly AlleleFunctionCall[]): PhenotypeResult {
  const table = geneData(gene).table;
  const [f1, f2] = fns.map((f) => f.function);
  const base = { gene, alleleFunctions: fns, diplotype: d.text, source: table.source, cpicDataVersion: table.cpicDataVersion };
  if (fns.length !== 2 || !f1 || !f2) return indeterminate(gene, `${gene} takes exactly two single-copy alleles`, fns, d.text);
  const rule = (table.phenotypeRules ?? []).find(
    (r) => (r.functions[0] === f1 && r.functions[1] === f2) || (r.functions[0] === f2 && r.functions[1] === f1),
  );
  if (!rule) {
    const unsure = fns.filter((f) => f.function === 'Uncertain function' || f.function === 'Unknown function').map((f) => f.allele);
    const reason = unsure.length
      ? `allele function not established for ${unsure.join(', ')} (${[...new Set(fns.map((f) => f.function))].join(' + ')})`
      : `no CPIC phenotype for a ${f1} + ${f2} combination`;
    return { ...base, phenotype: 'Indeterminate', reason };
  }
  return { ...base, phenotype: rule.phenotype };
}

function byActivityScore(gene: GeneSymbol, d: Diplotype, fns: readonly AlleleFunctionCall[]): PhenotypeResult {
  const table = geneData(gene).table;
  const base = { gene, alleleFunctions: fns, diplotype: d.text, source: table.source, cpicDataVersion: table.cpicDataVersion };
  const missing = fns.filter((f) => f.activityValue === null || f.activityValue === undefined);
  if (missing.length) {
    return {
      ...base,
      phenotype: 'Indeterminate',
      reason: `no activity value for ${missing.map((f) => `${f.allele} (${f.function})`).join(', ')}`,
    };
  }
  let score = 0;
  let lowerBound = false;
  for (const f of fns) {
    const v = f.activityValue ?? 0;
    score += v * f.copies;
    if (f.copiesAtLeast && v > 0) lowerBound = true;
  }
  score = round(score);
  const phenotype = phenotypeForScore(gene, score);
  if (!phenotype) return { ...base, phenotype: 'Indeterminate', activityScore: score, reason: `activity score ${score} has no CPIC phenotype` };
  if (!lowerBound) return { ...base, phenotype, activityScore: score };
  // Copy number is only a lower bound: the phenotype holds only if every larger score gives the same one.
  const range = (table.activityScoreRanges ?? []).find((r) => r.phenotype === phenotype && inRange(score, r));
  if (range && range.max === undefined) return { ...base, phenotype, activityScore: score, activityScoreIsMinimum: true };
  return {
    ...base,
    phenotype: 'Indeterminate',
    activityScore: score,
    activityScoreIsMinimum: true,
    reason: `gene copy number not exact: activity score is at least ${score} (${phenotype} at the minimum, higher categories possible)`,
  };
}

/**
 * Phenotype of a diplotype. `diplotype` may be text ('*1/*2', 'CYP2D6 *1/*1x2'), a parsed Diplotype or a
 * parseDiplotype() result. Never throws.
 */
export function phenotypeOf(gene: string, diplotype: string | Diplotype | ParseResult): PhenotypeResult {
  const symbol = toGeneSymbol(gene);
  if (!symbol) return indeterminate(gene, `no phenotype rule table for gene '${gene}'`);
  let parsed: ParseResult;
  if (typeof diplotype === 'string') parsed = parseDiplotype(symbol, diplotype);
  else if ('ok' in diplotype) parsed = diplotype;
  else parsed = { ok: true, diplotype };
  if (!parsed.ok) return indeterminate(symbol, parsed.error.message);
  const d = parsed.diplotype;
  if (d.gene !== symbol) return indeterminate(symbol, `diplotype is for ${d.gene}, not ${symbol}`);
  const fns = functionCalls(symbol, d.alleles);
  const notInTable = fns.filter((f) => f.function === 'Not in table');
  if (notInTable.length) return indeterminate(symbol, `not in the rule table: ${notInTable.map((f) => f.allele).join(', ')}`, fns, d.text);
  const method = geneData(symbol).table.method;
  if (method === 'activity-score') return byActivityScore(symbol, d, fns);
  if (d.alleles.some((a) => a.copies !== 1 || a.copiesAtLeast || (a.components?.length ?? 1) > 1)) {
    return indeterminate(symbol, `${symbol} phenotypes are defined for single-copy alleles only (${d.alleles.map(alleleCallText).join('/')})`, fns, d.text);
  }
  return byFunctionPair(symbol, d, fns);
}

/**
 * DPYD from an unphased list of detected variants (each heterozygous variant once, homozygous twice):
 * CPIC's gene activity score is the sum of the two lowest variant activity values; missing slots count as
 * Reference (1.0).
 */
export function dpydPhenotypeFromVariants(variants: readonly string[]): PhenotypeResult {
  const gene: GeneSymbol = 'DPYD';
  const table = geneData(gene).table;
  const fns: AlleleFunctionCall[] = [];
  for (const v of variants) {
    const info = lookupAllele(gene, v) ?? lookupAllele(gene, v.replace(/\s*\([^()]*\)\s*$/, ''));
    if (!info) return indeterminate(gene, `DPYD variant '${v}' is not in the rule table`, fns);
    fns.push({ allele: info.name, copies: 1, copiesAtLeast: false, function: info.function, activityValue: info.activityValue ?? null });
  }
  const reference = lookupAllele(gene, 'Reference');
  const refValue = reference?.activityValue ?? 1;
  const values = fns.map((f) => f.activityValue ?? refValue).sort((a, b) => a - b);
  while (values.length < 2) values.push(refValue);
  const score = round((values[0] ?? refValue) + (values[1] ?? refValue));
  const phenotype = phenotypeForScore(gene, score) ?? 'Indeterminate';
  return {
    gene,
    phenotype,
    activityScore: score,
    alleleFunctions: fns,
    reason: `unphased variants: activity score from the two lowest-value variants (${values.slice(0, 2).join(' + ')})`,
    source: table.source,
    cpicDataVersion: table.cpicDataVersion,
  };
}
