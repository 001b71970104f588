/**
 * Embedding with the Vercel AI SDK (`npm i ai`): `embedMany` fills the database in one
 * provider call, `embed` embeds each question; vectlite takes their results as they are.
 *
 *   bun examples/ai-sdk.ts ["your question"]      (or: deno run -A, node --import tsx)
 *
 * The model here is a local stand-in so the example runs offline: a provider model object
 * (the AI SDK's embedding-model interface) hashing words into 64 dimensions. With a real
 * provider, only the model line changes, e.g. `openai.embedding("text-embedding-3-small")`
 * from `@ai-sdk/openai` (and the dimension to 1536).
 *
 * @module
 */
import process from "node:process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { embed, embedMany } from "ai";
import { MockEmbeddingModelV4 } from "ai/test";
import * as vectlite from "../mod.ts";

const DIM = 64;

function hashWords(text: string): number[] {
  const v = new Array<number>(DIM).fill(0);
  for (const word of text.toLowerCase().match(/[a-z]+/g) ?? []) {
    let h = 0x811c9dc5;
    for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), 0x01000193);
    v[(h >>> 0) % DIM] += 1;
  }
  const norm = Math.hypot(...v) || 1;
  return v.map((x) => x / norm);
}

// The one line a real application replaces with its provider's embedding model.
const model = new MockEmbeddingModelV4({
  modelId: "local-word-hash",
  doEmbed: ({ values }) => Promise.resolve({ embeddings: values.map((v) => hashWords(String(v))), warnings: [] }),
});

const FAQ = [
  { id: "password", text: "To reset a forgotten password, choose Forgot password on the login page.", metadata: { topic: "account" } },
  { id: "invoice", text: "Invoices can be downloaded as PDF from the billing page.", metadata: { topic: "billing" } },
  { id: "sso", text: "Single sign-on works with SAML and OpenID Connect identity providers.", metadata: { topic: "account" } },
  { id: "refund", text: "Refunds are paid back to the original card within ten days.", metadata: { topic: "billing" } },
];

const question = process.argv[2] ?? "I forgot my password";
await using db = await vectlite.open(join(mkdtempSync(join(tmpdir(), "vectlite-ai-sdk-")), "faq.vdb"), { dimension: DIM });
await vectlite.upsertTexts(db, FAQ, (values) => embedMany({ model, values }));
const hits = await vectlite.searchText(db, question, (value) => embed({ model, value }), { k: 2 });
for (const hit of hits) console.log(`${hit.id} (${hit.score.toFixed(3)}): ${hit.metadata.text}`);
