import { fill } from '../../cards/templates.js';
import { stableUuid } from '../../cards/uuid.js';
import type { Card, Coding, Suggestion } from '../../cds/types.js';
import type { Recommendation } from './knowledge/types.js';
import type { GeneConflict, GeneFinding, UnreadableResults } from './assess.js';
import { drugRef, factorPlan, maxDailyPlan, warfarinPlan, type DosePlan, type DoseTemplates } from './dose-plans.js';
import { removeSuggestion, replaceSuggestion, testOrderSuggestion, type DraftRef, type SuggestionContext } from './suggestions.js';
import type { WarfarinDose, WarfarinInputs } from './warfarin.js';

export const PGX_SERVICE_ID = 'pharmacogenomics';
export const PGX_EXTENSION_KEY = 'org.precision-cds.pharmacogenomics';

export interface PgxCardTemplates {
  readonly summary: Readonly<Record<string, string>>;
  readonly indicator: Readonly<Record<string, Card['indicator']>>;
  readonly detail: Readonly<Record<string, string>>;
  readonly source: { readonly label: string; readonly url: string };
  readonly warfarinSource: { readonly label: string; readonly url: string };
  readonly overrideReasons: readonly Coding[];
  readonly tests: { readonly system: string };
  readonly dose: DoseTemplates;
}

export interface DraftForCard extends DraftRef {
  readonly matchedBy: string;
  /** Stable key of the draft within the request (its reference, or its position). */
  readonly key: string;
}

const MAX_SUMMARY = 139;
/** Summary from a template; long drug names are shortened, never the clinical words. */
function summary(t: PgxCardTemplates, kind: string, vars: Record<string, string>): string {
  let s = fill(t.summary[kind]!, vars);
  if (s.length > MAX_SUMMARY && vars['drug']) s = fill(t.summary[kind]!, { ...vars, drug: `${vars['drug'].slice(0, Math.max(8, vars['drug'].length - (s.length - MAX_SUMMARY) - 1))}…` });
  return s.length > MAX_SUMMARY ? `${s.slice(0, MAX_SUMMARY - 1)}…` : s;
}

const resultText = (f: GeneFinding): string =>
  f.basis === 'hla' ? `${f.gene} ${f.phenotype}` : `${f.gene} ${f.phenotype}${f.activityScore !== undefined ? ` (activity score ${f.activityScore})` : ''}`;

function textMatchNote(t: PgxCardTemplates, d: DraftForCard): string[] {
  return d.matchedBy === 'text' ? ['', fill(t.detail['textMatch']!, { text: d.displayText })] : [];
}

function findingRows(findings: readonly GeneFinding[]): string[] {
  return [
    '| Gene | Result | Phenotype | Basis | Date | Source |',
    '|---|---|---|---|---|---|',
    ...findings.map((f) => `| ${f.gene} | ${f.diplotype ?? (f.basis === 'hla' ? f.phenotype : '')} | ${f.basis === 'hla' ? `carrier: ${f.phenotype}` : f.phenotype}${f.activityScore !== undefined ? ` (activity score ${f.activityScore})` : ''} | ${f.basis} | ${f.date.slice(0, 10)} | ${f.source.join(', ')} |`),
  ];
}

/**
 * Suggestions for one recommendation, and the dose plan when the row changes the dose. A critical
 * finding never keeps the drug: only replace or remove.
 */
function recommendationSuggestions(r: Recommendation, draft: DraftForCard, t: PgxCardTemplates, ctx: SuggestionContext): { suggestions: Suggestion[]; dose?: DosePlan } {
  const key = `${draft.key}|${r.id}`;
  const replacements = (r.alternatives ?? []).filter((a) => a.rxnorm).map((a) => replaceSuggestion(draft, { rxnorm: a.rxnorm!, name: a.name }, ctx, key));
  const out = replacements.filter((s): s is Suggestion => s !== undefined);
  if (r.severity === 'avoid') {
    if (out.length === 0) {
      const remove = removeSuggestion(draft, ctx, key);
      if (remove) out.push(remove);
    }
    return { suggestions: out };
  }
  let dose: DosePlan | undefined;
  if (r.dose?.factor !== undefined) dose = factorPlan(r.id, drugRef(r.drug, r.drugName), r.dose.factor, draft, t.dose, ctx, key);
  else if (r.dose?.maxDailyDoseMg !== undefined && !r.dose.maxExclusive) dose = maxDailyPlan(r.id, drugRef(r.drug, r.drugName), r.dose.maxDailyDoseMg, draft, t.dose, ctx, key);
  if (dose?.suggestion) out.push(dose.suggestion);
  return { suggestions: out, ...(dose ? { dose } : {}) };
}

