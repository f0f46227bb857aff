/**
 * parseDiplotype: free-text diplotype -> two allele calls with copy numbers, or a typed error. The one parser of
 * diplotype text in the service: the FHIR input path (inputs/results.ts) and the phenotype look-up both use it.
 *
 * Accepted forms (gene prefix optional, e.g. 'CYP2C19 *1/*2', 'CYP2C19*1/*2', 'CYP2C19: *1/*2'):
 *  - star alleles '*1/*2', TPMT '*1/*3A', UGT1A1 '*1/*80+*28' (named haplotype)
 *  - CYP2D6 gene copies '*1/*1x2', '*2x3/*4', '*1xN/*4', '*1x>=3/*4' ('×', '≥' accepted) and tandems '*36+*10/*1'
 *  - DPYD HGVS names 'c.1905+1G>A/c.1905+1G>A', star aliases '*2A/*13', 'Reference/...' and the CPIC/PharmCAT
 *    'NAME (ALIAS)' form 'c.1905+1G>A (*2A)/Reference'; with the table's transcript ('NM_000110.4:c.1905+1G>A')
 *  - single-SNP genotypes, by any name the table gives the SNP: VKORC1 'rs9923231 C/T', 'C/T', 'CT', '-1639 G/A',
 *    '-1639 AG', 'VKORC1 -1639G>A A/G', 'c.-1639G>A A/A'; SLCO1B1 'rs4149056 T/C' (rs prefix required)
 *  - one variant with its zygosity, where the table has a reference allele or the SNP is named:
 *    'c.-1639G>A homozygous', 'NM_024006.6:c.-1639G>A heterozygous', 'NC_000016.10:g.31096368C>T het',
 *    'rs9923231 heterozygous', DPYD 'c.1905+1G>A heterozygous' (= Reference/c.1905+1G>A); or the zygosity given
 *    in `options` (an allelic-state component beside the value)
 *  - HGVS allele pairs 'c.[-1639G>A];[-1639G>A]', 'NM_000110.4:c.[1905+1G>A];[=]', 'NC_000016.10:g.[31096368C>T];[31096368=]'
 * HLA results are not diplotypes here: use hlaCarrierStatus() in hla.ts (and splitDiplotype() for HLA typings).
 */
import { alleleKey, geneData, lookupAllele, toGeneSymbol, type AlleleInfo } from './genes.js';
import type {
  AlleleCall,
  DiplotypeError,
  DiplotypeErrorCode,
  GeneSymbol,
  GeneTable,
  ParseOptions,
  ParseResult,
  SnpName,
  SnpSpec,
  Zygosity,
} from './types.js';

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

/**
 * RefSeq accessions before a c. name ('NM_000110.4:c.…', ClinVar's 'NM_024006.6(VKORC1):c.…'): removed when the
 * gene table lists the transcript (its c. names are the table's allele names); any other transcript is an error,
 * as c. positions are only meaningful on their own transcript. Genomic (NC_) names are matched whole, below.
 */
function stripTranscripts(gene: GeneSymbol, text: string): { text: string } | { error: DiplotypeError } {
  const listed = new Set((geneData(gene).table.hgvsTranscripts ?? []).map((t) => t.toUpperCase()));
  let error: DiplotypeError | undefined;
  const out = text.replace(/\b(N[MR]_\d+(?:\.\d+)?)(?:\(([A-Za-z0-9-]+)\))?:\s*/gi, (_all, acc: string, inParens: string | undefined) => {
    if (inParens && toGeneSymbol(inParens) !== gene) error ??= { code: 'gene-mismatch', message: `'${text}' names ${inParens}, expected ${gene}` };
    else if (!listed.has(acc.toUpperCase())) {
      const known = [...listed].join(', ') || 'none';
      error ??= { code: 'unknown-allele', message: `${gene} '${text}' is written on transcript ${acc}; the rule table's HGVS names are on ${known}`, allele: text };
    }
    return '';
  });
  return error ? { error } : { text: out };
}

interface Resolved {
  readonly info: AlleleInfo;
}

/** The SNP name ('c.-1639G>A', 'NC_000016.10:g.31096368C>T') that spells the variant itself, if `text` is one. */
function snpChangeName(snp: SnpSpec | undefined, text: string): SnpName | undefined {
  const k = alleleKey(text);
  return snp?.names.find((n) => n.change === true && alleleKey(n.name) === k);
}

