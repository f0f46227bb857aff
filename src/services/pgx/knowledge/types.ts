/**
 * Types of the project's compact pharmacogenomic knowledge: gene rule tables, parsed diplotypes,
 * computed phenotypes, HLA carrier status and drug recommendations.
 */

/** Genes with a phenotype rule table in `data/genes/`. HLA alleles are handled separately (see hla.ts). */
export const GENES = ['CYP2C19', 'CYP2C9', 'CYP2D6', 'CYP3A5', 'DPYD', 'NUDT15', 'SLCO1B1', 'TPMT', 'UGT1A1', 'VKORC1'] as const;
export type GeneSymbol = (typeof GENES)[number];

/** HLA risk alleles the recommendation table uses; results are carrier status (positive / negative). */
export const HLA_ALLELES = ['HLA-B*57:01', 'HLA-B*15:02', 'HLA-B*58:01', 'HLA-A*31:01'] as const;
export type HlaAllele = (typeof HLA_ALLELES)[number];

/** CPIC standard phenotype terms, as used by the CPIC/PharmCAT tables (VKORC1: the -1639 genotype). */
export const PHENOTYPES = [
  'Ultrarapid Metabolizer',
  'Rapid Metabolizer',
  'Normal Metabolizer',
  'Likely Intermediate Metabolizer',
  'Intermediate Metabolizer',
  'Possible Intermediate Metabolizer',
  'Likely Poor Metabolizer',
  'Poor Metabolizer',
  'Increased Function',
  'Normal Function',
  'Possible Decreased Function',
  'Decreased Function',
  'Poor Function',
  '-1639 GG',
  '-1639 AG',
  '-1639 AA',
  'Indeterminate',
] as const;
export type Phenotype = (typeof PHENOTYPES)[number];

export type AlleleFunction =
  | 'Increased function'
  | 'Normal function'
  | 'Decreased function'
  | 'No function'
  | 'Uncertain function'
  | 'Unknown function'
  | 'Normal coumarin sensitivity'
  | 'Higher coumarin sensitivity';

export interface SourceRef {
  readonly citation: string;
  readonly url: string;
  /** ISO date or partial date (YYYY, YYYY-MM, YYYY-MM-DD). */
  readonly published: string;
  readonly doi?: string;
  readonly pmid?: string;
}

// ---------------------------------------------------------------- gene tables (data/genes/*.json)

export type AlleleEntry = string | { readonly name: string; readonly aliases: readonly string[] };

export interface AlleleGroup {
  readonly function: AlleleFunction;
  /** Present for activity-score genes; null = no value (uncertain/unknown function). */
  readonly activityValue?: number | null;
  readonly alleles: readonly AlleleEntry[];
}

export interface PhenotypeRule {
  readonly functions: readonly [AlleleFunction, AlleleFunction];
  readonly phenotype: Phenotype;
}

export interface ScoreRange {
  readonly min?: number;
  readonly max?: number;
  readonly minExclusive?: boolean;
  readonly maxExclusive?: boolean;
  readonly phenotype: Phenotype;
}

/**
 * A name under which laboratories write a single-SNP result: the dbSNP id, the position in gene
 * (c.) notation, an HGVS variant. `notations`: which letter sets may follow it (a -1639 name takes
 * the gene-strand G/A letters only, rs9923231 either). `change`: the name spells the variant itself
 * ('c.-1639G>A'), so it can stand as the variant allele ('c.-1639G>A/c.-1639G>A', '... heterozygous').
 */
export interface SnpName {
  readonly name: string;
  readonly notations: readonly string[];
  readonly change?: boolean;
}

export interface SnpSpec {
  readonly rsid: string;
  /** Allele names (in `alleles` of the table) of the reference and the variant base. */
  readonly reference: string;
  readonly variant: string;
  readonly alleles: Readonly<Record<string, { readonly allele: string; readonly function?: AlleleFunction; readonly notation?: string }>>;
  readonly names: readonly SnpName[];
  /** Where the names come from (dbSNP record, guideline). */
  readonly namesSource?: string;
  readonly note?: string;
}