export function recommendationCard(r: Recommendation, findings: readonly GeneFinding[], draft: DraftForCard, t: PgxCardTemplates, ctx: SuggestionContext): Card {
  const matched = findings.filter((f) => Object.hasOwn(r.matched, f.gene));
  const shown = matched.length > 0 ? matched : findings;
  const result = shown.map(resultText).join(' + ');
  const { suggestions, dose } = recommendationSuggestions(r, draft, t, ctx);
  const detail = [
    `**Recommendation (${r.guideline.citation.split('.')[0]}; strength: ${r.strength}):** ${r.action}`,
    ...(r.dose ? ['', `**Dose:** ${r.dose.text}`] : []),
    ...(dose ? ['', ...dose.detail] : []),
    ...(r.alternatives?.length ? ['', `**Alternatives named by the guideline:** ${r.alternatives.map((a) => a.name).join(', ')}`] : []),
    ...(r.context ? ['', `*Applies to:* ${r.context}`] : []),
    ...(r.notes ? ['', r.notes] : []),
    ...(r.evidence === 'needs-review' ? ['', '*This recommendation row is awaiting pharmacist review against the published CPIC table.*'] : []),
    '',
    '**Genetic results used**',
    '',
    ...findingRows(shown),
    ...textMatchNote(t, draft),
  ].join('\n');
  return {
    uuid: stableUuid(PGX_SERVICE_ID, ctx.hookInstance, draft.key, r.id),
    summary: summary(t, r.severity, { drug: r.drugName, result }),
    detail,
    indicator: r.indicator,
    source: { label: `CPIC guideline (${r.guideline.published.slice(0, 4)})`, url: r.guideline.url },
    ...(suggestions.length > 0 ? { suggestions, selectionBehavior: 'at-most-one' as const } : {}),
    overrideReasons: t.overrideReasons,
    extension: {
      [PGX_EXTENSION_KEY]: {
        drug: { rxnorm: r.drug, name: r.drugName, order: draft.reference, matchedBy: draft.matchedBy },
        recommendationId: r.id,
        severity: r.severity,
        strength: r.strength,
        evidence: r.evidence,
        genes: shown.map((f) => ({ gene: f.gene, diplotype: f.diplotype, phenotype: f.phenotype, activityScore: f.activityScore, basis: f.basis, date: f.date })),
        ...(dose ? { dose: dose.note } : {}),
      },
    },
  };
}

export function conflictCard(c: GeneConflict, drug: string, draft: DraftForCard, t: PgxCardTemplates, ctx: SuggestionContext): Card {
  const vars = { drug, gene: c.gene, reported: c.reported, computed: c.computed, diplotype: c.diplotype, reportedDate: c.reportedDate.slice(0, 10), genotypeDate: c.genotypeDate.slice(0, 10) };
  return {
    uuid: stableUuid(PGX_SERVICE_ID, ctx.hookInstance, draft.key, 'conflict', c.gene),
    summary: summary(t, 'conflict', vars),
    detail: [fill(t.detail['conflict']!, vars), '', `Sources: ${c.source.join(', ')}`, ...textMatchNote(t, draft)].join('\n'),
    indicator: t.indicator['conflict']!,
    source: t.source,
    extension: { [PGX_EXTENSION_KEY]: { drug: { name: drug, order: draft.reference, matchedBy: draft.matchedBy }, conflict: { gene: c.gene, diplotype: c.diplotype, computedPhenotype: c.computed, reportedPhenotype: c.reported } } },
  };
}

