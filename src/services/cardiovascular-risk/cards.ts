import type { FhirResource } from 'fhir/r4.js';
import { fill } from '../../cards/templates.js';
import { stableUuid } from '../../cards/uuid.js';
import type { Card, Coding, Link, Suggestion } from '../../cds/types.js';
import { formatMg, writeDose } from '../../clinical/dose.js';
import { GUIDELINE, type CvdAssessment, type Intensity, type ModelResult, type Reason } from './assess.js';
import type { Measured } from './features/index.js';
import { STATIN_ORDERS } from './statin-products.js';

export const SERVICE_ID = 'cardiovascular-risk';
export const EXTENSION_KEY = 'org.precision-cds.cardiovascular-risk';

export interface CvdCardTemplates {
  readonly source: { readonly label: string; readonly url: string };
  readonly indicator: Readonly<Record<string, Card['indicator']>>;
  readonly summary: Readonly<Record<string, string>>;
  readonly statement: Readonly<Record<string, string>>;
  readonly overrideReasons: readonly Coding[];
  readonly statinOrder: { readonly label: string; readonly description: string };
}

export interface CardContext {
  readonly hookInstance: string;
  readonly patientId: string;
  readonly publicBaseUrl: string;
}

const details = (reasons: readonly Reason[]): string => reasons.map((r) => r.detail).join(' ');

const percent = (fraction: number): string => `${(fraction * 100).toFixed(1)}%`;

const RISK_ROWS: readonly { key: 'cvd' | 'ascvd' | 'hf'; label: string }[] = [
  { key: 'cvd', label: 'PREVENT 10-year total CVD' },
  { key: 'ascvd', label: 'PREVENT 10-year ASCVD' },
  { key: 'hf', label: 'PREVENT 10-year heart failure' },
];

function inputRows(a: CvdAssessment): string[] {
  const f = a.features;
  const row = (label: string, m: Measured<number | boolean | string> | undefined, show: (m: Measured<number | boolean | string>) => string): string =>
    m ? `| ${label} | ${show(m)} | ${m.date.slice(0, 10)} | ${m.source.join(', ')}${m.derived ? ` (${m.derived})` : ''} |` : `| ${label} | not available | | |`;
  const num = (m: Measured<number | boolean | string>): string => `${typeof m.value === 'number' ? Number(m.value.toFixed(1)) : String(m.value)} ${m.unit}`;
  const flag = (label: string, fl: CvdAssessment['features']['diabetes']): string =>
    `| ${label} | ${fl.present ? `yes: ${fl.evidence.join('; ')}` : 'none on file'} | ${fl.date?.slice(0, 10) ?? ''} | ${fl.source?.join(', ') ?? ''} |`;
  return [
    '| Input | Value | Date | Source |',
    '|---|---|---|---|',
    row('Age', f.age, (m) => `${String(m.value)} years`),
    row('Sex', f.sex, (m) => String(m.value)),
    `| Race (for PCE) | ${f.race.text} | | ${f.race.source?.join(', ') ?? ''} |`,
    row('Total cholesterol', f.totalCholesterol, num),
    row('HDL cholesterol', f.hdlCholesterol, num),
    row('LDL cholesterol', f.ldlCholesterol, num),
    row('Systolic BP', f.systolicBp, num),
    row('Current smoker', f.currentSmoker, (m) => (m.value ? 'yes' : 'no')),
    row('BMI', f.bmi, num),
    row('eGFR', f.egfr, num),
    flag('Diabetes', f.diabetes),
    flag('BP-lowering medication', f.bpTreated),
    flag('Statin', f.onStatin),
    flag('Clinical ASCVD', f.clinicalAscvd),
  ];
}

function riskTable(a: CvdAssessment): string[] {
  const lines = ['| Estimate | 10-year risk | Model |', '|---|---|---|'];
  const model = (r: ModelResult): string => `${r.modelId} v${r.version}`;
  if (a.pce) lines.push(`| Pooled Cohort Equations, ASCVD (${a.pce.group === 'african-american' ? 'African American' : 'White'} equations) | **${percent(a.pce.result.risk)}** (${a.pce.category}) | ${model(a.pce.result)} |`);
  else lines.push(`| Pooled Cohort Equations, ASCVD | not calculated: ${details(a.pceUnavailable)} | |`);
  for (const { key, label } of RISK_ROWS) {
    const r = a.prevent[key];
    const why = key === 'hf' ? a.hfUnavailable : a.preventUnavailable;
    lines.push(r ? `| ${label} | **${percent(r.risk)}** | ${model(r)} |` : `| ${label} | not calculated: ${details(why)} | |`);
  }
  return lines;
}

function statementKey(a: CvdAssessment): string {
  const o = a.outcome;
  if (o.kind === 'statin-advised') return o.intensity === 'high' ? 'statin-advised-high' : 'statin-advised-moderate';
  if (o.kind === 'statin-advised-regardless') return o.reason === 'ldl190' ? 'statin-advised-ldl190' : 'statin-advised-diabetes';
  return o.kind;
}

