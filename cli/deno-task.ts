#!/usr/bin/env -S deno run -A
/**
 * What `deno task vectlite` runs (deno.json). The task names this file, not `deno run ...`:
 * where Deno itself comes from npm (as in this repository), `deno task` takes
 * `node_modules/.bin/deno`, a native program, for a Node script and fails. Run as a program,
 * this file's first line finds `deno` on PATH as any shell would.
 *
 * @module
 */
import process from "node:process";
import { main } from "./vectlite.ts";
import { programArgs } from "./args.ts";

process.exitCode = await main(programArgs());
