import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as vectlite from "../mod.ts";
import { rejectsWith, rng, tempDb } from "./helpers.ts";

const DIM = 32;
const N = 2_000;

/** Seeded clustered vectors (20 centres, noise 0.3): the kind of data whose neighbours a graph walk must find. */
function clustered(n: number, dim: number, seed: number): Float32Array[] {
  const rand = rng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const centres = Array.from({ length: 20 }, () => Array.from({ length: dim }, gauss));
  return Array.from({ length: n }, (_, i) => Float32Array.from(centres[i % 20], (c) => c + 0.3 * gauss()));
}

const data = clustered(N + 40, DIM, 7);
const titles = clustered(N, 16, 8);
const queries = data.slice(N);

function records(): vectlite.RecordInput[] {
  return data.slice(0, N).map((vector, i) => ({
    id: `r${i}`,
    vector,
    metadata: { tenant: i % 10, rare: i % 100 === 0 },
    vectors: { title: titles[i] },
    sparse: { [`w${i % 50}`]: 1, common: 1 },
  }));
}

/** Recall@k of `found` against `truth`, by id. */
function overlap(found: vectlite.SearchResult[], truth: vectlite.SearchResult[]): number {
  const want = new Set(truth.map((r) => r.id));
  return found.filter((r) => want.has(r.id)).length / Math.max(1, truth.length);
}

