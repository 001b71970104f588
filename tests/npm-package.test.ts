/**
 * The npm package as a user gets it: `npm pack` (which builds dist/ through `prepack`),
 * installed from the tarball into a fresh project, then `import { open } from "vectlite"`
 * run by Node (dist/ JavaScript, koffi installed as the package's dependency) and by Bun
 * (its `bun` export condition), and type-checked by tsc against dist/*.d.ts.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { locateLibrary } from "../ffi/native.ts";
import { nodeRuntimeEnv } from "../ffi/node-env.ts";
import { tempDir } from "./helpers.ts";

const ROOT = decodeURIComponent(new URL("../", import.meta.url).pathname);
const g = globalThis as Record<string, unknown>;
const NODE = !("Bun" in g) && !("Deno" in g) ? process.execPath : "node";
const BUN = "Bun" in g ? process.execPath : join(ROOT, "node_modules/.bin/bun");
const DENO = "Deno" in g ? process.execPath : join(ROOT, "node_modules/.bin/deno");

/** The ten-line user script: open, two upserts, a search, close. */
const SCRIPT = `import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { open, version } from "vectlite";
const db = await open(join(mkdtempSync(join(tmpdir(), "vl-pkg-")), "demo.vdb"), { dimension: 3 });
await db.upsert("a", [1, 0, 0], { tag: "x" });
await db.upsert("b", [0, 1, 0], { tag: "y" });
const hits = await db.search([0.9, 0.1, 0], { k: 1 });
await db.close();
console.log(JSON.stringify({ version, top: hits[0].id, tag: hits[0].metadata.tag }));
`;

/** Typed use of the package; the expect-error line fails the check if the types were `any`. */
const TYPED = `import { open, type SearchResult } from "vectlite";
import { libraryPath, useLibrary } from "vectlite/compiled";
const chosen: string | undefined = libraryPath();
if (chosen === undefined) useLibrary("/nowhere/libvectlite.so");
const db = await open("never-opened.vdb", { dimension: 3 });
const hits: SearchResult[] = await db.search([1, 0, 0], { k: 1 });
// @ts-expect-error: k is a number
await db.search([1, 0, 0], { k: "one" });
export const count: number = hits.length;
`;

function run(cmd: string, args: string[], cwd: string, env: Record<string, string | undefined> = process.env) {
  const out = spawnSync(cmd, args, { cwd, env, encoding: "utf8", timeout: 180_000, maxBuffer: 64 << 20 });
  assert.equal(out.status, 0, `${cmd} ${args.join(" ")} failed (${out.error ?? out.status}):\n${out.stdout}\n${out.stderr}`);
  return out.stdout;
}

let installed: string | undefined;

