import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { BaseEmbedding } from "@llamaindex/core/embeddings";
import { Document, Settings, storageContextFromDefaults, VectorStoreIndex } from "llamaindex";
import { VectorStoreQueryMode } from "@llamaindex/core/vector-store";
import { translateFilters, VectLiteLlamaStore } from "../llamaindex.ts";
import * as vectlite from "../mod.ts";
import { rejectsWith, tempDb, wordHashEmbedding } from "./helpers.ts";

const DIM = 32;

/** A deterministic embedding model: words hashed into buckets, normalized. */
class WordHashEmbedding extends BaseEmbedding {
  constructor() {
    super();
  }
  embed(text: string): number[] {
    return wordHashEmbedding(text, DIM);
  }
  getTextEmbedding(text: string): Promise<number[]> {
    return Promise.resolve(this.embed(text));
  }
}

const DOCS = [
  new Document({ text: "Cats purr and sleep in the sun", id_: "cats", metadata: { topic: "pets", year: 2021, tags: ["cat", "sun"] } }),
  new Document({ text: "Dogs bark at the mail carrier", id_: "dogs", metadata: { topic: "pets", year: 2023, tags: ["dog"] } }),
  new Document({ text: "Rust compiles to fast native code", id_: "rust", metadata: { topic: "code", year: 2024, tags: ["rust", "native"] } }),
  new Document({ text: "Deno and Bun run TypeScript directly", id_: "deno", metadata: { topic: "code", year: 2025, tags: [] } }),
];

async function build(db: vectlite.Database) {
  const embedModel = new WordHashEmbedding();
  Settings.embedModel = embedModel; // how a LlamaIndex application names its model
  const vectorStore = new VectLiteLlamaStore({ db, namespace: "llama", embedModel });
  const storageContext = await storageContextFromDefaults({ vectorStore });
  const index = await VectorStoreIndex.fromDocuments(DOCS, { storageContext });
  return { index, vectorStore, embedModel };
}

describe("vectlite/llamaindex", () => {
  it("a VectorStoreIndex built over the store retrieves through it, with metadata filters", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: DIM });
    const { index } = await build(db);
    assert.equal(await db.count({ namespace: "llama" }), 4, "one record per node");
    const [best] = await index.asRetriever({ similarityTopK: 1 }).retrieve("the dogs bark");
    assert.equal(best.node.metadata.topic, "pets");
    assert.match((best.node as unknown as { text: string }).text, /Dogs bark/);
    assert.equal(typeof best.score, "number");
    const filtered = await index.asRetriever({
      similarityTopK: 4,
      filters: { filters: [{ key: "topic", value: "code", operator: "==" }, { key: "year", value: 2025, operator: "<" }], condition: "and" },
    }).retrieve("fast code");
    assert.deepEqual(filtered.map((n) => (n.node.metadata as { year: number }).year), [2024]);
  });

  it("query modes, docIds, every filter operator and delete by document", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: DIM });
    const { vectorStore, embedModel } = await build(db);
    const ids = async (q: Parameters<VectLiteLlamaStore["query"]>[0]) => (await vectorStore.query(q)).nodes!.map((n) => n.sourceNode?.nodeId ?? n.id_);
    const q = { queryEmbedding: embedModel.embed("rust native code"), similarityTopK: 4, mode: VectorStoreQueryMode.DEFAULT };
    assert.equal((await ids(q))[0], "rust");
    const sparse = await vectorStore.query({ queryStr: "mail carrier", similarityTopK: 1, mode: VectorStoreQueryMode.SPARSE });
    assert.equal(sparse.nodes![0].sourceNode?.nodeId, "dogs", "keyword mode finds the text's terms");
    const hybrid = await vectorStore.query({ ...q, queryStr: "typescript", mode: VectorStoreQueryMode.HYBRID, alpha: 0.2 });
    assert.equal(hybrid.nodes![0].sourceNode?.nodeId, "deno", "alpha weights the keyword side up");
    assert.equal((await vectorStore.query({ ...q, mode: VectorStoreQueryMode.MMR, mmrThreshold: 0.3 })).ids.length, 4);
    const only = (await vectorStore.query({ ...q, docIds: ["cats", "deno"] })).nodes!.map((n) => n.sourceNode!.nodeId).sort();
    assert.deepEqual(only, ["cats", "deno"], "docIds (source documents) restrict the search");
    const cases: [string, unknown, string[]][] = [
      ["==", "code", ["deno", "rust"]], ["!=", "code", ["cats", "dogs"]], [">", 2023, ["deno", "rust"]], ["<", 2023, ["cats"]],
      [">=", 2023, ["deno", "dogs", "rust"]], ["<=", 2021, ["cats"]], ["in", [2021, 2025], ["cats", "deno"]], ["nin", [2021, 2025], ["dogs", "rust"]],
      ["contains", "cat", ["cats"]], ["any", ["dog", "rust"], ["dogs", "rust"]], ["all", ["rust", "native"], ["rust"]], ["text_match", "ets", ["cats", "dogs"]],
      ["is_empty", undefined, ["deno"]],
    ];
    for (const [operator, value, want] of cases) {
      const key = ["==", "!=", "text_match"].includes(operator) ? "topic" : ["contains", "any", "all", "is_empty"].includes(operator) ? "tags" : "year";
      const filters = { filters: [{ key, value: value as string, operator: operator as "==" }] };
      const got = (await vectorStore.query({ ...q, filters })).nodes!.map((n) => n.sourceNode!.nodeId).sort();
      assert.deepEqual(got, want, `${operator} ${JSON.stringify(value)}`);
    }
    assert.deepEqual(translateFilters({ filters: [{ key: "a", value: 1, operator: "==" }, { key: "b", value: 2, operator: ">" }], condition: "or" }), {
      $or: [{ a: { $eq: 1 } }, { b: { $gt: 2 } }],
    });
    await vectorStore.delete("dogs");
    assert.equal(await db.count({ namespace: "llama" }), 3);
    await rejectsWith(() => vectorStore.query({ similarityTopK: 1, mode: VectorStoreQueryMode.SPARSE }), "INVALID_ARGUMENT", /needs queryStr/);
    await rejectsWith(
      () => vectorStore.query({ ...q, filters: { filters: [{ key: "year", value: 3, operator: "in" }] } }),
      "INVALID_FILTER",
      /needs a list/,
    );
  });
});
