/**
 * The filter language, operator by operator, through all three read paths that take a
 * filter (search, count, list), plus deleteByFilter for the malformed cases.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as vectlite from "../mod.ts";
import type { Database, Filter, Metadata } from "../mod.ts";
import { randomVector, rejectsWith, rng, tempDb } from "./helpers.ts";

const DIM = 3;

/** Opens a fresh database holding one record per entry of `docs`, keyed by id. */
async function openWith(docs: Record<string, Metadata>): Promise<Database> {
  const db = await vectlite.open(tempDb(), { dimension: DIM });
  const rand = rng(17);
  await db.upsertMany(Object.entries(docs).map(([id, metadata]) => ({ id, vector: randomVector(DIM, rand), metadata })));
  return db;
}

/**
 * The ids `filter` matches, sorted, checked to be the same through search, list and count
 * (search with k larger than the database, so every match must come back).
 */
async function ids(db: Database, filter: Filter): Promise<string[]> {
  const total = await db.count();
  const viaList = (await db.list({ filter })).map((r) => r.id).sort();
  const viaSearch = (await db.search([1, 0.5, -0.25], { k: total + 5, filter })).map((r) => r.id).sort();
  const viaCount = await db.count({ filter });
  assert.deepEqual(viaSearch, viaList, `search and list disagree on ${JSON.stringify(filter)}`);
  assert.equal(viaCount, viaList.length, `count disagrees on ${JSON.stringify(filter)}`);
  return viaList;
}

/** Asserts the matches of each filter in the table. */
async function expectMatches(db: Database, table: [Filter, string[]][]): Promise<void> {
  for (const [filter, expected] of table) {
    assert.deepEqual(await ids(db, filter), [...expected].sort(), `filter ${JSON.stringify(filter)}`);
  }
}

const PEOPLE: Record<string, Metadata> = {
  ann: { name: "Ann", age: 31, score: 7.5, active: true, city: "Oslo", tags: ["admin", "dev"] },
  bob: { name: "Bob", age: 25, score: 9, active: false, city: "Bergen", tags: ["dev"] },
  cid: { name: "Cid", age: 40, active: true, city: null, tags: [] },
  dan: { name: "Dan", age: "31", score: 5, tags: ["ops", "dev", "admin"] },
  eve: { name: "eve", age: 31.0, nick: "E" },
  fay: {},
};

