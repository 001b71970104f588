import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as vectlite from "../mod.ts";
import { randomVector, rejectsWith, rng, tempDb } from "./helpers.ts";

/** An independent BM25 (same formula as docs/api.md: k1 1.2, b 0.75, idf ln(1 + (N - df + 0.5)/(df + 0.5))). */
function referenceBm25(docs: Map<string, Record<string, number>>, query: Record<string, number>): Map<string, number> {
  const N = docs.size;
  let total = 0;
  const df = new Map<string, number>();
  for (const terms of docs.values()) {
    for (const [t, tf] of Object.entries(terms)) {
      total += tf;
      df.set(t, (df.get(t) ?? 0) + 1);
    }
  }
  const avg = total / N;
  const scores = new Map<string, number>();
  for (const [id, terms] of docs) {
    const len = Object.values(terms).reduce((a, b) => a + b, 0);
    let score = 0, any = false;
    for (const [t, qw] of Object.entries(query)) {
      const tf = terms[t];
      if (!tf) continue;
      any = true;
      const idf = Math.log(1 + (N - df.get(t)! + 0.5) / (df.get(t)! + 0.5));
      score += qw * idf * (tf * 2.2) / (tf + 1.2 * (1 - 0.75 + (0.75 * len) / avg));
    }
    if (any) scores.set(id, score);
  }
  return scores;
}

/** A seeded corpus: Zipf-like term draws over a 400-word vocabulary. */
function corpus(n: number, seed: number): Map<string, Record<string, number>> {
  const rand = rng(seed);
  const docs = new Map<string, Record<string, number>>();
  for (let i = 0; i < n; i++) {
    const terms: Record<string, number> = {};
    const len = 5 + Math.floor(rand() * 40);
    for (let j = 0; j < len; j++) {
      const w = `w${Math.floor(400 * Math.pow(rand(), 2.5))}`;
      terms[w] = (terms[w] ?? 0) + 1;
    }
    docs.set(`d${i}`, terms);
  }
  return docs;
}

function ranking(scores: Map<string, number>, k: number): [string, number][] {
  return [...scores].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, k);
}

