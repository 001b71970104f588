/**
 * The Python package's snapshot, `<name>.vdb`, in any of its versions 1 to 7:
 *
 * ```text
 * "VDB1", u16 version, u32 dimension, [u8 metric: v6+], u64 record count, records
 * record: [namespace: v2+], id, metadata, vector, [named: v4+], [sparse: v3+], [multi: v5+], [f64 expires_at: v7]
 * ```
 *
 * Nothing follows the records that upstream checks, so trailing bytes are ignored, as it does.
 *
 * @module
 */
import type { Metric } from "../types.ts";
import { Cursor, readRecord, type RecordLayout } from "./bytes.ts";
import { METRICS, NEWEST_VERSION, type PyRecord, UPSTREAM_METRIC_NAMES } from "./model.ts";

/** What a snapshot holds. */
export interface PySnapshot {
  version: number;
  dimension: number;
  metric: Metric;
  /** In file order; a repeated (namespace, id) is later replaced by the later one. */
  records: PyRecord[];
}

const MAGIC = [0x56, 0x44, 0x42, 0x31]; // "VDB1"

/** The fields a record of snapshot version `version` has. */
export function snapshotLayout(version: number): RecordLayout {
  return { namespace: version >= 2, named: version >= 4, sparse: version >= 3, multi: version >= 5, expiry: version >= 7 };
}

/**
 * The least number of bytes a record takes (empty strings and blocks), so that a record count
 * is checked against the file's size before any record is read.
 */
function minRecordBytes(version: number, dimension: number): number {
  const layout = snapshotLayout(version);
  const blocks = [layout.namespace, layout.named, layout.sparse, layout.multi].filter(Boolean).length;
  return 4 /* id */ + 4 /* metadata */ + 4 + 4 * dimension /* vector */ + 4 * blocks + (layout.expiry ? 8 : 0);
}

/** Reads a whole snapshot file; `CORRUPT` naming `file` and the byte offset for any damage. */
export function readSnapshot(bytes: Uint8Array, file: string): PySnapshot {
  const c = new Cursor(bytes, file);
  c.context = "header";
  const magic = bytes.subarray(0, 4);
  if (magic.length < 4 || MAGIC.some((b, i) => magic[i] !== b)) {
    throw c.corrupt(`not a Python vectlite snapshot: the file does not start with "VDB1"`, 0);
  }
  c.pos = 4;
  const version = c.u16("the format version");
  if (version < 1 || version > NEWEST_VERSION) {
    throw c.corrupt(`unsupported snapshot version ${version} (versions 1 to ${NEWEST_VERSION} are read)`, 4);
  }
  const dimension = c.u32("the dimension");
  if (dimension === 0) throw c.corrupt("the dimension is 0", 6);
  let metric: Metric = "cosine";
  if (version >= 6) {
    const at = c.offset;
    const byte = c.u8("the metric");
    if (byte >= METRICS.length) {
      const known = UPSTREAM_METRIC_NAMES.map((name, i) => `${i} ${name}`).join(", ");
      throw c.corrupt(`unknown metric ${byte} (known: ${known})`, at);
    }
    metric = METRICS[byte];
  }
  const countAt = c.offset;
  const count = c.u64("the record count");
  const least = minRecordBytes(version, dimension);
  if (count * BigInt(least) > BigInt(c.remaining)) {
    throw c.corrupt(`${count} records need at least ${count * BigInt(least)} bytes, but the file has ${c.remaining} left`, countAt);
  }
  const layout = snapshotLayout(version);
  const records: PyRecord[] = [];
  for (let i = 0; i < Number(count); i++) {
    records.push(readRecord(c, dimension, layout, `record ${i}`));
  }
  return { version, dimension, metric, records };
}
