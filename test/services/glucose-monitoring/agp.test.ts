import { describe, expect, it } from '@jest/globals';
import { mulberry32 } from '../../../scripts/prng.js';
import {
  AGP_LAYOUT,
  agpProfile,
  agpX,
  agpY,
  escapeXml,
  fmt1,
  quantileType7,
  renderAgpSvg,
  type AgpBin,
  type AgpChart,
  type AgpProfile,
  type TimedGlucose,
} from '../../../src/services/glucose-monitoring/agp.js';

const rng = mulberry32;

/** 14 days of 5-minute CGM readings with a daily pattern: ~4,032 readings. */
function cgmSeries(days = 14, seed = 1): TimedGlucose[] {
  const r = rng(seed);
  const out: TimedGlucose[] = [];
  for (let d = 0; d < days; d++) {
    for (let m = 0; m < 1440; m += 5) {
      const daily = 140 + 45 * Math.sin(((m - 420) / 1440) * 2 * Math.PI) + 30 * Math.exp(-(((m - 780) / 90) ** 2));
      out.push({ minuteOfDay: m + r() * 4.9, mgdl: daily + (r() - 0.5) * 80 });
    }
  }
  return out;
}

const at = (minute: number, values: readonly number[]): TimedGlucose[] => values.map((mgdl) => ({ minuteOfDay: minute, mgdl }));
const bin = (p: AgpProfile, minute: number): AgpBin => p.bins[Math.floor(minute / p.binMinutes)]!;

describe('quantileType7', () => {
  it('interpolates between closest ranks like numpy.percentile', () => {
    const x = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100
    // h = (n-1)p = 99 * 0.05 = 4.95 -> x[4] + 0.95 (x[5] - x[4]) = 5 + 0.95 = 5.95
    expect(quantileType7(x, 0.05)).toBeCloseTo(5.95, 10);
    // h = 99 * 0.5 = 49.5 -> x[49] + 0.5 (x[50] - x[49]) = 50 + 0.5 = 50.5
    expect(quantileType7(x, 0.5)).toBeCloseTo(50.5, 10);
    // h = 99 * 0.95 = 94.05 -> 95 + 0.05 = 95.05
    expect(quantileType7(x, 0.95)).toBeCloseTo(95.05, 10);
    expect(quantileType7(x, 0)).toBe(1);
    expect(quantileType7(x, 1)).toBe(100);
    expect(quantileType7([7], 0.3)).toBe(7);
    expect(() => quantileType7([], 0.5)).toThrow(RangeError);
  });
});

