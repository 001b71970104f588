/**
 * Reading JSONL records: each line parsed and checked, so a mistake is reported with its
 * line number before anything of its batch is written.
 *
 * @module
 */
import { createReadStream } from "node:fs";
import process from "node:process";
import { createInterface } from "node:readline";
import { VectLiteError, type RecordInput } from "../mod.ts";

/** A record and the line it came from. */
export interface Line {
  number: number;
  record: RecordInput;
}

const KEYS = new Set(["id", "vector", "metadata", "sparse", "text", "namespace", "vectors", "multiVectors", "expiresAt"]);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function numbers(v: unknown, what: string): number[] {
  if (!Array.isArray(v) || v.length === 0) throw new Error(`${what} must be a non-empty array of numbers`);
  v.forEach((x, i) => {
    if (typeof x !== "number" || !Number.isFinite(x)) throw new Error(`${what}[${i}] is ${JSON.stringify(x)}, not a finite number`);
  });
  return v as number[];
}

/**
 * Parses one line into a record, or throws a plain Error saying what is wrong with it.
 * `dimension`, when known, is checked against the vector's length.
 */
export function parseRecord(line: string, dimension: number | undefined): RecordInput {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (e) {
    throw new Error(`not valid JSON (${(e as Error).message})`);
  }
  if (!isObject(value)) throw new Error("a record must be a JSON object");
  for (const key of Object.keys(value)) {
    if (!KEYS.has(key)) throw new Error(`unknown field ${JSON.stringify(key)} (expected id, vector, metadata, sparse, text, namespace, vectors, multiVectors, expiresAt)`);
  }
  const { id, vector, metadata, sparse, text, namespace, vectors, multiVectors, expiresAt } = value;
  if (typeof id !== "string" || id.length === 0) throw new Error("id must be a non-empty string");
  const record: RecordInput = { id, vector: Float32Array.from(numbers(vector, "vector")) };
  if (dimension !== undefined && record.vector.length !== dimension) {
    throw new Error(`vector has ${record.vector.length} values, the database has dimension ${dimension}`);
  }
  if (metadata !== undefined && metadata !== null) {
    if (!isObject(metadata)) throw new Error("metadata must be a JSON object");
    record.metadata = metadata as RecordInput["metadata"];
  }
  if (sparse !== undefined && sparse !== null) {
    if (!isObject(sparse)) throw new Error("sparse must be an object of term weights");
    for (const [term, w] of Object.entries(sparse)) {
      if (typeof w !== "number" || !Number.isFinite(w)) throw new Error(`sparse[${JSON.stringify(term)}] is not a finite number`);
    }
    record.sparse = sparse as Record<string, number>;
  }
  if (text !== undefined && text !== null) {
    if (typeof text !== "string") throw new Error("text must be a string");
    if (record.sparse) throw new Error("give text or sparse, not both (text is analyzed into the sparse terms)");
    record.text = text;
  }
  if (namespace !== undefined && namespace !== null) {
    if (typeof namespace !== "string") throw new Error("namespace must be a string");
    record.namespace = namespace;
  }
  if (vectors !== undefined && vectors !== null) {
    if (!isObject(vectors)) throw new Error("vectors must be an object of named vectors");
    record.vectors = {};
    for (const [name, v] of Object.entries(vectors)) record.vectors[name] = Float32Array.from(numbers(v, `vectors.${name}`));
  }
  if (multiVectors !== undefined && multiVectors !== null) {
    if (!isObject(multiVectors)) throw new Error("multiVectors must be an object of lists of vectors");
    record.multiVectors = {};
    for (const [name, list] of Object.entries(multiVectors)) {
      if (!Array.isArray(list)) throw new Error(`multiVectors.${name} must be a list of vectors`);
      record.multiVectors[name] = list.map((v, i) => Float32Array.from(numbers(v, `multiVectors.${name}[${i}]`)));
    }
  }
  if (expiresAt !== undefined && expiresAt !== null) {
    if (typeof expiresAt !== "number") throw new Error("expiresAt must be a number of epoch milliseconds");
    record.expiresAt = expiresAt; // the write checks its range
  }
  return record;
}

/** A malformed line: its file, number and what is wrong. */
export class LineError extends VectLiteError {
  readonly file: string;
  readonly line: number;
  readonly problem: string;
  constructor(file: string, line: number, problem: string) {
    super("INVALID_ARGUMENT", `${file === "-" ? "standard input" : file} line ${line}: ${problem}`);
    this.file = file;
    this.line = line;
    this.problem = problem;
  }
}

/** The records of a JSONL file (standard input for `-`) with their line numbers; blank lines are skipped. */
export async function* readRecords(file: string, dimension: () => number | undefined): AsyncGenerator<Line> {
  const input = file === "-" ? process.stdin : createReadStream(file);
  if (file !== "-") {
    // A missing or unreadable file fails here, naming the path, before any record is read.
    await new Promise<void>((resolve, reject) => {
      input.once("open", () => resolve());
      input.once("error", (e) => reject(new VectLiteError("IO", `cannot read ${file}: ${(e as Error).message}`, { path: file, cause: e })));
    });
  }
  const lines = createInterface({ input, crlfDelay: Infinity });
  let number = 0;
  try {
    for await (const text of lines) {
      number++;
      if (text.trim() === "") continue;
      let record: RecordInput;
      try {
        record = parseRecord(text, dimension());
      } catch (e) {
        throw new LineError(file, number, (e as Error).message);
      }
      yield { number, record };
    }
  } finally {
    lines.close();
    if (file !== "-") input.destroy();
  }
}
