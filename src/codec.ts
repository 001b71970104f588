/**
 * Crossing the boundary: argument checks and encoding on the way in, one-pass decoding of
 * the native result buffers (layout in lib-rs/src/abi/output.rs) on the way out.
 *
 * @module
 */
import { VectLiteError, type ErrorCode } from "./errors.ts";
import type { Metadata, SparseVector, StoredRecord, Vector } from "./types.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** UTF-8 bytes of a string. */
export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "object") return (v as object).constructor?.name ?? "object";
  return typeof v;
}

/** A vector as a Float32Array: passed through when it already is one, converted once otherwise. */
export function toF32(v: unknown, where: string): Float32Array {
  if (v instanceof Float32Array) return v;
  if (Array.isArray(v)) {
    const out = new Float32Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (typeof x !== "number") {
        throw new VectLiteError("INVALID_ARGUMENT", `${where}: element ${i} is a ${describe(x)}, not a number`);
      }
      out[i] = x;
    }
    return out;
  }
  throw new VectLiteError("INVALID_ARGUMENT", `${where} must be a Float32Array or an array of numbers, found ${describe(v)}`);
}

/**
 * Why a string UTF-8 cannot hold: it has a lone UTF-16 surrogate, which encoding would
 * replace by U+FFFD (so "\uD800" and "\uDC00" would both become "\uFFFD", one key).
 * Built only for a string that failed `isWellFormed()`.
 */
function loneSurrogate(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++;
        continue;
      }
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      return `has a lone UTF-16 surrogate (\\u${c.toString(16).toUpperCase()} at index ${i}), which UTF-8 cannot encode`;
    }
  }
  return "is not well-formed UTF-16";
}

/** Throws unless `id` is a non-empty, well-formed string. */
export function checkId(id: unknown, where = "id"): string {
  if (typeof id !== "string" || id.length === 0) {
    throw new VectLiteError(
      "INVALID_ARGUMENT",
      `${where} must be a non-empty string, found ${typeof id === "string" ? "an empty string" : describe(id)}`,
    );
  }
  if (!id.isWellFormed()) throw new VectLiteError("INVALID_ARGUMENT", `${where} ${loneSurrogate(id)}`);
  return id;
}

/**
 * Throws unless `namespace` is absent or a well-formed string. With `write`, also refuses
 * `"*"`, which reads take for every namespace: no record can be written there.
 */
export function checkNamespace(namespace: unknown, write: boolean, where = "namespace"): string | undefined {
  if (namespace === undefined) return undefined;
  if (typeof namespace !== "string") throw new VectLiteError("INVALID_ARGUMENT", `${where} must be a string, found ${describe(namespace)}`);
  if (!namespace.isWellFormed()) throw new VectLiteError("INVALID_ARGUMENT", `${where} ${loneSurrogate(namespace)}`);
  if (write && namespace === "*") {
    throw new VectLiteError("INVALID_ARGUMENT", `${where} "*" means every namespace, for reads; records cannot be written or deleted there`);
  }
  return namespace;
}

/**
 * Throws unless `path` is a non-empty string a file system can take: no NUL byte (the C
 * side would cut the path there) and no lone surrogate (UTF-8 would name another file).
 */
export function checkPath(path: unknown, what: string): string {
  if (typeof path !== "string" || path.length === 0) {
    throw new VectLiteError("INVALID_ARGUMENT", `${what} must be a non-empty path, found ${typeof path === "string" ? "an empty string" : describe(path)}`);
  }
  const nul = path.indexOf("\0");
  if (nul >= 0) throw new VectLiteError("INVALID_ARGUMENT", `${what} ${JSON.stringify(path)} has a NUL byte at index ${nul}`);
  if (!path.isWellFormed()) throw new VectLiteError("INVALID_ARGUMENT", `${what} ${JSON.stringify(path)} ${loneSurrogate(path)}`);
  return path;
}

/**
 * Checks that `value` is plain JSON (no undefined, function, BigInt, symbol, NaN, class
 * instance or cycle), since JSON.stringify would silently drop or mangle those.
 */
