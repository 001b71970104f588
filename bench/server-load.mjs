/**
 * The load generator of `bench/server.ts`: autocannon (in Node, a process of its own) posts
 * the data set's queries, in turn, to a search server for a fixed time over N keep-alive
 * connections, and prints one JSON line: requests/s, latency percentiles, errors.
 *
 *   node bench/server-load.mjs --url http://127.0.0.1:PORT/ --data DIR --ef 64 --connections 8 --seconds 10
 *
 * @module
 */
import autocannon from "autocannon";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const argv = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
const url = new URL("search", arg("url"));
const dir = arg("data");
const meta = JSON.parse(readFileSync(join(dir, "meta.json"), "utf8"));
const raw = readFileSync(join(dir, "query.f32"));
const queries = new Float32Array(raw.buffer, raw.byteOffset, meta.queries * meta.dim);
const ef = Number(arg("ef", 64));
const requests = Array.from({ length: meta.queries }, (_, i) => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ vector: Array.from(queries.subarray(i * meta.dim, (i + 1) * meta.dim)), k: 10, efSearch: ef }),
}));

const result = await autocannon({
  url: url.href,
  connections: Number(arg("connections", 8)),
  duration: Number(arg("seconds", 10)),
  requests,
});
console.log(JSON.stringify({
  connections: result.connections,
  rps: result.requests.average,
  total: result.requests.total,
  p50: result.latency.p50,
  p99: result.latency.p99,
  errors: result.errors,
  timeouts: result.timeouts,
  non2xx: result.non2xx,
}));
