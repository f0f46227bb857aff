import type { CodeableConcept, Observation, ObservationComponent } from 'fhir/r4.js';
import { loadJson } from '../../../util/data-file.js';
import {
  GENES,
  NO_CALL,
  alleleCallText,
  geneTable,
  namesSnp,
  normalizePhenotype,
  readGenotypeValue,
  snpLetters,
  splitDiplotype,
  stripGeneNames,
  toGeneSymbol,
  type Diplotype,
  type GeneSymbol,
  type GenotypeReading,
  type Zygosity,
} from '../knowledge/index.js';
import {
  SYSTEMS,
  asArray,
  codings,
  conceptTexts,
  firstText,
  hasCoding,
  isLoinc,
  isRecord,
  isRxnormSystem,
  parseDate,
  str,
} from './fhir.js';

/**
 * Pharmacogenomic results from FHIR Observations (HL7 Genomics Reporting IG shapes, as our fixture
 * patients carry them - see fhir-fixtures/README.md - and the common alternatives). Pure: reads
 * the Observations, never changes them, and never guesses: a value it cannot read becomes a
 * problem in `problems`, not a result.
 *
 * What is read:
 * - Genotype Observations (LOINC 84413-4): the gene from component 48018-6 (HGNC id or symbol),
 *   the value from valueCodeableConcept (text, else a coding) or valueString, read by the knowledge
 *   module's one parser (knowledge/reading.ts, diplotype.ts) in every spelling it knows: star alleles,
 *   CPIC/PharmCAT allele names, HGVS, rs-ids with bases, a variant with its zygosity (also from the
 *   allelic-state component 53034-5), with or without the gene prefix; and, as the CPIC tables also
 *   write a gene result, a CPIC phenotype term or an activity score (kept as a reported phenotype).
 *   An allele the gene's rule table does not know ('*1/*99') is not a result: it is an
 *   'unknown-allele' problem. Genes without a rule table (HLA typings, others) keep two alleles as written.
 * - Haplotype Observations (84414-2): used only for a gene without any genotype Observation;
 *   two haplotypes (or one marked homozygous) make a diplotype.
 * - Therapeutic-implication / phenotype Observations (component 53040-2, medication in
 *   component 51963-7): every reported phenotype, as written; disagreement with the genotype is
 *   left to the service.
 * - HLA allele carriage (HLA-B*57:01 positive / negative) in several shapes, and HLA typings
 *   (two alleles) as a genotype plus "positive" for each allele typed.
 * - Single variants with a dbSNP id, in particular VKORC1 -1639G>A (rs9923231), normalised to
 *   the -1639 G/A representation; only where the gene's rule table names the SNP (VKORC1, SLCO1B1
 *   rs4149056): one variant of a star-allele gene does not give its diplotype.
 * Only status final, amended or corrected counts.
 *
 * A result that is on file but cannot be used (malformed, unknown allele, conflicting with another,
 * not final, unknown gene id) is a problem that `isUnreadable()` marks: the service must not take it
 * as "not tested" (see assess.ts).
 */

export interface GenotypeResult {
  /** HGNC symbol, upper-case: 'CYP2C19', 'HLA-B'. */
  gene: string;
  /** As written, without the gene prefix, spaces around '/' removed: '*1/*2', 'Reference/c.1905+1G>A (*2A)'. */
  diplotype: string;
  /** The value as reported (for two haplotypes: both values, '; '-separated). */
  raw: string;
  /** effective[x] (specimen collection), else issued; '' when the report has neither. */
  date: string;
  /** 'Observation/<id>', newest report first. */
  source: string[];
}

export interface ReportedPhenotype {
  gene: string;
  /** As reported, e.g. 'Poor metabolizer'. */
  phenotype: string;
  /** Activity score as reported (a genotype result valued '1.5', CPIC's lookup key for CYP2C9 and DPYD). */
  activityScore?: number;
  /** The medication assessed (component 51963-7), when given. */
  drug?: { rxnorm?: string; text?: string };
  date: string;
  source: string[];
}

export interface HlaResult {
  /** Two-field allele name: 'HLA-B*57:01'. */
  allele: string;
  status: 'positive' | 'negative';
  date: string;
  source: string[];
}

export interface VariantResult {
  gene: string;
  rsid: string;
  /**
   * Genotype of the variant. For VKORC1 rs9923231 always in the -1639 G/A (gene-strand)
   * representation, alleles sorted: 'G/G', 'A/G' or 'A/A'. Other variants as reported.
   */
  genotype: string;
  /** The value as reported. */
  raw: string;
  date: string;
  source: string[];
}

/** One Observation a problem is about, as it was written. */
export interface ProblemResult {
  /** 'Observation/<id>'. */
  source: string;
  /** effective[x], else issued; '' when the report has neither. */
  date: string;
  /** The value as written ('' when it has none). */
  value: string;
}

export interface PgxInputProblem {
  kind: 'malformed' | 'unknown-allele' | 'unknown-gene' | 'conflicting' | 'duplicate' | 'unusable-status';
  /** Plain words, fit for a card. */
  detail: string;
  /** Why the result(s) cannot be used, in a few words (no source, no value): fit for a table cell. */
  reason: string;
  gene?: string;
  /** HLA alleles the problem is about, when it is about some alleles and not the whole locus. */
  alleles?: string[];
  source: string[];
  /** The Observations concerned, one each. */
  results: ProblemResult[];
}

/**
 * Problems that mean a result is on file but cannot be used. Such a gene is neither tested-and-known nor
 * untested: the service gives no advice that depends on it. Duplicates (same value twice) and genes missing from
 * the service's tables are not: no drug depends on them (every gene a drug depends on is in data/genes.json, so an
 * HGNC id that is not there is not one of them).
 */
export function isUnreadable(p: PgxInputProblem): boolean {
  return p.kind !== 'duplicate' && p.kind !== 'unknown-gene';
}

export interface PgxResults {
  genotypes: Record<string, GenotypeResult>;
  /** Per gene, newest first. */
  phenotypes: Record<string, ReportedPhenotype[]>;
  /** Per allele ('HLA-B*57:01'). */
  hla: Record<string, HlaResult>;
  /** Per gene ('VKORC1'). */
  variants: Record<string, VariantResult>;
  problems: PgxInputProblem[];
}

// ------------------------------------------------------------------------------------- codes

const LOINC_CODE = {
  genotype: '84413-4',
  haplotype: '84414-2',
  variant: '69548-6',
  geneStudied: '48018-6',
  effectOnMetabolism: '53040-2',
  medicationAssessed: '51963-7',
  dbsnp: '81255-2',
  allelicState: '53034-5',
  // Genomics Reporting IG variant components that name the variant: DNA change (c.HGVS), genomic DNA change
  // (g.HGVS), discrete genetic variant.
  dnaChange: '48004-6',
  genomicDnaChange: '81290-9',
  discreteVariant: '81252-9',
} as const;

const ALLELIC_STATE = { homozygous: 'LA6705-3', heterozygous: 'LA6706-1' } as const;