describe("BM25 keyword search", () => {
  it("equals an independent BM25 computation on 1,500 documents, scores to 1e-5 and rankings", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 4 });
    const docs = corpus(1500, 11);
    const rand = rng(12);
    await db.upsertMany([...docs].map(([id, sparse]) => ({ id, vector: randomVector(4, rand), sparse })));
    for (const query of [{ w3: 1 }, { w10: 1, w200: 1 }, { w1: 2, w57: 1, w300: 1 }, { w0: 1, w399: 1 }] as Record<string, number>[]) {
      const expected = ranking(referenceBm25(docs, query), 20);
      const got = await db.search(null, { sparse: query, k: 20 });
      assert.deepEqual(got.map((r) => r.id), expected.map(([id]) => id), `ranking for ${JSON.stringify(query)}`);
      for (const [i, r] of got.entries()) assert.ok(Math.abs(r.score - expected[i][1]) < 1e-5, `${r.id}: ${r.score} vs ${expected[i][1]}`);
    }
  });

  it("with a filter, ranks the matching documents exactly as the reference does (k of them when k match)", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 4 });
    const docs = corpus(2000, 31);
    const rand = rng(32);
    const ids = [...docs.keys()];
    // Group 0 of 7 holds about 14% of the documents, group 6 of 100 about 1%.
    const group = (id: string, of: number) => Number(id.slice(1)) % of;
    await db.upsertMany(ids.map((id) => ({
      id,
      vector: randomVector(4, rand),
      sparse: docs.get(id)!,
      metadata: { g7: group(id, 7), g100: group(id, 100) },
    })));
    for (const query of [{ w0: 1 }, { w1: 1, w2: 1 }, { w40: 1, w3: 2 }] as Record<string, number>[]) {
      const all = referenceBm25(docs, query);
      for (const [field, of] of [["g7", 7], ["g100", 100]] as const) {
        const matching = new Map([...all].filter(([id]) => group(id, of) === 0));
        const expected = ranking(matching, 15);
        const got = await db.search(null, { sparse: query, k: 15, filter: { [field]: 0 } });
        assert.deepEqual(got.map((r) => r.id), expected.map(([id]) => id), `${JSON.stringify(query)} ${field}`);
        assert.equal(got.length, Math.min(15, matching.size));
      }
    }
  });

  it("stays exact under upserts, replacements and deletes (equal to a fresh build)", async () => {
    const docs = corpus(600, 21);
    await using live = await vectlite.open(tempDb(), { dimension: 4 });
    const rand = rng(22);
    await live.upsertMany([...docs].map(([id, sparse]) => ({ id, vector: randomVector(4, rand), sparse })));
    const replacement = corpus(100, 23);
    let i = 0;
    for (const terms of replacement.values()) {
      const id = `d${i * 3}`;
      docs.set(id, terms);
      await live.upsert(id, randomVector(4, rand), {}, { sparse: terms });
      i++;
    }
    for (let j = 1; j < 600; j += 7) {
      docs.delete(`d${j}`);
      await live.delete(`d${j}`);
    }
    await using fresh = await vectlite.open(tempDb(), { dimension: 4 });
    await fresh.upsertMany([...docs].map(([id, sparse]) => ({ id, vector: randomVector(4, rand), sparse })));
    for (const query of [{ w2: 1 }, { w5: 1, w90: 2 }, { w150: 1, w7: 1 }] as Record<string, number>[]) {
      const a = await live.search(null, { sparse: query, k: 30 });
      const b = await fresh.search(null, { sparse: query, k: 30 });
      assert.deepEqual(a.map((r) => [r.id, r.score]), b.map((r) => [r.id, r.score]));
      const expected = ranking(referenceBm25(docs, query), 30);
      assert.deepEqual(a.map((r) => r.id), expected.map(([id]) => id));
    }
  });

  it("reports df and idf per query term, and applies filters and namespaces", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 2 });
    await db.upsert("a", [1, 0], { lang: "en" }, { sparse: { auth: 1, token: 2 } });
    await db.upsert("b", [0, 1], { lang: "de" }, { sparse: { auth: 3 } });
    await db.upsert("c", [1, 1], { lang: "en" }, { sparse: { token: 1 }, namespace: "other" });
    const { results, stats } = await db.searchWithStats(null, { sparse: { auth: 1, token: 1 } });
    assert.deepEqual(results.map((r) => r.id).sort(), ["a", "b"]);
    assert.equal(stats.termStats!.auth.df, 2);
    assert.equal(stats.termStats!.token.df, 1);
    assert.ok(Math.abs(stats.termStats!.auth.idf - Math.log(1 + 0.5 / 2.5)) < 1e-9);
    assert.deepEqual((await db.search(null, { sparse: { auth: 1 }, filter: { lang: "de" } })).map((r) => r.id), ["b"]);
    assert.deepEqual((await db.search(null, { sparse: { token: 1 }, namespace: "*" })).map((r) => r.id), ["a", "c"]);
  });
});

describe("BM25 explain", () => {
  it("names every constant, so each score is recomputed by hand from the explanation alone", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 2 });
    const rand = rng(3);
    const words = ["alpha", "beta", "gamma", "delta", "eps"];
    await db.upsertMany(Array.from({ length: 60 }, (_, i) => {
      const sparse: Record<string, number> = {};
      for (let w = 0; w < 1 + (i % 4); w++) sparse[words[Math.floor(rand() * words.length)]] = 1 + Math.floor(rand() * 3);
      return { id: `d${i}`, vector: [1, i], sparse };
    }));
    const query = { alpha: 1, gamma: 0.5, missing: 2 };
    const hits = await db.search(null, { sparse: query, k: 20, explain: true });
    assert.ok(hits.length > 5);
    for (const h of hits) {
      const e = h.explain!.bm25!;
      assert.equal(e.k1, 1.2);
      assert.equal(e.b, 0.75);
      assert.equal(e.docs, 60);
      let total = 0;
      for (const [term, t] of Object.entries(e.terms)) {
        assert.equal(t.queryWeight, query[term as keyof typeof query]);
        const idf = Math.log(1 + (e.docs - t.df + 0.5) / (t.df + 0.5));
        assert.ok(Math.abs(idf - t.idf) < 1e-9, `${h.id} ${term}: idf`);
        const part: number = t.queryWeight * idf * t.tf * (e.k1 + 1) / (t.tf + e.k1 * (1 - e.b + e.b * e.length / e.avgLength));
        assert.ok(Math.abs(part - t.score) < 1e-5 * Math.max(1, part), `${h.id} ${term}: ${part} vs ${t.score}`);
        assert.equal(h.explain!.termScores![term], t.score);
        total += part;
      }
      assert.ok(Math.abs(total - h.score) < 1e-4 * Math.max(1, total), `${h.id}: terms sum to ${total}, score ${h.score}`);
      assert.ok(!("missing" in e.terms));
    }
  });
});

