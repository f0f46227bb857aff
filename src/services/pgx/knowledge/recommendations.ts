/**
 * Drug list (data/drugs.json) and CPIC-based recommendation table (data/recommendations.json), and the
 * look-up recommendationsFor(drug, results).
 */
import { loadJson } from '../../../util/data-file.js';
import { toGeneSymbol } from './genes.js';
import { hlaCarrierStatus, normalizeHlaAllele } from './hla.js';
import { normalizePhenotype } from './terms.js';
import type {
  CardIndicator,
  DrugInfo,
  GeneResultInput,
  Guideline,
  HlaStatus,
  LookupFlag,
  Phenotype,
  Recommendation,
  RecommendationLookup,
  RecommendationRow,
  Severity,
} from './types.js';

interface DrugsFile {
  readonly source: string;
  readonly drugs: readonly DrugInfo[];
}

interface RecommendationsFile {
  readonly cpicDataVersion: string;
  readonly severityToIndicator: Readonly<Record<Severity, CardIndicator>>;
  readonly guidelines: readonly Guideline[];
  readonly recommendations: readonly RecommendationRow[];
}

interface Knowledge {
  readonly drugs: readonly DrugInfo[];
  readonly recs: RecommendationsFile;
  readonly guidelines: ReadonlyMap<string, Guideline>;
}

let cache: Knowledge | undefined;

function knowledge(): Knowledge {
  if (!cache) {
    const drugs = loadJson<DrugsFile>(import.meta.url, './data/drugs.json').drugs;
    const recs = loadJson<RecommendationsFile>(import.meta.url, './data/recommendations.json');
    const guidelines = new Map(recs.guidelines.map((g) => [g.id, g]));
    cache = { drugs, recs, guidelines };
  }
  return cache;
}

/** Key used in recommendation rows for a drug: its RxNorm code, or 'name:<ingredient>' when it has none. */
export function drugKey(drug: DrugInfo): string {
  return drug.rxnorm ?? `name:${drug.name}`;
}

/** Drug by RxNorm ingredient code, 'name:<ingredient>' key or ingredient name (case-insensitive). */
export function drugInfo(drug: string): DrugInfo | undefined {
  const t = drug.trim();
  const lower = t.toLowerCase().replace(/^name:/, '');
  return knowledge().drugs.find((d) => d.rxnorm === t || d.name.toLowerCase() === lower);
}

export function allDrugs(): readonly DrugInfo[] {
  return knowledge().drugs;
}

export function allRecommendationRows(): readonly RecommendationRow[] {
  return knowledge().recs.recommendations;
}

export function allGuidelines(): readonly Guideline[] {
  return knowledge().recs.guidelines;
}

export function indicatorFor(severity: Severity): CardIndicator {
  return knowledge().recs.severityToIndicator[severity];
}

/**
 * Whether genotyping is expected before the first prescription. Defaults from drugs.json; `overrides`
 * (keyed by RxNorm code or ingredient name) let a deployment change them.
 */
export function isPreTestingExpected(drug: string, overrides: Readonly<Record<string, boolean>> = {}): boolean {
  const info = drugInfo(drug);
  if (!info) return false;
  for (const key of [info.rxnorm ?? '', info.name, drug.trim()]) {
    const v = overrides[key];
    if (v !== undefined) return v;
  }
  return info.preTestingExpected;
}

// ------------------------------------------------------------------ results

type NormalisedResult =
  | { readonly kind: 'phenotype'; readonly phenotype: Phenotype; readonly activityScore?: number; readonly activityScoreIsMinimum?: boolean }
  | { readonly kind: 'hla'; readonly status: HlaStatus; readonly reason?: string }
  | { readonly kind: 'unrecognised'; readonly text: string };

/** Results keyed by gene symbol or HLA allele ('CYP2C19', 'HLA-B*57:01'), normalised. */
function normaliseResults(results: Readonly<Record<string, GeneResultInput>>): Map<string, NormalisedResult> {
  const out = new Map<string, NormalisedResult>();
  for (const [rawKey, value] of Object.entries(results)) {
    if (value === undefined || value === null) continue;
    const hla = normalizeHlaAllele(rawKey);
    if (hla) {
      const text = typeof value === 'string' ? value : 'status' in value ? String(value.status) : 'phenotype' in value ? value.phenotype : '';
      const r = hlaCarrierStatus(hla, text);
      out.set(hla, r.reason ? { kind: 'hla', status: r.status, reason: r.reason } : { kind: 'hla', status: r.status });
      continue;
    }
    const gene = toGeneSymbol(rawKey) ?? rawKey;
    const text = typeof value === 'string' ? value : 'phenotype' in value ? value.phenotype : String(value.status);
    const phenotype = normalizePhenotype(text, gene);
    if (!phenotype) {
      out.set(gene, { kind: 'unrecognised', text });
      continue;
    }
    const score = typeof value === 'object' && 'phenotype' in value ? value.activityScore : undefined;
    const isMin = typeof value === 'object' && 'phenotype' in value ? value.activityScoreIsMinimum === true : false;
    out.set(gene, {
      kind: 'phenotype',
      phenotype,
      ...(typeof score === 'number' && Number.isFinite(score) ? { activityScore: score } : {}),
      ...(isMin ? { activityScoreIsMinimum: true } : {}),
    });
  }
  return out;
}

