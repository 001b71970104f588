import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Document } from "@langchain/core/documents";
import { Embeddings } from "@langchain/core/embeddings";
import { VectLiteVectorStore } from "../langchain.ts";
import * as vectlite from "../mod.ts";
import { rejectsWith, tempDb, wordHashEmbedding } from "./helpers.ts";

const DIM = 32;

/** A deterministic embedding: each word hashed into a bucket, the vector normalized (texts sharing words are near). */
class WordHashEmbeddings extends Embeddings {
  calls = 0;
  constructor() {
    super({});
  }
  embed(text: string): number[] {
    return wordHashEmbedding(text, DIM);
  }
  embedDocuments(texts: string[]): Promise<number[][]> {
    this.calls++;
    return Promise.resolve(texts.map((t) => this.embed(t)));
  }
  embedQuery(text: string): Promise<number[]> {
    return Promise.resolve(this.embed(text));
  }
}

const TEXTS = [
  "cats purr and sleep in the sun",
  "dogs bark at the mail carrier",
  "the cat chased a mouse across the kitchen",
  "rust compiles to fast native code",
  "deno and bun run typescript directly",
  "a mouse ate the cheese",
];
const META = [{ topic: "pets", n: 1 }, { topic: "pets", n: 2 }, { topic: "pets", n: 3 }, { topic: "code", n: 4 }, { topic: "code", n: 5 }, {
  topic: "pets",
  n: 6,
}];

describe("vectlite/langchain", () => {
  it("stores documents and finds them with LangChain's own search methods, filters and retriever", async () => {
    const embeddings = new WordHashEmbeddings();
    const store = await VectLiteVectorStore.fromTexts(TEXTS, META, embeddings, { path: tempDb(), namespace: "docs" });
    try {
      const [best] = await store.similaritySearch("the mouse ate cheese", 1);
      assert.equal(best.pageContent, "a mouse ate the cheese");
      assert.deepEqual(best.metadata, { topic: "pets", n: 6 }, "pageContent is not repeated in the metadata");
      assert.ok(best.id, "the record id comes back as the document id");
      const scored = await store.similaritySearchWithScore("typescript runs in deno", 2, { topic: "code" });
      assert.deepEqual(scored.map(([d]) => d.metadata.n), [5, 4]);
      assert.ok(scored[0][1] > scored[1][1], "scores: higher is nearer");
      const filtered = await store.similaritySearch("cat mouse", 3, { n: { $gte: 3 } });
      assert.ok(filtered.every((d) => (d.metadata.n as number) >= 3), "the project's filter language applies");
      const retrieved = await store.asRetriever({ k: 2, filter: { topic: "pets" } }).invoke("cats and dogs");
      assert.equal(retrieved.length, 2);
      assert.ok(retrieved.every((d) => d.metadata.topic === "pets"));
      const mmr = await store.maxMarginalRelevanceSearch("the cat and the mouse", { k: 3, fetchK: 6, lambda: 0.3 });
      assert.equal(mmr.length, 3);
      assert.equal(new Set(mmr.map((d) => d.pageContent)).size, 3);
      const viaRetriever = await store.asRetriever({ k: 3, searchType: "mmr", searchKwargs: { fetchK: 6, lambda: 0.3 } }).invoke("the cat and the mouse");
      assert.deepEqual(viaRetriever.map((d) => d.pageContent), mmr.map((d) => d.pageContent));
      // The records are ordinary vectlite records in the store's namespace.
      const db = await store.database();
      assert.equal(await db.count({ namespace: "docs" }), 6);
      assert.equal(await db.count(), 0, "nothing in the default namespace");
    } finally {
      await store.close();
    }
  });

  it("adds with ids, replaces, deletes by id and by filter, and keeps the text searchable by keyword", async () => {
    const path = tempDb();
    await using db = await vectlite.open(path, { dimension: DIM });
    const embeddings = new WordHashEmbeddings();
    const store = new VectLiteVectorStore(embeddings, { db, hybrid: true });
    const docs = TEXTS.map((pageContent, i) => new Document({ pageContent, metadata: META[i], id: `doc${i}` }));
    assert.deepEqual(await store.addDocuments(docs), docs.map((d) => d.id));
    assert.equal(embeddings.calls, 1, "one embedding call for the batch");
    const ids = await store.addVectors([embeddings.embed("fresh text")], [new Document({ pageContent: "fresh text", metadata: {} })], { ids: ["x"] });
    assert.deepEqual(ids, ["x"]);
    await store.addDocuments([new Document({ pageContent: "dogs bark loudly", metadata: { topic: "pets", n: 2 } })], { ids: ["doc1"] });
    assert.equal((await db.get("doc1"))?.metadata.text, "dogs bark loudly", "same id: replaced");
    // Keyword terms were made from pageContent: a BM25 search finds the word.
    const keyword = await db.search(null, { k: 1, sparse: db.analyzer.sparseTerms("cheese") });
    assert.equal(keyword[0]?.id, "doc5");
    const hybrid = await store.similaritySearch("cheese", 1);
    assert.equal(hybrid[0].id, "doc5");
    await store.delete({ ids: ["doc0", "x"] });
    await store.delete({ filter: { topic: "code" } });
    assert.deepEqual((await db.list()).map((r) => r.id).sort(), ["doc1", "doc2", "doc5"]);
    await rejectsWith(() => store.delete({}), "INVALID_ARGUMENT", /ids or a filter/);
    await rejectsWith(
      () => store.addDocuments([new Document({ pageContent: "p", metadata: { text: "clash" } })], { ids: ["y"] }),
      "INVALID_ARGUMENT",
      /document "y": its metadata has the key "text"/,
    );
    await rejectsWith(() => store.addVectors([[1]], []), "INVALID_ARGUMENT", /1 vectors for 0 documents/);
    assert.throws(() => new VectLiteVectorStore(embeddings, {}), /needs one of db/);
    assert.equal(await db.count(), 3, "nothing was written by the refused calls");
  });

  it("fromDocuments with another textKey, reopened from its file", async () => {
    const path = tempDb();
    const embeddings = new WordHashEmbeddings();
    const docs = TEXTS.map((pageContent, i) => new Document({ pageContent, metadata: { ...META[i], text: "user field" } }));
    const store = await VectLiteVectorStore.fromDocuments(docs, embeddings, { path, textKey: "body" });
    await store.close();
    const again = new VectLiteVectorStore(embeddings, { path, textKey: "body" });
    const [hit] = await again.similaritySearch("rust native code", 1);
    assert.equal(hit.pageContent, "rust compiles to fast native code");
    assert.equal(hit.metadata.text, "user field");
    await again.close();
  });
});
