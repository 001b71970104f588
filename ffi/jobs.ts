/**
 * Long background jobs a caller can follow and stop: the job's progress events handed to
 * `onProgress`, and an AbortSignal that cancels it (lib-rs/src/progress.rs: the job stops
 * at its next safe point and fails with `ABORTED`, having undone what it must).
 *
 * @module
 */
import { call, type CallResult, collect, type NativeLib } from "./native.ts";
import type { CallArgs, SymbolName } from "./symbols.ts";
import { abortedError, checkSignal, VectLiteError } from "../src/errors.ts";
import type { AbortSignalLike, ProgressEvent } from "../src/types.ts";

/** How a caller follows and stops a job. */
export interface JobControl {
  /** The call's name, for the `ABORTED` message. */
  what: string;
  signal?: AbortSignalLike;
  onProgress?: (progress: ProgressEvent) => void;
}

/** Checks a call's `signal` and `onProgress` options (`INVALID_ARGUMENT`, or `ABORTED` when aborted already). */
export function checkControl(control: JobControl): void {
  checkSignal(control.signal, control.what);
  if (control.onProgress !== undefined && typeof control.onProgress !== "function") {
    throw new VectLiteError("INVALID_ARGUMENT", `${control.what}: onProgress must be a function`);
  }
}

/**
 * Asks job `job` to stop when `signal` aborts (at once if it has); returns what stops
 * listening. A job collected already is left alone.
 */
export function cancelOnAbort(lib: NativeLib, job: bigint, signal: AbortSignalLike | undefined): () => void {
  if (!signal) return () => {};
  const cancel = () => {
    try {
      call(lib, "vl_job_cancel", job);
    } catch {
      // Finished and collected meanwhile: nothing to stop.
    }
  };
  if (signal.aborted) {
    cancel();
    return () => {};
  }
  signal.addEventListener("abort", cancel, { once: true });
  return () => signal.removeEventListener("abort", cancel);
}

/**
 * Calls `onProgress` with `event`. When it throws, `stop` is told and the error rethrown; when
 * it returns a promise that rejects, `stop` is told (never an unhandled rejection).
 */
export function reportProgress(
  onProgress: ((progress: ProgressEvent) => unknown) | undefined,
  event: ProgressEvent,
  stop: (error: unknown) => void,
): void {
  if (!onProgress) return;
  let returned: unknown;
  try {
    returned = onProgress(event);
  } catch (e) {
    stop(e);
    throw e;
  }
  if (returned !== null && typeof returned === "object" && typeof (returned as { then?: unknown }).then === "function") {
    (returned as Promise<unknown>).then(undefined, stop);
  }
}

interface RawEvent {
  phase: ProgressEvent["phase"];
  done: number;
  total: number | null;
}

/**
 * Starts the job of `_async` symbol `name` and waits for it as `callAsync` does, handing
 * its progress to `control.onProgress` and cancelling it when `control.signal` aborts; an
 * aborted job rejects with `ABORTED` naming `control.what`. An `onProgress` that throws (or
 * returns a promise that rejects) cancels the job too, and the call rejects with what it
 * threw, unless the job had finished its work by then.
 */
export async function callJob<N extends SymbolName>(lib: NativeLib, control: JobControl, name: N, ...args: CallArgs<N>): Promise<CallResult> {
  const { what, signal, onProgress } = control;
  checkSignal(signal, what);
  const job = call(lib, name, ...args).scalar;
  const unlisten = cancelOnAbort(lib, job, signal);
  let thrown: { error: unknown } | undefined;
  const stop = (error: unknown) => {
    thrown ??= { error };
    try {
      call(lib, "vl_job_cancel", job);
    } catch {
      // Collected meanwhile: nothing to stop.
    }
  };
  const take = () => JSON.parse(new TextDecoder().decode(call(lib, "vl_job_progress", job).bytes!)) as RawEvent[];
  // Taking progress makes the job followed: each of its reports then waits until the
  // previous one was handed to onProgress and acknowledged (a take that finds none), so an
  // abort from onProgress stops the job before its next step.
  const progress = onProgress &&
    (() => {
      if (thrown) return;
      try {
        for (let events = take(); events.length > 0; events = take()) {
          for (const e of events) {
            reportProgress(onProgress, e.total === null ? { phase: e.phase, done: e.done } : { phase: e.phase, done: e.done, total: e.total }, stop);
          }
        }
      } catch (error) {
        stop(error);
      }
    });
  progress?.();
  try {
    // A job that finished did its work: an onProgress that threw too late to stop it is
    // too late as an abort is, and the call resolves.
    return await collect(lib, name, job, args, progress);
  } catch (e) {
    if (thrown) throw thrown.error;
    if (e instanceof VectLiteError && e.code === "ABORTED" && signal) throw abortedError(what, signal);
    throw e;
  } finally {
    unlisten();
  }
}

/**
 * Queues a call with `enqueue` and settles as it does, except that an abort while the call
 * still waits for its turn rejects with `ABORTED` at once (the call then does nothing when
 * its turn comes). The queued work calls `begin` first: it throws if the call was aborted.
 * Once begun, only the job itself decides (an abort past its last point of return is too
 * late, and the call resolves).
 */
export function abortableWhileQueued<T>(signal: AbortSignalLike | undefined, what: string, enqueue: (begin: () => void) => Promise<T>): Promise<T> {
  if (!signal) return enqueue(() => {});
  let started = false;
  let told = false;
  return new Promise<T>((resolve, reject) => {
    const aborted = () => {
      if (started) return;
      told = true;
      reject(abortedError(what, signal));
    };
    signal.addEventListener("abort", aborted, { once: true });
    let work: Promise<T>;
    try {
      work = enqueue(() => {
        if (told) throw abortedError(what, signal);
        checkSignal(signal, what);
        started = true;
      });
    } catch (e) {
      work = Promise.reject(e);
    }
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", aborted));
  });
}