const USABLE_STATUSES = new Set(['final', 'amended', 'corrected']);
/** Not results at all: dropped without a note. */
const SILENT_STATUSES = new Set(['entered-in-error', 'cancelled']);
/** Reports dated this far after `now` are taken as wrongly dated (time zones allowed for). */
const FUTURE_TOLERANCE_MS = 24 * 3600 * 1000;

/** Presence / absence answers (LOINC answer codes, SNOMED CT, v3 ObservationInterpretation). */
const POSITIVE_CODES = new Set([
  `${SYSTEMS.loinc}|LA6576-8`, // Positive
  `${SYSTEMS.loinc}|LA9633-4`, // Present
  `${SYSTEMS.loinc}|LA11882-0`, // Detected
  `${SYSTEMS.snomed}|10828004`, // Positive
  `${SYSTEMS.snomed}|52101004`, // Present
  `${SYSTEMS.snomed}|260373001`, // Detected
  `${SYSTEMS.v3Interpretation}|POS`,
  `${SYSTEMS.v3Interpretation}|DET`,
]);
const NEGATIVE_CODES = new Set([
  `${SYSTEMS.loinc}|LA6577-6`, // Negative
  `${SYSTEMS.loinc}|LA9634-2`, // Absent
  `${SYSTEMS.loinc}|LA11883-8`, // Not detected
  `${SYSTEMS.snomed}|260385009`, // Negative
  `${SYSTEMS.snomed}|2667000`, // Absent
  `${SYSTEMS.snomed}|260415000`, // Not detected
  `${SYSTEMS.v3Interpretation}|NEG`,
  `${SYSTEMS.v3Interpretation}|ND`,
]);
const NEGATIVE_WORDS = /\b(not\s+detected|negative|absent|non-?carrier|not\s+present|neg)\b/gi;
// 'carrier' alone is not read as positive: 'carrier status: negative' must not count twice.
const POSITIVE_WORDS = /\b(positive|present|detected|pos)\b/i;

// No-call words ('unknown', 'failed', 'n/a') are the knowledge module's NO_CALL.

// ------------------------------------------------------------------------------------- genes

interface GeneTable {
  readonly genes: readonly { readonly symbol: string; readonly hgnc: string }[];
}

const GENE_TABLE = loadJson<GeneTable>(import.meta.url, './data/genes.json');
const SYMBOL_BY_HGNC = new Map(GENE_TABLE.genes.map((g) => [g.hgnc.toUpperCase(), g.symbol]));
const KNOWN_SYMBOLS = new Set(GENE_TABLE.genes.map((g) => g.symbol));

/** Genes of the HGNC table (data/genes.json); others are kept but noted as 'unknown-gene'. */
export const KNOWN_GENES: readonly string[] = [...KNOWN_SYMBOLS];

function normaliseHgncId(code: string): string {
  const t = code.trim().toUpperCase();
  return /^\d+$/.test(t) ? `HGNC:${t}` : t;
}

/** 'cyp2c19' -> 'CYP2C19', 'HLA B' / 'HLA_B' -> 'HLA-B'. */
function normaliseSymbol(s: string): string {
  return s
    .trim()
    .toUpperCase()
    .replace(/^HLA[\s_]+/, 'HLA-');
}

const GENE_LIKE = /^[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)?$/;

// ------------------------------------------------------------------------------ observation

interface Ctx {
  readonly obs: Observation;
  readonly source: string;
  /** effective or issued, as written. */
  readonly date: string;
  /** For "newest": effective, else issued; then issued breaks ties. */
  readonly order: readonly [number, number];
}

function effectiveText(obs: Observation): string | undefined {
  return (
    str(obs.effectiveDateTime) ??
    str(obs.effectiveInstant) ??
    str(obs.effectivePeriod?.end) ??
    str(obs.effectivePeriod?.start) ??
    undefined
  );
}

function makeCtx(obs: Observation, index: number): Ctx {
  const source = str(obs.id) ? `Observation/${obs.id}` : `Observation[${index}]`;
  const eff = effectiveText(obs);
  const issued = str(obs.issued);
  const date = eff ?? issued ?? '';
  const effMs = parseDate(eff);
  const issuedMs = parseDate(issued);
  return { obs, source, date, order: [effMs ?? issuedMs ?? -Infinity, issuedMs ?? -Infinity] };
}

function newerFirst(a: { ctx: Ctx }, b: { ctx: Ctx }): number {
  return b.ctx.order[0] - a.ctx.order[0] || b.ctx.order[1] - a.ctx.order[1];
}

function components(obs: Observation): ObservationComponent[] {
  return asArray(obs.component).filter(isRecord) as unknown as ObservationComponent[];
}

function componentsWith(obs: Observation, loinc: string): ObservationComponent[] {
  return components(obs).filter((c) => isLoinc(c.code, loinc));
}

function valueConcept(x: { valueCodeableConcept?: CodeableConcept }): CodeableConcept | undefined {
  return isRecord(x.valueCodeableConcept) ? x.valueCodeableConcept : undefined;
}

/** The value as text: valueCodeableConcept text (else a coding display, else its code), or valueString. */
function valueText(x: { valueCodeableConcept?: CodeableConcept; valueString?: string }): string | undefined {
  const cc = valueConcept(x);
  return (cc && firstText(cc)) ?? str(x.valueString)?.trim();
}

/** All texts of the value (text, every display, every code, valueString). */
function valueTexts(x: { valueCodeableConcept?: CodeableConcept; valueString?: string }): string[] {
  const cc = valueConcept(x);
  const out = cc ? [...conceptTexts(cc), ...codings(cc).map((c) => str(c.code)).filter((c): c is string => !!c)] : [];
  const s = str(x.valueString);
  if (s) out.push(s.trim());
  return out;
}

function codeTexts(obs: Observation): string[] {
  return isRecord(obs.code) ? conceptTexts(obs.code) : [];
}

type Kind = 'genotype' | 'haplotype' | 'variant' | 'phenotype' | 'hla-test';

function kindOf(obs: Observation): Kind | undefined {
  const code = isRecord(obs.code) ? obs.code : undefined;
  if (isLoinc(code, LOINC_CODE.genotype)) return 'genotype';
  if (isLoinc(code, LOINC_CODE.haplotype)) return 'haplotype';
  if (isLoinc(code, LOINC_CODE.variant)) return 'variant';
  if (
    codings(code).some((c) => c.code === 'therapeutic-implication') ||
    isLoinc(code, LOINC_CODE.effectOnMetabolism) ||
    componentsWith(obs, LOINC_CODE.effectOnMetabolism).length > 0
  )
    return 'phenotype';
  // A laboratory's own HLA test code ('HLA-B*57:01 [Presence] ...'): recognised by its name.
  if (codeTexts(obs).some((t) => hlaAllelesIn(t, undefined).length > 0)) return 'hla-test';
  return undefined;
}

interface GeneRead {
  gene?: string;
  /** An HGNC id the table does not know and no symbol came with it. */
  unknownId?: string;
  /** The component names two different genes. */
  inconsistent?: string[];
}

