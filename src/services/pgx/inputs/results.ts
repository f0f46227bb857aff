import type { CodeableConcept, Observation, ObservationComponent } from 'fhir/r4.js';
import { loadJson } from '../../../util/data-file.js';
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
 *   the diplotype from valueCodeableConcept (text, else a coding) or valueString, written
 *   '<GENE> <diplotype>' or just '<diplotype>'. Unknown alleles ('*1/*99') are kept as written:
 *   the phenotype step decides what they mean.
 * - Haplotype Observations (84414-2): used only for a gene without any genotype Observation;
 *   two haplotypes (or one marked homozygous) make a diplotype.
 * - Therapeutic-implication / phenotype Observations (component 53040-2, medication in
 *   component 51963-7): every reported phenotype, as written; disagreement with the genotype is
 *   left to the service.
 * - HLA allele carriage (HLA-B*57:01 positive / negative) in several shapes, and HLA typings
 *   (two alleles) as a genotype plus "positive" for each allele typed.
 * - Single variants with a dbSNP id, in particular VKORC1 -1639G>A (rs9923231), normalised to
 *   the -1639 G/A representation.
 * Only status final, amended or corrected counts.
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

export interface PgxInputProblem {
  kind: 'malformed' | 'unknown-gene' | 'conflicting' | 'duplicate' | 'unusable-status';
  /** Plain words, fit for a card. */
  detail: string;
  gene?: string;
  source: string[];
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

/** Values that are not a genotype at all. */
const NO_CALL =
  /\b(unknown|indeterminate|undetermined|no\s*call|not\s+(determined|tested|performed|available|done)|failed|fail|inconclusive|invalid|pending|uninterpretable|see\s+(report|comment|note)s?|none)\b|^n\/?a$|^-+$|^\?+$/i;

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
  // Unknown words only when they look like a symbol as written (upper-case letters and digits).
  return GENE_LIKE.test(m[1]!) && /\d/.test(m[1]!) ? sym : undefined;
}

// ---------------------------------------------------------------------------------- alleles

/** Removes a leading gene symbol ('CYP2C19 *2/*2' -> '*2/*2') and repeated ones ('CYP2C19*1/CYP2C19*2'). */
function stripGene(text: string, gene: string): string {
  const g = gene.replace(/[-]/g, '[-_ ]?');
  return text.replace(new RegExp(`(^|/)\\s*${g}(?=\\s|\\*|$)\\s*`, 'gi'), '$1').trim();
}

type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

