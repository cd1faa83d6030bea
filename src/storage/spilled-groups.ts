// Row groups a write transaction filled before it commits, moved out of memory into the store.
// A bulk load (one COPY of 60M rows) would otherwise hold every row it inserted until COMMIT. As
// soon as one of the transaction's own row groups is full (65,536 rows, all its own), its chunks —
// already encoded on the chunk encoder's thread — are written under private keys
// 'sp/<tag>/<n>/<column>' (<tag>: the transaction, <n>: its n-th spilled group) and the rows leave
// memory. No snapshot reads them: the catalog does not name them. The commit publishes a group by
// naming its private keys in the catalog (GroupState.spill = '<tag>/<n>'), written atomically with
// it, so nothing is encoded or copied again. A rollback deletes them; a crash leaves keys the
// catalog does not name, deleted when the store is opened again (removeUnreferencedSpills).
import { randomBytes } from 'crypto';
import { KvStore } from './kv-store';

export const SPILL_PREFIX = 'sp/';

/** Spilled groups a transaction may have in flight (encoding or writing) before COPY waits for them. */
export const MAX_SPILLS_IN_FLIGHT = 3;

export function spillKey(ref: string, column: number): string {
  return `${SPILL_PREFIX}${ref}/${column}`;
}

/** The prefix of every key of one spilled group. */
export function spillGroupPrefix(ref: string): string {
  return `${SPILL_PREFIX}${ref}/`;
}

/** A tag no other transaction has used, in this process or before a restart (time and randomness). */
export function newSpillTag(): string {
  return `${Date.now().toString(36)}${randomBytes(5).toString('hex')}`;
}

/** The group reference ('<tag>/<n>') a spill key belongs to. */
export function spillRefOf(key: string): string {
  return key.slice(SPILL_PREFIX.length, key.lastIndexOf('/'));
}

/**
 * Deletes spilled chunks no committed group names (transactions that were rolled back or never
 * finished: the server crashed or was killed during them). Run when the store opens, before any
 * transaction could write new ones. Returns how many keys were deleted.
 */
export async function removeUnreferencedSpills(kv: KvStore, referenced: Set<string>): Promise<number> {
  const stale = kv.keysWithPrefix(SPILL_PREFIX).filter((k) => !referenced.has(spillRefOf(k)));
  // In slices: a crashed load may have left thousands of chunks.
  for (let i = 0; i < stale.length; i += 1024) await kv.write(stale.slice(i, i + 1024).map((k) => [k, null]));
  return stale.length;
}
