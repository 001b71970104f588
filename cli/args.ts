/**
 * Command-line parsing (`node:util`'s parseArgs): `--name value`, `--name=value` and boolean
 * `--name`, checked against each command's declared flags. A mistake is a UsageError (exit
 * code 2).
 *
 * @module
 */
import process from "node:process";
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs as nodeParseArgs } from "node:util";

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

/**
 * Parses `args` for `command` with `node:util`'s parseArgs, allowing only the flags of `spec`
 * (plus `--help`/`-h`); `-` is a positional (standard input where a file is expected), and
 * `--` ends the options. Integer flags are checked here; every mistake is a UsageError.
 */
export function parseArgs(command: string, args: string[], spec: FlagSpec): Parsed {
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = { help: { type: "boolean", short: "h" } };
  for (const [name, kind] of Object.entries(spec)) options[name] = { type: kind === "boolean" ? "boolean" : "string" };
  let parsed: { values: Record<string, string | boolean | (string | boolean)[] | undefined>; positionals: string[] };
  try {
    parsed = nodeParseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(usageMessage(e as Error), command);
  }
  const flags: Parsed["flags"] = {};
  for (const [name, value] of Object.entries(parsed.values)) {
    if (value === undefined || Array.isArray(value)) continue;
    if (spec[name] === "integer") {
      const n = Number(value);
      if (!/^\d+$/.test(value as string) || !Number.isSafeInteger(n) || n < 1) {
        throw new UsageError(`--${name} must be a positive integer, found ${JSON.stringify(value)}`, command);
      }
      flags[name] = n;
    } else flags[name] = value;
  }
  return { positionals: parsed.positionals, flags };
}

/** parseArgs's message, first line only, in the CLI's words where they differ. */
function usageMessage(e: Error): string {
  const code = (e as { code?: string }).code;
  const option = /'(-[^' ]*)/.exec(e.message)?.[1];
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && option) return `unknown option ${option}`;
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && option) {
    if (/does not take an argument/.test(e.message)) return `${option} takes no value`;
    if (/argument missing/.test(e.message)) return `${option} needs a value`;
    if (/ambiguous/.test(e.message)) return `${option} needs a value; one starting with "-" is written ${option}=-...`;
  }
  return e.message.split("\n")[0];
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