/** Gene studied (component 48018-6): HGNC id through the table, or the symbol from display/text/valueString. */
function geneStudied(obs: Observation): GeneRead {
  const symbols = new Set<string>();
  let unknownId: string | undefined;
  for (const comp of componentsWith(obs, LOINC_CODE.geneStudied)) {
    const cc = valueConcept(comp);
    for (const c of codings(cc)) {
      const code = str(c.code);
      const isHgnc = c.system === SYSTEMS.hgnc || c.system === SYSTEMS.hgncOid || /^HGNC:/i.test(code ?? '');
      if (code && isHgnc) {
        const sym = SYMBOL_BY_HGNC.get(normaliseHgncId(code));
        if (sym) symbols.add(sym);
        else if (!str(c.display)) unknownId = normaliseHgncId(code);
      }
      if (str(c.display)) symbols.add(normaliseSymbol(c.display!));
      else if (code && !isHgnc && GENE_LIKE.test(normaliseSymbol(code))) symbols.add(normaliseSymbol(code));
    }
    const text = str(cc?.text) ?? str(comp.valueString);
    if (text && GENE_LIKE.test(normaliseSymbol(text))) symbols.add(normaliseSymbol(text));
  }
  if (symbols.size > 1) return { inconsistent: [...symbols] };
  const [gene] = [...symbols];
  if (gene) return { gene };
  return unknownId ? { unknownId } : {};
}

/** A leading gene-like word of a value ('CYP2C19 *2/*2', 'CYP2C19*2/*2', 'CYP2C19 phenotype'). */
function leadingGene(text: string | undefined): string | undefined {
  // The first word, when a space, a '*' or the end follows it ('A/G' and 'Reference/...' are not genes).
  const m = /^\s*([^\s*/]+)(?=\s|\*|$)/.exec((text ?? '').replace(/^\s*HLA[ _]/i, 'HLA-'));
  if (!m) return undefined;
  const sym = normaliseSymbol(m[1]!);
  if (KNOWN_SYMBOLS.has(sym)) return sym;
  // Unknown words only when they look like a symbol as written (upper-case letters and digits); a dbSNP id
  // written in capitals ('RS9923231 C/T') is not one.
  return GENE_LIKE.test(m[1]!) && /\d/.test(m[1]!) && !/^RS\d+$/i.test(m[1]!) ? sym : undefined;
}

// ---------------------------------------------------------------------------------- alleles

/** A genotype value as read: a diplotype (kept as written, with a key for telling duplicates from conflicts), or a phenotype / score. */
type ValueRead =
  | { ok: true; kind: 'diplotype'; diplotype: string; key: string }
  | { ok: true; kind: 'phenotype'; phenotype: string; activityScore?: number }
  | { ok: false; kind: 'malformed' | 'unknown-allele'; reason: string };

/** Canonical alleles, order-free: '*2/*1' and 'CYP2C19 *1/*2', or '*2A/*1' and 'Reference/c.1905+1G>A (*2A)', are one result. */
function diplotypeKey(d: Diplotype): string {
  return d.alleles
    .map(alleleCallText)
    .sort((x, y) => x.localeCompare(y, 'en', { numeric: true }))
    .join('/');
}

/**
 * The diplotype as written, without the gene prefix and with spaces around '/' removed ('CYP2D6 *2x2 / *4' ->
 * '*2x2/*4'); the canonical one when the value was not written as two alleles ('c.1905+1G>A heterozygous',
 * 'c.[1905+1G>A];[=]').
 */
function writtenDiplotype(raw: string, gene: string, d: Diplotype): string {
  const rest = stripGeneNames(gene, raw);
  const parts = rest.split('/');
  if (d.fromZygosity || parts.length !== 2 || rest.includes('[')) return d.text;
  return parts.map((p) => p.trim().replace(/\s+/g, ' ')).join('/');
}

/**
 * A genotype value for `gene`, through the knowledge module's parser (genes with a rule table) or its
 * two-allele split (other genes: kept as written).
 */
function readValue(raw: string, gene: string, zygosity: Zygosity | undefined): ValueRead {
  const lead = leadingGene(raw);
  if (lead && lead !== gene) return { ok: false, kind: 'malformed', reason: `the value names ${lead}, not ${gene}` };
  const symbol = toGeneSymbol(gene);
  if (!symbol) {
    const s = splitDiplotype(gene, raw);
    return s.ok ? { ok: true, kind: 'diplotype', diplotype: s.text, key: s.key } : { ok: false, kind: 'malformed', reason: s.error.message };
  }
  return fromReading(raw, gene, readGenotypeValue(symbol, raw, zygosity ? { zygosity } : {}));
}

function fromReading(raw: string, gene: string, r: GenotypeReading): ValueRead {
  if (!r.ok) return { ok: false, kind: r.error.code === 'unknown-allele' ? 'unknown-allele' : 'malformed', reason: r.error.message };
  if (r.kind === 'phenotype') return { ok: true, kind: 'phenotype', phenotype: r.phenotype, ...(r.activityScore !== undefined ? { activityScore: r.activityScore } : {}) };
  return { ok: true, kind: 'diplotype', diplotype: writtenDiplotype(raw, gene, r.diplotype), key: diplotypeKey(r.diplotype) };
}

/**
 * HLA alleles named in a text, as two-field names: 'HLA-B*57:01', 'HLA-B*5701' (old notation),
 * 'HLA-B*57:01:01' (more fields: cut to two) or, when the gene is known, '*57:01'. One-field
 * names ('HLA-B*57') are not alleles for this purpose.
 */
function hlaAllelesIn(text: string, gene: string | undefined): string[] {
  const out: string[] = [];
  const re = /(?:HLA-?([A-Z]{1,4}\d?)\s*)?\*\s*(\d{2,3})(?::(\d{2,3})|(\d{2})(?!\d))/gi;
  for (const m of text.matchAll(re)) {
    const locus = m[1] ? `HLA-${m[1].toUpperCase()}` : gene?.startsWith('HLA-') ? gene : undefined;
    if (!locus) continue;
    const name = `${locus}*${m[2]}:${m[3] ?? m[4]}`;
    if (!out.includes(name)) out.push(name);
  }
  return out;
}

type HlaVote = 'positive' | 'negative';

/** Presence / absence from interpretation, value codes, value words and valueBoolean. */
function hlaStatus(obs: Observation): { status?: HlaVote; conflict: boolean } {
  const votes = new Set<HlaVote>();
  const vote = (c: { system?: string; code?: string }): void => {
    const key = `${c.system ?? ''}|${c.code ?? ''}`;
    if (POSITIVE_CODES.has(key)) votes.add('positive');
    if (NEGATIVE_CODES.has(key)) votes.add('negative');
  };
  const wordVote = (t: string): void => {
    const withoutNegatives = t.replace(NEGATIVE_WORDS, ' ');
    if (withoutNegatives !== t) votes.add('negative');
    if (POSITIVE_WORDS.test(withoutNegatives)) votes.add('positive');
  };
  for (const interp of asArray(obs.interpretation).filter(isRecord) as CodeableConcept[]) {
    for (const c of codings(interp)) vote(c);
  }
  const cc = valueConcept(obs);
  for (const c of codings(cc)) vote(c);
  for (const t of [...conceptTexts(cc), ...(str(obs.valueString) ? [obs.valueString!] : [])]) wordVote(t);
  if (typeof obs.valueBoolean === 'boolean') votes.add(obs.valueBoolean ? 'positive' : 'negative');
  if (votes.size > 1) return { conflict: true };
  const [status] = [...votes];
  return status ? { status, conflict: false } : { conflict: false };
}

