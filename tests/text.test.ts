/**
 * The text pipeline: tokenizer, analyzer steps, serialisation, bad input, and the
 * Snowball English stemmer checked against a reference implementation (the npm package
 * `snowball-stemmers`) over a whole English word list.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { analyzers, sparseTerms, VectLiteError } from "../mod.ts";
import { call, loadNativeSync } from "../ffi/native.ts";

const { Analyzer } = analyzers;

/** The distinct terms of `text` under `analyzer`, sorted. */
function terms(analyzer: analyzers.Analyzer, text: string): string[] {
  return Object.keys(analyzer.sparseTerms(text)).sort();
}

const tokens = (text: string) => terms(new Analyzer(), text);

function throwsInvalid(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof VectLiteError, `expected a VectLiteError, got ${e}`);
    assert.equal(e.code, "INVALID_ARGUMENT", e.message);
    assert.match(e.message, pattern);
    return true;
  });
}

describe("tokenizer", () => {
  it("splits on spaces and punctuation", () => {
    assert.deepEqual(
      tokens('Hello, world! How-to: a_b (x/y) "quoted"'),
      [
        "How",
        "Hello",
        "a",
        "b",
        "quoted",
        "to",
        "world",
        "x",
        "y",
      ].sort(),
    );
    assert.deepEqual(tokens(" \t\n,.;!?…—🙂 "), []);
    assert.deepEqual(tokens(""), []);
  });

  it("keeps letters and digits of any script", () => {
    assert.deepEqual(tokens("Москва город"), ["Москва", "город"].sort());
    assert.deepEqual(tokens("東京タワー、日本"), ["日本", "東京タワー"].sort());
    assert.deepEqual(tokens("مرحبا بالعالم"), ["بالعالم", "مرحبا"].sort());
    assert.deepEqual(tokens("नमस्ते दुनिया"), ["दुनिया", "नमस्ते"].sort());
    assert.deepEqual(tokens("Ελληνικά ٣٤ ४२"), ["Ελληνικά", "٣٤", "४२"].sort());
  });

  it("keeps accented words whole, precomposed or decomposed", () => {
    assert.deepEqual(tokens("café naïve Straße façade"), ["Straße", "café", "façade", "naïve"].sort());
    assert.deepEqual(tokens("cafe\u0301 ok"), ["cafe\u0301", "ok"].sort());
  });

  it("keeps numbers whole, decimals and thousands included", () => {
    assert.deepEqual(
      tokens("pi is 3.14, v2.0.1 has 1,000 users; 42nd x86_64."),
      [
        "1,000",
        "3.14",
        "42nd",
        "64",
        "has",
        "is",
        "pi",
        "users",
        "v2.0.1",
        "x86",
      ].sort(),
    );
  });

  it("joins an apostrophe between letters, either spelling", () => {
    assert.deepEqual(tokens("don't O\u2019Neill 'quoted' dogs'"), ["O'Neill", "don't", "dogs", "quoted"].sort());
  });

  it("counts repeats", () => {
    assert.deepEqual(new Analyzer().sparseTerms("a b a A a"), { A: 1, a: 3, b: 1 });
  });
});

