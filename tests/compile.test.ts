import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { libraryPath, useLibrary } from "../compiled.ts";
import { locateLibrary, native } from "../ffi/native.ts";
import { nodeRuntimeEnv } from "../ffi/node-env.ts";
import { extractLibrary, type ExtractIO } from "../ffi/extract.ts";
import { VectLiteError } from "../mod.ts";
import { childProgram, runtimeCommand, tempDb, tempDir } from "./helpers.ts";

const ROOT = decodeURIComponent(new URL("../", import.meta.url).pathname);
const isBun = "Bun" in globalThis;
const isDeno = "Deno" in globalThis;
/** Bun builds the executable, also when the suite runs on Deno. */
const BUN = isBun ? process.execPath : join(ROOT, "node_modules/.bin/bun");
/** The extraction fixture is a Deno program, also when the suite runs on Bun. */
const DENO = isDeno ? (globalThis as unknown as { Deno: { execPath(): string } }).Deno.execPath() : join(ROOT, "node_modules/.bin/deno");

/** The library this process loads, found the usual way. */
function realLibrary(): string {
  return locateLibrary(nodeRuntimeEnv(() => undefined));
}

/** The last stdout line of a child as JSON, failing with its stderr when there is none. */
function lastJson(out: { stdout: string; stderr: string; status: number | null }): Record<string, unknown> {
  const line = out.stdout.trim().split("\n").pop();
  assert.ok(line, `no output (exit ${out.status}): ${out.stderr}`);
  return JSON.parse(line);
}