describe('agpProfile', () => {
  it('computes type-7 percentiles per time-of-day bin', () => {
    // Bin 0 (00:00-00:15) holds 1..100 in shuffled order, every other bin is empty.
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    const r = rng(7);
    const shuffled = values.map((v) => ({ v, k: r() })).sort((a, b) => a.k - b.k).map((x) => x.v);
    const p = agpProfile(
      shuffled.map((mgdl, i) => ({ minuteOfDay: (i % 15) + 0.5, mgdl })),
      15,
    );
    expect(p.binMinutes).toBe(15);
    expect(p.bins).toHaveLength(96);
    const b0 = p.bins[0]!;
    expect(b0.startMinute).toBe(0);
    expect(b0.n).toBe(100);
    // h = 99p: p5 -> 4.95 -> 5.95; p25 -> 24.75 -> 25.75; p50 -> 49.5 -> 50.5; p75 -> 74.25 -> 75.25; p95 -> 94.05 -> 95.05.
    // A bin with no neighbours with data is left as it is by smoothing.
    expect(b0.p5).toBeCloseTo(5.95, 10);
    expect(b0.p25).toBeCloseTo(25.75, 10);
    expect(b0.p50).toBeCloseTo(50.5, 10);
    expect(b0.p75).toBeCloseTo(75.25, 10);
    expect(b0.p95).toBeCloseTo(95.05, 10);
    for (const b of p.bins.slice(1)) expect(b).toEqual({ startMinute: b.startMinute, n: 0, p5: null, p25: null, p50: null, p75: null, p95: null });
  });

  it('five readings: p5 = 10 + 0.2*10 = 12, p95 = 40 + 0.8*10 = 48', () => {
    // n = 5, h = 4p: p5 -> 0.2; p25 -> 1; p50 -> 2; p75 -> 3; p95 -> 3.8.
    const p = agpProfile(at(600, [50, 10, 40, 20, 30]), 30, { smooth: false });
    expect(bin(p, 600)).toEqual({ startMinute: 600, n: 5, p5: 12, p25: 20, p50: 30, p75: 40, p95: expect.closeTo(48, 10) });
  });

  it('a bin with fewer than 5 readings gives nulls and is not used in smoothing', () => {
    const p = agpProfile([...at(0, [100, 100, 100, 100, 100]), ...at(20, [400, 400, 400, 400])], 15);
    expect(bin(p, 20)).toEqual({ startMinute: 15, n: 4, p5: null, p25: null, p50: null, p75: null, p95: null });
    expect(bin(p, 0).p50).toBe(100);
    expect(bin(p, 0).p95).toBe(100);
    expect(agpProfile([], 15).bins.every((b) => b.n === 0 && b.p50 === null)).toBe(true);
  });

  it('smooths 1-2-1 across neighbouring bins, wrapping midnight, renormalising around gaps', () => {
    // 60-minute bins; only 23:00 (200), 00:00 (100) and 01:00 (40) have data; 22:00 and 02:00 are empty.
    const readings = [...at(23 * 60 + 30, [200, 200, 200, 200, 200]), ...at(30, [100, 100, 100, 100, 100]), ...at(90, [40, 40, 40, 40, 40])];
    const p = agpProfile(readings, 60);
    // 00:00: (r[23] + 2 r[0] + r[1]) / 4 = (200 + 200 + 40) / 4 = 110  (its left neighbour is 23:00 of the same day-clock)
    expect(p.bins[0]!.p50).toBeCloseTo(110, 10);
    // 23:00: 22:00 is empty, so (2 r[23] + r[0]) / 3 = (400 + 100) / 3
    expect(p.bins[23]!.p50).toBeCloseTo(500 / 3, 10);
    // 01:00: 02:00 is empty, so (r[0] + 2 r[1]) / 3 = (100 + 80) / 3 = 60
    expect(p.bins[1]!.p50).toBeCloseTo(60, 10);
    expect(p.bins[2]!.p50).toBeNull();
    expect(p.bins[22]!.p50).toBeNull();
    // Without smoothing, the raw values.
    const raw = agpProfile(readings, 60, { smooth: false });
    expect([raw.bins[23]!.p50, raw.bins[0]!.p50, raw.bins[1]!.p50]).toEqual([200, 100, 40]);
  });

  it('a flat series gives flat percentiles', () => {
    const readings: TimedGlucose[] = [];
    for (let d = 0; d < 14; d++) for (let m = 0; m < 1440; m += 5) readings.push({ minuteOfDay: m, mgdl: 120 });
    const p = agpProfile(readings);
    expect(p.bins).toHaveLength(96);
    for (const b of p.bins) expect(b).toEqual({ startMinute: b.startMinute, n: 42, p5: 120, p25: 120, p50: 120, p75: 120, p95: 120 });
  });

  it('keeps the percentiles ordered after smoothing and ignores invalid readings', () => {
    const readings = [...cgmSeries(), { minuteOfDay: 1440, mgdl: 999 }, { minuteOfDay: -1, mgdl: 999 }, { minuteOfDay: 3, mgdl: Number.NaN }];
    const p = agpProfile(readings);
    expect(p.bins.reduce((s, b) => s + b.n, 0)).toBe(readings.length - 3);
    for (const b of p.bins) {
      expect(b.p5).not.toBeNull();
      expect(b.p5!).toBeLessThanOrEqual(b.p25!);
      expect(b.p25!).toBeLessThanOrEqual(b.p50!);
      expect(b.p50!).toBeLessThanOrEqual(b.p75!);
      expect(b.p75!).toBeLessThanOrEqual(b.p95!);
    }
  });

  it('rejects a bin width that does not divide the day', () => {
    expect(() => agpProfile([], 7)).toThrow(RangeError);
    expect(() => agpProfile([], 0)).toThrow(RangeError);
    expect(agpProfile([], 1440).bins).toHaveLength(1);
  });
});

// --- SVG --------------------------------------------------------------------------------------

/** Balanced tags, well-formed attributes, and no raw '<' or bare '&' in text. Returns the element names. */
function checkWellFormed(svg: string): string[] {
  const stack: string[] = [];
  const names: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  let m: RegExpExecArray | null;
  const checkText = (t: string) => {
    expect(t).not.toMatch(/[<>]/);
    expect(t.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, '')).not.toContain('&');
  };
  while ((m = tag.exec(svg)) !== null) {
    checkText(svg.slice(last, m.index));
    last = tag.lastIndex;
    const [, close, name, attrs, selfClose] = m;
    checkText((attrs ?? '').replace(/[\w:-]+="([^"]*)"/g, '$1'));
    names.push(name!);
    if (close) expect(stack.pop()).toBe(name);
    else if (!selfClose) stack.push(name!);
  }
  checkText(svg.slice(last));
  expect(stack).toEqual([]);
  return names;
}

