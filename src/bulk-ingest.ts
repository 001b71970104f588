/**
 * `bulkIngest`: records from an array or an (async) iterable written in batches, each its
 * own WAL transaction, with the graphs brought up to date once at the end. When the call can
 * be stopped (a `signal`, or an `onProgress` that may throw), the library records how to undo
 * it while it runs (lib-rs/src/db/undo.rs), so that an abort leaves the database as if the
 * call had not been issued.
 *
 * @module
 */
import { call, callAsync } from "../ffi/native.ts";
import { abortableWhileQueued, callJob, checkControl, reportProgress } from "../ffi/jobs.ts";
import { abortedError, VectLiteError } from "./errors.ts";
import type { NativeHandle } from "./handle.ts";
import { PACK_SLICE, type Writer } from "./writer.ts";
import type { BulkIngestOptions, ProgressEvent, RecordInput } from "./types.ts";

/** Leave the HNSW graphs for a later vl_index_async (bulkIngest updates them once, at its end). */
export const DEFER_INDEX = 2;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function bulkIngest(
  native: NativeHandle,
  writer: Writer,
  records: Iterable<RecordInput> | AsyncIterable<RecordInput>,
  options: BulkIngestOptions,
): Promise<number> {
  const what = "bulkIngest";
  native.check();
  if (typeof options !== "object" || options === null) throw new VectLiteError("INVALID_ARGUMENT", `${what} options must be an object`);
  const { signal, onProgress } = options;
  const batchSize = options.batchSize ?? 10_000;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new VectLiteError("INVALID_ARGUMENT", `batchSize must be a positive integer, found ${String(batchSize)}`);
  }
  checkControl({ what, signal, onProgress });
  const total = Array.isArray(records) ? records.length : undefined;
  const lib = native.lib;
  // Only a call that can be stopped pays for its undo log.
  const undoable = signal !== undefined || onProgress !== undefined;
  return await abortableWhileQueued(signal, what, (begin) =>
    native.run(async (h) => {
      begin();
      if (undoable) call(lib, "vl_ingest_begin", h);
      // Set when the caller stopped the ingest (an abort, an onProgress that threw): then
      // everything it wrote is undone, and the call rejects with this error.
      let stop: { error: unknown } | undefined;
      const report = (p: ProgressEvent) => reportProgress(onProgress, p, (error) => (stop ??= { error }));
      const stopIfAborted = () => {
        if (!stop && signal?.aborted) stop = { error: abortedError(what, signal) };
        if (stop) throw stop.error;
      };
      let done = 0;
      try {
        let batch: RecordInput[] = [];
        const flush = async () => {
          const packed = await writer.packInSlices(batch, options.namespace);
          try {
            stopIfAborted();
          } catch (e) {
            writer.discard(packed);
            throw e;
          }
          // The graphs are brought up to date once, at the end (searches meanwhile score the
          // records not in a graph yet exactly).
          done += await writer.write(h, packed, DEFER_INDEX);
          batch = [];
          report({ phase: "write", done, ...(total === undefined ? {} : { total }) });
          await sleep(0); // let timers and I/O run between batches
          stopIfAborted();
        };
        for await (const r of records as AsyncIterable<RecordInput>) {
          stopIfAborted();
          batch.push(r);
          if (batch.length >= batchSize) await flush();
          else if (batch.length % PACK_SLICE === 0) await sleep(0); // producing records takes time too
        }
        if (batch.length > 0) await flush();
        if (done > 0) {
          await callJob(lib, { what, signal, onProgress: onProgress && report }, "vl_index_async", h);
        }
        // Still in time: an abort in answer to the last progress event undoes the ingest too.
        stopIfAborted();
      } catch (e) {
        // An abort seen by the records' source (its own fetch, say) stops the ingest too.
        if (!stop && signal?.aborted) stop = { error: abortedError(what, signal) };
        if (stop) {
          await undo(native, h, stop.error);
          throw stop.error;
        }
        // Failed otherwise (a bad record, a full disk): what was written stays, and gets its graph.
        try {
          if (done > 0) await callAsync(lib, "vl_index_async", h);
        } finally {
          if (undoable) call(lib, "vl_ingest_end", h);
        }
        throw e;
      }
      if (undoable) call(lib, "vl_ingest_end", h);
      return done;
    }));
}

/** Undoes the ingest on handle `h` (it was stopped with `reason`); a failed undo says so. */
async function undo(native: NativeHandle, h: bigint, reason: unknown): Promise<void> {
  try {
    await callAsync(native.lib, "vl_ingest_undo_async", h);
  } catch (e) {
    const code = e instanceof VectLiteError ? e.code : "INTERNAL";
    throw new VectLiteError(
      code,
      `bulkIngest was stopped, but undoing it failed: ${(e as Error).message ?? e}; the batches that had landed stay`,
      { cause: reason },
    );
  } finally {
    call(native.lib, "vl_ingest_end", h);
  }
}
