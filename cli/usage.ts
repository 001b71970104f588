/**
 * The help texts: the overview and one per command.
 *
 * @module
 */

/** One line per command, for the overview. */
const SUMMARY = `vectlite: inspect and maintain vectlite databases (.vdb files)

usage: vectlite <command> [arguments] [options]

commands:
  info <db>                      dimension, metric, records per namespace, file sizes, index state
  check <db>                     verify every checksum, replay the WAL, walk every record
  import <db> <file.jsonl>       load JSONL records (creates the database if missing)
  export <db> [file]             write every record, vectors included, as JSONL (or SQL for pgvector)
  import-python <old.vdb> <db>   convert a Python vectlite database (its files v1 to v7)
  search <db> --vector | --text  nearest records to a vector, or keyword (BM25) search
  compact <db>                   fold the WAL into the .vdb file (--quantization converts)
  ui <db>                        a web inspector on 127.0.0.1: overview, records, search, map (read-only)
  help [command]                 this text, or a command's details

options: -h, --help (any command); -V, --version
Errors go to stderr as "vectlite: CODE: message" with exit code 1; a usage mistake exits with 2.
Run with Bun (bun cli/vectlite.ts) or Deno (deno run -A cli/vectlite.ts); set VECTLITE_LIB to use
a specific native library.`;

