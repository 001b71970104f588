/**
 * A real text corpus built from the documentation installed on this machine, for the keyword
 * benchmark (bench/keyword.ts). Nothing is committed but this code: the corpus is rebuilt at
 * every run, deterministically for a given set of installed files.
 *
 * Rules, in order:
 * - every regular file under `root` (default `/usr/share/doc`), walked in sorted order;
 * - kept: names ending in `.txt`, `.md`, `.rst` or `.gz` (gunzipped), and names starting with
 *   README, TODO, AUTHORS, THANKS or FAQ; skipped: any `copyright` file (the same licence
 *   texts over and over) and any path containing "changelog", "changes" or "news" (lists of
 *   commits and version numbers rather than prose); a file with a NUL byte in its first
 *   8 KiB is binary and skipped;
 * - each file is split into paragraphs at blank lines, whitespace runs become one space;
 * - a paragraph is kept when it has at least 80 characters, at least 10 words of two or more
 *   letters, and letters make at least 60% of its characters (this drops tables, code and
 *   ASCII art); it is cut at 2,000 characters (UTF-16 units);
 * - exact duplicates are dropped (the first one is kept).
 *
 * Only `node:` modules, so it runs unchanged under Bun and Deno.
 *
 * @module
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";

/** The documents and where they came from. */
export interface Corpus {
  /** Paragraphs, in file order then position in the file. */
  readonly docs: string[];
  /** Files read (after the name rules). */
  readonly files: number;
  /** Total UTF-8 size of `docs`. */
  readonly bytes: number;
  /** The directory walked. */
  readonly root: string;
}

const MIN_CHARS = 80;
const MIN_WORDS = 10;
const MIN_LETTER_SHARE = 0.6;
const MAX_CHARS = 2_000;

function walk(dir: string, out: string[]): void {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return; // unreadable directory
  }
  for (const name of names) {
    const path = join(dir, name);
    let st;
    try {
      st = statSync(path);
    } catch {
      continue; // dangling link
    }
    if (st.isDirectory()) walk(path, out);
    else if (st.isFile()) out.push(path);
  }
}

function wanted(path: string): boolean {
  const base = path.slice(path.lastIndexOf("/") + 1);
  if (base.includes("copyright") || /changelog|changes|news/i.test(path)) return false;
  return /\.(txt|md|rst|gz)$/.test(base) || /^(README|TODO|AUTHORS|THANKS|FAQ)/.test(base);
}

/** Builds the corpus from the files under `root` (see the module comment for the rules). */
export function buildCorpus(root = "/usr/share/doc"): Corpus {
  const paths: string[] = [];
  walk(root, paths);
  const seen = new Set<string>();
  const docs: string[] = [];
  const encoder = new TextEncoder();
  let files = 0;
  let bytes = 0;
  for (const path of paths) {
    if (!wanted(path)) continue;
    let buf: Uint8Array;
    try {
      buf = readFileSync(path);
      if (path.endsWith(".gz")) buf = gunzipSync(buf);
    } catch {
      continue; // unreadable or not really gzip
    }
    if (buf.subarray(0, 8192).includes(0)) continue;
    files++;
    const text = new TextDecoder().decode(buf);
    for (const para of text.split(/\n[ \t]*\n/)) {
      const p = para.replace(/\s+/g, " ").trim();
      if (p.length < MIN_CHARS) continue;
      if ((p.match(/\p{L}{2,}/gu)?.length ?? 0) < MIN_WORDS) continue;
      if ((p.match(/\p{L}/gu)?.length ?? 0) < MIN_LETTER_SHARE * p.length) continue;
      const doc = p.slice(0, MAX_CHARS);
      if (seen.has(doc)) continue;
      seen.add(doc);
      docs.push(doc);
      bytes += encoder.encode(doc).length;
    }
  }
  return { docs, files, bytes, root };
}