describe("comparison operators", () => {
  it("$eq and implicit $eq", async () => {
    await using db = await openWith(PEOPLE);
    await expectMatches(db, [
      [{ name: "Ann" }, ["ann"]],
      [{ name: { $eq: "Ann" } }, ["ann"]],
      [{ age: 31 }, ["ann", "eve"]], // 31.0 is 31; "31" is not
      [{ age: { $eq: "31" } }, ["dan"]],
      [{ active: true }, ["ann", "cid"]],
      [{ active: false }, ["bob"]],
      [{ city: null }, ["cid"]], // null equals null only, not a missing field
      [{ tags: ["dev"] }, ["bob"]], // arrays compare whole
      [{ tags: { $eq: "dev" } }, []], // an array never equals a scalar
      [{ name: "ann" }, []], // case sensitive
      [{ nothing: 1 }, []],
    ]);
  });

  it("$eq compares objects whole, ignoring key order", async () => {
    await using db = await openWith({
      a: { loc: { city: "Oslo", zip: 1 } },
      b: { loc: { city: "Oslo" } },
      c: { loc: { zip: 1, city: "Oslo", extra: true } },
    });
    await expectMatches(db, [
      [{ loc: { zip: 1, city: "Oslo" } }, ["a"]],
      [{ loc: { $eq: { city: "Oslo" } } }, ["b"]],
    ]);
  });

  it("$ne, which also matches records lacking the field", async () => {
    await using db = await openWith(PEOPLE);
    await expectMatches(db, [
      [{ name: { $ne: "Ann" } }, ["bob", "cid", "dan", "eve", "fay"]],
      [{ age: { $ne: 31 } }, ["bob", "cid", "dan", "fay"]],
      [{ city: { $ne: null } }, ["ann", "bob", "dan", "eve", "fay"]],
      [{ active: { $ne: true } }, ["bob", "dan", "eve", "fay"]],
    ]);
  });

  it("$gt, $gte, $lt, $lte on numbers", async () => {
    await using db = await openWith(PEOPLE);
    await expectMatches(db, [
      [{ age: { $gt: 31 } }, ["cid"]],
      [{ age: { $gte: 31 } }, ["ann", "cid", "eve"]],
      [{ age: { $lt: 31 } }, ["bob"]],
      [{ age: { $lte: 31 } }, ["ann", "bob", "eve"]],
      [{ age: { $gt: 25, $lt: 40 } }, ["ann", "eve"]],
      [{ score: { $gte: 5, $lte: 7.5 } }, ["ann", "dan"]],
      [{ score: { $gt: -1e9 } }, ["ann", "bob", "dan"]],
    ]);
  });

  it("$gt, $gte, $lt, $lte on strings by code point", async () => {
    await using db = await openWith(PEOPLE);
    await expectMatches(db, [
      [{ name: { $gt: "Bob" } }, ["cid", "dan", "eve"]], // lowercase "eve" sorts after uppercase
      [{ name: { $gte: "Bob" } }, ["bob", "cid", "dan", "eve"]],
      [{ name: { $lt: "Bob" } }, ["ann"]],
      [{ name: { $lte: "Bob" } }, ["ann", "bob"]],
      [{ name: { $gte: "B", $lt: "D" } }, ["bob", "cid"]],
      [{ city: { $lt: "P" } }, ["ann", "bob"]],
    ]);
  });

  it("$in and $nin", async () => {
    await using db = await openWith(PEOPLE);
    await expectMatches(db, [
      [{ name: { $in: ["Ann", "Bob", "Zed"] } }, ["ann", "bob"]],
      [{ age: { $in: [25, 40] } }, ["bob", "cid"]],
      [{ age: { $in: ["31"] } }, ["dan"]],
      [{ city: { $in: [null] } }, ["cid"]],
      [{ tags: { $in: [["dev"], []] } }, ["bob", "cid"]], // whole-array equality
      [{ name: { $in: [] } }, []],
      [{ name: { $nin: ["Ann", "Bob"] } }, ["cid", "dan", "eve", "fay"]],
      [{ age: { $nin: [31] } }, ["bob", "cid", "dan", "fay"]],
      [{ city: { $nin: ["Oslo", null] } }, ["bob", "dan", "eve", "fay"]],
      [{ name: { $nin: [] } }, ["ann", "bob", "cid", "dan", "eve", "fay"]],
    ]);
  });

  it("$contains: substring of a string, membership of a list", async () => {
    await using db = await openWith({
      s1: { text: "how to authenticate users", tags: ["auth", "sso"], nums: [1, 2, 3] },
      s2: { text: "Authentication guide", tags: ["guide"], nums: [4] },
      s3: { text: "nothing here", tags: ["authentication"], objs: [{ a: 1 }, { b: 2 }] },
      s4: { text: 42, tags: "auth-as-string" },
      s5: {},
    });
    await expectMatches(db, [
      [{ text: { $contains: "authenticat" } }, ["s1"]], // case sensitive substring
      [{ text: { $contains: "Auth" } }, ["s2"]],
      [{ text: { $contains: "" } }, ["s1", "s2", "s3"]],
      [{ tags: { $contains: "auth" } }, ["s1", "s4"]], // s1 by membership, s4 by substring
      [{ tags: { $contains: "authentication" } }, ["s3"]], // membership is whole-element equality
      [{ nums: { $contains: 2 } }, ["s1"]],
      [{ nums: { $contains: "2" } }, []],
      [{ objs: { $contains: { b: 2 } } }, ["s3"]],
      [{ text: { $contains: 4 } }, []], // a number field contains nothing
    ]);
  });
});

