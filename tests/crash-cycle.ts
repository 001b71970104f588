/**
 * One crash cycle: start the crasher child on a database, SIGKILL it at a random moment,
 * reopen, and check the state against the model: every acknowledged operation is there, the
 * one in flight is whole or absent (never half a transaction), and the graph and file pass
 * their checks. Shared by tests/crash.test.ts and scripts/torture.ts.
 */
import { spawn } from "node:child_process";
import * as vectlite from "../mod.ts";
import { applyToModel, opAt, readModel } from "./children/ops.ts";
import { childProgram, runtimeCommand } from "./helpers.ts";

function sameModel(a: Map<string, number>, b: Map<string, number>): boolean {
  return a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
}

/** Runs the child until `waitMs` after it is ready, then SIGKILLs it; resolves the acknowledged count. */
function runAndKill(path: string, seed: number, waitMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const { cmd, args } = runtimeCommand(childProgram("crasher.ts"), path, String(seed));
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let acked = 0, buffered = "", stderr = "";
    let timer: ReturnType<typeof setTimeout> | undefined;
    child.stdout!.on("data", (chunk: Uint8Array) => {
      buffered += new TextDecoder().decode(chunk);
      const lines = buffered.split("\n");
      buffered = lines.pop()!;
      for (const line of lines) {
        if (line === "ready" && !timer) timer = setTimeout(() => child.kill("SIGKILL"), waitMs);
        else if (line.startsWith("ack ")) acked = Number(line.slice(4)) + 1;
      }
    });
    child.stderr!.on("data", (c: Uint8Array) => (stderr += new TextDecoder().decode(c)));
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (signal !== "SIGKILL") reject(new Error(`crasher exited on its own (code ${code}, signal ${signal}): ${stderr}`));
      else resolve(acked);
    });
  });
}

/** The outcome of one cycle. */
export interface CycleResult {
  acked: number;
  /** Whether the operation in flight at the kill had landed. */
  inFlightLanded: boolean;
}

/** One cycle on `path` (which holds `before`); throws if the reopened state is wrong. */
export async function crashCycle(path: string, seed: number, waitMs: number): Promise<CycleResult> {
  let before: Map<string, number>;
  {
    await using db = await vectlite.open(path, { dimension: 8 });
    before = await readModel(db);
  }
  const acked = await runAndKill(path, seed, waitMs);
  const model = new Map(before);
  for (let i = 0; i < acked; i++) applyToModel(model, opAt(seed, i));
  const withInFlight = new Map(model);
  applyToModel(withInFlight, opAt(seed, acked));
  await using db = await vectlite.open(path);
  const got = await readModel(db);
  const landed = sameModel(got, withInFlight) && !sameModel(got, model);
  if (!sameModel(got, model) && !landed) {
    const missing = [...model].filter(([k, v]) => got.get(k) !== v).map(([k, v]) => `${k}=${v} got ${got.get(k)}`);
    const extra = [...got].filter(([k]) => !model.has(k)).map(([k, v]) => `${k}=${v}`);
    throw new Error(`seed ${seed}: after ${acked} acknowledged ops the state is wrong; differs: ${missing.join(", ")}; extra: ${extra.join(", ")}`);
  }
  const stats = await db.stats();
  if (stats.records !== got.size) throw new Error(`seed ${seed}: stats say ${stats.records} records, list gave ${got.size}`);
  return { acked, inFlightLanded: landed };
}