const attr = (el: string, name: string): string => new RegExp(`\\s${name}="([^"]*)"`).exec(el)?.[1] ?? '';
const element = (svg: string, role: string): string => new RegExp(`<[a-z]+[^>]*data-role="${role}"[^>]*>`).exec(svg)?.[0] ?? '';

function chartOf(profile: AgpProfile, over: Partial<AgpChart> = {}): AgpChart {
  return {
    profile,
    periodStart: '2025-03-01T00:00:00-05:00',
    periodEnd: '2025-03-14T23:59:59-05:00',
    unit: 'mg/dL',
    daysWithData: 14,
    capturedPercent: 93.27,
    targetLow: 70,
    targetHigh: 180,
    ...over,
  };
}

/** A hand-made profile: median 120, band 80-200, with the given bins missing. */
function profileWithGaps(missing: (i: number) => boolean): AgpProfile {
  const bins: AgpBin[] = Array.from({ length: 96 }, (_, i) =>
    missing(i)
      ? { startMinute: i * 15, n: 2, p5: null, p25: null, p50: null, p75: null, p95: null }
      : { startMinute: i * 15, n: 42, p5: 60, p25: 90, p50: 120, p75: 150, p95: 220 },
  );
  return { binMinutes: 15, bins };
}

describe('renderAgpSvg', () => {
  const svg = renderAgpSvg(chartOf(agpProfile(cgmSeries())));

  it('is a well-formed, self-contained, accessible SVG', () => {
    const names = checkWellFormed(svg);
    expect(names[0]).toBe('svg');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 720 360"/);
    expect(svg).toContain('role="img"');
    expect(svg).toMatch(/<title id="agp-title">[^<]+<\/title>/);
    expect(svg).toMatch(/<desc id="agp-desc">[^<]+<\/desc>/);
    expect(svg).toContain('aria-labelledby="agp-title agp-desc"');
    expect(new Set(names)).toEqual(new Set(['svg', 'title', 'desc', 'rect', 'text', 'g', 'line', 'path']));
    expect(svg.toLowerCase()).not.toContain('<script');
    expect(svg.toLowerCase()).not.toMatch(/\bon[a-z]+=/);
    expect(svg.match(/http/g)).toEqual(['http']);
    expect(svg).not.toMatch(/href|url\(|@import|<image|<foreignObject|<style/i);
  });

  it('shows the period dates, days with data and captured percentage', () => {
    expect(svg).toContain('2025-03-01 to 2025-03-14');
    expect(svg).not.toContain('T00:00:00');
    expect(svg).toContain('14 days with data');
    expect(svg).toContain('93.3% of readings captured');
    expect(svg).toContain('data-role="legend"');
    for (const label of ['Median', '5\u201395%', '25\u201375%', 'Target 70\u2013180 mg/dL']) expect(svg).toContain(`>${label}<`);
  });

  it('labels the x axis 00:00-24:00 every 3 hours and the y axis at 0, 54, 70, 180, 250, 350', () => {
    for (let h = 0; h <= 24; h += 3) expect(svg).toContain(`>${String(h).padStart(2, '0')}:00</text>`);
    for (const v of [0, 54, 70, 180, 250, 350]) expect(svg).toContain(`y="${fmt1(agpY(v) + 3.5)}">${v}</text>`);
  });

  it('is deterministic, with numbers rounded to one decimal', () => {
    expect(renderAgpSvg(chartOf(agpProfile(cgmSeries())))).toBe(svg);
    expect(svg).not.toMatch(/\d\.\d{2}/);
    expect(svg).not.toMatch(/NaN|Infinity|undefined|null/);
  });

  it('escapes text', () => {
    expect(escapeXml(`<a href="x">Tom & Jerry's</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&apos;s&lt;/a&gt;');
    const odd = renderAgpSvg(chartOf(agpProfile(cgmSeries()), { periodStart: '<script>alert("x")</script>&', periodEnd: '2025-03-14' }));
    checkWellFormed(odd);
    expect(odd).not.toContain('<script');
    expect(odd).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp; to 2025-03-14');
  });

  it('shades the target range 70-180 and draws dashed lines at 54 and 250 on the same scale', () => {
    const target = element(svg, 'target-range');
    expect(attr(target, 'y')).toBe(fmt1(agpY(180)));
    expect(attr(target, 'height')).toBe(fmt1(agpY(70) - agpY(180)));
    expect(attr(target, 'x')).toBe(fmt1(AGP_LAYOUT.plotLeft));
    expect(attr(target, 'width')).toBe(fmt1(AGP_LAYOUT.plotRight - AGP_LAYOUT.plotLeft));
    // The scale: 0 mg/dL at the bottom of the plot, 350 at its top, linear.
    expect(agpY(0)).toBe(AGP_LAYOUT.plotBottom);
    expect(agpY(350)).toBe(AGP_LAYOUT.plotTop);
    expect(agpY(500)).toBe(AGP_LAYOUT.plotTop);
    expect(agpY(175)).toBeCloseTo((AGP_LAYOUT.plotTop + AGP_LAYOUT.plotBottom) / 2, 10);
    expect(agpX(0)).toBe(AGP_LAYOUT.plotLeft);
    expect(agpX(1440)).toBe(AGP_LAYOUT.plotRight);
    for (const [role, v] of [
      ['ref-54', 54],
      ['ref-250', 250],
    ] as const) {
      const line = element(svg, role);
      expect(attr(line, 'y1')).toBe(fmt1(agpY(v)));
      expect(attr(line, 'y2')).toBe(fmt1(agpY(v)));
      expect(attr(line, 'stroke-dasharray')).not.toBe('');
    }
  });

  it('draws the bands and median at the profile values', () => {
    const full = renderAgpSvg(chartOf(profileWithGaps(() => false)));
    const median = attr(element(full, 'median'), 'd');
    // One run wrapping midnight: from 00:00 to 24:00 at 120 mg/dL.
    expect(median.startsWith(`M${fmt1(agpX(0))},${fmt1(agpY(120))}L${fmt1(agpX(7.5))},${fmt1(agpY(120))}`)).toBe(true);
    expect(median.endsWith(`L${fmt1(agpX(1440))},${fmt1(agpY(120))}`)).toBe(true);
    const outer = attr(element(full, 'band-5-95'), 'd');
    expect(outer).toContain(`${fmt1(agpX(7.5))},${fmt1(agpY(220))}`);
    expect(outer).toContain(`${fmt1(agpX(7.5))},${fmt1(agpY(60))}`);
    const inner = attr(element(full, 'band-25-75'), 'd');
    expect(inner).toContain(`${fmt1(agpX(7.5))},${fmt1(agpY(150))}`);
    expect(inner).toContain(`${fmt1(agpX(7.5))},${fmt1(agpY(90))}`);
  });

  it('breaks the paths where bins are null', () => {
    // Gap 10:00-11:00 (bins 40-43): two runs, joined across midnight by the wrap points.
    const gap = renderAgpSvg(chartOf(profileWithGaps((i) => i >= 40 && i < 44)));
    for (const role of ['median', 'band-5-95', 'band-25-75']) expect(attr(element(gap, role), 'd').match(/M/g)).toHaveLength(2);
    expect(attr(element(gap, 'median'), 'd')).not.toContain(`${fmt1(agpX(40 * 15 + 7.5))},`);
    // Three gaps, the first at midnight: three runs, none wrapping.
    const gaps = renderAgpSvg(chartOf(profileWithGaps((i) => i === 0 || i === 30 || i === 60)));
    const d = attr(element(gaps, 'median'), 'd');
    expect(d.match(/M/g)).toHaveLength(3);
    expect(d.startsWith(`M${fmt1(agpX(15 + 7.5))},`)).toBe(true);
    // An isolated bin spans its own width.
    const lone = renderAgpSvg(chartOf(profileWithGaps((i) => i !== 50)));
    expect(attr(element(lone, 'median'), 'd')).toBe(`M${fmt1(agpX(750))},${fmt1(agpY(120))}L${fmt1(agpX(765))},${fmt1(agpY(120))}`);
    // No data at all: no percentile paths, still a valid chart.
    const empty = renderAgpSvg(chartOf(agpProfile([]), { daysWithData: 0, capturedPercent: 0 }));
    checkWellFormed(empty);
    expect(empty).not.toContain('data-role="median"');
    expect(empty).toContain('Too few readings');
  });

  it('labels in mmol/L with one decimal', () => {
    const mmol = renderAgpSvg(chartOf(agpProfile(cgmSeries()), { unit: 'mmol/L' }));
    checkWellFormed(mmol);
    // 54/18.016 = 3.0, 70/18.016 = 3.9, 180/18.016 = 10.0, 250/18.016 = 13.9, 350/18.016 = 19.4
    for (const [v, label] of [
      [0, '0.0'],
      [54, '3.0'],
      [70, '3.9'],
      [180, '10.0'],
      [250, '13.9'],
      [350, '19.4'],
    ] as const) {
      expect(mmol).toContain(`y="${fmt1(agpY(v) + 3.5)}">${label}</text>`);
    }
    expect(mmol).toContain('>Target 3.9\u201310.0 mmol/L<');
    expect(mmol).toContain('>mmol/L</text>');
    expect(mmol).not.toContain('mg/dL');
    // The geometry does not depend on the display unit.
    expect(attr(element(mmol, 'median'), 'd')).toBe(attr(element(svg, 'median'), 'd'));
  });
});
