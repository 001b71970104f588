/**
 * Where the CLI writes: stdout, stderr, or a file, with backpressure, the same way on Bun
 * and Deno; and the progress line of long commands.
 *
 * @module
 */
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import process from "node:process";
import type { Writable } from "node:stream";

/** A text sink that waits when the stream's buffer is full. */
export class TextOut {
  readonly #stream: Writable;
  readonly #owned: boolean;

  private constructor(stream: Writable, owned: boolean) {
    this.#stream = stream;
    this.#owned = owned;
  }

  /** Standard output. */
  static stdout(): TextOut {
    return new TextOut(process.stdout, false);
  }

  /** A file, created or truncated; fails (IO-style, with the path) when it cannot be opened. */
  static async file(path: string): Promise<TextOut> {
    const stream = createWriteStream(path);
    await Promise.race([once(stream, "open"), once(stream, "error").then(([e]) => Promise.reject(e))]);
    return new TextOut(stream, true);
  }

  /** Writes `text`, resolving once the stream can take more. */
  async write(text: string): Promise<void> {
    try {
      if (!this.#stream.write(text)) await once(this.#stream, "drain");
    } catch (e) {
      // Only standard output's reader going away ends the command quietly; a file's error is real.
      if (!this.#owned && isClosedPipe(e)) process.exit(0);
      throw e;
    }
  }

  /** Flushes and closes a file (standard output stays open). */
  async close(): Promise<void> {
    if (!this.#owned) return;
    await new Promise<void>((resolve, reject) => {
      this.#stream.once("error", reject);
      this.#stream.end(() => resolve());
    });
  }
}

/**
 * Whether `e` says the reader of standard output went away (`vectlite info db | head -1`):
 * the reader has what it wanted, so the CLI stops quietly with exit code 0.
 */
export function isClosedPipe(e: unknown): boolean {
  return (e as { code?: unknown })?.code === "EPIPE";
}

// Bun throws a closed pipe from the write; Node and Deno report it as an "error" event later.
process.stdout.on("error", (e: unknown) => {
  if (isClosedPipe(e)) process.exit(0);
  throw e;
});

/** Prints a line on stdout. */
export function println(text = ""): void {
  try {
    process.stdout.write(`${text}\n`);
  } catch (e) {
    if (isClosedPipe(e)) process.exit(0);
    throw e;
  }
}

/** Prints a line on stderr. */
export function eprintln(text: string): void {
  process.stderr.write(`${text}\n`);
}

/**
 * A progress line on stderr: rewritten in place on a terminal, one line per update
 * otherwise (so logs and pipes keep every step).
 */
export class Progress {
  readonly #tty = Boolean(process.stderr.isTTY);
  #shown = false;

  update(text: string): void {
    if (this.#tty) process.stderr.write(`\r\x1b[K${text}`);
    else process.stderr.write(`${text}\n`);
    this.#shown = true;
  }

  /** Ends the line on a terminal. */
  done(): void {
    if (this.#tty && this.#shown) process.stderr.write("\n");
    this.#shown = false;
  }
}

/** A long call's progress for people: "index: 4,096 of 10,000 vectors (41%)", "write: 8.0 MiB". */
export function phaseLine(progress: { phase: string; done: number; total?: number }): string {
  const { phase, done, total } = progress;
  const amount = (n: number) => (phase === "index" ? plural(n, "vector") : bytes(n));
  const of = total === undefined ? amount(done) : `${phase === "index" ? count(done) : bytes(done)} of ${amount(total)}`;
  const percent = total ? ` (${Math.floor((100 * done) / total)}%)` : "";
  const name = phase === "index" ? "building the index" : phase === "verify" ? "verifying checksums" : "writing the file";
  return `${name}: ${of}${percent}`;
}

/** 1234567 -> "1,234,567". */
export function count(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/** "1 record", "2,000 records". */
export function plural(n: number, noun: string): string {
  return `${count(n)} ${noun}${n === 1 ? "" : "s"}`;
}

/** A byte size for people: "812 B", "12.3 KiB", "4.0 MiB". */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024, i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}
