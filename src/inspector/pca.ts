/**
 * Principal component analysis of a sample of vectors, down to two dimensions, for the
 * inspector's map. Power iteration with deflation: the covariance matrix (d x d) is never
 * formed, each step is two passes over the n x d sample, so a few thousand vectors of a few
 * hundred dimensions take milliseconds.
 *
 * @module
 */

/** The 2-D projection: one [x, y] per input vector, and the share of the variance each axis keeps. */
export interface Projection {
  /** Per input vector, its coordinates on the first two principal components. */
  points: [number, number][];
  /** Fraction of the total variance along each component (0 to 1). */
  explained: [number, number];
}

/** Power iterations per component: far more than a 2-D picture needs to settle. */
const ITERATIONS = 100;

/**
 * Projects `vectors` (all of one length) onto their first two principal components. With
 * `normalize`, each vector is scaled to unit length first, so the picture follows cosine
 * similarity rather than magnitude. Deterministic: the same input gives the same output.
 */
export function pca2(vectors: ArrayLike<number>[], normalize: boolean): Projection {
  const n = vectors.length;
  if (n === 0) return { points: [], explained: [0, 0] };
  const d = vectors[0].length;
  // Centred copy of the data, row-major, in float64 so sums over thousands of rows stay exact enough.
  const data = new Float64Array(n * d);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const v = vectors[i];
    let scale = 1;
    if (normalize) {
      let sq = 0;
      for (let j = 0; j < d; j++) sq += v[j] * v[j];
      scale = sq > 0 ? 1 / Math.sqrt(sq) : 0;
    }
    for (let j = 0; j < d; j++) {
      const x = v[j] * scale;
      data[i * d + j] = x;
      mean[j] += x;
    }
  }
  for (let j = 0; j < d; j++) mean[j] /= n;
  let total = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const x = data[i * d + j] - mean[j];
      data[i * d + j] = x;
      total += x * x;
    }
  }
  const components: Float64Array[] = [];
  const variances: number[] = [];
  for (let c = 0; c < 2; c++) {
    const [axis, variance] = topComponent(data, n, d, components);
    components.push(axis);
    variances.push(variance);
  }
  const points: [number, number][] = new Array(n);
  for (let i = 0; i < n; i++) {
    let x = 0, y = 0;
    for (let j = 0; j < d; j++) {
      const value = data[i * d + j];
      x += value * components[0][j];
      y += value * components[1][j];
    }
    points[i] = [x, y];
  }
  const share = (v: number) => (total > 0 ? Math.min(1, v / total) : 0);
  return { points, explained: [share(variances[0]), share(variances[1])] };
}

/**
 * The unit vector along which the centred rows vary most, orthogonal to `found`, and the sum
 * of squared projections on it. The start vector is fixed (not random) so runs agree; its sign
 * is then chosen so the largest coordinate is positive, which keeps the picture from flipping.
 */
function topComponent(data: Float64Array, n: number, d: number, found: Float64Array[]): [Float64Array, number] {
  let v = new Float64Array(d);
  for (let j = 0; j < d; j++) v[j] = 1 + ((j * 7919) % 13) / 13;
  orthogonalize(v, found);
  if (!normalizeInPlace(v)) return [v, 0];
  const projected = new Float64Array(n);
  for (let iter = 0; iter < ITERATIONS; iter++) {
    // next = Xᵀ (X v): the covariance applied to v without forming it.
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += data[i * d + j] * v[j];
      projected[i] = s;
    }
    const next = new Float64Array(d);
    for (let i = 0; i < n; i++) {
      const p = projected[i];
      if (p === 0) continue;
      for (let j = 0; j < d; j++) next[j] += data[i * d + j] * p;
    }
    orthogonalize(next, found);
    if (!normalizeInPlace(next)) return [v, 0];
    let delta = 0;
    for (let j = 0; j < d; j++) delta += Math.abs(next[j] - v[j]);
    v = next;
    if (delta < 1e-9) break;
  }
  let variance = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += data[i * d + j] * v[j];
    variance += s * s;
  }
  let largest = 0;
  for (let j = 1; j < d; j++) if (Math.abs(v[j]) > Math.abs(v[largest])) largest = j;
  if (v[largest] < 0) for (let j = 0; j < d; j++) v[j] = -v[j];
  return [v, variance];
}

/** Removes from `v` its parts along each (unit) vector of `basis`. */
function orthogonalize(v: Float64Array, basis: Float64Array[]): void {
  for (const b of basis) {
    let dot = 0;
    for (let j = 0; j < v.length; j++) dot += v[j] * b[j];
    for (let j = 0; j < v.length; j++) v[j] -= dot * b[j];
  }
}

/** Scales `v` to unit length; false when it is (numerically) zero. */
function normalizeInPlace(v: Float64Array): boolean {
  let sq = 0;
  for (let j = 0; j < v.length; j++) sq += v[j] * v[j];
  if (!(sq > 1e-30)) return false;
  const inv = 1 / Math.sqrt(sq);
  for (let j = 0; j < v.length; j++) v[j] *= inv;
  return true;
}