function rsidOf(obs: Observation): string | undefined {
  for (const comp of componentsWith(obs, LOINC_CODE.dbsnp)) {
    for (const t of [...valueTexts(comp), ...codings(valueConcept(comp)).map((c) => c.code ?? '')]) {
      const m = /\brs\d+\b/i.exec(t);
      if (m) return m[0].toLowerCase();
    }
  }
  for (const t of valueTexts(obs)) {
    const m = /\brs\d+\b/i.exec(t);
    if (m) return m[0].toLowerCase();
  }
  return undefined;
}

function allelicState(obs: Observation): 'homozygous' | 'heterozygous' | undefined {
  for (const comp of componentsWith(obs, LOINC_CODE.allelicState)) {
    const cc = valueConcept(comp);
    if (hasCoding(cc, SYSTEMS.loinc, ALLELIC_STATE.homozygous)) return 'homozygous';
    if (hasCoding(cc, SYSTEMS.loinc, ALLELIC_STATE.heterozygous)) return 'heterozygous';
    const t = (firstText(cc) ?? '').toLowerCase();
    if (t.startsWith('homozyg')) return 'homozygous';
    if (t.startsWith('heterozyg')) return 'heterozygous';
  }
  return undefined;
}

export const VKORC1_RSID = 'rs9923231';

/** Genes whose rule table reads a single SNP (VKORC1 rs9923231, SLCO1B1 rs4149056), by dbSNP id. */
const SNP_GENES: ReadonlyMap<string, GeneSymbol> = new Map(
  GENES.flatMap((g) => {
    const snp = geneTable(g).snp;
    return snp ? [[snp.rsid.toLowerCase(), g] as [string, GeneSymbol]] : [];
  }),
);

function nucleotidePair(text: string): [string, string] | undefined {
  const m = /(?:^|[^A-Za-z0-9>])([ACGT])\s*[/;|]\s*([ACGT])(?![A-Za-z0-9])/i.exec(text);
  return m ? [m[1]!, m[2]!] : undefined;
}

/** A base change ('1173C>T', 'c.-1639G>A') in `text` that is not one of the names the table gives its SNP. */
function otherChange(symbol: GeneSymbol, text: string): string | undefined {
  const snp = geneTable(symbol).snp;
  const names = (snp?.names ?? []).map((n) => n.name.toLowerCase().replace(/\s+/g, ''));
  for (const m of text.matchAll(/(\d+(?:[+-]\d+)?)\s*([ACGT])\s*>\s*([ACGT])/gi)) {
    const change = `${m[1]}${m[2]}>${m[3]}`.toLowerCase();
    if (!names.some((n) => n.includes(change))) return m[0];
  }
  return undefined;
}

// ------------------------------------------------------------------------------- candidates

interface GenotypeCand {
  gene: string;
  diplotype: string;
  key: string;
  raw: string;
  ctx: Ctx;
}
interface HaplotypeCand {
  gene: string;
  allele: string;
  raw: string;
  homozygous: boolean;
  ctx: Ctx;
}
interface HlaCand {
  allele: string;
  status: HlaVote;
  ctx: Ctx;
}
interface VariantCand {
  gene: string;
  rsid: string;
  genotype: string;
  raw: string;
  ctx: Ctx;
}
interface PhenotypeCand {
  result: ReportedPhenotype;
  key: string;
  phenotypeKey: string;
  ctx: Ctx;
}

/** The value of an Observation as written, for saying which result could not be read. */
function asWritten(obs: Observation): string {
  const v = valueText(obs);
  if (v) return v;
  if (typeof obs.valueBoolean === 'boolean') return String(obs.valueBoolean);
  const codes = codings(valueConcept(obs))
    .map((c) => str(c.code))
    .filter((c): c is string => !!c);
  return codes.join(', ');
}

function problemResult(ctx: Ctx): ProblemResult {
  return { source: ctx.source, date: ctx.date, value: asWritten(ctx.obs) };
}

class Collector {
  readonly problems: PgxInputProblem[] = [];
  readonly genotypes = new Map<string, GenotypeCand[]>();
  /** Genes with any genotype Observation, readable or not: haplotypes are not used for them. */
  readonly genotypeGenes = new Set<string>();
  readonly haplotypes = new Map<string, HaplotypeCand[]>();
  readonly hla = new Map<string, HlaCand[]>();
  readonly variants = new Map<string, VariantCand[]>();
  readonly phenotypes = new Map<string, PhenotypeCand[]>();
  /**
   * Single variants of genes read by their diplotype (CYP2C19 rs4244285 A/A): the Genomics Reporting IG reports
   * them beside the genotype they make up, so they are problems only for a gene left without a genotype.
   */
  readonly singleVariants = new Map<string, { ctx: Ctx; what: string; reason: string }[]>();
  private readonly notedUnknown = new Set<string>();

  problem(
    kind: PgxInputProblem['kind'],
    detail: string,
    reason: string,
    ctxs: readonly Ctx[],
    gene?: string,
    alleles?: readonly string[],
  ): void {
    this.problems.push({
      kind,
      detail,
      reason,
      ...(gene ? { gene } : {}),
      ...(alleles && alleles.length > 0 ? { alleles: [...alleles] } : {}),
      source: ctxs.map((x) => x.source),
      results: ctxs.map(problemResult),
    });
  }

  malformed(ctx: Ctx, what: string, reason: string, gene?: string, alleles?: readonly string[], kind: 'malformed' | 'unknown-allele' = 'malformed'): void {
    this.problem(kind, `The ${what} in ${ctx.source} cannot be used: ${reason}.`, reason, [ctx], gene, alleles);
  }

  noteGene(gene: string, ctx: Ctx): void {
    if (KNOWN_SYMBOLS.has(gene) || this.notedUnknown.has(gene)) return;
    this.notedUnknown.add(gene);
    this.problem(
      'unknown-gene',
      `${gene} is not one of the genes this service has a table for; its result is passed on as reported.`,
      'no table for this gene',
      [ctx],
      gene,
    );
  }

  push<T>(map: Map<string, T[]>, key: string, value: T): void {
    const list = map.get(key);
    if (list) list.push(value);
    else map.set(key, [value]);
  }