describe("analyzer steps", () => {
  it("lowercase is Unicode-aware", () => {
    assert.deepEqual(new Analyzer().lowercase().sparseTerms("ÉCOLE École Straße ΣΟΦΟΣ"), {
      "école": 2,
      "straße": 1,
      "σοφος": 1,
    });
  });

  it("English stop words", () => {
    const a = new Analyzer().lowercase().stopwords("en");
    assert.deepEqual(terms(a, "The cat and THE hat, don't you think? It\u2019s ours"), ["cat", "hat", "think"]);
  });

  it("custom stop words, compared as the tokens are at that step", () => {
    const a = new Analyzer().stopwords(["foo", "Bar", "o\u2019clock"]);
    assert.deepEqual(terms(a, "foo Foo bar Bar baz o'clock"), ["Foo", "bar", "baz"]);
    assert.deepEqual(terms(new Analyzer().stopwords([]), "a b"), ["a", "b"]);
  });

  it("English stemmer", () => {
    const a = new Analyzer().stemmer("english");
    assert.deepEqual(a.sparseTerms("running runs runner generously skies dog's"), {
      dog: 1,
      generous: 1,
      run: 2,
      runner: 1,
      sky: 1,
    });
  });

  it("n-grams, with tokens shorter than min kept whole", () => {
    assert.deepEqual(terms(new Analyzer().ngrams(2, 3), "abcd a"), ["a", "ab", "abc", "bc", "bcd", "cd"]);
    assert.deepEqual(new Analyzer().ngrams(1).sparseTerms("aba"), { a: 2, b: 1 });
    assert.deepEqual(terms(new Analyzer().ngrams(2, 2), "日本語"), ["日本", "本語"]);
    assert.deepEqual(terms(new Analyzer().ngrams(1, 16), "ab"), ["a", "ab", "b"]);
  });

  it("steps run in the order chained", () => {
    assert.deepEqual(terms(new Analyzer().stopwords("en").lowercase(), "The cat"), ["cat", "the"]);
    assert.deepEqual(terms(new Analyzer().lowercase().stopwords("en"), "The cat"), ["cat"]);
    assert.deepEqual(terms(new Analyzer().stemmer("english").lowercase(), "RUNNING"), ["running"]);
    assert.deepEqual(terms(new Analyzer().lowercase().stemmer("english"), "RUNNING"), ["run"]);
    assert.deepEqual(terms(new Analyzer().stemmer("english").ngrams(3), "cats"), ["cat"]);
    assert.deepEqual(terms(new Analyzer().ngrams(3).stemmer("english"), "cats"), ["at", "cat"]);
  });

  it("sparseTerms is the default analyzer: lowercase, English stop words, English stemmer", () => {
    const text = "How to authenticate users with SSO: the Users' guide to authentication";
    assert.deepEqual(sparseTerms(text), { authent: 2, guid: 1, sso: 1, user: 2 });
    assert.deepEqual(Analyzer.english().sparseTerms(text), sparseTerms(text));
    assert.deepEqual(sparseTerms(""), {});
    assert.deepEqual(sparseTerms("the and of"), {});
  });

  it("a result larger than the reused output buffer comes back whole, and the next small one too", () => {
    // 5,000 distinct words, each twice: about 60 KB of JSON, more than the 16 KiB buffer.
    const words = Array.from({ length: 5000 }, (_, i) => `w${i.toString(36)}x`);
    const text = [...words, ...words].join(" ");
    const got = new Analyzer().sparseTerms(text);
    assert.equal(Object.keys(got).length, 5000);
    assert.ok(words.every((w) => got[w] === 2));
    assert.deepEqual(sparseTerms("Cats and dogs, cats!"), { cat: 2, dog: 1 });
    // Alternating analyzers: the native side's cached analyzer follows each call.
    const keepCase = new Analyzer();
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(keepCase.sparseTerms("A a"), { A: 1, a: 1 });
      assert.deepEqual(keepCase.lowercase().sparseTerms("A a"), { a: 2 });
    }
  });

  it("chaining returns a new analyzer and leaves the original unchanged", () => {
    const base = new Analyzer().lowercase();
    const stemmed = base.stemmer("english");
    assert.notEqual(base, stemmed);
    assert.deepEqual(terms(base, "Cats"), ["cats"]);
    assert.deepEqual(terms(stemmed, "Cats"), ["cat"]);
    const list = ["x"];
    const a = new Analyzer().stopwords(list);
    list.push("y");
    assert.deepEqual(terms(a, "x y"), ["y"]);
  });
});

describe("analyzer serialisation", () => {
  const full = new Analyzer().lowercase().stopwords("en").stopwords(['quote"d', "é"]).stemmer("english").ngrams(2, 3);

  it("toJSON is the configuration, and JSON.stringify writes it", () => {
    assert.deepEqual(full.toJSON(), {
      version: 1,
      steps: [
        { type: "lowercase" },
        { type: "stopwords", words: "en" },
        { type: "stopwords", words: ['quote"d', "é"] },
        { type: "stemmer", language: "english" },
        { type: "ngrams", min: 2, max: 3 },
      ],
    });
    assert.deepEqual(JSON.parse(JSON.stringify(full)), full.toJSON());
    assert.deepEqual(new Analyzer().toJSON(), { version: 1, steps: [] });
  });

  it("round trips through fromJSON, as an object or as text, to the same terms", () => {
    const text = 'The QUICK brown foxes jumped over the lazy dogs; quote"d é';
    for (const copy of [Analyzer.fromJSON(full.toJSON()), Analyzer.fromJSON(JSON.stringify(full))]) {
      assert.deepEqual(copy.toJSON(), full.toJSON());
      assert.deepEqual(copy.sparseTerms(text), full.sparseTerms(text));
    }
    assert.deepEqual(
      Analyzer.fromJSON('{"steps":[{"type":"lowercase"}]}').toJSON(),
      new Analyzer().lowercase().toJSON(),
    );
  });

  it("toJSON returns a copy", () => {
    const a = new Analyzer().stopwords(["x"]);
    const config = a.toJSON() as unknown as { steps: { words: string[] }[] };
    config.steps[0].words.push("y");
    assert.deepEqual(terms(a, "x y"), ["y"]);
  });
});

