/**
 * readGenotypeValue: the value of a genotype result, in every spelling the CPIC/PharmCAT tables give a gene result
 * (CPIC diplotype tables, columns `diplotype`, `generesult`, `lookupkey`) and the common laboratory ones:
 *  - a diplotype in any form parseDiplotype() reads ('*1/*2', 'rs9923231 variant (T)/rs9923231 variant (T)',
 *    '-1639 AA', 'c.-1639G>A homozygous', ...);
 *  - a CPIC phenotype term, as `generesult` writes it ('Intermediate Metabolizer', 'Poor Function',
 *    'Indeterminate'), only the terms the gene's own rule table uses;
 *  - for activity-score genes (CYP2C9, CYP2D6, DPYD), the activity score as `lookupkey` writes it ('1.5', or
 *    'n/a' = no score, which CPIC's table gives the phenotype Indeterminate), also 'AS 1.5' / 'activity score 1.5'
 *    and a term with its score ('Intermediate Metabolizer (activity score 1.5)'), which must agree.
 * Abbreviations ('PM', 'poor') and no-call words ('unknown', 'failed') are not read here: in a genotype field they
 * are not a genotype, and the caller reports them as unreadable.
 */
import { parseDiplotype } from './diplotype.js';
import { geneData, toGeneSymbol } from './genes.js';
import { phenotypeForScore } from './phenotype.js';
import type { DiplotypeError, GeneSymbol, GenotypeReading, ParseOptions, Phenotype } from './types.js';

/** Phenotype terms the gene's rule table can give (its rules or score ranges), plus Indeterminate. */
function termsOf(gene: GeneSymbol): ReadonlyMap<string, Phenotype> {
  const t = geneData(gene).table;
  const terms = new Set<Phenotype>(['Indeterminate']);
  for (const r of t.phenotypeRules ?? []) terms.add(r.phenotype);
  for (const r of t.activityScoreRanges ?? []) terms.add(r.phenotype);
  // VKORC1's "phenotypes" are its -1639 genotypes: those are read as genotypes by parseDiplotype.
  return new Map([...terms].filter((p) => !p.startsWith('-1639')).map((p) => [p.toLowerCase(), p]));
}

function cleanTerm(text: string): string {
  return text
    .replace(/metaboli[sz]er/gi, 'metabolizer')
    .replace(/\s+phenotype$/i, '')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
}

const SCORE = /^(?:(?:activity\s*score|AS)\s*[:=]?\s*)?(\d+(?:\.\d+)?|n\/a)$/i;
const TERM_AND_SCORE = /^(.*?)[\s,;(]+(?:activity\s*score|AS)\s*[:=]?\s*(\d+(?:\.\d+)?)\s*\)?$/i;

type Read = { phenotype: Phenotype; activityScore?: number } | { error: DiplotypeError } | undefined;

/** An activity score (or 'n/a') for an activity-score gene. */
function readScore(gene: GeneSymbol, text: string): Read {
  if (geneData(gene).table.method !== 'activity-score') return undefined;
  const m = SCORE.exec(text.trim());
  if (!m?.[1]) return undefined;
  if (m[1].toLowerCase() === 'n/a') return { phenotype: 'Indeterminate' };
  const score = Number(m[1]);
  const phenotype = Number.isFinite(score) ? phenotypeForScore(gene, score) : undefined;
  if (!phenotype) return { error: { code: 'malformed', message: `${gene} activity score ${m[1]} has no CPIC phenotype` } };
  return { phenotype, activityScore: score };
}

function readPhenotype(gene: GeneSymbol, body: string): Read {
  const terms = termsOf(gene);
  const direct = terms.get(cleanTerm(body));
  if (direct) return { phenotype: direct };
  const score = readScore(gene, body);
  if (score) return score;
  const both = TERM_AND_SCORE.exec(body.trim());
  if (both?.[1] && both[2]) {
    const term = terms.get(cleanTerm(both[1]));
    const fromScore = readScore(gene, both[2]);
    if (!term || !fromScore) return undefined;
    if ('error' in fromScore) return fromScore;
    if (fromScore.phenotype !== term) {
      return {
        error: { code: 'contradictory', message: `${gene} '${body}': activity score ${both[2]} is ${fromScore.phenotype} by the CPIC ranges, not ${term}` },
      };
    }
    return fromScore;
  }
  return undefined;
}

/**
 * What a genotype result's value says for `gene` (see the module comment). Never throws; an unreadable value
 * comes back as `{ ok: false, error }` with the parser's typed error.
 */
export function readGenotypeValue(gene: string, text: string, options: ParseOptions = {}): GenotypeReading {
  const parsed = parseDiplotype(gene, text, options);
  if (parsed.ok) return { ok: true, kind: 'diplotype', diplotype: parsed.diplotype };
  const symbol = toGeneSymbol(gene);
  // A value naming another gene stays that error; anything else may be a phenotype term or a score.
  if (!symbol || parsed.error.code === 'gene-mismatch' || parsed.error.code === 'empty') return parsed;
  const body = (typeof text === 'string' ? text : '')
    .normalize('NFKC')
    .trim()
    .replace(new RegExp(`^${symbol}\\b\\s*:?\\s*`, 'i'), '');
  const r = readPhenotype(symbol, body);
  if (!r) return parsed;
  if ('error' in r) return { ok: false, error: r.error };
  return { ok: true, kind: 'phenotype', phenotype: r.phenotype, ...(r.activityScore !== undefined ? { activityScore: r.activityScore } : {}) };
}
