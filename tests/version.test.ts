import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as vectlite from "../mod.ts";
import { call, native } from "../ffi/native.ts";

/** A file of the repository, as text. */
function read(path: string): string {
  return readFileSync(decodeURIComponent(new URL(`../${path}`, import.meta.url).pathname), "utf8");
}

/** The `version` of Cargo.toml's [package] table. */
function cargoVersion(toml: string): string | undefined {
  const table = toml.split(/^\[/m).find((t) => t.startsWith("package]"));
  return table?.match(/^version\s*=\s*"([^"]+)"/m)?.[1];
}

describe("version", () => {
  it("src/version.ts holds a semver version", () => {
    assert.match(vectlite.version, /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/);
  });

  it("package.json, deno.json and lib-rs/Cargo.toml carry the same version as src/version.ts", () => {
    assert.equal(JSON.parse(read("package.json")).version, vectlite.version, "package.json");
    assert.equal(JSON.parse(read("deno.json")).version, vectlite.version, "deno.json");
    assert.equal(cargoVersion(read("lib-rs/Cargo.toml")), vectlite.version, "lib-rs/Cargo.toml [package] version");
  });

  it("the lock files record the same version (lib-rs/Cargo.lock, package-lock.json)", () => {
    const cargoLock = read("lib-rs/Cargo.lock").match(/^\[\[package\]\]\nname = "vectlite"\nversion = "([^"]+)"/m);
    assert.equal(cargoLock?.[1], vectlite.version, "lib-rs/Cargo.lock: the vectlite package");
    const npmLock = JSON.parse(read("package-lock.json"));
    assert.equal(npmLock.version, vectlite.version, "package-lock.json version");
    assert.equal(npmLock.packages[""].version, vectlite.version, 'package-lock.json packages[""].version');
  });

  it("the loaded native library reports the same version (vl_version)", async () => {
    const { bytes } = call(await native(), "vl_version");
    assert.ok(bytes, "vl_version returned no bytes");
    assert.equal(new TextDecoder().decode(bytes), vectlite.version);
  });
});
