/**
 * How the JavaScript thread learns that background jobs finished, without polling and
 * without a thread per job: one completion channel per loaded library (lib-rs/src/abi/jobs.rs).
 * Every awaited job is watched on the channel; the ids of finished jobs arrive in batches,
 * and each is collected with `vl_job_poll` and its promise resolved. The runtimes differ only
 * in how a batch arrives: Bun's library calls a thread-safe callback; Deno and Node wait for
 * it off the JavaScript thread (a nonblocking symbol; koffi's asynchronous call), one wait at
 * a time while any job is pending.
 *
 * @module
 */
import { VectLiteError } from "../src/errors.ts";

/** What a backend provides for its channel. */
export interface ChannelOps {
  /** `vl_job_poll`: the job's status with its result in `out`, or -1 while it runs. */
  poll(job: bigint, out: BigUint64Array): number;
  /** `vl_job_watch`: true when the job had finished already (nothing will arrive for it). */
  watch(job: bigint): boolean;
  /** `vl_channel_take`: the ids that arrived, without waiting. */
  take(): bigint[];
  /** Waits off the JavaScript thread for at least one id; absent where the library calls back. */
  wait?(): Promise<bigint[]>;
}

/** Decodes a buffer of u64 little-endian job ids. */
export function decodeIds(bytes: Uint8Array | null): bigint[] {
  if (!bytes) return [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ids = new Array<bigint>(bytes.byteLength / 8);
  for (let i = 0; i < ids.length; i++) ids[i] = view.getBigUint64(i * 8, true);
  return ids;
}

/**
 * The bit of an id a channel hands out that marks progress of a running job (collected
 * with `vl_job_progress`), not its end: lib-rs/src/abi/jobs.rs `PROGRESS`.
 */
const PROGRESS_BIT = 62;
const PROGRESS = 1n << BigInt(PROGRESS_BIT);

interface Pending {
  out: BigUint64Array;
  resolve(status: number): void;
  reject(error: unknown): void;
  /** Collects the job's progress: when some waits, and once more before its result. */
  progress?: () => void;
}

/** The jobs awaited through one channel. */
export class Completions {
  readonly #ops: ChannelOps;
  readonly #pending = new Map<bigint, Pending>();
  #waiting = false;
  /**
   * Keeps the process alive while jobs are pending where nothing else would: Bun does not
   * count a thread-safe callback as pending work, and would exit in the middle of an
   * `await db.search(...)` at the top of a script.
   */
  #keepAlive: ReturnType<typeof setInterval> | undefined;

  constructor(ops: ChannelOps) {
    this.#ops = ops;
  }

  /**
   * Resolves with the job's status once it finished, its result written to `out`;
   * `progress` is called whenever the job reported progress, and once before it resolves.
   */
  wait(job: bigint, out: BigUint64Array, progress?: () => void): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      // Registered before the watch: whatever the channel hands out from then on finds it.
      this.#pending.set(job, { out, resolve, reject, progress });
      let finished: boolean;
      try {
        finished = this.#ops.watch(job);
      } catch (e) {
        this.#pending.delete(job);
        throw e;
      }
      if (finished) {
        this.#pending.delete(job);
        progress?.();
        resolve(this.#ops.poll(job, out));
      } else if (this.#pending.size === 1) this.#start();
    });
  }

  /** Collects the jobs whose ids arrived; the Bun backend calls it from its callback. */
  deliver(ids: bigint[]): void {
    for (const id of ids) {
      if (id & PROGRESS) {
        this.#pending.get(id & ~PROGRESS)?.progress?.();
        continue;
      }
      const p = this.#pending.get(id);
      if (!p) continue;
      this.#pending.delete(id);
      p.progress?.();
      p.resolve(this.#ops.poll(id, p.out));
    }
    if (this.#pending.size === 0 && this.#keepAlive !== undefined) {
      clearInterval(this.#keepAlive);
      this.#keepAlive = undefined;
    }
  }

  /** The Bun backend's callback: collects whatever arrived. */
  arrived = (): void => {
    this.deliver(this.#ops.take());
  };

  #start(): void {
    if (!this.#ops.wait) {
      this.#keepAlive ??= setInterval(() => {}, 1 << 30);
      // A job may have finished between its watch and now, and its callback run already.
      this.deliver(this.#ops.take());
      return;
    }
    if (!this.#waiting) void this.#loop();
  }

  async #loop(): Promise<void> {
    this.#waiting = true;
    try {
      while (this.#pending.size > 0) this.deliver(await this.#ops.wait!());
    } catch (e) {
      // The channel itself failed (never expected): fail the waiting calls rather than hang them.
      const failed = [...this.#pending.values()];
      this.#pending.clear();
      for (const p of failed) p.reject(e);
    } finally {
      this.#waiting = false;
    }
  }
}

/** The raw calls `openChannel` needs, as every backend exposes them. */
export interface RawLib {
  // deno-lint-ignore no-explicit-any
  readonly fns: Record<string, (...args: any[]) => any>;
  copy(ptr: bigint, len: number): Uint8Array;
}

/** A channel call's buffer (its ids, or its error), copied and freed; throws on a failed status. */
function result(lib: RawLib, what: string, status: number, out: BigUint64Array): Uint8Array | null {
  const len = Number(out[1]);
  let bytes: Uint8Array | null = null;
  if (len > 0) {
    bytes = lib.copy(out[0], len);
    lib.fns.vl_buf_free(out[0], len);
  }
  if (status !== 0) {
    const message = bytes ? new TextDecoder().decode(bytes) : `status ${status}`;
    throw new VectLiteError("INTERNAL", `${what} failed: ${message}`);
  }
  return bytes;
}

/**
 * Opens the library's completion channel. `callback` is the address of a thread-safe
 * callback that calls `Completions.arrived` (Bun), or 0n with `waitAsync`, which runs
 * `vl_channel_wait` off the JavaScript thread (Deno, Node).
 */
export function openChannel(
  lib: RawLib,
  callback: bigint,
  waitAsync?: (channel: bigint, out: BigUint64Array) => Promise<number>,
): Completions {
  const out = new BigUint64Array(3);
  result(lib, "vl_channel_open", lib.fns.vl_channel_open(callback, out), out);
  const channel = out[2];
  const ops: ChannelOps = {
    poll: (job, into) => lib.fns.vl_job_poll(job, into),
    watch(job) {
      result(lib, "vl_job_watch", lib.fns.vl_job_watch(job, channel, out), out);
      return out[2] === 1n;
    },
    take: () => decodeIds(result(lib, "vl_channel_take", lib.fns.vl_channel_take(channel, out), out)),
  };
  if (waitAsync) {
    ops.wait = async () => {
      const own = new BigUint64Array(3); // written on another thread while sync calls use `out`
      return decodeIds(result(lib, "vl_channel_wait", await waitAsync(channel, own), own));
    };
  }
  return new Completions(ops);
}
