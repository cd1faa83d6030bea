// An in-memory table for the kernel benchmarks: whole columns cut into ROW_GROUP_ROWS row groups
// (string columns get one dictionary per group, as stored column chunks have), served through the
// executor's real TableSnapshot contract, so plans run exactly as over LMDB minus the decoding.
import { ExecContext } from '../../src/exec/context';
import { OutputColumn, PlanNode } from '../../src/plan/plan';
import { ROW_GROUP_ROWS, TableDef, TableSnapshot } from '../../src/storage/api';
import { DEFAULT_FORMAT } from '../../src/types/text-format';
import { Vector } from '../../src/types/vector';
import { sliceVector } from '../../src/types/vector-ops';

export interface MemTable {
  id: number;
  columns: Vector[];
  snapshot: TableSnapshot;
}

let nextId = 1;

export function memTable(columns: Vector[]): MemTable {
  const id = nextId++;
  const total = columns[0].length;
  const groups = Math.ceil(total / ROW_GROUP_ROWS);
  const parts: Vector[][] = columns.map((v) => {
    const out: Vector[] = [];
    for (let g = 0; g < groups; g++) out.push(groupSlice(v, g * ROW_GROUP_ROWS, Math.min(total, (g + 1) * ROW_GROUP_ROWS)));
    return out;
  });
  const def: TableDef = {
    id,
    schema: 'public',
    name: `bench${id}`,
    columns: columns.map((v, c) => ({ name: `c${c}`, type: v.type, notNull: false, defaultSql: null })),
    primaryKey: null,
    primaryKeyName: null,
  };
  const snapshot: TableSnapshot = {
    def,
    rowGroupCount: groups,
    rowCount: (g) => Math.min(ROW_GROUP_ROWS, total - g * ROW_GROUP_ROWS),
    deleted: () => null,
    readColumn: (g, c) => parts[c][g],
    liveRowCount: total,
    // The kernels run fixed plans: no planner, so no statistics.
    statistics: () => null,
  };
  return { id, columns, snapshot };
}

/** Rows [start, end); a string column gets a dictionary of just the strings it uses. */
function groupSlice(v: Vector, start: number, end: number): Vector {
  if (v.kind !== 'string') return sliceVector(v, start, end);
  const map = new Map<number, number>();
  const dict: string[] = [];
  const codes = new Int32Array(end - start);
  for (let i = start; i < end; i++) {
    const c = v.codes[i];
    let k = map.get(c);
    if (k === undefined) {
      k = dict.length;
      map.set(c, k);
      dict.push(v.dict[c]);
    }
    codes[i - start] = k;
  }
  return { kind: 'string', type: v.type, length: end - start, nulls: null, codes, dict };
}

export function scanOf(t: MemTable): PlanNode {
  const output: OutputColumn[] = t.columns.map((v, c) => ({ name: `c${c}`, type: v.type }));
  return { kind: 'scan', tableId: t.id, tableName: `bench${t.id}`, columns: t.columns.map((_, c) => c), withRowId: false, filter: null, output };
}

export function contextOf(tables: MemTable[]): ExecContext {
  const snaps = new Map(tables.map((t) => [t.id, t.snapshot]));
  return {
    params: [],
    snapshot: (id) => snaps.get(id)!,
    format: DEFAULT_FORMAT,
    statementStartMicros: 0,
    transactionStartMicros: 0,
    checkCancel: () => undefined,
  };
}
