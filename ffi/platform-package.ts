/**
 * The npm packages that carry one platform's native library each (`@vectlite/<triple>`),
 * listed by the published main package as `optionalDependencies` with `os`, `cpu` and (Linux)
 * `libc`, so that npm installs only the one for the machine. The loader looks for it beside the
 * main package (`node_modules/@vectlite/<triple>/`: npm, Bun and pnpm lay dependencies out so).
 *
 * @module
 */

/** The scope of the platform packages. */
export const PLATFORM_SCOPE = "@vectlite";

/** The package that carries the library of `triple`. */
export function platformPackageName(triple: string): string {
  return `${PLATFORM_SCOPE}/${triple}`;
}

/** npm's platform fields of each package, by triple (`process.platform` and `process.arch` spellings). */
export const PLATFORM_FIELDS: Record<string, { os: string[]; cpu: string[]; libc?: string[] }> = {
  "x86_64-unknown-linux-gnu": { os: ["linux"], cpu: ["x64"], libc: ["glibc"] },
  "aarch64-unknown-linux-gnu": { os: ["linux"], cpu: ["arm64"], libc: ["glibc"] },
  "x86_64-unknown-linux-musl": { os: ["linux"], cpu: ["x64"], libc: ["musl"] },
  "aarch64-unknown-linux-musl": { os: ["linux"], cpu: ["arm64"], libc: ["musl"] },
  "x86_64-pc-windows-gnu": { os: ["win32"], cpu: ["x64"] },
  "x86_64-apple-darwin": { os: ["darwin"], cpu: ["x64"] },
  "aarch64-apple-darwin": { os: ["darwin"], cpu: ["arm64"] },
};
