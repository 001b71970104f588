/**
 * A program meant to be compiled into one executable with the native library inside:
 *
 *   bash scripts/build.sh
 *   bun build --compile examples/compiled-search.ts --outfile vectlite-search
 *   ./vectlite-search [db path] ["query text"]     # runs anywhere: no repository, no Bun, no cargo build
 *
 * It opens (or creates) a small database of help-centre notes, then runs a hybrid search for
 * the query and prints one JSON object: the library it loaded, how many records the file
 * holds, and the results. It also runs uncompiled: `bun examples/compiled-search.ts`.
 *
 * The static `import ... with { type: "file" }` is what makes `bun build --compile` embed the
 * library; in the executable `lib` is a `/$bunfs/...` path that Bun's dlopen opens directly.
 * With vectlite installed from npm, import
 * `vectlite/native/<triple>/libvectlite.so` instead (the triple of the machine it will run
 * on; `--target` cross-compiles need that platform's library). Deno cannot parse this import
 * attribute, so deno.json excludes this file; for `deno compile` see docs/platforms.md.
 *
 * @module
 */
import lib from "../lib-rs/target/release/libvectlite.so" with { type: "file" };
import { libraryPath, useLibrary } from "../compiled.ts";
import * as vectlite from "../mod.ts";

useLibrary(lib);

/** Four notes with hand-made 4-dimensional "embeddings" (axes: account, billing, sync, offline). */
const NOTES = [
  { id: "reset-password", vector: [0.9, 0.1, 0, 0], text: "Reset your password from the account page" },
  { id: "invoices", vector: [0.1, 0.9, 0, 0], text: "Download invoices from the billing page" },
  { id: "sync-devices", vector: [0, 0, 0.9, 0.2], text: "Sync notes between devices" },
  { id: "offline-mode", vector: [0, 0, 0.3, 0.9], text: "Edit notes offline and sync later" },
];

const [path = "compiled-search.vdb", query = "forgot my password"] = process.argv.slice(2);

await using db = await vectlite.open(path, { dimension: 4 });
if ((await db.count()) === 0) {
  await db.upsertMany(
    NOTES.map((n) => ({ id: n.id, vector: n.vector, metadata: { text: n.text }, text: n.text })),
  );
}
// The query's "embedding" leans towards the account axis; the words come from the query text.
const results = await db.search([0.8, 0.2, 0.1, 0], { k: 2, sparse: vectlite.sparseTerms(query) });
console.log(JSON.stringify({
  library: libraryPath(),
  records: await db.count(),
  results: results.map((r) => ({ id: r.id, score: Number(r.score.toFixed(4)) })),
}));
