/**
 * `vectlite import <db> <file.jsonl | ->`: streams JSONL records (from a file, or standard
 * input for `-`) into a database with bulkIngest, batch by batch, reporting progress and the
 * rate on stderr. A database the import created is deleted again when nothing was committed.
 *
 * @module
 */
import * as vectlite from "../../mod.ts";
import { type Metric, VectLiteError } from "../../mod.ts";
import { type Parsed, positionals, UsageError } from "../args.ts";
import { existsSync } from "node:fs";
import { type Line, LineError, readRecords } from "../jsonl.ts";
import { importArrow, importParquet } from "../../src/columnar/mod.ts";
import { importFromPostgres } from "../../src/pgvector/mod.ts";
import { withPostgres } from "../postgres.ts";
import { count, eprintln, phaseLine, plural, Progress } from "../output.ts";

export const flags = { dimension: "integer", metric: "string", namespace: "string", batch: "integer", from: "string", url: "string", "table-prefix": "string" } as const;

const METRICS = new Set(["cosine", "dot", "l2", "manhattan"]);

/** What the import knows so far: the dimension every line is checked against, once known. */
interface State {
  dimension: number | undefined;
}

/** The format of `file`: `--from`, else its extension (`.arrow`, `.parquet`), else JSONL. */
function formatOf(parsed: Parsed, file: string): "jsonl" | "arrow" | "parquet" {
  const from = parsed.flags.from as string | undefined;
  if (from !== undefined) {
    if (from !== "jsonl" && from !== "arrow" && from !== "parquet") {
      throw new UsageError(`--from must be jsonl, arrow, parquet or pgvector, found ${JSON.stringify(from)}`, "import");
    }
    return from;
  }
  return /\.(arrow|feather)$/i.test(file) ? "arrow" : /\.parquet$/i.test(file) ? "parquet" : "jsonl";
}

/** An Arrow or Parquet file written by `export --to arrow|parquet`: into a new database, whole. */
async function importColumnar(parsed: Parsed, dbPath: string, file: string, format: "arrow" | "parquet"): Promise<number> {
  for (const flag of ["dimension", "metric", "namespace", "batch"]) {
    if (parsed.flags[flag] !== undefined) throw new UsageError(`--${flag} does not apply to an ${format} file: it carries its dimension, metric and namespaces`, "import");
  }
  if (existsSync(dbPath)) throw new VectLiteError("INVALID_ARGUMENT", `${dbPath} exists: an ${format} file is imported into a new database`);
  const started = performance.now();
  const n = await (format === "arrow" ? importArrow : importParquet)(file, dbPath);
  eprintln(`imported ${plural(n, "record")} from ${file} (${format}) into ${dbPath} in ${((performance.now() - started) / 1000).toFixed(2)} s`);
  return 0;
}

/** `import <db> --from pgvector --url postgres://...`: the tables `export --to pgvector` wrote, into a new database. */
async function importPostgres(parsed: Parsed): Promise<number> {
  const [dbPath] = positionals("import", parsed, ["db"]);
  const url = parsed.flags.url as string | undefined;
  if (url === undefined) throw new UsageError("--from pgvector reads a Postgres server: give --url postgres://...", "import");
  for (const flag of ["dimension", "metric", "namespace", "batch"]) {
    if (parsed.flags[flag] !== undefined) throw new UsageError(`--${flag} does not apply to --from pgvector: the tables carry their dimension, metric and namespaces`, "import");
  }
  const tables = await withPostgres(url, (client) => importFromPostgres(client, dbPath, { tablePrefix: parsed.flags["table-prefix"] as string | undefined }));
  eprintln(`imported ${plural(tables.reduce((n, t) => n + t.records, 0), "record")} from ${plural(tables.length, "table")} of the Postgres server into ${dbPath}`);
  return 0;
}

export async function run(parsed: Parsed): Promise<number> {
  if (parsed.flags.from === "pgvector") return await importPostgres(parsed);
  if (parsed.flags.url !== undefined || parsed.flags["table-prefix"] !== undefined) throw new UsageError("--url and --table-prefix go with --from pgvector", "import");
  const [dbPath, file] = positionals("import", parsed, ["db", "file.jsonl"]);
  const format = formatOf(parsed, file);
  if (format !== "jsonl") return await importColumnar(parsed, dbPath, file, format);
  const metric = parsed.flags.metric as string | undefined;
  if (metric !== undefined && !METRICS.has(metric)) {
    throw new UsageError(`--metric must be cosine, dot, l2 or manhattan, found ${JSON.stringify(metric)}`, "import");
  }
  const state: State = { dimension: parsed.flags.dimension as number | undefined };
  const lines = readRecords(file, () => state.dimension);
  try {
    return await ingest(parsed, dbPath, file, metric as Metric | undefined, lines, state);
  } finally {
    await lines.return(undefined); // closes the file, whatever happened
  }
}

