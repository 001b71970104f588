/**
 * A new database filled from records grouped by namespace, whole or not at all: what the
 * imports from other formats (Arrow, Parquet, Postgres) end with.
 *
 * @module
 */
import { open } from "./database.ts";
import { dropDatabase } from "./maintenance.ts";
import type { Metric, RecordInput } from "./types.ts";

/**
 * Creates the database at `destination` and writes each (namespace, records) group with
 * `bulkIngest`, then compacts and closes it; on any failure it is deleted again.
 */
export async function writeDatabase(destination: string, info: { dimension: number; metric: Metric }, groups: [string, RecordInput[]][]): Promise<void> {
  const db = await open(destination, { dimension: info.dimension, metric: info.metric });
  try {
    for (const [namespace, records] of groups) await db.bulkIngest(records, { namespace, batchSize: 10_000 });
    await db.compact();
    await db.close();
  } catch (e) {
    await db.close().catch(() => {});
    await dropDatabase(destination).catch(() => {});
    throw e;
  }
}
