// Which tables a bound statement locks, and in which mode (see txn/table-locks.ts): the tables it
// reads or writes (and CREATE INDEX's and ANALYZE's) in share mode, the tables DROP TABLE, TRUNCATE
// and ALTER TABLE change in exclusive mode. Computed once per bound statement (cached plans are executed many times).
import type { BoundStatement } from '../sql/bound-statement';
import type { CatalogView } from '../storage';
import type { TableLockMode } from '../txn/table-locks';
import { forEachReachableObject } from '../plan/reachable-objects';

export interface StatementLocks {
  readonly mode: TableLockMode;
  readonly tables: readonly number[];
}

const NONE: StatementLocks = { mode: 'share', tables: [] };
const known = new WeakMap<BoundStatement, StatementLocks>();

/** `catalog`: asked only for DROP, whose tables are found by name (every other statement's locks come from its plan). */
export function statementLocks(bound: BoundStatement, catalog: () => CatalogView): StatementLocks {
  const hit = known.get(bound);
  if (hit !== undefined) return hit;
  const locks = compute(bound, catalog);
  // DROP's tables are found by name in the catalog of the moment: not cached.
  if (bound.kind !== 'drop') known.set(bound, locks);
  return locks;
}

function compute(bound: BoundStatement, catalog: () => CatalogView): StatementLocks {
  switch (bound.kind) {
    case 'query':
    case 'explain':
      return { mode: 'share', tables: scannedTables(bound.plan) };
    case 'insert':
      return { mode: 'share', tables: withTable(bound.table.id, scannedTables(bound.source)) };
    case 'update':
    case 'delete':
      return { mode: 'share', tables: withTable(bound.table.id, scannedTables(bound.plan)) };
    case 'lockingSelect':
      return { mode: 'share', tables: withTable(bound.table.id, scannedTables(bound.rows)) };
    case 'copyFrom':
    case 'createIndex':
      return { mode: 'share', tables: [bound.table.id] };
    case 'analyze':
      return { mode: 'share', tables: bound.tables.map((t) => t.id) };
    case 'copyTo':
      return { mode: 'share', tables: scannedTables(bound.source) };
    case 'truncate':
      return { mode: 'exclusive', tables: bound.tables.map((t) => t.id) };
    case 'alterTable':
    case 'addPrimaryKey':
      return { mode: 'exclusive', tables: [bound.table.id] };
    case 'drop': {
      if (bound.objectType !== 'table') return NONE;
      const ids: number[] = [];
      const view = catalog();
      for (const n of bound.names) {
        const t = view.findTable(n.schema, n.name);
        if (t !== undefined) ids.push(t.id);
      }
      return { mode: 'exclusive', tables: ids };
    }
    default:
      return NONE;
  }
}

function withTable(id: number, tables: number[]): number[] {
  return tables.includes(id) ? tables : [id, ...tables];
}

/**
 * The tables a plan scans, wherever the scan sits (joins, subqueries inside expressions, CTEs):
 * plans are small trees of plain objects, so every object reachable from the root is visited once.
 */
function scannedTables(plan: unknown): number[] {
  const ids: number[] = [];
  forEachReachableObject(plan, (o) => {
    if (o.kind === 'scan' && typeof o.tableId === 'number' && !ids.includes(o.tableId)) ids.push(o.tableId);
  });
  return ids;
}