function parseDiplotype(raw: string, gene: string): Parsed<{ diplotype: string; key: string }> {
  const lead = leadingGene(raw);
  if (lead && lead !== gene) return { ok: false, reason: `the value names ${lead}, not ${gene}` };
  const rest = stripGene(raw, gene);
  if (rest === '') return { ok: false, reason: 'it names the gene but no diplotype' };
  if (NO_CALL.test(rest)) return { ok: false, reason: `it says '${rest}' instead of a diplotype` };
  const parts = rest.split('/');
  if (parts.length === 1) return { ok: false, reason: `'${rest}' is a single allele, not a diplotype` };
  if (parts.length > 2) return { ok: false, reason: `'${rest}' has more than two alleles (an ambiguous or combined result)` };
  const alleles = parts.map((p) => p.trim().replace(/\s+/g, ' '));
  if (alleles.some((a) => a === '')) return { ok: false, reason: `'${rest}' lacks an allele` };
  if (alleles.some((a) => /(^|\s)(or|and)(\s|$)|[,;|]/i.test(a)))
    return { ok: false, reason: `'${rest}' is ambiguous (several possible diplotypes)` };
  const [a, b] = alleles as [string, string];
  const key = [a, b]
    .map((x) => x.toLowerCase())
    .sort((x, y) => x.localeCompare(y, 'en', { numeric: true }))
    .join('/');
  return { ok: true, value: { diplotype: `${a}/${b}`, key } };
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

/**
 * VKORC1 -1639G>A (rs9923231) genotype in the -1639 G/A representation ('G/G', 'A/G', 'A/A').
 *
 * Strand: dbSNP reports rs9923231 on the genomic plus strand as C>T; VKORC1 lies on the minus
 * strand of chromosome 16, so on the gene strand the same variant is -1639G>A (c.-1639G>A):
 * rs9923231 C = -1639 G and rs9923231 T = -1639 A. Sources: CPIC warfarin guideline (Johnson JA
 * et al., Clin Pharmacol Ther 2017;102:397-404), which names the variant "VKORC1 -1639G>A
 * (rs9923231)" and its table calls the variant allele "T"; the CPIC/PharmCAT VKORC1 table in
 * shared/pgx (README: "C is the reference, T the variant: T corresponds to -1639 A"); our
 * fixtures' README (A/G in gene-strand alleles = rs9923231 C/T). The IWPC dosing algorithm is
 * written in -1639 G/A terms, hence this representation.
 *
 * Alleles from {A, G} are gene-strand already; alleles from {C, T} are plus-strand and are
 * complemented; the two sets do not overlap, so the strand is never guessed. A mixture (C/A)
 * or a -1639 value written with C/T cannot be read.
 */
export function normaliseVkorc1(alleles: readonly [string, string], written: 'gene' | 'rs'): Parsed<string> {
  const up = alleles.map((a) => a.toUpperCase());
  const gene = up.every((a) => a === 'A' || a === 'G');
  const plus = up.every((a) => a === 'C' || a === 'T');
  if (!gene && !plus) return { ok: false, reason: `'${alleles.join('/')}' mixes the alleles of both strands` };
  if (plus && written === 'gene') return { ok: false, reason: `a -1639 genotype must be written with G and A, not '${alleles.join('/')}'` };
  const g = up.map((a) => (a === 'C' ? 'G' : a === 'T' ? 'A' : a)).sort();
  return { ok: true, value: `${g[0]}/${g[1]}` };
}

function nucleotidePair(text: string): [string, string] | undefined {
  const m = /(?:^|[^A-Za-z0-9>])([ACGT])\s*[/;|]\s*([ACGT])(?![A-Za-z0-9])/i.exec(text);
  return m ? [m[1]!, m[2]!] : undefined;
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

class Collector {
  readonly problems: PgxInputProblem[] = [];
  readonly genotypes = new Map<string, GenotypeCand[]>();
  /** Genes with any genotype Observation, readable or not: haplotypes are not used for them. */
  readonly genotypeGenes = new Set<string>();
  readonly haplotypes = new Map<string, HaplotypeCand[]>();
  readonly hla = new Map<string, HlaCand[]>();
  readonly variants = new Map<string, VariantCand[]>();
  readonly phenotypes = new Map<string, PhenotypeCand[]>();
  private readonly notedUnknown = new Set<string>();

  problem(kind: PgxInputProblem['kind'], detail: string, source: string[], gene?: string): void {
    this.problems.push(gene ? { kind, detail, gene, source } : { kind, detail, source });
  }

  malformed(ctx: Ctx, what: string, reason: string, gene?: string): void {
    this.problem('malformed', `The ${what} in ${ctx.source} cannot be used: ${reason}.`, [ctx.source], gene);
  }

  noteGene(gene: string, source: string): void {
    if (KNOWN_SYMBOLS.has(gene) || this.notedUnknown.has(gene)) return;
    this.notedUnknown.add(gene);
    this.problem(
      'unknown-gene',
      `${gene} is not one of the genes this service has a table for; its result is passed on as reported.`,
      [source],
      gene,
    );
  }

  push<T>(map: Map<string, T[]>, key: string, value: T): void {
    const list = map.get(key);
    if (list) list.push(value);
    else map.set(key, [value]);
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
      [ctx.source],
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
      [ctx.source],
      locus,
    );
    return;
  }
  if (status) {
    if (alleles.length === 1) {
      c.push(c.hla, alleles[0]!, { allele: alleles[0]!, status, ctx });
      if (locus) c.noteGene(locus, ctx.source);
    } else if (alleles.length === 0) {
      c.malformed(ctx, 'HLA result', `it says ${status} but not which HLA allele was tested`, locus);
    } else {
      c.malformed(ctx, 'HLA result', `it names several alleles (${alleles.join(', ')}) with a single ${status} result`, locus);
    }
    return;
  }
  // No presence / absence: an HLA typing (two alleles) or an identified haplotype.
  const value = valueText(obs);
  if (kind === 'genotype' && locus && value) {
    const parsed = parseDiplotype(value, locus);
    const typed = parsed.ok ? hlaAllelesIn(value, locus) : [];
    if (parsed.ok && typed.length >= 1) {
      c.genotypeGenes.add(locus);
      c.push(c.genotypes, locus, { gene: locus, diplotype: parsed.value.diplotype, key: parsed.value.key, raw: value, ctx });
      for (const allele of typed) c.push(c.hla, allele, { allele, status: 'positive', ctx });
      c.noteGene(locus, ctx.source);
      return;
    }
  }
  if (kind === 'haplotype' && alleles.length === 1) {
    c.push(c.hla, alleles[0]!, { allele: alleles[0]!, status: 'positive', ctx });
    return;
  }
  c.malformed(ctx, 'HLA result', 'it does not say whether the allele is present (positive) or absent (negative)', locus);
}

function readVariant(c: Collector, ctx: Ctx, gene: string | undefined, kind: Kind): void {
  const obs = ctx.obs;
  const rsid = rsidOf(obs);
  const raw = valueText(obs) ?? '';
  const isVkorc1 = gene === 'VKORC1' || rsid === VKORC1_RSID;
  if (isVkorc1) {
    if (rsid && rsid !== VKORC1_RSID) {
      c.malformed(ctx, 'VKORC1 result', `it reports ${rsid}; this service reads VKORC1 -1639G>A (${VKORC1_RSID}) only`, 'VKORC1');
      return;
    }
    // Which variant: -1639 in the text, or the dbSNP id. A bare 'VKORC1 A/G' could be another
    // VKORC1 variant (1173C>T, rs9934438, reads A/G or C/T too), so it is not read.
    const other = /(\d{2,})\s*[ACGT]\s*>\s*[ACGT]/i.exec(raw);
    if (other && other[1] !== '1639') {
      c.malformed(ctx, 'VKORC1 result', `it reports VKORC1 ${other[0]}; this service reads -1639G>A (${VKORC1_RSID}) only`, 'VKORC1');
      return;
    }
    const written = /1639/.test(raw) ? 'gene' : rsid === VKORC1_RSID ? 'rs' : undefined;
    if (!written) {
      c.malformed(ctx, 'VKORC1 result', `'${raw}' does not say which VKORC1 variant it is (-1639G>A / ${VKORC1_RSID})`, 'VKORC1');
      return;
    }
    const pair = nucleotidePair(raw.replace(/-?1639\s*G\s*>\s*A/gi, ' '));
    let genotype: Parsed<string> | undefined;
    if (pair) {
      genotype = normaliseVkorc1(pair, written);
    } else if (kind === 'variant') {
      // Variant (69548-6) shape: presence of the variant allele plus its allelic state.
      const presence = hlaStatus(obs);
      const state = allelicState(obs);
      if (presence.conflict) genotype = { ok: false, reason: 'it says both present and absent' };
      else if (presence.status === 'negative') genotype = { ok: true, value: 'G/G' };
      else if (presence.status === 'positive' && state)
        genotype = { ok: true, value: state === 'homozygous' ? 'A/A' : 'A/G' };
      else genotype = { ok: false, reason: 'it does not give the genotype (variant present without its allelic state)' };
    } else {
      genotype = { ok: false, reason: `'${raw}' does not contain a genotype such as A/G` };
    }
    if (!genotype.ok) {
      c.malformed(ctx, 'VKORC1 -1639G>A result', genotype.reason, 'VKORC1');
      return;
    }
    c.genotypeGenes.add('VKORC1');
    c.push(c.variants, 'VKORC1', { gene: 'VKORC1', rsid: VKORC1_RSID, genotype: genotype.value, raw, ctx });
    return;
  }
  const pair = nucleotidePair(raw);
  if (!gene || !rsid || !pair) {
    c.malformed(
      ctx,
      'variant result',
      !gene ? 'it does not say which gene' : !rsid ? 'it does not give a dbSNP id' : `'${raw}' does not contain a genotype such as A/G`,
      gene,
    );
    return;
  }
  c.noteGene(gene, ctx.source);
  c.push(c.variants, gene, { gene, rsid, genotype: `${pair[0].toUpperCase()}/${pair[1].toUpperCase()}`, raw, ctx });
}

function readGenotype(c: Collector, ctx: Ctx): void {
  const raw = valueText(ctx.obs);
  const resolved = resolveGene(c, ctx, 'genotype result', [raw]);
  if (resolved === null) return;
  const gene = resolved;
  const hlaContext = gene?.startsWith('HLA-') || [raw ?? '', ...componentsWith(ctx.obs, LOINC_CODE.haplotype).flatMap((x) => valueTexts(x))].some((t) => /HLA-/i.test(t));
  if (hlaContext) return readHla(c, ctx, gene, 'genotype');
  // VKORC1 -1639G>A, or a single variant given as nucleotides ('rs4149056 T/C'); a star-allele
  // diplotype that merely comes with a dbSNP component stays a diplotype.
  const rsid = rsidOf(ctx.obs);
  if (gene === 'VKORC1' || rsid === VKORC1_RSID || (rsid && raw && !raw.includes('*') && nucleotidePair(raw)))
    return readVariant(c, ctx, gene, 'genotype');
  if (!gene) {
    c.malformed(ctx, 'genotype result', 'it does not say which gene was studied');
    return;
  }
  c.genotypeGenes.add(gene);
  if (!raw) {
    c.malformed(ctx, `${gene} genotype result`, 'it has no value', gene);
    return;
  }
  const parsed = parseDiplotype(raw, gene);
  if (!parsed.ok) {
    c.malformed(ctx, `${gene} genotype result '${raw}'`, parsed.reason, gene);
    return;
  }
  c.noteGene(gene, ctx.source);
  c.push(c.genotypes, gene, { gene, diplotype: parsed.value.diplotype, key: parsed.value.key, raw, ctx });
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
  const allele = raw ? stripGene(raw, gene) : '';
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
  c.noteGene(gene, ctx.source);
  const phenotypeKey = phenotype.toLowerCase().replace(/metaboliser/g, 'metabolizer').replace(/\s+/g, ' ').trim();
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
      sources,
      gene,
    );
    return undefined;
  }
  const best = sorted[0]!;
  if (sorted.length > 1) {
    c.problem(
      'duplicate',
      `${subject} ${label(best)} is reported ${sorted.length} times (${sorted.map((x) => describe(x.ctx)).join('; ')}); the newest report is used.`,
      sources,
      gene,
    );
  }
  return { best, sources };
}

