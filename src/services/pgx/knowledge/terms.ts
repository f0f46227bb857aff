/**
 * Phenotype names: normalise free text ('Poor metabolizer', 'PM', 'CYP2C19 ultra-rapid metaboliser',
 * 'SLCO1B1 low function', 'VKORC1 -1639 G/A') to CPIC's standard terms, and compare reported with computed.
 */
import { GENES, PHENOTYPES, type GeneSymbol, type Phenotype, type PhenotypeResult } from './types.js';

/** Lower-case text (after clean-up) -> CPIC term. */
const TERMS: ReadonlyMap<string, Phenotype> = new Map<string, Phenotype>([
  ...PHENOTYPES.map((p) => [p.toLowerCase(), p] as [string, Phenotype]),
  // metabolizer abbreviations and older names
  ['pm', 'Poor Metabolizer'],
  ['poor', 'Poor Metabolizer'],
  ['slow metabolizer', 'Poor Metabolizer'],
  ['im', 'Intermediate Metabolizer'],
  ['intermediate', 'Intermediate Metabolizer'],
  ['nm', 'Normal Metabolizer'],
  ['normal', 'Normal Metabolizer'],
  ['em', 'Normal Metabolizer'],
  ['extensive metabolizer', 'Normal Metabolizer'],
  ['extensive', 'Normal Metabolizer'],
  ['rm', 'Rapid Metabolizer'],
  ['rapid', 'Rapid Metabolizer'],
  ['um', 'Ultrarapid Metabolizer'],
  ['urm', 'Ultrarapid Metabolizer'],
  ['ultrarapid', 'Ultrarapid Metabolizer'],
  ['likely pm', 'Likely Poor Metabolizer'],
  ['likely poor', 'Likely Poor Metabolizer'],
  ['likely im', 'Likely Intermediate Metabolizer'],
  ['likely intermediate', 'Likely Intermediate Metabolizer'],
  ['possible im', 'Possible Intermediate Metabolizer'],
  ['possible intermediate', 'Possible Intermediate Metabolizer'],
  // CYP3A5 expresser wording: only non-expresser is unambiguous (expressers are NM or IM)
  ['non-expresser', 'Poor Metabolizer'],
  ['nonexpresser', 'Poor Metabolizer'],
  ['non expresser', 'Poor Metabolizer'],
  // transporter function (SLCO1B1); 2014 CPIC wording 'low' / 'intermediate' function
  ['low function', 'Poor Function'],
  ['poor function', 'Poor Function'],
  ['intermediate function', 'Decreased Function'],
  ['reduced function', 'Decreased Function'],
  ['decreased function', 'Decreased Function'],
  ['possible decreased function', 'Possible Decreased Function'],
  ['normal function', 'Normal Function'],
  ['increased function', 'Increased Function'],
  // no call
  ['indeterminate', 'Indeterminate'],
  ['unknown', 'Indeterminate'],
  ['n/a', 'Indeterminate'],
]);

/** For SLCO1B1 the one-word forms mean transporter function, not metabolism. */
const SLCO1B1_WORDS: ReadonlyMap<string, Phenotype> = new Map<string, Phenotype>([
  ['poor', 'Poor Function'],
  ['low', 'Poor Function'],
  ['decreased', 'Decreased Function'],
  ['intermediate', 'Decreased Function'],
  ['normal', 'Normal Function'],
  ['increased', 'Increased Function'],
  ['possible decreased', 'Possible Decreased Function'],
]);

const METABOLIZER_TERMS = new Set<Phenotype>(PHENOTYPES.filter((p) => p.endsWith('Metabolizer')));
const FUNCTION_TERMS = new Set<Phenotype>(PHENOTYPES.filter((p) => p.endsWith('Function')));

