/**
 * Long work on the JavaScript thread in slices: decoding a large result (a list of 100,000
 * records, the results of 10,000 queries) runs until a slice's time is up, then lets the
 * event loop run timers and I/O before it goes on.
 *
 * @module
 */

/** How long one slice may hold the event loop. */
const SLICE_MS = 1;

/** One turn of the event loop: setImmediate where there is one (Node, Bun, Deno 2), else a timer. */
export const yieldToEventLoop = (): Promise<void> =>
  new Promise((resolve) => (typeof setImmediate === "function" ? setImmediate(resolve) : setTimeout(resolve, 0)));

/** Tracks a slice's time: `pause()` yields once the slice has run for `SLICE_MS`. */
export class Slices {
  #started = performance.now();

  /** Whether the current slice has used its time. */
  get due(): boolean {
    return performance.now() - this.#started >= SLICE_MS;
  }

  /** Yields to the event loop if the slice's time is up, starting a new slice after. */
  async pause(): Promise<void> {
    if (!this.due) return;
    await yieldToEventLoop();
    this.#started = performance.now();
  }
}