describe("text pipeline bad input", () => {
  it("rejects non-string text", () => {
    for (const bad of [42, null, undefined, { text: "x" }, ["x"]]) {
      throwsInvalid(() => sparseTerms(bad as unknown as string), /text must be a string/);
      throwsInvalid(() => new Analyzer().sparseTerms(bad as unknown as string), /text must be a string/);
    }
  });

  it("rejects bad step arguments", () => {
    const a = new Analyzer();
    throwsInvalid(() => a.ngrams(0, 2), /min must be an integer from 1 to 16/);
    throwsInvalid(() => a.ngrams(1.5, 2), /min must be an integer/);
    throwsInvalid(() => a.ngrams(2, 17), /max must be an integer from 1 to 16/);
    throwsInvalid(() => a.ngrams(3, 2), /min \(3\) is greater than max \(2\)/);
    throwsInvalid(() => a.ngrams(Number.NaN, 2), /min must be an integer/);
    throwsInvalid(() => a.ngrams("2" as unknown as number, 3), /min must be an integer/);
    throwsInvalid(() => a.stopwords("fr" as "en"), /"en" or an array of strings/);
    throwsInvalid(() => a.stopwords(["ok", 3] as unknown as string[]), /list\[1\] must be a string/);
    throwsInvalid(() => a.stemmer("porter" as "english"), /"english"/);
  });

  it("rejects bad configurations in fromJSON", () => {
    const cases: [unknown, RegExp][] = [
      ["{not json", /not valid JSON/],
      ["[]", /must be an object/],
      [{ version: 2, steps: [] }, /version must be 1/],
      [{ steps: {} }, /steps must be an array/],
      [{ steps: [], extra: 1 }, /unknown field "extra"/],
      [{ steps: [3] }, /step 0 must be an object/],
      [{ steps: [{ type: "uppercase" }] }, /step 0: unknown step type "uppercase"/],
      [{ steps: [{ type: "lowercase" }, { type: "lowercase", x: 1 }] }, /step 1 \(lowercase\): unknown field "x"/],
      [{ steps: [{ type: "stopwords" }] }, /"en" or an array of strings, found nothing/],
      [{ steps: [{ type: "stemmer", language: "french" }] }, /"english"/],
      [{ steps: [{ type: "ngrams", min: 2 }] }, /max must be an integer/],
      [{ steps: [{ type: "ngrams", min: 4, max: 2 }] }, /greater than max/],
    ];
    for (const [config, pattern] of cases) {
      throwsInvalid(() => Analyzer.fromJSON(config as string), pattern);
    }
  });

  it("the native library checks the configuration too", () => {
    const lib = loadNativeSync();
    const text = new TextEncoder().encode("abc");
    for (
      const [config, pattern] of [
        ['{"steps":[{"type":"ngrams","min":0,"max":1}]}', /min must be an integer/],
        ['{"version":9}', /newer than this vectlite/],
        ['{"steps":[{"type":"stemmer","language":"klingon"}]}', /"english"/],
        ["{", /not valid JSON/],
      ] as const
    ) {
      const bytes = new TextEncoder().encode(config);
      throwsInvalid(() => call(lib, "vl_sparse_terms", bytes, bytes.length, text, text.length), pattern);
    }
  });
});

describe("Snowball English stemmer against a reference implementation", () => {
  // About 275,000 words, one native call each: seconds, more than Bun's default 5 s timeout.
  it("agrees with snowball-stemmers on every word of an English word list", { timeout: 120_000 }, () => {
    const require = createRequire(import.meta.url);
    const words = require("an-array-of-english-words") as string[];
    const oracle = (require("snowball-stemmers") as { newStemmer(language: string): { stem(word: string): string } })
      .newStemmer("english");
    const distinct = [...new Set(words)];
    assert.ok(distinct.length >= 20_000, `only ${distinct.length} distinct words`);

    const stemmer = new Analyzer().stemmer("english");
    const disagreements: string[] = [];
    const started = performance.now();
    for (const word of distinct) {
      const ours = Object.keys(stemmer.sparseTerms(word));
      const expected = oracle.stem(word);
      if (ours.length !== 1 || ours[0] !== expected) {
        disagreements.push(`${word}: ours ${ours.join("|") || "(none)"}, reference ${expected}`);
      }
    }
    const seconds = (performance.now() - started) / 1000;
    const agreement = (distinct.length - disagreements.length) / distinct.length;
    console.log(
      `stemmer agreement with snowball-stemmers: ${distinct.length - disagreements.length}/${distinct.length} ` +
        `distinct words (${(agreement * 100).toFixed(3)}%), ${disagreements.length} disagreements, ${
          seconds.toFixed(1)
        } s`,
    );
    for (const d of disagreements) console.log(`  disagreement: ${d}`);
    assert.equal(
      disagreements.length,
      0,
      `${disagreements.length} disagreements, the first 50:\n${disagreements.slice(0, 50).join("\n")}`,
    );
  });
});
