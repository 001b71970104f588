/**
 * Command-line parsing: `--name value`, `--name=value` and boolean `--name`, checked
 * against each command's declared flags. A mistake is a UsageError (exit code 2).
 *
 * @module
 */
import process from "node:process";
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** A mistake in how the CLI was called: printed with the usage, exit code 2. */
export class UsageError extends Error {
  /** The command whose usage to show, if the mistake is in one command's arguments. */
  readonly command: string | undefined;
  constructor(message: string, command?: string) {
    super(message);
    this.name = "UsageError";
    this.command = command;
  }
}

/** The kind of value each flag takes. */
export type FlagSpec = Record<string, "string" | "integer" | "boolean">;

/** Parsed arguments: positionals in order, flags by name. */
export interface Parsed {
  positionals: string[];
  flags: Record<string, string | number | boolean>;
}

/** The arguments after the script, in both runtimes. */
export function programArgs(): string[] {
  const deno = (globalThis as { Deno?: { args: string[] } }).Deno;
  return deno ? [...deno.args] : process.argv.slice(2);
}

/**
 * Whether the module of `meta` is the program's entry point. Bun and Deno set
 * `import.meta.main`; Node 20 does not, so there the entry script (argv[1]) is compared.
 */
export function isMain(meta: ImportMeta): boolean {
  const main = (meta as { main?: boolean }).main;
  if (typeof main === "boolean") return main;
  const entry = process.argv[1];
  if (!entry || !meta.url.startsWith("file:")) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(meta.url));
  } catch {
    return false;
  }
}

/** Parses `args` for `command`, allowing only the flags of `spec` (plus `--help`). */
export function parseArgs(command: string, args: string[], spec: FlagSpec): Parsed {
  const positionals: string[] = [];
  const flags: Parsed["flags"] = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith("--") || arg === "-") {
      if (arg === "-h") flags.help = true;
      else if (arg.startsWith("-") && arg.length > 1 && !/^-\d/.test(arg)) {
        throw new UsageError(`unknown option ${arg}`, command);
      } else positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (name === "help") {
      flags.help = true;
      continue;
    }
    const kind = spec[name];
    if (!kind) throw new UsageError(`unknown option --${name}`, command);
    if (kind === "boolean") {
      if (eq !== -1) throw new UsageError(`--${name} takes no value`, command);
      flags[name] = true;
      continue;
    }
    let value: string;
    if (eq !== -1) value = arg.slice(eq + 1);
    else {
      if (i + 1 >= args.length) throw new UsageError(`--${name} needs a value`, command);
      value = args[++i];
    }
    if (kind === "integer") {
      const n = Number(value);
      if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
        throw new UsageError(`--${name} must be a positive integer, found ${JSON.stringify(value)}`, command);
      }
      flags[name] = n;
    } else flags[name] = value;
  }
  return { positionals, flags };
}

/** Checks the positional count: `names` are required, `optional` may follow. */
export function positionals(command: string, parsed: Parsed, names: string[], optional: string[] = []): string[] {
  const got = parsed.positionals;
  if (got.length < names.length) throw new UsageError(`missing <${names[got.length]}>`, command);
  if (got.length > names.length + optional.length) {
    throw new UsageError(`unexpected argument ${JSON.stringify(got[names.length + optional.length])}`, command);
  }
  return got;
}

/** Parses a flag's JSON value, naming the flag when it is not JSON. */
export function jsonFlag(command: string, name: string, value: string): unknown {
  try {
    return JSON.parse(value);
  } catch (e) {
    throw new UsageError(`--${name} is not valid JSON: ${(e as Error).message}`, command);
  }
}
