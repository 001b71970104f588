/**
 * A test-only writer of the Python vectlite package's files, made from the format's
 * description (docs/python-files.md), not from its code: snapshots of any version 1 to 7
 * and WAL frames in any of the three upsert layouts, torn tails and damaged bytes included.
 * The importer's tests and the committed fixtures (scripts/make-python-fixtures.ts) use it.
 */

/** A metadata float, written with tag 3 even when integral (a plain integral number is an i64). */
export class F64 {
  constructor(readonly value: number) {}
}

/** Bytes written as they are where a value (tag included) or a string (length included) goes: damaged input. */
export class Raw {
  constructor(readonly bytes: Uint8Array) {}
}

/**
 * A metadata value: strings, numbers (integral: i64, tag 2; otherwise f64, tag 3), bigints
 * (i64), `F64`, booleans, null, lists and maps.
 */
export type WValue = string | number | bigint | boolean | null | F64 | Raw | WValue[] | { [key: string]: WValue };

/** A record as the writer takes it. */
export interface WRecord {
  /** Not written by version 1 (where every record is in ""). */
  namespace?: string;
  id: string | Raw;
  metadata?: Record<string, WValue>;
  vector: ArrayLike<number>;
  /** Named vectors (version 4 and later). */
  vectors?: Record<string, ArrayLike<number>>;
  /** Sparse terms (version 3 and later). */
  sparse?: Record<string, number>;
  /** Token vectors by space (version 5 and later); a space's token dimension is its first token's length. */
  multiVectors?: Record<string, ArrayLike<number>[]>;
  /** Epoch seconds, 0 = never (version 7). */
  expiresAt?: number;
}

/** A WAL operation as the writer takes it. */
export type WOp =
  | { op: "upsert"; record: WRecord }
  | { op: "delete"; namespace: string; id: string }
  | { op: "update-metadata"; namespace: string; id: string; metadata: Record<string, WValue> }
  | { op: "set-ttl"; namespace: string; id: string; expiresAt: number }
  | { op: "raw"; bytes: Uint8Array };

/** The upsert layouts of the WAL: v7 (+multi +f64 expiry), v5 (+multi, also v6), v4. */
export type Dialect = "v7" | "v5" | "v4";

/** A growable little-endian byte buffer. */
export class Bytes {
  #buf = new Uint8Array(256);
  #view = new DataView(this.#buf.buffer);
  length = 0;

