/**
 * Writes ffi/release-assets.ts: the base URL the release's libraries are published under
 * (`<base>/v<version>/<triple>/<file>`) and the SHA-256 of each library in `native/`, which
 * the loader checks a downloaded library against. The release workflow runs it once the
 * libraries are built; the tests run it on a copy of the package.
 *
 *   bun scripts/release-assets.ts --base-url https://example.org/vectlite [--native native] [--out ffi/release-assets.ts]
 *
 * @module
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { PREBUILT_TRIPLES } from "../ffi/native.ts";

const FILES = ["libvectlite.so", "libvectlite.dylib", "vectlite.dll"];

const { values } = parseArgs({
  args: (globalThis as { Deno?: { args: string[] } }).Deno?.args ?? process.argv.slice(2),
  options: { "base-url": { type: "string" }, native: { type: "string", default: "native" }, out: { type: "string", default: "ffi/release-assets.ts" } },
});
if (!values["base-url"]) throw new Error("--base-url is required");
const sha256: Record<string, string> = {};
for (const triple of PREBUILT_TRIPLES) {
  for (const file of FILES) {
    const path = join(values.native!, triple, file);
    if (existsSync(path)) sha256[`${triple}/${file}`] = createHash("sha256").update(readFileSync(path)).digest("hex");
  }
}
if (Object.keys(sha256).length === 0) throw new Error(`no library under ${values.native}/<triple>/`);
const entries = Object.entries(sha256).map(([k, v]) => `    ${JSON.stringify(k)}: ${JSON.stringify(v)},`).join("\n");
writeFileSync(
  values.out!,
  `/**
 * Where this version's native libraries are published and their SHA-256, for the download
 * on first use (ffi/fetch-library.ts). Written by \`scripts/release-assets.ts\` when a release
 * is made; in a development checkout nothing is published: no URL, no checksums.
 *
 * @module
 */
import type { ReleaseAssets } from "./fetch-library.ts";

/** The release assets of this version. */
export const RELEASE_ASSETS: ReleaseAssets = {
  baseUrl: ${JSON.stringify(values["base-url"])},
  sha256: {
${entries}
  },
};
`,
);
console.log(`wrote ${values.out}: ${Object.keys(sha256).length} libraries`);
