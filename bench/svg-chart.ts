/**
 * A small SVG chart renderer for the benchmark figures: line charts (optional log axes,
 * points joined in the order given) and grouped bar charts. No dependency and no DOM: the
 * result is a standalone SVG document as a string, readable in a browser, on GitHub and in
 * an editor. Every label is escaped; points that cannot be placed (not finite, or not
 * positive on a log axis) are left out, so no coordinate is ever NaN.
 *
 * @module
 */

/** The Okabe-Ito colours (without its yellow, too pale on white): distinguishable with every common colour-vision deficiency. */
export const PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"] as const;

const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";
const WIDTH = 720;
const MARGIN = { left: 72, right: 24 };
const GRID = "#e6e6e6";
const AXIS = "#555";
const TEXT = "#222";
const MUTED = "#666";

/** One axis: its label, and how its values map to positions. */
export interface Axis {
  label: string;
  /** A logarithmic scale; "auto" picks one when the largest value is over 20 times the smallest. */
  log?: boolean | "auto";
  /** A linear axis that starts at zero (or ends there, for negative values). */
  zero?: boolean;
  /** Tick label of a value; by default thousands separators, "k" and "M" for large ranges. */
  format?: (value: number) => string;
}

/** One line of a line chart. */
export interface Series {
  name: string;
  /** [x, y] pairs, joined in this order. */
  points: [number, number][];
  color?: string;
  /** A dashed line (e.g. points from another run). */
  dash?: boolean;
  /** Leave the series out of the legend (e.g. a dashed continuation of another series). */
  legend?: boolean;
  /** Marker shape index (0 circle, 1 square, 2 triangle, 3 diamond, 4 inverted triangle); by default the series' index. */
  marker?: number;
  /** A tooltip per point (an SVG <title>), in the order of `points`. */
  tips?: string[];
}

export interface LineChartSpec {
  title: string;
  /** Smaller text under the title, wrapped to the width. */
  subtitle?: string;
  x: Axis;
  y: Axis;
  series: Series[];
  width?: number;
  /** Height of the plotting area alone, in px. */
  plotHeight?: number;
}

export interface BarChartSpec {
  title: string;
  subtitle?: string;
  /** The categories along the x axis, one group of bars each. */
  groups: string[];
  /** One bar per group per series; `undefined` (or not finite) for no bar. */
  series: { name: string; values: (number | undefined)[]; color?: string }[];
  /** The value axis (linear, from zero). */
  y: Axis;
  /** The label over each bar; by default the tick format. */
  valueFormat?: (value: number) => string;
  width?: number;
  plotHeight?: number;
}

/** Text safe in SVG content and in attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** Rounding noise out of a tick value (0.1 + 0.2 is printed as 0.3). */
const clean = (v: number) => Number(v.toPrecision(12));

/** A number as a coordinate: one decimal is finer than a pixel. */
const px = (v: number) => (Math.round(v * 10) / 10).toString();

/**
 * Evenly spaced round ticks (steps of 1, 2, 2.5 or 5 times a power of ten) covering
 * [min, max], about `count` intervals; a zero-width range is widened around its value.
 */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  if (max < min) [min, max] = [max, min];
  if (max === min) {
    const d = min === 0 ? 1 : Math.abs(min) * 0.1;
    min -= d;
    max += d;
  }
  const raw = (max - min) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const f = raw / power;
  const step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * power;
  const lo = Math.floor(min / step + 1e-9);
  const hi = Math.ceil(max / step - 1e-9);
  const ticks: number[] = [];
  for (let i = lo; i <= hi; i++) ticks.push(clean(i * step));
  return ticks;
}

/**
 * Ticks of a log axis over [min, max] (both > 0): every power of ten from the one at or
 * below min to the one at or above max; when max / min is at most 100, 1, 2 and 5 times
 * each power instead, from the last at or below min to the first at or above max.
 */
export function logTicks(min: number, max: number): number[] {
  if (!(min > 0) || !(max > 0) || !Number.isFinite(min) || !Number.isFinite(max)) return [1, 10];
  if (max < min) [min, max] = [max, min];
  const lo = Math.floor(Math.log10(min) + 1e-9);
  let hi = Math.ceil(Math.log10(max) - 1e-9);
  if (hi === lo) hi++;
  const few = Math.log10(max / min) <= 2;
  const ticks: number[] = [];
  for (let e = lo; e <= hi; e++) {
    ticks.push(clean(10 ** e));
    if (few && e < hi) ticks.push(clean(2 * 10 ** e), clean(5 * 10 ** e));
  }
  if (!few) return ticks;
  // Over few decades whole decades would leave much of the plot empty: from the last tick at
  // or below min to the first at or above max.
  const first = ticks.findLastIndex((t) => t <= min * (1 + 1e-9));
  const last = ticks.findIndex((t) => t >= max * (1 - 1e-9));
  const from = Math.max(0, first);
  return ticks.slice(from, Math.max(last, from + 1) + 1);
}

