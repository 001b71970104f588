import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { createServer, request, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import * as vectlite from "../mod.ts";
import { CLIENT_JS } from "../src/inspector/client.ts";
import { pca2 } from "../src/inspector/pca.ts";
import { buildDemoDatabase, type DemoDatabase } from "./inspector-db.ts";
import { runtimeCommand, tempDir, wordHashEmbedding } from "./helpers.ts";

const CLI = decodeURIComponent(new URL("../cli/vectlite.ts", import.meta.url).pathname);

interface Inspector {
  child: ChildProcess;
  url: string;
  port: number;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Starts `vectlite ui` in the runtime running the suite; resolves once it printed its URL. */
function startUi(...args: string[]): Promise<Inspector> {
  const { cmd, args: full } = runtimeCommand(CLI, "ui", ...args);
  const child = spawn(cmd, full, { env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  let out = "", err = "";
  child.stderr!.on("data", (c: Uint8Array) => (err += new TextDecoder().decode(c)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`vectlite ui printed no URL within 30 s: ${out}${err}`));
    }, 30_000);
    child.stdout!.on("data", (c: Uint8Array) => {
      out += new TextDecoder().decode(c);
      const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[0], port: Number(m[1]), stderr: () => err, exited });
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`vectlite ui exited (${code}) before printing its URL: ${out}${err}`));
    });
  });
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // deno-lint-ignore no-explicit-any
  json: any;
}

/** One HTTP request to 127.0.0.1:port, headers as given (Host included, which fetch will not set). */
function http(port: number, method: string, path: string, options: { body?: string | Uint8Array; headers?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host: `127.0.0.1:${port}`, ...options.headers };
    if (options.body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === "content-type")) headers["content-type"] = "application/json";
    const req = request({ host: "127.0.0.1", port, method, path, headers }, (res) => {
      const chunks: Uint8Array[] = [];
      res.on("data", (c: Uint8Array) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let json: unknown = undefined;
        try {
          json = JSON.parse(text);
        } catch { /* not JSON: the page and its assets */ }
        resolve({ status: res.statusCode!, headers: res.headers, text, json });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    if (options.body !== undefined) req.end(options.body);
    else req.end();
  });
}

const post = (port: number, path: string, body: unknown) => http(port, "POST", path, { body: JSON.stringify(body) });

/** Size, mtime and SHA-256 of each of the database's files that exist. */
function fingerprint(path: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const file of [path, `${path}-wal`]) {
    if (!existsSync(file)) continue;
    const s = statSync(file);
    out[file] = `${s.size} ${s.mtimeMs} ${createHash("sha256").update(readFileSync(file)).digest("hex")}`;
  }
  return out;
}

