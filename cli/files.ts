/**
 * The files of a database on disk: `<db>` and `<db>-wal`, and their sizes.
 *
 * @module
 */
import { existsSync, statSync } from "node:fs";

/** Sizes in bytes of the .vdb file and its WAL; null for a file that does not exist. */
export interface FileSizes {
  vdb: number | null;
  wal: number | null;
}

function sizeOf(path: string): number | null {
  try {
    return statSync(path).size;
  } catch {
    return null;
  }
}

/** The WAL's path: the database's path with `-wal` appended. */
export function walPath(db: string): string {
  return `${db}-wal`;
}

/** Current sizes of a database's files. */
export function fileSizes(db: string): FileSizes {
  return { vdb: sizeOf(db), wal: sizeOf(walPath(db)) };
}

/** Whether a database file exists at `db`. */
export function databaseExists(db: string): boolean {
  return existsSync(db);
}