/**
 * A tick formatter for these ticks: thousands separators, as many decimals as the finest tick
 * needs (0.90 beside 0.95), and "k" and "M" when the largest tick is 10,000 or more.
 */
function tickFormat(ticks: number[]): (v: number) => string {
  const top = Math.max(...ticks.map(Math.abs));
  const small = ticks.filter((v) => Math.abs(v) < 1e3);
  const decimalsOf = (v: number) => (clean(v).toString().split(".")[1] ?? "").length;
  const decimals = Math.max(0, ...small.map(decimalsOf));
  const plain = (v: number, d: number) => clean(v).toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d });
  const short = (v: number) => plain(v, decimalsOf(v));
  return (v) => {
    if (top < 1e4 || Math.abs(v) < 1e3) return plain(v, Math.abs(v) < 1e3 ? decimals : 0);
    return Math.abs(v) >= 1e6 ? `${short(v / 1e6)}M` : `${short(v / 1e3)}k`;
  };
}

/** A scale: value to pixel, with its ticks. */
interface Scale {
  at: (v: number) => number;
  ticks: number[];
  log: boolean;
  format: (v: number) => string;
}

function scale(axis: Axis, values: number[], from: number, to: number): Scale {
  const finite = values.filter(Number.isFinite);
  const positive = finite.filter((v) => v > 0);
  const lo = Math.min(...finite), hi = Math.max(...finite);
  const log = axis.log === true ? positive.length > 0 : axis.log === "auto" && positive.length === finite.length && positive.length > 0 && hi / lo > 20;
  let ticks: number[];
  if (log) ticks = logTicks(Math.min(...positive), Math.max(...positive));
  else if (finite.length === 0) ticks = niceTicks(0, 1);
  else ticks = niceTicks(axis.zero ? Math.min(0, lo) : lo, axis.zero ? Math.max(0, hi) : hi);
  const t = log ? ticks.map(Math.log10) : ticks;
  const d0 = t[0], d1 = t[t.length - 1];
  const at = (v: number) => from + ((log ? Math.log10(v) : v) - d0) / (d1 - d0) * (to - from);
  return { at, ticks, log, format: axis.format ?? tickFormat(ticks) };
}

/** Whether a value can be placed on the scale. */
const placeable = (s: Scale, v: number) => Number.isFinite(v) && (!s.log || v > 0);

/** Width of text in px, estimated (about 0.56 em per character of a sans-serif font). */
const textWidth = (text: string, size: number) => text.length * size * 0.56;

/** Words wrapped into lines of at most `width` px. */
function wrap(text: string, size: number, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const next = line ? `${line} ${word}` : word;
    if (line && textWidth(next, size) > width) {
      lines.push(line);
      line = word;
    } else line = next;
  }
  if (line) lines.push(line);
  return lines;
}

function text(x: number, y: number, content: string, attrs = ""): string {
  return `<text x="${px(x)}" y="${px(y)}"${attrs ? ` ${attrs}` : ""}>${escapeXml(content)}</text>`;
}

/** A marker of shape `shape` centred on (x, y). */
function marker(shape: number, x: number, y: number, color: string, tip?: string): string {
  const r = 4;
  const title = tip ? `<title>${escapeXml(tip)}</title>` : "";
  const fill = `fill="${color}" stroke="#fff" stroke-width="1"`;
  const path = (d: string) => `<path d="${d}" ${fill}>${title}</path>`;
  switch (shape % 5) {
    case 1:
      return path(`M${px(x - r)} ${px(y - r)}h${2 * r}v${2 * r}h${-2 * r}z`);
    case 2:
      return path(`M${px(x)} ${px(y - r - 1)}L${px(x + r + 1)} ${px(y + r)}H${px(x - r - 1)}z`);
    case 3:
      return path(`M${px(x)} ${px(y - r - 1)}L${px(x + r + 1)} ${px(y)}L${px(x)} ${px(y + r + 1)}L${px(x - r - 1)} ${px(y)}z`);
    case 4:
      return path(`M${px(x)} ${px(y + r + 1)}L${px(x + r + 1)} ${px(y - r)}H${px(x - r - 1)}z`);
    default:
      return `<circle cx="${px(x)}" cy="${px(y)}" r="${r}" ${fill}>${title}</circle>`;
  }
}