describe("hybrid fusion", () => {
  async function twoSided() {
    const db = await vectlite.open(tempDb(), { dimension: 2 });
    await db.upsert("dense-only", [1, 0], {}, {});
    await db.upsert("sparse-only", [-1, 0], {}, { sparse: { needle: 5 } });
    await db.upsert("both", [0.9, 0.1], {}, { sparse: { needle: 1 } });
    for (let i = 0; i < 20; i++) await db.upsert(`filler${i}`, [0, 1], {}, { sparse: { hay: 1 } });
    return db;
  }

  it("surfaces a document only the sparse side finds and one only the dense side finds", async () => {
    await using db = await twoSided();
    const ids = (await db.search([1, 0], { k: 3, sparse: { needle: 1 } })).map((r) => r.id);
    assert.ok(ids.includes("dense-only"), ids.join());
    assert.ok(ids.includes("sparse-only"), ids.join());
    assert.ok(ids.includes("both"), ids.join());
  });

  it("ranks by reciprocal ranks with fusion rrf, as computed by hand", async () => {
    await using db = await twoSided();
    const results = await db.search([1, 0], { k: 3, sparse: { needle: 1 }, fusion: "rrf", rrfK: 10, explain: true });
    const byId = new Map(results.map((r) => [r.id, r]));
    // Dense ranks over all 23 records: dense-only 1, both 2, the fillers 3..22, sparse-only 23.
    // Sparse ranks: sparse-only 1, both 2 (dense-only and the fillers lack "needle").
    assert.ok(Math.abs(byId.get("both")!.score - (1 / 12 + 1 / 12)) < 1e-6);
    assert.ok(Math.abs(byId.get("sparse-only")!.score - (1 / 11 + 1 / 33)) < 1e-6);
    assert.ok(Math.abs(byId.get("dense-only")!.score - 1 / 11) < 1e-6);
    assert.deepEqual(results.map((r) => r.id), ["both", "sparse-only", "dense-only"]);
    for (const r of results) {
      const e = r.explain!;
      assert.equal(e.fusion, "rrf");
      const expected = (e.denseRank ? 1 / (10 + e.denseRank) : 0) + (e.sparseRank ? 1 / (10 + e.sparseRank) : 0);
      assert.ok(Math.abs(r.score - expected) < 1e-6, `${r.id}: explain ranks do not add up to the score`);
    }
  });

  it("moves results with the weights as documented", async () => {
    await using db = await twoSided();
    const denseHeavy = await db.search([1, 0], { k: 1, sparse: { needle: 1 }, denseWeight: 1, sparseWeight: 0 });
    assert.equal(denseHeavy[0].id, "dense-only");
    const sparseHeavy = await db.search([1, 0], { k: 1, sparse: { needle: 1 }, denseWeight: 0, sparseWeight: 1 });
    assert.equal(sparseHeavy[0].id, "sparse-only");
    const explained = await db.search([1, 0], { k: 3, sparse: { needle: 1 }, explain: true });
    for (const r of explained) {
      // linear: each side min-max normalised over its candidates, then added with weight 1.
      assert.equal(r.explain!.fusion, "linear");
      assert.ok(r.score >= 0 && r.score <= 2);
    }
    const both = explained.find((r) => r.id === "both")!;
    assert.ok(both.explain!.termScores!.needle > 0);
    assert.equal(both.explain!.sparseScore, both.explain!.termScores!.needle);
  });
});

