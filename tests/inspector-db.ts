/**
 * A database shaped like the demo's (examples/demo.ts: topic clusters, source, year, tags,
 * author), smaller, with what the inspector has to show besides: keyword terms made from each
 * record's text, a named vector space, a second namespace and a WAL that is not empty. Used by
 * tests/ui.test.ts and scripts/browser-test.ts.
 */
import * as vectlite from "../mod.ts";
import { rng } from "./helpers.ts";

/** What each topic's records are about: the words their text is made of. */
export const SUBJECTS = [
  "reset a forgotten password from the login page",
  "single sign-on with SAML and OpenID Connect",
  "invoices, billing cycles and payment cards",
  "vector search with HNSW graphs and quantization",
  "deploying Deno services behind a proxy",
  "profiling Bun servers under load",
  "Rust ownership, borrowing and lifetimes",
  "keyword search with BM25 and stemming",
  "backups, snapshots and restoring a database",
  "security reviews and access tokens",
  "mobile app notifications and badges",
  "data export to Parquet and Postgres",
];
const SOURCES = ["blog", "docs", "forum", "news"];
const AUTHORS = ["Ada", "Grace", "Linus", "Barbara", "Ken", "Margaret"];
const TAGS = ["auth", "sso", "rust", "deno", "bun", "search", "vectors", "security"];

/** What was built: where, and the figures the tests compare with. */
export interface DemoDatabase {
  path: string;
  dimension: number;
  /** Records in namespace "" (the WAL's late record included). */
  main: number;
  /** Records in namespace "archive". */
  archive: number;
}

/**
 * Writes the database at `path` (which must not exist): `records` records of `dimension`
 * around 12 topic centres in namespace "", every third with a 16-d "title" vector, 40 in
 * "archive"; compacted, then one more record left in the WAL.
 */
export async function buildDemoDatabase(path: string, records = 1500, dimension = 48): Promise<DemoDatabase> {
  const rand = rng(42);
  const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const centres = SUBJECTS.map(() => Float32Array.from({ length: dimension }, gauss));
  const near = (topic: number, spread: number) => Float32Array.from(centres[topic], (c) => c + spread * gauss());
  const record = (i: number, namespace?: string) => {
    const topic = i % SUBJECTS.length;
    return {
      id: `doc-${i}`,
      vector: near(topic, 0.55),
      text: `Document ${i}: ${SUBJECTS[topic]}`,
      metadata: {
        title: `Document ${i} about ${SUBJECTS[topic]}`,
        source: SOURCES[i % SOURCES.length],
        year: 2015 + (i % 10),
        topic,
        tags: [TAGS[i % TAGS.length], TAGS[(i * 7) % TAGS.length]],
        author: { name: AUTHORS[i % AUTHORS.length], followers: (i * 37) % 5000 },
      },
      ...(i % 3 === 0 ? { vectors: { title: Float32Array.from({ length: 16 }, () => gauss()) } } : {}),
      ...(namespace ? { namespace } : {}),
    };
  };
  {
    await using db = await vectlite.open(path, { dimension });
    const batch = [];
    for (let i = 0; i < records; i++) batch.push(record(i));
    for (let i = 0; i < 40; i++) batch.push(record(100_000 + i, "archive"));
    await db.bulkIngest(batch, { batchSize: 1000 });
    await db.compact();
    await db.upsert("late-note", near(3, 0.55), { title: "Written after compaction", source: "blog", year: 2025, topic: 3, tags: ["auth"], author: { name: "Ada", followers: 1 } }, {
      text: "a late note on vector search",
    });
  }
  return { path, dimension, main: records + 1, archive: 40 };
}
