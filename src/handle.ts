/**
 * The native handle of one open database, and the one queue every call on it goes through.
 *
 * Calls run in the order they were issued, whether or not the caller awaited the earlier
 * ones: a read sees every write issued before it, and writes apply in issue order. Reads
 * issued one after another run together (on the native read pool, in parallel), but never
 * beside a write: a write waits for the reads issued before it, and the reads issued after
 * it wait for the write. A call that can start when it is issued starts at once,
 * synchronously inside the call (a small read or write is one FFI call of a few
 * microseconds: no timer, no extra turn of the event loop). A call whose native part is a
 * background job (a search on the read pool, a large write, compact, snapshot, ...) holds
 * its place until the job finishes; calls that must wait for it wait in the queue,
 * asynchronously, rather than block the event loop on the database's lock.
 *
 * @module
 */
import { call, callAsync, type NativeLib } from "../ffi/native.ts";
import { VectLiteError } from "./errors.ts";

/**
 * Handles that were garbage-collected without `close()` are closed here, on a native thread
 * of their own: closing may compact, which must not run on the JavaScript thread.
 */
const finalizer = new FinalizationRegistry<{ lib: NativeLib; handle: bigint }>(({ lib, handle }) => {
  try {
    call(lib, "vl_close_detached", handle);
  } catch {
    // Already closed: nothing to release.
  }
});

/**
 * The native part of a call, run at the call's place in the queue with the live handle.
 * It returns its result, or a promise of it: the queue then waits until that settles.
 */
export type Step<T> = (handle: bigint) => T | Promise<T>;

/** Owns one native database handle: its CLOSED state, its call queue and its vector buffers. */
export class NativeHandle {
  readonly lib: NativeLib;
  /** The database's path, for messages. */
  readonly path: string;
  #handle: bigint | null;
  /** Set by the first close(): later calls reject with CLOSED at once. */
  #closing: Promise<void> | null = null;
  /** Whether a write (or any other exclusive call) is running. */
  #writing = false;
  /** Reads running. */
  #reads = 0;
  /** Calls waiting for their turn, oldest first, from index #next on. */
  #waiting: { read: boolean; start: () => void }[] = [];
  #next = 0;
  #pumping = false;

  constructor(lib: NativeLib, handle: bigint, path: string) {
    this.lib = lib;
    this.#handle = handle;
    this.path = path;
    finalizer.register(this, { lib, handle }, this);
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closing !== null;
  }

  /** Whether a read issued now would start at once (no write running or queued). */
  get readsNow(): boolean {
    return !this.#writing && this.#next === this.#waiting.length;
  }

  /**
   * Runs a quick synchronous native read now if nothing is running or queued and the handle
   * is open (it then cannot wait on a job's lock); otherwise returns undefined. For
   * `console.log(db)`, which cannot wait its turn.
   */
  peek<T>(read: (handle: bigint) => T): T | undefined {
    if (this.#writing || this.#reads > 0 || this.#closing !== null || this.#handle === null) return undefined;
    return read(this.#handle);
  }

  /** Throws CLOSED once `close()` was called. */
  check(): void {
    if (this.#closing !== null) throw this.#closedError();
  }

  #closedError(): VectLiteError {
    return new VectLiteError("CLOSED", `the database ${this.path} is closed`);
  }

  /**
   * Runs `step` after every call issued before this one and before every call issued after
   * it; at once when nothing is running. Throws CLOSED (synchronously) once `close()` was
   * called. A step that throws or rejects fails its own call only: the queue moves on.
   */
  run<T>(step: Step<T>): Promise<T> {
    this.check();
    return this.#enqueue(false, step);
  }

  /**
   * Runs a read: after every write issued before it and before every write issued after
   * it, beside other reads. Throws CLOSED (synchronously) once `close()` was called.
   */
  read<T>(step: Step<T>): Promise<T> {
    this.check();
    return this.#enqueue(true, step);
  }

  #canStart(read: boolean): boolean {
    return !this.#writing && (read || this.#reads === 0);
  }

  #enqueue<T>(read: boolean, step: Step<T>): Promise<T> {
    if (this.#next === this.#waiting.length && this.#canStart(read)) return this.#start(read, step);
    return new Promise<T>((resolve, reject) => {
      this.#waiting.push({ read, start: () => void this.#start(read, step).then(resolve, reject) });
    });
  }

  /**
   * Runs a step now. It counts as running meanwhile, so a call issued from inside it (user
   * code in bulkIngest) waits its turn.
   */
  #start<T>(read: boolean, step: Step<T>): Promise<T> {
    const h = this.#handle;
    if (h === null) return Promise.reject(this.#closedError());
    if (read) this.#reads++;
    else this.#writing = true;
    const done = read ? this.#readDone : this.#writeDone;
    let result: T | Promise<T>;
    try {
      result = step(h);
    } catch (e) {
      done();
      return Promise.reject(e);
    }
    if (result instanceof Promise) {
      // Attached before the caller's own reaction: the next calls start before the caller resumes.
      result.then(done, done);
      return result;
    }
    done();
    return Promise.resolve(result);
  }

  #readDone = (): void => {
    this.#reads--;
    this.#pump();
  };

  #writeDone = (): void => {
    this.#writing = false;
    this.#pump();
  };

  /** A call finished: start the waiting ones, in order, while they can start. */
  #pump(): void {
    if (this.#pumping) return; // a step finished inside the loop below, which goes on
    this.#pumping = true;
    try {
      while (this.#next < this.#waiting.length && this.#canStart(this.#waiting[this.#next].read)) {
        const { start } = this.#waiting[this.#next];
        this.#waiting[this.#next++] = undefined!;
        start();
      }
      if (this.#next === this.#waiting.length) {
        this.#waiting = [];
        this.#next = 0;
      } else if (this.#next > 1024 && this.#next * 2 > this.#waiting.length) {
        this.#waiting = this.#waiting.slice(this.#next);
        this.#next = 0;
      }
    } finally {
      this.#pumping = false;
    }
  }

  /**
   * Closes the handle after every call issued before; calls issued after reject with CLOSED.
   * Idempotent: every call resolves (or rejects, if closing failed) with the first one.
   */
  close(): Promise<void> {
    this.#closing ??= this.#enqueue(false, async (h) => {
      this.#handle = null;
      finalizer.unregister(this);
      // On a Rust thread: closing may compact first (when reopening would otherwise spend
      // longer inserting the WAL's records into the graph; see Database::close in db.rs).
      await callAsync(this.lib, "vl_close_async", h);
    });
    return this.#closing;
  }
}