function describe(r: NormalisedResult): string {
  if (r.kind === 'hla') return r.status;
  if (r.kind === 'unrecognised') return r.text;
  return r.activityScore !== undefined ? `${r.phenotype} (activity score ${r.activityScoreIsMinimum ? '≥' : ''}${r.activityScore})` : r.phenotype;
}

function isDeterminate(r: NormalisedResult | undefined): boolean {
  if (!r) return false;
  if (r.kind === 'hla') return r.status !== 'indeterminate';
  return r.kind === 'phenotype' && r.phenotype !== 'Indeterminate';
}

const SEVERITY_ORDER: Readonly<Record<Severity, number>> = { avoid: 0, alternative: 1, 'dose-change': 2, standard: 3 };

/**
 * Recommendations for one drug (RxNorm ingredient code or ingredient name) given the patient's results:
 * `{ CYP2C19: 'Poor Metabolizer', DPYD: phenotypeOf('DPYD', …), 'HLA-B*57:01': 'negative' }`.
 * Indeterminate, unrecognised or missing results give no advice for that gene, with a flag saying so.
 * Returned rows are ordered most severe first; a row that matches makes the rows it `supersedes` drop out, and
 * 'standard' rows drop out when any non-standard row for the drug matched.
 */
export function recommendationsFor(drug: string, results: Readonly<Record<string, GeneResultInput>>): RecommendationLookup {
  const info = drugInfo(drug);
  if (!info) {
    return {
      recommendations: [],
      noDrugAdvice: true,
      flags: [{ code: 'unknown-drug', message: `'${drug}' is not in the pharmacogenomic drug list` }],
    };
  }
  const k = knowledge();
  const norm = normaliseResults(results);
  const flags: LookupFlag[] = [];
  const flagged = new Set<string>();
  const flag = (f: LookupFlag): void => {
    const key = `${f.code}|${f.gene ?? ''}`;
    if (!flagged.has(key)) {
      flagged.add(key);
      flags.push(f);
    }
  };

  for (const gene of info.genes) {
    const r = norm.get(gene);
    if (!r) flag({ code: 'missing-result', gene, message: `no ${gene} result: ${gene}-based advice for ${info.name} is not available` });
    else if (r.kind === 'unrecognised') flag({ code: 'unrecognised-result', gene, message: `${gene} result '${r.text}' is not a recognised phenotype; no ${gene}-based advice` });
    else if (!isDeterminate(r)) {
      const why = r.kind === 'hla' && r.reason ? ` (${r.reason})` : '';
      flag({ code: 'indeterminate-result', gene, message: `${gene} result is indeterminate${why}: no ${gene}-based drug advice` });
    }
  }

  if (info.dosingModel) {
    flag({ code: 'dosing-model', message: `${info.name}: use the ${info.dosingModel.id.toUpperCase()} dosing model (${info.dosingModel.module}) rather than a phenotype table` });
  }

  const key = drugKey(info);
  const matched: { row: RecommendationRow; matched: Record<string, string> }[] = [];
  for (const row of k.recs.recommendations) {
    if (row.drug !== key) continue;
    const m: Record<string, string> = {};
    let ok = true;
    for (const [gene, cond] of Object.entries(row.when)) {
      const r = norm.get(gene);
      if (!r || !isDeterminate(r)) {
        ok = false;
        break;
      }
      if (cond.hla !== undefined) {
        if (r.kind !== 'hla' || r.status !== cond.hla) ok = false;
      } else if (r.kind !== 'phenotype' || (cond.phenotypes && !cond.phenotypes.includes(r.phenotype))) {
        ok = false;
      } else if (cond.activityScores) {
        if (r.activityScore === undefined || r.activityScoreIsMinimum) {
          flag({
            code: 'activity-score-missing',
            gene,
            message: `${gene} ${r.phenotype}: ${info.name} advice depends on the activity score (${cond.activityScores.join(' / ')}), which was not supplied`,
          });
          ok = false;
        } else if (!cond.activityScores.some((s) => Math.abs(s - (r.activityScore ?? NaN)) < 1e-9)) ok = false;
      }
      if (!ok) break;
      m[gene] = describe(r);
    }
    if (ok) matched.push({ row, matched: m });
  }

  const superseded = new Set(matched.flatMap((x) => x.row.supersedes ?? []));
  let kept = matched.filter((x) => !superseded.has(x.row.id));
  if (kept.some((x) => x.row.severity !== 'standard')) kept = kept.filter((x) => x.row.severity !== 'standard');
  kept.sort((a, b) => SEVERITY_ORDER[a.row.severity] - SEVERITY_ORDER[b.row.severity]);

  if (kept.length === 0 && !info.dosingModel) {
    for (const gene of info.genes) {
      const r = norm.get(gene);
      if (r && isDeterminate(r) && !flags.some((f) => f.gene === gene && f.code === 'activity-score-missing')) {
        flag({ code: 'no-recommendation-for-result', gene, message: `no CPIC recommendation row for ${info.name} with ${gene} ${describe(r)}` });
      }
    }
  }

  const recommendations: Recommendation[] = kept.map(({ row, matched: m }) => {
    const guideline = k.guidelines.get(row.guideline);
    if (!guideline) throw new Error(`recommendation ${row.id} cites unknown guideline ${row.guideline}`);
    return { ...row, guideline, indicator: indicatorFor(row.severity), drugName: info.name, matched: m };
  });

  return {
    drug: info,
    recommendations,
    noDrugAdvice: recommendations.length === 0,
    flags,
    ...(info.dosingModel ? { dosingModel: info.dosingModel } : {}),
  };
}
