/**
 * The committed Python-format fixtures (tests/fixtures/python/v1..v7, written by
 * scripts/make-python-fixtures.ts) as data, and a plain model of what importing a snapshot
 * plus WAL operations must give: the tests compare an import with this model.
 */
import { type Dialect, dialectOf, F64, type WOp, type WRecord, type WValue, walFile, walFrame, writeSnapshot } from "./python-vdb-writer.ts";

export const FIXTURE_DIMENSION = 4;
/** Epoch seconds long past (2001-09-09) and far ahead (2100-01-01). */
export const PAST = 1_000_000_000;
export const FUTURE = 4_102_444_800;

/** What one fixture directory is made from. */
export interface FixtureSpec {
  version: number;
  dimension: number;
  metric?: number;
  records: WRecord[];
  /** Each frame's operations, all in the version's dialect. */
  frames: WOp[][];
  /** How many bytes of one more frame the WAL ends with (a torn tail). */
  tornBytes: number;
}

/** Metadata with every value tag: strings, i64, f64 (also integral ones), bools, null, lists and maps. */
const EVERY_TAG: Record<string, WValue> = {
  title: "Alpha \u00fcn\u00efc\u00f6d\u00e9 \u2713 \u{1F600}",
  count: 42,
  negative: -7,
  score: new F64(0.5),
  whole: new F64(2),
  yes: true,
  no: false,
  nothing: null,
  tags: ["x", 1, new F64(1.5), null, [true]],
  nested: { inner: { deep: "yes" }, empty: [], none: {} },
};

/** The spec of fixture version `version`. */
export function fixtureSpec(version: number): FixtureSpec {
  const ns = version >= 2 ? "docs" : "";
  const c: WRecord = { namespace: ns, id: "c", metadata: { kind: "with extras" }, vector: [0.5, 0.25, -0.125, 1] };
  if (version >= 3) c.sparse = { alpha: 2, beta: 0.5, "\u00e9t\u00e9": 1.25 };
  if (version >= 4) c.vectors = { title: [1, 0, 0, 0.5], body: [-1, 2, 0.75, 0] };
  if (version >= 5) c.multiVectors = { colbert: [[0.5, 1, 0], [0, -1, 2]], empty: [] };
  const records: WRecord[] = [
    { id: "a", metadata: EVERY_TAG, vector: [0.25, -1.5, 3, 0.125] },
    { id: "b", metadata: { n: 1 }, vector: [1, 2, 3, 4] },
    c,
    { namespace: ns, id: "d", metadata: { doomed: true }, vector: [4, 3, 2, 1] },
  ];
  if (version >= 7) {
    records.push({ id: "old", metadata: { gone: true }, vector: [0, 0, 1, 0], expiresAt: PAST });
    records.push({ id: "later", metadata: { until: 2100 }, vector: [0, 1, 0, 0], expiresAt: FUTURE });
  }
  const e: WRecord = { namespace: version >= 2 ? "" : "wal", id: "e", metadata: { from: "wal" }, vector: [-1, -2, -3, -4] };
  if (version >= 5) e.multiVectors = { colbert: [[1, 1, 1]] };
  return {
    version,
    dimension: FIXTURE_DIMENSION,
    ...(version >= 6 ? { metric: version === 6 ? 1 : 3 } : {}),
    records,
    frames: [
      [{ op: "upsert", record: e }, { op: "upsert", record: { id: "b", metadata: { n: 2, replaced: true }, vector: [9, 8, 7, 6] } }],
      [{ op: "delete", namespace: ns, id: "d" }, { op: "delete", namespace: "", id: "nobody" }],
      [{ op: "update-metadata", namespace: "", id: "a", metadata: { count: 43, added: "new" } }, {
        op: "update-metadata",
        namespace: "",
        id: "ghost",
        metadata: { x: 1 },
      }],
      [{ op: "set-ttl", namespace: "", id: "b", expiresAt: PAST }, { op: "set-ttl", namespace: "", id: "a", expiresAt: 0 }, {
        op: "set-ttl",
        namespace: "",
        id: "ghost",
        expiresAt: FUTURE,
      }],
    ],
    tornBytes: 7,
  };
}

/** The files of a spec: `<name>.vdb` and `<name>.vdb.wal`. */
export function fixtureFiles(spec: FixtureSpec): { vdb: Uint8Array; wal: Uint8Array } {
  const dialect = dialectOf(spec.version);
  const vdb = writeSnapshot({ version: spec.version, dimension: spec.dimension, metric: spec.metric, records: spec.records }).bytes;
  const frames = spec.frames.map((ops) => walFrame(dialect, ops));
  const extra = walFrame(dialect, [{ op: "delete", namespace: "", id: "a" }]);
  return { vdb, wal: walFile(frames, extra.subarray(0, spec.tornBytes)) };
}

const key = (namespace: string, id: string) => JSON.stringify([namespace, id]);

