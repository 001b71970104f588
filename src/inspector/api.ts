/**
 * The inspector's JSON handlers over one read-only Database: the overview, a page of records,
 * one record, a search with its explanation, and the 2-D map. Each takes what the server
 * parsed (a body or query parameters), checks it (validate.ts) and answers plain JSON; nothing
 * here can write, since the handle is read-only and no handler calls a write.
 *
 * @module
 */
import type { Database } from "../database.ts";
import { textMatch } from "../rerankers.ts";
import type { Filter, Metadata, MetadataValue, SearchOptions, SparseVector, StoredRecord } from "../types.ts";
import type { Embedder } from "./embed.ts";
import { pca2 } from "./pca.ts";
import { seededRandom } from "../seeded-random.ts";
import {
  boolField,
  enumField,
  filterField,
  HttpError,
  intField,
  invalid,
  LIMITS,
  numberField,
  objectBody,
  queryParam,
  stringField,
} from "./validate.ts";

/** Namespaces listed in the overview at most (a database may hold 100,000). */
const MAX_NAMESPACES = 1000;
/** Sparse terms shown of one record at most, the heaviest first. */
const MAX_TERMS = 200;
/** Vector values shown of one vector. */
const HEAD_VALUES = 12;
/** Metadata fields offered for colouring the map. */
const MAX_FIELDS = 40;

/** What the handlers need besides the database. */
export interface ApiOptions {
  /** Embeds a text query, making text searches hybrid (see embed.ts). */
  embed?: Embedder;
}

/** The JSON handlers of one inspector. */
export class InspectorApi {
  readonly #db: Database;
  readonly #embed: Embedder | undefined;
  readonly #openedAt = new Date().toISOString();

  constructor(db: Database, options: ApiOptions = {}) {
    this.#db = db;
    this.#embed = options.embed;
  }

  /** GET /api/overview: the file, its shape, and every namespace with its indexes. */
  async overview(): Promise<unknown> {
    const stats = await this.#db.stats();
    const names = Object.keys(stats.namespaces).sort();
    return {
      path: stats.path,
      openedAt: this.#openedAt,
      readOnly: stats.readOnly,
      fileBytes: stats.files.vdb.bytes,
      walBytes: stats.files.wal.bytes,
      dimension: stats.dimension,
      metric: stats.metric,
      quantization: stats.quantization,
      records: stats.records,
      indexesLoaded: stats.indexesLoaded,
      indexBuilds: stats.indexBuilds,
      analyzer: stats.analyzer,
      namespaceCount: names.length,
      namespaces: names.slice(0, MAX_NAMESPACES).map((name) => {
        const ns = stats.namespaces[name];
        return {
          name,
          records: ns.records,
          deadSlots: ns.deadSlots,
          index: ns.index,
          codes: ns.codes,
          named: ns.named,
          multiVectors: ns.multiVectors ?? {},
        };
      }),
      embed: this.#embed !== undefined,
      limits: { k: LIMITS.k, pageSize: LIMITS.pageSize, sample: LIMITS.sample, fetchK: LIMITS.fetchK },
    };
  }

  /** POST /api/list: a page of records matching a filter, walked with `listPage` cursors. */
  async list(raw: unknown): Promise<unknown> {
    const body = objectBody(raw, ["namespace", "filter", "limit", "cursor"]);
    const namespace = stringField(body, "namespace", "")!;
    const filter = filterField(body) as Filter | undefined;
    const limit = intField(body, "limit", 1, LIMITS.pageSize, 25)!;
    const cursor = stringField(body, "cursor");
    const matched = await this.#db.count({ namespace, filter });
    const page = await this.#db.listPage({ namespace, filter, limit, ...(cursor ? { after: cursor } : {}) });
    return { namespace, matched, cursor: page.cursor, records: page.records.map(summary) };
  }

  /** GET /api/record?namespace=&id=: one record whole, with its vectors summarised. */
  async record(params: URLSearchParams): Promise<unknown> {
    for (const key of params.keys()) {
      if (key !== "id" && key !== "namespace") throw invalid(key, "is not a parameter of /api/record (id, namespace)");
    }
    const id = queryParam(params, "id", true)!;
    const namespace = queryParam(params, "namespace", false) ?? "";
    if (namespace === "*") throw invalid("namespace", "must name one namespace");
    const record = await this.#db.get(id, { namespace, includeVectors: true });
    if (!record) throw new HttpError(404, "NOT_FOUND", `no record ${JSON.stringify(id)} in namespace ${JSON.stringify(namespace)}`);
    const terms = Object.entries(record.sparse ?? {}).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    return {
      id: record.id,
      namespace: record.namespace,
      metadata: record.metadata,
      expiresAt: record.expiresAt ?? null,
      sparse: { count: terms.length, terms: terms.slice(0, MAX_TERMS) },
      vector: record.vector ? vectorSummary(record.vector) : null,
      vectors: Object.fromEntries(Object.entries(record.vectors ?? {}).map(([name, v]) => [name, vectorSummary(v)])),
      multiVectors: Object.fromEntries(Object.entries(record.multiVectors ?? {}).map(([name, vs]) => [name, {
        count: vs.length,
        dimension: vs[0]?.length ?? 0,
        meanNorm: vs.reduce((s, v) => s + norm(v), 0) / Math.max(1, vs.length),
      }])),
    };
  }

