import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import * as vectlite from "../mod.ts";
import { tempDb } from "./helpers.ts";

const ROOT = decodeURIComponent(new URL("../", import.meta.url).pathname);
const isBun = "Bun" in globalThis;
const isDeno = "Deno" in globalThis;

/** Bun: the running one, or under Deno the one from node_modules (the server example needs Bun.serve). */
const BUN = isBun ? process.execPath : join(ROOT, "node_modules/.bin/bun");
/** Deno: the running one, or under Bun the one from node_modules (the RAG example is a Deno script). */
const DENO = isDeno ? (globalThis as unknown as { Deno: { execPath(): string } }).Deno.execPath() : join(ROOT, "node_modules/.bin/deno");

interface Server {
  child: ChildProcess;
  url: string;
  stderr: () => string;
  /** Resolves with the exit code (null if a signal ended it) and the signal, once its output is all read. */
  exited: Promise<{ code: number | null; signal: string | null }>;
}

/** Starts examples/bun-server.ts on a free port; resolves once it printed its URL. */
function startServer(db: string): Promise<Server> {
  const child = spawn(BUN, [join(ROOT, "examples/bun-server.ts")], {
    env: { ...process.env, PORT: "0", DB: db, DIMENSION: "4" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.on("close", (code, signal) => resolve({ code, signal })); // after stdout and stderr ended
  });
  let out = "", err = "";
  child.stderr!.on("data", (c: Uint8Array) => (err += new TextDecoder().decode(c)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the server printed no URL within 20 s: ${err}`));
    }, 20_000);
    child.stdout!.on("data", (c: Uint8Array) => {
      out += new TextDecoder().decode(c);
      const nl = out.indexOf("\n");
      if (nl >= 0) {
        clearTimeout(timer);
        resolve({ child, url: out.slice(0, nl).trim(), stderr: () => err, exited });
      }
    });
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (code ${code}) before printing its URL: ${err}`));
    });
  });
}

/** POSTs JSON (or a raw string) and returns the status and the parsed reply. */
async function post(url: string, path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(new URL(path, url), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

const ids = (json: Record<string, unknown>) => (json.results as { id: string }[]).map((r) => r.id);

describe("examples", () => {
  it(`bun-server.ts serves /upsert and /search over HTTP, with 400s carrying the error code (Bun: ${BUN === process.execPath ? "this runtime" : "node_modules/.bin/bun"})`, async () => {
    assert.ok(existsSync(BUN), `${BUN} is missing: run npm install`);
    const db = tempDb("server.vdb");
    const { child, url, stderr, exited } = await startServer(db);
    try {
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
      const docs = [
        { id: "rust", vector: [1, 0, 0, 0], metadata: { lang: "rust" }, text: "Ownership and borrowing in Rust" },
        { id: "deno", vector: [0, 1, 0, 0], metadata: { lang: "ts" }, text: "Deno permissions and the standard library" },
        { id: "bun", vector: [0, 0, 1, 0], metadata: { lang: "ts" }, text: "Bun is a fast JavaScript runtime and bundler" },
      ];
      for (const doc of docs) {
        const r = await post(url, "/upsert", doc);
        assert.equal(r.status, 200, JSON.stringify(r.json));
        assert.deepEqual(r.json, { ok: true, id: doc.id });
      }
      const byVector = await post(url, "/search", { vector: [0.1, 0.9, 0.1, 0], k: 2 });
      assert.equal(byVector.status, 200);
      assert.deepEqual(ids(byVector.json), ["deno", "bun"]);
      const top = (byVector.json.results as { metadata: Record<string, unknown> }[])[0];
      assert.deepEqual(top.metadata, { lang: "ts", text: docs[1].text });
      const byText = await post(url, "/search", { text: "borrowing ownership" });
      assert.deepEqual(ids(byText.json), ["rust"]);
      const hybrid = await post(url, "/search", { vector: [0, 0, 1, 0], text: "fast runtime", k: 1 });
      assert.deepEqual(ids(hybrid.json), ["bun"]);
      const filtered = await post(url, "/search", { vector: [1, 0, 0, 0], filter: { lang: "ts" } });
      assert.deepEqual(ids(filtered.json).sort(), ["bun", "deno"]);

      const errors: [unknown, string][] = [
        [{ id: "x", vector: [1, 2] }, "DIMENSION_MISMATCH"],
        ["{not json", "INVALID_ARGUMENT"],
        [{ vector: [1, 0, 0, 0] }, "INVALID_ARGUMENT"],
      ];
      for (const [body, code] of errors) {
        const r = await post(url, "/upsert", body);
        assert.equal(r.status, 400, JSON.stringify(r.json));
        assert.equal((r.json.error as { code: string }).code, code);
      }
      const badFilter = await post(url, "/search", { vector: [1, 0, 0, 0], filter: { lang: { $regex: "t" } } });
      assert.equal(badFilter.status, 400);
      assert.equal((badFilter.json.error as { code: string }).code, "INVALID_FILTER");
      const nothing = await post(url, "/search", {});
      assert.equal(nothing.status, 400);
      assert.match((nothing.json.error as { message: string }).message, /vector, a text, or both/);
    } finally {
      child.kill("SIGTERM");
    }
    const { code } = await exited;
    assert.match(stderr(), /database closed, exiting/, "SIGTERM closes the database before exiting");
    // The server exits 0; Deno's node:child_process reports a child it kill()ed as ended by the
    // signal (code null) even when the child handled it and exited 0, so only Bun sees the code.
    if (isBun) assert.equal(code, 0);
    await using reopened = await vectlite.open(db, { readOnly: true });
    assert.equal(await reopened.count(), 3, "the upserts are in the file");
  });

  it("ai-sdk.ts stores with the AI SDK's embedMany and answers with embed", () => {
    const script = join(ROOT, "examples/ai-sdk.ts");
    const [cmd, args] = isBun || isDeno ? [process.execPath, isDeno ? ["run", "-A", script] : [script]] : [process.execPath, ["--import", "tsx", script]];
    const out = spawnSync(cmd, [...args, "how do I get a refund to my card"], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, /^refund \([\d.]+\): Refunds are paid back/);
  });

  it(`deno-rag.ts retrieves the right paragraph and prints the prompt (Deno: ${isDeno ? "this runtime" : "node_modules/.bin/deno"})`, () => {
    assert.ok(existsSync(DENO), `${DENO} is missing: run npm install`);
    const script = join(ROOT, "examples/deno-rag.ts");
    const out = spawnSync(DENO, ["run", "-A", script], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, /^Retrieved: password-reset, /);
    assert.match(out.stdout, /\[1\] \(password-reset, score [\d.]+\) To reset a forgotten password/);
    assert.match(out.stdout, /Question: How can I reset my password if I forgot it\?\nAnswer:$/m);
    const sso = spawnSync(DENO, ["run", "-A", script, "sign in with SAML"], { encoding: "utf8" });
    assert.equal(sso.status, 0, sso.stderr);
    assert.match(sso.stdout, /^Retrieved: sso, /);
  });
});
