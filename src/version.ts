/**
 * The library version, kept in one place (package.json, deno.json and Cargo.toml match it;
 * a test checks).
 *
 * @module
 */

/** The vectlite version. */
export const version = "0.1.0";