  /**
   * POST /api/search: by text (BM25; hybrid with the embedder) or by a record's vector ("more
   * like this", the record itself left out), with k, filter, fusion, MMR and a text-match
   * reranker; every result carries its `explain`.
   */
  async search(raw: unknown): Promise<unknown> {
    const body = objectBody(raw, [
      "mode", "text", "id", "idNamespace", "namespace", "k", "filter", "fusion", "rrfK", "denseWeight", "sparseWeight",
      "mmrLambda", "fetchK", "vectorName", "rerankField", "rerankWeight", "hybrid",
    ]);
    const mode = enumField(body, "mode", ["text", "similar"] as const, "text");
    const namespace = stringField(body, "namespace", "")!;
    const k = intField(body, "k", 1, LIMITS.k, 10)!;
    const filter = filterField(body) as Filter | undefined;
    const fusion = enumField(body, "fusion", ["linear", "rrf"] as const, "linear");
    const rrfK = numberField(body, "rrfK", 0, 1e6);
    const denseWeight = numberField(body, "denseWeight", 0, 1e6);
    const sparseWeight = numberField(body, "sparseWeight", 0, 1e6);
    const mmrLambda = numberField(body, "mmrLambda", 0, 1);
    const text = stringField(body, "text")?.trim() || undefined;
    const vectorName = stringField(body, "vectorName") || undefined;
    const rerankField = stringField(body, "rerankField") || undefined;
    const rerankWeight = numberField(body, "rerankWeight", 0, 1e6, 0.2)!;
    const hybrid = body.hybrid === undefined ? true : boolField(body, "hybrid");

    let vector: Float32Array | null = null;
    let sparse: SparseVector | undefined;
    let dense: string | null = null;
    let exclude: { id: string; namespace: string } | undefined;
    if (text !== undefined) {
      sparse = this.#db.analyzer.sparseTerms(text);
      if (Object.keys(sparse).length === 0) sparse = undefined;
    }
    if (mode === "text") {
      if (text === undefined) throw invalid("text", "is missing: type the words to search for");
      if (vectorName) throw invalid("vectorName", "applies to a search by a record's vector");
      if (hybrid && this.#embed) {
        vector = await this.#embed(text);
        dense = "embedding of the text";
      }
      if (!sparse && !vector) throw invalid("text", `${JSON.stringify(text)} has no searchable words (only stopwords or punctuation)`);
    } else {
      const id = stringField(body, "id");
      if (!id) throw invalid("id", "is missing: the record whose vector to search with");
      const idNamespace = stringField(body, "idNamespace", namespace === "*" ? "" : namespace)!;
      const record = await this.#db.get(id, { namespace: idNamespace, includeVectors: true });
      if (!record) throw new HttpError(404, "NOT_FOUND", `no record ${JSON.stringify(id)} in namespace ${JSON.stringify(idNamespace)}`);
      vector = vectorName ? record.vectors?.[vectorName] ?? null : record.vector ?? null;
      if (!vector) throw invalid("vectorName", `record ${JSON.stringify(id)} has no vector named ${JSON.stringify(vectorName)}`);
      dense = vectorName ? `vector "${vectorName}" of record ${id}` : `vector of record ${id}`;
      exclude = { id: record.id, namespace: record.namespace };
    }
    // One more when the query record is left out of its own neighbours.
    const wanted = exclude ? k + 1 : k;
    const diversify = mmrLambda !== undefined || rerankField !== undefined;
    const fetchK = diversify ? Math.max(wanted, intField(body, "fetchK", 1, LIMITS.fetchK, Math.min(LIMITS.fetchK, 4 * wanted))!) : undefined;
    const options: SearchOptions = {
      k: wanted,
      filter,
      namespace,
      explain: true,
      fusion,
      ...(rrfK !== undefined ? { rrfK } : {}),
      ...(denseWeight !== undefined ? { denseWeight } : {}),
      ...(sparseWeight !== undefined ? { sparseWeight } : {}),
      ...(sparse ? { sparse } : {}),
      ...(vectorName ? { vectorName } : {}),
      ...(mmrLambda !== undefined ? { mmrLambda } : {}),
      ...(fetchK !== undefined ? { fetchK } : {}),
      ...(rerankField ? { rerank: textMatch({ field: rerankField, weight: rerankWeight }) } : {}),
      ...(text ? { queryText: text } : {}),
    };
    const { results, stats } = await this.#db.searchWithStats(vector, options);
    const kept = results.filter((r) => !(exclude && r.id === exclude.id && r.namespace === exclude.namespace)).slice(0, k);
    return {
      query: { mode, terms: sparse ?? {}, dense, hybrid: Boolean(vector && sparse), fusion, mmrLambda: mmrLambda ?? null, rerankField: rerankField ?? null },
      stats: {
        plan: stats.plan,
        usedAnn: stats.usedAnn,
        timings: stats.timings,
        visited: stats.visited,
        filtered: stats.filtered,
        rescored: stats.rescored,
        termStats: stats.termStats ?? {},
      },
      results: kept.map((r) => ({ id: r.id, namespace: r.namespace, score: r.score, metadata: preview(r.metadata, 0), explain: r.explain ?? null })),
    };
  }

