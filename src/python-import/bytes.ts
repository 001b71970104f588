/**
 * Reading the Python package's binary encoding: a bounds-checked little-endian cursor, and
 * the decoders of the blocks snapshots and WAL frames share (metadata values, named vectors,
 * sparse terms, multi-vectors, one record). Every count is checked against the bytes left
 * before anything is allocated by it, so a damaged file costs no more memory than its size.
 *
 * @module
 */
import { VectLiteError } from "../errors.ts";
import { type PyMap, type PyRecord, type PyValue, recordName, setOwn } from "./model.ts";

/** Nested lists and maps the decoder follows; a database here holds fewer (62), so deeper is never importable. */
const MAX_VALUE_DEPTH = 64;

/** Whether this machine stores floats little-endian, as the files do (then vectors are copied whole). */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * A position in a file's bytes (or in one WAL frame's: `base` is the frame's offset in the
 * file), so that every error names the file and the absolute byte offset.
 */
export class Cursor {
  readonly bytes: Uint8Array;
  readonly file: string;
  readonly base: number;
  /** Where the bytes end, for messages: "the file" or "the frame". */
  readonly ending: string;
  /** What is being read, for messages ("record 3", or the record's id and namespace once read). */
  context = "";
  pos = 0;
  readonly #view: DataView;

  constructor(bytes: Uint8Array, file: string, base = 0, ending = "the file") {
    this.bytes = bytes;
    this.file = file;
    this.base = base;
    this.ending = ending;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** The absolute file offset of the next byte. */
  get offset(): number {
    return this.base + this.pos;
  }

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  #where(at: number): string {
    return `${this.file}: at byte ${at}${this.context ? ` (${this.context})` : ""}`;
  }

  /** A `CORRUPT` error at `at` (default: the current offset). */
  corrupt(problem: string, at = this.offset): VectLiteError {
    return new VectLiteError("CORRUPT", `${this.#where(at)}: ${problem}`, { path: this.file, offset: at });
  }

  /** An `INVALID_ARGUMENT` error: the file is sound, but holds what a database here cannot. */
  invalid(problem: string, at = this.offset): VectLiteError {
    return new VectLiteError("INVALID_ARGUMENT", `${this.#where(at)}: ${problem}`, { path: this.file, offset: at });
  }