export function checkJson(value: unknown, where: string, code: ErrorCode = "INVALID_ARGUMENT", levels = OPTION_LEVELS): void {
  // A bulk write checks every record's metadata, so a value that is fine allocates
  // nothing: no path strings, no stack of visited objects (in Deno the arrays and strings
  // of the earlier version doubled the JS heap of a 100k-record ingest). The path is
  // assembled only on the way back from a problem, and cycles are looked for only once
  // the nesting is deeper than any stored JSON may be.
  let problem = jsonProblem(value, 0, levels);
  if (problem === TOO_DEEP) problem = cycleOrDepth(value, [], [], levels);
  if (problem) throw new VectLiteError(code, `${where}${problem.path.map(pathPart).join("")} ${problem.what}`);
}

/**
 * Levels of nesting (an object or array in an object is 2) the native side accepts in a
 * value it reads inside a JSON document nested `outer` levels deep: lib-rs/src/json.rs
 * refuses a document nested deeper than MAX_DEPTH = 64. Checking the same limit here
 * names the path of the value that is too deep, where the native parser can only name a
 * byte offset.
 */
const NATIVE_MAX_DEPTH = 64;
const nativeLevels = (outer: number) => NATIVE_MAX_DEPTH - outer;
/** An option (a filter too): a field of the options object. */
const OPTION_LEVELS = nativeLevels(1);
/** Metadata: a field of a record, which is an item of the records (or operations) array. */
export const METADATA_LEVELS = nativeLevels(2);

interface JsonProblem {
  /** Keys from the checked value down to the bad one. */
  path: (string | number)[];
  what: string;
}

/** Returned by `jsonProblem` past the nesting limit: a cycle, or data nested too deeply. */
const TOO_DEEP: JsonProblem = { path: [], what: "" };

function pathPart(key: string | number): string {
  return typeof key === "number" ? `[${key}]` : `.${key}`;
}

/** What is wrong with a value that is not a plain object or array, or null. */
function scalarProblem(value: unknown): string | null {
  switch (typeof value) {
    case "string":
      return value.isWellFormed() ? null : `is a string that ${loneSurrogate(value)}`;
    case "boolean":
      return null;
    case "number":
      return Number.isFinite(value) ? null : `is ${value}, which JSON cannot hold`;
    case "object":
      if (value === null || Array.isArray(value)) return null;
      {
        const proto = Object.getPrototypeOf(value);
        if (proto !== Object.prototype && proto !== null) {
          return `is a ${describe(value)}; only plain objects, arrays, strings, numbers, booleans and null are allowed`;
        }
      }
      return null;
    default:
      return `is ${describe(value)}, which is not a JSON value`;
  }
}

/** The first problem in `value` (depth-first), TOO_DEEP past `levels` of nesting, or null. */
function jsonProblem(value: unknown, depth: number, levels: number): JsonProblem | null {
  const what = scalarProblem(value);
  if (what) return { path: [], what };
  if (typeof value !== "object" || value === null) return null;
  // The native parser reads a value at any depth up to its limit: an object or array there
  // is too deep only if it holds something.
  if (depth >= levels && hasChildren(value)) return TOO_DEEP;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const problem = jsonProblem(value[i], depth + 1, levels);
      if (problem === TOO_DEEP) return problem;
      if (problem) return (problem.path.unshift(i), problem);
    }
    return null;
  }
  const fields = value as Record<string, unknown>;
  for (const key in fields) {
    if (!Object.hasOwn(fields, key)) continue;
    if (!key.isWellFormed()) return { path: [], what: `has a key ${JSON.stringify(key)} that ${loneSurrogate(key)}` };
    const problem = jsonProblem(fields[key], depth + 1, levels);
    if (problem === TOO_DEEP) return problem;
    if (problem) return (problem.path.unshift(key), problem);
  }
  return null;
}

/** Whether an object or array holds anything (without allocating a list of its keys). */
function hasChildren(value: object): boolean {
  if (Array.isArray(value)) return value.length > 0;
  for (const key in value) if (Object.hasOwn(value, key)) return true;
  return false;
}

/** The slow path for very deep values: the first cycle, with its path, else "nested too deeply". */
function cycleOrDepth(value: unknown, path: (string | number)[], seen: object[], levels: number): JsonProblem | null {
  if (typeof value !== "object" || value === null) return null;
  if (seen.includes(value)) return { path, what: "is a cyclic reference" };
  if (seen.length >= levels && hasChildren(value)) return { path, what: `is nested more than ${levels} levels deep` };
  seen.push(value);
  const fields = value as Record<string | number, unknown>;
  const keys: (string | number)[] = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  for (const key of keys) {
    path.push(key);
    const problem = cycleOrDepth(fields[key], path, seen, levels);
    if (problem) return problem;
    path.pop();
  }
  seen.pop();
  return null;
}

