import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { COMMANDS } from "../cli/vectlite.ts";
import { sparseTerms } from "../mod.ts";
import * as vectlite from "../mod.ts";
import { randomVector, rng, runtimeCommand, tempDir } from "./helpers.ts";

const CLI = decodeURIComponent(new URL("../cli/vectlite.ts", import.meta.url).pathname);
const DIM = 8;
const N = 200; // past the default annThreshold (128): namespace "" gets an HNSW graph

/** Runs the CLI in the current runtime. */
function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const { cmd, args: full } = runtimeCommand(CLI, ...args);
  const out = spawnSync(cmd, full, { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { status: out.status, stdout: out.stdout, stderr: out.stderr };
}

const TEXTS: Record<string, string> = {
  "doc-password": "How to reset a forgotten password from the login page",
  "doc-sso": "Single sign-on with SAML and OpenID Connect for enterprise users",
  "doc-billing": "Invoices, billing cycles and changing the payment card",
};

/** The test records, as JSONL lines; float32-exact values so they round-trip. */
function records(): Record<string, unknown>[] {
  const rand = rng(7);
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < N; i++) {
    out.push({ id: `r${i}`, vector: Array.from(randomVector(DIM, rand)), metadata: { n: i, group: i % 2 ? "odd" : "even" } });
  }
  for (const [id, text] of Object.entries(TEXTS)) {
    out.push({ id, vector: Array.from(randomVector(DIM, rand)), metadata: { text }, sparse: sparseTerms(text) });
  }
  out.push({ id: "elsewhere", vector: Array.from(randomVector(DIM, rand)), namespace: "other", metadata: {} });
  return out;
}

/** A fresh directory with the JSONL file and an imported database in it (once per file). */
let shared: { dir: string; db: string; jsonl: string; input: Record<string, unknown>[]; importRun: ReturnType<typeof cli> } | undefined;
function imported() {
  if (shared) return shared;
  const dir = tempDir();
  const input = records();
  const jsonl = join(dir, "in.jsonl");
  writeFileSync(jsonl, input.map((r) => JSON.stringify(r)).join("\n") + "\n");
  const db = join(dir, "cli.vdb");
  const importRun = cli("import", db, jsonl, "--batch", "50");
  shared = { dir, db, jsonl, input, importRun };
  return shared;
}

/** Parses JSONL output. */
const lines = (text: string) => text.trim().split("\n").filter((l) => l).map((l) => JSON.parse(l));

/** A record as comparable JSON: defaults filled in, keys in a fixed order, the vector as the float32s it reads as. */
function normal(r: Record<string, unknown>) {
  return JSON.stringify({
    id: r.id,
    namespace: r.namespace ?? "",
    vector: Array.from(Float32Array.from(r.vector as number[])),
    metadata: r.metadata ?? {},
    sparse: r.sparse ?? null,
  });
}

