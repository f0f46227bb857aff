import { isUnreadable, type DraftMedication, type PgxInputProblem, type PgxResults } from './inputs/index.js';
import {
  allRecommendationRows,
  drugInfo,
  drugKey,
  isPreTestingExpected,
  normalizePhenotype,
  phenotypeOf,
  recommendationsFor,
  samePhenotype,
} from './knowledge/index.js';
import type { GeneResultInput, PhenotypeResult, Recommendation } from './knowledge/types.js';
import { VKORC1_RSID } from './inputs/index.js';

/** One gene's result as the service uses it: computed from the genotype, or reported by the lab. */
export interface GeneFinding {
  readonly gene: string;
  readonly diplotype?: string;
  readonly phenotype: string;
  readonly activityScore?: number;
  readonly basis: 'genotype' | 'reported-phenotype' | 'hla';
  readonly date: string;
  readonly source: readonly string[];
  /** Why the phenotype is indeterminate, when it is. */
  readonly reason?: string;
}

export interface GeneConflict {
  readonly gene: string;
  readonly diplotype: string;
  readonly computed: string;
  readonly reported: string;
  readonly genotypeDate: string;
  readonly reportedDate: string;
  readonly source: readonly string[];
}

export interface PatientGenomics {
  readonly findings: Readonly<Record<string, GeneFinding>>;
  readonly conflicts: Readonly<Record<string, GeneConflict>>;
  /** Results on file that could not be read (malformed, unknown allele, conflicting, not final, unknown gene id). */
  readonly unreadable: readonly PgxInputProblem[];
}

/**
 * Phenotypes from genotypes by the project's CPIC rule tables; a reported phenotype is used
 * only when no genotype is on file. When a reported phenotype disagrees with the one the
 * genotype implies, the gene is a conflict and neither is used for advice.
 */
export function interpretResults(results: PgxResults): PatientGenomics {
  const findings: Record<string, GeneFinding> = {};
  const conflicts: Record<string, GeneConflict> = {};
  for (const [gene, g] of Object.entries(results.genotypes)) {
    const p: PhenotypeResult = phenotypeOf(gene, g.diplotype);
    findings[gene] = {
      gene,
      diplotype: g.diplotype,
      phenotype: p.phenotype,
      ...(typeof p.activityScore === 'number' ? { activityScore: p.activityScore } : {}),
      basis: 'genotype',
      date: g.date,
      source: g.source,
      ...(p.reason ? { reason: p.reason } : {}),
    };
  }
  for (const [gene, v] of Object.entries(results.variants ?? {})) {
    if (findings[gene]) continue;
    // VKORC1 genotypes are kept in -1639 G/A letters (inputs/results.ts), so they are shown and read as such.
    const text = v.rsid === VKORC1_RSID ? `-1639G>A ${v.genotype}` : `${v.rsid} ${v.genotype}`;
    const p = phenotypeOf(gene, text);
    findings[gene] = { gene, diplotype: text, phenotype: p.phenotype, basis: 'genotype', date: v.date, source: v.source, ...(p.reason ? { reason: p.reason } : {}) };
  }
  for (const [gene, reported] of Object.entries(results.phenotypes)) {
    const newest = [...reported].sort((a, b) => b.date.localeCompare(a.date))[0];
    if (!newest) continue;
    const computed = findings[gene];
    if (computed && computed.basis === 'genotype') {
      const disagree = reported.some((r) => computed.phenotype !== 'Indeterminate' && !samePhenotype(r.phenotype, computed.phenotype, { gene, lenient: true }));
      if (disagree) {
        const r = reported.find((x) => !samePhenotype(x.phenotype, computed.phenotype, { gene, lenient: true }))!;
        conflicts[gene] = { gene, diplotype: computed.diplotype!, computed: computed.phenotype, reported: r.phenotype, genotypeDate: computed.date, reportedDate: r.date, source: [...computed.source, ...r.source] };
        delete findings[gene];
      }
      continue;
    }
    const normal = normalizePhenotype(newest.phenotype, gene);
    const phenotype = normal ?? newest.phenotype;
    findings[gene] = {
      gene,
      phenotype,
      ...(newest.activityScore !== undefined ? { activityScore: newest.activityScore } : {}),
      basis: 'reported-phenotype',
      date: newest.date,
      source: newest.source,
      ...(phenotype === 'Indeterminate' ? { reason: `reported as '${newest.phenotype}'` } : {}),
    };
  }
  for (const [allele, h] of Object.entries(results.hla)) {
    findings[allele] = { gene: allele, phenotype: h.status, basis: 'hla', date: h.date, source: h.source };
  }
  return { findings, conflicts, unreadable: results.problems.filter(isUnreadable) };
}

