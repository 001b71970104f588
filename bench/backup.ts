/**
 * snapshot, backup and restore throughput: MB/s of the files each one writes, on a database of
 * `--n` x 384 records with metadata (default 100,000: 163 MB), with and without an HNSW graph.
 * Each operation runs `--rounds` times (default 3); the median is reported. Every written file
 * is fsynced by vectlite, so these include the disk's sync time.
 *
 *   bun bench/backup.ts            deno run -A bench/backup.ts
 *   bun bench/backup.ts --n 20000 --rounds 1
 *
 * @module
 */
import * as vectlite from "../mod.ts";
import { join } from "node:path";
import { readdirSync } from "node:fs";
import { fileSize, fmt, machine, median, randomVectors, removeDir, row, runtimeName, tempDir } from "./common.ts";

const argv = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const N = arg("n", 100_000), ROUNDS = arg("rounds", 3), DIM = 384;
const seconds = (t0: number) => (performance.now() - t0) / 1000;
const dirBytes = (dir: string) => readdirSync(dir).reduce((s, f) => s + fileSize(join(dir, f)), 0);

console.log(`vectlite snapshot/backup/restore, ${runtimeName()}; ${machine()}; ${N} x ${DIM}`);
const data = randomVectors(N, DIM, 7);
for (const graph of [false, true]) {
  const dir = tempDir();
  const db = await vectlite.open(join(dir, "src.vdb"), { dimension: DIM, ...(graph ? {} : { annThreshold: 2 ** 32 - 1 }) });
  await db.bulkIngest((function* () {
    for (let i = 0; i < N; i++) yield { id: `r${i}`, vector: row(data, DIM, i), metadata: { i, tag: i % 7 } };
  })());
  await db.compact();
  const times: Record<string, number[]> = { snapshot: [], backup: [], restore: [] };
  let bytes = { snapshot: 0, backup: 0, restore: 0 };
  for (let r = 0; r < ROUNDS; r++) {
    const snap = join(dir, `snap${r}.vdb`);
    let t0 = performance.now();
    await db.snapshot(snap);
    times.snapshot.push(seconds(t0));
    const backupDir = join(dir, `backup${r}`);
    t0 = performance.now();
    await db.backup(backupDir);
    times.backup.push(seconds(t0));
    const restored = join(dir, `restored${r}.vdb`);
    t0 = performance.now();
    // The same options as the source, or a database without a graph would build one at open.
    const back = await vectlite.restore(backupDir, restored, graph ? {} : { annThreshold: 2 ** 32 - 1 });
    times.restore.push(seconds(t0));
    if ((await back.count()) !== N) throw new Error("restore lost records");
    await back.close();
    bytes = { snapshot: fileSize(snap), backup: dirBytes(backupDir), restore: fileSize(restored) };
  }
  await db.close();
  const line = (op: keyof typeof bytes) =>
    `${op} ${fmt(median(times[op]) * 1000)} ms, ${fmt(bytes[op] / 1e6)} MB, ${fmt(bytes[op] / 1e6 / median(times[op]))} MB/s`;
  console.log(`${graph ? "with graph" : "no graph"}: ${line("snapshot")}; ${line("backup")}; ${line("restore")} (restore opens the result)`);
  removeDir(dir);
}
