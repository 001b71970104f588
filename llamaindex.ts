/**
 * A LlamaIndex.TS vector store backed by a vectlite database (`@llamaindex/core` is a peer
 * dependency: install it, or `llamaindex`, beside vectlite).
 *
 * ```ts
 * import { Document, storageContextFromDefaults, VectorStoreIndex } from "llamaindex";
 * import { VectLiteLlamaStore } from "vectlite/llamaindex";
 *
 * await using db = await vectlite.open("notes.vdb", { dimension: 1536 });
 * const storageContext = await storageContextFromDefaults({ vectorStore: new VectLiteLlamaStore({ db }) });
 * const index = await VectorStoreIndex.fromDocuments([new Document({ text: "..." })], { storageContext });
 * const nodes = await index.asRetriever({ similarityTopK: 3 }).retrieve("a question");
 * ```
 *
 * A node is one record: its id, its embedding, its metadata keys at the top level of the
 * record's metadata (so metadata filters become the project's filter language on them), and
 * LlamaIndex's own fields beside them (`_node_content`, `_node_type`, `doc_id`, `ref_doc_id`,
 * `document_id`), from which a query rebuilds the node; its text is also analyzed into the
 * record's keyword terms, for the `hybrid` and `sparse` query modes.
 *
 * @module
 */
import { BaseVectorStore, metadataDictToNode, nodeToMetadata, VectorStoreQueryMode } from "@llamaindex/core/vector-store";
import type { MetadataFilter, MetadataFilters, VectorStoreQuery, VectorStoreQueryResult } from "@llamaindex/core/vector-store";
import { type BaseNode, MetadataMode } from "@llamaindex/core/schema";
import type { BaseEmbedding } from "@llamaindex/core/embeddings";
import type { Database, Filter, Metadata, RecordInput, SearchOptions } from "./mod.ts";
import { VectLiteError } from "./mod.ts";

/** How a `VectLiteLlamaStore` reaches its database. */
export interface VectLiteLlamaStoreConfig {
  /** An open database (the store never closes it). */
  db: Database;
  /** The namespace the store reads and writes (default `""`). */
  namespace?: string;
  /**
   * The embedding model queries through this store use (default: LlamaIndex's
   * `Settings.embedModel`; LlamaIndex refuses to make a store without either).
   */
  embedModel?: BaseEmbedding;
}

/** A LlamaIndex.TS `BaseVectorStore` over one namespace of a vectlite database. */
export class VectLiteLlamaStore extends BaseVectorStore<Database> {
  /** The node text is stored (inside the node's content), so LlamaIndex needs no docstore to read it back. */
  storesText = true;
  readonly #db: Database;
  readonly #namespace: string;

  /** A store over `config.db`, in `config.namespace`. */
  constructor(config: VectLiteLlamaStoreConfig) {
    super(config?.embedModel ? { embedModel: config.embedModel } : {});
    if (!config?.db) throw new VectLiteError("INVALID_ARGUMENT", "VectLiteLlamaStore needs { db }, an open database");
    this.#db = config.db;
    this.#namespace = config.namespace ?? "";
  }

  /** The database. */
  client(): Database {
    return this.#db;
  }

  /** Writes the nodes (with their embeddings) in one transaction; resolves with their ids. */
  async add(nodes: BaseNode[]): Promise<string[]> {
    if (nodes.length === 0) return [];
    const records: RecordInput[] = nodes.map((node) => {
      const vector = node.getEmbedding();
      if (!vector || vector.length === 0) {
        throw new VectLiteError("INVALID_ARGUMENT", `node ${JSON.stringify(node.id_)} has no embedding`, { id: node.id_ });
      }
      return {
        id: node.id_,
        vector,
        metadata: nodeToMetadata(node) as Metadata,
        text: node.getContent(MetadataMode.NONE),
      };
    });
    await this.#db.upsertMany(records, { namespace: this.#namespace });
    return nodes.map((n) => n.id_);
  }

  /** Deletes every node of the source document `refDocId`. */
  async delete(refDocId: string): Promise<void> {
    await this.#db.deleteByFilter({ ref_doc_id: refDocId }, { namespace: this.#namespace });
  }

