/**
 * Shared test helpers: temp dirs, seeded random vectors, error assertions, and spawning a
 * child process in the same runtime (Bun, Deno or Node) that runs the suite.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import process from "node:process";
import { join } from "node:path";
import { VectLiteError, type ErrorCode } from "../mod.ts";
import { seededRandom } from "../src/seeded-random.ts";

let root: string | undefined;

/**
 * A fresh temporary directory for one test, inside one directory per test process that is
 * removed when the process exits, so a run of the suite leaves nothing behind in the
 * system's temp directory (child processes a test spawns only write inside it).
 */
export function tempDir(): string {
  if (root === undefined) {
    const dir = mkdtempSync(join(tmpdir(), "vectlite-test-"));
    root = dir;
    const remove = () => rmSync(dir, { recursive: true, force: true });
    // Deno's test runner ends without Node's "exit" event; it does dispatch "unload".
    if ("Deno" in globalThis) globalThis.addEventListener("unload", remove);
    else process.on("exit", remove);
  }
  return mkdtempSync(join(root, "t-"));
}

/** A database path inside a fresh temporary directory. */
export function tempDb(name = "test.vdb"): string {
  return join(tempDir(), name);
}

/** Seeded PRNG (mulberry32): the same seed gives the same data on every runtime. */
export const rng: (seed: number) => () => number = seededRandom;

/** A random vector with components in [-1, 1). */
export function randomVector(dim: number, rand: () => number): Float32Array {
  const v = new Float32Array(dim);
  for (let i = 0; i < dim; i++) v[i] = rand() * 2 - 1;
  return v;
}

/** Asserts that `fn` rejects with a VectLiteError of `code` whose message matches `pattern`. */
export async function rejectsWith(fn: () => Promise<unknown>, code: ErrorCode, pattern?: RegExp): Promise<VectLiteError> {
  try {
    await fn();
  } catch (e) {
    assert.ok(e instanceof VectLiteError, `expected a VectLiteError, got ${e}`);
    assert.equal(e.code, code, `wrong code for: ${e.message}`);
    if (pattern) assert.match(e.message, pattern);
    return e;
  }
  assert.fail(`expected a ${code} rejection, but the call succeeded`);
}

/** The command that runs a TypeScript file in the current runtime. */
export function runtimeCommand(script: string, ...args: string[]): { cmd: string; args: string[] } {
  return runtimeCommandWith({}, script, ...args);
}

/**
 * `runtimeCommand`, with `exposeGc`: the child may call `globalThis.gc()` (Node and Deno take
 * a V8 flag; Bun offers `Bun.gc`, which the child calls instead).
 */
export function runtimeCommandWith(options: { exposeGc?: boolean }, script: string, ...args: string[]): { cmd: string; args: string[] } {
  const g = globalThis as Record<string, unknown>;
  if ("Deno" in g) {
    const deno = g.Deno as { execPath(): string };
    const flags = options.exposeGc ? ["--v8-flags=--expose-gc"] : [];
    return { cmd: deno.execPath(), args: ["run", "-A", ...flags, script, ...args] };
  }
  if ("Bun" in g) return { cmd: process.execPath, args: [script, ...args] };
  // Node runs TypeScript through the tsx loader, resolved here so the child finds it from any cwd.
  const flags = options.exposeGc ? ["--expose-gc"] : [];
  return { cmd: process.execPath, args: [...flags, "--import", import.meta.resolve("tsx"), script, ...args] };
}

/** Path of a program under tests/children (what a test runs in a child process). */
export function childProgram(name: string): string {
  return decodeURIComponent(new URL(`./children/${name}`, import.meta.url).pathname);
}

/** Path of a file under tests/fixtures (committed data). */
export function fixture(name: string): string {
  return decodeURIComponent(new URL(`./fixtures/${name}`, import.meta.url).pathname);
}

/** A deterministic text embedding for tests of the integrations: words hashed into `dim` buckets, normalized (texts sharing words are near). */
export function wordHashEmbedding(text: string, dim: number): number[] {
  const v = new Array<number>(dim).fill(0);
  for (const word of text.toLowerCase().match(/[a-z]+/g) ?? []) {
    let h = 2166136261;
    for (const c of word) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
    v[h % dim] += 1;
  }
  const norm = Math.hypot(...v) || 1;
  return v.map((x) => x / norm);
}
