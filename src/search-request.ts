/**
 * The TypeScript side of a search: its options checked and serialised, and its rows turned
 * into results (explain, stats, the reranker).
 *
 * @module
 */
import { checkOptions, decodeRows, MAX_COUNT_OPTION, namedVectorsJson, utf8, vectorListJson } from "./codec.ts";
import { VectLiteError } from "./errors.ts";
import type { Explain, SearchOptions, SearchResult, SearchStats, Vector } from "./types.ts";

/** A search's serialised options, and what turns the rows of one query into its results. */
export interface PreparedSearch {
  opts: Uint8Array;
  finish(bytes: Uint8Array, query: Vector | null): Promise<{ results: SearchResult[]; stats: SearchStats }>;
}

/**
 * Checks and serialises a search's options, and returns them with what turns the rows of one
 * query into its results (and runs the reranker, outside the call order: it may call the
 * database itself).
 */
export function prepareSearch(options: SearchOptions): PreparedSearch {
  if (typeof options !== "object" || options === null) throw new VectLiteError("INVALID_ARGUMENT", "search options must be an object");
  // rerank and queryText stay in TypeScript; named query vectors cross as JSON arrays.
  const { rerank, queryText, vectors, multiVector, ...nativeOptions } = options;
  if (rerank !== undefined && typeof rerank !== "function") {
    throw new VectLiteError("INVALID_ARGUMENT", "rerank must be a reranker function (see rerankers)");
  }
  if (queryText !== undefined && typeof queryText !== "string") {
    throw new VectLiteError("INVALID_ARGUMENT", "queryText must be a string");
  }
  const sent: Record<string, unknown> = { ...nativeOptions };
  if (vectors !== undefined) sent.vectors = namedVectorsJson(vectors, "vectors");
  if (multiVector !== undefined && multiVector !== null) {
    if (typeof multiVector !== "object" || Array.isArray(multiVector)) {
      throw new VectLiteError("INVALID_ARGUMENT", "multiVector must be an object { name, query, candidates? }");
    }
    // name and candidates are checked natively; the vectors cross as exact JSON arrays.
    // An undefined key is left out, as an undefined option is.
    const fields = Object.entries(multiVector).filter(([, v]) => v !== undefined);
    sent.multiVector = { ...Object.fromEntries(fields), query: vectorListJson(multiVector.query, "multiVector.query") };
  }
  const k = options.k ?? 10;
  if (rerank) {
    // k never crosses with a reranker (the pool does): it is checked here as the native
    // side checks it, and so is fetchK against it.
    const count = (name: string, v: unknown, min: number) => {
      if (!Number.isInteger(v) || (v as number) < min || (v as number) > MAX_COUNT_OPTION) {
        throw new VectLiteError("INVALID_ARGUMENT", `${name} must be an integer from ${min} to ${MAX_COUNT_OPTION}, found ${String(v)}`);
      }
    };
    count("k", k, 1);
    if (options.fetchK !== undefined) count("fetchK", options.fetchK, k);
    // Rerankers reorder a larger pool of fused candidates, then the best k are kept; the
    // pool is at most the largest k the native side takes (it returns no more records
    // than exist).
    sent.k = options.fetchK ?? Math.min(Math.max(4 * k, 10), MAX_COUNT_OPTION);
    if (options.mmrLambda !== undefined) sent.fetchK = sent.k;
  }
  checkOptions(sent, "search");
  return { opts: utf8(JSON.stringify(sent)), finish: (bytes, query) => finishSearch(bytes, query, options, k) };
}

async function finishSearch(
  bytes: Uint8Array,
  query: Vector | null,
  options: SearchOptions,
  k: number,
): Promise<{ results: SearchResult[]; stats: SearchStats }> {
  const { rerank, queryText } = options;
  const { rows, stats } = decodeRows(bytes);
  const dense = query !== null || (options.multiVector !== undefined && options.multiVector !== null);
  const fusion = options.sparse && dense ? (options.fusion ?? "linear") : "linear";
  const results: SearchResult[] = rows.map((r) => {
    const out: SearchResult = { id: r.id, score: r.score, namespace: r.namespace, metadata: r.metadata };
    if (r.vector) out.vector = r.vector;
    if (r.explain) {
      const { _: _marker, ...parts } = r.explain as Record<string, unknown>;
      out.explain = { fusion, ...parts } as Explain;
    }
    return out;
  });
  const s = (stats ?? {}) as Record<string, unknown>;
  const num = (k: string) => (typeof s[k] === "number" ? (s[k] as number) : 0);
  const out: SearchStats = {
    timings: {
      totalUs: num("totalUs"),
      denseUs: num("denseUs"),
      sparseUs: num("sparseUs"),
      fusionUs: num("fusionUs"),
      rerankUs: 0,
    },
    usedAnn: Boolean(s.usedAnn),
    plan: (s.plan as SearchStats["plan"]) ?? "exact",
    candidates: num("candidates"),
    visited: num("visited"),
    filtered: num("filtered"),
    rescored: num("rescored"),
  };
  if (s.termStats) out.termStats = s.termStats as SearchStats["termStats"];
  if (!rerank) return { results, stats: out };
  // The reranker runs outside the call order: it may call this database itself.
  const started = performance.now();
  const scores = await rerank({ query, text: queryText, sparse: options.sparse }, results);
  if (!Array.isArray(scores) || scores.length !== results.length || scores.some((x) => typeof x !== "number" || Number.isNaN(x))) {
    throw new VectLiteError("INVALID_ARGUMENT", `a reranker must return one number per candidate (${results.length})`);
  }
  const reranked = results.map((r, i) => {
    const out = { ...r, score: scores[i] };
    if (r.explain) out.explain = { ...r.explain, rerankScore: scores[i] };
    return out;
  });
  reranked.sort((a, b) => b.score - a.score || (a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  out.timings.rerankUs = Math.round((performance.now() - started) * 1000);
  return { results: reranked.slice(0, k), stats: out };
}