/** Checks that metadata is a plain JSON object (or absent). */
export function checkMetadata(metadata: unknown, where: string): Metadata | undefined {
  if (metadata === undefined || metadata === null) return undefined;
  if (typeof metadata !== "object" || Array.isArray(metadata)) {
    throw new VectLiteError("INVALID_ARGUMENT", `${where} must be an object, found ${describe(metadata)}`);
  }
  checkJson(metadata, where, "INVALID_ARGUMENT", METADATA_LEVELS);
  return metadata as Metadata;
}

/** Checks a metadata patch: a plain JSON object, whose keys replace the record's. */
export function checkPatch(patch: unknown, where = "patch"): Metadata {
  if (patch === undefined || patch === null) {
    throw new VectLiteError("INVALID_ARGUMENT", `${where} must be an object, found ${describe(patch)}`);
  }
  return checkMetadata(patch, where)!;
}

/** Checks sparse terms: an object of finite numbers. */
export function checkSparse(sparse: unknown, where: string): SparseVector | undefined {
  if (sparse === undefined || sparse === null) return undefined;
  if (typeof sparse !== "object" || Array.isArray(sparse)) {
    throw new VectLiteError("INVALID_ARGUMENT", `${where} must be an object of term weights, found ${describe(sparse)}`);
  }
  // for...in over own keys, not Object.entries: no array per record on bulk writes.
  const terms = sparse as Record<string, unknown>;
  for (const term in terms) {
    if (!Object.hasOwn(terms, term)) continue;
    const w = terms[term];
    if (typeof w !== "number" || w - w !== 0) { // w - w is NaN for NaN and ±Infinity
      throw new VectLiteError("INVALID_ARGUMENT", `${where}.${term} must be a finite number, found ${describe(w)}`);
    }
    if (!term.isWellFormed()) throw new VectLiteError("INVALID_ARGUMENT", `${where} has a term ${JSON.stringify(term)} that ${loneSurrogate(term)}`);
  }
  return sparse as SparseVector;
}

/** Named vectors as plain arrays for the JSON record list. */
export function namedVectorsJson(vectors: unknown, where: string): Record<string, number[]> | undefined {
  if (vectors === undefined || vectors === null) return undefined;
  if (typeof vectors !== "object" || Array.isArray(vectors)) {
    throw new VectLiteError("INVALID_ARGUMENT", `${where} must be an object of named vectors, found ${describe(vectors)}`);
  }
  const out: Record<string, number[]> = {};
  for (const [name, v] of Object.entries(vectors as Record<string, Vector>)) {
    if (!name.isWellFormed()) throw new VectLiteError("INVALID_ARGUMENT", `${where} has a name ${JSON.stringify(name)} that ${loneSurrogate(name)}`);
    const f = toF32(v, `${where}.${name}`);
    for (let i = 0; i < f.length; i++) {
      if (!Number.isFinite(f[i])) {
        throw new VectLiteError("INVALID_ARGUMENT", `${where}.${name} has a non-finite value (${f[i]}) at index ${i}`);
      }
    }
    out[name] = Array.from(f);
  }
  return out;
}

/** The most vectors a record may hold in one multi-vector space (and a query may hold). */
export const MAX_MULTI_VECTORS = 4096;

/**
 * A list of vectors as JSON arrays (exact: each float32 value is a number), checked: an
 * array of 1 to 4,096 vectors, each finite. Their lengths are checked natively.
 */
export function vectorListJson(list: unknown, where: string): number[][] {
  if (!Array.isArray(list)) throw new VectLiteError("INVALID_ARGUMENT", `${where} must be an array of vectors, found ${describe(list)}`);
  if (list.length === 0 || list.length > MAX_MULTI_VECTORS) {
    throw new VectLiteError("INVALID_ARGUMENT", `${where} must hold 1 to ${MAX_MULTI_VECTORS} vectors, found ${list.length}`);
  }
  return list.map((v, j) => {
    const f = toF32(v as Vector, `${where}[${j}]`);
    for (let i = 0; i < f.length; i++) {
      if (!Number.isFinite(f[i])) throw new VectLiteError("INVALID_ARGUMENT", `${where}[${j}] has a non-finite value (${f[i]}) at index ${i}`);
    }
    return Array.from(f);
  });
}

