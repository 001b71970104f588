/**
 * A LangChain.js vector store backed by a vectlite database (`@langchain/core` is a peer
 * dependency: install it beside vectlite).
 *
 * ```ts
 * import { VectLiteVectorStore } from "vectlite/langchain";
 *
 * const store = await VectLiteVectorStore.fromTexts(
 *   ["vectlite is embedded", "Postgres is a server"],
 *   [{ kind: "db" }, { kind: "db" }],
 *   embeddings,
 *   { path: "notes.vdb" },
 * );
 * const docs = await store.similaritySearch("an embedded database", 1, { kind: "db" });
 * const retriever = store.asRetriever({ k: 4, searchType: "mmr" });
 * await store.close();
 * ```
 *
 * A document is one record: its `pageContent` is kept in the metadata under `textKey`
 * (default `"text"`, where the rerankers read it) and analyzed into the record's keyword terms
 * (so `hybrid` searches and BM25 work on it), its `metadata` keys sit beside it (filters use
 * the project's filter language on them: `{ year: { $gte: 2024 } }`), its `id` is the record
 * id (a random UUID when it has none). Scores are the database's: higher is nearer.
 *
 * @module
 */
import { VectorStore } from "@langchain/core/vectorstores";
import type { MaxMarginalRelevanceSearchOptions } from "@langchain/core/vectorstores";
import type { EmbeddingsInterface } from "@langchain/core/embeddings";
import { Document, type DocumentInterface } from "@langchain/core/documents";
import { type Database, type Filter, type Metadata, open, type OpenOptions, type RecordInput, VectLiteError } from "./mod.ts";

/** How a `VectLiteVectorStore` reaches its database. */
export interface VectLiteStoreConfig {
  /** An open database; the store does not close it. */
  db?: Database;
  /** Or a path: the store opens it (creating it with the embeddings' dimension) and `close()` closes it. */
  path?: string;
  /** Options for opening `path` (its `dimension` is taken from the first vectors when absent). */
  openOptions?: OpenOptions;
  /** The namespace the store reads and writes (default `""`). */
  namespace?: string;
  /** The metadata key that holds a document's `pageContent` (default `"text"`). */
  textKey?: string;
  /**
   * Search with the query's keyword terms too (hybrid fusion of dense and BM25 scores) in
   * `similaritySearch` and `similaritySearchWithScore`. Default false: dense only.
   */
  hybrid?: boolean;
}

/** Options of `addDocuments` and `addVectors`. */
export interface VectLiteAddOptions {
  /** Record ids, one per document (else each document's `id`, else a random UUID). */
  ids?: string[];
}

/** A LangChain `VectorStore` over one namespace of a vectlite database. */
export class VectLiteVectorStore extends VectorStore {
  /** Filters are the project's filter language (docs/filters.md). */
  declare FilterType: Filter;
  #db: Database | undefined;
  readonly #config: VectLiteStoreConfig;
  readonly #namespace: string;
  readonly #textKey: string;
  #owned = false;
  #opening: Promise<Database> | undefined;

  /** A store over `config.db`, or over the database at `config.path` opened on first use. */
  constructor(embeddings: EmbeddingsInterface, config: VectLiteStoreConfig) {
    super(embeddings, config as Record<string, unknown>);
    if (!config || (config.db === undefined) === (config.path === undefined)) {
      throw new VectLiteError("INVALID_ARGUMENT", "VectLiteVectorStore needs one of db (an open database) and path");
    }
    this.#config = config;
    this.#db = config.db;
    this.#namespace = config.namespace ?? "";
    this.#textKey = config.textKey ?? "text";
  }

  /** The vector store's type, as LangChain names it. */
  _vectorstoreType(): string {
    return "vectlite";
  }