describe("named vectors, MMR and rerankers", () => {
  it("searches one named space, and fuses a weighted multi-vector query", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 2 });
    await db.upsert("a", [1, 0], {}, { vectors: { title: [1, 0, 0], body: [0, 1] } });
    await db.upsert("b", [0, 1], {}, { vectors: { title: [0, 1, 0], body: [1, 0] } });
    await db.upsert("c", [1, 1], {}, { vectors: { title: [0, 0, 1] } });
    assert.deepEqual((await db.search([0, 1, 0], { vectorName: "title", k: 1 }))[0].id, "b");
    const multi = await db.search(null, { vectors: { title: [1, 0, 0], body: [1, 0] }, vectorWeights: { title: 1, body: 0.5 }, k: 3, explain: true });
    // a: 1·1 + 0.5·0 = 1, b: 1·0 + 0.5·1 = 0.5, c: title only = 0
    assert.deepEqual(multi.map((r) => r.id), ["a", "b", "c"]);
    assert.ok(Math.abs(multi[0].score - 1) < 1e-6 && Math.abs(multi[1].score - 0.5) < 1e-6);
    assert.deepEqual(multi[1].explain!.vectorScores, { title: 0, body: 1 });
  });

  it("MMR picks the diverse item over a near-duplicate", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 2 });
    await db.upsert("best", [1, 0]);
    await db.upsert("near-duplicate", [0.999, 0.045]);
    await db.upsert("different", [0.7, 0.714]);
    await db.upsert("opposite", [-1, 0]); // the least relevant (similarity -1), and not redundant either
    const plain = await db.search([1, 0], { k: 2 });
    assert.deepEqual(plain.map((r) => r.id), ["best", "near-duplicate"]);
    const diverse = await db.search([1, 0], { k: 2, mmrLambda: 0.3, explain: true });
    assert.deepEqual(diverse.map((r) => r.id), ["best", "different"]);
    assert.equal(diverse[0].explain!.mmrPenalty, 0);
    const relevant = await db.search([1, 0], { k: 2, mmrLambda: 1 });
    assert.deepEqual(relevant.map((r) => r.id), ["best", "near-duplicate"]);
  });

  it("rerankers reorder as documented and show in explain", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 2 });
    await db.upsert("a", [1, 0], { text: "how to bake bread", source: "blog" });
    await db.upsert("b", [0.9, 0.3], { text: "reset your password quickly", source: "docs" });
    await db.upsert("c", [0.8, 0.5], { text: "password policies", source: "forum" });
    const boosted = await db.search([1, 0], { k: 3, rerank: vectlite.rerankers.metadataBoost("source", { forum: 1 }), explain: true });
    assert.equal(boosted[0].id, "c");
    assert.ok(Math.abs(boosted[0].explain!.rerankScore! - boosted[0].score) < 1e-9);
    const matched = await db.search([1, 0], { k: 3, queryText: "password reset", rerank: vectlite.rerankers.textMatch({ weight: 1 }) });
    assert.equal(matched[0].id, "b");
    const cross = vectlite.rerankers.crossEncoder(async (q, text) => (text.includes("policies") ? 10 : q.length > 0 ? 1 : 0));
    const composed = vectlite.rerankers.compose(vectlite.rerankers.textMatch({ weight: 1 }), cross);
    assert.equal((await db.search([1, 0], { k: 1, queryText: "password", rerank: composed }))[0].id, "c");
    const bi = vectlite.rerankers.biEncoder((text) => (text.includes("bread") ? [1, 0] : [0, 1]));
    assert.equal((await db.search([0, 1], { k: 1, queryText: "bread", rerank: bi }))[0].id, "a");
    await assert.rejects(db.search([1, 0], { rerank: cross }), /query text/);
  });
});