async function ingest(
  parsed: Parsed,
  dbPath: string,
  file: string,
  metric: Metric | undefined,
  lines: AsyncGenerator<Line>,
  state: State,
): Promise<number> {
  const exists = existsSync(dbPath);
  const flagDimension = state.dimension;
  if (exists) {
    // An existing database fixes dimension and metric: the flags may only agree with it.
    await using db = await vectlite.open(dbPath, { readOnly: true });
    if (flagDimension !== undefined && flagDimension !== db.dimension) {
      throw new VectLiteError("INVALID_ARGUMENT", `--dimension ${flagDimension} differs from ${dbPath}'s dimension ${db.dimension}, fixed at creation`);
    }
    if (metric !== undefined && metric !== db.metric) {
      throw new VectLiteError("INVALID_ARGUMENT", `--metric ${metric} differs from ${dbPath}'s metric ${db.metric}, fixed at creation`);
    }
    state.dimension = db.dimension;
  }
  // The first record is read before the database is opened: an unreadable file creates
  // nothing, and a new database without --dimension takes the first record's.
  const next = await lines.next();
  const first: Line | undefined = next.done ? undefined : next.value;
  if (!exists && state.dimension === undefined) {
    if (!first) {
      throw new UsageError(`${file} holds no records and ${dbPath} does not exist: give --dimension to create it empty`, "import");
    }
    state.dimension = first.record.vector.length;
  }
  const db = await vectlite.open(dbPath, exists ? {} : { dimension: state.dimension, metric });
  let result: number;
  try {
    result = await ingestInto(db, parsed, dbPath, file, first, lines, state);
  } catch (e) {
    await db.close().catch(() => {});
    // A database this import created and wrote nothing into is not left behind.
    if (!exists && (await sizeOf(dbPath)) === 0) await vectlite.dropDatabase(dbPath).catch(() => {});
    throw e;
  }
  await db.close();
  return result;
}

/** How many records the database at `path` holds (undefined when it cannot be read). */
async function sizeOf(path: string): Promise<number | undefined> {
  try {
    await using db = await vectlite.open(path, { readOnly: true });
    return await db.size();
  } catch {
    return undefined;
  }
}

async function ingestInto(
  db: vectlite.Database,
  parsed: Parsed,
  dbPath: string,
  file: string,
  first: Line | undefined,
  lines: AsyncGenerator<Line>,
  state: State,
): Promise<number> {
  state.dimension = db.dimension; // every later line is checked against it
  if (first && first.record.vector.length !== db.dimension) {
    throw new LineError(file, first.number, `vector has ${first.record.vector.length} values, the database has dimension ${db.dimension}; nothing was written`);
  }

  let lastLine = 0, committedThrough = 0, committed = 0;
  async function* records() {
    if (first) {
      lastLine = first.number;
      yield first.record;
    }
    for await (const line of lines) {
      lastLine = line.number;
      yield line.record;
    }
  }
  const progress = new Progress();
  const started = performance.now();
  const rate = (n: number) => count(n / Math.max((performance.now() - started) / 1000, 1e-3));
  try {
    await db.bulkIngest(records(), {
      batchSize: (parsed.flags.batch as number | undefined) ?? 10_000,
      namespace: parsed.flags.namespace as string | undefined,
      onProgress: (p) => {
        if (p.phase !== "write") {
          // After the last batch the graphs take the records in: often the longer part.
          progress.update(`import: ${plural(committed, "record")} committed; ${phaseLine(p)}`);
          return;
        }
        committed = p.done;
        committedThrough = lastLine;
        progress.update(`import: ${plural(p.done, "record")} committed (through line ${lastLine}), ${rate(p.done)} records/s`);
      },
    });
  } catch (e) {
    progress.done();
    // Each batch is one transaction: say exactly what stayed.
    const kept = committed > 0
      ? `${plural(committed, "record")} from lines 1-${committedThrough} were committed and stay; nothing after line ${committedThrough} was written`
      : "nothing was written";
    if (e instanceof LineError) throw new LineError(file, e.line, `${e.problem}; ${kept}`);
    if (e instanceof VectLiteError) throw new VectLiteError(e.code, `${e.message} (in the batch after line ${committedThrough}); ${kept}`);
    throw e;
  }
  progress.done();
  const seconds = (performance.now() - started) / 1000;
  eprintln(`imported ${plural(committed, "record")} from ${file === "-" ? "standard input" : file} into ${dbPath} in ${seconds.toFixed(2)} s (${rate(committed)} records/s)`);
  return 0;
}