  /** The database, opened from `path` on first use (with `dimension`, for a new one). */
  async database(dimension?: number): Promise<Database> {
    if (this.#db) return this.#db;
    this.#opening ??= (async () => {
      const options: OpenOptions = { ...this.#config.openOptions };
      if (options.dimension === undefined && dimension !== undefined) options.dimension = dimension;
      const db = await open(this.#config.path!, options);
      this.#db = db;
      this.#owned = true;
      return db;
    })();
    try {
      return await this.#opening;
    } catch (e) {
      this.#opening = undefined;
      throw e;
    }
  }

  /** Closes the database if the store opened it (from `path`). */
  async close(): Promise<void> {
    if (this.#owned && this.#db) await this.#db.close();
  }

  /** Writes documents with their vectors, in one transaction; resolves with their ids. */
  async addVectors(vectors: number[][], documents: DocumentInterface[], options: VectLiteAddOptions = {}): Promise<string[]> {
    if (vectors.length !== documents.length) {
      throw new VectLiteError("INVALID_ARGUMENT", `${vectors.length} vectors for ${documents.length} documents`);
    }
    if (options.ids && options.ids.length !== documents.length) {
      throw new VectLiteError("INVALID_ARGUMENT", `${options.ids.length} ids for ${documents.length} documents`);
    }
    if (documents.length === 0) return [];
    const ids = documents.map((doc, i) => options.ids?.[i] ?? doc.id ?? crypto.randomUUID());
    const records: RecordInput[] = documents.map((doc, i) => ({
      id: ids[i],
      vector: vectors[i],
      metadata: this.#metadataOf(doc, ids[i]),
      text: doc.pageContent,
    }));
    const db = await this.database(vectors[0].length);
    await db.upsertMany(records, { namespace: this.#namespace });
    return ids;
  }

  /** Embeds the documents' `pageContent` and writes them; resolves with their ids. */
  async addDocuments(documents: DocumentInterface[], options: VectLiteAddOptions = {}): Promise<string[]> {
    const vectors = await this.embeddings.embedDocuments(documents.map((d) => d.pageContent));
    return await this.addVectors(vectors, documents, options);
  }

  /** The `k` documents nearest `query`, with their scores (higher is nearer), best first. */
  async similaritySearchVectorWithScore(query: number[], k: number, filter?: Filter): Promise<[DocumentInterface, number][]> {
    const db = await this.database(query.length);
    const hits = await db.search(query, { k, namespace: this.#namespace, ...(filter ? { filter } : {}) });
    return hits.map((h) => [this.#documentOf(h.id, h.metadata), h.score]);
  }

  /**
   * `similaritySearchWithScore`, with the query's keyword terms fused in when the store was
   * made with `hybrid: true`.
   */
  override async similaritySearchWithScore(query: string, k = 4, filter?: Filter): Promise<[DocumentInterface, number][]> {
    if (!this.#config.hybrid) return await super.similaritySearchWithScore(query, k, filter);
    const vector = await this.embeddings.embedQuery(query);
    const db = await this.database(vector.length);
    const hits = await db.search(vector, {
      k,
      namespace: this.#namespace,
      sparse: db.analyzer.sparseTerms(query),
      ...(filter ? { filter } : {}),
    });
    return hits.map((h) => [this.#documentOf(h.id, h.metadata), h.score]);
  }

  /** `similaritySearch`, hybrid when the store was made with `hybrid: true`. */
  override async similaritySearch(query: string, k = 4, filter?: Filter): Promise<DocumentInterface[]> {
    return (await this.similaritySearchWithScore(query, k, filter)).map(([doc]) => doc);
  }

  /**
   * Maximal marginal relevance, in the database: `fetchK` candidates (default 20), of which
   * `k` are chosen trading relevance against similarity to those already chosen (`lambda`:
   * 1 relevance only, 0 diversity only; default 0.5).
   */
  override async maxMarginalRelevanceSearch(query: string, options: MaxMarginalRelevanceSearchOptions<Filter>): Promise<DocumentInterface[]> {
    const vector = await this.embeddings.embedQuery(query);
    const db = await this.database(vector.length);
    const hits = await db.search(vector, {
      k: options.k,
      fetchK: options.fetchK ?? 20,
      mmrLambda: options.lambda ?? 0.5,
      namespace: this.#namespace,
      ...(options.filter ? { filter: options.filter } : {}),
    });
    return hits.map((h) => this.#documentOf(h.id, h.metadata));
  }

  /** Deletes documents by `ids`, or every document matching `filter`. */
  override async delete(params: { ids?: string[]; filter?: Filter } = {}): Promise<void> {
    if ((params.ids === undefined) === (params.filter === undefined)) {
      throw new VectLiteError("INVALID_ARGUMENT", "delete takes ids or a filter (one of them)");
    }
    const db = await this.database();
    if (params.ids) await db.deleteMany(params.ids, { namespace: this.#namespace });
    else await db.deleteByFilter(params.filter!, { namespace: this.#namespace });
  }

  /** A store over `config`'s database holding `texts`, each with its metadata (or one for all). */
  static override async fromTexts(
    texts: string[],
    metadatas: object[] | object,
    embeddings: EmbeddingsInterface,
    config: VectLiteStoreConfig,
  ): Promise<VectLiteVectorStore> {
    const docs = texts.map((pageContent, i) =>
      new Document({ pageContent, metadata: { ...(Array.isArray(metadatas) ? metadatas[i] : metadatas) } })
    );
    return await VectLiteVectorStore.fromDocuments(docs, embeddings, config);
  }

  /** A store over `config`'s database holding `docs`. */
  static override async fromDocuments(docs: DocumentInterface[], embeddings: EmbeddingsInterface, config: VectLiteStoreConfig): Promise<VectLiteVectorStore> {
    const store = new VectLiteVectorStore(embeddings, config);
    await store.addDocuments(docs);
    return store;
  }

  #metadataOf(doc: DocumentInterface, id: string): Metadata {
    const metadata = (doc.metadata ?? {}) as Metadata;
    if (Object.hasOwn(metadata, this.#textKey)) {
      throw new VectLiteError(
        "INVALID_ARGUMENT",
        `document ${JSON.stringify(id)}: its metadata has the key ${JSON.stringify(this.#textKey)}, where the store keeps pageContent (choose another textKey)`,
        { id },
      );
    }
    return { ...metadata, [this.#textKey]: doc.pageContent };
  }

  #documentOf(id: string, metadata: Metadata): DocumentInterface {
    const { [this.#textKey]: text, ...rest } = metadata;
    return new Document({ id, pageContent: typeof text === "string" ? text : "", metadata: rest });
  }
}
