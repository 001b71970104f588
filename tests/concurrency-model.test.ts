/**
 * Calls issued without awaiting keep their order. fast-check generates random sequences of
 * writes (inline ones and, from 256 records, background jobs), reads, transactions,
 * bulkIngest, compactions and snapshots, issued WITHOUT awaiting (with an await or a timer
 * tick now and then), and an in-memory model applies them in issue order: every read must
 * return what the model held at the read's issue position, and the final state (also after
 * reopening) and every snapshot must equal the model.
 *
 * The metric is `dot` on small integer vectors, so scores are exact in f32 and the model can
 * predict search results, ties included (by namespace, then id). Ids come from a small set,
 * so operations collide; large batches add ids of their own.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import * as vectlite from "../mod.ts";
import type { Database, Filter, RecordInput, StoredRecord, Transaction } from "../mod.ts";
import { tempDir } from "./helpers.ts";
import { useReadPolicy } from "../src/threads.ts";

const DIM = 4;
const IDS = ["a", "b", "c", "d", "e"];
const NAMESPACES = ["", "ns1"];
const TAGS = ["x", "y", "z"];
/** Writes of this many records run as background jobs (ASYNC_WRITE_RECORDS in src/). */
const JOB_RECORDS = 256;

type Meta = { tag: string; n: number };
interface Rec {
  id: string;
  namespace: string;
  vector: number[];
  metadata: Meta;
}
type State = Map<string, Rec>;
type TxOp =
  | { op: "upsert" | "insert"; rec: Rec }
  | { op: "delete"; namespace: string; id: string }
  | { op: "updateMetadata"; namespace: string; id: string; patch: Partial<Meta> };
interface Model {
  state: State;
  /** The open `db.begin()` transaction: its operations and its view of the touched records. */
  tx: { ops: TxOp[]; overlay: Map<string, Rec | null>; patches: Map<string, Partial<Meta>> } | null;
}
interface Real {
  db: Database;
  dir: string;
  tx: Transaction | null;
  /** Checks of calls issued and not awaited yet. */
  pending: Promise<void>[];
  failures: string[];
  snapshots: { path: string; state: State; label: string }[];
}

const keyOf = (namespace: string, id: string) => `${namespace}\u0000${id}`;
const put = (state: State, rec: Rec) => state.set(keyOf(rec.namespace, rec.id), rec);

function matches(rec: Rec, filter: Filter | undefined): boolean {
  if (!filter) return true;
  if ("tag" in filter) return rec.metadata.tag === filter.tag;
  return rec.metadata.n < (filter.n as { $lt: number }).$lt;
}

function inNamespace(rec: Rec, sel: string): boolean {
  return sel === "*" || rec.namespace === sel;
}

/** A record as the model and the comparisons see it. */
function view(r: StoredRecord | Rec | null): unknown {
  if (r === null) return null;
  return { id: r.id, namespace: r.namespace, metadata: r.metadata, vector: r.vector ? Array.from(r.vector) : undefined };
}

const sorted = (recs: (StoredRecord | Rec)[]) =>
  recs.map(view).sort((a, b) => {
    const x = a as Rec, y = b as Rec;
    return x.namespace < y.namespace ? -1 : x.namespace > y.namespace ? 1 : x.id < y.id ? -1 : x.id > y.id ? 1 : 0;
  });

/** Checks a call's result when it settles, against what the model said at its issue position. */
function expectValue<T>(real: Real, what: string, promise: Promise<T>, expected: unknown, shape: (v: T) => unknown = (v) => v): void {
  real.pending.push(promise.then(
    (v) => {
      try {
        assert.deepStrictEqual(shape(v), expected);
      } catch (e) {
        real.failures.push(`${what}: ${(e as Error).message}`);
      }
    },
    (e) => void real.failures.push(`${what}: rejected with ${e}`),
  ));
}

