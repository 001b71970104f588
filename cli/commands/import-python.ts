/**
 * `vectlite import-python <old.vdb> <new.vdb> [--overwrite] [--large-integers string]`:
 * converts a database written by the Python vectlite package (snapshot versions 1 to 7, its
 * WAL replayed) into a new database, printing what it did on one line.
 *
 * @module
 */
import * as vectlite from "../../mod.ts";
import { type Parsed, positionals, UsageError } from "../args.ts";
import { count, eprintln, phaseLine, plural, Progress } from "../output.ts";

export const flags = { overwrite: "boolean", "large-integers": "string" } as const;

export async function run(parsed: Parsed): Promise<number> {
  const [source, destination] = positionals("import-python", parsed, ["old.vdb", "new.vdb"]);
  const large = parsed.flags["large-integers"] as string | undefined;
  if (large !== undefined && large !== "error" && large !== "string") {
    throw new UsageError(`--large-integers must be error or string, found ${JSON.stringify(large)}`, "import-python");
  }
  const progress = new Progress();
  let result: vectlite.ImportPythonResult;
  try {
    result = await vectlite.importPython(source, destination, {
      overwrite: parsed.flags.overwrite === true,
      ...(large ? { largeIntegers: large as "error" | "string" } : {}),
      onProgress: (p) => {
        if (p.phase === "read") return;
        const what = p.phase === "write" ? `${count(p.done)}${p.total === undefined ? "" : ` of ${plural(p.total, "record")}`} written` : phaseLine({ ...p, phase: p.phase === "compact" ? "write" : p.phase });
        progress.update(`import-python: ${what}`);
      },
    });
  } finally {
    progress.done();
  }
  const r = result;
  const tail = r.tornTail ? "torn WAL tail dropped" : "no torn WAL tail";
  eprintln(
    `imported ${plural(r.records, "record")} in ${plural(r.namespaces.length, "namespace")} from ${source} ` +
      `(snapshot v${r.snapshotVersion}, dimension ${r.dimension}, ${r.metric}) into ${destination}: ` +
      `${plural(r.expired, "expired record")} skipped, ${plural(r.walFrames, "WAL frame")} replayed, ${tail}`,
  );
  return 0;
}
