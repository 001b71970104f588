import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as vectlite from "../mod.ts";
import { crashCycle } from "./crash-cycle.ts";
import { rng, tempDb } from "./helpers.ts";

describe("crash consistency", () => {
  it("keeps every acknowledged upsert, delete, batch and transaction across 50 SIGKILLs at random moments", { timeout: 600_000 }, async () => {
    const path = tempDb("crash.vdb");
    await (await vectlite.open(path, { dimension: 8 })).close();
    const rand = rng(50);
    let acked = 0, landed = 0;
    for (let cycle = 0; cycle < 50; cycle++) {
      const result = await crashCycle(path, cycle + 1, 20 + Math.floor(rand() * 150));
      acked += result.acked;
      landed += Number(result.inFlightLanded);
      if (cycle === 25) {
        await using db = await vectlite.open(path);
        await db.compact(); // later cycles recover on top of a compacted file
      }
    }
    assert.ok(acked >= 100, `only ${acked} operations were acknowledged: too few for the test to mean anything`);
    console.log(`crash: 50 cycles, ${acked} acknowledged operations kept, in-flight operation landed in ${landed} cycles`);
  });
});
