/**
 * HLA risk alleles are reported as carrier status, not as metabolizer phenotypes.
 * hlaCarrierStatus('HLA-B*57:01', text) reads 'positive' / 'not detected' / '1 copy' / a genotype such as
 * 'HLA-B*57:01:01/HLA-B*44:02' and returns positive | negative | indeterminate (with a reason).
 */
import { HLA_ALLELES, type HlaAllele, type HlaResult } from './types.js';

interface HlaName {
  readonly locus: string;
  readonly field1: string;
  readonly field2: string;
}

/** 'HLA-B*57:01', 'B*57:01:01', 'HLA-B*5701', 'hla-b 57:01' -> parts (locus may be '' when absent). */
function parseHlaName(text: string): HlaName | undefined {
  const m = /^(?:HLA-?)?([A-Z]{1,4}\d?)?\s*\*?\s*(\d{2,3}):(\d{2,3})(?::\d{2,3}){0,2}[A-Z]?$/i.exec(text.trim());
  if (m?.[2] && m[3]) return { locus: (m[1] ?? '').toUpperCase(), field1: m[2], field2: m[3] };
  const compact = /^(?:HLA-?)?([A-Z]{1,4}\d?)\s*\*\s*(\d{2})(\d{2})$/i.exec(text.trim());
  if (compact?.[1] && compact[2] && compact[3]) return { locus: compact[1].toUpperCase(), field1: compact[2], field2: compact[3] };
  return undefined;
}

/** Canonical two-field name ('HLA-B*57:01') for a supported risk allele, or undefined. */
export function normalizeHlaAllele(text: string): HlaAllele | undefined {
  const p = parseHlaName(text);
  if (!p?.locus) return undefined;
  const name = `HLA-${p.locus}*${p.field1}:${p.field2}`;
  return (HLA_ALLELES as readonly string[]).includes(name) ? (name as HlaAllele) : undefined;
}

const NEGATIVE = /\b(negative|neg|absent|not\s+detected|not\s+present|not\s+found|non-?carrier|not\s+a\s+carrier|no\s+copies|0\s+cop(?:y|ies)|none\s+detected)\b/i;
const POSITIVE = /\b(positive|pos|present|detected|carrier|heterozygous|homozygous|[12]\s+cop(?:y|ies)|one\s+copy|two\s+copies)\b/i;
const ALLELE_TOKEN = /(?:HLA-?)?(?:[A-Z]{1,4}\d?\s*\*\s*)?\d{2,3}:\d{2,3}(?::\d{2,3}){0,2}[A-Z]?|(?:HLA-?)?[A-Z]{1,4}\d?\s*\*\s*\d{4}\b/gi;

/**
 * Carrier status of `allele` from free text. Only two-field identity counts (57:01:01 is 57:01).
 * Text about a different allele, or an allele named without a result, is 'indeterminate' - never a guess.
 */
export function hlaCarrierStatus(allele: string, text: string): HlaResult {
  const target = parseHlaName(allele);
  const canonical = target?.locus ? `HLA-${target.locus}*${target.field1}:${target.field2}` : allele;
  const result = (status: HlaResult['status'], reason?: string): HlaResult => (reason ? { allele: canonical, status, reason } : { allele: canonical, status });
  if (!target?.locus) return result('indeterminate', `'${allele}' is not an HLA allele name`);
  const t = (text ?? '').trim();
  if (!t) return result('indeterminate', 'empty result');

  const tokens = (t.match(ALLELE_TOKEN) ?? []).map((s) => parseHlaName(s)).filter((x): x is HlaName => x !== undefined);
  // A token without a locus inherits the previous token's locus ('HLA-B*57:01/*08:01'), else the target's.
  let lastLocus = target.locus;
  const named = tokens.map((x) => {
    const locus = x.locus || lastLocus;
    lastLocus = locus;
    return { ...x, locus };
  });
  const isTarget = (x: HlaName): boolean => x.locus === target.locus && x.field1 === target.field1 && x.field2 === target.field2;
  const neg = NEGATIVE.test(t);
  const pos = !neg && POSITIVE.test(t);

  if (named.length === 0) {
    if (neg) return result('negative');
    if (pos) return result('positive');
    return result('indeterminate', `result '${t}' not recognised`);
  }
  const mentionsTarget = named.some(isTarget);
  if (neg || pos) {
    if (!mentionsTarget) return result('indeterminate', `result '${t}' is about a different allele`);
    return result(neg ? 'negative' : 'positive');
  }
  // No result words: read it as a genotype (two alleles at the target locus).
  const sameLocus = named.filter((x) => x.locus === target.locus);
  if (sameLocus.some(isTarget)) {
    return named.length >= 2 ? result('positive') : result('indeterminate', `'${t}' names the allele without a result`);
  }
  if (sameLocus.length >= 2) return result('negative');
  return result('indeterminate', `'${t}' does not give a ${target.locus} genotype`);
}
