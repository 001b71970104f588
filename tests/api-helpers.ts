/** Helpers shared by the API suites: reference scores and canonical views of records. */
import assert from "node:assert/strict";
import type { Database, Metric, RecordInput, SearchResult, StoredRecord } from "../mod.ts";
import { randomVector, rng } from "./helpers.ts";

// ---------------------------------------------------------------------------------------
// Helpers shared by api.test.ts and lifecycle.test.ts.

/** Reference scores in float64 (the library works in f32, hence the tolerance below). */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
export function norm(a: ArrayLike<number>): number {
  return Math.sqrt(dot(a, a));
}
export function expectedScore(metric: Metric, q: ArrayLike<number>, v: ArrayLike<number>): number {
  if (metric === "dot") return dot(q, v);
  if (metric === "cosine") return dot(q, v) / (norm(q) * norm(v));
  let s = 0;
  if (metric === "manhattan") {
    for (let i = 0; i < q.length; i++) s += Math.abs(q[i] - v[i]);
    return -s;
  }
  for (let i = 0; i < q.length; i++) s += (q[i] - v[i]) ** 2;
  return -Math.sqrt(s);
}

export function assertClose(actual: number, expected: number, what: string, tol = 1e-4): void {
  assert.ok(
    Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)),
    `${what}: expected ${expected}, got ${actual}`,
  );
}

export const arr = (v: ArrayLike<number> | undefined): number[] => {
  assert.ok(v !== undefined, "expected a vector");
  return Array.from(v);
};

/** Records without vectors, sorted by namespace then id, for whole-database comparisons. */
export function canonical(records: StoredRecord[]): unknown[] {
  return records
    .map((r) => ({
      id: r.id,
      namespace: r.namespace,
      metadata: r.metadata,
      sparse: r.sparse ?? null,
      vector: r.vector ? Array.from(r.vector) : null,
      vectors: r.vectors
        ? Object.fromEntries(Object.entries(r.vectors).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, Array.from(v)]))
        : null,
    }))
    .sort((a, b) => (a.namespace === b.namespace ? (a.id < b.id ? -1 : 1) : a.namespace < b.namespace ? -1 : 1));
}

export function hitSummary(hits: SearchResult[]): { id: string; namespace: string; score: number }[] {
  return hits.map((h) => ({ id: h.id, namespace: h.namespace, score: h.score }));
}

/** A small mixed data set in two namespaces, with sparse terms and named vectors. */
export async function seed(db: Database, n = 20, seedValue = 7): Promise<RecordInput[]> {
  const rand = rng(seedValue);
  const records: RecordInput[] = [];
  for (let i = 0; i < n; i++) {
    records.push({
      id: `r${String(i).padStart(2, "0")}`,
      vector: randomVector(db.dimension, rand),
      metadata: { i, even: i % 2 === 0, group: ["a", "b", "c"][i % 3], nested: { x: i * 10 }, tags: [`t${i % 4}`] },
      sparse: { alpha: 1, [`w${i}`]: 0.5 },
      vectors: { title: randomVector(2, rand) },
      namespace: i < n / 2 ? "" : "other",
    });
  }
  assert.equal(await db.upsertMany(records), n);
  return records;
}

export async function everything(db: Database): Promise<unknown[]> {
  return canonical(await db.list({ namespace: "*", includeVectors: true }));
}

// ---------------------------------------------------------------------------------------

