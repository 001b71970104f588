/**
 * Writes the npm packages that carry one platform's library each (`@vectlite/<triple>`, with
 * `os`, `cpu` and `libc` so that npm installs only the machine's), from the libraries in
 * `native/<triple>/`; and, with `--main`, makes the staged main package at that directory the
 * one to publish with them: it lists every platform package as an optional dependency (same
 * version) and ships no `native/` of its own. The release runs it on a copy of the package;
 * the repository's package.json stays installable without registry packages that may not exist.
 *
 *   bun scripts/platform-packages.ts --native native --out dist-platforms [--main <staged package dir>]
 *
 * Prints one line per package written: its directory.
 *
 * @module
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { PLATFORM_FIELDS, platformPackageName } from "../ffi/platform-package.ts";
import { version } from "../src/version.ts";

const FILES = ["libvectlite.so", "libvectlite.dylib", "vectlite.dll"];

const { values } = parseArgs({
  args: (globalThis as { Deno?: { args: string[] } }).Deno?.args ?? process.argv.slice(2),
  options: { native: { type: "string", default: "native" }, out: { type: "string" }, main: { type: "string" } },
});
if (!values.out) throw new Error("--out is required");

let written = 0;
for (const [triple, fields] of Object.entries(PLATFORM_FIELDS)) {
  const file = FILES.find((f) => existsSync(join(values.native!, triple, f)));
  if (!file) continue;
  const dir = join(values.out, triple);
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(values.native!, triple, file), join(dir, file));
  const manifest = {
    name: platformPackageName(triple),
    version,
    description: `The native library of vectlite for ${triple}; installed by the vectlite package on that platform.`,
    license: "MIT",
    ...fields,
    files: [file],
    preferUnplugged: true,
  };
  writeFileSync(join(dir, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  console.log(dir);
  written++;
}
if (written === 0) throw new Error(`no library under ${values.native}/<triple>/`);

if (values.main) {
  const path = join(values.main, "package.json");
  const pkg = JSON.parse(readFileSync(path, "utf8"));
  pkg.optionalDependencies = Object.fromEntries(Object.keys(PLATFORM_FIELDS).map((t) => [platformPackageName(t), version]));
  pkg.files = (pkg.files as string[]).filter((f) => f !== "native/");
  delete pkg.exports["./native/*"];
  writeFileSync(path, `${JSON.stringify(pkg, null, 2)}\n`);
}
