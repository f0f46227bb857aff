/**
 * parseDiplotype: free-text diplotype -> two allele calls with copy numbers, or a typed error.
 *
 * Accepted forms (gene prefix optional, e.g. 'CYP2C19 *1/*2', 'CYP2C19*1/*2'):
 *  - star alleles '*1/*2', TPMT '*1/*3A', UGT1A1 '*1/*80+*28' (named haplotype)
 *  - CYP2D6 gene copies '*1/*1x2', '*2x3/*4', '*1xN/*4', '*1x>=3/*4' ('×', '≥' accepted) and tandems '*36+*10/*1'
 *  - DPYD HGVS names 'c.1905+1G>A/c.1905+1G>A', star aliases '*2A/*13', 'Reference/...' and the CPIC/PharmCAT
 *    'NAME (ALIAS)' form 'c.1905+1G>A (*2A)/Reference'
 *  - single-SNP genotypes: VKORC1 'rs9923231 C/T', 'C/T', 'CT', '-1639 G/A', '-1639 AG';
 *    SLCO1B1 'rs4149056 T/C' (rs prefix required)
 * HLA results are not diplotypes here: use hlaCarrierStatus() in hla.ts.
 */
import { alleleKey, geneData, lookupAllele, toGeneSymbol, type AlleleInfo } from './genes.js';
import type { AlleleCall, DiplotypeError, DiplotypeErrorCode, GeneSymbol, ParseResult } from './types.js';

const fail = (code: DiplotypeErrorCode, message: string, allele?: string): ParseResult => ({
  ok: false,
  error: allele === undefined ? { code, message } : { code, message, allele },
});

/** A leading gene symbol (optionally followed by ':' or spaces, or directly by '*'). */
const GENE_PREFIX = /^([A-Za-z][A-Za-z0-9]{2,}(?:-[A-Za-z0-9]+)?)(?=[\s:*]|$)\s*:?\s*/;

/** Remove a leading gene symbol; error if it names another gene. */
function stripGene(gene: GeneSymbol, text: string): { rest: string } | { error: DiplotypeError } {
  if (/^HLA-/i.test(text)) return { error: { code: 'gene-mismatch', message: `'${text}' is an HLA result, not a ${gene} diplotype` } };
  const m = GENE_PREFIX.exec(text);
  if (!m?.[1]) return { rest: text };
  const named = toGeneSymbol(m[1]);
  if (!named) return { rest: text };
  if (named !== gene) return { error: { code: 'gene-mismatch', message: `'${text}' names ${named}, expected ${gene}` } };
  return { rest: text.slice(m[0].length).trim() };
}

interface Resolved {
  readonly info: AlleleInfo;
}

/** Look an allele up by name/alias, also accepting the 'NAME (ALIAS)' form. */
function resolveName(gene: GeneSymbol, raw: string): Resolved | DiplotypeError {
  const text = raw.trim();
  const direct = lookupAllele(gene, text);
  if (direct) return { info: direct };
  const paren = /^(.*?)\s*\(([^()]+)\)$/.exec(text);
  if (paren?.[1] && paren[2]) {
    const a = lookupAllele(gene, paren[1]);
    const b = lookupAllele(gene, paren[2]);
    if (a && b && a.name !== b.name) {
      return { code: 'unknown-allele', message: `${gene} '${text}': '${paren[1]}' and '${paren[2]}' are different alleles`, allele: text };
    }
    const found = a ?? b;
    if (found) return { info: found };
  }
  return { code: 'unknown-allele', message: `${gene} allele '${text}' is not in the rule table`, allele: text };
}

const COPY_SUFFIX = /^(.*?)\s*[x×]\s*(\d+|n|(?:>=|≥)\s*\d+)$/i;

function parseAllele(gene: GeneSymbol, raw: string): AlleleCall | DiplotypeError {
  let text = raw.trim();
  const stripped = stripGene(gene, text);
  if ('error' in stripped) return stripped.error;
  text = stripped.rest;
  if (!text) return { code: 'malformed', message: `empty allele in ${gene} diplotype` };
  const table = geneData(gene).table;

  // Whole text first: some names contain '+' or 'x' (UGT1A1 '*80+*28').
  const whole = resolveName(gene, text);
  if ('info' in whole) return { input: raw.trim(), name: whole.info.name, copies: 1, copiesAtLeast: false };

  let base = text;
  let copies = 1;
  let copiesAtLeast = false;
  const cm = COPY_SUFFIX.exec(text);
  if (cm?.[1] && cm[2]) {
    if (table.copyNumber !== 'multiply') {
      return { code: 'copy-number-not-supported', message: `${gene} does not take gene copy numbers ('${text}')`, allele: text };
    }
    base = cm[1].trim().replace(/^\((.*)\)$/, '$1');
    const n = cm[2].replace(/\s+/g, '');
    if (/^n$/i.test(n)) {
      copies = 2;
      copiesAtLeast = true;
    } else if (/^(>=|≥)/.test(n)) {
      copies = Number(n.replace(/^(>=|≥)/, ''));
      copiesAtLeast = true;
    } else {
      copies = Number(n);
    }
    if (!Number.isInteger(copies) || copies < 1 || copies > 20) {
      return { code: 'malformed', message: `${gene} allele '${text}' has an invalid copy number`, allele: text };
    }
  }

  if (base.includes('+') && table.tandem === 'sum') {
    const parts = base.split('+').map((p) => p.trim());
    if (parts.some((p) => !p)) return { code: 'malformed', message: `${gene} tandem '${base}' has an empty part`, allele: text };
    const names: string[] = [];
    for (const p of parts) {
      const r = resolveName(gene, p);
      if (!('info' in r)) return r;
      names.push(r.info.name);
    }
    return { input: raw.trim(), name: names.join('+'), copies, copiesAtLeast, components: names };
  }

  const r = resolveName(gene, base);
  if (!('info' in r)) return r;
  return { input: raw.trim(), name: r.info.name, copies, copiesAtLeast };
}