function detail(a: CvdAssessment, t: CvdCardTemplates): string {
  const parts: string[] = [];
  if (a.outcome.kind !== 'secondary-prevention') parts.push('**Risk estimates**', '', ...riskTable(a), '');
  parts.push(`**Guideline:** ${t.statement[statementKey(a)]}`);
  for (const n of a.notes) parts.push('', t.statement[n] ?? n);
  if (a.pce) {
    const raceText = a.features.race.text;
    parts.push('', a.pce.group === 'african-american'
      ? `The African American equations were used (race on record: ${raceText}).`
      : `The White equations were used (race on record: ${raceText}); the guideline uses them for all groups other than African American.`);
  }
  const drivers = a.pce?.drivers ?? [];
  if (drivers.length > 0) {
    parts.push('', '**What drives this risk** (how much lower the PCE risk would be with the factor at its optimal value):', '');
    for (const d of drivers.slice(0, 3)) parts.push(`- ${d.label}: ${d.points.toFixed(1)} percentage points`);
  }
  parts.push('', '**Inputs**', '', ...inputRows(a));
  return parts.join('\n');
}

function summaryVars(a: CvdAssessment): Record<string, string> {
  const o = a.outcome;
  return {
    pce: a.pce ? percent(a.pce.result.risk) : '',
    category: a.pce?.category ?? '',
    intensity: 'intensity' in o ? o.intensity : '',
    reason: o.kind === 'statin-advised-regardless' ? (o.reason === 'ldl190' ? 'LDL-C >= 190 mg/dL' : 'diabetes, age 40-75') : '',
    preventCvd: a.prevent.cvd ? percent(a.prevent.cvd.risk) : '',
    pceReason: shorten(a.pceUnavailable[0]?.short ?? 'inputs unavailable', 60),
    missing: missingList(a),
  };
}

