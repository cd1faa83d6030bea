// The package's main export: the embedded API, plus the server for programs that embed it.
import { EmbeddedDatabase, OpenSettings } from './embedded/embedded-database';

export { EmbeddedDatabase } from './embedded/embedded-database';
export type { Queryable, CopyFromOptions, OpenSettings } from './embedded/embedded-database';
export type { QueryResult, FieldDef, ResultOptions } from './embedded/result';
export { SqlError, SqlState } from './types/sql-error';
export { Database } from './engine/database';

/** Opens a database in a directory (created if needed) or, with ':memory:', one with no files at all. */
export function open(dir: string, settings?: OpenSettings): Promise<EmbeddedDatabase> {
  return EmbeddedDatabase.open(dir, settings);
}
