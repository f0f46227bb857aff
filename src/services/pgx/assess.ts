import type { DraftMedication, PgxResults } from './inputs/index.js';
import { drugInfo, isPreTestingExpected, normalizePhenotype, phenotypeOf, recommendationsFor, samePhenotype } from './knowledge/index.js';
import type { GeneResultInput, PhenotypeResult, Recommendation } from './knowledge/types.js';

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
    const p = phenotypeOf(gene, `${v.rsid} ${v.genotype}`);
    findings[gene] = { gene, diplotype: `${v.rsid} ${v.genotype}`, phenotype: p.phenotype, basis: 'genotype', date: v.date, source: v.source, ...(p.reason ? { reason: p.reason } : {}) };
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
    findings[gene] = { gene, phenotype: normal ?? newest.phenotype, basis: 'reported-phenotype', date: newest.date, source: newest.source };
  }
  for (const [allele, h] of Object.entries(results.hla)) {
    findings[allele] = { gene: allele, phenotype: h.status, basis: 'hla', date: h.date, source: h.source };
  }
  return { findings, conflicts };
}

export type DrugAssessment =
  | { readonly kind: 'recommendations'; readonly recommendations: readonly Recommendation[]; readonly findings: readonly GeneFinding[] }
  | { readonly kind: 'conflict'; readonly conflict: GeneConflict }
  | { readonly kind: 'indeterminate'; readonly finding: GeneFinding }
  | { readonly kind: 'test'; readonly genes: readonly string[] }
  | { readonly kind: 'warfarin' }
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
  if (rxnorm === WARFARIN) return [{ kind: 'warfarin' }];
  const info = drugInfo(rxnorm);
  if (!info) return [{ kind: 'none' }];
  const out: DrugAssessment[] = [];
  const genes = [...info.genes];
  for (const g of genes) {
    const c = genomics.conflicts[g];
    if (c) out.push({ kind: 'conflict', conflict: c });
  }
  const usable: Record<string, GeneResultInput> = {};
  const used: GeneFinding[] = [];
  for (const g of genes) {
    const f = genomics.findings[g];
    if (!f || genomics.conflicts[g]) continue;
    if (f.phenotype === 'Indeterminate') {
      out.push({ kind: 'indeterminate', finding: f });
      continue;
    }
    usable[g] = f.basis === 'hla' ? { status: f.phenotype } : { phenotype: f.phenotype, ...(f.activityScore !== undefined ? { activityScore: f.activityScore } : {}) };
    used.push(f);
  }
  const lookup = recommendationsFor(rxnorm, usable);
  const shown = lookup.recommendations.filter((r) => r.severity !== 'standard' || opts.showStandard);
  if (shown.length > 0) out.push({ kind: 'recommendations', recommendations: shown, findings: used });
  // No result at all for this drug's genes: order the test where testing is expected first.
  const anyResult = genes.some((g) => genomics.findings[g] || genomics.conflicts[g]);
  if (!anyResult && isPreTestingExpected(rxnorm, opts.preTestingOverrides)) out.push({ kind: 'test', genes });
  return out.length > 0 ? out : [{ kind: 'none' }];
}

export type { DraftMedication };
