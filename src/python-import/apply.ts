/**
 * Replaying WAL operations onto a snapshot's records, with upstream's semantics: an upsert
 * replaces the whole record, a delete removes it (a missing one is no error), an update of
 * metadata merges keys into an existing record and is ignored for a missing one, and setting
 * the expiry changes only an existing record (0 clears it). Every operation is idempotent,
 * as upstream relies on.
 *
 * @module
 */
import type { PyOp, PyRecord } from "./model.ts";
import { setOwn } from "./model.ts";

/** The records of every namespace, by id; each namespace in insertion order. */
export class PyRecords {
  readonly #namespaces = new Map<string, Map<string, PyRecord>>();

  /** Inserts or replaces a record whole. */
  upsert(record: PyRecord): void {
    let ids = this.#namespaces.get(record.namespace);
    if (!ids) this.#namespaces.set(record.namespace, (ids = new Map()));
    ids.set(record.id, record);
  }

  get(namespace: string, id: string): PyRecord | undefined {
    return this.#namespaces.get(namespace)?.get(id);
  }

  delete(namespace: string, id: string): void {
    const ids = this.#namespaces.get(namespace);
    if (!ids) return;
    ids.delete(id);
    if (ids.size === 0) this.#namespaces.delete(namespace);
  }

  /** Applies one WAL operation. */
  apply(op: PyOp): void {
    switch (op.kind) {
      case "upsert":
        this.upsert(op.record);
        return;
      case "delete":
        this.delete(op.namespace, op.id);
        return;
      case "update-metadata": {
        const record = this.get(op.namespace, op.id);
        if (!record) return;
        // A copy: the snapshot's (or an earlier upsert's) object may be shared with nothing
        // else today, but a replay must never change what an earlier operation produced.
        const merged = { ...record.metadata };
        for (const key of Object.keys(op.patch)) setOwn(merged, key, op.patch[key]);
        this.upsert({ ...record, metadata: merged });
        return;
      }
      case "set-ttl": {
        const record = this.get(op.namespace, op.id);
        if (record) this.upsert({ ...record, expiresAt: op.expiresAt });
        return;
      }
    }
  }

  /** How many records there are, in every namespace. */
  get size(): number {
    let n = 0;
    for (const ids of this.#namespaces.values()) n += ids.size;
    return n;
  }

  /**
   * Every record in upstream's order: by namespace, then id, comparing code points (the
   * order of their UTF-8 bytes), so a database's `list` returns them as upstream iterates.
   */
  sorted(): PyRecord[] {
    const by = (a: PyRecord, b: PyRecord) => compareCodePoints(a.namespace, b.namespace) || compareCodePoints(a.id, b.id);
    return [...this].sort(by);
  }

  /** Every record, namespace after namespace. */
  *[Symbol.iterator](): IterableIterator<PyRecord> {
    for (const ids of this.#namespaces.values()) yield* ids.values();
  }
}

/**
 * Compares strings by code point, which is the order of their UTF-8 bytes. UTF-16 order
 * differs only where a surrogate (a code point past U+FFFF) meets a unit from U+E000 up.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i), y = b.charCodeAt(i);
    if (x === y) continue;
    const xs = x >= 0xd800 && x <= 0xdfff, ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}