describe("vectlite CLI", () => {
  it("imports JSONL with bulkIngest, creating the database, with a progress line and a rate on stderr", async () => {
    const { db, importRun } = imported();
    assert.equal(importRun.status, 0, importRun.stderr);
    assert.match(importRun.stderr, new RegExp(`imported ${N + 4} records`));
    assert.equal(importRun.stdout, "", "summaries go to stderr, standard output is for data");
    assert.match(importRun.stderr, /import: 50 records committed \(through line 50\), [\d,]+ records\/s/);
    assert.match(importRun.stderr, /import: 204 records committed/);
    // The index build after the last batch has its own lines, up to 100%.
    assert.match(importRun.stderr, /import: 204 records committed; building the index: 203 of 203 vectors \(100%\)/);
    await using handle = await vectlite.open(db, { readOnly: true });
    assert.equal(handle.dimension, DIM);
    assert.equal(await handle.count({ namespace: "*" }), N + 4);
    assert.deepEqual((await handle.get("r5"))?.metadata, { n: 5, group: "odd" });
  });

  it("info prints the dimension, metric, records per namespace, file sizes and index state", () => {
    const { db } = imported();
    const text = cli("info", db);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /dimension\s+8/);
    assert.match(text.stdout, /metric\s+cosine/);
    assert.match(text.stdout, /records\s+204 in 2 namespaces/);
    assert.match(text.stdout, /namespace\s+"": 203 records; HNSW graph: 203 nodes/);
    assert.match(text.stdout, /namespace\s+"other": 1 record; no graph/);
    assert.match(text.stdout, /cli\.vdb-wal/);
    const json = cli("info", db, "--json");
    assert.equal(json.status, 0, json.stderr);
    const info = JSON.parse(json.stdout);
    assert.equal(info.records, N + 4);
    assert.equal(info.namespaces.other.records, 1);
    assert.equal(info.files.vdb.bytes, statSync(db).size);
    assert.equal(info.files.wal.bytes, statSync(`${db}-wal`).size);
    assert.equal(info.files.wal.path, `${db}-wal`);
  });

  it("search --vector finds the nearest records, with --k, --filter and --namespace", () => {
    const { db, input } = imported();
    const query = JSON.stringify(input[17].vector);
    const top = lines(cli("search", db, "--vector", query, "--k", "3").stdout);
    assert.equal(top.length, 3);
    assert.equal(top[0].id, "r17");
    assert.ok(top[0].score > 0.999);
    assert.deepEqual(top[0].metadata, { n: 17, group: "odd" });
    const even = lines(cli("search", db, "--vector", query, "--k", "5", "--filter", '{"group":"even"}').stdout);
    assert.equal(even.length, 5);
    assert.ok(even.every((r) => r.metadata.group === "even"));
    const other = lines(cli("search", db, "--vector", query, "--namespace", "other").stdout);
    assert.deepEqual(other.map((r) => r.id), ["elsewhere"]);
    const bad = cli("search", db, "--vector", "[1,2]");
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /DIMENSION_MISMATCH/);
    const badFilter = cli("search", db, "--vector", query, "--filter", '{"n":{"$gtt":1}}');
    assert.equal(badFilter.status, 1);
    assert.match(badFilter.stderr, /INVALID_FILTER/);
  });

  it("search --text runs a keyword search through sparseTerms", () => {
    const { db } = imported();
    const out = cli("search", db, "--text", "resetting passwords", "--k", "2");
    assert.equal(out.status, 0, out.stderr);
    const hits = lines(out.stdout);
    assert.equal(hits[0].id, "doc-password");
    assert.equal(lines(cli("search", db, "--text", "SAML single sign-on").stdout)[0].id, "doc-sso");
    const stop = cli("search", db, "--text", "the and of");
    assert.equal(stop.status, 1);
    assert.match(stop.stderr, /INVALID_ARGUMENT: .*no searchable words/);
  });

  it("search --text analyzes the query with the database's own analyzer", async () => {
    const db = join(tempDir(), "grams.vdb");
    {
      await using handle = await vectlite.open(db, { dimension: 2, analyzer: new vectlite.Analyzer().lowercase().ngrams(3, 3) });
      await handle.upsert("greeting", [1, 0], {}, { text: "Hello wonderful world" });
      await handle.upsert("other", [0, 1], {}, { text: "nothing alike" });
    }
    // "wonder" shares trigrams with "wonderful" only under the database's analyzer.
    const out = cli("search", db, "--text", "wonder", "--k", "1");
    assert.equal(out.status, 0, out.stderr);
    assert.equal(lines(out.stdout)[0]?.id, "greeting");
  });

  it("export writes every namespace with vectors, and export + import round-trips the records", async () => {
    const { db, dir, input } = imported();
    const stdout = cli("export", db);
    assert.equal(stdout.status, 0, stdout.stderr);
    const exported = lines(stdout.stdout);
    assert.deepEqual(exported.map(normal).sort(), input.map(normal).sort());
    // Each float32 in its shortest exact form, not its float64 expansion.
    const first = (input[0].vector as number[]).map((x) => Math.fround(x));
    const printed = JSON.stringify(exported.find((r) => r.id === input[0].id).vector);
    assert.ok(printed.length < JSON.stringify(first).length, `${printed} is shorter than the float64 expansion`);
    assert.deepEqual(Float32Array.from(JSON.parse(printed)), Float32Array.from(first), "and reads back as the same float32s");
    assert.match(stdout.stderr, /exported 204 records from .* to standard output/);
    const file = join(dir, "out.jsonl");
    const toFile = cli("export", db, file);
    assert.equal(toFile.status, 0, toFile.stderr);
    assert.match(toFile.stderr, /exported 204 records/);
    assert.equal(readFileSync(file, "utf8"), stdout.stdout);
    const copy = join(dir, "copy.vdb");
    assert.equal(cli("import", copy, file).status, 0);
    assert.equal(cli("export", copy).stdout, stdout.stdout, "the copy exports the same lines, in the same order");
    // Multi-vectors, named vectors and expiry go through JSONL too.
    const rich = join(dir, "rich.vdb");
    const rand = rng(3);
    const tokens = [randomVector(3, rand), randomVector(3, rand)];
    {
      await using handle = await vectlite.open(rich, { dimension: DIM });
      await handle.upsert("m", randomVector(DIM, rand), { k: 1 }, { multiVectors: { colbert: tokens }, vectors: { title: [0.5, -0.25] }, expiresAt: 4_102_444_800_000 });
    }
    const richFile = join(dir, "rich.jsonl");
    assert.equal(cli("export", rich, richFile).status, 0);
    const richCopy = join(dir, "rich-copy.vdb");
    assert.equal(cli("import", richCopy, richFile).status, 0);
    await using again = await vectlite.open(richCopy, { readOnly: true });
    const m = await again.get("m", { includeVectors: true });
    assert.deepEqual(m?.multiVectors, { colbert: tokens });
    assert.deepEqual(m?.vectors, { title: Float32Array.from([0.5, -0.25]) });
    assert.equal(m?.expiresAt, 4_102_444_800_000);
  });

  it("compact folds the WAL into the .vdb, keeping every record", async () => {
    const { db: shared, dir } = imported();
    const db = join(dir, "compact-me.vdb"); // a copy: the other tests count the shared one's records
    copyFileSync(shared, db);
    copyFileSync(`${shared}-wal`, `${db}-wal`);
    // A few writes after the import's own close (too few for close to compact them).
    {
      await using handle = await vectlite.open(db);
      await handle.upsert("late-1", randomVector(DIM, rng(1)));
      await handle.upsert("late-2", randomVector(DIM, rng(2)));
    }
    const before = statSync(`${db}-wal`).size;
    assert.ok(before > 48, "the late writes are in the WAL");
    const out = cli("compact", db);
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stderr, /compact: writing the file: ([\d.]+ [KM]iB|\d+ B) of ([\d.]+ [KM]iB|\d+ B) \(100%\)/);
    assert.match(out.stderr, /compacted .*compact-me\.vdb/);
    assert.equal(statSync(`${db}-wal`).size, 48, "only the WAL header (48 bytes) is left");
    assert.equal(lines(cli("export", db).stdout).length, N + 6);
    {
      await using again = await vectlite.open(db);
      assert.ok(await again.get("late-2"));
    }
    // Converting: every space gets int8 codes, shown by info; a bad value is a usage error.
    const converted = cli("compact", db, "--quantization", "int8");
    assert.equal(converted.status, 0, converted.stderr);
    assert.match(converted.stderr, /quantization int8/);
    const info = cli("info", db);
    assert.match(info.stdout, /quantized\s+int8/);
    assert.match(info.stdout, /int8 codes \((avx512-vnni|avx2|neon|portable)\)/);
    const wrong = cli("compact", db, "--quantization", "int4");
    assert.equal(wrong.status, 2);
    assert.match(wrong.stderr, /--quantization must be none, int8 or binary, found "int4"/);
    assert.equal(lines(cli("export", db).stdout).length, N + 6, "nothing lost by the conversion");
  });

  it("check passes on a sound database and reports the graph", () => {
    const { db } = imported();
    const out = cli("check", db);
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, /checksums verified/);
    assert.match(out.stdout, /records: 204 records walked/);
    assert.match(out.stdout, /namespace "": 203 records; graph: loaded, 203 nodes/);
    assert.match(out.stdout, /^ok$/m);
  });

  it("check on a damaged file exits non-zero with CORRUPT", () => {
    const { db, dir } = imported();
    const bad = join(dir, "bad.vdb");
    copyFileSync(db, bad);
    const bytes = readFileSync(bad);
    bytes[Math.floor(bytes.length / 2)] ^= 0xff;
    writeFileSync(bad, bytes);
    const out = cli("check", bad);
    assert.equal(out.status, 1);
    assert.match(out.stderr, /^vectlite: CORRUPT: .*bad\.vdb/);
    assert.equal(out.stdout, "");
  });

  it("a malformed line fails with its line number; only the batches before it stay", async () => {
    const dir = tempDir();
    const jsonl = join(dir, "bad.jsonl");
    const good = (i: number) => JSON.stringify({ id: `g${i}`, vector: [i, 1, 0] });
    writeFileSync(jsonl, [good(1), good(2), good(3), good(4), good(5), "{\"id\": \"x\", \"vector\": [1, 2", good(7)].join("\n"));
    const db = join(dir, "bad.vdb");
    const out = cli("import", db, jsonl, "--batch", "2");
    assert.equal(out.status, 1);
    assert.match(out.stderr, /INVALID_ARGUMENT: .*bad\.jsonl line 6: not valid JSON/);
    assert.match(out.stderr, /4 records from lines 1-4 were committed and stay/);
    const handle = await vectlite.open(db, { readOnly: true });
    assert.deepEqual((await handle.list()).map((r) => r.id), ["g1", "g2", "g3", "g4"], "the batch holding line 5 was not written");
    await handle.close();
    const wrongDim = join(dir, "dim.jsonl");
    writeFileSync(wrongDim, `${good(8)}\n\n${JSON.stringify({ id: "y", vector: [1, 2] })}\n`);
    const dimOut = cli("import", db, wrongDim);
    assert.equal(dimOut.status, 1);
    assert.match(dimOut.stderr, /dim\.jsonl line 3: vector has 2 values, the database has dimension 3; nothing was written/);
    const missing = cli("import", join(dir, "new.vdb"), join(dir, "nope.jsonl"), "--dimension", "3");
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /IO: cannot read .*nope\.jsonl/);
    assert.ok(!existsSync(join(dir, "new.vdb")), "an unreadable file creates no database");
  });

  it("import analyzes a line's text into its sparse terms; text with sparse is refused", async () => {
    const dir = tempDir();
    const jsonl = join(dir, "text.jsonl");
    writeFileSync(jsonl, Object.entries(TEXTS).map(([id, text], i) => JSON.stringify({ id, vector: [i, 1, 0], text })).join("\n") + "\n");
    const db = join(dir, "text.vdb");
    const out = cli("import", db, jsonl);
    assert.equal(out.status, 0, out.stderr);
    {
      await using handle = await vectlite.open(db, { readOnly: true });
      for (const [id, text] of Object.entries(TEXTS)) assert.deepEqual((await handle.get(id))?.sparse, sparseTerms(text), id);
    }
    const both = join(dir, "both.jsonl");
    writeFileSync(both, JSON.stringify({ id: "b", vector: [1, 1, 1], text: "x", sparse: { x: 1 } }) + "\n");
    const bad = cli("import", db, both);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /both\.jsonl line 1: give text or sparse, not both/);
  });

  it("help, usage errors and an unknown command", () => {
    const help = cli("--help");
    assert.equal(help.status, 0);
    for (const name of Object.keys(COMMANDS)) assert.match(help.stdout, new RegExp(`^  ${name} `, "m"));
    const importHelp = cli("import", "--help");
    assert.equal(importHelp.status, 0);
    assert.match(importHelp.stdout, /batches committed before the\s+bad line stay/);
    assert.equal(cli("help", "search").stdout, cli("search", "--help").stdout);
    const unknown = cli("frobnicate", "x.vdb");
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /unknown command "frobnicate"/);
    assert.match(unknown.stderr, /usage: vectlite <command>/);
    assert.equal(unknown.stdout, "");
    const noArgs = cli();
    assert.equal(noArgs.status, 2);
    const missingArg = cli("info");
    assert.equal(missingArg.status, 2);
    assert.match(missingArg.stderr, /missing <db>/);
    const badFlag = cli("search", "x.vdb", "--kk", "3");
    assert.equal(badFlag.status, 2);
    assert.match(badFlag.stderr, /unknown option --kk/);
    assert.equal(cli("info", "/nonexistent/x.vdb").status, 1);
    assert.equal(cli("--version").stdout.trim(), vectlite.version);
    assert.equal(cli("-V").stdout.trim(), vectlite.version);
    const integer = cli("search", "x.vdb", "--vector", "[1]", "--k=three");
    assert.equal(integer.status, 2);
    assert.match(integer.stderr, /--k must be a positive integer, found "three"/);
    const dash = cli("search", "x.vdb", "--vector", "-1");
    assert.equal(dash.status, 2);
    assert.match(dash.stderr, /--vector needs a value; one starting with "-" is written --vector=-\.\.\./);
    assert.match(cli("info", "x.vdb", "--json=1").stderr, /--json takes no value/);
    assert.match(cli("search", "x.vdb", "--k").stderr, /--k needs a value/);
  });

  it("reads standard input for -, blames a --dimension that differs from the database's, and leaves nothing after a failed import", async () => {
    const { dir, db, input } = imported();
    const fromStdin = spawnSync(runtimeCommand(CLI, "import", join(dir, "stdin.vdb"), "-").cmd, runtimeCommand(CLI, "import", join(dir, "stdin.vdb"), "-").args, {
      input: input.slice(0, 10).map((r) => JSON.stringify(r)).join("\n"),
      encoding: "utf8",
    });
    assert.equal(fromStdin.status, 0, fromStdin.stderr);
    assert.match(fromStdin.stderr, /imported 10 records from standard input/);
    const wrongDim = cli("import", db, join(dir, "in.jsonl"), "--dimension", "16");
    assert.equal(wrongDim.status, 1);
    assert.match(wrongDim.stderr, /--dimension 16 differs from .*cli\.vdb's dimension 8, fixed at creation/);
    // The second line is bad, in the first batch: the database this import created is removed.
    const bad = join(dir, "bad.jsonl");
    writeFileSync(bad, `${JSON.stringify(input[0])}\n{"id":"x","vector":[1]}\n`);
    const fresh = join(dir, "fresh.vdb");
    const failed = cli("import", fresh, bad);
    assert.equal(failed.status, 1);
    assert.match(failed.stderr, /bad\.jsonl line 2: vector has 1 values/);
    assert.ok(!existsSync(fresh) && !existsSync(`${fresh}-wal`), "no empty database left behind");
    const nothing = cli("compact", join(dir, "nope.vdb"));
    assert.equal(nothing.status, 1);
    assert.match(nothing.stderr, /NOT_FOUND: .*nope\.vdb does not exist: nothing to compact/);
    assert.doesNotMatch(nothing.stderr, /dimension/);
  });

  it("stops quietly with exit code 0 when the reader of its output goes away (| head, | true)", () => {
    const { db } = imported();
    const { cmd, args } = runtimeCommand(CLI, "search", db, "--vector", JSON.stringify(new Array(DIM).fill(0.5)), "--k", "200");
    const quoted = [cmd, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
    for (const command of [quoted, quoted.replace("'search'", "'export'").replace(/'--vector'.*$/, "")]) {
      const out = spawnSync("bash", ["-c", `set -o pipefail; ${command} | true`], { encoding: "utf8" });
      assert.equal(out.status, 0, `${command}: ${out.stderr}`);
      assert.doesNotMatch(out.stderr, /EPIPE|Error/);
    }
  });

  it("deno task vectlite runs the CLI in this checkout, whose Deno comes from npm", () => {
    const root = decodeURIComponent(new URL("..", import.meta.url).pathname);
    const deno = join(root, "node_modules", ".bin", "deno");
    const task = (...args: string[]) => spawnSync(deno, ["task", "vectlite", ...args], { cwd: root, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
    const help = task("--help");
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /usage: vectlite <command>/);
    const version = task("--version");
    assert.equal(version.stdout.trim(), vectlite.version);
    assert.equal(task("frobnicate").status, 2, "the CLI's exit code comes through the task");
  });
});
