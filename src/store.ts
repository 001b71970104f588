/**
 * A Store: a directory of independent databases ("collections"), one `<name>.vdb` each.
 *
 * @module
 */
import { mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { checkPath } from "./codec.ts";
import { open, type Database } from "./database.ts";
import { VectLiteError } from "./errors.ts";
import type { OpenOptions } from "./types.ts";

/** Collection names: a safe file name on every platform, so never a path. */
const SAFE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

function checkName(name: unknown): string {
  if (typeof name !== "string" || !SAFE_NAME.test(name) || name.includes("..")) {
    throw new VectLiteError(
      "INVALID_ARGUMENT",
      `collection name ${JSON.stringify(name)} is not a safe file name (letters, digits, _ . -, not starting with . or -, no "..", at most 128 characters)`,
    );
  }
  return name;
}

/**
 * Opens (creating if needed) a directory of collections.
 *
 * ```ts
 * await using store = await vectlite.openStore("./data");
 * const docs = await store.openOrCreateCollection("docs", { dimension: 384 });
 * ```
 */
export async function openStore(dir: string): Promise<Store> {
  checkPath(dir, "dir");
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new VectLiteError("IO", `cannot create store directory ${dir}: ${(e as Error).message}`);
  }
  if (!statSync(dir).isDirectory()) throw new VectLiteError("IO", `${dir} is not a directory`);
  return new Store(dir);
}

/** A directory of collections. Collections opened through it are closed with it. */
export class Store {
  #dir: string;
  #open = new Map<string, Database>();
  #closed = false;

  /** @internal Use `openStore(dir)`. */
  constructor(dir: string) {
    this.#dir = dir;
  }

  /** The store's directory. */
  get dir(): string {
    return this.#dir;
  }

  #check(): void {
    if (this.#closed) throw new VectLiteError("CLOSED", `the store ${this.#dir} is closed`);
  }

  #path(name: string): string {
    return join(this.#dir, `${checkName(name)}.vdb`);
  }

  #exists(name: string): boolean {
    try {
      return statSync(this.#path(name)).isFile();
    } catch {
      return false;
    }
  }

  async #openTracked(name: string, options: OpenOptions): Promise<Database> {
    const current = this.#open.get(name);
    if (current && !current.closed) return current;
    const db = await open(this.#path(name), options);
    this.#open.set(name, db);
    return db;
  }

  /** Creates a new collection; `INVALID_ARGUMENT` if it exists. `options.dimension` is required. */
  async createCollection(name: string, options: OpenOptions): Promise<Database> {
    this.#check();
    checkName(name);
    if (this.#exists(name)) throw new VectLiteError("INVALID_ARGUMENT", `collection ${JSON.stringify(name)} already exists`);
    if (!options || options.dimension === undefined) {
      throw new VectLiteError("INVALID_ARGUMENT", `createCollection(${JSON.stringify(name)}) needs options.dimension`);
    }
    return await this.#openTracked(name, options);
  }

  /** Opens an existing collection; `NOT_FOUND` if there is none of that name. */
  async openCollection(name: string, options: OpenOptions = {}): Promise<Database> {
    this.#check();
    checkName(name);
    if (!this.#exists(name)) throw new VectLiteError("NOT_FOUND", `no collection ${JSON.stringify(name)} in ${this.#dir}`);
    return await this.#openTracked(name, options);
  }

  /** Opens the collection, creating it with `options` if it does not exist. */
  async openOrCreateCollection(name: string, options: OpenOptions): Promise<Database> {
    this.#check();
    checkName(name);
    return await this.#openTracked(name, options);
  }

  /** The names of the collections, sorted. */
  async collections(): Promise<string[]> {
    this.#check();
    return readdirSync(this.#dir)
      .filter((f) => f.endsWith(".vdb") && SAFE_NAME.test(f.slice(0, -4)))
      .map((f) => f.slice(0, -4))
      .sort();
  }

  /** Closes (if open here) and deletes a collection's files; resolves whether it existed. */
  async dropCollection(name: string): Promise<boolean> {
    this.#check();
    const path = this.#path(name);
    const existed = this.#exists(name);
    const db = this.#open.get(name);
    if (db && !db.closed) await db.close();
    else if (existed) await (await open(path)).close(); // LOCKED if another handle uses it
    this.#open.delete(name);
    for (const suffix of ["", "-wal", ".tmp", ".lock"]) rmSync(path + suffix, { force: true });
    return existed;
  }

  /** Closes every collection opened through this store. */
  async close(): Promise<void> {
    this.#check();
    this.#closed = true;
    for (const db of this.#open.values()) if (!db.closed) await db.close();
    this.#open.clear();
  }

  /** Closes the store unless it is already closed. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#closed) await this.close();
  }
}
