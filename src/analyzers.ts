/**
 * Analyzers: how text becomes the terms of a sparse vector. The pipeline runs in the
 * native library (lib-rs/src/text), so the terms of indexed text and of a query are made
 * by the same code whichever runtime calls.
 *
 * ```ts
 * import { analyzers, sparseTerms } from "./mod.ts";
 * sparseTerms("How to authenticate users with SSO"); // { authent: 1, user: 1, sso: 1 }
 * const analyzer = new analyzers.Analyzer().lowercase().stopwords("en").stemmer("english").ngrams(2, 3);
 * analyzer.sparseTerms("Running shoes");
 * ```
 *
 * The tokenizer splits text into runs of letters and digits of any script ("café",
 * "Москва", "東京" stay whole; punctuation and spaces separate; an apostrophe between
 * letters and a `.` or `,` between digits join). Steps then run in the order chained.
 * `sparseTerms` returns term frequencies (`{ term: count }`); BM25 weighting happens in
 * the index.
 *
 * @module
 */
import { call, loadNativeSync } from "../ffi/native.ts";
import { utf8 } from "./codec.ts";
import { VectLiteError } from "./errors.ts";
import type { SparseVector } from "./types.ts";

/** One step of an analyzer, as it is serialised. */
export type AnalyzerStep =
  | { readonly type: "lowercase" }
  | { readonly type: "stopwords"; readonly words: "en" | readonly string[] }
  | { readonly type: "stemmer"; readonly language: "english" }
  | { readonly type: "ngrams"; readonly min: number; readonly max: number };

/** The serialised form of an analyzer: what `Analyzer.toJSON()` returns and `Analyzer.fromJSON` reads. */
export interface AnalyzerConfig {
  /** The format version, 1. */
  readonly version: 1;
  /** The steps after the tokenizer, in order. */
  readonly steps: readonly AnalyzerStep[];
}

/** The shortest n-gram an `ngrams` step may make (lib-rs/src/text/analyzer.rs; a Rust test checks both agree). */
const NGRAM_MIN = 1;
/** The longest n-gram an `ngrams` step may make. */
export const NGRAM_MAX = 16;

const FORMAT_VERSION = 1;
const NO_BYTES = new Uint8Array(0);

function invalid(message: string): never {
  throw new VectLiteError("INVALID_ARGUMENT", message);
}

function describe(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return typeof v === "object" ? "an object" : `a ${typeof v}`;
}

function checkText(text: unknown): string {
  if (typeof text !== "string") invalid(`sparseTerms: text must be a string, found ${describe(text)}`);
  return text;
}

/** Reused for the text of each call: UTF-8 takes at most 3 bytes per UTF-16 unit. */
let scratch = new Uint8Array(4096);
/** Reused for each call's result, grown when a result does not fit. */
let termsOut = new Uint8Array(16384);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Runs the native pipeline; `config` is the analyzer's JSON (empty: the default analyzer).
 * The JSON result is written into a buffer of ours (no native buffer to copy and free for
 * each document of a corpus); a result too large for it says its size, and is asked again.
 */
function termsOf(config: Uint8Array, text: string): SparseVector {
  const lib = loadNativeSync();
  if (text.length * 3 > scratch.length) scratch = new Uint8Array(Math.max(text.length * 3, 2 * scratch.length));
  const { written } = encoder.encodeInto(text, scratch);
  let size = Number(call(lib, "vl_sparse_terms_into", config, config.length, scratch, written, termsOut, termsOut.length).scalar);
  if (size > termsOut.length) {
    termsOut = new Uint8Array(Math.max(size, 2 * termsOut.length));
    size = Number(call(lib, "vl_sparse_terms_into", config, config.length, scratch, written, termsOut, termsOut.length).scalar);
  }
  return JSON.parse(decoder.decode(termsOut.subarray(0, size))) as SparseVector;
}

/**
 * A configurable text pipeline: the tokenizer, then the steps added by the chainable
 * methods, run in the order they were chained. An Analyzer is immutable: each method
 * returns a new one, so a shared base can be extended safely.
 *
 * ```ts
 * const a = new Analyzer().lowercase().stopwords("en").stemmer("english");
 * a.sparseTerms("The cats are running"); // { cat: 1, run: 1 }
 * const saved = JSON.stringify(a);       // remember it...
 * Analyzer.fromJSON(saved);             // ...and rebuild the same analyzer
 * ```
 */
export class Analyzer {
  #steps: readonly AnalyzerStep[] = [];
  #encoded: Uint8Array | undefined;

  /** An analyzer with no steps yet: the tokenizer alone (case and every word kept). */
  constructor() {}

  /**
   * The default analyzer, the one `sparseTerms(text)` uses: lowercase, English stop words,
   * Snowball English stemmer.
   */
  static english(): Analyzer {
    return new Analyzer().lowercase().stopwords("en").stemmer("english");
  }

  /**
   * Rebuilds an analyzer from `toJSON()`'s output, as an object or as JSON text. A bad
   * configuration throws `INVALID_ARGUMENT` naming the step and field.
   */
  static fromJSON(config: AnalyzerConfig | string): Analyzer {
    let value: unknown = config;
    if (typeof config === "string") {
      try {
        value = JSON.parse(config);
      } catch (e) {
        invalid(`analyzer: not valid JSON (${(e as Error).message})`);
      }
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      invalid(`analyzer must be an object, found ${describe(value)}`);
    }
    const obj = value as Record<string, unknown>;
    for (const key of Object.keys(obj)) {
      if (key !== "version" && key !== "steps") invalid(`analyzer: unknown field ${JSON.stringify(key)}`);
    }
    if (obj.version !== undefined && obj.version !== FORMAT_VERSION) {
      invalid(`analyzer: version must be ${FORMAT_VERSION}, found ${describe(obj.version)}`);
    }
    const steps = obj.steps ?? [];
    if (!Array.isArray(steps)) invalid(`analyzer: steps must be an array, found ${describe(steps)}`);
    let analyzer = new Analyzer();
    steps.forEach((step: unknown, i: number) => {
      analyzer = analyzer.#withStep(step, `analyzer step ${i}`);
    });
    return analyzer;
  }