  /** A phenotype term or activity score written as a genotype result (CPIC's `generesult` / `lookupkey` forms). */
  pushPhenotypeFromGenotype(gene: string, phenotype: string, activityScore: number | undefined, ctx: Ctx): void {
    const result: ReportedPhenotype = { gene, phenotype, ...(activityScore !== undefined ? { activityScore } : {}), date: ctx.date, source: [ctx.source] };
    const phenotypeKey = phenotype.toLowerCase();
    this.push(this.phenotypes, gene, { result, key: `${phenotypeKey}|${activityScore ?? ''}|`, phenotypeKey, ctx });
  }
}

// ---------------------------------------------------------------------------------- readers

/** The gene of a report; `null` when the gene cannot be read and that was already reported as a problem. */
function resolveGene(c: Collector, ctx: Ctx, what: string, fallbackTexts: readonly (string | undefined)[]): string | undefined | null {
  const read = geneStudied(ctx.obs);
  if (read.inconsistent) {
    c.malformed(ctx, what, `its gene studied names more than one gene (${read.inconsistent.join(', ')})`);
    return null;
  }
  if (read.gene) return read.gene;
  for (const t of fallbackTexts) {
    const g = leadingGene(t);
    if (g) return g;
  }
  if (read.unknownId) {
    c.problem(
      'unknown-gene',
      `${ctx.source} names the gene ${read.unknownId}, which this service cannot map to a gene symbol; the result was not used.`,
      `gene ${read.unknownId} is not a gene this service can map to a symbol`,
      [ctx],
      read.unknownId,
    );
    return null;
  }
  return undefined;
}

function readHla(c: Collector, ctx: Ctx, gene: string | undefined, kind: Kind): void {
  const obs = ctx.obs;
  const texts = [
    ...componentsWith(obs, LOINC_CODE.haplotype).flatMap((comp) => valueTexts(comp)),
    ...valueTexts(obs),
    ...codeTexts(obs),
  ];
  const alleles = [...new Set(texts.flatMap((t) => hlaAllelesIn(t, gene)))];
  const locus = gene ?? alleles[0]?.split('*')[0];
  const { status, conflict } = hlaStatus(obs);
  if (conflict) {
    c.problem(
      'conflicting',
      `${ctx.source} reports ${alleles.join(', ') || 'an HLA allele'} as both positive and negative; it was not used.`,
      'it says both positive and negative',
      [ctx],
      locus,
      alleles,
    );
    return;
  }
  if (status) {
    if (alleles.length === 1) {
      c.push(c.hla, alleles[0]!, { allele: alleles[0]!, status, ctx });
      if (locus) c.noteGene(locus, ctx);
    } else if (alleles.length === 0) {
      c.malformed(ctx, 'HLA result', `it says ${status} but not which HLA allele was tested`, locus);
    } else {
      c.malformed(ctx, 'HLA result', `it names several alleles (${alleles.join(', ')}) with a single ${status} result`, locus, alleles);
    }
    return;
  }
  // No presence / absence: an HLA typing (two alleles) or an identified haplotype.
  const value = valueText(obs);
  if (kind === 'genotype' && locus && value) {
    const lead = leadingGene(value);
    const split = lead && lead !== locus ? undefined : splitDiplotype(locus, value);
    const typed = split?.ok ? hlaAllelesIn(value, locus) : [];
    if (split?.ok && typed.length >= 1) {
      c.genotypeGenes.add(locus);
      c.push(c.genotypes, locus, { gene: locus, diplotype: split.text, key: split.key, raw: value, ctx });
      for (const allele of typed) c.push(c.hla, allele, { allele, status: 'positive', ctx });
      c.noteGene(locus, ctx);
      return;
    }
  }
  if (kind === 'haplotype' && alleles.length === 1) {
    c.push(c.hla, alleles[0]!, { allele: alleles[0]!, status: 'positive', ctx });
    return;
  }
  c.malformed(ctx, 'HLA result', 'it does not say whether the allele is present (positive) or absent (negative)', locus, alleles);
}

/**
 * A single-SNP result of a gene whose rule table reads that SNP (VKORC1 rs9923231, SLCO1B1 rs4149056), in any
 * spelling the knowledge parser reads, or the Genomics Reporting variant shape (presence + allelic state).
 *
 * VKORC1 strand: dbSNP reports rs9923231 on the genomic plus strand as C>T; VKORC1 lies on the minus strand of
 * chromosome 16, so on the gene strand the same variant is -1639G>A (c.-1639G>A): rs9923231 C = -1639 G and
 * rs9923231 T = -1639 A (CPIC warfarin guideline, Johnson JA et al., Clin Pharmacol Ther 2017;102:397-404; the
 * CPIC/PharmCAT VKORC1 table in shared/pgx: "T corresponds to -1639 A"). The VKORC1 rule table maps both letter
 * sets (and the CPIC allele names) onto its two alleles, never guessing the strand: {A, G} and {C, T} do not
 * overlap, and a -1639 name written with C/T is refused. The genotype is kept in the -1639 G/A representation,
 * sorted ('G/G', 'A/G', 'A/A'), which is how the IWPC algorithm is written.
 *
 * The result must say which variant it is (a SNP name in the value, or the dbSNP component): a bare 'VKORC1 A/G'
 * could be another VKORC1 variant (1173C>T, rs9934438, reads C/T too), so it is not read; nor is a value naming
 * another base change of the gene.
 */
