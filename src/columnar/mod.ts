/**
 * Out to columnar files, and back: Arrow IPC and Parquet.
 *
 * @module
 */
export { exportArrow, importArrow } from "./arrow.ts";
export { exportParquet, importParquet } from "./parquet.ts";
export type { ColumnarInfo } from "./rows.ts";