/** Asserts that `fn` throws a VectLiteError of `code` whose message matches `pattern`. */
function throwsWith(fn: () => unknown, code: string, pattern: RegExp): void {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof VectLiteError, `expected a VectLiteError, got ${e}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, pattern);
    return true;
  });
}

describe("single-file executables", () => {
  it("bun build --compile embeds the library: the executable, moved away from the repository, opens and searches", () => {
    const buildDir = tempDir();
    const runDir = tempDir();
    try {
      const built = join(buildDir, "vectlite-search");
      const build = spawnSync(BUN, ["build", "--compile", join(ROOT, "examples/compiled-search.ts"), "--outfile", built], {
        encoding: "utf8",
      });
      assert.equal(build.status, 0, `bun build --compile failed: ${build.stderr}`);
      const exe = join(runDir, "vectlite-search");
      renameSync(built, exe);
      assert.deepEqual(readdirSync(buildDir), [], "the build directory keeps nothing the executable could use");

      // No VECTLITE_LIB, no Bun on PATH, the working directory outside the repository.
      const env: Record<string, string> = { PATH: "/usr/bin:/bin", HOME: runDir };
      const first = spawnSync(exe, [], { cwd: runDir, env, encoding: "utf8" });
      assert.equal(first.status, 0, first.stderr);
      const a = lastJson(first);
      assert.match(String(a.library), /^\/\$bunfs\/.*libvectlite[^/]*\.so$/, "the embedded library was the one loaded");
      assert.equal(a.records, 4);
      assert.deepEqual((a.results as { id: string }[]).map((r) => r.id), ["reset-password", "invoices"]);
      assert.ok(existsSync(join(runDir, "compiled-search.vdb")), "the database was created in the working directory");

      // Reopened: the records persisted (not inserted again), and another query ranks differently.
      const second = spawnSync(exe, ["compiled-search.vdb", "download my invoices"], { cwd: runDir, env, encoding: "utf8" });
      assert.equal(second.status, 0, second.stderr);
      const b = lastJson(second);
      assert.equal(b.records, 4);
      assert.equal((b.results as { id: string }[])[0].id, "invoices");
    } finally {
      rmSync(buildDir, { recursive: true, force: true });
      rmSync(runDir, { recursive: true, force: true }); // the executable is ~110 MB
    }
  });

  it("an executable compiled without useLibrary says to embed the library and call it", () => {
    const dir = tempDir();
    try {
      writeFileSync(join(dir, "main.ts"), `import * as vectlite from "${join(ROOT, "mod.ts")}";\nawait vectlite.open("x.vdb", { dimension: 2 });\n`);
      const build = spawnSync(BUN, ["build", "--compile", join(dir, "main.ts"), "--outfile", join(dir, "main-bin")], { encoding: "utf8" });
      assert.equal(build.status, 0, build.stderr);
      const out = spawnSync(join(dir, "main-bin"), [], { cwd: dir, env: { PATH: "/usr/bin:/bin", HOME: dir }, encoding: "utf8" });
      assert.notEqual(out.status, 0);
      assert.match(out.stderr, /native library not found/);
      assert.match(out.stderr, /single-file executable.*useLibrary\(lib\).*vectlite\/compiled/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("useLibrary makes the loader use exactly that file; a missing one is IO naming it", () => {
    const real = realLibrary();
    const { cmd, args } = runtimeCommand(childProgram("use-library.ts"), real, tempDb());
    // VECTLITE_LIB pointing nowhere is not consulted once a library was chosen in code.
    const env = { ...process.env, VECTLITE_LIB: "/nonexistent/other.so" };
    assert.deepEqual(lastJson(spawnSync(cmd, args, { env, encoding: "utf8" })), { ok: true, library: real });

    const missing = runtimeCommand(childProgram("use-library.ts"), "/nonexistent/embedded/libvectlite.so", tempDb());
    const report = lastJson(spawnSync(missing.cmd, missing.args, { encoding: "utf8" }));
    assert.equal(report.ok, false);
    assert.equal(report.code, "IO");
    assert.match(String(report.message), /useLibrary\(\/nonexistent\/embedded\/libvectlite\.so\): no such file/);
  });

  it("useLibrary after the library loaded: the same path is a no-op, another one or a non-string INVALID_ARGUMENT", async () => {
    await native();
    const loaded = libraryPath();
    assert.equal(loaded, realLibrary());
    useLibrary(loaded!);
    throwsWith(() => useLibrary("/elsewhere/libvectlite.so"), "INVALID_ARGUMENT", /already loaded from .*libvectlite/);
    throwsWith(() => useLibrary(""), "INVALID_ARGUMENT", /non-empty string/);
    throwsWith(() => useLibrary(42 as unknown as string), "INVALID_ARGUMENT", /non-empty string, got 42/);
    assert.equal(libraryPath(), loaded);
  });

  it("extractLibrary copies a library that exists only in a (simulated) virtual file system to a loadable private file", () => {
    const real = realLibrary();
    const bytes = readFileSync(real);
    // The executable's virtual file system: this path exists nowhere on disk.
    const virtualPath = "/tmp/deno-compile-app/native/x86_64-unknown-linux-gnu/libvectlite.so";
    assert.equal(existsSync(virtualPath), false);
    const tmp = tempDir();
    const io: ExtractIO = {
      readFile: (p) => {
        if (p !== virtualPath) throw new Error(`ENOENT: ${p}`);
        return new Uint8Array(bytes);
      },
      makeTempDir: () => mkdtempSync(join(tmp, "vectlite-lib-")),
      writeFile: (p, b) => writeFileSync(p, b, { mode: 0o700 }),
      removeDir: (p) => rmSync(p, { recursive: true }),
    };
    const copy = extractLibrary(virtualPath, io);
    assert.ok(copy.path.startsWith(join(tmp, "vectlite-lib-")), copy.path);
    assert.ok(copy.path.endsWith("/libvectlite.so"), "the file name (and extension) is kept");
    assert.deepEqual(new Uint8Array(readFileSync(copy.path)), new Uint8Array(bytes));
    assert.equal(statSync(join(copy.path, "..")).mode & 0o077, 0, "the directory is private to this user");

    // The copy is a working library: a real process opens a database with it.
    const { cmd, args } = runtimeCommand(childProgram("use-library.ts"), copy.path, tempDb());
    assert.deepEqual(lastJson(spawnSync(cmd, args, { encoding: "utf8" })), { ok: true, library: copy.path });

    copy.remove();
    assert.deepEqual(readdirSync(tmp), [], "remove() deletes the copy and its directory");
  });

  it("extractLibrary failures are IO errors naming the library and leave no directory behind", () => {
    const tmp = tempDir();
    const io: ExtractIO = {
      readFile: () => new Uint8Array([1, 2, 3]),
      makeTempDir: () => mkdtempSync(join(tmp, "vectlite-lib-")),
      writeFile: () => {
        throw new Error("ENOSPC: no space left on device");
      },
      removeDir: (p) => rmSync(p, { recursive: true }),
    };
    throwsWith(() => extractLibrary("/vfs/libvectlite.so", io), "IO", /\/vfs\/libvectlite\.so to a temporary file in .*vectlite-lib-.*ENOSPC/);
    assert.deepEqual(readdirSync(tmp), []);
    const unreadable = { ...io, readFile: () => { throw new Error("not in the bundle"); } };
    throwsWith(() => extractLibrary("/vfs/missing.so", unreadable), "IO", /cannot read the embedded native library \/vfs\/missing\.so: not in the bundle/);
  });

  it("the Deno backend in a compiled executable dlopens a deleted private copy, not the embedded path", () => {
    assert.equal(process.platform, "linux", "this check reads /proc/self/maps");
    const real = realLibrary();
    const tmp = tempDir();
    const run = (mode: string) => {
      const out = spawnSync(DENO, ["run", "-A", childProgram("deno-standalone-load.ts"), real, mode], {
        env: { ...process.env, TMPDIR: tmp },
        encoding: "utf8",
      });
      assert.equal(out.status, 0, out.stderr);
      return lastJson(out) as { abi: number; mapped: string[] };
    };
    const standalone = run("standalone");
    assert.ok(standalone.abi > 0);
    assert.equal(standalone.mapped.length, 1, JSON.stringify(standalone.mapped));
    assert.match(standalone.mapped[0], new RegExp(`^${tmp}/vectlite-lib-[^/]+/libvectlite\\.so \\(deleted\\)$`));
    assert.deepEqual(readdirSync(tmp), [], "the copy is gone from the temporary directory once loaded");
    // Outside a compiled executable the library is opened where it is.
    assert.deepEqual(run("plain").mapped, [real]);
  });
});