describe("$exists, missing fields and type mismatches", () => {
  it("$exists true/false, where a null value exists", async () => {
    await using db = await openWith(PEOPLE);
    await expectMatches(db, [
      [{ city: { $exists: true } }, ["ann", "bob", "cid"]],
      [{ city: { $exists: false } }, ["dan", "eve", "fay"]],
      [{ nick: { $exists: true } }, ["eve"]],
      [{ score: { $exists: false } }, ["cid", "eve", "fay"]],
      [{ "tags.0": { $exists: true } }, ["ann", "bob", "dan"]],
    ]);
  });

  it("only $ne, $nin and $exists:false match a record that lacks the field", async () => {
    await using db = await openWith({ has: { f: 5, s: "x", l: [1] }, lacks: {} });
    await expectMatches(db, [
      [{ f: { $ne: 1 } }, ["has", "lacks"]],
      [{ f: { $nin: [1] } }, ["has", "lacks"]],
      [{ f: { $exists: false } }, ["lacks"]],
      [{ f: { $eq: 5 } }, ["has"]],
      [{ f: { $gt: 0 } }, ["has"]],
      [{ f: { $gte: 0 } }, ["has"]],
      [{ f: { $lt: 100 } }, ["has"]],
      [{ f: { $lte: 100 } }, ["has"]],
      [{ f: { $in: [5, null] } }, ["has"]],
      [{ s: { $contains: "" } }, ["has"]],
      [{ l: { $size: 1 } }, ["has"]],
      [{ l: { $elemMatch: { $gte: 0 } } }, ["has"]],
      [{ f: { $exists: true } }, ["has"]],
      [{ f: null }, []], // a missing field is not null
    ]);
  });

  it("comparing values of different types is false, never an error", async () => {
    await using db = await openWith({
      num: { v: 10 },
      str: { v: "10" },
      bool: { v: true },
      nul: { v: null },
      arr: { v: [10] },
      obj: { v: { x: 10 } },
    });
    await expectMatches(db, [
      [{ v: { $gt: 5 } }, ["num"]],
      [{ v: { $gt: "0" } }, ["str"]],
      [{ v: { $lt: "z" } }, ["str"]],
      [{ v: { $gte: 10, $lte: "99" } }, []], // no value is both a number and a string
      [{ v: 10 }, ["num"]],
      [{ v: "10" }, ["str"]],
      [{ v: { $eq: 1 } }, []], // true is not 1
      [{ v: { $in: [1, 0, "true"] } }, []],
      [{ v: { $ne: 10 } }, ["str", "bool", "nul", "arr", "obj"]],
      [{ v: { $size: 1 } }, ["arr", "obj"]], // a list's items, an object's keys
      [{ v: { $contains: "1" } }, ["str"]],
      [{ v: { $elemMatch: { $eq: 10 } } }, ["arr"]],
    ]);
  });
});

describe("logical operators", () => {
  it("implicit $and across keys and explicit $and", async () => {
    await using db = await openWith(PEOPLE);
    await expectMatches(db, [
      [{ age: 31, active: true }, ["ann"]],
      [{ $and: [{ age: 31 }, { active: true }] }, ["ann"]],
      [{ $and: [{ age: { $gte: 25 } }, { age: { $lte: 31 } }, { name: { $ne: "Bob" } }] }, ["ann", "eve"]],
      [{ age: { $gte: 25 }, $and: [{ tags: { $contains: "dev" } }] }, ["ann", "bob"]],
      [{ name: "Ann", city: "Bergen" }, []],
    ]);
  });

  it("$or, alone and combined with other keys", async () => {
    await using db = await openWith(PEOPLE);
    await expectMatches(db, [
      [{ $or: [{ name: "Ann" }, { name: "Bob" }] }, ["ann", "bob"]],
      [{ $or: [{ city: "Oslo" }, { age: { $gt: 35 } }, { nick: { $exists: true } }] }, ["ann", "cid", "eve"]],
      [{ active: true, $or: [{ city: "Oslo" }, { city: "Bergen" }] }, ["ann"]],
      [{ $or: [{ name: "Zed" }] }, []],
      [{ $or: [{ $and: [{ age: 31 }, { score: 7.5 }] }, { name: "Bob" }] }, ["ann", "bob"]],
    ]);
  });

  it("$not at the top level negates a whole filter", async () => {
    await using db = await openWith(PEOPLE);
    await expectMatches(db, [
      [{ $not: { name: "Bob" } }, ["ann", "cid", "dan", "eve", "fay"]],
      [{ $not: { city: { $exists: true } } }, ["dan", "eve", "fay"]],
      [{ $not: { age: 31, active: true } }, ["bob", "cid", "dan", "eve", "fay"]],
      [{ $not: { $or: [{ name: "Ann" }, { name: "Bob" }] } }, ["cid", "dan", "eve", "fay"]],
      [{ $not: { age: { $gt: 30 } }, name: { $exists: true } }, ["bob", "dan"]],
    ]);
  });

  it("$not at field level negates its operators, and matches a missing field", async () => {
    await using db = await openWith(PEOPLE);
    await expectMatches(db, [
      // Not (age > 30): Bob (25), Dan ("31" is not a number), Fay (no age).
      [{ age: { $not: { $gt: 30 } } }, ["bob", "dan", "fay"]],
      // Not (all of >= 25 and <= 31): Cid, Dan, Fay.
      [{ age: { $not: { $gte: 25, $lte: 31 } } }, ["cid", "dan", "fay"]],
      [{ tags: { $not: { $contains: "dev" } } }, ["cid", "eve", "fay"]],
      [{ name: { $not: { $in: ["Ann", "Bob"] } } }, ["cid", "dan", "eve", "fay"]],
      // $not of a plain value is $ne.
      [{ name: { $not: "Ann" } }, ["bob", "cid", "dan", "eve", "fay"]],
    ]);
  });
});

