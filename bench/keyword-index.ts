/**
 * Indexing time on the keyword corpus, each engine in a fresh process, several
 * rounds in rotating order, medians. `bench/keyword.ts` indexes vectlite, Orama and MiniSearch
 * one after another in one process, so whoever runs first pays for a cold heap; this harness
 * removes that order effect and compares engines that keep the same information:
 *
 * - "text kept": vectlite `upsertMany` of `{ id, vector, metadata: { text }, sparse:
 *   sparseTerms(text) }` (sync "normal", no graph; durable in the WAL); Orama `insertMultiple`
 *   (it stores every document by default); MiniSearch `addAll` with `storeFields: ["text"]`.
 * - "terms only": vectlite records `{ id, vector, sparse: sparseTerms(text) }`; MiniSearch
 *   with its defaults (it stores no field). Orama has no such mode.
 * - "native": the same two vectlite runs with `text` in place of `sparse` (`{ id, vector,
 *   metadata: { text }, text }` and `{ id, vector, text }`): the write analyzes the text
 *   with the database's analyzer in Rust, off the JavaScript thread and on both cores.
 *
 * The corpus (bench/corpus.ts) and the 8-dimensional vectors are prepared before the clock
 * starts, as in keyword.ts; vectlite's time includes `sparseTerms` for every document.
 *
 *   bun bench/keyword-index.ts [--rounds 3]        deno run -A bench/keyword-index.ts
 *
 * `--charts DIR` (default bench/charts/; `--no-charts` for none): where
 * `keyword-index-<runtime>.svg` goes, the bars of the medians printed (bench/charts.ts).
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { create, insertMultiple } from "@orama/orama";
import MiniSearch from "minisearch";
import * as vectlite from "../mod.ts";
import { chartsDir, keywordIndexChart } from "./charts.ts";
import { buildCorpus } from "./corpus.ts";
import { fmt, machine, median, removeDir, runtimeName, tempDir } from "./common.ts";

const argv = process.argv.slice(2);
const str = (name: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const ROUNDS = Number(str("rounds") ?? 3);
const BATCH = 5_000;
const DIM = 8;
const ENGINES = [
  "vectlite text",
  "vectlite text native",
  "orama text",
  "minisearch text",
  "vectlite terms",
  "vectlite terms native",
  "minisearch terms",
] as const;
type Engine = typeof ENGINES[number];

/** A signed hashed bag of words, as in keyword.ts (the stand-in embedding). */
function vec(text: string): Float32Array {
  const v = new Float32Array(DIM);
  for (const w of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    let h = 0x811c9dc5;
    for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w.charCodeAt(i), 0x01000193);
    h >>>= 0;
    v[h % DIM] += h & 0x100 ? 1 : -1;
  }
  if (v.every((x) => x === 0)) v[0] = 1;
  return v;
}

/** One engine, one run, in this process: prints the milliseconds. */
async function child(engine: Engine): Promise<void> {
  const docs = buildCorpus().docs;
  const ids = docs.map((_, i) => `d${String(i).padStart(6, "0")}`);
  const vectors = docs.map(vec);
  const dir = tempDir("vectlite-kwidx-");
  const t = performance.now();
  if (engine.startsWith("vectlite")) {
    const keepText = engine.startsWith("vectlite text");
    const native = engine.endsWith("native");
    const db = await vectlite.open(join(dir, "k.vdb"), { dimension: DIM, sync: "normal", annThreshold: 2 ** 32 - 1 });
    for (let start = 0; start < docs.length; start += BATCH) {
      const batch: vectlite.RecordInput[] = [];
      for (let i = start; i < Math.min(docs.length, start + BATCH); i++) {
        const terms = native ? { text: docs[i] } : { sparse: vectlite.sparseTerms(docs[i]) };
        batch.push(keepText ? { id: ids[i], vector: vectors[i], metadata: { text: docs[i] }, ...terms } : { id: ids[i], vector: vectors[i], ...terms });
      }
      await db.upsertMany(batch);
    }
    const elapsed = performance.now() - t;
    if ((await db.count()) !== docs.length) throw new Error("vectlite lost documents");
    await db.close();
    console.log(JSON.stringify({ engine, ms: elapsed, docs: docs.length }));
  } else if (engine === "orama text") {
    const orama = create({ schema: { text: "string" } as const });
    await insertMultiple(orama, docs.map((text, i) => ({ id: ids[i], text })));
    console.log(JSON.stringify({ engine, ms: performance.now() - t, docs: docs.length }));
  } else {
    const mini = new MiniSearch(engine === "minisearch text" ? { fields: ["text"], storeFields: ["text"] } : { fields: ["text"] });
    mini.addAll(docs.map((text, i) => ({ id: ids[i], text })));
    console.log(JSON.stringify({ engine, ms: performance.now() - t, docs: docs.length }));
  }
  removeDir(dir);
}

/** The documents indexed, as the children report them. */
let docCount = 0;

function runChild(engine: Engine): number {
  const self = new URL(import.meta.url).pathname;
  const [cmd, args] = "Bun" in globalThis
    ? [process.execPath, [self]]
    : "Deno" in globalThis
    ? [process.execPath, ["run", "-A", self]]
    : [process.execPath, ["--import", "tsx", self]];
  const out = spawnSync(cmd, [...args, "--child", engine], { encoding: "utf8", maxBuffer: 1 << 24 });
  if (out.status !== 0) throw new Error(`${engine} failed: ${out.stderr}`);
  const { ms, docs } = JSON.parse(out.stdout.trim().split("\n").pop()!);
  docCount = docs;
  return ms;
}

const which = str("child");
if (which) {
  await child(which as Engine);
} else {
  const times: Record<string, number[]> = Object.fromEntries(ENGINES.map((e) => [e, []]));
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate the order so no engine always runs first or last.
    const order = ENGINES.map((_, i) => ENGINES[(i + round) % ENGINES.length]);
    for (const e of order) times[e].push(runChild(e));
    console.error(`round ${round + 1}: ${ENGINES.map((e) => `${e} ${fmt(times[e][round])} ms`).join(", ")}`);
  }
  const med = Object.fromEntries(ENGINES.map((e) => [e, median(times[e])]));
  console.log(`${runtimeName()}, ${machine()}, ${ROUNDS} rounds, medians:`);
  for (const e of ENGINES) console.log(`  ${e.padEnd(22)} ${fmt(med[e])} ms  (${times[e].map((x) => fmt(x)).join(", ")})`);
  const r = (a: Engine, b: Engine) => fmt(med[a] / med[b]);
  console.log(`text kept:  Orama / vectlite ${r("orama text", "vectlite text")}, MiniSearch / vectlite ${r("minisearch text", "vectlite text")}`);
  console.log(`terms only: MiniSearch / vectlite ${r("minisearch terms", "vectlite terms")}`);
  console.log(`native, text kept:  Orama / vectlite ${r("orama text", "vectlite text native")}, MiniSearch / vectlite ${r("minisearch text", "vectlite text native")}`);
  console.log(`native, terms only: MiniSearch / vectlite ${r("minisearch terms", "vectlite terms native")}`);
  const charts = chartsDir(argv);
  if (charts) keywordIndexChart(charts, runtimeName(), med, ROUNDS, docCount);
  console.log("RESULT " + JSON.stringify({ runtime: runtimeName(), machine: machine(), rounds: ROUNDS, docs: docCount, times, medians: med }));
}
