/**
 * Ambulatory Glucose Profile (AGP): percentiles of glucose by time of day over a CGM period,
 * and its server-side SVG rendering. Pure functions, no I/O.
 *
 * All glucose values are mg/dL; the chart's `unit` only changes the labels (1 mmol/L = 18.016 mg/dL).
 */

import { CONSENSUS } from './knowledge.js';

/** One CGM reading placed on the local clock of the day it was taken. */
export interface TimedGlucose {
  /** Minutes since local midnight, 0 <= minuteOfDay < 1440 (fractions allowed). */
  readonly minuteOfDay: number;
  /** Glucose, mg/dL. */
  readonly mgdl: number;
}

/** Percentiles of one time-of-day bin, mg/dL; null when the bin has too few readings. */
export interface AgpBin {
  /** First minute of the bin: the bin covers [startMinute, startMinute + binMinutes). */
  readonly startMinute: number;
  /** Readings that fell into the bin. */
  readonly n: number;
  readonly p5: number | null;
  readonly p25: number | null;
  readonly p50: number | null;
  readonly p75: number | null;
  readonly p95: number | null;
}

export interface AgpProfile {
  readonly binMinutes: number;
  /** 1440 / binMinutes bins, in time-of-day order from midnight. */
  readonly bins: readonly AgpBin[];
}

export interface AgpOptions {
  /** Apply the circular 1-2-1 smoothing (see {@link agpProfile}). Default true. */
  readonly smooth?: boolean;
}

/** A bin needs at least this many readings for its percentiles; fewer gives nulls. */
export const AGP_MIN_READINGS_PER_BIN = 5;


const MINUTES_PER_DAY = 1440;
const PERCENTILES = [0.05, 0.25, 0.5, 0.75, 0.95] as const;

// Module-level bindings for the hot loops: a global look-up per reading is slow inside a vm context
// (e.g. under jest), where globals are served through interceptors instead of inline caches.
const { floor } = Math;
const numIsFinite = Number.isFinite;
const numIsNaN = Number.isNaN;

/**
 * The p-quantile (0 <= p <= 1) of an ascending, non-empty sample by linear interpolation
 * between closest ranks: Hyndman & Fan (1996) definition 7, the default of numpy.percentile,
 * R's quantile() and Excel's PERCENTILE.INC. With h = (n - 1)p and j = floor(h):
 * Q(p) = x[j] + (h - j)(x[j+1] - x[j])  (0-based x; x[j+1] taken as x[j] when j = n - 1).
 */
export function quantileType7(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) throw new RangeError('quantile of an empty sample');
  const h = (n - 1) * p;
  const j = floor(h);
  const lo = sorted[j]!;
  if (j >= n - 1) return sorted[n - 1]!;
  return lo + (h - j) * (sorted[j + 1]! - lo);
}

/**
 * The AGP of `readings`: for each time-of-day bin of `binMinutes` (a divisor of 1440, default 15),
 * the 5th, 25th, 50th, 75th and 95th percentiles of the readings in it, pooled over all days.
 *
 * - Percentiles: Hyndman-Fan type 7 (linear interpolation between closest ranks, numpy's default),
 *   see {@link quantileType7}.
 * - A bin with fewer than {@link AGP_MIN_READINGS_PER_BIN} (5) readings has null percentiles and
 *   takes no part in smoothing.
 * - Smoothing (on by default, needs at least 3 bins): each percentile curve separately, a circular
 *   1-2-1 weighted moving average over neighbouring bins, wrapping midnight (the bin before 00:00 is
 *   the last bin of the day). For a bin i with percentiles: s[i] = (r[i-1] + 2 r[i] + r[i+1]) / 4,
 *   where a neighbour without percentiles is dropped and the remaining weights renormalised
 *   (e.g. (2 r[i] + r[i+1]) / 3; an isolated bin keeps its own value). Since every curve uses the
 *   same weights, p5 <= p25 <= p50 <= p75 <= p95 still holds after smoothing.
 * - Readings with a non-finite value or a minute outside [0, 1440) are ignored.
 *
 * Cost: O(N) bucketing into one Float64Array (counting sort by bin), then a numeric sort per bin.
 */