describe("vectlite ui (the web inspector)", () => {
  let demo: DemoDatabase;
  let ui: Inspector;
  let before_: Record<string, string>;

  before(async () => {
    demo = await buildDemoDatabase(join(tempDir(), "knowledge.vdb"));
    before_ = fingerprint(demo.path);
    ui = await startUi(demo.path, "--port", "0");
  });
  after(async () => {
    if (ui && ui.child.exitCode === null) {
      ui.child.kill("SIGKILL");
      await ui.exited;
    }
  });

  it("serves the page, its script and its style from the program, with a strict CSP", async () => {
    const page = await http(ui.port, "GET", "/");
    assert.equal(page.status, 200);
    assert.match(String(page.headers["content-type"]), /^text\/html/);
    assert.match(page.text, /<title>vectlite inspector<\/title>/);
    assert.match(String(page.headers["content-security-policy"]), /default-src 'none'; script-src 'self'/);
    assert.equal(page.headers["x-frame-options"], "DENY");
    const js = await http(ui.port, "GET", "/app.js");
    assert.equal(js.status, 200);
    assert.equal(js.text, CLIENT_JS);
    assert.equal((await http(ui.port, "GET", "/app.css")).status, 200);
    // The script is valid JavaScript (parsed, not run).
    new Function(CLIENT_JS);
    // No path reaches a file: traversal and the database's own name are unknown routes.
    for (const path of ["/../knowledge.vdb", "/%2e%2e/etc/passwd", "/knowledge.vdb", "/app.js/../../cli/vectlite.ts", "/src/inspector/api.ts"]) {
      const r = await http(ui.port, "GET", path);
      assert.equal(r.status, 404, path);
      assert.equal(r.json.error.code, "NOT_FOUND");
    }
  });

  it("overview: the figures of stats(), namespaces with counts, named spaces, index state", async () => {
    const o = (await http(ui.port, "GET", "/api/overview")).json;
    await using db = await vectlite.open(demo.path, { readOnly: true });
    const stats = await db.stats();
    assert.equal(o.readOnly, true);
    assert.equal(o.dimension, stats.dimension);
    assert.equal(o.metric, stats.metric);
    assert.equal(o.quantization, "int8");
    assert.equal(o.records, stats.records);
    assert.equal(o.records, demo.main + demo.archive);
    assert.equal(o.fileBytes, statSync(demo.path).size);
    assert.equal(o.walBytes, statSync(`${demo.path}-wal`).size);
    assert.ok(o.walBytes > 0, "the late record is in the WAL");
    assert.deepEqual(o.namespaces.map((n: { name: string }) => n.name), await db.namespaces());
    assert.deepEqual(o.namespaces.map((n: { records: number }) => n.records), [demo.main, demo.archive]);
    assert.equal(o.namespaces[0].index.nodes, stats.namespaces[""].index!.nodes);
    assert.equal(o.namespaces[0].named.title.dimension, 16);
    assert.equal(o.namespaces[0].named.title.vectors, 500);
    assert.equal(o.namespaces[1].index, null);
    assert.equal(o.indexesLoaded, stats.indexesLoaded);
    assert.equal(o.embed, false);
  });

  it("list: a filter paged with cursors gives every match once, in the library's order", async () => {
    await using db = await vectlite.open(demo.path, { readOnly: true });
    const filter = { source: "blog", year: { $gte: 2018 } };
    const expected = (await db.list({ filter })).map((r) => r.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { matched: number; cursor: string | null; records: { id: string; metadata: { source: string } }[] } =
        (await post(ui.port, "/api/list", { filter, limit: 40, ...(cursor ? { cursor } : {}) })).json;
      assert.equal(page.matched, expected.length);
      assert.ok(page.records.length <= 40);
      seen.push(...page.records.map((r: { id: string }) => r.id));
      for (const r of page.records) assert.equal(r.metadata.source, "blog");
      cursor = page.cursor;
      pages++;
    } while (cursor);
    assert.deepEqual(seen, expected);
    assert.equal(pages, Math.ceil(expected.length / 40));
    const archive = (await post(ui.port, "/api/list", { namespace: "archive", limit: 100 })).json;
    assert.equal(archive.matched, demo.archive);
    assert.equal(archive.records.length, demo.archive);
    assert.equal(archive.cursor, null);
  });

  it("a bad filter answers the library's error: 400, its code, its message and the filter path", async () => {
    let error: vectlite.VectLiteError | undefined;
    await using db = await vectlite.open(demo.path, { readOnly: true });
    const filter = { $and: [{ source: "blog" }, { year: { $gtt: 2020 } }] };
    await db.list({ filter }).catch((e) => (error = e));
    for (const [path, body] of [["/api/list", { filter }], ["/api/search", { text: "password", filter }], ["/api/map", { filter }]] as const) {
      const r = await post(ui.port, path, body);
      assert.equal(r.status, 400, path);
      assert.equal(r.json.error.code, "INVALID_FILTER");
      assert.equal(r.json.error.message, error!.message);
      assert.equal(r.json.error.path, "$and[1].year.$gtt");
    }
    const notObject = await post(ui.port, "/api/list", { filter: [1, 2] });
    assert.equal(notObject.status, 400);
    assert.match(notObject.json.error.message, /filter must be a JSON object/);
  });

  it("record: metadata, sparse terms, vector norms and named vectors; a missing one is 404", async () => {
    await using db = await vectlite.open(demo.path, { readOnly: true });
    const stored = (await db.get("doc-6", { includeVectors: true }))!;
    const r = (await http(ui.port, "GET", "/api/record?id=doc-6")).json;
    assert.deepEqual(r.metadata, stored.metadata);
    assert.equal(r.sparse.count, Object.keys(stored.sparse!).length);
    assert.deepEqual(Object.fromEntries(r.sparse.terms), stored.sparse);
    assert.ok(Math.abs(r.vector.norm - Math.hypot(...stored.vector!)) < 1e-9);
    assert.equal(r.vector.dimension, demo.dimension);
    assert.deepEqual(r.vector.head, Array.from(stored.vector!.subarray(0, 12)));
    assert.equal(r.vectors.title.dimension, 16);
    assert.ok(Math.abs(r.vectors.title.norm - Math.hypot(...stored.vectors!.title)) < 1e-9);
    const other = (await http(ui.port, "GET", "/api/record?namespace=archive&id=doc-100000")).json;
    assert.equal(other.namespace, "archive");
    const missing = await http(ui.port, "GET", "/api/record?id=nope");
    assert.equal(missing.status, 404);
    assert.equal(missing.json.error.code, "NOT_FOUND");
    assert.equal((await http(ui.port, "GET", "/api/record?namespace=archive")).status, 400, "id is required");
    assert.equal((await http(ui.port, "GET", "/api/record?id=a&id=b")).status, 400, "one id");
    assert.equal((await http(ui.port, "GET", "/api/record?id=doc-6&includeVectors=1")).status, 400, "unknown parameter");
  });

  it("search: keyword with BM25 explain, more like this without the record, k, fusion, MMR, rerank", async () => {
    await using db = await vectlite.open(demo.path, { readOnly: true });
    const text = (await post(ui.port, "/api/search", { text: "reset password", k: 5 })).json;
    const direct = await db.search(null, { sparse: db.analyzer.sparseTerms("reset password"), k: 5 });
    assert.deepEqual(text.results.map((r: { id: string }) => r.id), direct.map((r) => r.id));
    assert.deepEqual(Object.keys(text.query.terms).sort(), ["password", "reset"]);
    const explain = text.results[0].explain;
    assert.ok(explain.sparseScore > 0);
    assert.equal(explain.bm25.terms.password.df, 125);
    assert.equal(text.query.hybrid, false, "no embedding endpoint: keyword only");

    const similar = (await post(ui.port, "/api/search", { mode: "similar", id: "doc-6", k: 7 })).json;
    const stored = (await db.get("doc-6", { includeVectors: true }))!;
    const nearest = (await db.search(stored.vector!, { k: 8 })).map((r) => r.id).filter((id) => id !== "doc-6");
    assert.deepEqual(similar.results.map((r: { id: string }) => r.id), nearest.slice(0, 7));
    assert.ok(similar.results.every((r: { explain: { denseScore: number } }) => typeof r.explain.denseScore === "number"));

    const hybrid = (await post(ui.port, "/api/search", { mode: "similar", id: "doc-6", text: "rust ownership", fusion: "rrf", k: 4 })).json;
    assert.equal(hybrid.query.hybrid, true);
    assert.equal(hybrid.results[0].explain.fusion, "rrf");
    const mmr = (await post(ui.port, "/api/search", { mode: "similar", id: "doc-6", mmrLambda: 0.5, k: 5 })).json;
    assert.ok(mmr.results.every((r: { explain: { mmrPenalty?: number } }) => typeof r.explain.mmrPenalty === "number"));
    const reranked = (await post(ui.port, "/api/search", { text: "backups", rerankField: "title", k: 3 })).json;
    assert.ok(reranked.results.every((r: { explain: { rerankScore?: number } }) => typeof r.explain.rerankScore === "number"));
    const named = (await post(ui.port, "/api/search", { mode: "similar", id: "doc-6", vectorName: "title", k: 3 })).json;
    assert.equal(named.results.length, 3);
    const all = (await post(ui.port, "/api/search", { text: "100003 password", namespace: "*", k: 100 })).json;
    assert.deepEqual([all.results[0].id, all.results[0].namespace], ["doc-100003", "archive"]);
    assert.equal(all.results.length, 100);
    assert.equal((await post(ui.port, "/api/search", { text: "the of and" })).status, 400, "only stopwords");
    assert.equal((await post(ui.port, "/api/search", { mode: "similar", id: "nope" })).status, 404);
    assert.equal((await post(ui.port, "/api/search", { mode: "similar", id: "doc-1", vectorName: "title" })).status, 400, "doc-1 has no title vector");
  });

  it("map: the PCA of the sample, one point per vector with its id and colour value, and the fields", async () => {
    const all = (await post(ui.port, "/api/map", { colorBy: "source" })).json;
    assert.equal(all.matched, demo.main);
    assert.equal(all.sampled, demo.main);
    assert.equal(all.points.length, demo.main);
    assert.ok(all.explained[0] >= all.explained[1] && all.explained[0] + all.explained[1] <= 1);
    assert.ok(all.points.every((p: { x: number; y: number }) => Number.isFinite(p.x) && Number.isFinite(p.y)));
    assert.deepEqual(new Set(all.points.map((p: { value: string }) => p.value)), new Set(["blog", "docs", "forum", "news"]));
    assert.ok(all.fields.some((f: { path: string; distinct: number }) => f.path === "author.name" && f.distinct === 6));
    const sample = (await post(ui.port, "/api/map", { sample: 300, filter: { year: { $lt: 2020 } }, colorBy: "author.name" })).json;
    assert.equal(sample.points.length, 300);
    assert.equal(new Set(sample.points.map((p: { id: string }) => p.id)).size, 300);
    assert.equal(new Set(sample.points.map((p: { value: string }) => p.value)).size, 6, "an even sample has every author");
    const again = (await post(ui.port, "/api/map", { sample: 300, filter: { year: { $lt: 2020 } } })).json;
    assert.deepEqual(again.points.map((p: { id: string }) => p.id), sample.points.map((p: { id: string }) => p.id), "the same sample every time");
    const named = (await post(ui.port, "/api/map", { vectorName: "title" })).json;
    assert.equal(named.dimension, 16);
    assert.equal(named.points.length, 500);
  });

  it("bad requests get a 4xx JSON error, never a crash, and the server keeps serving", async () => {
    // One at a time: the server answers a burst past its in-flight limit with 503.
    const cases: [string, () => Promise<Answer>, number, string][] = [
      ["negative k", () => post(ui.port, "/api/search", { text: "password", k: -1 }), 400, "INVALID_ARGUMENT"],
      ["huge k", () => post(ui.port, "/api/search", { text: "password", k: 1e9 }), 400, "INVALID_ARGUMENT"],
      ["fractional k", () => post(ui.port, "/api/search", { text: "password", k: 2.5 }), 400, "INVALID_ARGUMENT"],
      ["k as a string", () => post(ui.port, "/api/search", { text: "password", k: "10" }), 400, "INVALID_ARGUMENT"],
      ["huge page", () => post(ui.port, "/api/list", { limit: 100_000 }), 400, "INVALID_ARGUMENT"],
      ["huge sample", () => post(ui.port, "/api/map", { sample: 1e7 }), 400, "INVALID_ARGUMENT"],
      ["MMR out of range", () => post(ui.port, "/api/search", { text: "password", mmrLambda: 2 }), 400, "INVALID_ARGUMENT"],
      ["unknown field", () => post(ui.port, "/api/list", { limt: 5 }), 400, "INVALID_ARGUMENT"],
      ["not an object", () => post(ui.port, "/api/list", [1]), 400, "INVALID_ARGUMENT"],
      ["unknown mode", () => post(ui.port, "/api/search", { mode: "delete" }), 400, "INVALID_ARGUMENT"],
      ["bad cursor", () => post(ui.port, "/api/list", { cursor: "garbage" }), 400, "INVALID_ARGUMENT"],
      ["non-JSON body", () => http(ui.port, "POST", "/api/list", { body: "{nope" }), 400, "INVALID_JSON"],
      ["not JSON's content type", () => http(ui.port, "POST", "/api/list", { body: "{}", headers: { "content-type": "text/plain" } }), 415, "UNSUPPORTED_MEDIA_TYPE"],
      ["a body too large", () => http(ui.port, "POST", "/api/search", { body: JSON.stringify({ text: "x".repeat(70_000) }) }), 413, "PAYLOAD_TOO_LARGE"],
      ["a text too long", () => post(ui.port, "/api/search", { text: "word ".repeat(1000) }), 400, "INVALID_ARGUMENT"],
      ["unknown route", () => http(ui.port, "GET", "/api/drop"), 404, "NOT_FOUND"],
      ["wrong method", () => http(ui.port, "DELETE", "/api/list"), 405, "METHOD_NOT_ALLOWED"],
      ["GET of a POST route", () => http(ui.port, "GET", "/api/search"), 405, "METHOD_NOT_ALLOWED"],
      ["query on the overview", () => http(ui.port, "GET", "/api/overview?x=1"), 400, "INVALID_ARGUMENT"],
      ["wrong Host (DNS rebinding)", () => http(ui.port, "GET", "/api/overview", { headers: { host: `evil.example:${ui.port}` } }), 403, "FORBIDDEN_HOST"],
      ["Host with another port", () => http(ui.port, "GET", "/", { headers: { host: "127.0.0.1:1" } }), 403, "FORBIDDEN_HOST"],
      ["another site's Origin", () => http(ui.port, "POST", "/api/list", { body: "{}", headers: { origin: "http://evil.example" } }), 403, "FORBIDDEN_ORIGIN"],
      ["a cross-site fetch", () => http(ui.port, "GET", "/api/overview", { headers: { "sec-fetch-site": "cross-site" } }), 403, "FORBIDDEN_ORIGIN"],
      ["an absolute-form target", () => http(ui.port, "GET", "http://evil.example/api/overview"), 400, "BAD_REQUEST"],
    ];
    for (const [name, answer, status, code] of cases) {
      const r = await answer();
      assert.equal(r.status, status, `${name}: ${r.text}`);
      assert.equal(r.json?.error?.code, code, name);
      assert.equal(typeof r.json.error.message, "string", name);
    }
    assert.equal((await http(ui.port, "GET", "/api/overview", { headers: { host: `localhost:${ui.port}` } })).status, 200, "localhost is this server too");
    assert.equal((await http(ui.port, "GET", "/api/overview")).status, 200, "still serving");
  });

  it("nothing the inspector did wrote to the database's files", () => {
    assert.deepEqual(fingerprint(demo.path), before_);
  });

  it("a writer opens the database while the inspector serves (no lock taken), and the inspector goes on", async () => {
    {
      await using writer = await vectlite.open(demo.path);
      assert.equal(writer.readOnly, false);
      await writer.upsert("written-beside", new Float32Array(demo.dimension).fill(0.5), { source: "test" });
    }
    const o = (await http(ui.port, "GET", "/api/overview")).json;
    assert.equal(o.records, demo.main + demo.archive, "the inspector sees what was committed before it opened");
  });

  it("SIGTERM closes the database and ends the command with exit code 0", async () => {
    // Signalled by pid, not child.kill(): Deno's node:child_process reports a child it kill()ed
    // as ended by the signal (code null) even when the child handled it and exited 0.
    process.kill(ui.child.pid!, "SIGTERM");
    assert.equal(await ui.exited, 0, ui.stderr());
    assert.match(ui.stderr(), /vectlite ui: stopped/);
  });
});

