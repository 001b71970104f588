/**
 * Stores: collection names that are safe on every platform, openStore on existing and
 * read-only directories, and an idempotent close().
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as vectlite from "../mod.ts";
import { rejectsWith, runtimeCommand, tempDir } from "./helpers.ts";

const V = [1, 0];

describe("openStore", () => {
  it("an existing directory is used as it is; a path under a file is IO naming why", async () => {
    const dir = tempDir();
    await using store = await vectlite.openStore(dir);
    assert.deepEqual(await store.collections(), []);
    const file = join(dir, "plain-file");
    writeFileSync(file, "x");
    await rejectsWith(() => vectlite.openStore(file), "IO", /not a directory/);
    await rejectsWith(() => vectlite.openStore(join(file, "sub", "deeper")), "IO", /cannot create store directory .*(ENOTDIR|not a directory)/i);
  });

  it("on a read-only file system: an existing directory opens, a new one is IO naming EROFS", async (t) => {
    // A read-only bind mount in a private mount namespace (needs root or user namespaces);
    // root ignores permission bits, so a read-only directory would not show the problem.
    const dir = tempDir();
    const ro = join(dir, "ro");
    mkdirSync(join(ro, "existing"), { recursive: true });
    const probe = spawnSync("unshare", ["-m", "sh", "-c", `mount --bind "${ro}" "${ro}" && mount -o remount,ro,bind "${ro}" "${ro}"`]);
    if (probe.status !== 0) {
      t.skip?.("cannot make a read-only mount here (unshare -m and mount need privileges)");
      return;
    }
    const script = join(dir, "store-ro.mts"); // .mts: an ES module also where no package.json says so (tsx on Node)
    const mod = new URL("../mod.ts", import.meta.url).href;
    writeFileSync(
      script,
      `import * as vectlite from ${JSON.stringify(mod)};
const out: Record<string, string> = {};
for (const [name, path] of [["existing", ${JSON.stringify(join(ro, "existing"))}], ["new", ${JSON.stringify(join(ro, "new", "deeper"))}]]) {
  try {
    const store = await vectlite.openStore(path);
    out[name] = "opened " + JSON.stringify(await store.collections());
    await store.close();
  } catch (e) {
    out[name] = (e as vectlite.VectLiteError).code + " " + (e as Error).message;
  }
}
console.log(JSON.stringify(out));
`,
    );
    const { cmd, args } = runtimeCommand(script);
    const child = spawnSync(
      "unshare",
      ["-m", "sh", "-c", `mount --bind "$0" "$0" && mount -o remount,ro,bind "$0" "$0" && exec "$@"`, ro, cmd, ...args],
      { encoding: "utf8" },
    );
    assert.equal(child.status, 0, child.stderr);
    const out = JSON.parse(child.stdout.trim().split("\n").pop()!);
    assert.equal(out.existing, "opened []");
    assert.match(out.new, /^IO cannot create store directory .*(EROFS|read-only file system)/i);
  });
});

describe("collection names", () => {
  it("refuses Windows device names (any case, with any extension) and trailing dots", async () => {
    await using store = await vectlite.openStore(tempDir());
    for (const bad of ["con", "CON", "Prn", "aux", "nul", "com0", "COM9", "lpt1", "LPT9", "con.txt", "nul.tar.gz", "aux.vdb"]) {
      await rejectsWith(() => store.createCollection(bad, { dimension: 2 }), "INVALID_ARGUMENT", /device name/);
      await rejectsWith(() => store.openOrCreateCollection(bad, { dimension: 2 }), "INVALID_ARGUMENT", /device name/);
      await rejectsWith(() => store.openCollection(bad), "INVALID_ARGUMENT", /device name/);
      await rejectsWith(() => store.dropCollection(bad), "INVALID_ARGUMENT", /device name/);
    }
    for (const bad of ["a.", "a.b.", "x_."]) {
      await rejectsWith(() => store.createCollection(bad, { dimension: 2 }), "INVALID_ARGUMENT", /dot/);
    }
    await rejectsWith(() => store.createCollection("x\uD800", { dimension: 2 }), "INVALID_ARGUMENT", /collection name/);
    for (const fine of ["console", "com10", "lpt", "auxiliary", "con_x", "nulls.v2"]) {
      await store.createCollection(fine, { dimension: 2 });
    }
    assert.deepEqual(await store.collections(), ["auxiliary", "com10", "con_x", "console", "lpt", "nulls.v2"]);
  });

  it("refuses a name that differs only in case from an existing collection", async () => {
    const dir = tempDir();
    {
      await using store = await vectlite.openStore(dir);
      const docs = await store.createCollection("docs", { dimension: 2 });
      await docs.upsert("a", V);
    }
    await using store = await vectlite.openStore(dir);
    await rejectsWith(() => store.createCollection("Docs", { dimension: 2 }), "INVALID_ARGUMENT", /case .*"docs"/);
    await rejectsWith(() => store.openOrCreateCollection("DOCS", { dimension: 2 }), "INVALID_ARGUMENT", /case .*"docs"/);
    await rejectsWith(() => store.openCollection("dOcs"), "INVALID_ARGUMENT", /case .*"docs"/);
    await rejectsWith(() => store.dropCollection("Docs"), "INVALID_ARGUMENT", /case .*"docs"/);
    assert.equal(await (await store.openCollection("docs")).count(), 1);
    assert.deepEqual(await store.collections(), ["docs"]);
  });
});

describe("store.close", () => {
  it("is idempotent: concurrent and later calls resolve", async () => {
    const store = await vectlite.openStore(tempDir());
    const docs = await store.createCollection("docs", { dimension: 2 });
    await Promise.all([store.close(), store.close()]);
    await store.close();
    assert.equal(docs.closed, true);
    await rejectsWith(() => store.collections(), "CLOSED");
  });
});