export function agpProfile(readings: readonly TimedGlucose[], binMinutes = 15, options: AgpOptions = {}): AgpProfile {
  if (!Number.isInteger(binMinutes) || binMinutes <= 0 || MINUTES_PER_DAY % binMinutes !== 0) {
    throw new RangeError(`binMinutes must be a positive divisor of 1440, got ${binMinutes}`);
  }
  const nBins = MINUTES_PER_DAY / binMinutes;
  const binOf = (r: TimedGlucose): number => {
    const m = r.minuteOfDay;
    if (!(m >= 0 && m < MINUTES_PER_DAY) || !numIsFinite(r.mgdl)) return -1;
    return floor(m / binMinutes);
  };

  // Counting sort into one buffer: counts, then start offsets, then fill.
  const counts = new Int32Array(nBins);
  for (const r of readings) {
    const b = binOf(r);
    if (b >= 0) counts[b]!++;
  }
  const offsets = new Int32Array(nBins + 1);
  for (let b = 0; b < nBins; b++) offsets[b + 1] = offsets[b]! + counts[b]!;
  const values = new Float64Array(offsets[nBins]!);
  const cursor = offsets.slice(0, nBins);
  for (const r of readings) {
    const b = binOf(r);
    if (b >= 0) values[cursor[b]!++] = r.mgdl;
  }

  // raw[k * nBins + b]: percentile k of bin b; NaN when the bin is too sparse.
  const nP = PERCENTILES.length;
  const raw = new Float64Array(nP * nBins).fill(NaN);
  for (let b = 0; b < nBins; b++) {
    if (counts[b]! < AGP_MIN_READINGS_PER_BIN) continue;
    const bin = values.subarray(offsets[b]!, offsets[b + 1]!).sort();
    for (let k = 0; k < nP; k++) raw[k * nBins + b] = quantileType7(bin, PERCENTILES[k]!);
  }

  const smooth = (options.smooth ?? true) && nBins >= 3;
  const out = smooth ? new Float64Array(raw.length).fill(NaN) : raw;
  if (smooth) {
    for (let k = 0; k < nP; k++) {
      const base = k * nBins;
      for (let b = 0; b < nBins; b++) {
        const mid = raw[base + b]!;
        if (numIsNaN(mid)) continue;
        const prev = raw[base + ((b - 1 + nBins) % nBins)]!;
        const next = raw[base + ((b + 1) % nBins)]!;
        let sum = 2 * mid;
        let w = 2;
        if (!numIsNaN(prev)) {
          sum += prev;
          w += 1;
        }
        if (!numIsNaN(next)) {
          sum += next;
          w += 1;
        }
        out[base + b] = sum / w;
      }
    }
  }

  const at = (k: number, b: number): number | null => {
    const v = out[k * nBins + b]!;
    return numIsNaN(v) ? null : v;
  };
  const bins: AgpBin[] = [];
  for (let b = 0; b < nBins; b++) {
    bins.push({ startMinute: b * binMinutes, n: counts[b]!, p5: at(0, b), p25: at(1, b), p50: at(2, b), p75: at(3, b), p95: at(4, b) });
  }
  return { binMinutes, bins };
}

// ---------------------------------------------------------------------------------------------
// SVG rendering
// ---------------------------------------------------------------------------------------------

export interface AgpChart {
  readonly profile: AgpProfile;
  /** First day of the period, ISO 8601 (a date or date-time; its date part is shown). */
  readonly periodStart: string;
  /** Last day of the period, ISO 8601. */
  readonly periodEnd: string;
  /** Unit of the labels; every number in the chart is mg/dL. */
  readonly unit: 'mg/dL' | 'mmol/L';
  readonly daysWithData: number;
  /** Percent of expected CGM readings present, 0..100. */
  readonly capturedPercent: number;
  /** Target range, mg/dL (normally 70 and 180). */
  readonly targetLow: number;
  readonly targetHigh: number;
}

/** Geometry of the rendered chart (viewBox units). */
export const AGP_LAYOUT = {
  width: 720,
  height: 360,
  plotLeft: 56,
  plotRight: 704,
  plotTop: 48,
  plotBottom: 298,
  /** Top of the y axis, mg/dL; higher values are drawn at the top edge. */
  yMaxMgdl: 350,
} as const;

