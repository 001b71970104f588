/**
 * The native library fetched on first use, against a local HTTP server on 127.0.0.1: the
 * first use downloads and caches it (verified), later ones use the cache; a download that
 * does not match its checksum is CORRUPT and nothing is cached; a missing file names the
 * URL; offline mode never downloads; an unwritable cache says what to set; two processes
 * racing for one entry both succeed. And the whole path as a JSR user meets it: a Deno
 * program importing mod.ts over HTTP, with no environment variable and no library on disk,
 * runs a search, under the minimal permissions the README lists.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { basename, join } from "node:path";
import { cachePath, fetchLibrary, type ReleaseAssets } from "../ffi/fetch-library.ts";
import { locateLibrary, targetTriple } from "../ffi/native.ts";
import { nodeRuntimeEnv } from "../ffi/node-env.ts";
import { version } from "../src/version.ts";
import { childProgram, rejectsWith, runtimeCommand, tempDir } from "./helpers.ts";

const ROOT = decodeURIComponent(new URL("../", import.meta.url).pathname);
const realEnv = nodeRuntimeEnv((n) => process.env[n]);
const LIB = locateLibrary(nodeRuntimeEnv(() => undefined));
const BYTES = readFileSync(LIB);
const SHA = createHash("sha256").update(BYTES).digest("hex");
const TRIPLE = targetTriple(realEnv)!;
const FILE = basename(LIB);
const ASSETS: ReleaseAssets = { baseUrl: null, sha256: { [`${TRIPLE}/${FILE}`]: SHA } };
const LIB_PATH = `/v${version}/${TRIPLE}/${FILE}`;
const isDeno = typeof (globalThis as { Deno?: unknown }).Deno === "object";
const DENO = isDeno ? (globalThis as unknown as { Deno: { execPath(): string } }).Deno.execPath() : join(ROOT, "node_modules/.bin/deno");

/** A server on 127.0.0.1 answering from `files` (path -> bytes), counting requests per path. */
async function serve(files: Map<string, Uint8Array | string>, delayMs = 0) {
  const requests = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url!, "http://x").pathname;
    requests.set(path, (requests.get(path) ?? 0) + 1);
    const body = files.get(path);
    setTimeout(() => {
      if (body === undefined) {
        res.writeHead(404).end("not found");
        return;
      }
      res.writeHead(200, { "content-type": path.endsWith(".ts") ? "application/typescript" : "application/octet-stream" }).end(body);
    }, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    origin: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    requests: (path: string) => requests.get(path) ?? 0,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Every file under `dir`, relative. */
function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true }).map(String).filter((p) => statSync(join(dir, p)).isFile()).sort();
}

const envOf = (vars: Record<string, string>) => ({ env: (n: string) => vars[n], os: process.platform });

/** Runs a child process without blocking this one (whose server the child talks to). */
function runChild(cmd: string, args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  return new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], ...options });
    let out = "", err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("close", (code) => resolve({ code, out, err }));
  });
}

