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

/** The command a read-only transaction refuses, named as PostgreSQL's 25006 message names it; null when allowed. */
export function writeCommandName(bound: { kind: string; objectType?: string; lockName?: string }): string | null {
  switch (bound.kind) {
    case 'lockingSelect':
      return `SELECT ${bound.lockName}`;
    case 'insert':
      return 'INSERT';
    case 'update':
      return 'UPDATE';
    case 'delete':
      return 'DELETE';
    case 'copyFrom':
      return 'COPY FROM';
    case 'createTable':
      return 'CREATE TABLE';
    case 'createView':
      return 'CREATE VIEW';
    case 'createSequence':
      return 'CREATE SEQUENCE';
    case 'alterSequence':
      return 'ALTER SEQUENCE';
    case 'alterTable':
    case 'addPrimaryKey':
      return 'ALTER TABLE';
    case 'createIndex':
      return 'CREATE INDEX';
    case 'truncate':
      return 'TRUNCATE TABLE';
    case 'drop':
      return `DROP ${(bound.objectType ?? 'table').toUpperCase()}`;
    default:
      return null;
  }
}

/** 25006 for a write in a read-only transaction. */
export function readOnlyViolation(command: string): SqlError {
  return new SqlError(SqlState.readOnlySqlTransaction, `cannot execute ${command} in a read-only transaction`);
}
