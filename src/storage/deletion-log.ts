// What recent group commits deleted, per row group — no longer needed, kept as a stub for its
// callers in the commit path (TableStore.commitBatch records each group commit's deletions,
// commitNow and compaction forget a table's). It let a transaction that rebased onto later commits
// update its private copy of a group's deletion bitmap in place; transactions now keep their
// deletions apart from the committed bitmaps (see own-deletions.ts) and copy nothing to rebase,
// so nothing asks the log and recording cost each commit for nothing. The calls can go with the
// next change to the commit path.

export class DeletionLog {
  /** A commit replaced the group's committed bitmap `before` by `after` (`offsets` newly set): nothing to keep. */
  record(_tableId: number, _group: number, _before: Uint8Array | null, _after: Uint8Array | null, _offsets: readonly number[]): void {}

  /** Forgets a table's changes (dropped, truncated or rewritten): nothing kept. */
  forget(_tableId: number): void {}
}