  /** Adds Unicode lower-casing ("ÉCOLE" becomes "école"). */
  lowercase(): Analyzer {
    return this.#with({ type: "lowercase" });
  }

  /**
   * Adds a stop word step: drops the tokens in `list`, `"en"` for the built-in Snowball
   * English list (lower case, so chain it after `lowercase()`), or your own words, compared
   * with the tokens exactly as they are at this step.
   */
  stopwords(list: "en" | readonly string[]): Analyzer {
    if (list === "en") return this.#with({ type: "stopwords", words: "en" });
    if (!Array.isArray(list)) invalid(`stopwords: list must be "en" or an array of strings, found ${describe(list)}`);
    list.forEach((w: unknown, i: number) => {
      if (typeof w !== "string") invalid(`stopwords: list[${i}] must be a string, found ${describe(w)}`);
    });
    return this.#with({ type: "stopwords", words: Object.freeze([...list]) });
  }

  /** Adds a stemmer: `"english"` is the Snowball English (Porter2) stemmer. */
  stemmer(name: "english"): Analyzer {
    if (name !== "english") invalid(`stemmer: the supported stemmer is "english", found ${describe(name)}`);
    return this.#with({ type: "stemmer", language: "english" });
  }

  /**
   * Replaces each token by its character n-grams of `min` to `max` characters (integers,
   * `1 <= min <= max <= 16`; `max` defaults to `min`). A token shorter than `min` is kept whole.
   */
  ngrams(min: number, max: number = min): Analyzer {
    for (const [name, v] of [["min", min], ["max", max]] as const) {
      if (typeof v !== "number" || !Number.isInteger(v) || v < NGRAM_MIN || v > NGRAM_MAX) {
        invalid(`ngrams: ${name} must be an integer from ${NGRAM_MIN} to ${NGRAM_MAX}, found ${describe(v)}`);
      }
    }
    if (min > max) invalid(`ngrams: min (${min}) is greater than max (${max})`);
    return this.#with({ type: "ngrams", min, max });
  }

  /** The serialised configuration (also what `JSON.stringify(analyzer)` writes). */
  toJSON(): AnalyzerConfig {
    return {
      version: FORMAT_VERSION,
      steps: this.#steps.map((
        s,
      ) => (s.type === "stopwords" && s.words !== "en" ? { ...s, words: [...s.words] } : { ...s })),
    };
  }

  /**
   * The term frequencies of `text` under this analyzer: `{ term: count }`. Synchronous:
   * loads the native library on first use.
   */
  sparseTerms(text: string): SparseVector {
    checkText(text);
    this.#encoded ??= utf8(JSON.stringify(this.toJSON()));
    return termsOf(this.#encoded, text);
  }

  #with(step: AnalyzerStep): Analyzer {
    const next = new Analyzer();
    next.#steps = Object.freeze([...this.#steps, Object.freeze(step)]);
    return next;
  }

  /** Adds a step read from JSON, checked as the chainable methods check their arguments. */
  #withStep(step: unknown, where: string): Analyzer {
    if (typeof step !== "object" || step === null || Array.isArray(step)) {
      invalid(`${where} must be an object, found ${describe(step)}`);
    }
    const s = step as Record<string, unknown>;
    const allowed: Record<string, string[]> = {
      lowercase: ["type"],
      stopwords: ["type", "words"],
      stemmer: ["type", "language"],
      ngrams: ["type", "min", "max"],
    };
    const fields = typeof s.type === "string" && Object.hasOwn(allowed, s.type) ? allowed[s.type] : undefined;
    if (!fields) {
      invalid(
        `${where}: unknown step type ${describe(s.type)}; expected "lowercase", "stopwords", "stemmer" or "ngrams"`,
      );
    }
    for (const key of Object.keys(s)) {
      if (!fields.includes(key)) invalid(`${where} (${s.type}): unknown field ${JSON.stringify(key)}`);
    }
    try {
      switch (s.type) {
        case "lowercase":
          return this.lowercase();
        case "stopwords":
          return this.stopwords(s.words as "en" | string[]);
        case "stemmer":
          return this.stemmer(s.language as "english");
        default:
          if (s.max === undefined) invalid(`ngrams: max must be an integer from 1 to ${NGRAM_MAX}, found nothing`);
          return this.ngrams(s.min as number, s.max as number);
      }
    } catch (e) {
      if (e instanceof VectLiteError) invalid(`${where}: ${e.message}`);
      throw e;
    }
  }
}

/**
 * The term frequencies of `text` under the default analyzer (tokenize, lowercase, English
 * stop words, Snowball English stemmer): `{ term: count }`, ready to pass as a record's or
 * a query's `sparse`. Synchronous: loads the native library on first use.
 *
 * ```ts
 * sparseTerms("Cats chase cats"); // { cat: 2, chase: 1 }
 * ```
 */
export function sparseTerms(text: string): SparseVector {
  return termsOf(NO_BYTES, checkText(text));
}
