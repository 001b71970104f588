/**
 * The benchmark charts: what each script draws from the figures it prints, through
 * bench/svg-chart.ts, into `--charts DIR` (default bench/charts/, `--no-charts` for none).
 * File names are stable, so a new run replaces the charts of the last one:
 *
 * - ann.ts: `ann-<n>-<quantization>.svg` (recall@10 against queries/s per library, one point
 *   per efSearch), and with `--sizes` `scale-memory.svg` (serving RSS against n) and
 *   `scale-file.svg` (file size against n).
 * - keyword.ts: `keyword-qps-<runtime>.svg` (keyword and hybrid queries/s per engine).
 * - keyword-index.ts: `keyword-index-<runtime>.svg` (indexing time per engine).
 *
 * @module
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join, relative, resolve } from "node:path";
import type { BuildResult, ServeResult } from "./ann.ts";
import { fmt, repoRoot } from "./common.ts";
import { barChart, lineChart, PALETTE, type Series } from "./svg-chart.ts";

/** The directory of `--charts DIR` (relative to the working directory), bench/charts/ by default, null with `--no-charts`. */
export function chartsDir(argv: string[]): string | null {
  if (argv.includes("--no-charts")) return null;
  const i = argv.indexOf("--charts");
  return i >= 0 && argv[i + 1] ? resolve(argv[i + 1]) : join(repoRoot, "bench", "charts");
}

/** Writes one chart and says where. */
export function writeChart(dir: string, name: string, svg: string): void {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, svg);
  const rel = relative(process.cwd(), path);
  console.log(`chart: ${rel.startsWith("..") ? path : rel}`);
}

/** "2 x Intel(R) Xeon(R) Processor, 2026-12-07": the machine and the day, under every chart. */
export function machineAndDay(date = new Date()): string {
  const c = cpus();
  return `${c.length} x ${c[0]?.model ?? "unknown CPU"}, ${date.toISOString().slice(0, 10)}`;
}

/** "bun", "deno" or "node": the runtime, for file names. */
export function runtimeKey(): string {
  const g = globalThis as Record<string, unknown>;
  return "Bun" in g ? "bun" : "Deno" in g ? "deno" : "node";
}

const n = (x: number) => x.toLocaleString("en-US");

// ---- approximate search ------------------------------------------------------------------

/** One size of an ann.ts run, as its `--json` holds it. */
export interface AnnRun {
  meta: { n: number; dim: number; queries: number };
  builds: Record<string, BuildResult | null>;
  serve: Record<string, ServeResult>;
  /** When the run ended (ISO); missing in files written before it was recorded. */
  date?: string;
}

/** A colour and marker per library, the same in every chart. */
const STYLE: Record<string, { color: string; marker: number }> = {
  bun: { color: PALETTE[0], marker: 0 },
  deno: { color: PALETTE[5], marker: 1 },
  "hnswlib-node": { color: PALETTE[1], marker: 2 },
  usearch: { color: PALETTE[2], marker: 3 },
  "usearch i8": { color: PALETTE[3], marker: 4 },
  "hnswlib-node native": { color: PALETTE[4], marker: 2 },
  float32: { color: PALETTE[5], marker: 1 },
};
const QUANTIZATIONS = [["none", "vectlite", "float32"], ["int8", "vectlite int8", "int8"], ["binary", "vectlite binary", "binary"]];

/**
 * One chart per vectlite variant: its Bun and Deno curves and the peers' (for float32 the
 * float32 peers), recall@10 against queries/s along efSearch, the figures of the tables.
 */
