/**
 * Where this version's native libraries are published and their SHA-256, for the download
 * on first use (ffi/fetch-library.ts). Written by `scripts/release-assets.ts` when a release
 * is made; in a development checkout nothing is published: no URL, no checksums.
 *
 * @module
 */
import type { ReleaseAssets } from "./fetch-library.ts";

/** The release assets of this version. */
export const RELEASE_ASSETS: ReleaseAssets = {
  baseUrl: null,
  sha256: {},
};
