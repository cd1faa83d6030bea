// A system function that lists rows some part of the server reports (tessera_commit_stats(),
// tessera_interconnect_stats(), tessera_cluster_nodes(), tessera_fragment_stats()): it takes no
// arguments and binds to a VALUES plan of one row per reported item.
import { PlanNode } from '../plan/plan';
import { DataType } from '../types/data-type';
import { SqlError, SqlState } from '../types/sql-error';
import { Scalar } from '../types/vector';

export interface SystemColumn<T> {
  name: string;
  type: DataType;
  value: (item: T) => Scalar;
}

export function systemRowsPlan<T>(fn: string, argCount: number, columns: readonly SystemColumn<T>[], items: readonly T[]): PlanNode {
  if (argCount > 0) throw new SqlError(SqlState.undefinedFunction, `function ${fn} with ${argCount} argument(s) does not exist`, { hint: 'It takes no arguments.' });
  const rows = items.map((s) => columns.map((c) => ({ kind: 'const' as const, value: c.value(s), type: c.type })));
  return { kind: 'values', rows, output: columns.map((c) => ({ name: c.name, type: c.type })), estimatedRows: rows.length };
}
