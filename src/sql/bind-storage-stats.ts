// tessera_storage_stats(): bytes on disk per table column — encodings used, plain and stored bytes,
// compression ratio — as a FROM item (also reachable as the relation tessera_column_storage).
// Its rows are read from the storage when the statement is bound, like the system relations.
import { PlanNode } from '../plan/plan';
import { DataType, Types } from '../types/data-type';
import { SqlError, SqlState } from '../types/sql-error';
import { Scalar } from '../types/vector';
import type { BindContext } from './bind-context';

export const STORAGE_STATS_FUNCTION = 'tessera_storage_stats';
export const STORAGE_STATS_RELATION = 'tessera_column_storage';

const COLUMNS: { name: string; type: DataType }[] = [
  { name: 'schema_name', type: Types.text },
  { name: 'table_name', type: Types.text },
  { name: 'column_name', type: Types.text },
  { name: 'encodings', type: Types.text },
  { name: 'chunks', type: Types.int8 },
  { name: 'rows', type: Types.int8 },
  { name: 'uncompressed_bytes', type: Types.int8 },
  { name: 'stored_bytes', type: Types.int8 },
  { name: 'ratio', type: Types.float8 },
];

/** Whether a FROM item's relation name (unqualified or pg_catalog) is the storage statistics view. */
export function isStorageStatsRelation(schema: string | undefined, name: string): boolean {
  return name === STORAGE_STATS_RELATION && (schema === undefined || schema === 'pg_catalog');
}

export function bindStorageStats(ctx: BindContext, argCount: number): PlanNode {
  if (argCount > 0) throw new SqlError(SqlState.undefinedFunction, `function ${STORAGE_STATS_FUNCTION} with ${argCount} argument(s) does not exist`, { hint: 'It takes no arguments.' });
  const stats = ctx.storageStats?.() ?? [];
  const rows = stats.map((s) => {
    const values: Scalar[] = [s.schema, s.table, s.column, s.encodings, s.chunks, s.rows, s.uncompressedBytes, s.storedBytes, s.storedBytes > 0 ? Math.round((s.uncompressedBytes / s.storedBytes) * 100) / 100 : null];
    return values.map((value, i) => ({ kind: 'const' as const, value, type: COLUMNS[i].type }));
  });
  return { kind: 'values', rows, output: COLUMNS.map((c) => ({ name: c.name, type: c.type })), estimatedRows: rows.length };
}