/** Canonical text of one allele call: '*1', '*1x2', '*1x≥3', '*36+*10'. */
export function alleleCallText(a: AlleleCall): string {
  if (a.copies === 1 && !a.copiesAtLeast) return a.name;
  const name = a.components && a.components.length > 1 ? `(${a.name})` : a.name;
  if (a.copiesAtLeast) return a.copies === 2 ? `${name}xN` : `${name}x≥${a.copies}`;
  return `${name}x${a.copies}`;
}

/** Single-SNP genotype ('rs9923231 C/T', '-1639 AG', 'CT'), or undefined when the text is not one. */
function parseSnp(gene: GeneSymbol, text: string): ParseResult | undefined {
  const table = geneData(gene).table;
  const snp = table.snp;
  if (!snp) return undefined;
  let rest = text.trim();
  let prefixed = false;
  const prefixes = [snp.rsid, ...(snp.altPrefixes ?? [])].sort((a, b) => b.length - a.length);
  for (const p of prefixes) {
    if (rest.toLowerCase().startsWith(p.toLowerCase())) {
      rest = rest.slice(p.length).replace(/^[\s:=]+/, '');
      prefixed = true;
      break;
    }
  }
  if (!prefixed && table.method !== 'genotype') return undefined;
  const m = /^([A-Za-z])\s*\/?\s*([A-Za-z])$/.exec(rest);
  // Not two bases: let the allele-name parser handle it (e.g. 'rs9923231 reference (C)/rs9923231 variant (T)').
  if (!m?.[1] || !m[2]) return undefined;
  const letters = [m[1].toUpperCase(), m[2].toUpperCase()] as const;
  const specs = letters.map((l) => snp.alleles[l]);
  const bad = letters.find((l) => !snp.alleles[l]);
  if (bad) return fail('unknown-allele', `${gene} ${snp.rsid}: base '${bad}' is not a known allele`, bad);
  const [s1, s2] = specs;
  if (!s1 || !s2) return fail('unknown-allele', `${gene}: unknown base`);
  if ((s1.notation ?? 'rsid') !== (s2.notation ?? 'rsid')) {
    return fail('mixed-notation', `${gene} genotype '${text}' mixes ${snp.rsid} (C/T) and -1639 (G/A) letters`);
  }
  const call = (letter: string, allele: string): AlleleCall => ({ input: letter, name: allele, copies: 1, copiesAtLeast: false });
  const a1 = call(letters[0], s1.allele);
  const a2 = call(letters[1], s2.allele);
  return {
    ok: true,
    diplotype: { gene, alleles: [a1, a2], text: `${a1.name}/${a2.name}`, notation: s1.notation === '-1639' ? '-1639' : 'rsid' },
  };
}

/**
 * Parse a diplotype for `gene`. Never throws: malformed text, unknown genes and alleles not in the
 * rule table come back as `{ ok: false, error }` with a typed code.
 */
export function parseDiplotype(gene: string, text: string): ParseResult {
  const symbol = toGeneSymbol(gene);
  if (!symbol) {
    if (/^HLA-/i.test(gene.trim())) return fail('unknown-gene', `HLA results are carrier statuses, not diplotypes: use hlaCarrierStatus('${gene.trim()}', text)`);
    return fail('unknown-gene', `No phenotype rule table for gene '${gene}'`);
  }
  const input = (text ?? '').trim();
  if (!input) return fail('empty', `empty ${symbol} diplotype`);
  const g = stripGene(symbol, input);
  if ('error' in g) return { ok: false, error: g.error };
  const body = g.rest;
  if (!body) return fail('malformed', `'${input}' has a gene name but no diplotype`);

  const snp = parseSnp(symbol, body);
  if (snp) return snp;

  // A whole-text single allele that contains no '/' is a haplotype, not a diplotype.
  const parts = body.split('/');
  if (parts.length !== 2) {
    const hint = parts.length === 1 ? 'two alleles separated by \'/\' are needed' : 'more than two alleles';
    return fail('malformed', `${symbol} diplotype '${input}': ${hint}`);
  }
  const calls: AlleleCall[] = [];
  for (const part of parts) {
    if (!part.trim()) return fail('malformed', `${symbol} diplotype '${input}' has an empty allele`);
    const r = parseAllele(symbol, part);
    if ('code' in r) return { ok: false, error: r };
    calls.push(r);
  }
  const [a1, a2] = calls as [AlleleCall, AlleleCall];
  return { ok: true, diplotype: { gene: symbol, alleles: [a1, a2], text: `${alleleCallText(a1)}/${alleleCallText(a2)}` } };
}

/** True when two allele names resolve to the same allele of `gene` (aliases, case). */
export function sameAllele(gene: GeneSymbol, a: string, b: string): boolean {
  const x = lookupAllele(gene, a);
  const y = lookupAllele(gene, b);
  return x !== undefined && y !== undefined ? x.name === y.name : alleleKey(a) === alleleKey(b);
}
