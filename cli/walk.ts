/**
 * Walks every record of every namespace, vectors included, in pages, so a large database
 * never sits in memory at once.
 *
 * @module
 */
import type { Database, StoredRecord } from "../mod.ts";

/** Records per `list` call. */
const PAGE = 1_000;

/**
 * Every record of every namespace, in storage order, one page at a time: each page goes on
 * from the cursor of the one before, so a walk reads every record once (an offset would
 * scan the records before it again for every page).
 */
export async function* walkRecords(db: Database, page = PAGE): AsyncGenerator<StoredRecord[]> {
  let after: string | undefined;
  for (;;) {
    const { records, cursor } = await db.listPage({ namespace: "*", includeVectors: true, limit: page, after });
    if (records.length > 0) yield records;
    if (cursor === null) return;
    after = cursor;
  }
}