/** Each command's own help. */
export const COMMAND_HELP: Record<string, string> = {
  info: `usage: vectlite info <db> [--json]

Opens the database read-only and prints its dimension, metric, record count per namespace, the
sizes of <db> and <db>-wal, the quantization, and the index state (HNSW graph per namespace:
nodes, live nodes, bytes; quantized codes; graphs loaded from the file and built at open).
  --json   print the same as one JSON object`,
  check: `usage: vectlite check <db>

Opens the database read-only, which verifies the checksum of every section of the .vdb file and of
every WAL frame and replays the WAL (and verifies, with check(), a section used in place over
64 MiB whose checksum the open leaves for later), then walks every record of every namespace (each id once, each
vector of the database's dimension with finite values, counts matching the index). The HNSW graph
is loaded from the file (its own checksum verified); its structure has no check of its own yet, so
"graph: loaded, N nodes" reports what was loaded. Exit code 0 when everything is sound, 1 with the
error (CORRUPT: file and offset) otherwise.`,
  import: `usage: vectlite import <db> <file.jsonl | - | file.arrow | file.parquet> [--from jsonl|arrow|parquet] [--dimension N] [--metric cosine|dot|l2|manhattan] [--namespace ns] [--batch N]

Reads one JSON record per line (blank lines are skipped) from the file, or from standard input for -:
  {"id": "doc1", "vector": [0.1, 0.2, ...], "metadata": {...}, "sparse": {"term": 1}, "namespace": "ns"}
metadata, sparse, namespace and vectors (named vectors: {"name": [...]}) are optional; "text": "..."
in place of sparse is analyzed into the sparse terms by the database's analyzer. The records
are upserted (an existing id is replaced) with bulkIngest in batches of --batch records (default
10000); a progress line with the rate goes to stderr after each batch.
  --dimension N   the dimension when the database does not exist yet (default: the length of the
                  first record's vector); must match an existing database's
  --metric m      the metric of a new database (default cosine)
  --namespace ns  the namespace of records that name none (default "")
  --batch N       records per batch (one WAL transaction each)
A malformed line (not JSON, a missing id, a vector of the wrong length, ...) stops the import with
an error naming its line number. Each batch is one transaction: the batches committed before the
bad line stay in the database, nothing of the batch holding the bad line (or after it) is written.
Fix the line and import again: records are upserted, so the repeated ones are simply replaced.
A database the import created is removed again when nothing was committed.
An Arrow or Parquet file (from "vectlite export --to arrow|parquet"; --from, or the extension
.arrow/.feather/.parquet, says which) goes into a new database, with its dimension and metric.
"vectlite import <db> --from pgvector --url postgres://... [--table-prefix name]" reads the tables
"export --to pgvector" wrote to a Postgres server (needs the pg package) into a new database.`,
  "import-python": `usage: vectlite import-python <old.vdb> <new.vdb> [--overwrite] [--large-integers error|string]

Converts a database written by the Python vectlite package (<old.vdb>, snapshot format versions
1 to 7, with its WAL <old.vdb>.wal replayed) into a new database <new.vdb> of the same dimension
and metric, then prints one line: records and namespaces imported, expired records skipped, WAL
frames replayed, and whether a torn last WAL frame was dropped. The source is read under the
Python package's shared lock (<old.vdb>.lock): LOCKED while a Python process has it open for
writing (close it there first). Damage is CORRUPT naming the file and the byte offset; nothing is
left at <new.vdb> after a failure.
  --overwrite             replace <new.vdb> if it is a vectlite database (refused otherwise)
  --large-integers mode   "error" (default): refuse a metadata integer beyond ±(2^53 - 1), which a
                          JavaScript number cannot hold; "string": import it as its decimal string`,
  export: `usage: vectlite export <db> [file] [--to jsonl|arrow|parquet|pgvector] [--table-prefix name]

Writes every record of every namespace, vectors included, one JSON object per line, to the file
(replaced if it exists) or to stdout: {"id", "namespace", "vector", "metadata", "sparse"?,
"vectors"?, "multiVectors"?, "expiresAt"?}. The output is what "vectlite import" reads, so export + import
round-trips a database (each float32 in the shortest decimal that reads back exactly).
  --to arrow|parquet   an Arrow IPC or a Parquet file (named: they are binary) with the columns
                       namespace, id, vector (float32 list), metadata, sparse, vectors and
                       multi_vectors (JSON), expires_at; "vectlite import" reads them back
  --to pgvector        a SQL script instead, for psql -f: the pgvector extension, the functions
                       the filter translation uses, and one table per namespace (<prefix> for "",
                       <prefix>_<namespace> for the others) with id, embedding vector(d), metadata
                       jsonb, sparse jsonb, vectors jsonb and expires_at, in one transaction
  --url postgres://... with --to pgvector and no file: write the tables to that server (needs the
                       pg package installed beside vectlite)
  --table-prefix name  the tables' prefix (default vectlite)
  --statement-bytes N  with --url: bytes of values per INSERT at most (default 1 MiB), for servers
                       and proxies that limit a message's size`,
  search: `usage: vectlite search <db> (--vector '[...]' | --text "words") [--k 10] [--filter '{...}'] [--namespace ns]

Prints the best k records, best first, one JSON object per line: {"id", "score", "namespace",
"metadata"}.
  --vector '[..]'   a JSON array of the database's dimension: nearest-neighbour search
  --text "words"    keyword (BM25) search over the records' sparse terms (sparseTerms of the text);
                    with --vector too, a hybrid search (linear fusion)
  --k N             how many results (default 10)
  --filter '{..}'   a MongoDB-style filter as JSON, e.g. '{"year": {"$gte": 2024}}'
  --namespace ns    the namespace to search (default ""; "*" for all)`,
  compact: `usage: vectlite compact <db> [--quantization none|int8|binary]

Folds the WAL into the .vdb file (write a new file, fsync, rename, empty the WAL) and drops deleted
records' slots and graph tombstones. Prints the file sizes before and after. Needs the write lock:
LOCKED if another process has the database open for writing.
  --quantization q  convert every vector space to q: "int8" or "binary" codes for the graph walk
                    and the scan (rescored with float32), or "none"`,
  ui: `usage: vectlite ui <db> [--port N] [--host 127.0.0.1] [--embed-url URL]

Opens the database read-only (no lock: a writer goes on beside it) and serves a web inspector on
127.0.0.1, printing its URL, until Ctrl-C (SIGINT) or SIGTERM. The page shows the file's sizes,
dimension, metric, quantization, namespaces, named vector spaces and indexes; a record browser
per namespace with filters and paging; text (BM25) and "more like this" search with k, filter,
fusion, MMR and a reranker, each result with its explanation; and a 2-D map (PCA) of a sample
of the vectors, coloured by a metadata field. It sees what was committed before it opened.
  --port N         the port (default 0: a free one; the URL printed says which)
  --host h         127.0.0.1 or localhost; any other address is refused (the inspector has no
                   authentication, so it never listens beyond this machine)
  --embed-url URL  an embedding endpoint: text searches post {"input": text} to it and search
                   with the embedding too (hybrid); the answer may be an array of numbers,
                   {"embedding": [...]} or {"data": [{"embedding": [...]}]}`,
  help: `usage: vectlite help [command]`,
};

/** The overview, or one command's help. */
export function usage(command?: string): string {
  return command && COMMAND_HELP[command] ? COMMAND_HELP[command] : SUMMARY;
}
