import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { barChart, escapeXml, lineChart, logTicks, niceTicks } from "../bench/svg-chart.ts";

/**
 * Checks that `svg` is one well-formed element tree: every tag closed in order, attributes
 * quoted, no stray `<` or `&` in text. Returns the element names in document order.
 */
function wellFormed(svg: string): string[] {
  const names: string[] = [];
  const open: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  for (let m = tag.exec(svg); m; m = tag.exec(svg)) {
    const between = svg.slice(last, m.index);
    assert.doesNotMatch(between, /<|&(?!(amp|lt|gt|quot|#39);)/, `raw markup in text: ${between.slice(0, 80)}`);
    last = tag.lastIndex;
    const [, closing, name, , selfClosing] = m;
    if (closing) assert.equal(open.pop(), name, `</${name}> closes another element`);
    else {
      names.push(name);
      if (!selfClosing) open.push(name);
    }
    if (open.length === 0) assert.equal(svg.slice(last).trim(), "", "content after the root element");
  }
  assert.equal(open.length, 0, `unclosed: ${open.join(", ")}`);
  assert.equal(names[0], "svg");
  return names;
}

/** Every number in a coordinate or size attribute. */
function coordinates(svg: string): string[] {
  const out: string[] = [];
  for (const m of svg.matchAll(/\s(?:x|y|x1|x2|y1|y2|cx|cy|r|width|height|points|d|viewBox|transform)="([^"]*)"/g)) out.push(m[1]);
  return out;
}

function assertNoNaN(svg: string): void {
  assert.doesNotMatch(svg, /NaN|Infinity|undefined/);
  for (const c of coordinates(svg)) {
    if (c.endsWith("%")) continue;
    for (const n of c.match(/-?[\d.]+(?:e-?\d+)?/g) ?? []) assert.ok(Number.isFinite(Number(n)), `${n} in "${c}"`);
  }
}

/** The polyline points of the series named `name`. */
function polyline(svg: string, name: string): [number, number][] {
  const group = svg.split(`<g class="series" data-name="${name}">`)[1]?.split("</g>")[0] ?? "";
  const points = /<polyline points="([^"]+)"/.exec(group)?.[1];
  assert.ok(points, `no polyline for ${name}`);
  return points.split(" ").map((p) => p.split(",").map(Number) as [number, number]);
}

/** The data-value of each tick of axis `axis`. */
const ticks = (svg: string, axis: "x" | "y") => [...svg.matchAll(new RegExp(`class="tick ${axis}" data-value="([^"]+)"`, "g"))].map((m) => Number(m[1]));

describe("svg charts (bench/svg-chart.ts)", () => {
  it("a line chart is one well-formed standalone SVG with the namespace, the size and a legend", () => {
    const svg = lineChart({
      title: "recall against queries/s",
      subtitle: "a subtitle long enough to need wrapping over more than one line of the chart's width, ".repeat(3),
      x: { label: "recall@10" },
      y: { label: "queries/s", log: "auto" },
      series: [
        { name: "a", points: [[0.9, 9000], [0.95, 7000], [0.99, 5000]], tips: ["ef 16", "ef 32", "ef 64"] },
        { name: "b", points: [[0.91, 6000], [0.97, 4000]], dash: true },
      ],
    });
    const names = wellFormed(svg);
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="720" height="[\d.]+" viewBox="0 0 720 [\d.]+"/);
    assert.ok(names.includes("polyline") && names.includes("text") && names.includes("title"));
    assert.match(svg, /font-family="system-ui,[^"]*sans-serif"/);
    assert.match(svg, /<g class="legend">.*>a<\/text>.*>b<\/text>/);
    assert.match(svg, /stroke-dasharray/);
    assertNoNaN(svg);
  });

  it("places points monotonically: larger x further right, larger y higher up", () => {
    for (const log of [false, true]) {
      const points: [number, number][] = [[1, 3], [2, 40], [5, 500], [10, 7000], [20, 90000]];
      const svg = lineChart({ title: "t", x: { label: "x", log }, y: { label: "y", log }, series: [{ name: "s", points }] });
      const xy = polyline(svg, "s");
      assert.equal(xy.length, points.length);
      for (let i = 1; i < xy.length; i++) {
        assert.ok(xy[i][0] > xy[i - 1][0], `x of point ${i} (log ${log})`);
        assert.ok(xy[i][1] < xy[i - 1][1], `y of point ${i} (log ${log})`);
      }
      // The points lie within the axes' first and last ticks.
      const [x0, x1] = [Math.min(...ticks(svg, "x")), Math.max(...ticks(svg, "x"))];
      assert.ok(x0 <= 1 && x1 >= 20);
    }
  });

  it("a log axis over several decades has its ticks at powers of ten", () => {
    const svg = lineChart({ title: "t", x: { label: "n", log: true }, y: { label: "MB", log: "auto" }, series: [{ name: "s", points: [[1_000, 3], [10_000_000, 30_000]] }] });
    const y = ticks(svg, "y");
    assert.deepEqual(y, [1, 10, 100, 1_000, 10_000, 100_000]);
    assert.deepEqual(ticks(svg, "x"), [1_000, 10_000, 100_000, 1_000_000, 10_000_000]);
    assert.match(svg, />1M<\/text>/);
    assert.match(svg, />10M<\/text>/);
    assert.deepEqual(logTicks(3, 30_000), [1, 10, 100, 1_000, 10_000, 100_000]);
    for (const t of logTicks(0.002, 7e8)) assert.equal(t, Number(`1e${Math.round(Math.log10(t))}`));
    // Over two decades or less, 1-2-5 steps trimmed to the data.
    assert.deepEqual(logTicks(65, 1_900), [50, 100, 200, 500, 1_000, 2_000]);
  });

  it('"auto" picks a log axis only for a wide range', () => {
    const narrow = lineChart({ title: "t", x: { label: "x" }, y: { label: "y", log: "auto", zero: true }, series: [{ name: "s", points: [[1, 3000], [2, 9000]] }] });
    assert.equal(ticks(narrow, "y")[0], 0);
    const wide = lineChart({ title: "t", x: { label: "x" }, y: { label: "y", log: "auto", zero: true }, series: [{ name: "s", points: [[1, 30], [2, 9000]] }] });
    assert.ok(ticks(wide, "y").every((t) => t > 0));
  });

  it("nice ticks are round steps that cover the data", () => {
    assert.deepEqual(niceTicks(0, 9_000), [0, 2_000, 4_000, 6_000, 8_000, 10_000]);
    assert.deepEqual(niceTicks(0.853, 0.999), [0.85, 0.9, 0.95, 1]);
    const t = niceTicks(-3.7, 12.2);
    assert.ok(t[0] <= -3.7 && t[t.length - 1] >= 12.2);
    assert.ok(t.length >= 3 && t.length <= 12);
  });

  it("escapes every label: title, subtitle, axis labels, series names, group names, tooltips", () => {
    const evil = `a < b & "c" > 'd'`;
    const line = lineChart({
      title: evil,
      subtitle: evil,
      x: { label: evil },
      y: { label: evil },
      series: [{ name: evil, points: [[1, 2], [2, 3]], tips: [evil, evil] }, { name: "other", points: [[1, 1]] }],
    });
    const bars = barChart({ title: evil, groups: [evil, "g"], series: [{ name: evil, values: [1, 2] }, { name: "x", values: [3, 4] }], y: { label: evil } });
    for (const svg of [line, bars]) {
      wellFormed(svg);
      assert.ok(!svg.includes(evil));
      assert.ok(svg.includes("a &lt; b &amp; &quot;c&quot; &gt; &#39;d&#39;"));
    }
    assert.equal(escapeXml("<&>"), "&lt;&amp;&gt;");
  });

  it("no NaN for a single point, equal values, zeros, empty series or values a log axis cannot show", () => {
    const cases: [number, number][][] = [[[5, 5]], [[1, 7], [2, 7], [3, 7]], [[3, 1], [3, 2]], [[0, 0]], [], [[1, 0], [2, -1], [3, 10]], [[NaN, 1], [1, Infinity], [2, 2]]];
    for (const points of cases) {
      for (const log of [false, true, "auto"] as const) {
        const svg = lineChart({ title: "t", x: { label: "x", log }, y: { label: "y", log, zero: true }, series: [{ name: "s", points }, { name: "empty", points: [] }] });
        wellFormed(svg);
        assertNoNaN(svg);
      }
    }
    for (const values of [[0, 0], [5], [undefined, 3], [NaN, -2], []]) {
      const svg = barChart({ title: "t", groups: ["a", "b"], series: [{ name: "s", values }], y: { label: "y" } });
      wellFormed(svg);
      assertNoNaN(svg);
    }
  });

  it("bars: taller for larger values, from a zero baseline, a missing value has no bar", () => {
    const svg = barChart({
      title: "t",
      groups: ["vectlite", "Orama", "MiniSearch"],
      series: [{ name: "keyword", values: [20_000, 700, 2_400] }, { name: "hybrid", values: [2_100, 220, undefined] }],
      y: { label: "queries/s" },
      valueFormat: (v) => Math.round(v).toLocaleString("en-US"),
    });
    wellFormed(svg);
    const bars = [...svg.matchAll(/<g class="bar" data-series="([^"]+)" data-group="([^"]+)" data-value="([^"]+)"><rect [^>]*height="([\d.]+)"/g)]
      .map((m) => ({ series: m[1], group: m[2], value: Number(m[3]), height: Number(m[4]) }));
    assert.equal(bars.length, 5);
    const sorted = [...bars].sort((a, b) => a.value - b.value);
    for (let i = 1; i < sorted.length; i++) assert.ok(sorted[i].height > sorted[i - 1].height);
    const height = (v: number) => bars.find((b) => b.value === v)!.height;
    assert.ok(Math.abs(height(20_000) / height(2_400) - 20_000 / 2_400) < 0.05, "heights proportional to the values");
    assert.ok(svg.includes(">20,000</text>") && svg.includes(">220</text>"));
    assert.equal(ticks(svg, "y")[0], 0);
    assert.match(svg, /<g class="legend">.*>keyword<\/text>.*>hybrid<\/text>/);
  });
});
