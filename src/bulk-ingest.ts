/**
 * `bulkIngest`: records from an array or an (async) iterable written in batches, each its
 * own WAL transaction, with the graphs brought up to date once at the end. While it runs the
 * library records how to undo it (lib-rs/src/db/undo.rs), so that an abort (its `signal`, or
 * an `onProgress` that throws) leaves the database as if it had not been issued.
 *
 * @module
 */
import { call, callAsync } from "../ffi/native.ts";
import { abortableWhileQueued, callJob, checkControl } from "../ffi/jobs.ts";
import { checkSignal, VectLiteError } from "./errors.ts";
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
  return await abortableWhileQueued(signal, what, (begin) =>
    native.run(async (h) => {
      begin();
      call(lib, "vl_ingest_begin", h);
      // Set when the caller stopped the ingest: then everything it wrote is undone.
      let undo = false;
      const report = (p: ProgressEvent) => {
        try {
          onProgress?.(p);
        } catch (e) {
          undo = true;
          throw e;
        }
      };
      const stopIfAborted = () => {
        if (signal?.aborted) undo = true;
        checkSignal(signal, what);
      };
      let done = 0;
      try {
        let batch: RecordInput[] = [];
        const flush = async () => {
          const packed = await writer.packInSlices(batch, options.namespace);
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
          try {
            await callJob(lib, { what, signal, onProgress: onProgress && report }, "vl_index_async", h);
          } catch (e) {
            if (e instanceof VectLiteError && e.code === "ABORTED") undo = true;
            throw e;
          }
        }
        // Still in time: an abort in answer to the last progress event undoes the ingest too.
        stopIfAborted();
      } catch (e) {
        if (undo) {
          await callAsync(lib, "vl_ingest_end_async", h, 1);
          throw e;
        }
        // Failed otherwise (a bad record, a full disk): what was written stays, and gets its graph.
        try {
          if (done > 0) await callAsync(lib, "vl_index_async", h);
        } finally {
          await callAsync(lib, "vl_ingest_end_async", h, 0);
        }
        throw e;
      }
      await callAsync(lib, "vl_ingest_end_async", h, 0);
      return done;
    }));
}