/** What an unreadable result means for one drug: no advice that depends on `genes`. */
export interface UnreadableResults {
  /** The drug's genes (or HLA alleles) no advice is given for. */
  readonly genes: readonly string[];
  /** The unreadable results that stop it. */
  readonly problems: readonly PgxInputProblem[];
  /** False when none of them says its gene: they may be the result the drug needs (see genelessUnreadable). */
  readonly geneStated: boolean;
  /** Readable results of those genes, not used while the unreadable ones stand. */
  readonly readable: readonly GeneFinding[];
  readonly conflicts: readonly GeneConflict[];
}

/** Does a problem concern a drug's gene ('CYP2C19') or HLA allele ('HLA-B*57:01')? */
function concerns(p: PgxInputProblem, drugGene: string): boolean {
  if (!p.gene) return false;
  const star = drugGene.indexOf('*');
  if (star < 0) return p.gene === drugGene;
  // An HLA problem about named alleles concerns those alleles only; one without alleles concerns the whole locus.
  if (p.alleles && p.alleles.length > 0) return p.alleles.includes(drugGene);
  return p.gene === drugGene.slice(0, star) || p.gene === drugGene;
}

/** The drug's genes that an unreadable result on file concerns, with those results. */
export function unreadableFor(genes: readonly string[], genomics: PatientGenomics): UnreadableResults | undefined {
  const hits = new Map(genes.map((g) => [g, genomics.unreadable.filter((p) => concerns(p, g))]));
  const list = genes.filter((g) => (hits.get(g)?.length ?? 0) > 0);
  if (list.length === 0) return undefined;
  const problems = new Set(list.flatMap((g) => hits.get(g) ?? []));
  return {
    genes: list,
    problems: genomics.unreadable.filter((p) => problems.has(p)),
    geneStated: true,
    readable: list.map((g) => genomics.findings[g]).filter((f): f is GeneFinding => f !== undefined),
    conflicts: list.map((g) => genomics.conflicts[g]).filter((c): c is GeneConflict => c !== undefined),
  };
}

/**
 * Unreadable results whose gene could not be read at all, for those of `genes` that have no result: any of them
 * may be that result. Used only where the service would otherwise act on "not tested" (a test order, the IWPC
 * "genotype unknown" term); elsewhere nothing is said about an untested gene, so nothing false can be said.
 */
export function genelessUnreadable(genes: readonly string[], genomics: PatientGenomics): UnreadableResults | undefined {
  const problems = genomics.unreadable.filter((p) => p.gene === undefined);
  const list = genes.filter((g) => !genomics.findings[g] && !genomics.conflicts[g]);
  if (problems.length === 0 || list.length === 0) return undefined;
  return { genes: list, problems, geneStated: false, readable: [], conflicts: [] };
}

/**
 * Does a recommendation depend on a gene whose result could not be read? It does when it names the gene, when a
 * row naming the gene would supersede it (thiopurines: a TPMT poor metabolizer overrides the NUDT15 dose change),
 * and - for a 'standard' row, which is dropped whenever any other row of the drug applies - whenever any gene of
 * the drug is blocked.
 */
function dependsOn(r: Recommendation, blocked: ReadonlySet<string>, drug: string): boolean {
  if (blocked.size === 0) return false;
  if (Object.keys(r.when).some((g) => blocked.has(g))) return true;
  if (r.severity === 'standard') return true;
  return allRecommendationRows().some((row) => row.drug === drug && (row.supersedes ?? []).includes(r.id) && Object.keys(row.when).some((g) => blocked.has(g)));
}