export interface GeneTable {
  readonly gene: GeneSymbol;
  readonly method: 'function-pair' | 'activity-score' | 'genotype';
  readonly source: SourceRef;
  readonly alleleFunctionSource: { readonly citation: string; readonly url: string };
  readonly cpicDataVersion: string;
  readonly notes: readonly string[];
  readonly copyNumber?: 'multiply';
  readonly tandem?: 'sum';
  readonly snp?: SnpSpec;
  /**
   * The allele that carries none of the table's variants ('Reference' for DPYD), for genes whose alleles are
   * single variants: a variant reported with its zygosity ('c.1905+1G>A heterozygous') then makes a diplotype.
   * Absent for star-allele genes, where the other allele of '*2 heterozygous' is not known.
   */
  readonly referenceAllele?: string;
  /** RefSeq transcripts (accession.version) whose c. names the table's allele names are: 'NM_000110.4:c.…' is read as 'c.…'. */
  readonly hgvsTranscripts?: readonly string[];
  readonly alleles: readonly AlleleGroup[];
  readonly phenotypeRules?: readonly PhenotypeRule[];
  readonly activityScoreRanges?: readonly ScoreRange[];
  readonly fallbackPhenotype: 'Indeterminate';
}

// ---------------------------------------------------------------- parsed diplotypes

export interface AlleleCall {
  /** Text as given (trimmed). */
  readonly input: string;
  /** Canonical allele name in the gene table (for tandems: the components joined with '+'). */
  readonly name: string;
  /** Gene copies of this allele on the chromosome (1 unless 'xN' was given). */
  readonly copies: number;
  /** True when the copy number is a lower bound ('x>=3', 'xN'). */
  readonly copiesAtLeast: boolean;
  /** Tandem components (CYP2D6 '*36+*10'), canonical names. */
  readonly components?: readonly string[];
}

export interface Diplotype {
  readonly gene: GeneSymbol;
  readonly alleles: readonly [AlleleCall, AlleleCall];
  /** Normalised text, e.g. '*1/*2', '*1x2/*4'. */
  readonly text: string;
  /** How the genotype was written, when not star/HGVS allele names. */
  readonly notation?: 'rsid' | '-1639';
  /** The diplotype was built from one variant and its zygosity ('c.1905+1G>A heterozygous'), not written as two alleles. */
  readonly fromZygosity?: boolean;
}

/** Zygosity of a reported variant (Genomics Reporting IG allelic state, LOINC 53034-5). */
export type Zygosity = 'homozygous' | 'heterozygous';

export interface ParseOptions {
  /**
   * Zygosity reported beside the value (e.g. an allelic-state component). With a variant name alone it makes
   * the diplotype; with a written genotype it must agree (A/G is heterozygous), or the text is contradictory.
   */
  readonly zygosity?: Zygosity;
}

export type DiplotypeErrorCode =
  | 'empty'
  | 'unknown-gene'
  | 'gene-mismatch'
  | 'malformed'
  | 'unknown-allele'
  | 'copy-number-not-supported'
  | 'mixed-notation'
  | 'contradictory';

export interface DiplotypeError {
  readonly code: DiplotypeErrorCode;
  readonly message: string;
  readonly allele?: string;
}

export type ParseResult = { readonly ok: true; readonly diplotype: Diplotype } | { readonly ok: false; readonly error: DiplotypeError };

/**
 * What a genotype result's value says (readGenotypeValue): a diplotype in any of its spellings, or - as the
 * CPIC/PharmCAT tables also write a gene result - a CPIC phenotype term and/or an activity score.
 */
export type GenotypeReading =
  | { readonly ok: true; readonly kind: 'diplotype'; readonly diplotype: Diplotype }
  | { readonly ok: true; readonly kind: 'phenotype'; readonly phenotype: Phenotype; readonly activityScore?: number }
  | { readonly ok: false; readonly error: DiplotypeError };

// ---------------------------------------------------------------- phenotype results

export interface AlleleFunctionCall {
  readonly allele: string;
  readonly copies: number;
  readonly copiesAtLeast: boolean;
  readonly function: AlleleFunction | 'Not in table';
  /** Activity value of one copy (activity-score genes); null when the allele has none. */
  readonly activityValue?: number | null;
}

export interface PhenotypeResult {
  readonly gene: GeneSymbol | string;
  readonly phenotype: Phenotype;
  /** Activity score (activity-score genes, when determinable). */
  readonly activityScore?: number;
  /** True when activityScore is a lower bound (unknown gene copy number). */
  readonly activityScoreIsMinimum?: boolean;
  readonly alleleFunctions: readonly AlleleFunctionCall[];
  readonly diplotype?: string;
  /** Why the phenotype is Indeterminate (or other caveats). */
  readonly reason?: string;
  readonly source: SourceRef;
  readonly cpicDataVersion: string;
}