  /**
   * POST /api/map: a sample of the vectors matching a filter (evenly spread over list order),
   * projected on their first two principal components, each point with its id and the value
   * of the metadata field chosen for colour; also the fields the sample has, to choose from.
   */
  async map(raw: unknown): Promise<unknown> {
    const body = objectBody(raw, ["namespace", "filter", "sample", "colorBy", "vectorName"]);
    const namespace = stringField(body, "namespace", "")!;
    const filter = filterField(body) as Filter | undefined;
    const colorBy = stringField(body, "colorBy") || undefined;
    const vectorName = stringField(body, "vectorName") || undefined;
    const requested = intField(body, "sample", 1, LIMITS.sample, 2000)!;
    let dimension = this.#db.dimension;
    if (vectorName) {
      const stats = await this.#db.stats();
      const space = Object.values(stats.namespaces).map((ns) => ns.named[vectorName]).find((s) => s !== undefined);
      if (!space) throw invalid("vectorName", `names no vector space of the database (${JSON.stringify(vectorName)})`);
      dimension = space.dimension;
    }
    const sample = Math.max(1, Math.min(requested, Math.floor(LIMITS.mapFloats / dimension)));
    const matched = await this.#db.count({ namespace, filter });
    const picked = await this.#sample(namespace, filter, matched, sample);
    const rows: { record: StoredRecord; vector: Float32Array }[] = [];
    for (const record of picked) {
      const vector = vectorName ? record.vectors?.[vectorName] : record.vector;
      if (vector) rows.push({ record, vector });
    }
    const projection = pca2(rows.map((r) => r.vector), this.#db.metric === "cosine");
    return {
      namespace,
      matched,
      sampled: rows.length,
      dimension,
      normalized: this.#db.metric === "cosine",
      explained: projection.explained,
      colorBy: colorBy ?? null,
      fields: fieldsOf(rows.map((r) => r.record.metadata)),
      points: rows.map((r, i) => ({
        id: r.record.id,
        namespace: r.record.namespace,
        x: round(projection.points[i][0]),
        y: round(projection.points[i][1]),
        value: colorBy ? colourValue(r.record.metadata, colorBy) : null,
      })),
    };
  }

  /**
   * Up to `sample` records with their vectors, drawn evenly from the matches: all of them when
   * they fit; otherwise one walk without vectors keeps a uniform random sample (reservoir
   * sampling, seeded, so the same database gives the same map; a fixed stride would alias with
   * data written in a repeating order), and only those records are then read with vectors.
   */
  async #sample(namespace: string, filter: Filter | undefined, matched: number, sample: number): Promise<StoredRecord[]> {
    const out: StoredRecord[] = [];
    if (matched <= sample) {
      for await (const record of this.#db.iterate({ namespace, filter, includeVectors: true, batchSize: 500 })) {
        out.push(record);
        if (out.length >= sample) break;
      }
      return out;
    }
    const random = seededRandom(0x5eed);
    const kept: { at: number; id: string; namespace: string }[] = [];
    let seen = 0;
    for await (const record of this.#db.iterate({ namespace, filter, batchSize: 2000 })) {
      const entry = { at: seen, id: record.id, namespace: record.namespace };
      if (kept.length < sample) kept.push(entry);
      else {
        const slot = Math.floor(random() * (seen + 1));
        if (slot < sample) kept[slot] = entry;
      }
      seen++;
    }
    kept.sort((a, b) => a.at - b.at);
    for (const { id, namespace: ns } of kept) {
      const record = await this.#db.get(id, { namespace: ns, includeVectors: true });
      if (record) out.push(record);
    }
    return out;
  }
}