/** x of a minute of the day (0..1440) in the chart. */
export function agpX(minute: number): number {
  const { plotLeft, plotRight } = AGP_LAYOUT;
  return plotLeft + (minute / MINUTES_PER_DAY) * (plotRight - plotLeft);
}

/** y of a glucose value (mg/dL) in the chart, clamped to the 0..350 mg/dL axis. */
export function agpY(mgdl: number): number {
  const { plotTop, plotBottom, yMaxMgdl } = AGP_LAYOUT;
  const v = Math.min(Math.max(mgdl, 0), yMaxMgdl);
  return plotBottom - (v / yMaxMgdl) * (plotBottom - plotTop);
}

/** A number rounded to one decimal, as written in the SVG ("12", "12.5", never "-0"). */
export function fmt1(n: number): string {
  const r = Math.round(n * 10) / 10;
  return Object.is(r, -0) || r === 0 ? '0' : String(r);
}

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** The date part (YYYY-MM-DD) of an ISO 8601 string, or the string itself when it has none. */
function datePart(iso: string): string {
  const m = /^\d{4}-\d{2}-\d{2}/.exec(iso);
  return m ? m[0] : iso;
}

/** A glucose value (mg/dL) in the display unit: integer mg/dL, or mmol/L with one decimal. */
function inUnit(mgdl: number, unit: AgpChart['unit']): string {
  return unit === 'mmol/L' ? (mgdl / CONSENSUS.mgdlPerMmol).toFixed(1) : String(Math.round(mgdl));
}

type Key = 'p5' | 'p25' | 'p50' | 'p75' | 'p95';
interface Pt {
  readonly x: number;
  readonly bin: AgpBin;
}

const value = (bin: AgpBin, key: Key): number | null => {
  const v = bin[key];
  return v !== null && Number.isFinite(v) ? v : null;
};
const complete = (bin: AgpBin): boolean => (['p5', 'p25', 'p50', 'p75', 'p95'] as const).every((k) => value(bin, k) !== null);

/**
 * Runs of consecutive bins with percentiles, as points at bin centres. Where the first and last
 * bins of the day both have data, the runs are extended to 00:00 and 24:00 with the midpoint of
 * the two (the curve wraps midnight). An isolated bin spans its own width.
 */
function runs(profile: AgpProfile): Pt[][] {
  const bins = profile.bins;
  const half = profile.binMinutes / 2;
  const out: Pt[][] = [];
  let cur: Pt[] = [];
  for (const bin of bins) {
    if (complete(bin)) cur.push({ x: agpX(bin.startMinute + half), bin });
    else if (cur.length > 0) {
      out.push(cur);
      cur = [];
    }
  }
  if (cur.length > 0) out.push(cur);
  const first = bins[0];
  const last = bins[bins.length - 1];
  if (bins.length > 1 && first && last && complete(first) && complete(last)) {
    const mid = (k: Key) => (value(first, k)! + value(last, k)!) / 2;
    const wrap: AgpBin = { startMinute: 0, n: 0, p5: mid('p5'), p25: mid('p25'), p50: mid('p50'), p75: mid('p75'), p95: mid('p95') };
    out[0]!.unshift({ x: agpX(0), bin: wrap });
    out[out.length - 1]!.push({ x: agpX(MINUTES_PER_DAY), bin: wrap });
  }
  return out.map((run) => {
    if (run.length !== 1) return run;
    const only = run[0]!;
    const start = only.bin.startMinute;
    return [
      { x: agpX(start), bin: only.bin },
      { x: agpX(start + profile.binMinutes), bin: only.bin },
    ];
  });
}

const pt = (x: number, y: number) => `${fmt1(x)},${fmt1(y)}`;

/** One subpath per run: a closed band between two percentile curves. */
function bandPath(rs: readonly Pt[][], lower: Key, upper: Key): string {
  return rs
    .map((run) => {
      const top = run.map((p) => pt(p.x, agpY(value(p.bin, upper)!)));
      const bottom = run.map((p) => pt(p.x, agpY(value(p.bin, lower)!))).reverse();
      return `M${top.join('L')}L${bottom.join('L')}Z`;
    })
    .join('');
}

