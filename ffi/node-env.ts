/**
 * The loader's view of the runtime through node:fs and `process`, shared by the Bun and Node
 * backends (and by tests that locate the library as they do).
 *
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import type { RuntimeEnv } from "./native.ts";

/** `env` reads an environment variable (Bun.env or process.env). */
export function nodeRuntimeEnv(env: (name: string) => string | undefined): RuntimeEnv {
  return {
    env,
    os: process.platform,
    arch: process.arch,
    exists: (p) => existsSync(p),
    readText: (p) => {
      try {
        return readFileSync(p, "utf8");
      } catch {
        return undefined;
      }
    },
  };
}
