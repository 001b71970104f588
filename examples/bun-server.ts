/**
 * A small HTTP search service on Bun.serve over one vectlite database, JSON in and out.
 *
 *   PORT=8080 DB=server.vdb DIMENSION=384 bun examples/bun-server.ts
 *
 * PORT defaults to 0 (a free port, printed on the first line of stdout as the server's URL);
 * HOST to 127.0.0.1; DB to ./server.vdb, created with DIMENSION (default 384) if missing.
 *
 *   POST /upsert  {"id": "a", "vector": [...], "metadata": {...}?, "text": "..."?}
 *                 text, when given, is indexed for keyword search (analyzed by the write) and kept as metadata.text
 *   POST /search  {"vector": [...]?, "text": "..."?, "k": 10?, "filter": {...}?, "efSearch": 64?}
 *                 vector: nearest neighbours; text: keyword (BM25); both: hybrid (linear fusion)
 *
 * Bad input is a 400 with {"error": {"code", "message"}}, the code a VectLiteError code
 * (INVALID_ARGUMENT, DIMENSION_MISMATCH, INVALID_FILTER, ...); SIGINT/SIGTERM close the
 * database before exiting.
 *
 * @module
 */
import { existsSync } from "node:fs";
import process from "node:process";
import * as vectlite from "../mod.ts";
import { type Filter, type Metadata, type SearchOptions, sparseTerms, VectLiteError } from "../mod.ts";

const path = process.env.DB ?? "server.vdb";
const dimension = Number(process.env.DIMENSION ?? 384);
const db = await vectlite.open(path, existsSync(path) ? {} : { dimension });

/** Error codes that mean "your request was wrong" (400); any other code is the server's problem (500). */
const CLIENT_ERRORS = new Set(["INVALID_ARGUMENT", "DIMENSION_MISMATCH", "DUPLICATE_ID", "INVALID_FILTER", "NOT_FOUND"]);

const bad = (message: string) => new VectLiteError("INVALID_ARGUMENT", message);

/** The request's JSON body, which must be an object. */
async function body(req: Request): Promise<Record<string, unknown>> {
  let value: unknown;
  try {
    value = await req.json();
  } catch {
    throw bad("the body must be valid JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw bad("the body must be a JSON object");
  return value as Record<string, unknown>;
}

async function upsert(req: Request): Promise<Response> {
  const { id, vector, metadata, text } = await body(req);
  if (typeof id !== "string") throw bad("id must be a string");
  if (!Array.isArray(vector)) throw bad("vector must be an array of numbers");
  if (metadata !== undefined && (typeof metadata !== "object" || metadata === null || Array.isArray(metadata))) {
    throw bad("metadata must be an object");
  }
  if (text !== undefined && typeof text !== "string") throw bad("text must be a string");
  const meta = { ...(metadata as Metadata | undefined), ...(text !== undefined ? { text } : {}) };
  await db.upsert(id, vector, meta, text !== undefined ? { text } : {});
  return Response.json({ ok: true, id });
}

async function search(req: Request): Promise<Response> {
  const { vector, text, k, filter, efSearch } = await body(req);
  if (vector === undefined && text === undefined) throw bad("give a vector, a text, or both");
  if (vector !== undefined && !Array.isArray(vector)) throw bad("vector must be an array of numbers");
  if (text !== undefined && typeof text !== "string") throw bad("text must be a string");
  const options: SearchOptions = {
    k: (k as number | undefined) ?? 10,
    filter: filter as Filter | undefined,
    efSearch: efSearch as number | undefined,
  };
  if (text !== undefined) options.sparse = sparseTerms(text);
  const results = await db.search((vector as number[] | undefined) ?? null, options);
  return Response.json({ results: results.map(({ id, score, namespace, metadata }) => ({ id, score, namespace, metadata })) });
}

const routes: Record<string, (req: Request) => Promise<Response>> = { "/upsert": upsert, "/search": search };

const server = Bun.serve({
  port: Number(process.env.PORT ?? 0),
  hostname: process.env.HOST ?? "127.0.0.1",
  async fetch(req) {
    const route = routes[new URL(req.url).pathname];
    if (!route) return Response.json({ error: { code: "NOT_FOUND", message: "POST /upsert or /search" } }, { status: 404 });
    if (req.method !== "POST") return Response.json({ error: { code: "INVALID_ARGUMENT", message: "use POST" } }, { status: 405 });
    try {
      return await route(req);
    } catch (e) {
      if (e instanceof VectLiteError) {
        return Response.json({ error: { code: e.code, message: e.message } }, { status: CLIENT_ERRORS.has(e.code) ? 400 : 500 });
      }
      console.error(e);
      return Response.json({ error: { code: "INTERNAL", message: String(e) } }, { status: 500 });
    }
  },
});

console.log(server.url.href);
console.error(`vectlite server: ${path} (dimension ${db.dimension}), POST /upsert, POST /search`);

async function shutdown(): Promise<void> {
  await server.stop();
  await db.close();
  console.error("vectlite server: database closed, exiting");
  process.exit(0);
}
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
