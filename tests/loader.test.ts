import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { candidatePaths, locateLibrary, PREBUILT_TRIPLES, targetTriple } from "../ffi/native.ts";
import { nodeRuntimeEnv } from "../ffi/node-env.ts";
import { VectLiteError } from "../mod.ts";
import { childProgram, runtimeCommand, tempDb, tempDir } from "./helpers.ts";

const ROOT = decodeURIComponent(new URL("../", import.meta.url).pathname);

/** The running platform, as the backends describe it to the loader. */
function realEnv(env: (n: string) => string | undefined = () => undefined) {
  return nodeRuntimeEnv(env);
}
const readText = realEnv().readText;

describe("native library loader", () => {
  it("tries VECTLITE_LIB first, then the release and debug builds, named for the platform", () => {
    const linux = candidatePaths({ env: () => "/opt/lib/libvectlite.so", os: "linux", exists: () => false });
    assert.equal(linux[0], "/opt/lib/libvectlite.so");
    assert.match(linux[1], /lib-rs\/target\/release\/libvectlite\.so$/);
    assert.match(linux[2], /lib-rs\/target\/debug\/libvectlite\.so$/);
    assert.match(candidatePaths({ env: () => undefined, os: "darwin", exists: () => false })[0], /libvectlite\.dylib$/);
    assert.match(candidatePaths({ env: () => undefined, os: "windows", exists: () => false })[0], /vectlite\.dll$/);
  });

  it("fails with IO listing every path tried when no library exists", () => {
    try {
      locateLibrary({ env: () => undefined, os: "linux", exists: () => false });
      assert.fail("expected an error");
    } catch (e) {
      assert.ok(e instanceof VectLiteError);
      assert.equal(e.code, "IO");
      assert.match(e.message, /target\/release\/libvectlite\.so/);
      assert.match(e.message, /target\/debug\/libvectlite\.so/);
      assert.match(e.message, /linux/);
    }
  });

  it("refuses a VECTLITE_LIB that does not exist, in a real process", () => {
    const { cmd, args } = runtimeCommand(childProgram("open-and-report.ts"), tempDb());
    const env = { ...process.env, VECTLITE_LIB: "/nonexistent/libvectlite.so" };
    const out = spawnSync(cmd, args, { env, encoding: "utf8" });
    const report = JSON.parse(out.stdout.trim().split("\n").pop()!);
    assert.equal(report.ok, false);
    assert.equal(report.code, "IO");
    assert.match(report.message, /\/nonexistent\/libvectlite\.so/);
  });

  it("loads the library named by VECTLITE_LIB when it exists", () => {
    const real = locateLibrary({ env: () => undefined, os: process.platform, exists: (p) => { try { return spawnSync("test", ["-f", p]).status === 0; } catch { return false; } } });
    const { cmd, args } = runtimeCommand(childProgram("open-and-report.ts"), tempDb());
    const out = spawnSync(cmd, args, { env: { ...process.env, VECTLITE_LIB: real }, encoding: "utf8" });
    assert.deepEqual(JSON.parse(out.stdout.trim().split("\n").pop()!), { ok: true });
  });

  it("tries the prebuilt library in native/<triple>/ and the platform package after VECTLITE_LIB and before the cargo build", () => {
    const paths = candidatePaths({ env: () => "/opt/libvectlite.so", os: "linux", arch: "x64", exists: () => false });
    assert.equal(paths.length, 5);
    assert.equal(paths[0], "/opt/libvectlite.so");
    assert.match(paths[1], /\/native\/x86_64-unknown-linux-gnu\/libvectlite\.so$/);
    // Beside this package: node_modules/vectlite/../@vectlite/<triple>/.
    assert.equal(paths[2], join(ROOT, "..", "@vectlite/x86_64-unknown-linux-gnu/libvectlite.so"));
    assert.match(paths[3], /lib-rs\/target\/release\/libvectlite\.so$/);
    assert.match(paths[4], /lib-rs\/target\/debug\/libvectlite\.so$/);
    assert.equal(paths[1], join(ROOT, "native/x86_64-unknown-linux-gnu/libvectlite.so"), "native/ sits next to the package root");
    const mac = candidatePaths({ env: () => undefined, os: "darwin", arch: "aarch64", exists: () => false });
    assert.match(mac[0], /\/native\/aarch64-apple-darwin\/libvectlite\.dylib$/);
    const win = candidatePaths({ env: () => undefined, os: "win32", arch: "x64", exists: () => false });
    assert.match(win[0], /\/native\/x86_64-pc-windows-gnu\/vectlite\.dll$/);
  });

  it("derives the target triple from os and arch in both runtimes' spellings, detecting musl by its loader", () => {
    const triple = (os: string, arch: string, musl = false) =>
      targetTriple({ env: () => undefined, os, arch, exists: (p) => musl && p === `/lib/ld-musl-${arch === "arm64" || arch === "aarch64" ? "aarch64" : "x86_64"}.so.1` });
    assert.equal(triple("linux", "x64"), "x86_64-unknown-linux-gnu");
    assert.equal(triple("linux", "x86_64"), "x86_64-unknown-linux-gnu");
    assert.equal(triple("linux", "arm64"), "aarch64-unknown-linux-gnu");
    assert.equal(triple("linux", "aarch64"), "aarch64-unknown-linux-gnu");
    assert.equal(triple("linux", "x64", true), "x86_64-unknown-linux-musl");
    assert.equal(triple("linux", "aarch64", true), "aarch64-unknown-linux-musl");
    // With /proc, the process's own mappings decide: a glibc process on a machine that also
    // has musl's loader installed is gnu, a process that mapped musl's loader is musl.
    const withMaps = (maps: string) =>
      targetTriple({ env: () => undefined, os: "linux", arch: "x64", exists: () => true, readText: () => maps });
    assert.equal(withMaps("7f0 r-xp 00000000 08:01 12 /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2\n"), "x86_64-unknown-linux-gnu");
    assert.equal(withMaps("7f0 r-xp 00000000 08:01 12 /lib/ld-musl-x86_64.so.1\n"), "x86_64-unknown-linux-musl");
    assert.equal(triple("win32", "x64"), "x86_64-pc-windows-gnu");
    assert.equal(triple("windows", "x86_64"), "x86_64-pc-windows-gnu");
    assert.equal(triple("darwin", "x64"), "x86_64-apple-darwin");
    assert.equal(triple("darwin", "arm64"), "aarch64-apple-darwin");
    // Platforms without a prebuilt library: only VECTLITE_LIB and the cargo build are tried.
    assert.equal(triple("windows", "aarch64"), undefined);
    assert.equal(triple("linux", "riscv64"), undefined);
    assert.equal(triple("freebsd", "x64"), undefined);
    assert.equal(triple("linux", ""), undefined);
    const seen = new Set<string>();
    for (const os of ["linux", "darwin", "win32"]) {
      for (const arch of ["x64", "arm64"]) for (const musl of [false, true]) seen.add(triple(os, arch, musl) ?? "");
    }
    seen.delete("");
    assert.deepEqual([...seen].sort(), [...PREBUILT_TRIPLES].sort(), "every shipped triple is reachable");
    const riscv = candidatePaths({ env: () => undefined, os: "linux", arch: "riscv64", exists: () => false });
    assert.equal(riscv.length, 2);
    assert.match(riscv[0], /target\/release/);
  });

  it("names the platform, the triple and every path tried when nothing is found", () => {
    try {
      locateLibrary({ env: () => undefined, os: "linux", arch: "arm64", exists: () => false });
      assert.fail("expected an error");
    } catch (e) {
      assert.ok(e instanceof VectLiteError);
      assert.equal(e.code, "IO");
      assert.match(e.message, /linux\/arm64/);
      assert.match(e.message, /aarch64-unknown-linux-gnu/);
      assert.match(e.message, /native\/aarch64-unknown-linux-gnu\/libvectlite\.so/);
      assert.match(e.message, /target\/release\/libvectlite\.so/);
      assert.match(e.message, /target\/debug\/libvectlite\.so/);
    }
    try {
      locateLibrary({ env: () => "/missing.so", os: "linux", arch: "x64", exists: () => false });
      assert.fail("expected an error");
    } catch (e) {
      assert.ok(e instanceof VectLiteError);
      assert.match(e.message, /\/missing\.so.*linux\/x64 \(x86_64-unknown-linux-gnu\)/);
    }
  });

  it("prefers native/<triple>/ over the cargo build when both exist, and the cargo build otherwise", () => {
    const triple = targetTriple(realEnv())!;
    const prebuilt = join(ROOT, `native/${triple}/libvectlite.so`);
    const release = join(ROOT, "lib-rs/target/release/libvectlite.so");
    const both = new Set([prebuilt, release]);
    const rt = { env: () => undefined, os: "linux", arch: process.arch, exists: (p: string) => both.has(p), readText };
    assert.equal(locateLibrary(rt), prebuilt);
    both.delete(prebuilt);
    assert.equal(locateLibrary(rt), release);
  });

  it("scripts/package-native.sh copies the build to native/<the triple the loader derives>/", () => {
    const dest = tempDir();
    const out = spawnSync("bash", [join(ROOT, "scripts/package-native.sh")], {
      env: { ...process.env, VECTLITE_NATIVE_DIR: dest },
      encoding: "utf8",
    });
    assert.equal(out.status, 0, out.stderr);
    const copied = out.stdout.trim();
    const file = candidatePaths(realEnv())[0].split("/").pop()!;
    assert.equal(copied, join(dest, targetTriple(realEnv())!, file));
    assert.ok(existsSync(copied));
    const bad = spawnSync("bash", [join(ROOT, "scripts/package-native.sh"), "sparc-sun-solaris"], { encoding: "utf8" });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /sparc-sun-solaris is not a target/);
  });

  it("loads the prebuilt library from native/<triple>/ of an installed package, in a real process", () => {
    // A copy of the package without lib-rs/: the only library it can find is its native/ one.
    const pkg = tempDir();
    for (const part of ["mod.ts", "src", "ffi"]) cpSync(join(ROOT, part), join(pkg, part), { recursive: true });
    // As installed: an ES module package whose dependencies (koffi, for Node) resolve.
    writeFileSync(join(pkg, "package.json"), JSON.stringify({ type: "module" }));
    symlinkSync(join(ROOT, "node_modules"), join(pkg, "node_modules"));
    const triple = targetTriple(realEnv())!;
    const real = locateLibrary(realEnv());
    const file = real.split("/").pop()!;
    const script = join(pkg, "probe.ts");
    writeFileSync(
      script,
      `import * as vectlite from "./mod.ts";\n` +
        `const db = await vectlite.open(${JSON.stringify(join(pkg, "p.vdb"))}, { dimension: 2 });\n` +
        `await db.close();\nconsole.log("opened");\n`,
    );
    const env = { ...process.env };
    delete env.VECTLITE_LIB;
    const { cmd, args } = runtimeCommand(script);
    const missing = spawnSync(cmd, args, { env, encoding: "utf8" });
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, new RegExp(`native/${triple}/${file.replace(".", "\\.")}`));
    mkdirSync(join(pkg, "native", triple), { recursive: true });
    copyFileSync(real, join(pkg, "native", triple, file));
    const found = spawnSync(cmd, args, { env, encoding: "utf8" });
    assert.equal(found.status, 0, found.stderr);
    assert.equal(found.stdout.trim(), "opened");
  });
});