export function indeterminateCard(f: GeneFinding, drug: string, draft: DraftForCard, t: PgxCardTemplates, ctx: SuggestionContext): Card {
  // A reported phenotype has no diplotype: 'TPMT result gives an indeterminate phenotype (reported as ...)'.
  const vars = { drug, gene: f.gene, diplotype: f.diplotype ?? 'result', reason: f.reason ?? 'not determinable from this result' };
  return {
    uuid: stableUuid(PGX_SERVICE_ID, ctx.hookInstance, draft.key, 'indeterminate', f.gene),
    summary: summary(t, 'indeterminate', vars),
    detail: [fill(t.detail['indeterminate']!, vars), ...textMatchNote(t, draft)].join('\n'),
    indicator: t.indicator['indeterminate']!,
    source: t.source,
    extension: { [PGX_EXTENSION_KEY]: { drug: { name: drug, order: draft.reference, matchedBy: draft.matchedBy }, genes: [{ gene: f.gene, diplotype: f.diplotype, phenotype: 'Indeterminate' }] } },
  };
}

/** A result on file that the rule table cannot use for this drug: named, with why, and no advice that depends on it. */
export function notUsableCard(f: GeneFinding, why: string, drug: string, draft: DraftForCard, t: PgxCardTemplates, ctx: SuggestionContext): Card {
  const vars = { drug, gene: f.gene, result: f.diplotype ?? f.phenotype, why, source: `${f.source.join(', ')}${f.date ? `, ${f.date.slice(0, 10)}` : ''}` };
  return {
    uuid: stableUuid(PGX_SERVICE_ID, ctx.hookInstance, draft.key, 'not-usable', f.gene),
    summary: summary(t, 'not-usable', vars),
    detail: [fill(t.detail['not-usable']!, vars), ...textMatchNote(t, draft)].join('\n'),
    indicator: t.indicator['not-usable']!,
    source: t.source,
    extension: {
      [PGX_EXTENSION_KEY]: {
        drug: { name: drug, order: draft.reference, matchedBy: draft.matchedBy },
        noAdviceFor: [f.gene],
        genes: [{ gene: f.gene, ...(f.diplotype ? { diplotype: f.diplotype } : {}), phenotype: f.phenotype, ...(f.activityScore !== undefined ? { activityScore: f.activityScore } : {}), basis: f.basis, date: f.date, source: [...f.source] }],
      },
    },
  };
}

export function testCard(genes: readonly string[], drug: string, draft: DraftForCard, t: PgxCardTemplates, ctx: SuggestionContext): Card {
  const gene = genes.join(' / ');
  const vars = { drug, gene };
  const suggestions = genes.map((g) => testOrderSuggestion({ code: { system: t.tests.system, code: g, display: `${g} pharmacogenomic test` }, label: `${g} pharmacogenomic test` }, ctx, draft.key));
  return {
    uuid: stableUuid(PGX_SERVICE_ID, ctx.hookInstance, draft.key, 'test', gene),
    summary: summary(t, 'test', vars),
    detail: [fill(t.detail['test']!, vars), ...textMatchNote(t, draft)].join('\n'),
    indicator: t.indicator['test']!,
    source: t.source,
    suggestions,
    selectionBehavior: 'any',
    overrideReasons: t.overrideReasons,
    extension: { [PGX_EXTENSION_KEY]: { drug: { name: drug, order: draft.reference, matchedBy: draft.matchedBy }, testsSuggested: [...genes] } },
  };
}

/** A table cell: no '|' or line break from a value written by someone else may break the table. */
const cell = (s: string): string => s.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');