/** Packs the package and installs the tarball into a fresh project (once per run). */
function project(): string {
  if (installed) return installed;
  const dir = tempDir();
  const tarball = run("npm", ["pack", "--silent", "--pack-destination", dir], ROOT).trim().split("\n").pop()!;
  const proj = join(dir, "consumer");
  run("mkdir", ["-p", proj], dir);
  writeFileSync(join(proj, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", join(dir, tarball)], proj);
  writeFileSync(join(proj, "demo.mjs"), SCRIPT);
  installed = proj;
  return proj;
}

/**
 * The library this checkout built, found as the loader finds it (its musl check included: a
 * glibc machine with musl-tools and a native/x86_64-unknown-linux-musl build must not get
 * that one), since the tarball carries no lib-rs/target.
 */
function libEnv(): Record<string, string | undefined> {
  const lib = locateLibrary(nodeRuntimeEnv(() => undefined));
  return { ...process.env, VECTLITE_LIB: lib };
}

const EXPECTED = { version: JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version, top: "a", tag: "x" };

describe("npm package", () => {
  it("packs dist/ JavaScript and declarations, and koffi as a dependency", () => {
    const proj = project();
    const pkg = join(proj, "node_modules/vectlite");
    for (const f of ["dist/mod.js", "dist/mod.d.ts", "dist/ffi/node.js", "dist/ffi/bun.js", "dist/ffi/deno.js", "mod.ts"]) {
      assert.ok(existsSync(join(pkg, f)), `${f} is in the package`);
    }
    assert.ok(existsSync(join(proj, "node_modules/koffi/package.json")), "koffi installed with it");
    assert.ok(!existsSync(join(pkg, "lib-rs")), "no Rust sources or build output in the package");
  });

  it("runs a user script importing \"vectlite\" under Node 20+ (dist/ through koffi)", () => {
    const out = run(NODE, ["demo.mjs"], project(), libEnv());
    assert.deepEqual(JSON.parse(out.trim()), EXPECTED);
  });

  it("imports vectlite/langchain under Node and Bun when @langchain/core is installed beside it", () => {
    const proj = project();
    // The consumer's own @langchain/core: this checkout's copy, linked (npm cannot fetch here).
    mkdirSync(join(proj, "node_modules/@langchain"), { recursive: true });
    if (!existsSync(join(proj, "node_modules/@langchain/core"))) symlinkSync(join(ROOT, "node_modules/@langchain/core"), join(proj, "node_modules/@langchain/core"));
    writeFileSync(
      join(proj, "langchain.mjs"),
      `import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VectLiteVectorStore } from "vectlite/langchain";
const embed = (t) => [t.length % 7, t.includes("cat") ? 1 : 0, 1];
const embeddings = { embedDocuments: async (ts) => ts.map(embed), embedQuery: async (t) => embed(t) };
const store = await VectLiteVectorStore.fromTexts(["a cat", "a dog"], [{ n: 1 }, { n: 2 }], embeddings, { path: join(mkdtempSync(join(tmpdir(), "vl-lc-")), "lc.vdb") });
const [doc] = await store.similaritySearch("cat", 1);
await store.close();
console.log(JSON.stringify({ text: doc.pageContent, n: doc.metadata.n }));
`,
    );
    for (const runtime of [NODE, BUN]) {
      assert.deepEqual(JSON.parse(run(runtime, ["langchain.mjs"], proj, libEnv()).trim()), { text: "a cat", n: 1 }, runtime);
    }
  });

  it("imports vectlite/llamaindex under Node and Bun when @llamaindex/core is installed beside it", () => {
    const proj = project();
    mkdirSync(join(proj, "node_modules/@llamaindex"), { recursive: true });
    if (!existsSync(join(proj, "node_modules/@llamaindex/core"))) symlinkSync(join(ROOT, "node_modules/@llamaindex/core"), join(proj, "node_modules/@llamaindex/core"));
    writeFileSync(
      join(proj, "llamaindex.mjs"),
      `import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { open } from "vectlite";
import { VectLiteLlamaStore } from "vectlite/llamaindex";
import { TextNode } from "@llamaindex/core/schema";
const db = await open(join(mkdtempSync(join(tmpdir(), "vl-li-")), "li.vdb"), { dimension: 2 });
const store = new VectLiteLlamaStore({ db, embedModel: { getTextEmbedding: async () => [1, 0] } });
await store.add([new TextNode({ id_: "a", text: "alpha", embedding: [1, 0] }), new TextNode({ id_: "b", text: "beta", embedding: [0, 1] })]);
const result = await store.query({ queryEmbedding: [0.9, 0.1], similarityTopK: 1, mode: "default" });
await db.close();
console.log(JSON.stringify({ id: result.ids[0], text: result.nodes[0].text }));
`,
    );
    for (const runtime of [NODE, BUN]) {
      assert.deepEqual(JSON.parse(run(runtime, ["llamaindex.mjs"], proj, libEnv()).trim()), { id: "a", text: "alpha" }, runtime);
    }
  });

  it("every integration entry from the installed package: Node and Bun by name, Deno through npm: specifiers", () => {
    const proj = project();
    // The consumer's own copies of the optional peers: this checkout's, linked (npm cannot fetch here).
    for (const peer of ["@langchain/core", "@llamaindex/core", "apache-arrow", "hyparquet", "hyparquet-writer"]) {
      const at = join(proj, "node_modules", peer);
      mkdirSync(join(at, ".."), { recursive: true });
      if (!existsSync(at)) symlinkSync(join(ROOT, "node_modules", peer), at);
    }
    const body = (spec: (entry: string) => string) =>
      `import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { open, upsertTexts } from "${spec("vectlite")}";
import { VectLiteVectorStore } from "${spec("vectlite/langchain")}";
import { VectLiteLlamaStore } from "${spec("vectlite/llamaindex")}";
import { exportToPostgres, filterToSql, sqlScriptClient } from "${spec("vectlite/pgvector")}";
import { exportParquet, importParquet } from "${spec("vectlite/columnar")}";
const dir = mkdtempSync(join(tmpdir(), "vl-all-"));
const db = await open(join(dir, "a.vdb"), { dimension: 3 });
await upsertTexts(db, [{ id: "a", text: "a cat" }, { id: "b", text: "a dog" }], async (ts) => ({ embeddings: ts.map((t) => [t.length, t.includes("cat") ? 1 : 0, 1]) }));
let sql = "";
await exportToPostgres(db, sqlScriptClient(async (t) => { sql += t; }));
await exportParquet(db, join(dir, "a.parquet"));
await importParquet(join(dir, "a.parquet"), join(dir, "b.vdb"));
const copy = await open(join(dir, "b.vdb"), { readOnly: true });
const result = {
  langchain: typeof VectLiteVectorStore, llamaindex: typeof VectLiteLlamaStore,
  sql: sql.includes("CREATE TABLE"), where: filterToSql({ a: 1 }).sql.includes("vectlite_path"),
  parquet: await copy.count(),
};
await copy.close();
await db.close();
console.log(JSON.stringify(result));
`;
    writeFileSync(join(proj, "all.mjs"), body((e) => e));
    writeFileSync(join(proj, "all-deno.mjs"), body((e) => `npm:${e}`));
    const expected = { langchain: "function", llamaindex: "function", sql: true, where: true, parquet: 2 };
    for (const runtime of [NODE, BUN]) assert.deepEqual(JSON.parse(run(runtime, ["all.mjs"], proj, libEnv()).trim()), expected, runtime);
    const deno = run(DENO, ["run", "-A", "--node-modules-dir=manual", "all-deno.mjs"], proj, libEnv());
    assert.deepEqual(JSON.parse(deno.trim()), expected, "deno");
  });

  it("imports vectlite/compiled under Node (dist/compiled.js)", () => {
    writeFileSync(join(project(), "compiled.mjs"), `import { libraryPath, useLibrary } from "vectlite/compiled";\nconsole.log(typeof useLibrary, libraryPath() ?? "none");\n`);
    assert.equal(run(NODE, ["compiled.mjs"], project()).trim(), "function none");
  });

  it("runs the same script under Bun (the bun export condition, bun:ffi)", () => {
    const out = run(BUN, ["demo.mjs"], project(), libEnv());
    assert.deepEqual(JSON.parse(out.trim()), EXPECTED);
  });

  it("type-checks a TypeScript user of the package against dist/*.d.ts", () => {
    const proj = project();
    writeFileSync(join(proj, "typed.ts"), TYPED);
    writeFileSync(
      join(proj, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          lib: ["ESNext"],
          strict: true,
          noEmit: true,
          types: [],
        },
        files: ["typed.ts"],
      }),
    );
    run(join(ROOT, "node_modules/.bin/tsc"), ["-p", "tsconfig.json"], proj);
  });
});