// ---------------------------------------------------------------- HLA

export type HlaStatus = 'positive' | 'negative' | 'indeterminate';

export interface HlaResult {
  readonly allele: HlaAllele | string;
  readonly status: HlaStatus;
  readonly reason?: string;
}

// ---------------------------------------------------------------- recommendations

export type RecommendationStrength = 'strong' | 'moderate' | 'optional';
/** 'avoid' -> critical card; 'alternative' / 'dose-change' -> warning; 'standard' -> info. */
export type Severity = 'avoid' | 'alternative' | 'dose-change' | 'standard';
export type CardIndicator = 'critical' | 'warning' | 'info';

export interface GeneCondition {
  readonly phenotypes?: readonly Phenotype[];
  /** Required activity scores (e.g. DPYD 1 vs 1.5); the result must carry an activity score. */
  readonly activityScores?: readonly number[];
  /** HLA carrier status. */
  readonly hla?: 'positive' | 'negative';
}

export interface DrugRef {
  readonly rxnorm?: string;
  readonly name: string;
}

export interface DoseAdjustment {
  /** Multiply the usual starting dose by this (0.5 = reduce by 50 %). */
  readonly factor?: number;
  /** Range of factors when the guideline gives one (e.g. [0.3, 0.8] = start at 30-80 % of the usual dose). */
  readonly factorRange?: readonly [number, number];
  /** Daily dose ceiling, mg. */
  readonly maxDailyDoseMg?: number;
  /** True when the ceiling itself is excluded ('< 20 mg/day'). */
  readonly maxExclusive?: boolean;
  readonly text: string;
}

export interface RecommendationRow {
  readonly id: string;
  /** RxNorm ingredient code (or 'name:<ingredient>' for a drug whose code could not be verified). */
  readonly drug: string;
  /** Key into the guideline list. */
  readonly guideline: string;
  readonly when: Readonly<Record<string, GeneCondition>>;
  readonly context?: string;
  readonly strength: RecommendationStrength;
  readonly severity: Severity;
  readonly action: string;
  readonly dose?: DoseAdjustment;
  readonly alternatives?: readonly DrugRef[];
  readonly supersedes?: readonly string[];
  readonly notes?: string;
  /** How the row was checked: against the guideline table itself, a secondary copy of it, or not yet. */
  readonly evidence: 'guideline-table' | 'secondary-source' | 'needs-review';
}

export interface Guideline extends SourceRef {
  readonly id: string;
  readonly updates?: string;
}

export interface DrugInfo {
  readonly rxnorm: string | null;
  readonly name: string;
  readonly genes: readonly string[];
  readonly preTestingExpected: boolean;
  readonly note?: string;
  readonly dosingModel?: { readonly id: string; readonly module: string; readonly description: string; readonly guideline: string };
}

export interface Recommendation extends Omit<RecommendationRow, 'guideline'> {
  readonly guideline: Guideline;
  readonly indicator: CardIndicator;
  readonly drugName: string;
  /** The gene results that matched the row's conditions. */
  readonly matched: Readonly<Record<string, string>>;
}

export type LookupFlagCode =
  | 'unknown-drug'
  | 'missing-result'
  | 'indeterminate-result'
  | 'unrecognised-result'
  | 'activity-score-missing'
  | 'no-recommendation-for-result'
  | 'dosing-model';

export interface LookupFlag {
  readonly code: LookupFlagCode;
  readonly gene?: string;
  readonly message: string;
}

export interface RecommendationLookup {
  readonly drug?: DrugInfo;
  readonly recommendations: readonly Recommendation[];
  /** True when nothing drug-specific can be said from these results (see flags). */
  readonly noDrugAdvice: boolean;
  readonly flags: readonly LookupFlag[];
  readonly dosingModel?: DrugInfo['dosingModel'];
}

/** A gene result as the caller may supply it: free-text phenotype, phenotypeOf() output, or HLA status. */
export type GeneResultInput =
  | string
  | { readonly phenotype: string; readonly activityScore?: number | null; readonly activityScoreIsMinimum?: boolean }
  | { readonly status: HlaStatus | string };