function clean(text: string): string {
  let t = text.normalize('NFKC').toLowerCase();
  for (const g of GENES) t = t.split(g.toLowerCase()).join(' ');
  return t
    .replace(/metaboli[sz]er(s)?/g, 'metabolizer')
    .replace(/ultra[\s-]+rapid/g, 'ultrarapid')
    .replace(/non[\s-]+expresser/g, 'non-expresser')
    .replace(/[_,;.]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

function vkorc1(text: string): Phenotype | undefined {
  const t = text.replace(/^c\s*/, '').replace(/\s+/g, ' ').trim();
  // -1639 notation uses G/A; rs9923231 forward-strand notation uses C/T (C = G, T = A). Not mixed.
  const m = /^(?:(-?\s*1639|rs9923231)\s*)?([gact])\s*\/?\s*([gact])$/.exec(t);
  if (!m?.[2] || !m[3]) return undefined;
  const pair = [m[2], m[3]];
  const minus = pair.every((l) => l === 'g' || l === 'a');
  const plus = pair.every((l) => l === 'c' || l === 't');
  if (!minus && !plus) return undefined;
  const key = pair.map((l) => (l === 'c' ? 'g' : l === 't' ? 'a' : l)).sort().join('');
  return key === 'gg' ? '-1639 GG' : key === 'aa' ? '-1639 AA' : '-1639 AG';
}

/**
 * CPIC standard term for free-text phenotype, or undefined when the text is not recognised.
 * `gene` resolves words that differ by gene (SLCO1B1 'poor' = Poor Function; VKORC1 'AG' = '-1639 AG').
 */
export function normalizePhenotype(text: string, gene?: GeneSymbol | string): Phenotype | undefined {
  if (typeof text !== 'string') return undefined;
  const upperGene = gene?.toUpperCase();
  const mentionsVkorc1 = /vkorc1|1639|rs9923231/i.test(text);
  let t = clean(text);
  if (upperGene === 'VKORC1' || mentionsVkorc1) {
    const v = vkorc1(t);
    if (v) return v;
  }
  const tryKey = (k: string): Phenotype | undefined => {
    if (upperGene === 'SLCO1B1') {
      const w = SLCO1B1_WORDS.get(k.replace(/\s*function$/, ''));
      if (w) return w;
    }
    return TERMS.get(k) ?? TERMS.get(k.replace(/\s*metabolizer$/, '')) ?? TERMS.get(k.replace(/\s*phenotype$/, ''));
  };
  const direct = tryKey(t);
  if (direct) return direct;
  // 'Poor metabolizer (PM)', 'PM (poor metabolizer)': try outside and inside the brackets.
  const paren = /^(.*?)\s*\(([^()]*)\)\s*$/.exec(t);
  if (paren) {
    const outside = tryKey((paren[1] ?? '').trim());
    const inside = tryKey((paren[2] ?? '').trim());
    if (outside && (!inside || inside === outside)) return outside;
    if (!outside && inside) return inside;
    return undefined;
  }
  // 'CYP2C19: intermediate metabolizer - reduced activity' -> first clause
  t = t.replace(/^[:\s-]+/, '');
  const firstClause = t.split(/\s+[-–]\s+|:\s*/)[0]?.trim();
  if (firstClause && firstClause !== t) return tryKey(firstClause);
  return undefined;
}

export interface SamePhenotypeOptions {
  readonly gene?: GeneSymbol | string;
  /** Treat 'Likely …' / 'Possible …' as the plain category (default false). */
  readonly lenient?: boolean;
}

function plain(p: Phenotype): string {
  return p.replace(/^(Likely|Possible) /, '');
}

/**
 * Does a reported free-text phenotype ('Poor metabolizer', 'PM') mean the same as the computed one?
 * Case-insensitive, abbreviations mapped; unrecognised text never matches.
 */
export function samePhenotype(reported: string, computed: string | Phenotype | PhenotypeResult, options: SamePhenotypeOptions = {}): boolean {
  const gene = options.gene ?? (typeof computed === 'object' ? computed.gene : undefined);
  const a = normalizePhenotype(reported, gene);
  const b = typeof computed === 'object' ? computed.phenotype : normalizePhenotype(computed, gene);
  if (!a || !b) return false;
  if (a === b) return true;
  return options.lenient === true && plain(a) === plain(b);
}

/** Metabolizer-type term ('… Metabolizer'). */
export function isMetabolizerTerm(p: Phenotype): boolean {
  return METABOLIZER_TERMS.has(p);
}

/** Transporter-function term ('… Function', SLCO1B1). */
export function isFunctionTerm(p: Phenotype): boolean {
  return FUNCTION_TERMS.has(p);
}