describe("vectlite ui: flags and the embedding endpoint", () => {
  it("refuses any host but 127.0.0.1 and localhost, and checks --port", () => {
    const db = join(tempDir(), "none.vdb");
    for (const [args, message] of [
      [["--host", "0.0.0.0"], /listens on 127\.0\.0\.1 only; --host "0\.0\.0\.0" is refused/],
      [["--host", "192.168.1.2"], /is refused/],
      [["--host", "::"], /is refused/],
      [["--port", "-1"], /needs a value|--port must be an integer/],
      [["--port", "65536"], /--port must be an integer from 0 to 65535/],
      [["--port", "http"], /--port must be an integer/],
      [["--embed-url", "not a url"], /--embed-url is not a URL/],
    ] as const) {
      const { cmd, args: full } = runtimeCommand(CLI, "ui", db, ...args);
      const out = spawnSync(cmd, full, { encoding: "utf8" });
      assert.equal(out.status, 2, `${args.join(" ")}: ${out.stderr}`);
      assert.match(out.stderr, message);
    }
    const { cmd, args: full } = runtimeCommand(CLI, "ui", db);
    const missing = spawnSync(cmd, full, { encoding: "utf8" });
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /NOT_FOUND/, "a read-only open never creates the file");
    assert.equal(existsSync(db), false);
  });

  it("with --embed-url a text search is hybrid: BM25 fused with the text's embedding", async () => {
    const demo = await buildDemoDatabase(join(tempDir(), "embed.vdb"), 200, 32);
    let calls = 0;
    const embedder: HttpServer = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        calls++;
        const { input } = JSON.parse(body);
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ data: [{ embedding: wordHashEmbedding(input, 32) }] }));
      });
    });
    await new Promise<void>((resolve) => embedder.listen(0, "127.0.0.1", resolve));
    const embedPort = (embedder.address() as AddressInfo).port;
    const ui = await startUi(demo.path, "--embed-url", `http://127.0.0.1:${embedPort}/embed`);
    try {
      assert.equal((await http(ui.port, "GET", "/api/overview")).json.embed, true);
      const r = (await post(ui.port, "/api/search", { text: "vector search graphs", k: 5 })).json;
      assert.equal(calls, 1);
      assert.equal(r.query.hybrid, true);
      assert.equal(r.query.dense, "embedding of the text");
      // Both sides found records (the toy embedding and the records' vectors need not agree on which).
      assert.ok(r.results.some((x: { explain: { denseScore?: number } }) => x.explain.denseScore !== undefined));
      assert.ok(r.results.some((x: { explain: { sparseScore?: number } }) => x.explain.sparseScore !== undefined));
      const keyword = (await post(ui.port, "/api/search", { text: "vector search graphs", k: 5, hybrid: false })).json;
      assert.equal(keyword.query.hybrid, false);
      assert.equal(calls, 1);
    } finally {
      ui.child.kill("SIGTERM");
      await ui.exited;
      await new Promise((resolve) => embedder.close(resolve));
    }
  });

  it("pca2 finds the directions of most spread, in order", () => {
    // Points spread 10 along (1, 1, 0)/√2 and 1 along z: the first axis must be that diagonal.
    const points: number[][] = [];
    for (let i = -10; i <= 10; i++) for (const z of [-1, 1]) points.push([i + 3, i - 2, z]);
    const { points: projected, explained } = pca2(points, false);
    assert.ok(explained[0] > 0.95, `first axis keeps ${explained[0]}`);
    assert.ok(Math.abs(explained[0] + explained[1] - 1) < 1e-9, "two axes keep everything of a plane");
    const span = (k: 0 | 1) => Math.max(...projected.map((p) => p[k])) - Math.min(...projected.map((p) => p[k]));
    assert.ok(Math.abs(span(0) - 20 * Math.SQRT2) < 1e-6);
    assert.ok(Math.abs(span(1) - 2) < 1e-6);
    assert.deepEqual(pca2([], true), { points: [], explained: [0, 0] });
  });
});
