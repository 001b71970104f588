/**
 * How long awaiting a background job takes beyond the job itself: a tiny job (`vl_open_async`
 * of a one-record file, about 0.1 ms of work on a new Rust thread) awaited one at a time and
 * eight at once, through the runtime's `NativeLib.waitJob` (the completion channel of
 * ffi/completions.ts). On Node it also compares two other ways to wait: polling
 * `vl_job_poll` from timers and blocking a libuv worker in `vl_job_wait` (koffi's async call).
 *
 *   bun bench/job-wait.ts
 *   deno run -A bench/job-wait.ts
 *   node --import tsx bench/job-wait.ts
 *
 * @module
 */
import { call, native } from "../ffi/native.ts";
import * as vectlite from "../mod.ts";
import { machine, removeDir, runtimeName, tempDir } from "./common.ts";

const dir = tempDir();
const lib = await native();
const enc = new TextEncoder();
const opts = enc.encode("{}");
// Eight one-record files: eight jobs at once cannot open the same file (it is locked).
const paths: Uint8Array[] = [];
for (let i = 0; i < 8; i++) {
  const db = await vectlite.open(`${dir}/s${i}.vdb`, { dimension: 4 });
  await db.upsert("a", [1, 2, 3, 4]);
  await db.close();
  paths.push(enc.encode(`${dir}/s${i}.vdb`));
}

type Wait = (job: bigint, out: BigUint64Array) => Promise<number>;

async function tinyJob(wait: Wait, i: number): Promise<void> {
  const out = new BigUint64Array(3);
  const job = call(lib, "vl_open_async", paths[i], paths[i].length, opts, opts.length).scalar;
  const status = await wait(job, out);
  if (status !== 0) throw new Error(`job failed with status ${status}`);
  call(lib, "vl_close", out[2]);
}

async function time(label: string, runs: number, once: () => Promise<void>): Promise<void> {
  await once();
  const t = performance.now();
  for (let i = 0; i < runs; i++) await once();
  console.log(`${label.padEnd(48)} ${((performance.now() - t) / runs * 1000).toFixed(0).padStart(6)} µs`);
}

async function measure(name: string, wait: Wait): Promise<void> {
  await time(`${name}: one tiny job`, 300, () => tinyJob(wait, 0));
  await time(`${name}: eight tiny jobs at once`, 50, async () => {
    await Promise.all(paths.map((_, i) => tinyJob(wait, i)));
  });
}

console.log(`vectlite background-job wait, ${runtimeName()}`);
console.log(`machine: ${machine()}`);
await measure("waitJob", (job, out) => lib.waitJob(job, out));
if (lib.runtime === "node") {
  // deno-lint-ignore no-explicit-any
  const fns = lib.fns as any;
  const poll: Wait = async (job, out) => {
    for (let delay = 0; ; delay = Math.min(4, delay + 1)) {
      const status = fns.vl_job_poll(job, out);
      if (status !== -1) return status;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  };
  const worker: Wait = (job, out) =>
    new Promise((resolve, reject) => fns.vl_job_wait.async(job, out, (e: unknown, s: number) => (e ? reject(e) : resolve(s))));
  await measure("timer polling only", poll);
  await measure("koffi worker wait only", worker);
}
removeDir(dir);