function readSnpResult(c: Collector, ctx: Ctx, symbol: GeneSymbol, kind: Kind): void {
  const obs = ctx.obs;
  const snp = geneTable(symbol).snp!;
  const rsid = rsidOf(obs);
  const raw = valueText(obs) ?? '';
  const what = `${symbol} result${raw ? ` '${raw}'` : ''}`;
  // The variant named in a variant-shape component (c.HGVS, g.HGVS, discrete variant), if any.
  const variantNames = [LOINC_CODE.dnaChange, LOINC_CODE.genomicDnaChange, LOINC_CODE.discreteVariant].flatMap((code) =>
    componentsWith(obs, code).flatMap((comp) => [...valueTexts(comp), ...codings(valueConcept(comp)).map((x) => str(x.code) ?? '')]),
  );
  c.genotypeGenes.add(symbol);
  if (rsid && rsid !== snp.rsid.toLowerCase()) {
    c.malformed(ctx, what, `it reports ${rsid}; this service reads ${symbol} ${snp.rsid} only`, symbol);
    return;
  }
  const other = [raw, ...variantNames].map((t) => otherChange(symbol, t)).find((x) => x !== undefined);
  if (other) {
    c.malformed(ctx, what, `it reports ${symbol} ${other}; this service reads ${snp.rsid} (${snp.names.filter((n) => n.change).map((n) => n.name).slice(0, 2).join(', ')}) only`, symbol);
    return;
  }
  const zygosity = allelicState(obs);
  const options = zygosity ? { zygosity } : {};
  const direct = raw ? readGenotypeValue(symbol, raw, options) : undefined;
  if (direct?.ok && direct.kind === 'phenotype') {
    c.pushPhenotypeFromGenotype(symbol, direct.phenotype, direct.activityScore, ctx);
    return;
  }
  const named = namesSnp(symbol, raw);
  let reading: GenotypeReading | undefined;
  if (raw && (named || rsid === snp.rsid.toLowerCase())) reading = named ? direct : readGenotypeValue(symbol, `${snp.rsid} ${raw}`, options);
  const identified = rsid === snp.rsid.toLowerCase() || named || variantNames.some((t) => namesSnp(symbol, t));
  if (!reading?.ok && kind === 'variant' && identified) {
    // Variant shape (69548-6): presence of the variant allele plus its allelic state.
    const presence = hlaStatus(obs);
    if (presence.conflict) return c.malformed(ctx, what, 'it says both present and absent', symbol);
    if (presence.status === 'negative') reading = readGenotypeValue(symbol, `${snp.reference}/${snp.reference}`);
    else if (presence.status === 'positive' && zygosity) reading = readGenotypeValue(symbol, `${snp.rsid} ${zygosity}`);
    else if (presence.status === 'positive') return c.malformed(ctx, what, 'it does not give the genotype (variant present without its allelic state)', symbol);
  }
  if (!reading) {
    const reason = !raw
      ? 'it has no value'
      : `'${raw}' does not say which ${symbol} variant it is (${snp.names.filter((n) => n.change).map((n) => n.name).slice(0, 2).join(' / ')} / ${snp.rsid})`;
    return c.malformed(ctx, what, reason, symbol);
  }
  const read = fromReading(raw, symbol, reading);
  if (!read.ok) return c.malformed(ctx, what, read.reason, symbol, undefined, read.kind);
  if (read.kind === 'phenotype') return c.pushPhenotypeFromGenotype(symbol, read.phenotype, read.activityScore, ctx);
  const d = (reading as Extract<GenotypeReading, { kind: 'diplotype' }>).diplotype;
  // VKORC1: the gene-strand -1639 letters, sorted; other SNPs: the dbSNP letters in the order written.
  const geneStrand = Object.values(snp.alleles).find((a) => a.notation)?.notation;
  const letters = snpLetters(symbol, d.alleles, geneStrand ?? 'rsid');
  if (!letters) return c.malformed(ctx, what, `'${d.text}' is not a genotype of ${snp.rsid}`, symbol);
  if (geneStrand) letters.sort();
  c.noteGene(symbol, ctx);
  c.push(c.variants, symbol, { gene: symbol, rsid: snp.rsid, genotype: letters.join('/'), raw, ctx });
}

function readVariant(c: Collector, ctx: Ctx, gene: string | undefined, kind: Kind): void {
  const obs = ctx.obs;
  const rsid = rsidOf(obs);
  const raw = valueText(obs) ?? '';
  const bySnp = rsid ? SNP_GENES.get(rsid) : undefined;
  const symbol = gene ? toGeneSymbol(gene) : bySnp;
  if (gene && bySnp && symbol !== bySnp) {
    c.malformed(ctx, `${gene} variant result`, `${rsid} is a ${bySnp} variant, not ${gene}`, gene);
    return;
  }
  if (symbol && geneTable(symbol).snp) return readSnpResult(c, ctx, symbol, kind);
  const pair = nucleotidePair(raw);
  if (symbol) {
    // A gene read by its diplotype: one variant does not give the diplotype (the other variants of its alleles are unknown).
    const readable = [...SNP_GENES].map(([r, g]) => `${g} ${r}`).join(', ');
    c.push(c.singleVariants, symbol, {
      ctx,
      what: `${symbol} variant result${raw ? ` '${raw}'` : ''}`,
      reason: `a single variant${rsid ? ` (${rsid})` : ''} does not give the ${symbol} diplotype; single variants are read only for ${readable}`,
    });
    return;
  }
  if (!gene || !rsid || !pair) {
    c.malformed(
      ctx,
      'variant result',
      !gene ? 'it does not say which gene' : !rsid ? 'it does not give a dbSNP id' : `'${raw}' does not contain a genotype such as A/G`,
      gene,
    );
    return;
  }
  c.noteGene(gene, ctx);
  c.push(c.variants, gene, { gene, rsid, genotype: `${pair[0].toUpperCase()}/${pair[1].toUpperCase()}`, raw, ctx });
}

function readGenotype(c: Collector, ctx: Ctx): void {
  const raw = valueText(ctx.obs);
  const resolved = resolveGene(c, ctx, 'genotype result', [raw]);
  if (resolved === null) return;
  const gene = resolved;
  const hlaContext = gene?.startsWith('HLA-') || [raw ?? '', ...componentsWith(ctx.obs, LOINC_CODE.haplotype).flatMap((x) => valueTexts(x))].some((t) => /HLA-/i.test(t));
  if (hlaContext) return readHla(c, ctx, gene, 'genotype');
  const rsid = rsidOf(ctx.obs);
  const symbol = gene ? toGeneSymbol(gene) : rsid ? SNP_GENES.get(rsid) : undefined;
  const snp = symbol ? geneTable(symbol).snp : undefined;
  // Single-SNP results: the gene's result is the SNP (VKORC1), or the value names the SNP and no star allele
  // (SLCO1B1 'rs4149056 T/C'); a star-allele diplotype that merely comes with a dbSNP component stays a
  // diplotype. A nucleotide genotype with a dbSNP id for any other gene is a single variant.
  const starred = (raw ?? '').includes('*');
  if (
    (symbol && snp && (geneTable(symbol).method === 'genotype' || (!starred && (rsid === snp.rsid.toLowerCase() || namesSnp(symbol, raw ?? ''))))) ||
    (rsid && raw && !starred && nucleotidePair(raw))
  )
    return readVariant(c, ctx, gene ?? symbol, 'genotype');
  if (!gene) {
    c.malformed(ctx, 'genotype result', 'it does not say which gene was studied');
    return;
  }
  c.genotypeGenes.add(gene);
  if (!raw) {
    c.malformed(ctx, `${gene} genotype result`, 'it has no value', gene);
    return;
  }
  const read = readValue(raw, gene, allelicState(ctx.obs));
  if (!read.ok) {
    c.malformed(ctx, `${gene} genotype result '${raw}'`, read.reason, gene, undefined, read.kind);
    return;
  }
  if (read.kind === 'phenotype') {
    c.pushPhenotypeFromGenotype(gene, read.phenotype, read.activityScore, ctx);
    return;
  }
  c.noteGene(gene, ctx);
  c.push(c.genotypes, gene, { gene, diplotype: read.diplotype, key: read.key, raw, ctx });
}

function readHaplotype(c: Collector, ctx: Ctx): void {
  const raw = valueText(ctx.obs);
  const resolved = resolveGene(c, ctx, 'haplotype result', [raw]);
  if (resolved === null) return;
  const gene = resolved;
  if (gene?.startsWith('HLA-') || /HLA-/i.test(raw ?? '')) return readHla(c, ctx, gene, 'haplotype');
  if (!gene) {
    c.malformed(ctx, 'haplotype result', 'it does not say which gene was studied');
    return;
  }
  const allele = raw ? stripGeneNames(gene, raw) : '';
  if (!raw || allele === '' || NO_CALL.test(allele) || allele.includes('/')) {
    c.malformed(ctx, `${gene} haplotype result${raw ? ` '${raw}'` : ''}`, raw ? 'it is not a single haplotype' : 'it has no value', gene);
    return;
  }
  c.push(c.haplotypes, gene, { gene, allele: allele.replace(/\s+/g, ' '), raw, homozygous: allelicState(ctx.obs) === 'homozygous', ctx });
}

