// Which statements a follower may run on its own read-only copy (cluster/statement-router.ts), decided
// with the real parser: a statement runs there only when its answer cannot differ from the leader's —
// it writes nothing, takes no row lock, and reads no state that only the leader's session holds.
import { ROUTE_STATS_FUNCTION } from '../sql/bind-route-stats';
import { FRAGMENT_STATS_FUNCTION } from '../sql/bind-fragment-stats';
import { parseSql } from '../sql/parse';

/** What the router needs to know of one query string. */
export interface QueryKind {
  /** Every statement is read-only and independent of the leader's session: the standby may answer. */
  readOnly: boolean;
  /**
   * Texts of the statements that change session state the standby's session must share (SET, RESET,
   * DISCARD, DEALLOCATE, SELECT set_config(…)): run on the leader, then replayed on the standby's session.
   */
  mirror: string[];
  /** A statement creates a temporary object, which only the leader's session sees from then on. */
  createsTemp: boolean;
  /** DISCARD ALL or DEALLOCATE ALL: every prepared statement is gone on both sides (it is mirrored). */
  dropsAllPrepared: boolean;
  /** DEALLOCATE name: that prepared statement is gone on both sides. */
  dropsPrepared: string[];
}

const LEADER_ONLY_FUNCTIONS = new Set([
  // Sequences write, or read the leader session's last value.
  'nextval',
  'setval',
  'currval',
  'lastval',
  // Session and transaction identity: the client knows the leader's session (its BackendKeyData).
  'pg_backend_pid',
  'pg_cancel_backend',
  'pg_terminate_backend',
  'txid_current',
  'txid_current_if_assigned',
  'pg_current_xact_id',
  'pg_current_xact_id_if_assigned',
  'pg_export_snapshot',
  'pg_notify',
]);


/** Views of sessions and their state: the client's session is the leader's, so the leader shows them (pg_settings: see LEADER_SETTINGS). */
const LEADER_ONLY_RELATIONS = new Set(['pg_stat_activity', 'pg_locks', 'pg_prepared_statements', 'pg_cursors', 'pg_settings']);

/** Settings the standby's session keeps as it is: they would undo its read-only mode, or are the leader's own. */
const NOT_MIRRORED = new Set(['default_transaction_read_only', 'transaction_read_only', 'transaction_isolation', 'default_transaction_isolation', 'session characteristics', 'transaction', 'cluster_node_id']);

/**
 * Settings whose value in the standby's session is not the client's (read-only mode, and in_hot_standby,
 * which drivers ask to tell a primary from a standby): SHOW and current_setting() of them are the
 * leader's to answer. cluster_node_id tells which node ran a statement, so it is answered where it runs.
 */
const LEADER_SETTINGS = new Set([...NOT_MIRRORED, 'in_hot_standby'].filter((n) => n !== 'cluster_node_id'));

/** current_setting(name): the leader's when the name is one of LEADER_SETTINGS or not known at parse time (a parameter, an expression). */
function readsLeaderSetting(call: Record<string, any>): boolean {
  let arg = (call.args as Record<string, any>[] | undefined)?.[0];
  while (arg?.TypeCast !== undefined) arg = arg.TypeCast.arg;
  const name = arg?.A_Const?.sval?.sval;
  return typeof name !== 'string' || LEADER_SETTINGS.has(name.toLowerCase());
}

/**
 * tessera_* system functions report the leader's state, except this node's own counters: the
 * router's, and the parallel fragments this node coordinated (a follower's standby coordinates its
 * clients' reads, fragment-provider.ts).
 */
function isLeaderStateFunction(name: string): boolean {
  return name.startsWith('tessera_') && name !== ROUTE_STATS_FUNCTION && name !== FRAGMENT_STATS_FUNCTION;
}

function functionName(call: Record<string, any>): string {
  const parts = call.funcname as { String?: { sval?: string } }[] | undefined;
  return (parts?.[parts.length - 1]?.String?.sval ?? '').toLowerCase();
}

interface Walk {
  /** Something only the leader may run: a write, a lock, a leader-session function or view. */
  leaderOnly: boolean;
  setConfig: boolean;
  temp: boolean;
}

/** Looks through a whole statement tree (subqueries, CTEs, EXPLAIN's statement) for anything not read-only. */
function walk(node: unknown, w: Walk): void {
  if (Array.isArray(node)) {
    for (const n of node) walk(n, w);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
    if (key === 'InsertStmt' || key === 'UpdateStmt' || key === 'DeleteStmt' || key === 'MergeStmt' || key === 'intoClause' || key === 'lockingClause') w.leaderOnly = true;
    else if (key === 'relpersistence' && value === 't') w.temp = true;
    else if (key === 'RangeVar' && LEADER_ONLY_RELATIONS.has(String((value as { relname?: string }).relname).toLowerCase())) w.leaderOnly = true;
    else if (key === 'FuncCall') {
      const name = functionName(value as Record<string, any>);
      if (name === 'set_config') w.setConfig = true;
      else if (name === 'current_setting' && readsLeaderSetting(value as Record<string, any>)) w.leaderOnly = true;
      else if (LEADER_ONLY_FUNCTIONS.has(name) || name.startsWith('pg_advisory') || name.startsWith('pg_try_advisory') || isLeaderStateFunction(name)) w.leaderOnly = true;
    }
    walk(value, w);
  }
}

/** Classifies a query string; unparsable text is not read-only (the leader answers with the proper error). */
export function classifyQuery(sql: string): QueryKind {
  const kind: QueryKind = { readOnly: true, mirror: [], createsTemp: false, dropsAllPrepared: false, dropsPrepared: [] };
  let stmts;
  try {
    stmts = parseSql(sql);
  } catch {
    return { ...kind, readOnly: false };
  }
  for (const s of stmts) {
    const ast = s.ast;
    if (ast === undefined) continue;
    const w: Walk = { leaderOnly: false, setConfig: false, temp: false };
    walk(ast, w);
    if (w.temp) kind.createsTemp = true;
    if (ast.VariableSetStmt !== undefined) {
      kind.readOnly = false;
      const set = ast.VariableSetStmt as { name?: string; is_local?: boolean };
      // SET LOCAL ends with the transaction, which runs on the leader: nothing to keep in step.
      if (set.is_local !== true && !NOT_MIRRORED.has((set.name ?? '').toLowerCase())) kind.mirror.push(s.text.trim());
    } else if (ast.DiscardStmt !== undefined || ast.DeallocateStmt !== undefined) {
      kind.readOnly = false;
      kind.mirror.push(s.text.trim());
      const name = (ast.DeallocateStmt as { name?: string } | undefined)?.name;
      if (name !== undefined) kind.dropsPrepared.push(name);
      else if (ast.DeallocateStmt !== undefined || ast.DiscardStmt?.target === 'DISCARD_ALL') kind.dropsAllPrepared = true;
    } else if (ast.VariableShowStmt !== undefined) {
      // A setting the standby's session does not share (or all of them) is shown by the leader's.
      const name = String(ast.VariableShowStmt.name ?? '').toLowerCase();
      if (name === 'all' || LEADER_SETTINGS.has(name)) kind.readOnly = false;
    } else if (ast.SelectStmt !== undefined || ast.ExplainStmt?.query?.SelectStmt !== undefined) {
      if (w.leaderOnly || w.setConfig) kind.readOnly = false;
      // set_config() changes a setting as SET does; a SELECT that also writes is not replayed.
      if (w.setConfig && !w.leaderOnly) kind.mirror.push(s.text.trim());
    } else kind.readOnly = false;
  }
  return kind;
}