  #grow(n: number): void {
    if (this.length + n <= this.#buf.length) return;
    const next = new Uint8Array(Math.max(this.#buf.length * 2, this.length + n));
    next.set(this.#buf.subarray(0, this.length));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }

  u8(v: number): this {
    this.#grow(1);
    this.#buf[this.length++] = v;
    return this;
  }
  u16(v: number): this {
    this.#grow(2);
    this.#view.setUint16(this.length, v, true);
    this.length += 2;
    return this;
  }
  u32(v: number): this {
    this.#grow(4);
    this.#view.setUint32(this.length, v, true);
    this.length += 4;
    return this;
  }
  u64(v: bigint): this {
    this.#grow(8);
    this.#view.setBigUint64(this.length, v, true);
    this.length += 8;
    return this;
  }
  i64(v: bigint): this {
    this.#grow(8);
    this.#view.setBigInt64(this.length, v, true);
    this.length += 8;
    return this;
  }
  f32(v: number): this {
    this.#grow(4);
    this.#view.setFloat32(this.length, v, true);
    this.length += 4;
    return this;
  }
  f64(v: number): this {
    this.#grow(8);
    this.#view.setFloat64(this.length, v, true);
    this.length += 8;
    return this;
  }
  raw(bytes: Uint8Array): this {
    this.#grow(bytes.length);
    this.#buf.set(bytes, this.length);
    this.length += bytes.length;
    return this;
  }
  /** `u32 length` + UTF-8, or the bytes of a `Raw` as they are. */
  string(s: string | Raw): this {
    if (s instanceof Raw) return this.raw(s.bytes);
    const bytes = new TextEncoder().encode(s);
    return this.u32(bytes.length).raw(bytes);
  }
  floats(v: ArrayLike<number>): this {
    for (let i = 0; i < v.length; i++) this.f32(v[i]);
    return this;
  }
  toBytes(): Uint8Array {
    return this.#buf.slice(0, this.length);
  }
}

/** Compares strings by their UTF-8 bytes (code points), the order upstream's BTreeMaps keep. */
export function byteOrder(a: string, b: string): number {
  const x = new TextEncoder().encode(a), y = new TextEncoder().encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

/** Map entries in upstream's order. */
function sortedEntries<T>(map: Record<string, T>): [string, T][] {
  return Object.entries(map).sort(([a], [b]) => byteOrder(a, b));
}

export function writeValue(out: Bytes, v: WValue): void {
  if (v instanceof Raw) out.raw(v.bytes);
  else if (v instanceof F64) out.u8(3).f64(v.value);
  else if (typeof v === "string") out.u8(1).string(v);
  else if (typeof v === "bigint") out.u8(2).i64(v);
  else if (typeof v === "number") {
    if (Number.isInteger(v) && !Object.is(v, -0) && Number.isSafeInteger(v)) out.u8(2).i64(BigInt(v));
    else out.u8(3).f64(v);
  } else if (typeof v === "boolean") out.u8(4).u8(v ? 1 : 0);
  else if (v === null) out.u8(5);
  else if (Array.isArray(v)) {
    out.u8(6).u32(v.length);
    for (const item of v) writeValue(out, item);
  } else {
    out.u8(7);
    writeMap(out, v);
  }
}

function writeMap(out: Bytes, map: Record<string, WValue>): void {
  const entries = sortedEntries(map);
  out.u32(entries.length);
  for (const [k, v] of entries) writeValue(out.string(k), v);
}

function writeNamed(out: Bytes, vectors: Record<string, ArrayLike<number>>): void {
  const entries = sortedEntries(vectors);
  out.u32(entries.length);
  for (const [name, v] of entries) out.string(name).u32(v.length).floats(v);
}

function writeSparse(out: Bytes, sparse: Record<string, number>): void {
  const entries = sortedEntries(sparse);
  out.u32(entries.length);
  for (const [term, w] of entries) out.string(term).f32(w);
}

function writeMulti(out: Bytes, multi: Record<string, ArrayLike<number>[]>): void {
  const entries = sortedEntries(multi);
  out.u32(entries.length);
  for (const [name, tokens] of entries) {
    const dim = tokens.length === 0 ? 0 : tokens[0].length;
    out.string(name).u32(dim).u32(tokens.length);
    for (const t of tokens) out.floats(t);
  }
}

/** Which optional fields a record has. */
interface Layout {
  namespace: boolean;
  named: boolean;
  sparse: boolean;
  multi: boolean;
  expiry: boolean;
}

function writeRecord(out: Bytes, r: WRecord, layout: Layout): void {
  if (layout.namespace) out.string(r.namespace ?? "");
  out.string(r.id);
  writeMap(out, r.metadata ?? {});
  out.u32(r.vector.length).floats(r.vector);
  if (layout.named) writeNamed(out, r.vectors ?? {});
  if (layout.sparse) writeSparse(out, r.sparse ?? {});
  if (layout.multi) writeMulti(out, r.multiVectors ?? {});
  if (layout.expiry) out.f64(r.expiresAt ?? 0);
}

/** What a snapshot is written from. */
export interface SnapshotSpec {
  version: number;
  dimension: number;
  /** The metric byte (versions 6 and 7): 0 cosine, 1 euclidean, 2 dotproduct, 3 manhattan. */
  metric?: number;
  records: WRecord[];
  /** Written instead of the records' count (a damaged header). */
  count?: bigint;
  /** Keep the given order instead of upstream's (namespace, id) order. */
  unsorted?: boolean;
}

/** A snapshot's bytes, and the offset of each record (in written order). */
export function writeSnapshot(spec: SnapshotSpec): { bytes: Uint8Array; recordOffsets: number[]; records: WRecord[] } {
  const v = spec.version;
  const out = new Bytes().raw(new TextEncoder().encode("VDB1")).u16(v).u32(spec.dimension);
  if (v >= 6) out.u8(spec.metric ?? 0);
  out.u64(spec.count ?? BigInt(spec.records.length));
  const key = (r: WRecord) => [v >= 2 ? r.namespace ?? "" : "", r.id instanceof Raw ? "" : r.id];
  const records = spec.unsorted ? spec.records : [...spec.records].sort((a, b) => {
    const [an, ai] = key(a), [bn, bi] = key(b);
    return byteOrder(an, bn) || byteOrder(ai, bi);
  });
  const layout = { namespace: v >= 2, named: v >= 4, sparse: v >= 3, multi: v >= 5, expiry: v >= 7 };
  const recordOffsets: number[] = [];
  for (const r of records) {
    recordOffsets.push(out.length);
    writeRecord(out, r, layout);
  }
  return { bytes: out.toBytes(), recordOffsets, records };
}

/** One operation's bytes under `dialect`. */
function writeOp(out: Bytes, op: WOp, dialect: Dialect): void {
  switch (op.op) {
    case "upsert":
      out.u8(1);
      writeRecord(out, op.record, { namespace: true, named: true, sparse: true, multi: dialect !== "v4", expiry: dialect === "v7" });
      return;
    case "delete":
      out.u8(2).string(op.namespace).string(op.id);
      return;
    case "update-metadata":
      out.u8(3).string(op.namespace).string(op.id);
      writeMap(out, op.metadata);
      return;
    case "set-ttl":
      out.u8(4).string(op.namespace).string(op.id).f64(op.expiresAt);
      return;
    case "raw":
      out.raw(op.bytes);
      return;
  }
}

/** One frame, its length prefix included: `u32 frame_len`, `u32 op_count`, the operations. */
export function walFrame(dialect: Dialect, ops: WOp[], options: { opCount?: number; extra?: Uint8Array } = {}): Uint8Array {
  const body = new Bytes().u32(options.opCount ?? ops.length);
  for (const op of ops) writeOp(body, op, dialect);
  if (options.extra) body.raw(options.extra);
  const bytes = body.toBytes();
  return new Bytes().u32(bytes.length).raw(bytes).toBytes();
}

/** A WAL file: the magic, the frames, then `tail` (the start of a frame cut short), if any. */
export function walFile(frames: Uint8Array[], tail?: Uint8Array): Uint8Array {
  const out = new Bytes().raw(new TextEncoder().encode("VWL1"));
  for (const f of frames) out.raw(f);
  if (tail) out.raw(tail);
  return out.toBytes();
}

/** The dialect the release that wrote snapshot version `version` used for its WAL (v4 for versions up to 4). */
export function dialectOf(version: number): Dialect {
  return version >= 7 ? "v7" : version >= 5 ? "v5" : "v4";
}
