// SELECT … FOR UPDATE / FOR SHARE over a join of base tables (one table alone: bind-locking-select.ts).
// As PostgreSQL, the rows of every table in FROM are locked, or only of the tables OF names (by
// alias). The query is bound as the plain SELECT it is (ORDER BY included, LIMIT/OFFSET left to
// the engine, which applies them after locking as for one table) with each locked table's scan
// also giving its rows' RowIds: hidden columns carried to the output after the selected ones.
// Tables on the nullable side of an outer join cannot be locked (PostgreSQL's 0A000); locking the
// tables of a subquery, a view or a WITH query is not supported (0A000).
import { Expr } from '../plan/expr';
import { SqlError, SqlState, notSupported } from '../types/sql-error';
import { TableDef } from '../storage/api';
import { BindContext, QueryLevel, ROW_ID_COLUMN } from './bind-context';
import { ExprScope } from './bind-expr';
import { bindTopQuery } from './bind-query';
import { BoundStatement } from './bound-statement';

type LockingSelect = Extract<BoundStatement, { kind: 'lockingSelect' }>;

interface FromRelation {
  /** The RangeVar node (a base table's scan) or null for another kind of FROM item. */
  node: any;
  alias: string;
  table: TableDef | undefined;
  /** An outer join can make its row NULL. */
  nullable: boolean;
}

const STRENGTHS: Record<string, string> = {
  LCS_FORUPDATE: 'FOR UPDATE',
  LCS_FORNOKEYUPDATE: 'FOR NO KEY UPDATE',
  LCS_FORSHARE: 'FOR SHARE',
  LCS_FORKEYSHARE: 'FOR KEY SHARE',
};

/** The FROM items of the top level, joins flattened, with whether an outer join makes them nullable. */
function fromRelations(from: any[], ctx: BindContext): FromRelation[] {
  const out: FromRelation[] = [];
  const walk = (item: any, nullable: boolean): void => {
    const join = item.JoinExpr;
    if (join !== undefined) {
      const type: string = join.jointype ?? 'JOIN_INNER';
      walk(join.larg, nullable || type === 'JOIN_RIGHT' || type === 'JOIN_FULL');
      walk(join.rarg, nullable || type === 'JOIN_LEFT' || type === 'JOIN_FULL');
      return;
    }
    const rv = item.RangeVar;
    if (rv !== undefined) {
      out.push({ node: rv, alias: rv.alias?.aliasname ?? rv.relname, table: ctx.catalog.findTable(rv.schemaname ?? 'public', rv.relname), nullable });
      return;
    }
    const [tag] = Object.keys(item);
    out.push({ node: null, alias: item[tag]?.alias?.aliasname ?? '', table: undefined, nullable });
  };
  for (const item of from) walk(item, false);
  return out;
}

/** `shared`: the clause strengths whose locks are share locks; `rowCount`: binds LIMIT / OFFSET (bind-locking-select.ts). */
export function bindLockingJoin(
  stmt: any,
  clauses: any[],
  ctx: BindContext,
  lockName: string,
  waitPolicy: LockingSelect['waitPolicy'],
  shared: ReadonlySet<string>,
  rowCount: (node: any, what: 'LIMIT' | 'OFFSET', scope: ExprScope) => Expr | null,
): LockingSelect {
  if (stmt.withClause !== undefined) throw notSupported(`SELECT … ${lockName} with WITH`);
  const rels = fromRelations(stmt.fromClause, ctx);
  // Each locked relation with the strength of the first clause that names it (for the messages),
  // and whether every clause naming it asks for a share lock only.
  const locked = new Map<FromRelation, string>();
  const exclusive = new Set<FromRelation>();
  const add = (r: FromRelation, c: any, strength: string) => {
    if (!locked.has(r)) locked.set(r, strength);
    if (!shared.has(c.strength)) exclusive.add(r);
  };
  for (const c of clauses) {
    const strength = STRENGTHS[c.strength] ?? lockName;
    const named: any[] = c.lockedRels ?? [];
    if (named.length === 0) for (const r of rels) add(r, c, strength);
    for (const n of named) {
      const rv = n.RangeVar;
      const r = rels.find((x) => x.alias === rv.relname && (rv.schemaname === undefined || x.node?.alias === undefined));
      if (r === undefined)
        throw new SqlError(SqlState.undefinedTable, `relation "${rv.relname}" in ${strength} clause not found in FROM clause`, { position: typeof rv.location === 'number' ? rv.location + 1 : undefined });
      add(r, c, strength);
    }
  }
  for (const [r, strength] of locked) {
    if (r.node === null || r.table === undefined) throw notSupported(`SELECT … ${strength} of the tables of subqueries, views or functions in FROM`);
    if (r.nullable) throw new SqlError(SqlState.featureNotSupported, `${strength} cannot be applied to the nullable side of an outer join`);
  }
  const order = [...locked.keys()];
  const rowIds = order.map((r, i) => ({ ResTarget: { name: `${ROW_ID_COLUMN}${i}`, val: { ColumnRef: { fields: [{ String: { sval: r.alias } }, { String: { sval: ROW_ID_COLUMN } }] } } } }));
  if (stmt.limitOption === 'LIMIT_OPTION_WITH_TIES') throw notSupported('FETCH … WITH TIES');
  const query = { SelectStmt: { ...stmt, lockingClause: undefined, limitCount: undefined, limitOffset: undefined, limitOption: undefined, targetList: [...stmt.targetList, ...rowIds] } };
  ctx.rowIdRangeVars = new Set(order.map((r) => r.node));
  let rows;
  try {
    rows = bindTopQuery(query, ctx);
  } finally {
    ctx.rowIdRangeVars = undefined;
  }
  const width = rows.output.length - order.length;
  const output = rows.output.slice(0, width);
  const targets = { exprs: output.map((c, i): Expr => ({ kind: 'column', index: i, type: c.type })), output };
  const scope: ExprScope = { ctx, level: new QueryLevel(null), aggregates: null, clause: 'LIMIT' };
  const limit = rowCount(stmt.limitCount, 'LIMIT', scope);
  const offset = rowCount(stmt.limitOffset, 'OFFSET', scope);
  const lockedTables = order.map((r, i) => ({ table: r.table!, column: width + i, share: !exclusive.has(r) }));
  return { kind: 'lockingSelect', table: lockedTables[0].table, rows, width, locked: lockedTables, targets, limit, offset, lockName, waitPolicy };
}
