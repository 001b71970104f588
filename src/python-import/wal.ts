/**
 * The Python package's write-ahead log, `<name>.vdb.wal`:
 *
 * ```text
 * "VWL1", then frames: u32 frame_len, then frame_len bytes: u32 op_count, ops
 * op: u8 tag; 1 upsert (a record), 2 delete (ns, id), 3 update metadata (ns, id, metadata),
 *     4 set expiry (ns, id, f64 epoch seconds, 0 = never)
 * ```
 *
 * The log is not versioned, and the upsert grew over the releases (see `WalDialect`), so each
 * complete frame is parsed under every layout and taken under the one that consumes exactly
 * its length with every operation valid. Like upstream's replay, a last frame cut short (the
 * file ends inside its length or its body) is dropped silently: the write it held never
 * returned. A complete frame that fits no layout is `CORRUPT`.
 *
 * @module
 */
import { VectLiteError } from "../errors.ts";
import { Cursor, readMetadata, readRecord, type RecordLayout } from "./bytes.ts";
import type { PyOp, WalDialect } from "./model.ts";

/** One complete frame: its file offset, the layout it fits (null: it holds no upsert), its operations. */
export interface PyWalFrame {
  offset: number;
  dialect: WalDialect | null;
  ops: PyOp[];
}

/** What a WAL holds. */
export interface PyWal {
  frames: PyWalFrame[];
  /** Where the dropped, incomplete last frame began, or null when the log ends cleanly. */
  tornAt: number | null;
}

const MAGIC = [0x56, 0x57, 0x4c, 0x31]; // "VWL1"

/** Tried in this order: the newest releases' layout first. */
const DIALECTS: readonly WalDialect[] = ["v7", "v5", "v4"];

const DIALECT_NAMES: Record<WalDialect, string> = { v7: "v7 (+multi-vectors +expiry)", v5: "v5/v6 (+multi-vectors)", v4: "v4" };

function upsertLayout(dialect: WalDialect): RecordLayout {
  return { namespace: true, named: true, sparse: true, multi: dialect !== "v4", expiry: dialect === "v7" };
}

/** The operations of one frame's body under `dialect`; throws unless they consume it exactly. */
function readOps(c: Cursor, dimension: number, dialect: WalDialect): PyOp[] {
  const layout = upsertLayout(dialect);
  c.context = "";
  const n = c.count("operations", 9); // a tag and two empty strings at the least
  const ops: PyOp[] = [];
  for (let i = 0; i < n; i++) {
    const label = `operation ${i}`;
    c.context = label;
    const at = c.offset;
    const tag = c.u8("an operation's tag");
    if (tag === 1) {
      ops.push({ kind: "upsert", record: readRecord(c, dimension, layout, label) });
      continue;
    }
    if (tag < 1 || tag > 4) throw c.corrupt(`unknown operation tag ${tag}`, at);
    const namespace = c.string("a namespace");
    const id = c.string("an id");
    c.context = `${label}: id ${JSON.stringify(id)} in namespace ${JSON.stringify(namespace)}`;
    if (tag === 2) ops.push({ kind: "delete", namespace, id });
    else if (tag === 3) ops.push({ kind: "update-metadata", namespace, id, patch: readMetadata(c) });
    else ops.push({ kind: "set-ttl", namespace, id, expiresAt: c.f64("the expiry") });
  }
  c.context = "";
  if (c.remaining !== 0) throw c.corrupt(`${c.remaining} bytes are left over after the last operation`);
  return ops;
}

/** A frame's operations under the one layout that fits it. */
function readFrame(body: Uint8Array, file: string, frameOffset: number, dimension: number): PyWalFrame {
  const failures: { dialect: WalDialect; error: VectLiteError }[] = [];
  for (const dialect of DIALECTS) {
    try {
      const ops = readOps(new Cursor(body, file, frameOffset + 4, "the frame"), dimension, dialect);
      return { offset: frameOffset, dialect: ops.some((op) => op.kind === "upsert") ? dialect : null, ops };
    } catch (e) {
      if (!(e instanceof VectLiteError)) throw e;
      failures.push({ dialect, error: e });
    }
  }
  // A layout that read the frame and found a value no database here can hold (metadata
  // nested too deeply) fits it: that is the error to report.
  const unfit = failures.find((f) => f.error.code !== "CORRUPT");
  if (unfit) throw unfit.error;
  const prefix = `${file}: `;
  const reasons = failures.map(({ dialect, error }) => {
    const m = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
    return `as ${DIALECT_NAMES[dialect]}: ${m}`;
  });
  throw new VectLiteError(
    "CORRUPT",
    `${file}: at byte ${frameOffset}: the WAL frame of ${body.length} bytes fits none of the upsert layouts (${reasons.join("; ")})`,
    { path: file, offset: frameOffset },
  );
}

/** Reads a whole WAL file (`bytes` empty when there is none) for a database of `dimension`. */
export function readWal(bytes: Uint8Array, file: string, dimension: number): PyWal {
  if (bytes.length === 0) return { frames: [], tornAt: null };
  // Upstream stops at an end of file inside the magic, as inside a frame: nothing to replay.
  if (bytes.length < 4) return { frames: [], tornAt: 0 };
  if (MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new VectLiteError("CORRUPT", `${file}: at byte 0: not a Python vectlite WAL: the file does not start with "VWL1"`, { path: file, offset: 0 });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const frames: PyWalFrame[] = [];
  let pos = 4;
  while (pos < bytes.length) {
    if (bytes.length - pos < 4) return { frames, tornAt: pos };
    const length = view.getUint32(pos, true);
    if (bytes.length - pos - 4 < length) return { frames, tornAt: pos };
    frames.push(readFrame(bytes.subarray(pos + 4, pos + 4 + length), file, pos, dimension));
    pos += 4 + length;
  }
  return { frames, tornAt: null };
}
