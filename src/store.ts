/**
 * A Store: a directory of independent databases ("collections"), one `<name>.vdb` each.
 *
 * @module
 */
import { mkdirSync, readdirSync, statSync, type Stats } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { checkPath } from "./codec.ts";
import { open, type Database } from "./database.ts";
import { dropDatabase } from "./maintenance.ts";
import { VectLiteError } from "./errors.ts";
import type { OpenOptions } from "./types.ts";

/** Collection names: a safe file name on every platform, so never a path. */
const SAFE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
/** Names Windows reserves for devices, also with an extension (`con.txt`), in any case. */
const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\.|$)/i;

/** Why `name` is not a safe collection name, or null when it is. */
function nameProblem(name: unknown): string | null {
  if (typeof name !== "string" || !SAFE_NAME.test(name) || name.includes("..")) {
    return "is not a safe file name (letters, digits, _ . -, not starting with . or -, no \"..\", at most 128 characters)";
  }
  if (name.endsWith(".")) return "ends with a dot, which Windows drops from file names";
  if (WINDOWS_DEVICE.test(name)) return "is a device name on Windows (con, prn, aux, nul, com0-9, lpt0-9, with any extension)";
  return null;
}

function checkName(name: unknown): string {
  const problem = nameProblem(name);
  if (problem) throw new VectLiteError("INVALID_ARGUMENT", `collection name ${JSON.stringify(name)} ${problem}`);
  return name as string;
}

/** A path's stats, or null when nothing is there. */
function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === "ENOENT" || code === "ENOTDIR") return null; // ENOTDIR: a parent is a file
    throw new VectLiteError("IO", `cannot read store directory ${path}: ${(e as Error).message}`, { path, cause: e });
  }
}

/**
 * Creates `dir` and its missing parents. Node's recursive mkdir reports ENOENT for a level
 * it could not create for any reason (EROFS on a read-only file system, EACCES), so after
 * a failure the levels are made one at a time, which names the real reason.
 */
function makeDirectory(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    return;
  } catch (first) {
    const missing: string[] = [];
    for (let p = resolve(dir); statOrNull(p) === null; p = dirname(p)) {
      missing.unshift(p);
      if (dirname(p) === p) break;
    }
    try {
      for (const level of missing) if (statOrNull(level) === null) mkdirSync(level);
    } catch (e) {
      throw new VectLiteError("IO", `cannot create store directory ${dir}: ${(e as Error).message}`, { path: dir, cause: e });
    }
    if (statOrNull(dir) === null) throw new VectLiteError("IO", `cannot create store directory ${dir}: ${(first as Error).message}`, { path: dir, cause: first });
  }
}

/**
 * Opens (creating if needed) a directory of collections. An existing directory is used as
 * it is (it may be on a read-only file system, for collections opened `readOnly`).
 *
 * ```ts
 * await using store = await vectlite.openStore("./data");
 * const docs = await store.openOrCreateCollection("docs", { dimension: 384 });
 * ```
 */
export async function openStore(dir: string): Promise<Store> {
  checkPath(dir, "dir");
  let stats = statOrNull(dir);
  if (stats === null) {
    makeDirectory(dir);
    stats = statOrNull(dir);
  }
  if (!stats?.isDirectory()) throw new VectLiteError("IO", `${dir} is not a directory`);
  return new Store(dir);
}

/** A directory of collections. Collections opened through it are closed with it. */
export class Store {
  #dir: string;
  #open = new Map<string, Database>();
  /** Set by the first close(). */
  #closing: Promise<void> | null = null;

  /** @internal Use `openStore(dir)`. */
  constructor(dir: string) {
    this.#dir = dir;
  }

  /** The store's directory. */
  get dir(): string {
    return this.#dir;
  }

  #check(): void {
    if (this.#closing) throw new VectLiteError("CLOSED", `the store ${this.#dir} is closed`);
  }

  /**
   * Refuses a name that differs only in case from an existing collection's: on the
   * case-insensitive file systems of Windows and macOS both are one file.
   */
  #checkCase(name: string): void {
    let files: string[];
    try {
      files = readdirSync(this.#dir);
    } catch (e) {
      throw new VectLiteError("IO", `cannot read store directory ${this.#dir}: ${(e as Error).message}`, { path: this.#dir, cause: e });
    }
    if (files.includes(`${name}.vdb`)) return;
    const lower = `${name}.vdb`.toLowerCase();
    const twin = files.find((f) => f.toLowerCase() === lower);
    if (twin) {
      throw new VectLiteError(
        "INVALID_ARGUMENT",
        `collection name ${JSON.stringify(name)} differs only in case from the existing collection ${JSON.stringify(twin.slice(0, -4))}`,
      );
    }
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
    this.#checkCase(name);
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
    this.#checkCase(name);
    if (!this.#exists(name)) throw new VectLiteError("NOT_FOUND", `no collection ${JSON.stringify(name)} in ${this.#dir}`);
    return await this.#openTracked(name, options);
  }

  /** Opens the collection, creating it with `options` if it does not exist. */
  async openOrCreateCollection(name: string, options: OpenOptions): Promise<Database> {
    this.#check();
    checkName(name);
    const current = this.#open.get(name);
    if (current && !current.closed) return current;
    this.#checkCase(name);
    return await this.#openTracked(name, options);
  }

  /** The names of the collections, sorted. */
  async collections(): Promise<string[]> {
    this.#check();
    return readdirSync(this.#dir)
      .filter((f) => f.endsWith(".vdb") && nameProblem(f.slice(0, -4)) === null)
      .map((f) => f.slice(0, -4))
      .sort();
  }

  /** Closes (if open here) and deletes a collection's files; resolves whether it existed. */
  async dropCollection(name: string): Promise<boolean> {
    this.#check();
    const path = this.#path(name);
    this.#checkCase(name);
    const db = this.#open.get(name);
    if (db && !db.closed) await db.close();
    this.#open.delete(name);
    // Deleted by the library under the database's writer lock: LOCKED while another handle
    // (in this process or another) has it open for writing, never deleted under it.
    return await dropDatabase(path);
  }

  /** Closes every collection opened through this store. Idempotent: a second call resolves with the first. */
  async close(): Promise<void> {
    this.#closing ??= (async () => {
      for (const db of this.#open.values()) await db.close();
      this.#open.clear();
    })();
    await this.#closing;
  }

  /** Closes the store unless `close()` was called already. */
  async [Symbol.asyncDispose](): Promise<void> {
    // An explicit close() reported its own failure; disposal only waits for it.
    if (this.#closing) await this.#closing.catch(() => {});
    else await this.close();
  }
}
