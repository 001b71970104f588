#!/usr/bin/env node
/**
 * The vectlite command line: `bun cli/vectlite.ts <command>` or
 * `deno run -A cli/vectlite.ts <command>` (`vectlite --help` lists the commands).
 * This file only dispatches: each command is a module of cli/commands/.
 *
 * @module
 */
import process from "node:process";
import { version, VectLiteError } from "../mod.ts";
import { type FlagSpec, isMain, parseArgs, programArgs, UsageError } from "./args.ts";
import { eprintln, println } from "./output.ts";
import { usage } from "./usage.ts";
import type { Parsed } from "./args.ts";
import * as check from "./commands/check.ts";
import * as compact from "./commands/compact.ts";
import * as exportCmd from "./commands/export.ts";
import * as importCmd from "./commands/import.ts";
import * as importPython from "./commands/import-python.ts";
import * as info from "./commands/info.ts";
import * as search from "./commands/search.ts";
import * as ui from "./commands/ui.ts";

/** A command: the flags it takes and what it does (resolving the exit code). */
interface Command {
  flags: FlagSpec;
  run(parsed: Parsed): Promise<number>;
}

/** Every command, by name. */
export const COMMANDS: Record<string, Command> = {
  info,
  check,
  import: importCmd,
  "import-python": importPython,
  export: exportCmd,
  search,
  compact,
  ui,
};

/** Runs the CLI on `args` (the arguments after the script); resolves the exit code. */
export async function main(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined) {
    eprintln(usage());
    return 2;
  }
  if (name === "--help" || name === "-h" || name === "help") {
    const topic = name === "help" ? rest[0] : undefined;
    if (topic !== undefined && !(topic in COMMANDS)) {
      eprintln(`vectlite: unknown command ${JSON.stringify(topic)}\n\n${usage()}`);
      return 2;
    }
    println(usage(topic));
    return 0;
  }
  if (name === "--version" || name === "-V" || name === "version") {
    println(version);
    return 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    eprintln(`vectlite: unknown command ${JSON.stringify(name)}\n\n${usage()}`);
    return 2;
  }
  try {
    const parsed = parseArgs(name, rest, command.flags);
    if (parsed.flags.help) {
      println(usage(name));
      return 0;
    }
    return await command.run(parsed);
  } catch (e) {
    if (e instanceof UsageError) {
      eprintln(`vectlite ${name}: ${e.message}\n\n${usage(e.command)}`);
      return 2;
    }
    if (e instanceof VectLiteError) {
      eprintln(`vectlite: ${e.code}: ${e.message}`);
      return 1;
    }
    eprintln(`vectlite: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}

if (isMain(import.meta)) {
  process.exitCode = await main(programArgs());
}
