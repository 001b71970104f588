/**
 * Walks every record of every namespace, vectors included, in pages, so a large database
 * never sits in memory at once.
 *
 * @module
 */
import type { Database, StoredRecord } from "../mod.ts";

/** Records per `list` call. */
const PAGE = 1_000;

/** Every record of every namespace, in storage order, one page at a time. */
export async function* walkRecords(db: Database, page = PAGE): AsyncGenerator<StoredRecord[]> {
  for (let offset = 0; ; offset += page) {
    const rows = await db.list({ namespace: "*", includeVectors: true, limit: page, offset });
    if (rows.length > 0) yield rows;
    if (rows.length < page) return;
  }
}