function expectRejection(real: Real, what: string, promise: Promise<unknown>, code: string): void {
  real.pending.push(promise.then(
    (v) => void real.failures.push(`${what}: expected ${code}, resolved with ${JSON.stringify(v)}`),
    (e) => {
      if ((e as vectlite.VectLiteError).code !== code) real.failures.push(`${what}: expected ${code}, got ${e}`);
    },
  ));
}

async function settle(real: Real): Promise<void> {
  const pending = real.pending;
  real.pending = [];
  await Promise.all(pending);
  if (real.failures.length > 0) throw new Error(real.failures.join("\n"));
}

/** A command: its label for fast-check's report, when it applies, and what it does. */
class Cmd implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly label: string,
    readonly applies: (m: Readonly<Model>) => boolean,
    readonly act: (m: Model, r: Real) => void | Promise<void>,
  ) {}
  check(m: Readonly<Model>): boolean {
    return this.applies(m);
  }
  async run(m: Model, r: Real): Promise<void> {
    await this.act(m, r);
  }
  toString(): string {
    return this.label;
  }
}

const always = () => true;
const txOpen = (m: Readonly<Model>) => m.tx !== null;

const idArb = fc.constantFrom(...IDS);
const nsArb = fc.constantFrom(...NAMESPACES);
const nsSelArb = fc.constantFrom("", "ns1", "*");
const vecArb = fc.array(fc.integer({ min: -2, max: 2 }), { minLength: DIM, maxLength: DIM });
// fc.record makes null-prototype objects: spread into plain ones, as the database returns them.
const metaArb = fc.record({ tag: fc.constantFrom(...TAGS), n: fc.integer({ min: 0, max: 3 }) }).map((m) => ({ ...m }));
const filterArb: fc.Arbitrary<Filter | undefined> = fc.option(
  fc.oneof(fc.constantFrom(...TAGS).map((tag) => ({ tag })), fc.integer({ min: 0, max: 4 }).map((k) => ({ n: { $lt: k } }))),
  { nil: undefined },
);
const recArb = fc.record({ id: idArb, namespace: nsArb, vector: vecArb, metadata: metaArb }).map((r): Rec => ({ ...r }));
const patchArb = fc.record({ tag: fc.constantFrom(...TAGS), n: fc.integer({ min: 0, max: 3 }) }, { requiredKeys: [] }).map((p): Partial<Meta> => ({ ...p }));
/** `rec` with `patch` merged into its metadata, as updateMetadata does. */
const patched = (rec: Rec, patch: Partial<Meta>): Rec => ({ ...rec, metadata: { ...rec.metadata, ...patch } });
const show = (r: Rec) => `${r.namespace ? `${r.namespace}/` : ""}${r.id}[${r.vector}]${r.metadata.tag}${r.metadata.n}`;

/** Input records (with their own Float32Arrays and metadata objects, which the caller may change afterwards). */
function inputs(recs: Rec[], withNamespace: boolean): RecordInput[] {
  return recs.map((r) => ({
    id: r.id,
    vector: Float32Array.from(r.vector),
    metadata: { ...r.metadata },
    ...(withNamespace ? { namespace: r.namespace } : {}),
  }));
}

/** Changes the inputs after the call: what was written must be what they held at the call. */
function scribble(records: RecordInput[]): void {
  for (const r of records) {
    (r.vector as Float32Array).fill(7);
    (r.metadata as unknown as Meta).tag = "changed";
  }
}

/** A batch of at least JOB_RECORDS records: `head` (colliding ids) then ids of its own. */
function bigBatch(seed: number, size: number, head: Rec[], namespace: string): Rec[] {
  const out = head.map((r) => ({ ...r, namespace }));
  for (let i = out.length; i < size; i++) {
    const x = seed + i;
    out.push({
      id: `z${i}`,
      namespace,
      vector: [(x % 5) - 2, ((x * 3) % 5) - 2, ((x * 7) % 5) - 2, ((x * 11) % 5) - 2],
      metadata: { tag: TAGS[x % 3], n: x % 4 },
    });
  }
  return out;
}