describe("arrays: $elemMatch and $size", () => {
  const DOCS: Record<string, Metadata> = {
    r1: { scores: [85, 70], tags: ["rust", "go"], authors: [{ name: "Ann", age: 25 }, { name: "Bob", age: 35 }] },
    r2: { scores: [70, 95], tags: ["Rust"], authors: [{ name: "Ann", age: 36 }] },
    r3: { scores: [], tags: [], authors: [] },
    r4: { scores: "85", tags: "rust", authors: { name: "Ann", age: 40 } },
    r5: { scores: [81, 89, 100], tags: ["python", "rust", "c"], authors: ["Ann", { name: "Cy", age: 50, meta: { lang: "go" } }] },
    r6: {},
  };

  it("$elemMatch applies operators to each element of a list of scalars", async () => {
    await using db = await openWith(DOCS);
    await expectMatches(db, [
      [{ tags: { $elemMatch: { $eq: "rust" } } }, ["r1", "r5"]],
      // One element must satisfy both: r2 has 70 and 95 but neither is in (80, 90).
      [{ scores: { $elemMatch: { $gt: 80, $lt: 90 } } }, ["r1", "r5"]],
      [{ scores: { $elemMatch: { $gte: 95 } } }, ["r2", "r5"]],
      [{ scores: { $elemMatch: { $in: [70] } } }, ["r1", "r2"]],
      [{ tags: { $elemMatch: { $gt: "q" } } }, ["r1", "r5"]],
      [{ tags: { $elemMatch: { $ne: "rust" } } }, ["r1", "r2", "r5"]],
      [{ tags: { $elemMatch: { $contains: "ust" } } }, ["r1", "r2", "r5"]],
    ]);
  });

  it("$elemMatch applies a sub-filter to each object of a list of objects", async () => {
    await using db = await openWith(DOCS);
    await expectMatches(db, [
      // One author must be both Ann and over 30: r1's Ann is 25 and its Bob is 35.
      [{ authors: { $elemMatch: { name: "Ann", age: { $gt: 30 } } } }, ["r2"]],
      [{ authors: { $elemMatch: { name: "Ann" } } }, ["r1", "r2"]],
      [{ authors: { $elemMatch: { age: { $gte: 35 } } } }, ["r1", "r2", "r5"]],
      [{ authors: { $elemMatch: { "meta.lang": "go" } } }, ["r5"]],
      [{ authors: { $elemMatch: { $or: [{ name: "Cy" }, { age: 25 }] } } }, ["r1", "r5"]],
      [{ authors: { $elemMatch: { name: "Ann", age: 25 } } }, ["r1"]],
    ]);
  });

  it("$size matches lists of exactly that length", async () => {
    await using db = await openWith(DOCS);
    await expectMatches(db, [
      [{ tags: { $size: 0 } }, ["r3"]],
      [{ tags: { $size: 1 } }, ["r2"]],
      [{ tags: { $size: 2 } }, ["r1"]],
      [{ tags: { $size: 3 } }, ["r5"]],
      [{ scores: { $size: 2 } }, ["r1", "r2"]],
      [{ authors: { $size: 1 } }, ["r2"]], // r4's object is not a list
      [{ tags: { $size: 4 } }, []],
    ]);
  });
});