  #need(n: number, what: string): void {
    if (n > this.remaining) {
      const left = this.remaining;
      throw this.corrupt(`truncated: ${what} needs ${n} bytes, but ${this.ending} ends ${left === 0 ? "here" : `after ${left}`}`);
    }
  }

  u8(what: string): number {
    this.#need(1, what);
    return this.bytes[this.pos++];
  }

  u16(what: string): number {
    this.#need(2, what);
    const v = this.#view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  u32(what: string): number {
    this.#need(4, what);
    const v = this.#view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  u64(what: string): bigint {
    this.#need(8, what);
    const v = this.#view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }

  i64(what: string): bigint {
    this.#need(8, what);
    const v = this.#view.getBigInt64(this.pos, true);
    this.pos += 8;
    return v;
  }

  f32(what: string): number {
    this.#need(4, what);
    const v = this.#view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  f64(what: string): number {
    this.#need(8, what);
    const v = this.#view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /**
   * A u32 count of items each at least `minBytes` long: `CORRUPT` when that many could not
   * fit in what is left, before anything is allocated for them.
   */
  count(what: string, minBytes: number): number {
    const at = this.offset;
    const n = this.u32(`the count of ${what}`);
    if (n * minBytes > this.remaining) {
      throw this.corrupt(`${n} ${what} need at least ${n * minBytes} bytes, but ${this.ending} has ${this.remaining} left`, at);
    }
    return n;
  }

  /** A `u32 length` + UTF-8 string; invalid UTF-8 is `CORRUPT` at the string's first byte. */
  string(what: string): string {
    const len = this.u32(`the length of ${what}`);
    this.#need(len, what);
    const start = this.pos;
    this.pos += len;
    try {
      return utf8.decode(this.bytes.subarray(start, start + len));
    } catch {
      throw this.corrupt(`${what} is not valid UTF-8`, this.base + start);
    }
  }

  /** `n` little-endian f32 values, copied. */
  floats(n: number, what: string): Float32Array {
    this.#need(n * 4, what);
    const out = new Float32Array(n);
    if (LITTLE_ENDIAN) {
      new Uint8Array(out.buffer).set(this.bytes.subarray(this.pos, this.pos + n * 4));
    } else {
      for (let i = 0; i < n; i++) out[i] = this.#view.getFloat32(this.pos + i * 4, true);
    }
    this.pos += n * 4;
    return out;
  }
}

/** Whether an i64 is a number JavaScript holds exactly. */
const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** The key path of a metadata value, for messages: `tags[2].name`. */
function pathText(path: (string | number)[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}

/** One metadata value: `u8 tag` + payload (1 string, 2 i64, 3 f64, 4 bool, 5 null, 6 list, 7 map). */
function readValue(c: Cursor, path: (string | number)[], depth: number): PyValue {
  const at = c.offset;
  const tag = c.u8("a metadata value's tag");
  switch (tag) {
    case 1:
      return c.string("a metadata string");
    case 2: {
      const v = c.i64("a metadata integer");
      return v >= -SAFE && v <= SAFE ? Number(v) : v;
    }
    case 3:
      return c.f64("a metadata float");
    case 4:
      return c.u8("a metadata bool") !== 0;
    case 5:
      return null;
    case 6:
    case 7: {
      if (depth >= MAX_VALUE_DEPTH) {
        throw c.invalid(`metadata ${pathText(path)} is nested more than ${MAX_VALUE_DEPTH} levels deep, more than a vectlite database holds`, at);
      }
      if (tag === 6) {
        const n = c.count("list items", 1);
        const list: PyValue[] = new Array(n);
        for (let i = 0; i < n; i++) {
          path.push(i);
          list[i] = readValue(c, path, depth + 1);
          path.pop();
        }
        return list;
      }
      return readMap(c, path, depth + 1, "map entries");
    }
    default:
      throw c.corrupt(`unknown metadata value tag ${tag} (metadata ${pathText(path)})`, at);
  }
}

/** `u32 n` + (`string key`, `value`)×n; a repeated key keeps the later value, as upstream. */
function readMap(c: Cursor, path: (string | number)[], depth: number, what: string): PyMap {
  const n = c.count(what, 5);
  const map: PyMap = {};
  for (let i = 0; i < n; i++) {
    const key = c.string("a metadata key");
    path.push(key);
    setOwn(map, key, readValue(c, path, depth));
    path.pop();
  }
  return map;
}

/** A record's metadata block. */
export function readMetadata(c: Cursor): PyMap {
  return readMap(c, [], 1, "metadata keys");
}

/** `u32 len` (must be the database's dimension) + f32×len. */
export function readVector(c: Cursor, dimension: number, what: string): Float32Array {
  const at = c.offset;
  const len = c.u32(`the length of ${what}`);
  if (len !== dimension) throw c.corrupt(`${what} has ${len} values, the database's dimension is ${dimension}`, at);
  return c.floats(len, what);
}

/** `u32 n` + (`string name` (non-empty), vector of the database's dimension)×n. */
export function readNamed(c: Cursor, dimension: number): Record<string, Float32Array> {
  const n = c.count("named vectors", 9 + 4 * dimension);
  const out: Record<string, Float32Array> = {};
  for (let i = 0; i < n; i++) {
    const at = c.offset;
    const name = c.string("a named vector's name");
    if (name.length === 0) throw c.corrupt("a named vector has an empty name", at);
    setOwn(out, name, readVector(c, dimension, `named vector ${JSON.stringify(name)}`));
  }
  return out;
}

/** `u32 n` + (`string term`, `f32 weight`)×n. */
export function readSparse(c: Cursor): Record<string, number> {
  const n = c.count("sparse terms", 8);
  const out: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const term = c.string("a sparse term");
    setOwn(out, term, c.f32("a sparse weight"));
  }
  return out;
}

/** `u32 spaces` + (`string name`, `u32 token_dim`, `u32 token_count`, f32×token_dim×token_count)×spaces. */
export function readMulti(c: Cursor): Record<string, Float32Array[]> {
  const n = c.count("multi-vector spaces", 12);
  const out: Record<string, Float32Array[]> = {};
  for (let i = 0; i < n; i++) {
    const name = c.string("a multi-vector space's name");
    const at = c.offset;
    const dim = c.u32(`the token dimension of multi-vector space ${JSON.stringify(name)}`);
    const count = c.u32(`the token count of multi-vector space ${JSON.stringify(name)}`);
    if (count > 0 && dim === 0) throw c.corrupt(`multi-vector space ${JSON.stringify(name)} has ${count} tokens of dimension 0`, at);
    if (dim * count * 4 > c.remaining) {
      throw c.corrupt(`multi-vector space ${JSON.stringify(name)}: ${count} tokens of ${dim} values need ${dim * count * 4} bytes, but ${c.ending} has ${c.remaining} left`, at);
    }
    const tokens: Float32Array[] = new Array(count);
    for (let t = 0; t < count; t++) tokens[t] = c.floats(dim, `a token vector of multi-vector space ${JSON.stringify(name)}`);
    setOwn(out, name, tokens);
  }
  return out;
}

/** Which optional fields a record's encoding has (by snapshot version, or by WAL dialect). */
export interface RecordLayout {
  namespace: boolean;
  named: boolean;
  sparse: boolean;
  multi: boolean;
  expiry: boolean;
}

/**
 * One record: [namespace], id, metadata, vector, [named], [sparse], [multi], [f64 expires_at].
 * The cursor's context names the record once its id is read; `label` names it before.
 */
export function readRecord(c: Cursor, dimension: number, layout: RecordLayout, label: string): PyRecord {
  c.context = label;
  const namespace = layout.namespace ? c.string("a namespace") : "";
  const id = c.string("an id");
  c.context = `${label}: ${recordName(namespace, id)}`;
  const metadata = readMetadata(c);
  const vector = readVector(c, dimension, "the vector");
  const vectors = layout.named ? readNamed(c, dimension) : {};
  const sparse = layout.sparse ? readSparse(c) : {};
  const multiVectors = layout.multi ? readMulti(c) : {};
  const expiresAt = layout.expiry ? c.f64("the expiry") : 0;
  return { namespace, id, metadata, vector, vectors, sparse, multiVectors, expiresAt };
}
