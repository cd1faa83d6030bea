// The tables each commit wrote, by commit version, for SERIALIZABLE validation: a transaction that
// wrote may commit only if no table it read was written by a commit after its snapshot (backward
// validation at table granularity: write skew and lost updates are impossible; transactions that
// read a table another one changed meanwhile fail with 40001 even when the rows differ).
import { SqlError, SqlState } from '../types/sql-error';

export class CommitLog {
  private entries: { version: number; tables: Set<number> }[] = [];
  /** Snapshot versions of the SERIALIZABLE transactions running (entries older than all can go). */
  private readonly active = new Map<object, number>();

  begin(owner: object, snapshotVersion: number): void {
    this.active.set(owner, snapshotVersion);
  }

  end(owner: object): void {
    if (!this.active.delete(owner)) return;
    let oldest = Infinity;
    for (const v of this.active.values()) oldest = Math.min(oldest, v);
    this.entries = this.entries.filter((e) => e.version > oldest);
  }

  record(version: number, tables: number[]): void {
    if (this.active.size === 0) return;
    this.entries.push({ version, tables: new Set(tables) });
  }

  /** 40001 when a commit after `snapshotVersion` wrote a table in `read`. */
  validate(snapshotVersion: number, read: Set<number>): void {
    for (const e of this.entries) {
      if (e.version <= snapshotVersion) continue;
      for (const t of read)
        if (e.tables.has(t))
          throw new SqlError(SqlState.serializationFailure, 'could not serialize access due to read/write dependencies among transactions', {
            detail: 'Reason code: Canceled on identification as a pivot, during commit attempt.',
            hint: 'The transaction might succeed if retried.',
          });
    }
  }
}