describe("field paths", () => {
  it("dot paths reach into nested objects", async () => {
    await using db = await openWith({
      n1: { author: { name: "Alice", address: { city: "Oslo", zip: 150 } } },
      n2: { author: { name: "Bob", address: { city: "Rome" } } },
      n3: { author: "Alice" },
      n4: {},
    });
    await expectMatches(db, [
      [{ "author.name": "Alice" }, ["n1"]],
      [{ "author.address.city": { $in: ["Oslo", "Rome"] } }, ["n1", "n2"]],
      [{ "author.address.zip": { $gt: 100 } }, ["n1"]],
      [{ "author.address.zip": { $exists: false } }, ["n2", "n3", "n4"]],
      [{ "author.name": { $ne: "Alice" } }, ["n2", "n3", "n4"]],
      [{ "author.name.first": { $exists: true } }, []],
    ]);
  });

  it("a literal key containing dots wins over nesting", async () => {
    await using db = await openWith({
      literal: { "a.b": "literal", a: { b: "nested" } },
      nestedOnly: { a: { b: "nested" } },
      literalOnly: { "a.b": "nested" },
      deeper: { a: { "b.c": 1, b: { c: 2 } } },
    });
    await expectMatches(db, [
      [{ "a.b": "literal" }, ["literal"]],
      // For "literal" the literal key wins, so its nested "a.b" is not what the path names.
      [{ "a.b": "nested" }, ["nestedOnly", "literalOnly"]],
      [{ "a.b.c": 1 }, ["deeper"]],
      [{ "a.b.c": 2 }, []],
    ]);
  });

  it("numeric segments index arrays", async () => {
    await using db = await openWith({
      x: { tags: ["rust", "go"], authors: [{ name: "Ann" }, { name: "Bo" }], grid: [[1, 2], [3, 4]] },
      y: { tags: ["go", "rust"], authors: [{ name: "Bo" }] },
      z: { tags: [] },
    });
    await expectMatches(db, [
      [{ "tags.0": "rust" }, ["x"]],
      [{ "tags.1": "rust" }, ["y"]],
      [{ "tags.2": { $exists: true } }, []],
      [{ "authors.0.name": "Bo" }, ["y"]],
      [{ "authors.1.name": "Bo" }, ["x"]],
      [{ "grid.1.0": 3 }, ["x"]],
      [{ "tags.0": { $exists: false } }, ["z"]],
    ]);
  });
});

describe("filtered search", () => {
  it("returns k results whenever k records match, all of them matching", async () => {
    await using db = await vectlite.open(tempDb(), { dimension: 8 });
    const rand = rng(2024);
    const matching = new Set<string>();
    const records = [];
    for (let i = 0; i < 1000; i++) {
      const hit = i % 67 === 5; // 15 of 1000
      if (hit) matching.add(`id${i}`);
      records.push({ id: `id${i}`, vector: randomVector(8, rand), metadata: { kind: hit ? "rare" : "common", i } });
    }
    await db.upsertMany(records);
    assert.equal(matching.size, 15);
    assert.equal(await db.count({ filter: { kind: "rare" } }), 15);
    const q = randomVector(8, rand);

    const ten = await db.search(q, { k: 10, filter: { kind: "rare" } });
    assert.equal(ten.length, 10);
    for (const h of ten) {
      assert.ok(matching.has(h.id), `${h.id} does not match`);
      assert.equal(h.metadata.kind, "rare");
    }
    for (let i = 1; i < ten.length; i++) assert.ok(ten[i - 1].score >= ten[i].score);

    const all = await db.search(q, { k: 20, filter: { kind: "rare" } });
    assert.deepEqual(all.map((h) => h.id).sort(), [...matching].sort());
    // The 10 are the best 10 of the 15.
    assert.deepEqual(ten.map((h) => h.id), all.slice(0, 10).map((h) => h.id));

    // Forcing the exact scan gives the same answer.
    const exact = await db.search(q, { k: 10, filter: { kind: "rare" }, exact: true });
    assert.deepEqual(exact.map((h) => h.id), ten.map((h) => h.id));
    const one = await db.search(q, { k: 1, filter: { i: 999 } });
    assert.deepEqual(one.map((h) => h.id), ["id999"]);
  });

  it("an empty filter matches everything", async () => {
    await using db = await openWith(PEOPLE);
    assert.deepEqual(await ids(db, {}), Object.keys(PEOPLE).sort());
    assert.deepEqual(await ids(db, { $and: [{}] }), Object.keys(PEOPLE).sort());
  });
});