/** A record as a layout keeps it: the fields the layout lacks are not written, so never read. */
function asWritten(r: WRecord, fields: { namespace: boolean; sparse: boolean; named: boolean; multi: boolean; expiry: boolean }): WRecord {
  const out: WRecord = { ...r, namespace: fields.namespace ? r.namespace ?? "" : "" };
  if (!fields.sparse) delete out.sparse;
  if (!fields.named) delete out.vectors;
  if (!fields.multi) delete out.multiVectors;
  if (!fields.expiry) delete out.expiresAt;
  return out;
}

/**
 * Upstream's semantics, plainly: the records of a version `version` snapshot after every
 * operation (WAL upserts in `dialect`), by (namespace, id).
 */
export function replayModel(version: number, records: WRecord[], ops: WOp[], dialect: Dialect = dialectOf(version)): Map<string, WRecord> {
  const state = new Map<string, WRecord>();
  const snapshotFields = { namespace: version >= 2, sparse: version >= 3, named: version >= 4, multi: version >= 5, expiry: version >= 7 };
  const walFields = { namespace: true, sparse: true, named: true, multi: dialect !== "v4", expiry: dialect === "v7" };
  for (const r of records) {
    const rec = asWritten(r, snapshotFields);
    state.set(key(rec.namespace!, rec.id as string), rec);
  }
  for (const op of ops) {
    if (op.op === "upsert") {
      const rec = asWritten(op.record, walFields);
      state.set(key(rec.namespace!, rec.id as string), rec);
    } else if (op.op === "delete") state.delete(key(op.namespace, op.id));
    else if (op.op === "update-metadata") {
      const r = state.get(key(op.namespace, op.id));
      if (r) state.set(key(op.namespace, op.id), { ...r, metadata: { ...r.metadata, ...op.metadata } });
    } else if (op.op === "set-ttl") {
      const r = state.get(key(op.namespace, op.id));
      if (r) state.set(key(op.namespace, op.id), { ...r, expiresAt: op.expiresAt });
    }
  }
  return state;
}

/** Whether upstream hides a record with this expiry at `nowMs`. */
export function modelExpired(expiresAt: number | undefined, nowMs: number): boolean {
  return expiresAt !== undefined && expiresAt > 0 && expiresAt * 1000 <= nowMs;
}

/** A metadata value as the imported record must hold it (after a JSON round trip, as stored). */
export function modelJson(v: WValue, largeIntegers: "error" | "string" = "error"): unknown {
  if (v instanceof F64) return v.value === 0 ? 0 : v.value; // JSON has no -0
  if (typeof v === "bigint") {
    if (v >= -BigInt(Number.MAX_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
    if (largeIntegers === "string") return v.toString();
    throw new Error(`the model has a large integer ${v}`);
  }
  if (Array.isArray(v)) return v.map((x) => modelJson(x, largeIntegers));
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) Object.defineProperty(out, k, { value: modelJson(x as WValue, largeIntegers), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return typeof v === "number" && Object.is(v, -0) ? 0 : v;
}

/** What `db.get(id, { includeVectors: true })` must return for a model record. */
export interface ExpectedRecord {
  id: string;
  namespace: string;
  metadata: unknown;
  sparse?: Record<string, number>;
  vector: Float32Array;
  vectors?: Record<string, Float32Array>;
  multiVectors?: Record<string, Float32Array[]>;
  expiresAtMs?: number;
}

/** The expected stored form of the visible records of `state` at `nowMs`, and how many expired. */
export function expectedRecords(
  state: Map<string, WRecord>,
  nowMs: number,
  largeIntegers: "error" | "string" = "error",
): { records: ExpectedRecord[]; expired: number } {
  const records: ExpectedRecord[] = [];
  let expired = 0;
  for (const r of state.values()) {
    if (modelExpired(r.expiresAt, nowMs)) {
      expired++;
      continue;
    }
    const e: ExpectedRecord = {
      id: r.id as string,
      namespace: r.namespace ?? "",
      metadata: modelJson(r.metadata ?? {}, largeIntegers),
      vector: Float32Array.from(r.vector),
    };
    const sparse = Object.entries(r.sparse ?? {});
    if (sparse.length > 0) e.sparse = Object.fromEntries(sparse.map(([t, w]) => [t, Math.fround(w) || 0])); // stored as JSON: -0 is 0
    const named = Object.entries(r.vectors ?? {});
    // Named vectors cross into the library as JSON, where -0 is 0; main vectors go as floats.
    if (named.length > 0) e.vectors = Object.fromEntries(named.map(([n, v]) => [n, Float32Array.from(v, (x) => x || 0)]));
    const multi = Object.entries(r.multiVectors ?? {}).filter(([, tokens]) => tokens.length > 0);
    if (multi.length > 0) e.multiVectors = Object.fromEntries(multi.map(([n, ts]) => [n, ts.map((t) => Float32Array.from(t))]));
    if (r.expiresAt !== undefined && r.expiresAt > 0) e.expiresAtMs = Math.round(r.expiresAt * 1000);
    records.push(e);
  }
  return { records, expired };
}

/** The model of a fixture spec. */
export function fixtureModel(spec: FixtureSpec): Map<string, WRecord> {
  return replayModel(spec.version, spec.records, spec.frames.flat());
}