function readPhenotype(c: Collector, ctx: Ctx, byReference: ReadonlyMap<string, Observation>): void {
  const obs = ctx.obs;
  const metabolism = componentsWith(obs, LOINC_CODE.effectOnMetabolism)[0];
  const phenotype = metabolism ? valueText(metabolism) : isLoinc(obs.code, LOINC_CODE.effectOnMetabolism) ? valueText(obs) : undefined;
  const derived = (asArray(obs.derivedFrom).filter(isRecord) as { reference?: string }[])
    .map((r) => (r.reference ? byReference.get(r.reference) : undefined))
    .filter((o): o is Observation => !!o);
  const resolved = resolveGene(c, ctx, 'phenotype result', [isRecord(obs.code) ? str(obs.code.text) : undefined]);
  if (resolved === null) return;
  let gene = resolved;
  for (const d of derived) {
    if (gene) break;
    gene = geneStudied(d).gene ?? leadingGene(valueText(d));
  }
  if (!gene) {
    c.malformed(ctx, 'phenotype result', 'it does not say which gene it is for');
    return;
  }
  if (!phenotype) {
    c.malformed(ctx, `${gene} phenotype result`, 'it has no phenotype value', gene);
    return;
  }
  const drugComp = componentsWith(obs, LOINC_CODE.medicationAssessed)[0];
  let drug: ReportedPhenotype['drug'];
  if (drugComp) {
    const cc = valueConcept(drugComp);
    const rxnorm = codings(cc).find((x) => isRxnormSystem(x.system) && str(x.code))?.code?.trim();
    const text = str(cc?.text)?.trim() ?? codings(cc).map((x) => str(x.display)).find((x) => !!x)?.trim() ?? str(drugComp.valueString)?.trim();
    if (rxnorm || text) drug = { ...(rxnorm ? { rxnorm } : {}), ...(text ? { text } : {}) };
  }
  c.noteGene(gene, ctx);
  // Synonyms ('PM', 'Poor metaboliser') are one phenotype: only different CPIC terms disagree.
  const phenotypeKey = (normalizePhenotype(phenotype, gene) ?? phenotype).toLowerCase().replace(/metaboliser/g, 'metabolizer').replace(/\s+/g, ' ').trim();
  const drugKey = drug?.rxnorm ?? drug?.text?.toLowerCase() ?? '';
  const result: ReportedPhenotype = { gene, phenotype: phenotype.trim(), ...(drug ? { drug } : {}), date: ctx.date, source: [ctx.source] };
  c.push(c.phenotypes, gene, { result, key: `${phenotypeKey}|${drugKey}`, phenotypeKey, ctx });
}

// -------------------------------------------------------------------------------- aggregate

function describe(ctx: Ctx): string {
  return ctx.date ? `${ctx.source}, ${ctx.date.slice(0, 10)}` : ctx.source;
}

/** Same value several times: newest kept, a 'duplicate' note. Different values: a 'conflicting' problem and nothing kept. */
function settle<T extends { ctx: Ctx }>(
  c: Collector,
  cands: readonly T[],
  keyOf: (t: T) => string,
  label: (t: T) => string,
  subject: string,
  gene: string | undefined,
  alleles?: readonly string[],
): { best: T; sources: string[] } | undefined {
  const sorted = [...cands].sort((a, b) => newerFirst(a, b));
  const keys = new Set(sorted.map(keyOf));
  const sources = sorted.map((x) => x.ctx.source);
  if (keys.size > 1) {
    const byKey = new Map<string, T[]>();
    for (const x of sorted) c.push(byKey, keyOf(x), x);
    const parts = [...byKey.values()].map((xs) => `${label(xs[0]!)} (${xs.map((x) => describe(x.ctx)).join('; ')})`);
    c.problem(
      'conflicting',
      `Results for ${subject} disagree: ${parts.join(' versus ')}. None of them is used until this is resolved.`,
      `results for ${subject} disagree: ${parts.join(' versus ')}`,
      sorted.map((x) => x.ctx),
      gene,
      alleles,
    );
    return undefined;
  }
  const best = sorted[0]!;
  if (sorted.length > 1) {
    c.problem(
      'duplicate',
      `${subject} ${label(best)} is reported ${sorted.length} times (${sorted.map((x) => describe(x.ctx)).join('; ')}); the newest report is used.`,
      'the same result reported again',
      sorted.map((x) => x.ctx),
      gene,
      alleles,
    );
  }
  return { best, sources };
}

function naturalOrder(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true, sensitivity: 'base' });
}

/** Gene (and HLA alleles) of a result that is not read further (not final, future-dated), so it still blocks advice on that gene. */
function geneOfUnread(obs: Observation): { gene?: string; alleles?: string[] } {
  const studied = geneStudied(obs).gene ?? leadingGene(valueText(obs)) ?? (rsidOf(obs) ? SNP_GENES.get(rsidOf(obs)!) : undefined);
  const texts = [...componentsWith(obs, LOINC_CODE.haplotype).flatMap((x) => valueTexts(x)), ...valueTexts(obs), ...codeTexts(obs)];
  const alleles = [...new Set(texts.flatMap((t) => hlaAllelesIn(t, studied)))];
  const gene = studied ?? alleles[0]?.split('*')[0];
  return { ...(gene ? { gene } : {}), ...(alleles.length > 0 ? { alleles } : {}) };
}

/**
 * Reads pharmacogenomic results from Observations (any others are ignored). `now` rejects
 * reports dated in the future (more than a day ahead, to allow for time zones).
 */
