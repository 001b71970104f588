import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type SpawnSyncOptions } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { locateLibrary, PREBUILT_TRIPLES, targetTriple } from "../ffi/native.ts";
import { nodeRuntimeEnv } from "../ffi/node-env.ts";
import { runtimeCommand, tempDir } from "./helpers.ts";

const ROOT = decodeURIComponent(new URL("../", import.meta.url).pathname);
const isBun = "Bun" in globalThis;
const isDeno = "Deno" in globalThis;
const BUN = isBun ? process.execPath : join(ROOT, "node_modules/.bin/bun");
const DENO = isDeno ? (globalThis as unknown as { Deno: { execPath(): string } }).Deno.execPath() : join(ROOT, "node_modules/.bin/deno");
/** The Node.js executable (the installed bin's shebang names `node`). */
const NODE_BIN = !isBun && !isDeno ? process.execPath : spawnSync("sh", ["-c", "command -v node"], { encoding: "utf8" }).stdout.trim();

const HOST = nodeRuntimeEnv(() => undefined);
const TRIPLE = targetTriple(HOST)!;
const LIB = `native/${TRIPLE}/libvectlite.so`;

/** The repository's own files of a folder, relative to the root (sub-folders included). */
function filesUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name).slice(ROOT.length));
}

/** Runs a command, failing the test with its output when it exits non-zero. */
function run(cmd: string, args: string[], options: SpawnSyncOptions = {}): string {
  const out = spawnSync(cmd, args, { encoding: "utf8", ...options });
  assert.equal(out.status, 0, `${cmd} ${args.join(" ")} failed (${out.status}):\n${out.stdout}\n${out.stderr}`);
  return String(out.stdout);
}

/**
 * A copy of the package as it stands before publishing: the sources, the manifests, the
 * .gitignore that ignores native/ and dist/, tsconfig.build.json (prepack builds dist/), tests/ (which must stay out), and the host's library
 * placed in native/<triple>/ as `scripts/package-native.sh` would.
 */
function stagePackage(): string {
  const dir = tempDir();
  for (const part of [...ENTRIES, "src", "ffi", "cli", "tests", "README.md", "docs", "LICENSE", "package.json", "deno.json", ".gitignore", "tsconfig.build.json"]) {
    cpSync(join(ROOT, part), join(dir, part), { recursive: true });
  }
  // npm pack runs `prepack` (tsc builds dist/ for Node): the checkout's tools, linked in.
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  mkdirSync(dirname(join(dir, LIB)), { recursive: true });
  copyFileSync(locateLibrary(HOST), join(dir, LIB));
  return dir;
}

/** The package's entry points: the API, single-file executables, the integrations. */
const ENTRIES = ["mod.ts", "compiled.ts", "langchain.ts", "llamaindex.ts", "pgvector.ts", "columnar.ts"];

/** What every package must ship: the API, the loader, the CLI, the library, the docs. */
const SHIPPED = [...ENTRIES, "README.md", "LICENSE", LIB, "cli/vectlite.ts", ...filesUnder("src"), ...filesUnder("ffi"), ...filesUnder("docs")];