  /**
   * The `similarityTopK` nodes for the query: dense (`default`), MMR (`mmr`, `mmrThreshold` as
   * the relevance weight, default 0.5), keyword only (`sparse`, from `queryStr`) or both fused
   * (`hybrid`, `alpha` the dense side's weight, default 0.5); `filters` and `docIds` restrict it.
   */
  async query(query: VectorStoreQuery): Promise<VectorStoreQueryResult> {
    const filter = this.#filterOf(query);
    const options: SearchOptions = { k: query.similarityTopK, namespace: this.#namespace, ...(filter ? { filter } : {}) };
    const mode = query.mode ?? VectorStoreQueryMode.DEFAULT;
    const keyword = mode === VectorStoreQueryMode.SPARSE || mode === VectorStoreQueryMode.HYBRID;
    if (keyword) {
      if (!query.queryStr) throw new VectLiteError("INVALID_ARGUMENT", `query mode ${mode} needs queryStr`);
      options.sparse = this.#db.analyzer.sparseTerms(query.queryStr);
    }
    if (mode === VectorStoreQueryMode.HYBRID) {
      const alpha = query.alpha ?? 0.5;
      options.denseWeight = alpha;
      options.sparseWeight = 1 - alpha;
    }
    if (mode === VectorStoreQueryMode.MMR) options.mmrLambda = query.mmrThreshold ?? 0.5;
    const dense = mode === VectorStoreQueryMode.SPARSE ? null : query.queryEmbedding;
    if (dense === undefined) throw new VectLiteError("INVALID_ARGUMENT", `query mode ${mode} needs queryEmbedding`);
    const hits = await this.#db.search(dense, options);
    return {
      nodes: hits.map((h) => metadataDictToNode(h.metadata as Record<string, unknown>, { fallback: { id_: h.id } })),
      similarities: hits.map((h) => h.score),
      ids: hits.map((h) => h.id),
    };
  }

  #filterOf(query: VectorStoreQuery): Filter | undefined {
    const parts: Filter[] = [];
    if (query.filters && query.filters.filters.length > 0) parts.push(translateFilters(query.filters));
    if (query.docIds && query.docIds.length > 0) parts.push({ doc_id: { $in: query.docIds } });
    return parts.length === 0 ? undefined : parts.length === 1 ? parts[0] : { $and: parts };
  }
}

/**
 * LlamaIndex metadata filters in the project's filter language: `==` `!=` `>` `<` `>=` `<=`
 * `in` `nin` as they read; `contains` (a list holds the value) and `text_match` (a string
 * holds it) are `$contains`; `any` and `all` (a list holds any / all of the values) are an
 * `$or` / `$and` of `$contains`; `is_empty` matches a missing key, null or an empty list.
 */
export function translateFilters(filters: MetadataFilters): Filter {
  const each = filters.filters.map(translateFilter);
  if (each.length === 1) return each[0];
  return filters.condition === "or" ? { $or: each } : { $and: each };
}

function translateFilter(f: MetadataFilter): Filter {
  const { key, value } = f;
  const list = () => {
    if (!Array.isArray(value)) throw new VectLiteError("INVALID_FILTER", `metadata filter ${f.operator} on ${JSON.stringify(key)} needs a list of values`);
    return value as (string | number)[];
  };
  switch (f.operator) {
    case "==":
      return { [key]: { $eq: value } } as Filter;
    case "!=":
      return { [key]: { $ne: value } } as Filter;
    case ">":
      return { [key]: { $gt: value } } as Filter;
    case "<":
      return { [key]: { $lt: value } } as Filter;
    case ">=":
      return { [key]: { $gte: value } } as Filter;
    case "<=":
      return { [key]: { $lte: value } } as Filter;
    case "in":
      return { [key]: { $in: list() } } as Filter;
    case "nin":
      return { [key]: { $nin: list() } } as Filter;
    case "contains":
    case "text_match":
      return { [key]: { $contains: value } } as Filter;
    case "any":
      return { $or: list().map((v) => ({ [key]: { $contains: v } }) as Filter) };
    case "all":
      return { $and: list().map((v) => ({ [key]: { $contains: v } }) as Filter) };
    case "is_empty":
      return { $or: [{ [key]: { $exists: false } }, { [key]: { $eq: null } }, { [key]: { $size: 0 } }] as Filter[] };
    default:
      throw new VectLiteError("INVALID_FILTER", `unknown metadata filter operator ${JSON.stringify(f.operator)}`);
  }
}