export function annCharts(dir: string, run: AnnRun, when?: Date): void {
  const { meta, serve } = run;
  const peerKeys = (q: string) => ["hnswlib-node", "usearch", ...(q === "none" ? [] : ["usearch i8"]), "hnswlib-node native"];
  for (const [q, name, title] of QUANTIZATIONS) {
    const mine = [["bun", "Bun"], ["deno", "Deno"]].filter(([r]) => serve[`${name} ${r}`]);
    if (mine.length === 0) continue;
    const curve = (key: string, label: string, style: { color: string; marker: number }): Series => ({
      name: label,
      ...style,
      points: serve[key].curve.map((p) => [p.recall, p.qps] as [number, number]),
      tips: serve[key].curve.map((p) => `${label}: efSearch ${p.ef}, recall@10 ${p.recall.toFixed(4)}, ${fmt(p.qps)} q/s`),
    });
    const series = [
      ...mine.map(([r, R]) => curve(`${name} ${r}`, `${name}, ${R}`, STYLE[r])),
      ...peerKeys(q).filter((k) => serve[k]).map((k) => curve(k, k, STYLE[k])),
    ];
    const efs = serve[`${name} ${mine[0][0]}`].curve.map((p) => p.ef);
    writeChart(
      dir,
      `ann-${meta.n}-${q}.svg`,
      lineChart({
        title: `HNSW, ${n(meta.n)} x ${meta.dim}, vectlite ${title}: recall@10 against queries/s`,
        subtitle: `${n(meta.queries)} queries one at a time, k 10, M 16, efConstruction 200; one point per efSearch ` +
          `(${efs[0]} to ${efs[efs.length - 1]}), best pass; up and right is better. ${machineAndDay(when)}`,
        x: { label: "recall@10" },
        y: { label: "queries/s", log: "auto", zero: true },
        series,
      }),
    );
  }
}

/**
 * Serving RSS and file size against n, one line per library (Bun's rows for vectlite), from
 * the sizes of this run; `earlier` adds sizes this run lacks from another run's `--json`,
 * drawn dashed and named in the subtitle.
 */
export function scaleCharts(dir: string, runs: AnnRun[], earlier: { runs: AnnRun[]; source: string } | null, when?: Date): void {
  const libs: [string, string, string, { color: string; marker: number }][] = [
    ["vectlite int8 bun", "vectlite int8 bun 2", "vectlite int8", STYLE.bun],
    ["vectlite bun", "vectlite bun 2", "vectlite float32", STYLE.float32],
    ["vectlite binary bun", "vectlite binary bun 2", "vectlite binary", STYLE["hnswlib-node native"]],
    ["hnswlib-node", "hnswlib node 1", "hnswlib-node", STYLE["hnswlib-node"]],
    ["usearch", "usearch node 2", "usearch", STYLE.usearch],
    ["usearch i8", "usearch i8 node 2", "usearch i8", STYLE["usearch i8"]],
  ];
  const sizes = new Set(runs.map((r) => r.meta.n));
  const extra = (earlier?.runs ?? []).filter((r) => !sizes.has(r.meta.n));
  const dim = runs[0].meta.dim;
  const measures: [string, string, string, (r: AnnRun, serveKey: string, buildKey: string) => number | undefined][] = [
    ["scale-memory.svg", "Serving memory (RSS) against size", "resident set while serving, MB", (r, s) => r.serve[s]?.rssServeBytes],
    ["scale-file.svg", "File size against size", "index file, MB", (r, _, b) => r.builds[b]?.fileBytes],
  ];
  for (const [file, title, yLabel, value] of measures) {
    const series: Series[] = [];
    for (const [serveKey, buildKey, label, style] of libs) {
      const pointsOf = (list: AnnRun[]) =>
        list.map((r) => [r.meta.n, (value(r, serveKey, buildKey) ?? NaN) / 1e6] as [number, number]).filter((p) => Number.isFinite(p[1]));
      const points = pointsOf([...runs].sort((a, b) => a.meta.n - b.meta.n));
      if (points.length === 0) continue;
      series.push({ name: label, ...style, points, tips: points.map(([x, y]) => `${label}: ${n(x)} vectors, ${fmt(y)} MB`) });
      const more = pointsOf(extra);
      if (more.length === 0) continue;
      const joined = [...points, ...more].sort((a, b) => a[0] - b[0]);
      const from = joined.findIndex((p) => more.includes(p));
      const dashed = joined.slice(Math.max(0, from - 1));
      series.push({ name: `${label} (earlier run)`, ...style, points: dashed, dash: true, legend: false, tips: dashed.map(([x, y]) => `${label}: ${n(x)} vectors, ${fmt(y)} MB`) });
    }
    const what = file === "scale-memory.svg"
      ? "resident set of the serving process after the efSearch curve (vectlite: Bun)"
      : "the file each library saved after its build (vectlite: compacted .vdb)";
    const dashedNote = extra.length
      ? ` Dashed: ${extra.map((r) => n(r.meta.n)).join(", ")} from an earlier run (${earlier!.source}, ` +
        `${[...new Set(extra.map((r) => r.date?.slice(0, 10) ?? "undated"))].join(", ")}), only the libraries it ran.`
      : "";
    writeChart(
      dir,
      file,
      lineChart({
        title: `${title}, x ${dim}`,
        subtitle: `${what}; M 16, efConstruction 200. ${machineAndDay(when)}.${dashedNote}`,
        x: { label: "vectors (n)", log: true },
        y: { label: yLabel, log: true },
        series,
      }),
    );
  }
}