/** The title and subtitle lines; returns the markup and the y below them. */
function heading(title: string, subtitle: string | undefined, width: number): { svg: string; bottom: number } {
  const parts: string[] = [];
  let y = 26;
  for (const line of wrap(title, 16, width - 32)) {
    parts.push(text(16, y, line, `font-size="16" font-weight="600" fill="${TEXT}"`));
    y += 20;
  }
  for (const line of wrap(subtitle ?? "", 12, width - 32)) {
    parts.push(text(16, y - 2, line, `font-size="12" fill="${MUTED}"`));
    y += 16;
  }
  return { svg: parts.join(""), bottom: y };
}

/** Legend entries laid out in rows from `top`; returns the markup and the y below it. */
function legend(
  entries: { name: string; color: string; shape?: number; dash?: boolean; swatch?: boolean }[],
  top: number,
  width: number,
): { svg: string; bottom: number } {
  const parts: string[] = [];
  let x = MARGIN.left, y = top;
  for (const e of entries) {
    const w = (e.swatch ? 26 : 32) + textWidth(e.name, 12) + 20;
    if (x + w > width - MARGIN.right && x > MARGIN.left) {
      x = MARGIN.left;
      y += 20;
    }
    const cy = y - 4;
    if (e.swatch) parts.push(`<rect x="${px(x + 6)}" y="${px(cy - 6)}" width="16" height="12" rx="2" fill="${e.color}"/>`);
    else {
      const dash = e.dash ? ` stroke-dasharray="6 4"` : "";
      parts.push(`<line x1="${px(x)}" y1="${px(cy)}" x2="${px(x + 28)}" y2="${px(cy)}" stroke="${e.color}" stroke-width="2"${dash}/>`);
      parts.push(marker(e.shape ?? 0, x + 14, cy, e.color));
    }
    parts.push(text(x + (e.swatch ? 28 : 34), y, e.name, `font-size="12" fill="${TEXT}"`));
    x += w;
  }
  return { svg: `<g class="legend">${parts.join("")}</g>`, bottom: entries.length ? y + 10 : top };
}