export function extractPgxResults(observations: readonly Observation[], now: Date): PgxResults {
  const c = new Collector();
  const nowMs = now.getTime();
  const seen = new Set<string>();
  const byReference = new Map<string, Observation>();
  for (const o of observations) if (isRecord(o) && str(o.id)) byReference.set(`Observation/${o.id}`, o);

  observations.forEach((obs, index) => {
    if (!isRecord(obs) || obs.resourceType !== 'Observation') return;
    const kind = kindOf(obs);
    if (!kind) return;
    const ctx = makeCtx(obs, index);
    if (str(obs.id)) {
      // The same resource twice (e.g. from prefetch and a search) is one report.
      if (seen.has(ctx.source)) return;
      seen.add(ctx.source);
    }
    const status = str(obs.status) ?? '(none)';
    if (!USABLE_STATUSES.has(status)) {
      if (!SILENT_STATUSES.has(status)) {
        const { gene, alleles } = geneOfUnread(obs);
        c.problem(
          'unusable-status',
          `${ctx.source}${gene ? ` (${gene})` : ''} has status '${status}'; only final, amended or corrected results are used.`,
          `status '${status}': only final, amended or corrected results are used`,
          [ctx],
          gene,
          alleles,
        );
      }
      return;
    }
    const latest = Math.max(ctx.order[0], ctx.order[1]);
    if (latest > nowMs + FUTURE_TOLERANCE_MS) {
      const { gene, alleles } = geneOfUnread(obs);
      c.malformed(ctx, 'result', `it is dated in the future (${ctx.date || obs.issued})`, gene, alleles);
      return;
    }
    switch (kind) {
      case 'genotype':
        return readGenotype(c, ctx);
      case 'haplotype':
        return readHaplotype(c, ctx);
      case 'variant': {
        const gene = resolveGene(c, ctx, 'variant result', []);
        if (gene === null) return;
        const hla = gene?.startsWith('HLA-') || valueTexts(obs).some((t) => /HLA-/i.test(t));
        return hla ? readHla(c, ctx, gene, 'variant') : readVariant(c, ctx, gene, 'variant');
      }
      case 'phenotype':
        return readPhenotype(c, ctx, byReference);
      case 'hla-test':
        return readHla(c, ctx, geneStudied(obs).gene, 'hla-test');
    }
  });

  const genotypes: Record<string, GenotypeResult> = {};
  for (const [gene, cands] of c.genotypes) {
    const settled = settle(c, cands, (x) => x.key, (x) => x.diplotype, `${gene} genotype`, gene);
    if (!settled) continue;
    const { best, sources } = settled;
    genotypes[gene] = { gene, diplotype: best.diplotype, raw: best.raw, date: best.ctx.date, source: sources };
  }

  for (const [gene, cands] of c.haplotypes) {
    if (c.genotypeGenes.has(gene)) continue; // the genotype report is the result; haplotypes are its parts
    const sorted = [...cands].sort((a, b) => newerFirst(a, b));
    const sources = sorted.map((x) => x.ctx.source);
    let alleles: string[] | undefined;
    if (sorted.length === 2) alleles = sorted.map((x) => x.allele);
    else if (sorted.length === 1 && sorted[0]!.homozygous) alleles = [sorted[0]!.allele, sorted[0]!.allele];
    if (!alleles) {
      c.problem(
        sorted.length > 2 ? 'conflicting' : 'malformed',
        sorted.length > 2
          ? `${sorted.length} ${gene} haplotypes are reported (${sorted.map((x) => `${x.allele} in ${describe(x.ctx)}`).join('; ')}) and no genotype; they do not make one diplotype, so none is used.`
          : `Only one ${gene} haplotype (${sorted[0]!.allele}, ${describe(sorted[0]!.ctx)}) is reported and no genotype; a diplotype needs two.`,
        sorted.length > 2 ? `${sorted.length} haplotypes and no genotype` : 'one haplotype and no genotype: a diplotype needs two',
        sorted.map((x) => x.ctx),
        gene,
      );
      continue;
    }
    alleles.sort(naturalOrder);
    // The pair is read like a written diplotype: an allele the rule table does not know is not a result.
    const pairRead = readValue(`${alleles[0]}/${alleles[1]}`, gene, undefined);
    if (!pairRead.ok || pairRead.kind !== 'diplotype') {
      const why = pairRead.ok ? 'it is not a diplotype' : pairRead.reason;
      c.problem(
        pairRead.ok ? 'malformed' : pairRead.kind,
        `The ${gene} haplotypes ${alleles.join(' and ')} (${sorted.map((x) => describe(x.ctx)).join('; ')}) cannot be used: ${why}.`,
        why,
        sorted.map((x) => x.ctx),
        gene,
      );
      continue;
    }
    c.noteGene(gene, sorted[0]!.ctx);
    genotypes[gene] = {
      gene,
      diplotype: `${alleles[0]}/${alleles[1]}`,
      raw: sorted.map((x) => x.raw).join('; '),
      date: sorted[0]!.ctx.date,
      source: sources,
    };
  }

  for (const [gene, list] of c.singleVariants) {
    if (c.genotypeGenes.has(gene) || c.haplotypes.has(gene)) continue; // the variants are the genotype's evidence
    for (const v of list) c.malformed(v.ctx, v.what, v.reason, gene);
  }

  const hla: Record<string, HlaResult> = {};
  for (const [allele, cands] of c.hla) {
    const settled = settle(c, cands, (x) => x.status, (x) => x.status, allele, allele.split('*')[0], [allele]);
    if (!settled) continue;
    hla[allele] = { allele, status: settled.best.status, date: settled.best.ctx.date, source: settled.sources };
  }

  const variants: Record<string, VariantResult> = {};
  for (const [gene, cands] of c.variants) {
    const rsids = new Set(cands.map((x) => x.rsid));
    if (rsids.size > 1) {
      c.problem(
        'conflicting',
        `Several different ${gene} variants are reported (${[...rsids].join(', ')}); this service reads one variant per gene, so none is used.`,
        `several different variants (${[...rsids].join(', ')}); one per gene is read`,
        cands.map((x) => x.ctx),
        gene,
      );
      continue;
    }
    const label = gene === 'VKORC1' ? 'VKORC1 -1639G>A' : `${gene} ${cands[0]!.rsid}`;
    const settled = settle(c, cands, (x) => x.genotype, (x) => x.genotype, label, gene);
    if (!settled) continue;
    const { best, sources } = settled;
    variants[gene] = { gene, rsid: best.rsid, genotype: best.genotype, raw: best.raw, date: best.ctx.date, source: sources };
  }

  const phenotypes: Record<string, ReportedPhenotype[]> = {};
  for (const [gene, cands] of c.phenotypes) {
    const sorted = [...cands].sort((a, b) => newerFirst(a, b));
    const merged = new Map<string, PhenotypeCand[]>();
    for (const x of sorted) c.push(merged, x.key, x);
    const list: ReportedPhenotype[] = [];
    for (const group of merged.values()) {
      const first = group[0]!;
      const sources = group.map((x) => x.ctx.source);
      if (group.length > 1) {
        c.problem(
          'duplicate',
          `The ${gene} phenotype '${first.result.phenotype}' is reported ${group.length} times (${group.map((x) => describe(x.ctx)).join('; ')}); the newest report is used.`,
          'the same result reported again',
          group.map((x) => x.ctx),
          gene,
        );
      }
      list.push({ ...first.result, source: sources });
    }
    const distinct = new Map<string, PhenotypeCand>();
    for (const x of sorted) if (!distinct.has(x.phenotypeKey)) distinct.set(x.phenotypeKey, x);
    if (distinct.size > 1) {
      const parts = [...distinct.values()].map((x) => `'${x.result.phenotype}' (${describe(x.ctx)})`).join(' versus ');
      c.problem('conflicting', `Different ${gene} phenotypes are reported: ${parts}.`, `different phenotypes are reported: ${parts}`, sorted.map((x) => x.ctx), gene);
    }
    phenotypes[gene] = list;
  }

  return { genotypes, phenotypes, hla, variants, problems: c.problems };
}