/** A write of the transaction: it decides the record's state, pending patches included. */
function txWrite(m: Model, k: string, rec: Rec | null): void {
  m.tx!.overlay.set(k, rec);
  m.tx!.patches.delete(k);
}

/** What `tx` sees: its own writes over the database. */
function txView(m: Readonly<Model>, namespace: string, id: string): Rec | null {
  const k = keyOf(namespace, id);
  if (m.tx!.overlay.has(k)) return m.tx!.overlay.get(k)!;
  // A record of the database, as it is now, with the transaction's pending patches merged.
  const rec = m.state.get(k), patch = m.tx!.patches.get(k);
  return rec && patch ? patched(rec, patch) : rec ?? null;
}

// ---------------------------------------------------------------------------------------
// Writes on the database.

const upsertCmd = fc.tuple(recArb, fc.boolean()).map(([rec, change]) =>
  new Cmd(`upsert(${show(rec)}${change ? ", changed after" : ""})`, always, (m, r) => {
    const [input] = inputs([rec], false);
    const p = r.db.upsert(rec.id, input.vector, input.metadata, { namespace: rec.namespace });
    if (change) scribble([input]);
    expectValue(r, `upsert ${show(rec)}`, p, undefined);
    put(m.state, rec);
  })
);

const insertCmd = recArb.map((rec) =>
  new Cmd(`insert(${show(rec)})`, always, (m, r) => {
    const p = r.db.insert(rec.id, rec.vector, rec.metadata, { namespace: rec.namespace });
    if (m.state.has(keyOf(rec.namespace, rec.id))) expectRejection(r, `insert ${show(rec)}`, p, "DUPLICATE_ID");
    else {
      expectValue(r, `insert ${show(rec)}`, p, undefined);
      put(m.state, rec);
    }
  })
);

const upsertManyCmd = fc.tuple(fc.array(recArb, { minLength: 1, maxLength: 6 }), fc.boolean()).map(([recs, change]) =>
  new Cmd(`upsertMany([${recs.map(show)}]${change ? ", changed after" : ""})`, always, (m, r) => {
    const records = inputs(recs, true);
    const p = r.db.upsertMany(records);
    if (change) scribble(records);
    expectValue(r, `upsertMany ${recs.length}`, p, recs.length);
    for (const rec of recs) put(m.state, rec);
  })
);

const bigUpsertManyCmd = fc
  .tuple(fc.nat(1000), fc.integer({ min: JOB_RECORDS, max: JOB_RECORDS + 40 }), fc.array(recArb, { maxLength: 3 }), nsArb, fc.boolean())
  .map(([seed, size, head, namespace, change]) =>
    new Cmd(`upsertMany(${size} records from seed ${seed} in "${namespace}", first [${head.map(show)}]${change ? ", changed after" : ""})`, always, (m, r) => {
      const recs = bigBatch(seed, size, head, namespace);
      const records = inputs(recs, false);
      const p = r.db.upsertMany(records, { namespace });
      if (change) scribble(records);
      expectValue(r, `upsertMany ${size}`, p, size);
      for (const rec of recs) put(m.state, rec);
    })
  );

const bulkIngestCmd = fc.tuple(fc.array(recArb, { minLength: 1, maxLength: 5 }), fc.integer({ min: 1, max: 3 })).map(([recs, batchSize]) =>
  new Cmd(`bulkIngest([${recs.map(show)}], batchSize ${batchSize})`, always, (m, r) => {
    expectValue(r, "bulkIngest", r.db.bulkIngest(inputs(recs, true), { batchSize }), recs.length);
    for (const rec of recs) put(m.state, rec);
  })
);

const deleteCmd = fc.tuple(idArb, nsArb).map(([id, namespace]) =>
  new Cmd(`delete(${namespace}/${id})`, always, (m, r) => {
    const k = keyOf(namespace, id);
    expectValue(r, `delete ${namespace}/${id}`, r.db.delete(id, { namespace }), m.state.has(k));
    m.state.delete(k);
  })
);