export type DrugAssessment =
  | { readonly kind: 'recommendations'; readonly recommendations: readonly Recommendation[]; readonly findings: readonly GeneFinding[] }
  | { readonly kind: 'conflict'; readonly conflict: GeneConflict }
  | { readonly kind: 'indeterminate'; readonly finding: GeneFinding }
  /** A result on file that the rule table cannot use for this drug (a phenotype term it does not know, or without the activity score the advice depends on). */
  | { readonly kind: 'not-usable'; readonly finding: GeneFinding; readonly why: string }
  | { readonly kind: 'test'; readonly genes: readonly string[] }
  | { readonly kind: 'unreadable'; readonly unreadable: UnreadableResults }
  | { readonly kind: 'warfarin'; readonly unreadable?: UnreadableResults }
  | { readonly kind: 'none' };

export interface DrugOptions {
  /** Show cards for normal results ('standard' rows); off by default. */
  readonly showStandard: boolean;
  /** Per-drug override of "testing expected before prescribing" (RxNorm or name -> on/off). */
  readonly preTestingOverrides: Readonly<Record<string, boolean>>;
}

const WARFARIN = '11289';

/** What to say about one ingredient of one draft order. */
export function assessDrug(rxnorm: string, genomics: PatientGenomics, opts: DrugOptions): DrugAssessment[] {
  const info = drugInfo(rxnorm);
  if (rxnorm === WARFARIN) {
    // A gene without a result would take the algorithm's "genotype unknown" term: not if a result may exist.
    const genes = info?.genes ?? [];
    const unreadable = unreadableFor(genes, genomics) ?? genelessUnreadable(genes, genomics);
    return [unreadable ? { kind: 'warfarin', unreadable } : { kind: 'warfarin' }];
  }
  if (!info) return [{ kind: 'none' }];
  const out: DrugAssessment[] = [];
  const genes = [...info.genes];
  // A result on file that cannot be read is neither a result nor "not tested": nothing that depends on its gene.
  const unreadable = unreadableFor(genes, genomics);
  const blocked = new Set(unreadable?.genes ?? []);
  for (const g of genes) {
    const c = genomics.conflicts[g];
    if (c && !blocked.has(g)) out.push({ kind: 'conflict', conflict: c });
  }
  const usable: Record<string, GeneResultInput> = {};
  const used: GeneFinding[] = [];
  for (const g of genes) {
    const f = genomics.findings[g];
    if (!f || genomics.conflicts[g] || blocked.has(g)) continue;
    if (f.phenotype === 'Indeterminate') {
      out.push({ kind: 'indeterminate', finding: f });
      continue;
    }
    usable[g] = f.basis === 'hla' ? { status: f.phenotype } : { phenotype: f.phenotype, ...(f.activityScore !== undefined ? { activityScore: f.activityScore } : {}) };
    used.push(f);
  }
  const lookup = recommendationsFor(rxnorm, usable);
  const shown = lookup.recommendations.filter((r) => (r.severity !== 'standard' || opts.showStandard) && !dependsOn(r, blocked, drugKey(info)));
  if (shown.length > 0) out.push({ kind: 'recommendations', recommendations: shown, findings: used });
  // A result the table cannot use (an unknown phenotype term, or a phenotype without the activity score the row
  // depends on) is on file: never silence, never "not tested" (CPIC DPYD 2017 update and CYP2C9 2020 guidelines
  // grade by activity score).
  const withAdvice = new Set(shown.flatMap((r) => Object.keys(r.matched)));
  for (const f of lookup.flags) {
    if ((f.code !== 'activity-score-missing' && f.code !== 'unrecognised-result') || !f.gene || withAdvice.has(f.gene) || blocked.has(f.gene)) continue;
    const finding = genomics.findings[f.gene];
    if (finding) out.push({ kind: 'not-usable', finding, why: f.message });
  }
  if (unreadable) {
    out.push({ kind: 'unreadable', unreadable });
    return out;
  }
  // No result at all for this drug's genes: order the test where testing is expected first - unless a result on
  // file whose gene could not be read may be that result.
  const anyResult = genes.some((g) => genomics.findings[g] || genomics.conflicts[g]);
  if (!anyResult && isPreTestingExpected(rxnorm, opts.preTestingOverrides)) {
    const geneless = genelessUnreadable(genes, genomics);
    out.push(geneless ? { kind: 'unreadable', unreadable: geneless } : { kind: 'test', genes });
  }
  return out.length > 0 ? out : [{ kind: 'none' }];
}

export type { DraftMedication };