/** A record's `multiVectors` (`{ name: Vector[] }`) as JSON, checked as `vectorListJson` does. */
export function multiVectorsJson(multi: unknown, where: string): Record<string, number[][]> | undefined {
  if (multi === undefined || multi === null) return undefined;
  if (typeof multi !== "object" || Array.isArray(multi)) {
    throw new VectLiteError("INVALID_ARGUMENT", `${where} must be an object of named vector lists, found ${describe(multi)}`);
  }
  const out: Record<string, number[][]> = {};
  for (const [name, list] of Object.entries(multi as Record<string, unknown>)) {
    if (name.length === 0) throw new VectLiteError("INVALID_ARGUMENT", `${where} needs non-empty space names`);
    if (!name.isWellFormed()) throw new VectLiteError("INVALID_ARGUMENT", `${where} has a name ${JSON.stringify(name)} that ${loneSurrogate(name)}`);
    out[name] = vectorListJson(list, `${where}.${name}`);
  }
  return out;
}

/** Multi-vectors as JSON arrays (exact float32 values) turned into Float32Arrays. */
export function multiVectorsOf(multi: Record<string, number[][]>): Record<string, Float32Array[]> {
  const out: Record<string, Float32Array[]> = {};
  for (const [name, list] of Object.entries(multi)) out[name] = list.map((v) => Float32Array.from(v));
  return out;
}

const FLAG_SCORES = 1;
const FLAG_VECTORS = 2;

/**
 * One row of a result buffer's JSON: id, namespace, metadata, sparse terms, named vectors,
 * then explain (search) or when the record expires (get, list; null when it does not but
 * multi-vectors follow), then the multi-vectors (get, list with vectors).
 */
type RawRow = [
  string,
  string,
  Metadata,
  SparseVector | null,
  Record<string, number[]> | null,
  (Record<string, unknown> | number | null)?,
  Record<string, number[][]>?,
];

/**
 * The parts of a result buffer (lib-rs/src/abi/output.rs): a header of four u32 (rows,
 * flags, dimension, JSON length), the scores and the vectors when flagged, then the JSON.
 * The typed arrays view `bytes` in place.
 */
function resultParts(bytes: Uint8Array): {
  dim: number;
  scores?: Float32Array;
  vectors?: Float32Array;
  json: { rows: RawRow[]; stats?: Record<string, number | boolean> };
} {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(0, true);
  const flags = view.getUint32(4, true);
  const dim = view.getUint32(8, true);
  const jsonLen = view.getUint32(12, true);
  let offset = 16;
  let scores: Float32Array | undefined;
  if (flags & FLAG_SCORES) {
    scores = new Float32Array(bytes.buffer, bytes.byteOffset + offset, count);
    offset += count * 4;
  }
  let vectors: Float32Array | undefined;
  if (flags & FLAG_VECTORS) {
    vectors = new Float32Array(bytes.buffer, bytes.byteOffset + offset, count * dim);
    offset += count * dim * 4;
  }
  return { dim, scores, vectors, json: JSON.parse(decoder.decode(bytes.subarray(offset, offset + jsonLen))) };
}

/**
 * Decodes a result buffer of records (a list's part) straight into `out`, one object per
 * record and nothing in between (a list of 100,000 records made three objects per record
 * before). Vectors are copied out, so `bytes` may be a view of memory freed afterwards.
 */
export function decodeStoredInto(bytes: Uint8Array, out: StoredRecord[]): void {
  const { dim, vectors, json } = resultParts(bytes);
  for (let i = 0; i < json.rows.length; i++) {
    const r = json.rows[i];
    const record: StoredRecord = { id: r[0], namespace: r[1], metadata: r[2] };
    if (r[3]) record.sparse = r[3];
    if (vectors) record.vector = vectors.slice(i * dim, (i + 1) * dim);
    if (r[4]) {
      record.vectors = {};
      for (const [name, v] of Object.entries(r[4])) record.vectors[name] = Float32Array.from(v);
    }
    if (typeof r[5] === "number") record.expiresAt = r[5];
    if (r[6]) record.multiVectors = multiVectorsOf(r[6]);
    out.push(record);
  }
}

