import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { embed, embedMany } from "ai";
import { MockEmbeddingModelV4 } from "ai/test";
import * as vectlite from "../mod.ts";
import { rejectsWith, tempDb, wordHashEmbedding } from "./helpers.ts";

const DIM = 16;

const hashEmbed = (text: string) => wordHashEmbedding(text, DIM);

/** A fake AI SDK provider model: the SDK's own `embed`/`embedMany` call it as they call any provider. */
function fakeModel() {
  return new MockEmbeddingModelV4({
    maxEmbeddingsPerCall: 100,
    doEmbed: ({ values }) => Promise.resolve({ embeddings: values.map((v) => hashEmbed(String(v))), warnings: [] }),
  });
}

const DOCS = [
  { id: "reset", text: "how to reset a forgotten password", metadata: { section: "account" } },
  { id: "invoice", text: "download an invoice as a pdf", metadata: { section: "billing" } },
  { id: "sso", text: "sign in with single sign on", metadata: { section: "account" } },
];

describe("the Vercel AI SDK's embed and embedMany", () => {
  it("store with embedMany and search with embed, their results taken as they are", async () => {
    const model = fakeModel();
    await using db = await vectlite.open(tempDb(), { dimension: DIM });
    assert.equal(await vectlite.upsertTexts(db, DOCS, (values) => embedMany({ model, values })), 3);
    assert.equal(model.doEmbedCalls.length, 1, "one provider call for the batch");
    await vectlite.upsertText(db, "pdf", "export a report to pdf", (value) => embed({ model, value }), { section: "reports" });
    const hits = await vectlite.searchText(db, "forgot my password", (value) => embed({ model, value }), { k: 2 });
    assert.equal(hits[0].id, "reset");
    const billing = await vectlite.searchText(db, "pdf invoice", (value) => embed({ model, value }), { k: 3, filter: { section: "billing" } });
    assert.deepEqual(billing.map((h) => h.id), ["invoice"]);
    const stored = await db.get("sso", { includeVectors: true });
    assert.deepEqual(stored?.metadata, { text: "sign in with single sign on", section: "account" });
    assert.deepEqual(Array.from(stored!.vector!), Array.from(Float32Array.from(hashEmbed(DOCS[2].text))), "the SDK's vector, as float32");
    assert.ok(stored?.sparse && "sign" in stored.sparse, "the text's keyword terms");
  });

  it("refuses an embedMany that gives the wrong number of vectors, writing nothing", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: DIM });
    await rejectsWith(() => vectlite.upsertTexts(db, DOCS, () => Promise.resolve({ embeddings: [hashEmbed("x")] })), "INVALID_ARGUMENT", /1 vectors for 3 texts/);
    await rejectsWith(() => vectlite.upsertTexts(db, [{ id: "a", text: 5 as unknown as string }], () => []), "INVALID_ARGUMENT", /records\[0\]\.text/);
    assert.equal(await vectlite.upsertTexts(db, [], () => []), 0);
    assert.equal(await db.count(), 0);
  });
});