describe("the native library fetched on first use", () => {
  it("downloads once into the cache, verified, then uses the cache; a damaged cached copy is fetched again", async () => {
    const server = await serve(new Map([[LIB_PATH, BYTES]]));
    try {
      const cache = tempDir();
      const rt = envOf({ VECTLITE_CACHE_DIR: cache, VECTLITE_LIB_BASE_URL: server.url });
      const path = await fetchLibrary(rt, TRIPLE, FILE, ASSETS);
      assert.equal(path, join(cache, version, TRIPLE, FILE));
      assert.equal(path, cachePath(rt, TRIPLE, FILE));
      assert.equal(server.requests(LIB_PATH), 1);
      assert.equal(createHash("sha256").update(readFileSync(path)).digest("hex"), SHA);
      assert.deepEqual(listFiles(cache), [join(version, TRIPLE, FILE)], "no temporary file is left");
      assert.equal(await fetchLibrary(rt, TRIPLE, FILE, ASSETS), path);
      assert.equal(server.requests(LIB_PATH), 1, "the second use is served by the cache");
      const damaged = readFileSync(path);
      damaged[1000] ^= 0xff;
      writeFileSync(path, damaged);
      assert.equal(await fetchLibrary(rt, TRIPLE, FILE, ASSETS), path);
      assert.equal(server.requests(LIB_PATH), 2);
      assert.equal(createHash("sha256").update(readFileSync(path)).digest("hex"), SHA);
    } finally {
      await server.close();
    }
  });

  it("refuses a download that does not match its checksum (CORRUPT, nothing cached) and names the URL of a missing file", async () => {
    const tampered = Uint8Array.from(BYTES);
    tampered[4096] ^= 1;
    const server = await serve(new Map([[LIB_PATH, tampered]]));
    try {
      const cache = tempDir();
      const rt = envOf({ VECTLITE_CACHE_DIR: cache, VECTLITE_LIB_BASE_URL: server.url });
      await rejectsWith(() => fetchLibrary(rt, TRIPLE, FILE, ASSETS), "CORRUPT", new RegExp(`${server.url}${LIB_PATH}.*not cached`));
      assert.deepEqual(listFiles(cache), []);
      const missing = { ...ASSETS, sha256: { [`${TRIPLE}/other.so`]: SHA } };
      await rejectsWith(() => fetchLibrary(rt, TRIPLE, "other.so", missing), "IO", new RegExp(`${server.url}/v${version}/${TRIPLE}/other\\.so: HTTP 404`));
      assert.deepEqual(listFiles(cache), []);
      await rejectsWith(() => fetchLibrary(rt, TRIPLE, FILE, { baseUrl: null, sha256: {} }), "IO", /lists no checksum/);
    } finally {
      await server.close();
    }
  });

  it("never downloads offline, and says what to set for an unwritable cache", async () => {
    const server = await serve(new Map([[LIB_PATH, BYTES]]));
    try {
      const cache = tempDir();
      const offline = envOf({ VECTLITE_CACHE_DIR: cache, VECTLITE_LIB_BASE_URL: server.url, VECTLITE_OFFLINE: "1" });
      await rejectsWith(() => fetchLibrary(offline, TRIPLE, FILE, ASSETS), "IO", /VECTLITE_OFFLINE=1 forbids downloading/);
      assert.equal(server.requests(LIB_PATH), 0);
      const file = join(tempDir(), "a-file");
      writeFileSync(file, "not a directory");
      const unwritable = envOf({ VECTLITE_CACHE_DIR: join(file, "cache"), VECTLITE_LIB_BASE_URL: server.url });
      await rejectsWith(() => fetchLibrary(unwritable, TRIPLE, FILE, ASSETS), "IO", /cannot write the native library into the cache.*VECTLITE_CACHE_DIR/);
    } finally {
      await server.close();
    }
  });

  it("lets two processes racing for the same cache entry both succeed", async () => {
    const server = await serve(new Map([[LIB_PATH, BYTES]]), 150); // both requests in flight at once
    try {
      const cache = tempDir();
      const run = () => {
        const { cmd, args } = runtimeCommand(childProgram("fetch-library.ts"), cache, server.url, TRIPLE, FILE, SHA);
        return runChild(cmd, args);
      };
      const [a, b] = await Promise.all([run(), run()]);
      assert.equal(a.code, 0, a.err);
      assert.equal(b.code, 0, b.err);
      assert.equal(a.out.trim(), join(cache, version, TRIPLE, FILE));
      assert.equal(b.out.trim(), a.out.trim());
      assert.equal(createHash("sha256").update(readFileSync(a.out.trim())).digest("hex"), SHA);
      assert.deepEqual(listFiles(cache), [join(version, TRIPLE, FILE)]);
    } finally {
      await server.close();
    }
  });

  it("a Deno program importing mod.ts over HTTP runs a search with no library on disk and no variable set", async () => {
    const work = tempDir();
    // The package as a remote import sees it, with the release's checksum table for the
    // library this server publishes (written by the release script).
    const nativeDir = join(work, "native", TRIPLE);
    mkdirSync(nativeDir, { recursive: true });
    cpSync(LIB, join(nativeDir, FILE));
    const files = new Map<string, Uint8Array | string>([[`/lib${LIB_PATH}`, BYTES]]);
    for (const dir of ["src", "ffi"]) {
      for (const name of readdirSync(join(ROOT, dir), { recursive: true }) as string[]) {
        if (name.endsWith(".ts")) files.set(`/${dir}/${name.replaceAll("\\", "/")}`, readFileSync(join(ROOT, dir, name)));
      }
    }
    files.set("/mod.ts", readFileSync(join(ROOT, "mod.ts")));
    files.set(
      "/program.ts",
      `import * as vectlite from "./mod.ts";
const db = await vectlite.open(Deno.args[0], { dimension: 3 });
await db.upsertMany([{ id: "near", vector: [1, 0, 0] }, { id: "far", vector: [0, 1, 0] }]);
const hits = await db.search([0.9, 0.1, 0], { k: 1 });
await db.close();
console.log(JSON.stringify({ id: hits[0].id }));
`,
    );
    const server = await serve(files);
    try {
      const assetsFile = join(work, "release-assets.ts");
      const { cmd, args } = runtimeCommand(join(ROOT, "scripts/release-assets.ts"), "--base-url", `${server.url}/lib`, "--native", join(work, "native"), "--out", assetsFile);
      const made = spawnSync(cmd, args, { encoding: "utf8" });
      assert.equal(made.status, 0, made.stderr);
      files.set("/ffi/release-assets.ts", readFileSync(assetsFile));
      const home = join(work, "home");
      mkdirSync(home);
      const db = join(work, "db.vdb");
      // The minimal permissions, as the README lists them; --no-prompt: any other need fails.
      const run = await runChild(
        DENO,
        [
          "run",
          "--no-prompt",
          `--allow-import=${server.origin}`,
          `--allow-net=${server.origin}`,
          "--allow-env=HOME,XDG_CACHE_HOME",
          `--allow-read=${work}`,
          `--allow-write=${work}`,
          "--allow-ffi",
          `${server.url}/program.ts`,
          db,
        ],
        { cwd: work, env: { PATH: process.env.PATH ?? "", HOME: home, DENO_DIR: join(work, "deno-dir"), NO_COLOR: "1" } },
      );
      assert.equal(run.code, 0, run.err);
      assert.deepEqual(JSON.parse(run.out.trim().split("\n").at(-1)!), { id: "near" });
      assert.equal(server.requests(`/lib${LIB_PATH}`), 1, "the library was downloaded once");
      const cached = join(home, ".cache", "vectlite", version, TRIPLE, FILE);
      assert.equal(createHash("sha256").update(readFileSync(cached)).digest("hex"), SHA, "and cached where the README says");
    } finally {
      await server.close();
    }
  });
});