/** Look an allele up by name/alias, also accepting the 'NAME (ALIAS)' form and the SNP's variant names. */
function resolveName(gene: GeneSymbol, raw: string): Resolved | DiplotypeError {
  const text = raw.trim();
  const direct = lookupAllele(gene, text);
  if (direct) return { info: direct };
  const snp = geneData(gene).table.snp;
  if (snp && snpChangeName(snp, text)) {
    const variant = lookupAllele(gene, snp.variant);
    if (variant) return { info: variant };
  }
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

// ----------------------------------------------------------------------------------- zygosity

const ZYGOSITY_WORD = '(homozygous|homozygote|hom|heterozygous|heterozygote|het|hemizygous)';
const TRAILING_ZYGOSITY = new RegExp(`^(.*?)[\\s,;:(\\[-]+${ZYGOSITY_WORD}\\s*[)\\]]?\\.?$`, 'i');
const LEADING_ZYGOSITY = new RegExp(`^${ZYGOSITY_WORD}\\s*(?:for\\s+)?[:,-]?\\s+(.+)$`, 'i');

function zygosityOf(word: string): Zygosity | 'hemizygous' {
  const w = word.toLowerCase();
  if (w.startsWith('hemi')) return 'hemizygous';
  return w.startsWith('hom') ? 'homozygous' : 'heterozygous';
}

/** 'c.-1639G>A homozygous' -> { name: 'c.-1639G>A', zygosity: 'homozygous' }; undefined when no zygosity word. */
function splitZygosity(text: string): { name: string; zygosity: Zygosity | 'hemizygous' } | undefined {
  const t = TRAILING_ZYGOSITY.exec(text);
  if (t?.[1] && t[2]) return { name: t[1].trim(), zygosity: zygosityOf(t[2]) };
  const l = LEADING_ZYGOSITY.exec(text);
  if (l?.[1] && l[2]) return { name: l[2].trim(), zygosity: zygosityOf(l[1]) };
  return undefined;
}

const call = (input: string, name: string): AlleleCall => ({ input, name, copies: 1, copiesAtLeast: false });

/** The allele a variant is paired with when reported heterozygous: the SNP's reference base, or the table's reference allele. */
function referenceFor(table: GeneTable, variant: string): string | undefined {
  if (table.snp && variant === table.snp.variant) return table.snp.reference;
  return table.referenceAllele;
}

/** Two allele names -> a diplotype built from a variant and its zygosity. */
function fromZygosity(gene: GeneSymbol, input: string, variant: string, zygosity: Zygosity | 'hemizygous'): ParseResult {
  if (zygosity === 'hemizygous') return fail('malformed', `${gene} '${input}': hemizygous is not a diplotype of this autosomal gene`);
  const table = geneData(gene).table;
  const reference = referenceFor(table, variant);
  if (!reference) {
    return fail(
      'malformed',
      `${gene} '${input}' gives one allele and its zygosity; ${gene} alleles are haplotypes, so both alleles are needed (e.g. *1/*2)`,
    );
  }
  if (variant === reference && zygosity === 'heterozygous') return fail('malformed', `${gene} '${input}': the reference allele cannot be heterozygous with itself`);
  const [a, b] = zygosity === 'homozygous' ? [variant, variant] : [reference, variant];
  return { ok: true, diplotype: { gene, alleles: [call(input, a), call(input, b)], text: `${a}/${b}`, fromZygosity: true } };
}

/** 'NAME zygosity' (or NAME with `options.zygosity`) for a named variant of the table. Undefined when the text is not that form. */
function parseVariantWithZygosity(gene: GeneSymbol, text: string, options: ParseOptions): ParseResult | undefined {
  if (text.includes('/')) return undefined;
  const split = splitZygosity(text);
  const name = split?.name ?? (options.zygosity ? text : undefined);
  const zygosity = split?.zygosity ?? options.zygosity;
  if (!name || !zygosity) return undefined;
  if (split && options.zygosity && split.zygosity !== options.zygosity) {
    return fail('contradictory', `${gene} '${text}' says ${split.zygosity} but the result's allelic state says ${options.zygosity}`);
  }
  const r = resolveName(gene, name);
  if (!('info' in r)) return split ? { ok: false, error: r } : undefined;
  return fromZygosity(gene, text, r.info.name, zygosity);
}

/** HGVS allele pair '[c.|NM_…:c.|NC_…:g.][X];[Y]' with '=' for the reference ('c.[1905+1G>A];[=]'). */
function parseHgvsPair(gene: GeneSymbol, text: string): ParseResult | undefined {
  const m = /^((?:N[CG]_\d+\.\d+:)?[cgn]\.)\[([^[\]]+)\]\s*;\s*\[([^[\]]+)\]$/i.exec(text);
  if (!m?.[1] || !m[2] || !m[3]) return undefined;
  const prefix = m[1];
  const table = geneData(gene).table;
  const isRef = (p: string): boolean => /^(?:[^>]*)=$/.test(p.trim());
  const parts = [m[2].trim(), m[3].trim()];
  const names: (string | 'ref')[] = [];
  for (const p of parts) {
    if (isRef(p)) {
      names.push('ref');
      continue;
    }
    const r = resolveName(gene, `${prefix}${p}`);
    if (!('info' in r)) return { ok: false, error: r };
    names.push(r.info.name);
  }
  // A '<position>=' must be the position of the variant it is paired with ('c.[-1639G>A];[-1639=]').
  const position = (p: string): string => p.replace(/=$/, '').replace(/[ACGT]+>[ACGT]+$|del[ACGT]*$|dup[ACGT]*$/i, '');
  const variantParts = parts.filter((p) => !isRef(p));
  for (const p of parts.filter(isRef)) {
    const pos = position(p);
    if (pos && variantParts.length > 0 && !variantParts.some((v) => position(v) === pos)) {
      return fail('malformed', `${gene} '${text}': '${p}' is not the position of '${variantParts[0]}'`);
    }
  }
  const variants = names.filter((n): n is string => n !== 'ref');
  const reference = variants[0] ? referenceFor(table, variants[0]) : table.referenceAllele ?? table.snp?.reference;
  if (!reference) return fail('malformed', `${gene} '${text}': no reference allele in the rule table for '='`);
  const [a, b] = names.map((n) => (n === 'ref' ? reference : n)) as [string, string];
  return { ok: true, diplotype: { gene, alleles: [call(text, a), call(text, b)], text: `${a}/${b}` } };
}

// ---------------------------------------------------------------------------------------- SNP

/** Does `text` name the gene's SNP (rsid, -1639, an HGVS name)? Lets the input path refuse letters with no variant named. */
export function namesSnp(gene: string, text: string): boolean {
  const symbol = toGeneSymbol(gene);
  const snp = symbol ? geneData(symbol).table.snp : undefined;
  if (!snp) return false;
  // HGVS allele pairs write the name around brackets: 'g.[31096368C>T];[31096368=]'.
  const t = text.toLowerCase().replace(/[[\]]/g, '');
  return [snp.rsid, ...snp.names.map((n) => n.name), snp.reference, snp.variant].some((n) => t.includes(n.toLowerCase()));
}

/** Letters ('A/G') of a SNP diplotype in a notation ('-1639' for VKORC1's gene strand, 'rsid' for the dbSNP letters). */
export function snpLetters(gene: GeneSymbol, alleles: readonly AlleleCall[], notation: string): string[] | undefined {
  const snp = geneData(gene).table.snp;
  if (!snp) return undefined;
  const letterOf = (name: string): string | undefined =>
    Object.entries(snp.alleles).find(([, spec]) => spec.allele === name && (spec.notation ?? 'rsid') === notation)?.[0];
  const letters = alleles.map((a) => letterOf(a.name));
  return letters.every((l): l is string => l !== undefined) ? letters : undefined;
}

const BOUNDARY_AFTER_NAME = /^(?:$|[^0-9>_.])/;

/**
 * Single-SNP genotype ('rs9923231 C/T', '-1639 AG', 'CT', 'c.-1639G>A A/A', 'rs9923231 heterozygous'), or
 * undefined when the text is not one (e.g. 'rs9923231 reference (C)/rs9923231 variant (T)' is left to the allele
 * names).
 */
function parseSnp(gene: GeneSymbol, text: string, options: ParseOptions): ParseResult | undefined {
  const table = geneData(gene).table;
  const snp = table.snp;
  if (!snp) return undefined;
  // '-1639 G>A' -> '-1639G>A'
  const t = text.trim().replace(/(\d)\s+([ACGT])\s*>\s*([ACGT])/gi, '$1$2>$3');
  let rest = t;
  let named: SnpName | undefined;
  for (const n of [...snp.names].sort((a, b) => b.name.length - a.name.length)) {
    if (t.toLowerCase().startsWith(n.name.toLowerCase()) && BOUNDARY_AFTER_NAME.test(t.slice(n.name.length))) {
      named = n;
      rest = t.slice(n.name.length).replace(/^[\s:=,]+/, '');
      break;
    }
  }
  if (!named && table.method !== 'genotype') return undefined;
  const m = /^([A-Za-z])\s*[/|]?\s*([A-Za-z])$/.exec(rest);
  if (!m?.[1] || !m[2]) {
    if (!named) return undefined;
    const z = splitZygosity(`x ${rest}`);
    if (rest === '' || (z && z.name === 'x')) {
      const zygosity = z?.zygosity ?? options.zygosity;
      if (!zygosity) return fail('malformed', `${gene} '${text}' names ${snp.rsid} but gives neither the genotype (e.g. ${Object.keys(snp.alleles).slice(0, 2).join('/')}) nor the zygosity`);
      if (z && options.zygosity && z.zygosity !== options.zygosity) {
        return fail('contradictory', `${gene} '${text}' says ${z.zygosity} but the result's allelic state says ${options.zygosity}`);
      }
      return fromZygosity(gene, text, snp.variant, zygosity);
    }
    return undefined;
  }
  const letters = [m[1].toUpperCase(), m[2].toUpperCase()] as const;
  const bad = letters.find((l) => !snp.alleles[l]);
  if (bad) return fail('unknown-allele', `${gene} ${snp.rsid}: base '${bad}' is not a known allele`, bad);
  const [s1, s2] = letters.map((l) => snp.alleles[l]!);
  const n1 = s1!.notation ?? 'rsid';
  const n2 = s2!.notation ?? 'rsid';
  if (n1 !== n2) return fail('mixed-notation', `${gene} genotype '${text}' mixes the letters of two notations (${snp.rsid} ${letters.join('/')})`);
  if (named && !named.notations.includes(n1)) {
    const allowed = Object.entries(snp.alleles)
      .filter(([, s]) => named.notations.includes(s.notation ?? 'rsid'))
      .map(([l]) => l)
      .join('/');
    return fail('mixed-notation', `${gene} '${text}': a genotype written as ${named.name} takes the letters ${allowed}, not ${letters.join('/')}`);
  }
  if (options.zygosity && (options.zygosity === 'homozygous') !== (s1!.allele === s2!.allele)) {
    return fail('contradictory', `${gene} genotype '${text}' is ${s1!.allele === s2!.allele ? 'homozygous' : 'heterozygous'} but the result's allelic state says ${options.zygosity}`);
  }
  const a1 = call(letters[0], s1!.allele);
  const a2 = call(letters[1], s2!.allele);
  return {
    ok: true,
    diplotype: { gene, alleles: [a1, a2], text: `${a1.name}/${a2.name}`, notation: n1 === '-1639' ? '-1639' : 'rsid' },
  };
}

/**
 * Parse a diplotype for `gene`. Never throws: malformed text, unknown genes and alleles not in the
 * rule table come back as `{ ok: false, error }` with a typed code.
 */
export function parseDiplotype(gene: string, text: string, options: ParseOptions = {}): ParseResult {
  const symbol = toGeneSymbol(gene);
  if (!symbol) {
    if (/^HLA-/i.test(gene.trim())) return fail('unknown-gene', `HLA results are carrier statuses, not diplotypes: use hlaCarrierStatus('${gene.trim()}', text)`);
    return fail('unknown-gene', `No phenotype rule table for gene '${gene}'`);
  }
  const input = (typeof text === 'string' ? text : '').normalize('NFKC').replace(/\s+/g, ' ').trim();
  if (!input) return fail('empty', `empty ${symbol} diplotype`);
  const g = stripGene(symbol, input);
  if ('error' in g) return { ok: false, error: g.error };
  if (!g.rest) return fail('malformed', `'${input}' has a gene name but no diplotype`);
  const tx = stripTranscripts(symbol, g.rest);
  if ('error' in tx) return { ok: false, error: tx.error };
  const body = tx.text.trim();
  if (!body) return fail('malformed', `'${input}' has a transcript but no variant`);
  if (NO_CALL.test(body)) return fail('malformed', `${symbol} '${input}' says '${body}' instead of a diplotype`);

  const snp = parseSnp(symbol, body, options);
  if (snp) return snp;
  const pair = parseHgvsPair(symbol, body);
  if (pair) return pair;
  const zygous = parseVariantWithZygosity(symbol, body, options);
  if (zygous) return zygous;

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
  if (options.zygosity && a1.copies === 1 && a2.copies === 1 && (options.zygosity === 'homozygous') !== (a1.name === a2.name)) {
    return fail('contradictory', `${symbol} diplotype '${input}' is ${a1.name === a2.name ? 'homozygous' : 'heterozygous'} but the result's allelic state says ${options.zygosity}`);
  }
  return { ok: true, diplotype: { gene: symbol, alleles: [a1, a2], text: `${alleleCallText(a1)}/${alleleCallText(a2)}` } };
}

/** True when two allele names resolve to the same allele of `gene` (aliases, case). */
export function sameAllele(gene: GeneSymbol, a: string, b: string): boolean {
  const x = lookupAllele(gene, a);
  const y = lookupAllele(gene, b);
  return x !== undefined && y !== undefined ? x.name === y.name : alleleKey(a) === alleleKey(b);
}

// ------------------------------------------------------------------ genes without a rule table

/** Values that are not a genotype at all. */
export const NO_CALL =
  /\b(unknown|indeterminate|undetermined|no\s*call|not\s+(determined|tested|performed|available|done)|failed|fail|inconclusive|invalid|pending|uninterpretable|see\s+(report|comment|note)s?|none)\b|^n\/?a$|^-+$|^\?+$/i;

/** Removes a leading gene symbol ('CYP2C19 *2/*2' -> '*2/*2') and repeated ones ('CYP2C19*1/CYP2C19*2', 'HLA-B*57:01/HLA-B*44:02'). */
export function stripGeneNames(gene: string, text: string): string {
  const g = gene.trim().replace(/[-]/g, '[-_ ]?');
  return text.replace(new RegExp(`(^|/)\\s*${g}(?=\\s|\\*|$)\\s*`, 'gi'), '$1').trim();
}

export type SplitResult =
  | { readonly ok: true; readonly alleles: readonly [string, string]; readonly text: string; readonly key: string }
  | { readonly ok: false; readonly error: DiplotypeError };

/**
 * Two alleles of a gene without a rule table (an HLA typing 'HLA-B*57:01/HLA-B*44:02', a gene reported as is):
 * the structure only - gene prefixes removed, exactly two alleles, no no-call words, no alternatives. The
 * alleles stay as written; `key` is order- and case-insensitive, for telling duplicates from conflicts.
 */
export function splitDiplotype(gene: string, raw: string): SplitResult {
  const rest = stripGeneNames(gene, raw ?? '');
  const err = (code: DiplotypeErrorCode, message: string): SplitResult => ({ ok: false, error: { code, message } });
  if (rest === '') return err('malformed', 'it names the gene but no diplotype');
  if (NO_CALL.test(rest)) return err('malformed', `it says '${rest}' instead of a diplotype`);
  const parts = rest.split('/');
  if (parts.length === 1) return err('malformed', `'${rest}' is a single allele, not a diplotype`);
  if (parts.length > 2) return err('malformed', `'${rest}' has more than two alleles (an ambiguous or combined result)`);
  const alleles = parts.map((p) => p.trim().replace(/\s+/g, ' '));
  if (alleles.some((a) => a === '')) return err('malformed', `'${rest}' lacks an allele`);
  if (alleles.some((a) => /(^|\s)(or|and)(\s|$)|[,;|]/i.test(a))) return err('malformed', `'${rest}' is ambiguous (several possible diplotypes)`);
  const [a, b] = alleles as [string, string];
  const key = [a, b]
    .map((x) => x.toLowerCase())
    .sort((x, y) => x.localeCompare(y, 'en', { numeric: true }))
    .join('/');
  return { ok: true, alleles: [a, b], text: `${a}/${b}`, key };
}
