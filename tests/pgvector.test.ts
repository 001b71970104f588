/**
 * Out to Postgres + pgvector and back, against a real Postgres with pgvector that runs in
 * process (PGlite with its vector extension): the same filtered queries give the same ids on
 * both engines, exact searches agree, and the round trip gives an identical database.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite/vector";
import * as vectlite from "../mod.ts";
import type { Filter } from "../mod.ts";
import { exportToPostgres, filterToSql, importFromPostgres, pgvectorSearchSql, type SqlClient, sqlScriptClient, vectorLiteral } from "../pgvector.ts";
import { spawn, spawnSync } from "node:child_process";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { randomVector, rejectsWith, rng, runtimeCommand, tempDb } from "./helpers.ts";

const CLI = decodeURIComponent(new URL("../cli/vectlite.ts", import.meta.url).pathname);

/** Runs the CLI without blocking this process's event loop (which serves the database it talks to). */
function runCli(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const { cmd, args: full } = runtimeCommand(CLI, ...args);
  const child = spawn(cmd, full, { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "", stderr = "";
  child.stdout!.on("data", (c: Uint8Array) => (stdout += new TextDecoder().decode(c)));
  child.stderr!.on("data", (c: Uint8Array) => (stderr += new TextDecoder().decode(c)));
  return new Promise((resolve) => child.on("close", (status) => resolve({ status, stdout, stderr })));
}

const DIM = 16;
const FUTURE = 4_102_444_800_000;
const NAMESPACES = ["", "docs", "with space"];
const TAGS = ["a", "b", "c", "A"];

function metadataFor(i: number, rand: () => number): vectlite.Metadata {
  const m: vectlite.Metadata = { n: i % 17, half: i % 2 === 0 ? 0.5 : -1.25, name: `item-${i % 13}`, flag: i % 3 === 0 };
  if (i % 5 !== 0) m.tags = TAGS.filter(() => rand() < 0.5);
  if (i % 4 === 0) m.author = { name: i % 8 === 0 ? "Ada" : "Bob", age: 20 + (i % 30), langs: ["en", i % 3 ? "de" : "fr"] };
  if (i % 7 === 0) m["author.name"] = "literal dotted key";
  if (i % 6 === 0) m.maybe = null;
  if (i % 9 === 0) m.items = [{ k: i % 4, v: "x" }, { k: 2, v: i % 2 ? "y" : "z" }];
  if (i % 11 === 0) m.mixed = i % 22 === 0 ? "10" : 10;
  return m;
}

async function sourceDatabase(): Promise<vectlite.Database> {
  const db = await vectlite.open(tempDb(), { dimension: DIM });
  const rand = rng(11);
  for (const namespace of NAMESPACES) {
    const records: vectlite.RecordInput[] = Array.from({ length: 150 }, (_, i) => ({
      id: `${namespace || "main"}-${i}`,
      vector: randomVector(DIM, rand),
      metadata: metadataFor(i, rand),
      ...(i % 2 === 0 ? { text: `record ${i} about ${TAGS[i % 4]}` } : {}),
      ...(i % 10 === 0 ? { vectors: { title: randomVector(4, rand) } } : {}),
      ...(i % 15 === 0 ? { expiresAt: FUTURE } : {}),
      ...(i % 12 === 0 ? { multiVectors: { colbert: [randomVector(5, rand), randomVector(5, rand)] } } : {}),
    }));
    await db.upsertMany(records, { namespace });
  }
  return db;
}

const FILTERS: Filter[] = [
  {},
  { n: 3 },
  { n: { $ne: 3 } },
  { half: { $gt: 0 } },
  { n: { $gte: 5, $lt: 9 } },
  { name: { $lt: "item-3" } },
  { name: { $gte: "item-10", $lte: "item-2" } },
  { mixed: 10 },
  { mixed: "10" },
  { mixed: { $gt: 5 } },
  { tags: { $contains: "a" } },
  { name: { $contains: "m-1" } },
  { tags: { $size: 2 } },
  { author: { $size: 3 } },
  { tags: ["a", "b"] },
  { tags: { $in: [["a"], ["b", "c"]] } },
  { n: { $in: [1, 2, 3] } },
  { n: { $nin: [1, 2, 3] } },
  { maybe: null },
  { maybe: { $exists: true } },
  { tags: { $exists: false } },
  { "author.name": "Ada" },
  { "author.name": "literal dotted key" },
  { "author.langs.1": "fr" },
  { "items.1.v": "y" },
  { items: { $elemMatch: { k: { $gte: 2 }, v: "x" } } },
  { "author.langs": { $elemMatch: { $eq: "de" } } },
  { $or: [{ n: 1 }, { flag: true }] },
  { $and: [{ flag: false }, { $not: { n: { $lt: 10 } } }] },
  { n: { $not: { $gt: 4 } } },
  { author: { name: "Ada", age: 28, langs: ["en", "fr"] } },
  { author: { $eq: { langs: ["en", "de"], age: 21, name: "Bob" } } },
];

let pg: PGlite;
let client: SqlClient;
let db: vectlite.Database;

describe("out to Postgres + pgvector (PGlite) and back", () => {
  before(async () => {
    pg = await PGlite.create({ extensions: { vector } });
    client = pg as unknown as SqlClient;
    db = await sourceDatabase();
    const tables = await exportToPostgres(db, client, { createIndex: false });
    assert.deepEqual(tables.map((t) => [t.namespace, t.table, t.records]), [["", "vectlite", 150], ["docs", "vectlite_docs", 150], ["with space", "vectlite_with space", 150]]);
  });
  after(async () => {
    await db?.close();
    await pg?.close();
  });

  it("runs every filter on both engines with the same ids", async () => {
    for (const filter of FILTERS) {
      for (const namespace of NAMESPACES) {
        const mine = (await db.list({ namespace, filter })).map((r) => r.id).sort();
        const where = filterToSql(filter);
        const table = namespace === "" ? "vectlite" : `vectlite_${namespace}`;
        const { rows } = await pg.query<{ id: string }>(`SELECT id FROM "${table}" WHERE ${where.sql}`, where.params);
        assert.deepEqual(rows.map((r) => r.id).sort(), mine, `${JSON.stringify(filter)} in ${JSON.stringify(namespace)}`);
      }
      assert.ok(filter === FILTERS[0] || (await db.count({ namespace: "*", filter })) < 450 || "$not" in filter || JSON.stringify(filter).includes("$ne"), `${JSON.stringify(filter)} selects something less than everything`);
    }
  });

  it("agrees with the database on random filters (fast-check)", async () => {
    const scalar = fc.oneof(fc.integer({ min: 0, max: 20 }), fc.constantFrom("a", "b", "item-3", "item-10", "Ada", "10", -1.25, 0.5, true, false, null));
    const field = fc.constantFrom("n", "half", "name", "flag", "tags", "maybe", "mixed", "author", "author.name", "author.age", "author.langs", "author.langs.0", "items", "items.1.k", "missing");
    const op: fc.Arbitrary<Filter> = fc.oneof(
      scalar.map((v) => ({ $eq: v })),
      scalar.map((v) => ({ $ne: v })),
      fc.tuple(fc.constantFrom("$gt", "$gte", "$lt", "$lte"), fc.oneof(fc.integer({ min: 0, max: 40 }), fc.constantFrom("a", "item-5", "B", "Ada"))).map(([o, v]) => ({ [o]: v })),
      fc.array(scalar, { maxLength: 3 }).map((v) => ({ $in: v })),
      fc.array(scalar, { maxLength: 3 }).map((v) => ({ $nin: v })),
      scalar.map((v) => ({ $contains: v })),
      fc.boolean().map((v) => ({ $exists: v })),
      fc.integer({ min: 0, max: 4 }).map((v) => ({ $size: v })),
      fc.tuple(fc.constantFrom("$gt", "$lt"), fc.integer({ min: 0, max: 30 })).map(([o, v]) => ({ $elemMatch: { [o]: v } })),
    ) as fc.Arbitrary<Filter>;
    const leaf = fc.tuple(field, fc.oneof(op, op.map((o) => ({ $not: o })), scalar)).map(([f, c]) => ({ [f]: c }) as Filter);
    const tree: fc.Arbitrary<Filter> = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        leaf,
        fc.array(tie("node"), { minLength: 1, maxLength: 3 }).map((fs) => ({ $and: fs }) as Filter),
        fc.array(tie("node"), { minLength: 1, maxLength: 3 }).map((fs) => ({ $or: fs }) as Filter),
        tie("node").map((f) => ({ $not: f }) as Filter),
      ),
    })).node as fc.Arbitrary<Filter>;
    await fc.assert(
      fc.asyncProperty(tree, async (filter) => {
        const mine = (await db.list({ namespace: "docs", filter })).map((r) => r.id).sort();
        const where = filterToSql(filter);
        const { rows } = await pg.query<{ id: string }>(`SELECT id FROM vectlite_docs WHERE ${where.sql}`, where.params);
        assert.deepEqual(rows.map((r) => r.id).sort(), mine);
      }),
      { numRuns: 400 },
    );
  });

  it("finds the same nearest records with an exact search on both sides", async () => {
    const rand = rng(99);
    for (let q = 0; q < 12; q++) {
      const query = randomVector(DIM, rand);
      const filter = FILTERS[q % FILTERS.length];
      const mine = await db.search(query, { namespace: "docs", k: 10, exact: true, filter });
      const search = pgvectorSearchSql({ table: "vectlite_docs", metric: db.metric, k: 10, filter });
      const { rows } = await pg.query<{ id: string; distance: number }>(search.sql, [vectorLiteral(query), ...search.params]);
      assert.deepEqual(rows.map((r) => r.id).sort(), mine.map((h) => h.id).sort(), `query ${q} with ${JSON.stringify(filter)}`);
      for (const hit of mine) {
        const row = rows.find((r) => r.id === hit.id)!;
        assert.ok(Math.abs(1 - row.distance - hit.score) < 1e-5, `cosine: 1 - distance ${row.distance} is the score ${hit.score}`);
      }
    }
  });

  it("imports the tables back into an identical database, and builds pgvector's HNSW index on request", async () => {
    const dest = tempDb("back.vdb");
    const tables = await importFromPostgres(client, dest);
    assert.deepEqual(tables.map((t) => t.records), [150, 150, 150]);
    await using back = await vectlite.open(dest, { readOnly: true });
    assert.equal(back.metric, db.metric);
    const all = async (d: vectlite.Database) => {
      const out = await d.list({ namespace: "*", includeVectors: true });
      return out.sort((a, b) => `${a.namespace}\u0000${a.id}`.localeCompare(`${b.namespace}\u0000${b.id}`));
    };
    const [was, now] = [await all(db), await all(back)];
    assert.equal(now.length, was.length);
    for (let i = 0; i < was.length; i++) {
      assert.deepStrictEqual(now[i], was[i], `${was[i].namespace}/${was[i].id}`); // key order aside, every field and float32 equal
    }
    await rejectsWith(() => importFromPostgres(client, dest), "INVALID_ARGUMENT", /already exists/);
    const again = await exportToPostgres(db, client, { tablePrefix: "indexed", createIndex: true });
    assert.equal(again.length, 3);
    const { rows } = await pg.query<{ indexdef: string }>(`SELECT indexdef FROM pg_indexes WHERE tablename = 'indexed_docs' AND indexdef LIKE '%hnsw%'`);
    assert.match(rows[0].indexdef, /vector_cosine_ops/);
  });

  it("vectlite export --to pgvector writes a SQL script that loads the same tables", async () => {
    const path = tempDb("script.vdb");
    await db.snapshot(path);
    const { cmd, args } = runtimeCommand(CLI, "export", path, "--to", "pgvector", "--table-prefix", "script");
    const out = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 64 << 20 });
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stderr, /exported 450 records/);
    assert.match(out.stdout, /^SET standard_conforming_strings = on;\nBEGIN;\n/);
    await pg.exec(out.stdout);
    for (const namespace of NAMESPACES) {
      const table = namespace === "" ? "script" : `script_${namespace}`;
      const where = filterToSql({ "author.name": "Ada" });
      const { rows } = await pg.query<{ id: string }>(`SELECT id FROM "${table}" WHERE ${where.sql}`, where.params);
      assert.deepEqual(rows.map((r) => r.id).sort(), (await db.list({ namespace, filter: { "author.name": "Ada" } })).map((r) => r.id).sort());
    }
    const copy = tempDb("from-script.vdb");
    await importFromPostgres(client, copy, { tablePrefix: "script" });
    await using back = await vectlite.open(copy, { readOnly: true });
    assert.equal(await back.count({ namespace: "*" }), 450);
  });

  it("vectlite export --to pgvector --url and import --from pgvector --url talk to a Postgres server", async () => {
    // The same PGlite, served over the Postgres wire protocol on 127.0.0.1; the CLI connects with pg.
    const server = new PGLiteSocketServer({ db: pg, port: 0, host: "127.0.0.1" });
    await server.start();
    try {
      const url = `postgres://postgres@${server.getServerConn()}/postgres`;
      const path = tempDb("wire.vdb");
      await db.snapshot(path);
      // The in-process server takes messages up to 64 KiB (a real Postgres has no such limit).
      const exported = await runCli("export", path, "--to", "pgvector", "--url", url, "--table-prefix", "wire", "--statement-bytes", "40000");
      assert.equal(exported.status, 0, exported.stderr);
      assert.match(exported.stderr, /exported 450 records from .* to 3 tables of the Postgres server/);
      const back = tempDb("wire-back.vdb");
      const imported = await runCli("import", back, "--from", "pgvector", "--url", url, "--table-prefix", "wire");
      assert.equal(imported.status, 0, imported.stderr);
      assert.match(imported.stderr, /imported 450 records from 3 tables/);
      const unreachable = await runCli("import", tempDb("none.vdb"), "--from", "pgvector", "--url", "postgres://postgres@127.0.0.1:9/postgres");
      assert.equal(unreachable.status, 1);
      assert.match(unreachable.stderr, /IO: cannot connect to postgres:\/\/postgres@127\.0\.0\.1:9/);
      await using copy = await vectlite.open(back, { readOnly: true });
      assert.equal(await copy.count({ namespace: "*" }), 450);
      assert.deepEqual((await copy.get("docs-7", { namespace: "docs" }))?.metadata, (await db.get("docs-7", { namespace: "docs" }))?.metadata);
    } finally {
      await server.stop();
    }
  });

  it("a script keeps $n and quotes inside names and values as they are; huge $size and non-JSON filters are handled", async () => {
    await using odd = await vectlite.open(tempDb("odd.vdb"), { dimension: 2 });
    await odd.upsert("it's $1", [1, 0], { note: "a\\'b $2 \"c\"" }, { namespace: "we$1ird'ns" });
    let script = "";
    const client = sqlScriptClient(async (t) => {
      script += t;
    });
    await client.begin();
    await exportToPostgres(odd, client, { tablePrefix: "odd" });
    await client.end();
    assert.match(script, /^SET standard_conforming_strings = on;/);
    await pg.exec(script);
    const { rows } = await pg.query<{ id: string; metadata: { note: string } }>(`SELECT id, metadata FROM "odd_we$1ird'ns"`);
    assert.deepEqual(rows.map((r) => [r.id, r.metadata.note]), [["it's $1", "a\\'b $2 \"c\""]]);
    const huge = filterToSql({ tags: { $size: 3_000_000_000 } });
    assert.deepEqual((await pg.query(`SELECT id FROM vectlite_docs WHERE ${huge.sql}`, huge.params)).rows, []);
    assert.throws(() => filterToSql({ x: Number.NaN } as unknown as Filter), (e: vectlite.VectLiteError) => e.code === "INVALID_FILTER");
    assert.throws(() => filterToSql({ x: { $gt: undefined } } as unknown as Filter), (e: vectlite.VectLiteError) => e.code === "INVALID_FILTER");
  });

  it("refuses a malformed filter with INVALID_FILTER and its path", () => {
    assert.throws(() => filterToSql({ a: { $gtt: 1 } } as unknown as Filter), (e: vectlite.VectLiteError) => e.code === "INVALID_FILTER" && /a\.\$gtt: unknown operator/.test(e.message));
    assert.throws(() => filterToSql({ $or: [] } as unknown as Filter), /\$or expects a non-empty array/);
    assert.throws(() => filterToSql({ a: { $gt: 1, b: 2 } } as unknown as Filter), /cannot also have plain keys/);
  });
});