/** One subpath per run: the curve of one percentile, broken where bins are missing. */
function linePath(rs: readonly Pt[][], key: Key): string {
  return rs.map((run) => `M${run.map((p) => pt(p.x, agpY(value(p.bin, key)!))).join('L')}`).join('');
}

const COLORS = {
  target: '#dcefdc',
  targetEdge: '#3a9a4a',
  outer: '#c6dbef',
  inner: '#6baed6',
  median: '#08306b',
  low: '#c62828',
  high: '#e67e00',
  grid: '#e3e3e3',
  axis: '#555555',
  text: '#222222',
} as const;

/**
 * The AGP as a self-contained SVG document: no scripts, no external references, fonts or images,
 * every text XML-escaped, numbers rounded to one decimal (output is deterministic). It carries no
 * patient identifier: only the profile, period, coverage and target range of `chart`.
 */
export function renderAgpSvg(chart: AgpChart): string {
  const L = AGP_LAYOUT;
  const unit = chart.unit;
  const from = datePart(chart.periodStart);
  const to = datePart(chart.periodEnd);
  const days = Math.round(chart.daysWithData);
  const captured = fmt1(chart.capturedPercent);
  const targetText = `${inUnit(chart.targetLow, unit)}\u2013${inUnit(chart.targetHigh, unit)} ${unit}`;
  const rs = runs(chart.profile);

  const medians = chart.profile.bins.filter(complete).map((b) => value(b, 'p50')!);
  const desc =
    `Percentiles of glucose by time of day (5th to 95th, 25th to 75th, and median) from ${from} to ${to}: ` +
    `${days} days with data, ${captured}% of readings captured. Target range ${targetText} shaded. ` +
    (medians.length > 0
      ? `The median ranges from ${inUnit(Math.min(...medians), unit)} to ${inUnit(Math.max(...medians), unit)} ${unit} over the day.`
      : 'Too few readings to draw percentiles.');

  const out: string[] = [];
  const text = (x: number, y: number, s: string, attrs = '') => out.push(`<text x="${fmt1(x)}" y="${fmt1(y)}"${attrs}>${escapeXml(s)}</text>`);

  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${L.width} ${L.height}" width="${L.width}" height="${L.height}" role="img" aria-labelledby="agp-title agp-desc" font-family="system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif" font-size="11" fill="${COLORS.text}">`,
  );
  out.push(`<title id="agp-title">${escapeXml(`Ambulatory Glucose Profile, ${from} to ${to}`)}</title>`);
  out.push(`<desc id="agp-desc">${escapeXml(desc)}</desc>`);
  out.push(`<rect x="0" y="0" width="${L.width}" height="${L.height}" fill="#ffffff"/>`);

  // Heading and caption.
  text(L.plotLeft, 20, 'Ambulatory Glucose Profile (AGP)', ' font-size="14" font-weight="bold"');
  text(L.plotLeft, 37, `${from} to ${to} \u00b7 ${days} days with data \u00b7 ${captured}% of readings captured`);

  // Target range.
  const yLow = agpY(chart.targetLow);
  const yHigh = agpY(chart.targetHigh);
  out.push(
    `<rect x="${fmt1(L.plotLeft)}" y="${fmt1(yHigh)}" width="${fmt1(L.plotRight - L.plotLeft)}" height="${fmt1(yLow - yHigh)}" fill="${COLORS.target}" data-role="target-range"/>`,
  );

  // Grid and x axis (3-hourly).
  out.push(`<g stroke="${COLORS.grid}" stroke-width="1">`);
  for (let h = 3; h < 24; h += 3) out.push(`<line x1="${fmt1(agpX(h * 60))}" y1="${L.plotTop}" x2="${fmt1(agpX(h * 60))}" y2="${L.plotBottom}"/>`);
  out.push('</g>');
  out.push(`<g text-anchor="middle" fill="${COLORS.axis}" font-size="10">`);
  for (let h = 0; h <= 24; h += 3) text(agpX(h * 60), L.plotBottom + 14, `${String(h).padStart(2, '0')}:00`);
  out.push('</g>');

  // y axis labels at the clinical thresholds, in the display unit.
  out.push(`<g text-anchor="end" fill="${COLORS.axis}" font-size="10">`);
  for (const v of [0, 54, chart.targetLow, chart.targetHigh, 250, L.yMaxMgdl]) text(L.plotLeft - 5, agpY(v) + 3.5, inUnit(v, unit));
  out.push('</g>');
  text(14, (L.plotTop + L.plotBottom) / 2, unit, ` text-anchor="middle" fill="${COLORS.axis}" font-size="10" transform="rotate(-90 14 ${fmt1((L.plotTop + L.plotBottom) / 2)})"`);

  // Percentile bands and median, broken where bins have too few readings.
  if (rs.length > 0) {
    out.push(`<path d="${bandPath(rs, 'p5', 'p95')}" fill="${COLORS.outer}" fill-opacity="0.8" stroke="none" data-role="band-5-95"/>`);
    out.push(`<path d="${bandPath(rs, 'p25', 'p75')}" fill="${COLORS.inner}" fill-opacity="0.9" stroke="none" data-role="band-25-75"/>`);
    out.push(
      `<path d="${linePath(rs, 'p50')}" fill="none" stroke="${COLORS.median}" stroke-width="2.5" stroke-linejoin="round" stroke-linecap="round" data-role="median"/>`,
    );
  }

  // Target edges and dashed reference lines at 54 and 250 mg/dL.
  const hline = (y: number, color: string, extra = '') =>
    out.push(`<line x1="${L.plotLeft}" y1="${fmt1(y)}" x2="${L.plotRight}" y2="${fmt1(y)}" stroke="${color}"${extra}/>`);
  hline(yLow, COLORS.targetEdge, ' stroke-width="1"');
  hline(yHigh, COLORS.targetEdge, ' stroke-width="1"');
  hline(agpY(54), COLORS.low, ' stroke-width="1" stroke-dasharray="5 4" data-role="ref-54"');
  hline(agpY(250), COLORS.high, ' stroke-width="1" stroke-dasharray="5 4" data-role="ref-250"');

  // Plot frame.
  out.push(
    `<rect x="${L.plotLeft}" y="${L.plotTop}" width="${L.plotRight - L.plotLeft}" height="${L.plotBottom - L.plotTop}" fill="none" stroke="${COLORS.axis}" stroke-width="1"/>`,
  );

  // Legend.
  const ly = L.height - 18;
  let lx = L.plotLeft;
  const item = (swatch: string, label: string) => {
    out.push(swatch.replaceAll('{x}', fmt1(lx)).replaceAll('{y}', fmt1(ly - 9)).replaceAll('{cx}', fmt1(lx + 16)).replaceAll('{cy}', fmt1(ly - 4)));
    text(lx + 22, ly, label);
    lx += 22 + label.length * 6 + 18;
  };
  out.push('<g data-role="legend">');
  item(`<rect x="{x}" y="{y}" width="16" height="10" fill="${COLORS.target}" stroke="${COLORS.targetEdge}" stroke-width="1"/>`, `Target ${targetText}`);
  item(`<rect x="{x}" y="{y}" width="16" height="10" fill="${COLORS.outer}"/>`, '5\u201395%');
  item(`<rect x="{x}" y="{y}" width="16" height="10" fill="${COLORS.inner}"/>`, '25\u201375%');
  item(`<line x1="{x}" y1="{cy}" x2="{cx}" y2="{cy}" stroke="${COLORS.median}" stroke-width="2.5"/>`, 'Median');
  item(`<line x1="{x}" y1="{cy}" x2="{cx}" y2="{cy}" stroke="${COLORS.low}" stroke-dasharray="5 4"/>`, `${inUnit(54, unit)} ${unit}`);
  item(`<line x1="{x}" y1="{cy}" x2="{cx}" y2="{cy}" stroke="${COLORS.high}" stroke-dasharray="5 4"/>`, `${inUnit(250, unit)} ${unit}`);
  out.push('</g>');

  out.push('</svg>');
  return out.join('\n') + '\n';
}
