import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { candidatePaths, locateLibrary } from "../ffi/native.ts";
import { VectLiteError } from "../mod.ts";
import { fixture, runtimeCommand, tempDb } from "./helpers.ts";

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
    const { cmd, args } = runtimeCommand(fixture("open-and-report.ts"), tempDb());
    const env = { ...process.env, VECTLITE_LIB: "/nonexistent/libvectlite.so" };
    const out = spawnSync(cmd, args, { env, encoding: "utf8" });
    const report = JSON.parse(out.stdout.trim().split("\n").pop()!);
    assert.equal(report.ok, false);
    assert.equal(report.code, "IO");
    assert.match(report.message, /\/nonexistent\/libvectlite\.so/);
  });

  it("loads the library named by VECTLITE_LIB when it exists", () => {
    const real = locateLibrary({ env: () => undefined, os: process.platform, exists: (p) => { try { return spawnSync("test", ["-f", p]).status === 0; } catch { return false; } } });
    const { cmd, args } = runtimeCommand(fixture("open-and-report.ts"), tempDb());
    const out = spawnSync(cmd, args, { env: { ...process.env, VECTLITE_LIB: real }, encoding: "utf8" });
    assert.deepEqual(JSON.parse(out.stdout.trim().split("\n").pop()!), { ok: true });
  });
});