/** The unreadable results, the readable ones not used, and their machine-readable form (shared by the unreadable and warfarin cards). */
function unreadableSection(u: UnreadableResults, drug: string, t: PgxCardTemplates): { detail: string[]; extension: Record<string, unknown> } {
  const gene = u.genes.join(' / ');
  const rows = u.problems.flatMap((p) =>
    p.results.map((r) => ({ gene: p.gene, alleles: p.alleles, source: r.source, date: r.date, value: r.value, problem: p.kind, reason: p.reason })),
  );
  type Readable = { gene: string; diplotype?: string; phenotype: string; activityScore?: number; basis?: string; date: string; source: string[] };
  const readable: Readable[] = [
    ...u.readable.map((f) => ({
      gene: f.gene,
      ...(f.diplotype ? { diplotype: f.diplotype } : {}),
      phenotype: f.phenotype,
      ...(f.activityScore !== undefined ? { activityScore: f.activityScore } : {}),
      basis: f.basis,
      date: f.date,
      source: [...f.source],
    })),
    ...u.conflicts.map((c) => ({ gene: c.gene, diplotype: c.diplotype, phenotype: `${c.computed} (genotype) / ${c.reported} (reported)`, date: c.genotypeDate, source: [...c.source] })),
  ];
  const detail = [
    fill(t.detail['unreadableResults']!, { gene, drug }),
    '',
    '| Result | Gene | Date | Value as written | Why it cannot be used |',
    '|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.source} | ${cell(r.alleles?.join(', ') ?? r.gene ?? 'not stated')} | ${r.date ? r.date.slice(0, 10) : 'no date'} | ${r.value ? cell(r.value) : '(no value)'} | ${cell(r.reason)} |`),
    ...(readable.length > 0
      ? [
          '',
          fill(t.detail['unreadableReadable']!, { gene, drug }),
          '',
          '| Gene | Result | Phenotype | Date | Source |',
          '|---|---|---|---|---|',
          ...readable.map((f) => `| ${f.gene} | ${cell(f.diplotype ?? '')} | ${cell(f.phenotype)}${f.activityScore !== undefined ? ` (activity score ${f.activityScore})` : ''} | ${f.date.slice(0, 10)} | ${f.source.join(', ')} |`),
        ]
      : []),
    '',
    fill(t.detail['unreadableAction']!, { gene, drug }),
  ];
  return {
    detail,
    extension: {
      noAdviceFor: [...u.genes],
      unreadable: rows.map((r) => ({
        ...(r.gene ? { gene: r.gene } : {}),
        ...(r.alleles ? { alleles: [...r.alleles] } : {}),
        source: r.source,
        ...(r.date ? { date: r.date } : {}),
        ...(r.value ? { value: r.value } : {}),
        problem: r.problem,
        reason: r.reason,
      })),
      ...(readable.length > 0 ? { readableNotUsed: readable } : {}),
    },
  };
}

/** Results on file that could not be read: the gene's advice (recommendation, test order) is withheld, and the card says which results and why. */
export function unreadableCard(u: UnreadableResults, drug: string, draft: DraftForCard, t: PgxCardTemplates, ctx: SuggestionContext): Card {
  const gene = u.genes.join(' / ');
  const vars = { drug, gene };
  const section = unreadableSection(u, drug, t);
  const kind = u.geneStated ? 'unreadable' : 'unreadable-gene-unknown';
  return {
    uuid: stableUuid(PGX_SERVICE_ID, ctx.hookInstance, draft.key, kind, gene),
    summary: summary(t, kind, vars),
    detail: [fill(t.detail[kind]!, vars), '', ...section.detail, ...textMatchNote(t, draft)].join('\n'),
    indicator: t.indicator[kind]!,
    source: t.source,
    overrideReasons: t.overrideReasons,
    extension: { [PGX_EXTENSION_KEY]: { drug: { name: drug, order: draft.reference, matchedBy: draft.matchedBy }, ...section.extension } },
  };
}

