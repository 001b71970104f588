/**
 * The inspector's optional text embedding: an HTTP endpoint the user names (`--embed-url`),
 * posted `{ "input": text }`, answering an embedding. With it a text search is hybrid (BM25 +
 * dense); without it, keyword only.
 *
 * @module
 */
import { HttpError } from "./validate.ts";

/** Turns a query text into a vector of the database's dimension. */
export type Embedder = (text: string) => Promise<Float32Array>;

/** How long an embedding may take before the search gives up. */
const TIMEOUT_MS = 15_000;
/** Bytes of an answer read at most (a 65,536-float embedding as JSON fits easily). */
const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

/**
 * An embedder posting to `url` (http or https). The answer may be a JSON array of numbers,
 * `{ "embedding": [...] }`, `{ "embeddings": [[...]] }` or `{ "data": [{ "embedding": [...] }] }`
 * (the shapes of common embedding servers); its length must be `dimension`.
 */
export function httpEmbedder(url: string, dimension: number): Embedder {
  const parsed = new URL(url);
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new Error(`--embed-url must be an http or https URL, found ${JSON.stringify(url)}`);
  return async (text) => {
    let answer: Response;
    try {
      answer = await fetch(parsed, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify({ input: text }),
        signal: AbortSignal.timeout(TIMEOUT_MS),
        redirect: "error",
      });
    } catch (e) {
      throw new HttpError(502, "EMBED_FAILED", `the embedding endpoint did not answer: ${(e as Error).message}`);
    }
    const body = await answer.text();
    if (!answer.ok) throw new HttpError(502, "EMBED_FAILED", `the embedding endpoint answered ${answer.status}: ${body.slice(0, 200)}`);
    if (body.length > MAX_ANSWER_BYTES) throw new HttpError(502, "EMBED_FAILED", "the embedding endpoint's answer is too large");
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      throw new HttpError(502, "EMBED_FAILED", "the embedding endpoint's answer is not JSON");
    }
    const vector = embeddingOf(json);
    if (!vector || vector.some((x) => typeof x !== "number" || !Number.isFinite(x))) {
      throw new HttpError(502, "EMBED_FAILED", "the embedding endpoint's answer holds no embedding (an array of finite numbers)");
    }
    if (vector.length !== dimension) {
      throw new HttpError(502, "EMBED_FAILED", `the embedding has ${vector.length} values; the database's dimension is ${dimension}`);
    }
    return Float32Array.from(vector as number[]);
  };
}

/** The embedding in any of the answer shapes `httpEmbedder` accepts. */
function embeddingOf(json: unknown): unknown[] | undefined {
  if (Array.isArray(json)) return Array.isArray(json[0]) ? json[0] : json;
  if (typeof json !== "object" || json === null) return undefined;
  const o = json as Record<string, unknown>;
  if (Array.isArray(o.embedding)) return o.embedding;
  if (Array.isArray(o.embeddings) && Array.isArray(o.embeddings[0])) return o.embeddings[0];
  if (Array.isArray(o.data)) {
    const first = o.data[0] as { embedding?: unknown } | undefined;
    if (first && Array.isArray(first.embedding)) return first.embedding;
  }
  return undefined;
}