// ---- keyword search ----------------------------------------------------------------------

const whole = (v: number) => fmt(v);

/** Keyword and hybrid queries/s per engine (medians of the rounds), as keyword.ts prints them. */
export function keywordChart(
  dir: string,
  runtime: string,
  run: { qps: Record<string, number>; docs: number; mb: number; queries: number; rounds: number },
): void {
  const groups = ["vectlite", "Orama", "MiniSearch", "ts-bm25"];
  writeChart(
    dir,
    `keyword-qps-${runtimeKey()}.svg`,
    barChart({
      title: `Keyword (BM25) and hybrid search, queries/s, ${runtime}`,
      subtitle: `${n(run.docs)} paragraphs (${run.mb.toFixed(1)} MB) of /usr/share/doc, ${run.queries} queries of 1 to 3 words, ` +
        `k 10, one at a time, median of ${run.rounds} rounds; ts-bm25: a plain TypeScript BM25 over vectlite's terms ` +
        `(ids only, no storage). Higher is better. ${machineAndDay()}`,
      groups: ["vectlite", "Orama", "MiniSearch", "ts-bm25 (plain TypeScript)"],
      series: [
        { name: "keyword", values: groups.map((g) => run.qps[g]), color: PALETTE[0] },
        { name: "hybrid (keyword + dense)", values: groups.map((g) => run.qps[`${g} hybrid`]), color: PALETTE[1] },
      ],
      y: { label: "queries/s" },
      valueFormat: whole,
    }),
  );
}

/** Indexing time per engine, "text kept" and "terms only", medians over fresh processes, as keyword-index.ts prints them. */
export function keywordIndexChart(dir: string, runtime: string, medians: Record<string, number>, rounds: number, docs: number): void {
  const groups: [string, string, string | null][] = [
    ["vectlite, text analyzed in Rust", "vectlite text native", "vectlite terms native"],
    ["vectlite, sparseTerms in JS", "vectlite text", "vectlite terms"],
    ["Orama", "orama text", null],
    ["MiniSearch", "minisearch text", "minisearch terms"],
  ];
  writeChart(
    dir,
    `keyword-index-${runtimeKey()}.svg`,
    barChart({
      title: `Keyword indexing time, ${runtime}`,
      subtitle: `${n(docs)} paragraphs of /usr/share/doc, each engine in a fresh process, median of ${rounds} rounds; ` +
        `"text kept": the text stored with the index; "terms only": the index alone (Orama has no such mode). ` +
        `Lower is better. ${machineAndDay()}`,
      groups: groups.map(([g]) => g),
      series: [
        { name: "text kept", values: groups.map(([, k]) => medians[k]), color: PALETTE[0] },
        { name: "terms only", values: groups.map(([, , k]) => (k ? medians[k] : undefined)), color: PALETTE[2] },
      ],
      y: { label: "indexing time, ms" },
      valueFormat: whole,
    }),
  );
}