describe("text helpers", () => {
  /** A toy embedding: letter frequencies, so similar words get similar vectors. */
  const embed = (text: string) => {
    const v = new Float32Array(26);
    for (const ch of text.toLowerCase()) {
      const i = ch.charCodeAt(0) - 97;
      if (i >= 0 && i < 26) v[i] += 1;
    }
    return v;
  };

  it("a database remembers the analyzer it was created with; the text helpers use it", async () => {
    const path = tempDb("analyzer.vdb");
    const trigrams = new vectlite.analyzers.Analyzer().lowercase().ngrams(3, 3);
    const embed = (t: string) => Float32Array.from([t.length % 7, 1, 0.5]);
    {
      await using db = await vectlite.open(path, { dimension: 3, analyzer: trigrams });
      assert.deepEqual(db.analyzer.toJSON(), trigrams.toJSON());
      await vectlite.upsertText(db, "k", "Kubernetes clusters", embed);
      // Stored under the database's analyzer: trigrams, not English stems.
      assert.deepEqual((await db.get("k"))!.sparse, trigrams.sparseTerms("Kubernetes clusters"));
    }
    await using db = await vectlite.open(path);
    assert.deepEqual(db.analyzer.toJSON(), trigrams.toJSON(), "the analyzer survives reopening");
    // "kube" shares trigrams with "Kubernetes"; the English analyzer would see no common term.
    const hits = await vectlite.searchText(db, "kube", embed, { k: 1 });
    assert.equal(hits[0]?.id, "k");
    assert.deepEqual((await db.stats()).analyzer, trigrams.toJSON());
    await db.close();
    // Fixed at creation, like the metric; a bad analyzer is refused up front.
    await assert.rejects(vectlite.open(path, { analyzer: vectlite.analyzers.Analyzer.english() }), (e: vectlite.VectLiteError) => e.code === "INVALID_ARGUMENT" && /fixed at creation/.test(e.message));
    await assert.rejects(vectlite.open(tempDb("bad-analyzer.vdb"), { dimension: 3, analyzer: { version: 1, steps: [{ type: "stem" }] } as never }), (e: vectlite.VectLiteError) => e.code === "INVALID_ARGUMENT" && /analyzer/.test(e.message));
    // Without one, a database uses (and reports) the default English analyzer.
    await using plain = await vectlite.open(tempDb("plain.vdb"), { dimension: 3 });
    assert.deepEqual(plain.analyzer.toJSON(), vectlite.analyzers.Analyzer.english().toJSON());
    assert.equal((await plain.stats()).analyzer, null);
  });

  /** Seeded texts with stems, stop words, repeats, capitals and accented words. */
  function texts(n: number, seed: number): string[] {
    const words = ["Running", "runner", "ran", "runs", "the", "and", "of", "databases", "database", "vectors", "Zürich",
      "naïve", "café", "CAFÉ", "42", "3.14", "indexing", "indexes", "hybrid", "searching", "quickly", "generously", "it's"];
    const rand = rng(seed);
    return Array.from({ length: n }, () => Array.from({ length: 5 + Math.floor(rand() * 60) }, () => words[Math.floor(rand() * words.length)]).join(" "));
  }

  it("a record's text becomes its terms under the database's analyzer, the same as sparseTerms, in a large batch too", async () => {
    const docs = texts(3000, 11); // more than 64 KiB of text: analyzed on every core
    const rand = rng(12);
    const vectors = docs.map(() => randomVector(8, rand));
    const path = tempDb("text.vdb");
    await using byText = await vectlite.open(path, { dimension: 8 });
    await using bySparse = await vectlite.open(tempDb("sparse.vdb"), { dimension: 8 });
    assert.equal(await byText.upsertMany(docs.map((text, i) => ({ id: `d${i}`, vector: vectors[i], text }))), docs.length);
    await bySparse.upsertMany(docs.map((text, i) => ({ id: `d${i}`, vector: vectors[i], sparse: vectlite.sparseTerms(text) })));
    await byText.upsert("one", vectors[0], { kept: true }, { text: "Runners were running" });
    await bySparse.upsert("one", vectors[0], { kept: true }, { sparse: vectlite.sparseTerms("Runners were running") });
    for (let i = 0; i < docs.length; i += 7) {
      assert.deepEqual((await byText.get(`d${i}`))!.sparse, vectlite.sparseTerms(docs[i]), `d${i}: ${docs[i]}`);
    }
    assert.deepEqual((await byText.get("one"))!.sparse, { run: 1, runner: 1 }); // "were" is a stop word
    // One record with much text (a write that runs as a job by its size).
    const long = docs.slice(0, 1500).join(" ");
    await byText.upsert("long", vectors[1], {}, { text: long });
    await bySparse.upsert("long", vectors[1], {}, { sparse: vectlite.sparseTerms(long) });
    assert.deepEqual((await byText.get("long"))!.sparse, vectlite.sparseTerms(long));
    for (const q of ["running databases", "Zürich café", "indexes 42", "generously"]) {
      const a = await byText.search(null, { sparse: vectlite.sparseTerms(q), k: 10 });
      const b = await bySparse.search(null, { sparse: vectlite.sparseTerms(q), k: 10 });
      assert.deepEqual(a.map((r) => [r.id, r.score]), b.map((r) => [r.id, r.score]), q);
      assert.equal(a.length, 10, q);
    }
    await byText.close();
    await using reopened = await vectlite.open(path);
    assert.deepEqual((await reopened.get("d3"))!.sparse, vectlite.sparseTerms(docs[3]), "the terms are in the WAL, not re-made");
  });

  it("text is analyzed by the database's own analyzer, in transactions too", async () => {
    const trigrams = new vectlite.analyzers.Analyzer().lowercase().ngrams(3, 3);
    await using db = await vectlite.open(tempDb(), { dimension: 2, analyzer: trigrams });
    await db.upsertMany([{ id: "a", vector: [1, 0], text: "Kubernetes" }]);
    assert.deepEqual((await db.get("a"))!.sparse, trigrams.sparseTerms("Kubernetes"));
    await db.transaction(async (tx) => {
      await tx.upsert("b", [0, 1], {}, { text: "Clusters" });
      assert.deepEqual((await tx.get("b"))!.sparse, trigrams.sparseTerms("Clusters"), "read inside the transaction");
      await tx.upsertMany([{ id: "c", vector: [1, 1], text: "" }]);
      assert.equal((await tx.get("c"))!.sparse, undefined, "empty text: no terms, as stored");
    });
    assert.deepEqual((await db.get("b"))!.sparse, trigrams.sparseTerms("Clusters"));
    assert.equal((await db.get("c"))!.sparse, undefined);
  });

  it("text with sparse, or text that is not a string, is refused naming the record, and nothing is written", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 2 });
    const ok = { id: "ok", vector: [1, 0], text: "fine" };
    await rejectsWith(() => db.upsertMany([ok, { id: "both", vector: [0, 1], text: "x", sparse: { x: 1 } }]), "INVALID_ARGUMENT", /record "both": give text or sparse, not both/);
    await rejectsWith(() => db.upsertMany([ok, { id: "num", vector: [0, 1], text: 7 as never }]), "INVALID_ARGUMENT", /record "num": text must be a string, found number/);
    await rejectsWith(() => db.upsert("obj", [0, 1], {}, { text: { a: 1 } as never }), "INVALID_ARGUMENT", /record "obj": text must be a string/);
    assert.equal(await db.count(), 0);
  });

  it("upsertText stores the embedding, the terms and the text; searchText finds it (sync or async embed)", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 26 });
    await vectlite.upsertText(db, "p", "How to reset your password", embed, { source: "docs" });
    await vectlite.upsertText(db, "b", "Baking sourdough bread at home", async (t) => embed(t));
    await vectlite.upsertText(db, "s", "Single sign-on with SAML", embed);
    const rec = await db.get("p", { includeVectors: true });
    assert.deepEqual(rec?.metadata, { text: "How to reset your password", source: "docs" });
    assert.deepEqual(rec?.sparse, vectlite.sparseTerms("How to reset your password"));
    assert.deepEqual(rec?.vector, embed("How to reset your password"));
    const hits = await vectlite.searchText(db, "resetting passwords", async (t) => embed(t), { k: 1, explain: true });
    assert.equal(hits[0].id, "p");
    assert.ok(hits[0].explain!.termScores!.password > 0, "stemming joins passwords and password");
    const reranked = await vectlite.searchText(db, "bread", embed, { k: 3, rerank: vectlite.rerankers.textMatch({ weight: 5 }) });
    assert.equal(reranked[0].id, "b");
  });
});