describe("malformed filters", () => {
  /** Each filter must be refused with INVALID_FILTER, by every call that takes one. */
  async function refused(db: Database, filter: unknown, pattern: RegExp): Promise<void> {
    const f = filter as Filter;
    await rejectsWith(() => db.search([1, 0, 0], { filter: f }), "INVALID_FILTER", pattern);
    await rejectsWith(() => db.count({ filter: f }), "INVALID_FILTER", pattern);
    await rejectsWith(() => db.list({ filter: f }), "INVALID_FILTER", pattern);
    await rejectsWith(() => db.deleteByFilter(f), "INVALID_FILTER", pattern);
    assert.equal(await db.count(), Object.keys(PEOPLE).length, "nothing was deleted");
  }

  it("an unknown operator, naming its path", async () => {
    await using db = await openWith(PEOPLE);
    await refused(db, { price: { $gtt: 1 } }, /price\.\$gtt/);
    await refused(db, { price: { $regex: "a.*" } }, /price\.\$regex/);
    await refused(db, { $and: [{ a: 1 }, { price: { $gtt: 1 } }] }, /\$and\[1\]\.price\.\$gtt/);
    await refused(db, { $nor: [{ a: 1 }] }, /\$nor/);
    await refused(db, { a: { $not: { $bogus: 1 } } }, /a\.\$not\.\$bogus/);
    await refused(db, { a: { $elemMatch: { $bogus: 1 } } }, /a\.\$elemMatch\.\$bogus/);
  });

  it("$in and $nin with a non-array", async () => {
    await using db = await openWith(PEOPLE);
    await refused(db, { name: { $in: "Ann" } }, /name\.\$in/);
    await refused(db, { name: { $nin: 3 } }, /name\.\$nin/);
  });

  it("$and / $or that is not an array, or is empty", async () => {
    await using db = await openWith(PEOPLE);
    await refused(db, { $and: { name: "Ann" } }, /\$and/);
    await refused(db, { $and: [] }, /\$and/);
    await refused(db, { $or: "x" }, /\$or/);
    await refused(db, { $or: [] }, /\$or/);
    await refused(db, { $or: [{ a: 1 }, 5] }, /\$or\[1\]/);
  });

  it("$exists that is not a boolean, $size that is negative or fractional", async () => {
    await using db = await openWith(PEOPLE);
    await refused(db, { city: { $exists: 1 } }, /city\.\$exists/);
    await refused(db, { city: { $exists: "true" } }, /city\.\$exists/);
    await refused(db, { tags: { $size: -1 } }, /tags\.\$size/);
    await refused(db, { tags: { $size: 1.5 } }, /tags\.\$size/);
    await refused(db, { age: { $gt: true } }, /age\.\$gt/);
    await refused(db, { age: { $lt: null } }, /age\.\$lt/);
  });

  it("an operator object mixed with plain keys", async () => {
    await using db = await openWith(PEOPLE);
    await refused(db, { age: { $gt: 1, city: "Oslo" } }, /at age\b.*\$gt.*city|at age\b.*city.*\$gt/);
    await refused(db, { $or: [{ age: { plain: 1, $lt: 3 } }] }, /\$or\[0\]\.age/);
  });

  it("a filter that is not an object", async () => {
    await using db = await openWith(PEOPLE);
    for (const bad of ["name", 42, true, [{ name: "Ann" }]]) {
      await refused(db, bad, /filter/);
    }
    await refused(db, { $not: 5 }, /\$not/);
    await refused(db, { $and: [5] }, /\$and\[0\]/);
  });

  it("a filter holding undefined, a function or another non-JSON value", async () => {
    await using db = await openWith(PEOPLE);
    await refused(db, { name: undefined }, /name/);
    await refused(db, { name: { $eq: () => "Ann" } }, /name\.\$eq/);
    await refused(db, { age: { $in: [1, undefined] } }, /age\.\$in/);
    await refused(db, { age: NaN }, /age/);
    await refused(db, { age: 10n }, /age/);
    await refused(db, { when: new Date(0) }, /when/);
  });

  it("misplaced logical and field operators", async () => {
    await using db = await openWith(PEOPLE);
    await refused(db, { $gt: 5 }, /\$gt/); // a field operator at the top level
    await refused(db, { age: { $or: [{ a: 1 }] } }, /age\.\$or/);
    await refused(db, { "": 1 }, /empty|""/);
  });
});
