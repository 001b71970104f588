/**
 * Helpers shared by the benchmarks: seeded data identical to the Rust baseline's, temp
 * directories, the runtime's name, percentiles, file sizes. Only `node:` modules, so every
 * script runs unchanged under Bun and Deno.
 *
 * @module
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";

/**
 * `count` vectors of `dim` values from xorshift32 seeded with `seed`, each the top 24 bits
 * of the state mapped exactly onto [-1, 1): bit for bit what lib-rs/examples/scan_baseline.rs
 * generates, so results can be compared id for id.
 */
export function randomVectors(count: number, dim: number, seed: number): Float32Array {
  const out = new Float32Array(count * dim);
  let s = (seed >>> 0) || 0x9e3779b9;
  for (let i = 0; i < out.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = (s >>> 8) / 8_388_608 - 1;
  }
  return out;
}

/** Row `i` of a row-major matrix, as a view (no copy). */
export function row(data: Float32Array, dim: number, i: number): Float32Array {
  return data.subarray(i * dim, (i + 1) * dim);
}

/** A fresh temp directory; remove it with `removeDir`. */
export function tempDir(prefix = "vectlite-bench-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Removes a directory tree, ignoring a missing one. */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Size in bytes of a file, 0 when it does not exist. */
export function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** "bun 1.4.5" or "deno 2.9.6". */
export function runtimeName(): string {
  const g = globalThis as { Bun?: { version: string }; Deno?: { version: { deno: string } } };
  if (g.Bun) return `bun ${g.Bun.version}`;
  if (g.Deno) return `deno ${g.Deno.version.deno}`;
  if (typeof process !== "undefined" && process.versions?.node) return `node ${process.versions.node}`;
  return "unknown";
}

/**
 * "2 x AMD EPYC, load 0.52 0.31 0.20": the machine and how busy it was, printed at the start
 * of every script because the machine is shared.
 */
export function machine(): string {
  const c = cpus();
  return `${c.length} x ${c[0]?.model ?? "unknown CPU"}, load ${loadavg().map((x) => x.toFixed(2)).join(" ")}`;
}

/** The p-th percentile (0..100) of ascending `sorted`, nearest rank. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** The median of an unsorted list. */
export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** A number with `digits` significant figures, for tables. */
export function fmt(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return String(x);
  if (Math.abs(x) >= 10 ** digits) return Math.round(x).toLocaleString("en-US");
  return Number(x.toPrecision(digits)).toString();
}

/** Bytes as MB (10^6) with one decimal. */
export function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** The directory that holds deno.json and lib-rs/ (this file's parent's parent). */
export const repoRoot: string = decodeURIComponent(new URL("..", import.meta.url).pathname);

/**
 * A timer ticking every `intervalMs` that keeps the longest gap between two ticks: how long
 * the event loop was held (plus the timer's own lateness, which the machine's idle floor shows).
 */
export class GapMeter {
  #last = performance.now();
  #longest = 0;
  #ticks = 0;
  readonly #timer: ReturnType<typeof setInterval>;

  constructor(intervalMs: number) {
    this.#timer = setInterval(() => {
      const now = performance.now();
      this.#longest = Math.max(this.#longest, now - this.#last);
      this.#last = now;
      this.#ticks++;
    }, intervalMs);
  }

  /** Starts over: gaps count from now. */
  reset(): void {
    this.#last = performance.now();
    this.#longest = 0;
    this.#ticks = 0;
  }

  /** The longest gap so far, in ms. */
  get longestMs(): number {
    return this.#longest;
  }

  /** Ticks so far. */
  get ticks(): number {
    return this.#ticks;
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
