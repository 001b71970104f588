/**
 * Rerankers: functions that take the query context and the fused candidates and return new
 * scores (sync or async). Pass one as `search(q, { rerank })`; the results are re-sorted by
 * the new scores and each result's `explain.rerankScore` (with `explain: true`) shows it.
 *
 * ```ts
 * const rerank = rerankers.compose(
 *   rerankers.textMatch({ field: "text", weight: 0.2 }),
 *   rerankers.metadataBoost("source", { docs: 0.1 }),
 * );
 * await db.search(q, { k: 5, rerank, queryText: "reset a password" });
 * ```
 *
 * @module
 */
import { VectLiteError } from "./errors.ts";
import type { Metadata, SearchResult, SparseVector, Vector } from "./types.ts";

/** What a reranker knows about the query. */
export interface RerankContext {
  /** The query vector, or null for a keyword search. */
  query: Vector | null;
  /** The query's text (`queryText`, set by `searchText`), when known. */
  text?: string;
  /** The sparse query terms, when given. */
  sparse?: SparseVector;
}

/** Takes the candidates (best first) and returns one new score per candidate, in order. */
export type Reranker = (context: RerankContext, candidates: readonly SearchResult[]) => number[] | Promise<number[]>;

function fieldText(metadata: Metadata, field: string): string {
  const v = metadata[field];
  if (typeof v === "string") return v;
  if (Array.isArray(v)) return v.filter((x) => typeof x === "string").join(" ");
  return "";
}

function queryWords(context: RerankContext): string[] {
  const source = context.text ?? (context.sparse ? Object.keys(context.sparse).join(" ") : "");
  return [...new Set(source.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [])];
}

/**
 * Adds `weight` times the fraction of the query's words found (case-insensitively) in the
 * candidate's `metadata[field]` text (default field `"text"`, weight 0.1).
 */
export function textMatch(options: { field?: string; weight?: number } = {}): Reranker {
  const field = options.field ?? "text";
  const weight = options.weight ?? 0.1;
  return (context, candidates) => {
    const words = queryWords(context);
    return candidates.map((c) => {
      if (words.length === 0) return c.score;
      const text = fieldText(c.metadata, field).toLowerCase();
      const found = words.filter((w) => text.includes(w)).length;
      return c.score + weight * (found / words.length);
    });
  };
}

/** Adds `boosts[value]` when `metadata[field]` equals `value` (or, for a list, contains it). */
export function metadataBoost(field: string, boosts: Record<string, number>): Reranker {
  if (typeof field !== "string" || typeof boosts !== "object" || boosts === null) {
    throw new VectLiteError("INVALID_ARGUMENT", "metadataBoost(field, { value: boost }) needs a field name and an object of boosts");
  }
  return (_context, candidates) =>
    candidates.map((c) => {
      const v = c.metadata[field];
      const values = Array.isArray(v) ? v : [v];
      let boost = 0;
      for (const x of values) if ((typeof x === "string" || typeof x === "number" || typeof x === "boolean") && String(x) in boosts) boost += boosts[String(x)];
      return c.score + boost;
    });
}

/**
 * Scores each candidate with a user model: `score(queryText, candidateText)` (a cross-encoder),
 * replacing the fused score. Needs the query text (`queryText`, or `searchText`).
 */
export function crossEncoder(score: (query: string, text: string) => number | Promise<number>, options: { field?: string } = {}): Reranker {
  const field = options.field ?? "text";
  return async (context, candidates) => {
    if (context.text === undefined) {
      throw new VectLiteError("INVALID_ARGUMENT", "crossEncoder needs the query text: pass queryText or use searchText");
    }
    return await Promise.all(candidates.map((c) => score(context.text!, fieldText(c.metadata, field))));
  };
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}

/**
 * Embeds the query text and each candidate's text with `embed` (a bi-encoder) and scores
 * them by cosine similarity, replacing the fused score. Needs the query text.
 */
export function biEncoder(embed: (text: string) => Vector | Promise<Vector>, options: { field?: string } = {}): Reranker {
  const field = options.field ?? "text";
  return async (context, candidates) => {
    if (context.text === undefined) {
      throw new VectLiteError("INVALID_ARGUMENT", "biEncoder needs the query text: pass queryText or use searchText");
    }
    const q = await embed(context.text);
    const docs = await Promise.all(candidates.map((c) => embed(fieldText(c.metadata, field))));
    return docs.map((d) => cosine(q, d));
  };
}

/** Applies rerankers in turn: each sees the scores the previous one produced. */
export function compose(...rerankers: Reranker[]): Reranker {
  return async (context, candidates) => {
    let current = candidates.map((c) => ({ ...c }));
    for (const r of rerankers) {
      const scores = await r(context, current);
      current = current.map((c, i) => ({ ...c, score: scores[i] }));
    }
    return current.map((c) => c.score);
  };
}
