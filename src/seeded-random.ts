/**
 * A small seeded generator of numbers in [0, 1) (mulberry32): the same seed gives the same
 * sequence on every runtime, for samples that must repeat (the inspector's map) and for the
 * data of tests and examples.
 *
 * @module
 */

/** A generator seeded with `seed`: each call returns the next number in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