const updateMetadataCmd = fc.tuple(idArb, nsArb, patchArb).map(([id, namespace, patch]) =>
  new Cmd(`updateMetadata(${namespace}/${id}, ${JSON.stringify(patch)})`, always, (m, r) => {
    const k = keyOf(namespace, id);
    const rec = m.state.get(k);
    expectValue(r, `updateMetadata ${namespace}/${id}`, r.db.updateMetadata(id, patch, { namespace }), rec !== undefined);
    if (rec) m.state.set(k, patched(rec, patch));
  })
);

const deleteManyCmd = fc.tuple(fc.uniqueArray(idArb, { maxLength: 4 }), nsArb).map(([ids, namespace]) =>
  new Cmd(`deleteMany([${ids}] in "${namespace}")`, always, (m, r) => {
    const existing = ids.filter((id) => m.state.has(keyOf(namespace, id)));
    expectValue(r, `deleteMany ${ids}`, r.db.deleteMany(ids, { namespace }), existing.length);
    for (const id of ids) m.state.delete(keyOf(namespace, id));
  })
);

const deleteByFilterCmd = fc.tuple(filterArb.filter((f) => f !== undefined), nsArb).map(([filter, namespace]) =>
  new Cmd(`deleteByFilter(${JSON.stringify(filter)} in "${namespace}")`, always, (m, r) => {
    const doomed = [...m.state.entries()].filter(([, rec]) => rec.namespace === namespace && matches(rec, filter));
    expectValue(r, `deleteByFilter ${JSON.stringify(filter)}`, r.db.deleteByFilter(filter!, { namespace }), doomed.length);
    for (const [k] of doomed) m.state.delete(k);
  })
);

// ---------------------------------------------------------------------------------------
// Reads.

const getCmd = fc.tuple(idArb, nsArb).map(([id, namespace]) =>
  new Cmd(`get(${namespace}/${id})`, always, (m, r) => {
    const expected = view(m.state.get(keyOf(namespace, id)) ?? null);
    expectValue(r, `get ${namespace}/${id}`, r.db.get(id, { namespace, includeVectors: true }), expected, view);
  })
);

const countCmd = fc.tuple(nsSelArb, filterArb).map(([namespace, filter]) =>
  new Cmd(`count("${namespace}", ${JSON.stringify(filter)})`, always, (m, r) => {
    const n = [...m.state.values()].filter((rec) => inNamespace(rec, namespace) && matches(rec, filter)).length;
    expectValue(r, `count "${namespace}" ${JSON.stringify(filter)}`, r.db.count({ namespace, filter }), n);
  })
);

const listCmd = fc.tuple(nsSelArb, filterArb).map(([namespace, filter]) =>
  new Cmd(`list("${namespace}", ${JSON.stringify(filter)})`, always, (m, r) => {
    const expected = sorted([...m.state.values()].filter((rec) => inNamespace(rec, namespace) && matches(rec, filter)));
    expectValue(r, `list "${namespace}"`, r.db.list({ namespace, filter, includeVectors: true }), expected, sorted);
  })
);

