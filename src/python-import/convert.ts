/**
 * Turning a replayed upstream record into a record this project's databases take: metadata
 * as plain JSON (an i64 beyond ±(2^53 - 1) refused, or as its decimal string when asked; NaN
 * and infinities refused, as every write here refuses them), finite vectors, and the expiry
 * in epoch milliseconds. Every refusal names the record and the key path.
 *
 * @module
 */
import { checkMetadata } from "../codec.ts";
import { VectLiteError } from "../errors.ts";
import { checkFinite } from "../records.ts";
import type { Metadata, MetadataValue, RecordInput } from "../types.ts";
import { type PyMap, type PyRecord, type PyValue, recordName, setOwn } from "./model.ts";

/** What the conversion does with an integer a JS number cannot hold exactly. */
export type LargeIntegers = "error" | "string";

/** The last instant (epoch ms) an expiry here can name: the last one a `Date` holds (year 275760). */
const LAST_INSTANT = 8.64e15;

/** Ids here are at most this many bytes of UTF-8. */
const MAX_ID_BYTES = 4096;

const encoder = new TextEncoder();

/** The record a write takes, with the fields of upstream records that have no older equivalent here. */
export type ImportedRecord = RecordInput & {
  /** Epoch milliseconds; absent: never expires. */
  expiresAt?: number;
  /** Token vectors by space, only when the record has any. */
  multiVectors?: Record<string, Float32Array[]>;
};

/**
 * Whether upstream hides the record at `nowMs`: `expires_at` is epoch seconds, 0 means never.
 * Like upstream's check (`expires_at > 0 && expires_at <= now`), a negative or NaN value
 * never expires; neither does +Infinity, which is later than any time.
 */
export function isExpired(expiresAt: number, nowMs: number): boolean {
  return expiresAt > 0 && expiresAt * 1000 <= nowMs;
}

/**
 * The two record fields that map upstream features onto write options: `expiresAt` (epoch
 * ms, for a record that expires in the future) and `multiVectors` (only when some space holds
 * tokens). Kept here, apart, so that their names and shapes can follow the write API.
 */
function expiryAndMultiVectors(record: PyRecord): Pick<ImportedRecord, "expiresAt" | "multiVectors"> {
  const out: Pick<ImportedRecord, "expiresAt" | "multiVectors"> = {};
  // Past the last instant a Date holds, an expiry is never reached: written as none.
  const ms = Math.round(record.expiresAt * 1000);
  if (ms > 0 && ms <= LAST_INSTANT) out.expiresAt = ms;
  const spaces: Record<string, Float32Array[]> = {};
  let any = false;
  for (const name of Object.keys(record.multiVectors)) {
    const tokens = record.multiVectors[name];
    if (tokens.length === 0) continue;
    setOwn(spaces, name, tokens);
    any = true;
  }
  if (any) out.multiVectors = spaces;
  return out;
}

/** A metadata value as JSON, or an `INVALID_ARGUMENT` naming `where` and the key path. */
function jsonValue(value: PyValue, where: string, path: string, largeIntegers: LargeIntegers): MetadataValue {
  if (typeof value === "bigint") {
    if (largeIntegers === "string") return value.toString();
    throw new VectLiteError(
      "INVALID_ARGUMENT",
      `${where}: metadata${path} is the integer ${value}, beyond what a JavaScript number holds exactly (±(2^53 - 1)); ` +
        `pass largeIntegers: "string" to import such integers as decimal strings`,
    );
  }
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new VectLiteError("INVALID_ARGUMENT", `${where}: metadata${path} is ${value}, which JSON cannot hold`);
    return value;
  }
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v, i) => jsonValue(v, where, `${path}[${i}]`, largeIntegers));
  return jsonMap(value, where, path, largeIntegers);
}

function jsonMap(map: PyMap, where: string, path: string, largeIntegers: LargeIntegers): Metadata {
  const out: Metadata = {};
  for (const key of Object.keys(map)) setOwn(out, key, jsonValue(map[key], where, `${path}.${key}`, largeIntegers));
  return out;
}

/**
 * The record to write for `record` (which has not expired). `INVALID_ARGUMENT`, naming the
 * record, for what no database here can hold: an empty or too long id, the namespace `"*"`,
 * a large integer (unless `largeIntegers` is `"string"`), a non-finite float in metadata, a
 * vector or a sparse weight, metadata nested too deeply.
 */
export function toImportedRecord(record: PyRecord, largeIntegers: LargeIntegers): ImportedRecord {
  try {
    return convert(record, largeIntegers);
  } catch (e) {
    if (e instanceof VectLiteError && e.id === undefined) throw new VectLiteError(e.code, e.message, { id: record.id, cause: e.cause });
    throw e;
  }
}

function convert(record: PyRecord, largeIntegers: LargeIntegers): ImportedRecord {
  const name = recordName(record.namespace, record.id);
  const refuse = (problem: string) => new VectLiteError("INVALID_ARGUMENT", `${name}: ${problem}`);
  if (record.id.length === 0) throw refuse("the id is empty, which a database here does not allow");
  const idBytes = encoder.encode(record.id).length;
  if (idBytes > MAX_ID_BYTES) throw refuse(`the id is ${idBytes} bytes of UTF-8, more than the ${MAX_ID_BYTES} a database here allows`);
  if (record.namespace === "*") throw refuse(`the namespace "*" means every namespace here, for reads; no record can be written to it`);
  const metadata = jsonMap(record.metadata, name, "", largeIntegers);
  checkMetadata(metadata, `${name}: metadata`);
  try {
    checkFinite(record.vector, "the vector");
    for (const [n, v] of Object.entries(record.vectors)) checkFinite(v, `named vector ${JSON.stringify(n)}`);
    for (const [n, tokens] of Object.entries(record.multiVectors)) {
      tokens.forEach((t, i) => checkFinite(t, `multi-vector space ${JSON.stringify(n)} token ${i}`));
    }
    for (const [term, w] of Object.entries(record.sparse)) {
      if (!Number.isFinite(w)) throw new VectLiteError("INVALID_ARGUMENT", `sparse term ${JSON.stringify(term)} has the weight ${w}`);
    }
  } catch (e) {
    if (e instanceof VectLiteError) throw refuse(e.message);
    throw e;
  }
  const out: ImportedRecord = { id: record.id, namespace: record.namespace, vector: record.vector, metadata };
  if (Object.keys(record.sparse).length > 0) out.sparse = record.sparse;
  if (Object.keys(record.vectors).length > 0) out.vectors = record.vectors;
  return Object.assign(out, expiryAndMultiVectors(record));
}