/** A decoded row of a result buffer. */
export interface DecodedRow {
  id: string;
  namespace: string;
  metadata: Metadata;
  sparse: SparseVector | null;
  named: Record<string, number[]> | null;
  /** With `explain: true`: how the score was made (without `fusion`, which TypeScript adds). */
  explain: Record<string, unknown> | undefined;
  /** A stored record's expiry (get), epoch milliseconds. */
  expiresAt: number | undefined;
  /** A stored record's multi-vectors (get, list with vectors). */
  multi: Record<string, number[][]> | undefined;
  score: number;
  vector: Float32Array | undefined;
}

/** Decodes a result buffer; `bytes` is a fresh copy starting at offset 0 (so f32 views align). */
export function decodeRows(bytes: Uint8Array): { rows: DecodedRow[]; stats?: Record<string, number | boolean> } {
  const { dim, scores, vectors, json } = resultParts(bytes);
  const rows: DecodedRow[] = new Array(json.rows.length);
  for (let i = 0; i < json.rows.length; i++) {
    const r = json.rows[i];
    rows[i] = {
      id: r[0],
      namespace: r[1],
      metadata: r[2],
      sparse: r[3],
      named: r[4],
      explain: typeof r[5] === "object" && r[5] !== null ? r[5] : undefined,
      expiresAt: typeof r[5] === "number" ? r[5] : undefined,
      multi: r[6],
      score: scores ? scores[i] : 0,
      vector: vectors ? vectors.subarray(i * dim, (i + 1) * dim) : undefined,
    };
  }
  return { rows, stats: json.stats };
}

/** Decodes a UTF-8 JSON buffer. */
export function decodeJson<T>(bytes: Uint8Array | null): T {
  return JSON.parse(bytes ? decoder.decode(bytes) : "null") as T;
}

/**
 * The parts of a framed result (`framed` in lib-rs/src/abi/reads.rs): `[u32 count]`, then
 * per part `[u32 length]` and its bytes. Views into `bytes`, no copy; each part starts
 * four-byte aligned within it.
 */
export function framedParts(bytes: Uint8Array): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parts: Uint8Array[] = new Array(view.getUint32(0, true));
  for (let i = 0, offset = 4; i < parts.length; i++) {
    const len = view.getUint32(offset, true);
    parts[i] = bytes.subarray(offset + 4, offset + 4 + len);
    offset += 4 + len;
  }
  return parts;
}

/**
 * The opaque text of a list cursor: the library's JSON (`[namespace, layout, slot, id]`, see
 * lib-rs/src/abi/reads.rs) as base64url of its UTF-8, so it fits in a URL; null for `null`.
 */
export function encodeCursor(framedJson: Uint8Array): string | null {
  // The framing pads its parts with zero bytes, which JSON text never holds.
  let end = framedJson.length;
  while (end > 0 && framedJson[end - 1] === 0) end--;
  const json = framedJson.subarray(0, end);
  const text = decoder.decode(json);
  if (text === "null") return null;
  let binary = "";
  for (const b of json) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** A cursor's JSON for the library, or `INVALID_ARGUMENT` for text that is not a cursor. */
export function decodeCursor(cursor: unknown): unknown {
  const bad = () => new VectLiteError("INVALID_ARGUMENT", `after must be a cursor from listPage, found ${describe(cursor)}`);
  if (typeof cursor !== "string" || !/^[A-Za-z0-9_-]{1,100000}$/.test(cursor)) throw bad();
  try {
    const binary = atob(cursor.replace(/-/g, "+").replace(/_/g, "/"));
    const parsed = JSON.parse(decoder.decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))));
    if (!Array.isArray(parsed) || parsed.length !== 4) throw bad();
    return parsed;
  } catch {
    throw bad();
  }
}

/** The largest k, fetchK, limit and offset the native side accepts (lib-rs/src/search/options.rs). */
export const MAX_COUNT_OPTION = 4_294_967_295;

/**
 * Checks an options object before it is serialised: JSON.stringify would turn NaN or
 * Infinity into null (read as "not given") and drop undefined or functions silently.
 */
export function checkOptions(options: unknown, what: string): void {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new VectLiteError("INVALID_ARGUMENT", `${what} options must be an object`);
  }
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (key === "filter") checkJson(value, "filter", "INVALID_FILTER");
    else checkJson(value, `${what} option ${key}`);
  }
}