const shorten = (text: string, max: number): string => (text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`);

/** Short list of what stopped the calculation, for the summary (under 140 characters in all). */
function missingList(a: CvdAssessment): string {
  const short = [...new Set([...a.pceUnavailable, ...a.preventUnavailable].map((r) => shorten(r.short, 40)))];
  let text = short.join(', ');
  if (text.length > 90) text = `${short.slice(0, 2).join(', ')} and ${short.length - 2} more`;
  return text || 'inputs unavailable';
}

/**
 * A one-click draft statin order: coded by the clinical drug (SCD) of the guideline dose beside the
 * ingredient, so a client that fills the order from the code gets the strength the label says, and
 * the dose written in UCUM mg with its text (src/clinical/dose.ts).
 */
function statinSuggestion(a: CvdAssessment, intensity: Intensity, t: CvdCardTemplates, ctx: CardContext, recommended: boolean): Suggestion {
  const s = GUIDELINE.statins[intensity];
  const { product, presentation } = STATIN_ORDERS[intensity];
  const dose = writeDose(s.doseMg, { timing: 'once daily', presentation });
  const vars = { ingredient: s.ingredient, mg: formatMg(dose.doseQuantity.value!), intensity: s.intensityText, product: product.name, dose: dose.text };
  const resource: FhirResource = {
    resourceType: 'MedicationRequest',
    status: 'draft',
    intent: 'order',
    subject: { reference: `Patient/${ctx.patientId}` },
    medicationCodeableConcept: {
      coding: [
        { system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: product.rxcui, display: product.name },
        { system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: s.rxnorm, display: s.ingredient },
      ],
      text: product.name,
    },
    dosageInstruction: [
      {
        text: dose.text,
        timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd' } },
        route: { coding: [{ system: 'http://snomed.info/sct', code: '26643006', display: 'Oral route' }] },
        doseAndRate: [{ doseQuantity: dose.doseQuantity }],
      },
    ],
    reasonCode: [{ text: `Primary prevention of ASCVD (${a.outcome.kind === 'statin-advised-regardless' ? summaryVars(a)['reason'] : `10-year ASCVD risk ${summaryVars(a)['pce']}`})` }],
  };
  return {
    label: fill(t.statinOrder.label, vars),
    uuid: stableUuid(SERVICE_ID, ctx.hookInstance, 'statin', intensity),
    isRecommended: recommended,
    actions: [{ type: 'create', description: fill(t.statinOrder.description, vars), resource }],
  };
}

function lipidPanelSuggestion(ctx: CardContext): Suggestion {
  const lp = GUIDELINE.lipidPanel;
  return {
    label: 'Order a lipid panel',
    // Not the lipid-panel card's own uuid: feedback names a card and its suggestions apart.
    uuid: stableUuid(SERVICE_ID, ctx.hookInstance, 'lipid-panel', 'suggestion'),
    actions: [
      {
        type: 'create',
        description: `Draft order: ${lp.display} (LOINC ${lp.code})`,
        resource: { resourceType: 'ServiceRequest', status: 'draft', intent: 'order', subject: { reference: `Patient/${ctx.patientId}` }, code: { coding: [{ ...lp }], text: 'Lipid panel' } },
      },
    ],
  };
}

function modelLinks(a: CvdAssessment, ctx: CardContext): Link[] {
  const ids = [a.pce?.result, a.prevent.cvd, a.prevent.ascvd, a.prevent.hf].filter((r): r is ModelResult => r !== undefined);
  return ids.map((r) => ({ label: `Model card: ${r.modelId} v${r.version}`, url: `${ctx.publicBaseUrl}/models/${r.modelId}`, type: 'absolute' }));
}

function extension(a: CvdAssessment): Record<string, unknown> {
  const f = a.features;
  const m = (x: Measured<number | boolean | string> | undefined) => (x ? { value: x.value, unit: x.unit, date: x.date, source: x.source, ...(x.derived ? { derived: x.derived } : {}) } : undefined);
  const out = (r: ModelResult | undefined) => (r ? { modelId: r.modelId, version: r.version, risk: Number(r.risk.toFixed(6)), contributions: Object.fromEntries(r.contributions.map((c) => [c.term, Number(c.value.toFixed(6))])) } : undefined);
  return {
    [EXTENSION_KEY]: {
      outcome: a.outcome,
      pce: a.pce ? { ...out(a.pce.result), equations: a.pce.group, category: a.pce.category, drivers: a.pce.drivers.map((d) => ({ factor: d.factor, points: Number(d.points.toFixed(2)) })) } : { notCalculated: a.pceUnavailable.map((r) => r.detail) },
      prevent: {
        cvd: out(a.prevent.cvd) ?? { notCalculated: a.preventUnavailable.map((r) => r.detail) },
        ascvd: out(a.prevent.ascvd) ?? { notCalculated: a.preventUnavailable.map((r) => r.detail) },
        hf: out(a.prevent.hf) ?? { notCalculated: a.hfUnavailable.map((r) => r.detail) },
      },
      inputs: {
        age: m(f.age),
        sex: m(f.sex),
        race: f.race,
        totalCholesterol: m(f.totalCholesterol),
        hdlCholesterol: m(f.hdlCholesterol),
        ldlCholesterol: m(f.ldlCholesterol),
        systolicBp: m(f.systolicBp),
        currentSmoker: m(f.currentSmoker),
        bmi: m(f.bmi),
        egfr: m(f.egfr),
        diabetes: f.diabetes.present,
        bpTreated: f.bpTreated.present,
        onStatin: f.onStatin.present,
        clinicalAscvd: f.clinicalAscvd.present,
      },
      problems: f.problems.map((p) => ({ input: p.input, kind: p.kind, detail: p.detail })),
    },
  };
}

/** The cards for one assessment: the risk card, and when lipids are missing a lab-order suggestion on it. */
export function buildCards(a: CvdAssessment, t: CvdCardTemplates, ctx: CardContext): Card[] {
  const o = a.outcome;
  const suggestions: Suggestion[] = [];
  if (o.kind === 'statin-advised' || o.kind === 'statin-advised-regardless') {
    suggestions.push(statinSuggestion(a, o.intensity, t, ctx, true));
    // The issue's one-click option is moderate intensity; for high-intensity advice it is the guideline's alternative.
    if (o.intensity === 'high') suggestions.push(statinSuggestion(a, 'moderate', t, ctx, false));
  }
  const lipidPanel = a.needsLipidPanel && o.kind !== 'secondary-prevention';
  // One card, one choice: a lab order is not an alternative to a statin, so it gets its own card then.
  const separateLipidCard = lipidPanel && suggestions.length > 0;
  if (lipidPanel && !separateLipidCard) suggestions.push(lipidPanelSuggestion(ctx));
  const card: Card = {
    uuid: stableUuid(SERVICE_ID, ctx.hookInstance, o.kind),
    summary: fill(t.summary[o.kind]!, summaryVars(a)),
    detail: detail(a, t),
    indicator: t.indicator[o.kind] ?? 'info',
    source: { label: t.source.label, url: t.source.url },
    ...(suggestions.length > 0 ? { suggestions, selectionBehavior: 'at-most-one' as const, overrideReasons: t.overrideReasons } : {}),
    links: modelLinks(a, ctx),
    extension: extension(a),
  };
  if (!separateLipidCard) return [card];
  const lipidCard: Card = {
    uuid: stableUuid(SERVICE_ID, ctx.hookInstance, 'lipid-panel'),
    summary: fill(t.summary['lipid-panel']!, {}),
    detail: t.statement['lipid-panel']!,
    indicator: 'info',
    source: { label: t.source.label, url: t.source.url },
    suggestions: [lipidPanelSuggestion(ctx)],
    selectionBehavior: 'at-most-one',
    overrideReasons: t.overrideReasons,
  };
  return [card, lipidCard];
}