export function warfarinCard(
  x: WarfarinInputs,
  dose: WarfarinDose | undefined,
  notCalculated: readonly string[],
  draft: DraftForCard,
  t: PgxCardTemplates,
  ctx: SuggestionContext,
  unreadable?: UnreadableResults,
): Card {
  const key = `${draft.key}|warfarin`;
  const inputs = [
    '| Input | Value |',
    '|---|---|',
    `| Age | ${x.age ? `${x.age.value} years (decade ${Math.floor(x.age.value / 10)})` : 'not on file'} |`,
    `| Height | ${x.heightCm ? `${x.heightCm.value} cm (${x.heightCm.date.slice(0, 10)}, ${x.heightCm.source.join(', ')})` : 'not on file'} |`,
    `| Weight | ${x.weightKg ? `${Number(x.weightKg.value.toFixed(1))} kg (${x.weightKg.date.slice(0, 10)}, ${x.weightKg.source.join(', ')})` : 'not on file'} |`,
    `| Race (IWPC group) | ${x.raceText} (${x.race}) |`,
    `| VKORC1 -1639G>A | ${unreadable?.genes.includes('VKORC1') ? 'could not be read (below)' : x.vkorc1} |`,
    `| CYP2C9 | ${unreadable?.genes.includes('CYP2C9') ? 'could not be read (below)' : x.cyp2c9Reported ?? x.cyp2c9} |`,
    `| Amiodarone | ${x.amiodarone ? 'yes' : 'no'} |`,
    `| Enzyme inducer (carbamazepine, phenytoin, rifampin) | ${x.enzymeInducer ? 'yes' : 'no'} |`,
  ];
  if (!dose) {
    const section = unreadable ? unreadableSection(unreadable, 'warfarin', t) : undefined;
    const why = unreadable
      ? fill(t.detail[unreadable.geneStated ? 'warfarinUnreadable' : 'warfarinUnreadableGeneUnknown']!, { gene: unreadable.genes.join(' / ') })
      : [t.detail['warfarinNotCalculated']!, '', ...notCalculated.map((r) => `- ${r}`)].join('\n');
    return {
      uuid: stableUuid(PGX_SERVICE_ID, ctx.hookInstance, key),
      summary: summary(t, 'warfarin-not-calculated', { missing: notCalculated.join(', ') }),
      detail: [why, '', ...inputs, ...(section ? ['', ...section.detail] : [])].join('\n'),
      indicator: t.indicator['warfarin-not-calculated']!,
      source: t.warfarinSource,
      extension: {
        [PGX_EXTENSION_KEY]: { drug: { rxnorm: '11289', name: 'warfarin', order: draft.reference }, warfarin: { notCalculated: [...notCalculated] }, ...(section?.extension ?? {}) },
      },
    };
  }
  const weekly = dose.weeklyMg.toFixed(1);
  const daily = dose.dailyMg.toFixed(1);
  const plan = warfarinPlan(dose.dailyMg, weekly, draft, t.dose, ctx, key);
  const s = plan.suggestion;
  return {
    uuid: stableUuid(PGX_SERVICE_ID, ctx.hookInstance, key),
    summary: summary(t, 'warfarin', { weekly, daily }),
    detail: [fill(t.detail['warfarin']!, { weekly, daily }), ...(dose.cautions.length ? ['', ...dose.cautions.map((c) => `- ${c}`)] : []), '', ...plan.detail, '', ...inputs, '', `Model: ${dose.modelId} v${dose.version}`].join('\n'),
    indicator: t.indicator['warfarin']!,
    source: t.warfarinSource,
    ...(s ? { suggestions: [s], selectionBehavior: 'at-most-one' as const } : {}),
    overrideReasons: t.overrideReasons,
    extension: {
      [PGX_EXTENSION_KEY]: {
        drug: { rxnorm: '11289', name: 'warfarin', order: draft.reference },
        warfarin: { modelId: dose.modelId, version: dose.version, predictedWeeklyDoseMg: Number(dose.weeklyMg.toFixed(3)), predictedDailyDoseMg: Number(dose.dailyMg.toFixed(3)), vkorc1: x.vkorc1, cyp2c9: x.cyp2c9Reported ?? x.cyp2c9, race: x.race, amiodarone: x.amiodarone, enzymeInducer: x.enzymeInducer, cautions: [...dose.cautions] },
        dose: plan.note,
      },
    },
  };
}