/** A record as a row of the browser: its metadata shortened, its terms counted. */
function summary(record: StoredRecord): unknown {
  return {
    id: record.id,
    namespace: record.namespace,
    metadata: preview(record.metadata, 0),
    terms: record.sparse ? Object.keys(record.sparse).length : 0,
    expiresAt: record.expiresAt ?? null,
  };
}

/**
 * A metadata value cut down for a list or a result: long strings, long arrays, wide objects and
 * deep nesting shortened, so one large record cannot make a page large. The record view
 * shows it whole.
 */
export function preview(value: MetadataValue | Metadata, depth: number): MetadataValue {
  if (typeof value === "string") return value.length > 160 ? `${value.slice(0, 160)}…` : value;
  if (value === null || typeof value !== "object") return value;
  if (depth >= 3) return Array.isArray(value) ? "[…]" : "{…}";
  if (Array.isArray(value)) {
    const items = value.slice(0, 10).map((v) => preview(v, depth + 1));
    if (value.length > 10) items.push(`… ${value.length - 10} more`);
    return items;
  }
  const entries = Object.entries(value);
  const out: Record<string, MetadataValue> = {};
  for (const [key, v] of entries.slice(0, 16)) out[key] = preview(v, depth + 1);
  if (entries.length > 16) out["…"] = `${entries.length - 16} more keys`;
  return out;
}

/** A vector for people: its length, norm, range and first values. */
function vectorSummary(v: Float32Array): unknown {
  let min = Infinity, max = -Infinity;
  for (const x of v) {
    if (x < min) min = x;
    if (x > max) max = x;
  }
  return { dimension: v.length, norm: norm(v), min: v.length ? min : 0, max: v.length ? max : 0, head: Array.from(v.subarray(0, HEAD_VALUES)) };
}

function norm(v: Float32Array): number {
  let sq = 0;
  for (const x of v) sq += x * x;
  return Math.sqrt(sq);
}

/** Five significant digits: a map coordinate needs no more, and the answer stays small. */
function round(x: number): number {
  return Number(x.toPrecision(5));
}

/**
 * The metadata paths holding scalars (or lists of scalars) in the sample, the commonest first,
 * each with how many records have it and how many distinct values it takes (counted up to 100),
 * so the page can choose a field that colours the map in a few groups.
 */
function fieldsOf(all: Metadata[]): { path: string; count: number; distinct: number }[] {
  const seen = new Map<string, { count: number; values: Set<string> }>();
  const note = (path: string, value: MetadataValue) => {
    let entry = seen.get(path);
    if (!entry) seen.set(path, entry = { count: 0, values: new Set() });
    entry.count++;
    if (entry.values.size < 100) entry.values.add(JSON.stringify(value));
  };
  const walk = (value: MetadataValue, path: string, depth: number) => {
    if (value === null) return;
    if (Array.isArray(value)) {
      if (value.length && value.every((v) => v === null || typeof v !== "object")) note(path, value[0]);
      return;
    }
    if (typeof value === "object") {
      if (depth >= 3) return;
      for (const [key, v] of Object.entries(value).slice(0, 50)) walk(v, path ? `${path}.${key}` : key, depth + 1);
      return;
    }
    note(path, value);
  };
  for (const metadata of all) walk(metadata, "", 0);
  return [...seen.entries()]
    .sort((a, b) => b[1].count - a[1].count || (a[0] < b[0] ? -1 : 1))
    .slice(0, MAX_FIELDS)
    .map(([path, e]) => ({ path, count: e.count, distinct: e.values.size }));
}

/** The value at a dot path, as a colour key: a scalar, a list's first scalar, or null. */
function colourValue(metadata: Metadata, path: string): string | number | boolean | null {
  let value: MetadataValue | undefined = metadata;
  for (const part of path.split(".")) {
    if (value === null || typeof value !== "object" || Array.isArray(value) || !Object.hasOwn(value, part)) return null;
    value = (value as Record<string, MetadataValue>)[part];
  }
  if (Array.isArray(value)) value = value[0];
  if (value === undefined || value === null || typeof value === "object") return null;
  return typeof value === "string" && value.length > 60 ? `${value.slice(0, 60)}…` : value;
}