describe("quantized vector spaces", () => {
  it("find what an exact search finds, with exact scores, through filters, named spaces, hybrid and MMR", async () => {
    // efSearch 32: the planner walks the graph of 2,000 records instead of scanning them.
    await using db = await vectlite.open(tempDb(), { dimension: DIM, quantization: "int8", hnsw: { efSearch: 32 } });
    await db.upsertMany(records());
    const stats = await db.stats();
    assert.equal(stats.quantization, "int8");
    assert.equal(stats.namespaces[""].codes?.kind, "int8");
    assert.equal(stats.namespaces[""].named.title.codes?.kind, "int8");
    assert.match(stats.namespaces[""].codes!.kernel, /^(avx512-vnni|avx2|neon|portable)$/);
    assert.ok(stats.namespaces[""].codes!.bytes >= N * DIM);
    const cases: [string, vectlite.SearchOptions, number, string][] = [
      ["plain", {}, 0.95, "hnsw"],
      ["10% filter", { filter: { tenant: 3 } }, 0.95, "filtered-exact"],
      ["1% filter", { filter: { rare: true } }, 0.95, "filtered-exact"],
      ["named space", { vectorName: "title" }, 0.95, "hnsw"],
    ];
    for (const [name, options, goal, plan] of cases) {
      let sum = 0;
      for (const [qi, q] of queries.entries()) {
        const query = name === "named space" ? titles[qi] : q;
        const { results, stats } = await db.searchWithStats(query, { k: 10, ...options });
        assert.equal(stats.plan, plan, name);
        const exact = await db.search(query, { k: 10, ...options, exact: true });
        sum += overlap(results, exact);
        if (name !== "named space") assert.ok(stats.rescored >= results.length, `${name}: candidates were rescored (${stats.rescored})`);
        // Scores are the float32 ones: each equals the exact search's score of the same record.
        const exactScore = new Map((await db.search(query, { k: N, ...options, exact: true })).map((r) => [r.id, r.score]));
        for (const r of results) assert.equal(r.score, exactScore.get(r.id), `${name}: score of ${r.id}`);
        if (options.filter) {
          const f = options.filter as Record<string, unknown>;
          for (const r of results) for (const [k, v] of Object.entries(f)) assert.equal(r.metadata[k], v);
        }
      }
      assert.ok(sum / queries.length >= goal, `${name}: recall ${sum / queries.length}`);
    }
    // Hybrid and MMR run on the rescored candidates.
    const hybrid = await db.search(queries[0], { k: 10, sparse: { w3: 1 } });
    const hybridExact = await db.search(queries[0], { k: 10, sparse: { w3: 1 }, exact: true });
    assert.ok(overlap(hybrid, hybridExact) >= 0.9, "hybrid");
    const mmr = await db.search(queries[1], { k: 10, mmrLambda: 0.5 });
    assert.equal(mmr.length, 10);
    assert.equal(new Set(mmr.map((r) => r.id)).size, 10);
  });

  it("keeps its choice in the file, refuses another at open and converts on compaction", async () => {
    const path = tempDb();
    {
      await using db = await vectlite.open(path, { dimension: DIM, quantization: { "": "int8", "*": "binary" } });
      // Issued without awaiting: the conversion takes its place in the call order.
      const writes = db.upsertMany(records().slice(0, 500));
      const compacted = db.compact();
      const found = db.search(data[7], { k: 1 });
      await Promise.all([writes, compacted]);
      assert.equal((await found)[0].id, "r7");
      const stats = await db.stats();
      assert.deepEqual(stats.quantization, { "": "int8", "*": "binary" });
      assert.equal(stats.namespaces[""].named.title.codes?.kind, "binary");
    }
    {
      await using db = await vectlite.open(path);
      assert.deepEqual((await db.stats()).quantization, { "": "int8", "*": "binary" });
      assert.equal((await db.search(data[9], { k: 1 }))[0].id, "r9");
    }
    await rejectsWith(() => vectlite.open(path, { quantization: "int8" }), "INVALID_ARGUMENT", /compact\(\{ quantization \}\)/);
    {
      await using db = await vectlite.open(path, { quantization: { "": "int8", "*": "binary" } });
      await db.compact({ quantization: "none" });
      const stats = await db.stats();
      assert.equal(stats.quantization, "none");
      assert.equal(stats.namespaces[""].codes, null);
      assert.equal((await db.search(data[11], { k: 1 }))[0].id, "r11");
      await db.compact({ quantization: "binary" });
      assert.equal((await db.stats()).namespaces[""].codes?.kind, "binary");
      assert.equal((await db.search(data[12], { k: 1 }))[0].id, "r12");
    }
    {
      await using db = await vectlite.open(path, { readOnly: true });
      assert.equal((await db.stats()).quantization, "binary");
      await rejectsWith(() => db.compact({ quantization: "int8" }), "READ_ONLY");
    }
  });

  it("manhattan (L1): the graph and the int8 codes find what an exact search finds, scored as the negated L1 distance", async () => {
    const path = tempDb();
    const l1 = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + Math.abs(x - b[i]), 0);
    for (const quantization of ["none", "int8"] as const) {
      {
        await using db = await vectlite.open(path + quantization, { dimension: DIM, metric: "manhattan", quantization, hnsw: { efSearch: 32 } });
        await db.upsertMany(records());
        let sum = 0;
        for (const q of queries) {
          const { results, stats } = await db.searchWithStats(q, { k: 10 });
          assert.equal(stats.plan, "hnsw");
          sum += overlap(results, await db.search(q, { k: 10, exact: true }));
          for (const r of results) {
            const stored = data[Number(r.id.slice(1))];
            assert.ok(Math.abs(r.score + l1(q, stored)) <= 1e-4 * l1(q, stored), `${quantization}: score of ${r.id}`);
          }
        }
        assert.ok(sum / queries.length >= 0.95, `${quantization}: recall ${sum / queries.length}`);
        await db.compact();
      }
      await using again = await vectlite.open(path + quantization, { readOnly: true });
      assert.equal(again.metric, "manhattan");
      assert.equal((await again.search(data[5], { k: 1 }))[0].id, "r5");
    }
  });

  it("refuses bad quantization and rescore values with the place that is wrong", async () => {
    await rejectsWith(() => vectlite.open(tempDb(), { dimension: 4, quantization: "int4" as vectlite.Quantization }), "INVALID_ARGUMENT", /int4/);
    await rejectsWith(
      () => vectlite.open(tempDb(), { dimension: 4, quantization: { title: 8 } as unknown as vectlite.Quantization }),
      "INVALID_ARGUMENT",
      /quantization\["title"\]/,
    );
    await using db = await vectlite.open(tempDb(), { dimension: 4, quantization: "int8" });
    await db.upsertMany([{ id: "a", vector: [1, 2, 3, 4] }]);
    for (const rescore of [0, 1.5, 1025, -1]) {
      await rejectsWith(() => db.search([1, 2, 3, 4], { rescore }), "INVALID_ARGUMENT", /rescore/);
    }
    assert.equal((await db.search([1, 2, 3, 4], { rescore: 1024 }))[0].id, "a");
    await rejectsWith(() => db.compact({ quantization: "int16" as vectlite.Quantization }), "INVALID_ARGUMENT", /int16/);
    await rejectsWith(() => db.compact({ level: 1 } as unknown as vectlite.CompactOptions), "INVALID_ARGUMENT", /level/);
    assert.equal((await db.search([1, 2, 3, 4]))[0].id, "a", "nothing changed");
  });
});