describe("packages", () => {
  it("npm pack ships the sources, the CLI and the git-ignored native/ library, and no tests", () => {
    const stage = stagePackage();
    try {
      const [pack] = JSON.parse(run("npm", ["pack", "--dry-run", "--json"], { cwd: stage }));
      const files = (pack.files as { path: string }[]).map((f) => f.path);
      for (const f of SHIPPED) assert.ok(files.includes(f), `${f} is missing from the npm package`);
      assert.ok(files.includes("package.json"));
      const stray = files.filter((f) => /^(tests|lib-rs|bench|examples|scripts)\//.test(f) || f === "deno.json");
      assert.deepEqual(stray, [], "development files stay out of the npm package");
    } finally {
      rmSync(stage, { recursive: true, force: true });
    }
  });

  it("deno publish --dry-run passes and lists the JSR files, without native/ (a remote import downloads the library) or tests", () => {
    const stage = stagePackage();
    try {
      const out = spawnSync(DENO, ["publish", "--dry-run", "--allow-dirty"], { cwd: stage, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
      const text = `${out.stdout}${out.stderr}`;
      assert.equal(out.status, 0, text);
      assert.match(text, /Simulating publish of @vectlite\/vectlite@\d+\.\d+\.\d+/);
      const prefix = `file://${stage}/`;
      const files = [...text.matchAll(/^\s+(file:\/\/\S+)/gm)].map((m) => decodeURIComponent(m[1]).slice(prefix.length));
      for (const f of SHIPPED.filter((f) => f !== LIB)) assert.ok(files.includes(f), `${f} is missing from the JSR package`);
      assert.deepEqual(files.filter((f) => f.startsWith("native/")), [], "no library in the JSR package: a remote import cannot open it");
      assert.deepEqual(files.filter((f) => f.startsWith("tests/")), [], "tests stay out of the JSR package");
    } finally {
      rmSync(stage, { recursive: true, force: true });
    }
  });

  it("split for publishing: a small main package and one per platform, installed offline, load the platform's library on Node, Bun and Deno", () => {
    const stage = stagePackage();
    const work = tempDir();
    try {
      const platforms = join(work, "platforms");
      const { cmd, args } = runtimeCommand(join(ROOT, "scripts/platform-packages.ts"), "--native", join(stage, "native"), "--out", platforms, "--main", stage);
      run(cmd, args);
      rmSync(join(stage, "native"), { recursive: true }); // published packages carry it, the main one does not
      const [main] = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", work], { cwd: stage }));
      const [platform] = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", work], { cwd: join(platforms, TRIPLE) }));
      const mainFiles = (main.files as { path: string }[]).map((f) => f.path);
      assert.deepEqual(mainFiles.filter((f) => f.startsWith("native/")), [], "the main package carries no library");
      assert.ok(main.size < 1 << 20, `the main package is small (${main.size} bytes packed)`);
      assert.deepEqual((platform.files as { path: string }[]).map((f) => f.path).sort(), ["libvectlite.so", "package.json"]);
      const manifest = JSON.parse(readFileSync(join(platforms, TRIPLE, "package.json"), "utf8"));
      assert.equal(manifest.name, `@vectlite/${TRIPLE}`);
      assert.deepEqual([manifest.os, manifest.cpu], [["linux"], [process.arch]]);
      assert.equal(manifest.libc[0], TRIPLE.endsWith("musl") ? "musl" : "glibc");
      const mainManifest = JSON.parse(readFileSync(join(stage, "package.json"), "utf8"));
      assert.deepEqual(Object.keys(mainManifest.optionalDependencies).sort(), PREBUILT_TRIPLES.map((t) => `@vectlite/${t}`).sort());
      // What the release workflow runs, as a dry run.
      for (const [dir, name] of [[join(platforms, TRIPLE), `@vectlite/${TRIPLE}`], [stage, "vectlite"]]) {
        const published = run("npm", ["publish", "--dry-run", "--access", "public"], { cwd: dir, env: { ...process.env, NO_COLOR: "1" } });
        assert.ok(published.includes(`+ ${name}@${manifest.version}`), `npm publish --dry-run of ${name}: ${published}`);
      }

      const app = join(work, "app");
      mkdirSync(app);
      writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
      // Offline: the other platforms' packages cannot be fetched, and are optional.
      run("npm", ["install", "--offline", "--no-audit", "--no-fund", join(work, main.filename), join(work, platform.filename)], { cwd: app });
      writeFileSync(
        join(app, "app.mjs"),
        `import { open } from "vectlite";\nimport { libraryPath } from "vectlite/compiled";\n` +
          `const db = await open("app.vdb", { dimension: 2 });\nawait db.upsert("a", [1, 0]);\n` +
          `const [hit] = await db.search([1, 0], { k: 1 });\nawait db.close();\n` +
          `console.log(JSON.stringify({ hit: hit.id, library: libraryPath() }));\n`,
      );
      const expected = { hit: "a", library: join(app, "node_modules", "@vectlite", TRIPLE, "libvectlite.so") };
      const env = { PATH: process.env.PATH ?? "", HOME: app };
      for (const [runtime, argv] of [[NODE_BIN, ["app.mjs"]], [BUN, ["app.mjs"]], [DENO, ["run", "-A", "app.mjs"]]] as const) {
        rmSync(join(app, "app.vdb"), { force: true });
        assert.deepEqual(JSON.parse(run(runtime, [...argv], { cwd: app, env }).trim().split("\n").at(-1)!), expected, runtime);
      }
    } finally {
      for (const d of [stage, work]) rmSync(d, { recursive: true, force: true });
    }
  });

  it("installed from the npm tarball: the bin finds native/<triple>/ and serves the inspector, and a compiled app embeds vectlite/native/...", async () => {
    const stage = stagePackage();
    const app = tempDir();
    const runDir = tempDir();
    try {
      const [pack] = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", app], { cwd: stage }));
      writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
      run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", join(app, pack.filename)], { cwd: app });
      rmSync(stage, { recursive: true, force: true }); // from here on only the installed copy exists

      // The CLI through node_modules/.bin with Node alone on PATH (no Bun, no Deno), no VECTLITE_LIB.
      const env = { PATH: `${dirname(NODE_BIN)}:/usr/bin:/bin`, HOME: app };
      assert.ok(!existsSync(join(dirname(NODE_BIN), "bun")), "Bun is not beside Node on that PATH");
      writeFileSync(join(app, "docs.jsonl"), '{"id": "a", "vector": [1, 0]}\n{"id": "b", "vector": [0, 1]}\n');
      run(join(app, "node_modules/.bin/vectlite"), ["import", "app.vdb", "docs.jsonl"], { cwd: app, env });
      const hit = JSON.parse(run(join(app, "node_modules/.bin/vectlite"), ["search", "app.vdb", "--vector", "[0.1, 0.9]", "--k", "1"], { cwd: app, env }));
      assert.equal(hit.id, "b");
      assert.match(run(join(app, "node_modules/.bin/vectlite"), ["info", "app.vdb"], { cwd: app, env }), /records\s+2 in 1 namespace/);
      // The inspector: its page, script and API are modules compiled into dist/, no asset files.
      const ui = spawn(join(app, "node_modules/.bin/vectlite"), ["ui", "app.vdb", "--port", "0"], { cwd: app, env, stdio: ["ignore", "pipe", "pipe"] });
      const closed = new Promise((resolve) => ui.once("close", resolve));
      try {
        const url = await new Promise<string>((resolve, reject) => {
          let out = "", err = "";
          ui.stderr!.on("data", (c) => (err += c));
          ui.stdout!.on("data", (c) => {
            out += c;
            const m = /http:\/\/127\.0\.0\.1:\d+\//.exec(out);
            if (m) resolve(m[0]);
          });
          ui.on("exit", (code) => reject(new Error(`vectlite ui exited (${code}): ${out}${err}`)));
        });
        assert.match(await (await fetch(url)).text(), /<title>vectlite inspector<\/title>/);
        assert.match(await (await fetch(`${url}app.js`)).text(), /UI\.start/);
        assert.equal((await (await fetch(`${url}api/overview`)).json()).records, 2);
      } finally {
        ui.kill("SIGTERM");
        await closed;
      }

      // The README's single-file recipe against the installed package's exports.
      writeFileSync(
        join(app, "main.ts"),
        `import lib from "vectlite/${LIB}" with { type: "file" };\n` +
          `import { libraryPath, useLibrary } from "vectlite/compiled";\n` +
          `import * as vectlite from "vectlite";\n` +
          `useLibrary(lib);\n` +
          `await using db = await vectlite.open(process.argv[2], { readOnly: true });\n` +
          `const [best] = await db.search([0.9, 0.1], { k: 1 });\n` +
          `console.log(JSON.stringify({ library: libraryPath(), best: best.id }));\n`,
      );
      run(BUN, ["build", "--compile", "main.ts", "--outfile", "main-bin"], { cwd: app });
      renameSync(join(app, "main-bin"), join(runDir, "main-bin"));
      for (const f of readdirSync(app).filter((f) => f.startsWith("app.vdb"))) renameSync(join(app, f), join(runDir, f)); // with its WAL
      rmSync(app, { recursive: true, force: true }); // the installed package is gone too
      const report = JSON.parse(run(join(runDir, "main-bin"), ["app.vdb"], { cwd: runDir, env: { PATH: "/usr/bin:/bin" } }));
      assert.match(report.library, /^\/\$bunfs\/.*libvectlite[^/]*\.so$/);
      assert.equal(report.best, "a");
    } finally {
      for (const d of [stage, app, runDir]) rmSync(d, { recursive: true, force: true });
    }
  });
});