function naturalOrder(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true, sensitivity: 'base' });
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
        const gene = geneStudied(obs).gene;
        c.problem(
          'unusable-status',
          `${ctx.source}${gene ? ` (${gene})` : ''} has status '${status}'; only final, amended or corrected results are used.`,
          [ctx.source],
          gene,
        );
      }
      return;
    }
    const latest = Math.max(ctx.order[0], ctx.order[1]);
    if (latest > nowMs + FUTURE_TOLERANCE_MS) {
      c.malformed(ctx, 'result', `it is dated in the future (${ctx.date || obs.issued})`, geneStudied(obs).gene);
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
        sources,
        gene,
      );
      continue;
    }
    alleles.sort(naturalOrder);
    c.noteGene(gene, sources[0]!);
    genotypes[gene] = {
      gene,
      diplotype: `${alleles[0]}/${alleles[1]}`,
      raw: sorted.map((x) => x.raw).join('; '),
      date: sorted[0]!.ctx.date,
      source: sources,
    };
  }

  const hla: Record<string, HlaResult> = {};
  for (const [allele, cands] of c.hla) {
    const settled = settle(c, cands, (x) => x.status, (x) => x.status, allele, allele.split('*')[0]);
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
        cands.map((x) => x.ctx.source),
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
          sources,
          gene,
        );
      }
      list.push({ ...first.result, source: sources });
    }
    const distinct = new Map<string, PhenotypeCand>();
    for (const x of sorted) if (!distinct.has(x.phenotypeKey)) distinct.set(x.phenotypeKey, x);
    if (distinct.size > 1) {
      c.problem(
        'conflicting',
        `Different ${gene} phenotypes are reported: ${[...distinct.values()].map((x) => `'${x.result.phenotype}' (${describe(x.ctx)})`).join(' versus ')}.`,
        sorted.map((x) => x.ctx.source),
        gene,
      );
    }
    phenotypes[gene] = list;
  }

  return { genotypes, phenotypes, hla, variants, problems: c.problems };
}
