// Isolation levels as PostgreSQL names them. READ UNCOMMITTED behaves as READ COMMITTED (as in
// PostgreSQL); SHOW still answers the level that was asked for.
import { SqlError, SqlState } from '../types/sql-error';

export type IsolationLevel = 'read uncommitted' | 'read committed' | 'repeatable read' | 'serializable';

const LEVELS: IsolationLevel[] = ['serializable', 'repeatable read', 'read committed', 'read uncommitted'];

/** The level named by a SET / BEGIN value (case-insensitive); 22023 for anything else, as PostgreSQL words it. */
export function parseIsolation(parameter: string, value: string): IsolationLevel {
  const v = value.trim().toLowerCase().replace(/\s+/g, ' ') as IsolationLevel;
  if (LEVELS.includes(v)) return v;
  throw new SqlError(SqlState.invalidParameterValue, `invalid value for parameter "${parameter}": "${value}"`, {
    hint: `Available values: ${LEVELS.join(', ')}.`,
  });
}

/** REPEATABLE READ and SERIALIZABLE read one snapshot for the whole transaction. */
export function usesTransactionSnapshot(level: IsolationLevel): boolean {
  return level === 'repeatable read' || level === 'serializable';
}