function svgDocument(width: number, height: number, title: string, body: string): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${px(height)}" viewBox="0 0 ${width} ${px(height)}" `,
    `font-family="${FONT}" role="img" aria-label="${escapeXml(title)}">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    body,
    `</svg>\n`,
  ].join("");
}

/** Gridlines and tick labels of the y axis, and the rotated axis label. */
function yAxis(s: Scale, label: string, left: number, right: number, top: number, bottom: number): string {
  const parts: string[] = [];
  for (const v of s.ticks) {
    const y = s.at(v);
    parts.push(`<g class="tick y" data-value="${v}">`);
    parts.push(`<line x1="${px(left)}" y1="${px(y)}" x2="${px(right)}" y2="${px(y)}" stroke="${GRID}"/>`);
    parts.push(text(left - 6, y + 4, s.format(v), `font-size="11" fill="${MUTED}" text-anchor="end"`));
    parts.push(`</g>`);
  }
  const cy = (top + bottom) / 2;
  parts.push(text(18, cy, label, `font-size="12" fill="${TEXT}" text-anchor="middle" transform="rotate(-90 18 ${px(cy)})"`));
  return parts.join("");
}

/** A line chart: one polyline with markers per series, a legend below the plot. */
export function lineChart(spec: LineChartSpec): string {
  const width = spec.width ?? WIDTH;
  const head = heading(spec.title, spec.subtitle, width);
  const top = head.bottom + 8, bottom = top + (spec.plotHeight ?? 300);
  const left = MARGIN.left, right = width - MARGIN.right;
  const all = spec.series.flatMap((s) => s.points);
  const sx = scale(spec.x, all.map((p) => p[0]), left, right);
  const sy = scale(spec.y, all.map((p) => p[1]), bottom, top);
  const parts: string[] = [head.svg];

  parts.push(yAxis(sy, spec.y.label, left, right, top, bottom));
  for (const v of sx.ticks) {
    const x = sx.at(v);
    parts.push(`<g class="tick x" data-value="${v}">`);
    parts.push(`<line x1="${px(x)}" y1="${px(top)}" x2="${px(x)}" y2="${px(bottom)}" stroke="${GRID}"/>`);
    parts.push(text(x, bottom + 16, sx.format(v), `font-size="11" fill="${MUTED}" text-anchor="middle"`));
    parts.push(`</g>`);
  }
  parts.push(`<rect x="${px(left)}" y="${px(top)}" width="${px(right - left)}" height="${px(bottom - top)}" fill="none" stroke="${AXIS}"/>`);
  parts.push(text((left + right) / 2, bottom + 36, spec.x.label, `font-size="12" fill="${TEXT}" text-anchor="middle"`));

  const entries: Parameters<typeof legend>[0] = [];
  spec.series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length];
    const shape = s.marker ?? i;
    const kept = s.points.map((p, j) => ({ p, tip: s.tips?.[j] })).filter(({ p }) => placeable(sx, p[0]) && placeable(sy, p[1]));
    const xy = kept.map(({ p }) => [sx.at(p[0]), sy.at(p[1])]);
    parts.push(`<g class="series" data-name="${escapeXml(s.name)}">`);
    if (xy.length > 1) {
      const dash = s.dash ? ` stroke-dasharray="6 4"` : "";
      const points = xy.map(([x, y]) => `${px(x)},${px(y)}`).join(" ");
      parts.push(`<polyline points="${points}" fill="none" stroke="${color}" stroke-width="2" stroke-linejoin="round"${dash}/>`);
    }
    xy.forEach(([x, y], j) => parts.push(marker(shape, x, y, color, kept[j].tip)));
    parts.push(`</g>`);
    if (s.legend !== false) entries.push({ name: s.name, color, shape, dash: s.dash });
  });

  const leg = legend(entries, bottom + 62, width);
  parts.push(leg.svg);
  return svgDocument(width, leg.bottom + 8, spec.title, parts.join(""));
}

/** A grouped bar chart: one group per category, one bar per series, the value over each bar. */
export function barChart(spec: BarChartSpec): string {
  const width = spec.width ?? WIDTH;
  const head = heading(spec.title, spec.subtitle, width);
  const top = head.bottom + 16, bottom = top + (spec.plotHeight ?? 280);
  const left = MARGIN.left, right = width - MARGIN.right;
  const values = spec.series.flatMap((s) => s.values).filter((v): v is number => v !== undefined && Number.isFinite(v));
  const sy = scale({ ...spec.y, log: false, zero: true }, values, bottom, top);
  const label = spec.valueFormat ?? sy.format;
  const parts: string[] = [head.svg, yAxis(sy, spec.y.label, left, right, top, bottom)];

  const groupWidth = (right - left) / Math.max(1, spec.groups.length);
  const n = Math.max(1, spec.series.length);
  const barWidth = Math.min(64, (groupWidth * 0.76) / n);
  const zero = sy.at(0);
  spec.groups.forEach((group, g) => {
    const centre = left + groupWidth * (g + 0.5);
    const x0 = centre - (barWidth * n) / 2;
    spec.series.forEach((s, i) => {
      const v = s.values[g];
      if (v === undefined || !Number.isFinite(v)) return;
      const color = s.color ?? PALETTE[i % PALETTE.length];
      const y = sy.at(v);
      const x = x0 + i * barWidth;
      const h = Math.abs(zero - y);
      parts.push(`<g class="bar" data-series="${escapeXml(s.name)}" data-group="${escapeXml(group)}" data-value="${v}">`);
      parts.push(`<rect x="${px(x + 1)}" y="${px(Math.min(y, zero))}" width="${px(barWidth - 2)}" height="${px(h)}" fill="${color}">`);
      parts.push(`<title>${escapeXml(`${group}, ${s.name}: ${label(v)}`)}</title></rect>`);
      parts.push(text(x + barWidth / 2, Math.min(y, zero) - 5, label(v), `font-size="11" fill="${TEXT}" text-anchor="middle"`));
      parts.push(`</g>`);
    });
    wrap(group, 12, groupWidth - 8).forEach((line, j) => {
      parts.push(text(centre, bottom + 18 + 15 * j, line, `font-size="12" fill="${TEXT}" text-anchor="middle"`));
    });
  });
  parts.push(`<line x1="${px(left)}" y1="${px(zero)}" x2="${px(right)}" y2="${px(zero)}" stroke="${AXIS}"/>`);

  const lines = Math.max(1, ...spec.groups.map((g) => wrap(g, 12, groupWidth - 8).length));
  const entries = spec.series.length > 1
    ? spec.series.map((s, i) => ({ name: s.name, color: s.color ?? PALETTE[i % PALETTE.length], swatch: true }))
    : [];
  const leg = legend(entries, bottom + 26 + 15 * lines, width);
  parts.push(leg.svg);
  return svgDocument(width, leg.bottom + 8, spec.title, parts.join(""));
}