const searchCmd = fc.tuple(vecArb, fc.integer({ min: 1, max: 5 }), nsSelArb, filterArb, fc.boolean()).map(
  ([q, k, namespace, filter, change]) =>
    new Cmd(`search([${q}], k ${k}, "${namespace}", ${JSON.stringify(filter)}${change ? ", changed after" : ""})`, always, (m, r) => {
      const dot = (v: number[]) => v.reduce((s, x, i) => s + x * q[i], 0);
      const expected = [...m.state.values()]
        .filter((rec) => inNamespace(rec, namespace) && matches(rec, filter))
        .map((rec) => ({ id: rec.id, namespace: rec.namespace, score: dot(rec.vector) }))
        .sort((a, b) => b.score - a.score || (a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        .slice(0, k);
      const query = Float32Array.from(q);
      const p = r.db.search(query, { k, namespace, filter });
      if (change) query.fill(5);
      expectValue(r, `search [${q}] k ${k} "${namespace}"`, p, expected, (hits) => hits.map((h) => ({ id: h.id, namespace: h.namespace, score: h.score })));
    }),
);

// ---------------------------------------------------------------------------------------
// Whole-file operations, awaits.

const compactCmd = fc.constant(new Cmd("compact()", always, (_m, r) => expectValue(r, "compact", r.db.compact(), undefined)));

const snapshotCmd = fc.constant(
  new Cmd("snapshot()", always, (m, r) => {
    const label = `snapshot ${r.snapshots.length}`;
    const path = join(r.dir, `snap${r.snapshots.length}.vdb`);
    r.snapshots.push({ path, state: new Map(m.state), label });
    expectValue(r, label, r.db.snapshot(path), undefined);
  }),
);

const awaitCmd = fc.constant(new Cmd("await everything", always, async (_m, r) => await settle(r)));
const tickCmd = fc.constant(new Cmd("timer tick", always, async () => await new Promise((resolve) => setTimeout(resolve, 0))));

// ---------------------------------------------------------------------------------------
// An explicit transaction (db.begin()), its operations issued without awaiting.

const beginCmd = fc.constant(
  new Cmd("tx = begin()", (m) => m.tx === null, (m, r) => {
    r.tx = r.db.begin();
    m.tx = { ops: [], overlay: new Map(), patches: new Map() };
  }),
);

const txUpsertCmd = recArb.map((rec) =>
  new Cmd(`tx.upsert(${show(rec)})`, txOpen, (m, r) => {
    const [input] = inputs([rec], false);
    const p = r.tx!.upsert(rec.id, input.vector, input.metadata, { namespace: rec.namespace });
    scribble([input]);
    expectValue(r, `tx.upsert ${show(rec)}`, p, undefined);
    m.tx!.ops.push({ op: "upsert", rec });
    txWrite(m, keyOf(rec.namespace, rec.id), rec);
  })
);

const txBigUpsertCmd = fc.tuple(fc.nat(1000), nsArb).map(([seed, namespace]) =>
  new Cmd(`tx.upsertMany(${JOB_RECORDS} records from seed ${seed} in "${namespace}")`, txOpen, (m, r) => {
    const recs = bigBatch(seed, JOB_RECORDS, [], namespace);
    expectValue(r, "tx.upsertMany", r.tx!.upsertMany(inputs(recs, false), { namespace }), recs.length);
    for (const rec of recs) {
      m.tx!.ops.push({ op: "upsert", rec });
      txWrite(m, keyOf(rec.namespace, rec.id), rec);
    }
  })
);

const txInsertCmd = recArb.map((rec) =>
  new Cmd(`tx.insert(${show(rec)})`, txOpen, (m, r) => {
    const p = r.tx!.insert(rec.id, rec.vector, rec.metadata, { namespace: rec.namespace });
    if (txView(m, rec.namespace, rec.id) !== null) expectRejection(r, `tx.insert ${show(rec)}`, p, "DUPLICATE_ID");
    else {
      expectValue(r, `tx.insert ${show(rec)}`, p, undefined);
      m.tx!.ops.push({ op: "insert", rec });
      txWrite(m, keyOf(rec.namespace, rec.id), rec);
    }
  })
);

const txDeleteCmd = fc.tuple(idArb, nsArb).map(([id, namespace]) =>
  new Cmd(`tx.delete(${namespace}/${id})`, txOpen, (m, r) => {
    expectValue(r, `tx.delete ${namespace}/${id}`, r.tx!.delete(id, { namespace }), txView(m, namespace, id) !== null);
    m.tx!.ops.push({ op: "delete", namespace, id });
    txWrite(m, keyOf(namespace, id), null);
  })
);

const txUpdateMetadataCmd = fc.tuple(idArb, nsArb, patchArb).map(([id, namespace, patch]) =>
  new Cmd(`tx.updateMetadata(${namespace}/${id}, ${JSON.stringify(patch)})`, txOpen, (m, r) => {
    const k = keyOf(namespace, id);
    expectValue(r, `tx.updateMetadata ${namespace}/${id}`, r.tx!.updateMetadata(id, patch, { namespace }), txView(m, namespace, id) !== null);
    m.tx!.ops.push({ op: "updateMetadata", namespace, id, patch });
    if (m.tx!.overlay.has(k)) {
      // A record the transaction wrote: the patch merges into that write.
      const written = m.tx!.overlay.get(k)!;
      if (written) m.tx!.overlay.set(k, patched(written, patch));
    } else {
      // A record of the database: the patch merges into whatever it is at each read and at commit.
      m.tx!.patches.set(k, { ...m.tx!.patches.get(k), ...patch });
    }
  })
);

const txGetCmd = fc.tuple(idArb, nsArb).map(([id, namespace]) =>
  new Cmd(`tx.get(${namespace}/${id})`, txOpen, (m, r) => {
    const expected = view(txView(m, namespace, id));
    expectValue(r, `tx.get ${namespace}/${id}`, r.tx!.get(id, { namespace, includeVectors: true }), expected, view);
  })
);

/** What the native commit does with `ops` on `state`: the count, or null for DUPLICATE_ID (nothing applied). */
function commitOn(state: State, ops: TxOp[]): number | null {
  const next = new Map(state);
  let n = 0;
  for (const op of ops) {
    if (op.op === "delete") {
      if (next.delete(keyOf(op.namespace, op.id))) n++;
      continue;
    }
    if (op.op === "updateMetadata") {
      const rec = next.get(keyOf(op.namespace, op.id));
      if (rec) {
        next.set(keyOf(op.namespace, op.id), patched(rec, op.patch));
        n++;
      }
      continue;
    }
    if (op.op === "insert" && next.has(keyOf(op.rec.namespace, op.rec.id))) return null;
    put(next, op.rec);
    n++;
  }
  state.clear();
  for (const [k, v] of next) state.set(k, v);
  return n;
}

const txCommitCmd = fc.constant(
  new Cmd("tx.commit()", txOpen, (m, r) => {
    const p = r.tx!.commit();
    const n = commitOn(m.state, m.tx!.ops);
    if (n === null) expectRejection(r, "tx.commit", p, "DUPLICATE_ID");
    else expectValue(r, "tx.commit", p, n);
    r.tx = null;
    m.tx = null;
  }),
);

const txRollbackCmd = fc.constant(
  new Cmd("tx.rollback()", txOpen, (m, r) => {
    expectValue(r, "tx.rollback", r.tx!.rollback(), undefined);
    r.tx = null;
    m.tx = null;
  }),
);

// ---------------------------------------------------------------------------------------
// db.transaction(fn), awaited: its reads and writes queue behind everything issued before.

type FnOp = { op: "upsert" | "insert"; rec: Rec } | { op: "delete" | "get"; namespace: string; id: string };
const fnOpArb: fc.Arbitrary<FnOp> = fc.oneof(
  recArb.map((rec) => ({ op: "upsert" as const, rec })),
  recArb.map((rec) => ({ op: "insert" as const, rec })),
  fc.tuple(fc.constantFrom("delete" as const, "get" as const), idArb, nsArb).map(([op, id, namespace]) => ({ op, id, namespace })),
);
const showFnOp = (o: FnOp) => ("rec" in o ? `${o.op} ${show(o.rec)}` : `${o.op} ${o.namespace}/${o.id}`);

const transactionCmd = fc.array(fnOpArb, { minLength: 1, maxLength: 5 }).map((ops) =>
  new Cmd(`await transaction(${ops.map(showFnOp).join("; ")})`, always, async (m, r) => {
    // The model: run the operations over a copy; a duplicate insert rolls everything back.
    const next = new Map(m.state);
    const expected: unknown[] = [];
    let duplicate = false;
    for (const o of ops) {
      if (!("rec" in o)) {
        expected.push(o.op === "get" ? view(next.get(keyOf(o.namespace, o.id)) ?? null) : next.delete(keyOf(o.namespace, o.id)));
      } else if (o.op === "insert" && next.has(keyOf(o.rec.namespace, o.rec.id))) {
        duplicate = true;
        break;
      } else {
        put(next, o.rec);
        expected.push(undefined);
      }
    }
    const p = r.db.transaction(async (tx) => {
      const out: unknown[] = [];
      for (const o of ops) {
        if (!("rec" in o)) {
          if (o.op === "get") out.push(view(await tx.get(o.id, { namespace: o.namespace, includeVectors: true })));
          else out.push(await tx.delete(o.id, { namespace: o.namespace }));
        } else if (o.op === "insert") out.push(await tx.insert(o.rec.id, o.rec.vector, o.rec.metadata, { namespace: o.rec.namespace }));
        else out.push(await tx.upsert(o.rec.id, o.rec.vector, o.rec.metadata, { namespace: o.rec.namespace }));
      }
      return out;
    });
    if (duplicate) expectRejection(r, "transaction", p, "DUPLICATE_ID");
    else {
      expectValue(r, "transaction", p, expected);
      m.state = next;
    }
    await settle(r);
  })
);

const COMMANDS = [
  upsertCmd,
  insertCmd,
  upsertManyCmd,
  bigUpsertManyCmd,
  bulkIngestCmd,
  deleteCmd,
  updateMetadataCmd,
  deleteManyCmd,
  deleteByFilterCmd,
  getCmd,
  countCmd,
  listCmd,
  searchCmd,
  compactCmd,
  snapshotCmd,
  awaitCmd,
  tickCmd,
  beginCmd,
  txUpsertCmd,
  txBigUpsertCmd,
  txInsertCmd,
  txDeleteCmd,
  txUpdateMetadataCmd,
  txGetCmd,
  txCommitCmd,
  txRollbackCmd,
  transactionCmd,
];

async function allRecords(db: Database): Promise<unknown[]> {
  return sorted(await db.list({ namespaces: "*", includeVectors: true }));
}

const OPEN = { dimension: DIM, metric: "dot", annThreshold: 1_000_000, sync: "normal" } as const;

/** Runs `fn` with every read sent to the native read pool, even the cheapest. */
async function withReadsOnThePool(fn: () => Promise<void>): Promise<void> {
  const before = useReadPolicy("pool");
  try {
    await fn();
  } finally {
    useReadPolicy(before);
  }
}

describe("calls issued without awaiting", () => {
  it("apply in issue order: reads, final state, reopened file and snapshots match a model", async () => {
    await checkModel(40);
  });

  it("keep their order with every read on the read pool, beside writes as jobs and inline", async () => {
    await withReadsOnThePool(() => checkModel(30));
  });
});

async function checkModel(numRuns: number): Promise<void> {
  await fc.assert(
    fc.asyncProperty(fc.commands(COMMANDS, { maxCommands: 60, size: "max" }), async (cmds) => {
      const dir = tempDir();
      const path = join(dir, "model.vdb");
      const real: Real = { db: await vectlite.open(path, OPEN), dir, tx: null, pending: [], failures: [], snapshots: [] };
      const model: Model = { state: new Map(), tx: null };
      try {
        await fc.asyncModelRun(() => ({ model, real }), cmds);
        await settle(real);
        const expected = sorted([...model.state.values()]);
        assert.deepStrictEqual(await allRecords(real.db), expected, "final state");
        await real.db.close();
        const reopened = await vectlite.open(path, OPEN);
        try {
          assert.deepStrictEqual(await allRecords(reopened), expected, "after reopening");
        } finally {
          await reopened.close();
        }
        for (const snap of real.snapshots) {
          const copy = await vectlite.open(snap.path, { readOnly: true });
          try {
            assert.deepStrictEqual(await allRecords(copy), sorted([...snap.state.values()]), snap.label);
          } finally {
            await copy.close();
          }
        }
      } finally {
        await Promise.allSettled(real.pending);
        if (!real.db.closed) await real.db.close().catch(() => {});
        rmSync(dir, { recursive: true, force: true });
      }
    }),
    { numRuns },
  );
}
