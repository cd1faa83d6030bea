// standby_fetch_limit: how many bytes of chunks a statement on a cluster follower's standby engine may
// fetch from the leader (the chunks the follower keeps only as markers) before the follower runs it on
// the leader instead (cluster/routed-session.ts). Written as PostgreSQL's temp_file_limit: a size with
// a unit ('512MB'; a bare number is in kB), 0 sends every statement that would fetch anything to the
// leader, -1 means no limit (the statement fetches whatever it needs, as before the setting existed).
// The default is the standby's chunk cache (standby-kv.ts, 512 MiB): a statement that fits in it runs
// on the follower.
import { SqlError, SqlState } from '../types/sql-error';
import { memoryBytes } from './memory-units';

export const STANDBY_FETCH_LIMIT_DEFAULT = '512MB';

/** Bytes, or undefined for no limit (-1); throws for anything else that is not a size. */
export function standbyFetchLimitBytes(text: string): number | undefined {
  if (text.trim() === '-1') return undefined;
  const bytes = memoryBytes(text, 1024);
  if (bytes === null) throw new SqlError(SqlState.invalidParameterValue, `invalid value for parameter "standby_fetch_limit": "${text}"`, { hint: 'Valid units for this parameter are "B", "kB", "MB", "GB", and "TB"; -1 means no limit.' });
  return bytes;
}
