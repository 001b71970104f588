/**
 * Retrieval for a RAG prompt, on Deno: index a few paragraphs with `upsertText` (a dense
 * embedding and BM25 terms from the same text), retrieve the best ones for a question with
 * `searchText` (hybrid search), and print the prompt you would send to a language model.
 *
 *   deno run -A examples/deno-rag.ts ["your question"]
 *
 * The embedding here is a toy: the question's and the paragraphs' analysed terms hashed into
 * 256 dimensions (deterministic, no model to download). Replace `embed` with a real model
 * (e.g. a 384-dimension sentence embedder) and the rest stays the same.
 *
 * @module
 */
import * as vectlite from "../mod.ts";
import { searchText, sparseTerms, upsertText } from "../mod.ts";

const DIM = 256;

/** FNV-1a: a stable 32-bit hash of a string. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** A toy embedding: each analysed term's weight added to a hashed dimension with a hashed sign, then normalised. */
function embed(text: string): Float32Array {
  const v = new Float32Array(DIM);
  for (const [term, weight] of Object.entries(sparseTerms(text))) {
    const h = hash(term);
    v[h % DIM] += (h & 0x80000000 ? -1 : 1) * weight;
  }
  const norm = Math.hypot(...v) || 1;
  return v.map((x) => x / norm);
}

const PARAGRAPHS: Record<string, string> = {
  "password-reset":
    "To reset a forgotten password, open the login page and choose 'Forgot password'. We email a reset link that stays valid for 30 minutes.",
  "sso":
    "Enterprise accounts can sign in with single sign-on through SAML or OpenID Connect. An administrator configures the identity provider.",
  "billing":
    "Invoices are issued on the first day of each billing cycle. You can change the payment card from the billing settings at any time.",
  "data-export":
    "Every workspace can export its data as JSON or CSV from the settings page; large exports are emailed as a download link.",
  "two-factor":
    "Two-factor authentication adds a one-time code from an authenticator app to your password when you log in.",
};

const question = Deno.args[0] ?? "How can I reset my password if I forgot it?";
const dir = await Deno.makeTempDir({ prefix: "vectlite-rag-" });
try {
  await using db = await vectlite.open(`${dir}/rag.vdb`, { dimension: DIM });
  for (const [id, text] of Object.entries(PARAGRAPHS)) await upsertText(db, id, text, embed, { source: "help-center" });

  const hits = await searchText(db, question, embed, { k: 2 });
  const context = hits.map((h, i) => `[${i + 1}] (${h.id}, score ${h.score.toFixed(3)}) ${h.metadata.text}`).join("\n");
  console.log(`Retrieved: ${hits.map((h) => h.id).join(", ")}\n`);
  console.log(
    [
      "You are a support assistant. Answer the question using only the context below, and cite the",
      "passages you use by their number. If the context does not contain the answer, say so.",
      "",
      "Context:",
      context,
      "",
      `Question: ${question}`,
      "Answer:",
    ].join("\n"),
  );
} finally {
  await Deno.remove(dir, { recursive: true });
}
