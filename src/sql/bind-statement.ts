// Entry point of the SQL layer: one parsed statement → a BoundStatement for the engine.
// Imports: types, plan, planner, storage contracts (all below this layer).
import { PlanNode } from '../plan/plan';
import { annotateEstimates } from '../planner/relation-stats';
import { SqlError, SqlState, notSupported } from '../types/sql-error';
import { BindContext } from './bind-context';
import { bindAlterTable, bindCreateIndex, bindCreateTable, bindCreateView, bindDrop, bindRename } from './bind-ddl';
import { bindAlterSequence, bindCreateSequence } from './bind-sequence';
import { bindDelete, bindInsert, bindUpdate, findTableOrThrow } from './bind-dml';
import { bindTopQuery } from './bind-query';
import { bindLockingSelect } from './bind-locking-select';
import { BoundStatement, CopyOptions } from './bound-statement';
import { ParsedStatement } from './parse';
import { chooseIndexScans } from '../planner/index-choice';
import { emptyCatalogResult } from './system-catalog/empty-fallback';

export function bindStatement(parsed: ParsedStatement, ctx: BindContext): BoundStatement {
  const ast = parsed.ast;
  if (ast === undefined) return { kind: 'noop', command: '' };
  const [tag] = Object.keys(ast);
  const n = ast[tag];
  switch (tag) {
    case 'SelectStmt':
      if (n.lockingClause !== undefined) {
        const b = bindLockingSelect(ast, ctx);
        chooseIndexScans(b.kind === 'lockingSelect' ? b.rows : b.plan, ctx.catalog);
        return b;
      }
      try {
        return { kind: 'query', plan: chooseIndexScans(bindTopQuery(ast, ctx), ctx.catalog) };
      } catch (err) {
        const empty = emptyCatalogResult(ast, err);
        if (empty === null) throw err;
        return { kind: 'query', plan: empty };
      }
    case 'InsertStmt':
      return bindInsert(n, ctx);
    case 'UpdateStmt': {
      const b = bindUpdate(n, ctx);
      if (b.kind === 'update') chooseIndexScans(b.plan, ctx.catalog);
      return b;
    }
    case 'DeleteStmt': {
      const b = bindDelete(n, ctx);
      if (b.kind === 'delete') chooseIndexScans(b.plan, ctx.catalog);
      return b;
    }
    case 'CreateStmt':
      return bindCreateTable(n, ctx, parsed.text, parsed.offset);
    case 'DropStmt':
      return bindDrop(n);
    case 'ViewStmt':
      return bindCreateView(n, ctx, parsed.text);
    case 'AlterTableStmt':
      return bindAlterTable(n, ctx, parsed.text, parsed.offset);
    case 'RenameStmt':
      return bindRename(n, ctx);
    case 'CreateSeqStmt':
      return bindCreateSequence(n, ctx);
    case 'AlterSeqStmt':
      return bindAlterSequence(n, ctx);
    case 'IndexStmt':
      return bindCreateIndex(n, ctx);
    case 'TransactionStmt':
      return bindTransaction(n);
    case 'VariableSetStmt':
      return bindSet(n);
    case 'VariableShowStmt':
      return { kind: 'show', name: String(n.name).toLowerCase() };
    case 'CopyStmt':
      return bindCopy(n, ctx);
    case 'TruncateStmt':
      return { kind: 'truncate', tables: n.relations.map((r: any) => findTableOrThrow(ctx, r.RangeVar)), restartIdentity: n.restart_seqs === true };
    case 'VacuumStmt':
      if (n.is_vacuumcmd) return { kind: 'noop', command: 'VACUUM' };
      return { kind: 'analyze', tables: (n.rels ?? []).map((r: any) => findTableOrThrow(ctx, r.VacuumRelation.relation)) };
    case 'ExplainStmt':
      return bindExplain(n, parsed, ctx);
    default:
      throw notSupported(tag === 'CreateTableAsStmt' && n.objtype === 'OBJECT_MATVIEW' ? 'CREATE MATERIALIZED VIEW' : statementName(tag));
  }
}

const STATEMENT_NAMES: Record<string, string> = {
  IndexStmt: 'CREATE INDEX',
  CreateSeqStmt: 'CREATE SEQUENCE',
  CreateFunctionStmt: 'CREATE FUNCTION',
  CreateSchemaStmt: 'CREATE SCHEMA',
  CreateRoleStmt: 'CREATE ROLE',
  CreatedbStmt: 'CREATE DATABASE',
  CreateTableAsStmt: 'CREATE TABLE AS',
  GrantStmt: 'GRANT',
  PrepareStmt: 'PREPARE',
  ExecuteStmt: 'EXECUTE',
  DeallocateStmt: 'DEALLOCATE',
  DeclareCursorStmt: 'DECLARE CURSOR',
  FetchStmt: 'FETCH',
  ListenStmt: 'LISTEN',
  NotifyStmt: 'NOTIFY',
  LockStmt: 'LOCK',
  DoStmt: 'DO',
  CommentStmt: 'COMMENT',
  RenameStmt: 'ALTER … RENAME',
  CreateTrigStmt: 'CREATE TRIGGER',
  CreateEnumStmt: 'CREATE TYPE … AS ENUM',
  CompositeTypeStmt: 'CREATE TYPE',
  CreateDomainStmt: 'CREATE DOMAIN',
  CreatePolicyStmt: 'CREATE POLICY',
  RuleStmt: 'CREATE RULE',
  RefreshMatViewStmt: 'REFRESH MATERIALIZED VIEW',
  CreateStatsStmt: 'CREATE STATISTICS',
  AlterRoleStmt: 'ALTER ROLE',
  DropRoleStmt: 'DROP ROLE',
  ClusterStmt: 'CLUSTER',
  ReindexStmt: 'REINDEX',
};

/** The statement's name for the 0A000 message, e.g. "CREATE INDEX is not supported". */
function statementName(tag: string): string {
  if (STATEMENT_NAMES[tag] !== undefined) return STATEMENT_NAMES[tag];
  return tag
    .replace(/Stmt$/, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toUpperCase();
}

function bindExplain(n: any, parsed: ParsedStatement, ctx: BindContext): BoundStatement {
  // Boolean options: absent → default; `analyze`, `analyze on|true|1` → true; `off|false|0` → false.
  const flags = new Map<string, boolean>();
  for (const o of n.options ?? []) {
    const d = o.DefElem;
    const arg = d.arg?.String?.sval ?? (d.arg?.Integer !== undefined ? String(d.arg.Integer.ival ?? 0) : d.arg?.Boolean !== undefined ? String(d.arg.Boolean.boolval === true) : undefined);
    const value = arg === undefined ? true : !['off', 'false', '0', 'no'].includes(String(arg).toLowerCase());
    if (d.defname === 'format' && String(arg).toLowerCase() !== 'text') throw notSupported(`EXPLAIN (FORMAT ${String(arg).toUpperCase()})`);
    flags.set(d.defname, value);
  }
  const analyze = flags.get('analyze') ?? false;
  const options = { costs: flags.get('costs') ?? true, timing: flags.get('timing') ?? analyze, summary: flags.get('summary') ?? analyze, buffers: flags.get('buffers') ?? analyze };
  const inner = bindStatement({ ast: n.query, text: parsed.text, offset: parsed.offset }, ctx);
  const plan = inner.kind === 'query' || inner.kind === 'update' || inner.kind === 'delete' ? inner.plan : inner.kind === 'insert' ? inner.source : null;
  // Every operator shows its estimated rows.
  if (plan !== null) annotateEstimates(plan, (id) => ctx.tableStatistics(id));
  switch (inner.kind) {
    case 'query':
      return { kind: 'explain', plan: inner.plan, analyze, options };
    case 'insert':
      if (analyze) throw notSupported('EXPLAIN ANALYZE of INSERT');
      return { kind: 'explain', plan: inner.source, analyze: false };
    case 'update':
    case 'delete':
      if (analyze) throw notSupported(`EXPLAIN ANALYZE of ${inner.kind.toUpperCase()}`);
      return { kind: 'explain', plan: inner.plan, analyze: false };
    default:
      throw notSupported(`EXPLAIN of ${inner.kind}`);
  }
}

function bindTransaction(n: any): BoundStatement {
  switch (n.kind) {
    case 'TRANS_STMT_BEGIN':
    case 'TRANS_STMT_START': {
      const iso = (n.options ?? []).find((o: any) => o.DefElem?.defname === 'transaction_isolation');
      const ro = (n.options ?? []).find((o: any) => o.DefElem?.defname === 'transaction_read_only');
      const readOnly = ro === undefined ? undefined : (ro.DefElem.arg?.A_Const?.ival?.ival ?? 0) === 1;
      return { kind: 'transaction', action: 'begin', isolation: iso?.DefElem?.arg?.A_Const?.sval?.sval, readOnly };
    }
    case 'TRANS_STMT_COMMIT':
      return { kind: 'transaction', action: 'commit' };
    case 'TRANS_STMT_ROLLBACK':
      return { kind: 'transaction', action: 'rollback' };
    case 'TRANS_STMT_SAVEPOINT':
      return { kind: 'transaction', action: 'savepoint', name: n.savepoint_name };
    case 'TRANS_STMT_RELEASE':
      return { kind: 'transaction', action: 'release', name: n.savepoint_name };
    case 'TRANS_STMT_ROLLBACK_TO':
      return { kind: 'transaction', action: 'rollbackTo', name: n.savepoint_name };
    case 'TRANS_STMT_PREPARE':
      return { kind: 'transaction', action: 'prepare', name: n.gid };
    case 'TRANS_STMT_COMMIT_PREPARED':
      return { kind: 'transaction', action: 'commitPrepared', name: n.gid };
    case 'TRANS_STMT_ROLLBACK_PREPARED':
      return { kind: 'transaction', action: 'rollbackPrepared', name: n.gid };
    default:
      throw notSupported(String(n.kind).replace('TRANS_STMT_', '').toLowerCase().replace('_', ' '));
  }
}

function constText(node: any): string {
  const c = node.A_Const;
  if (c === undefined) {
    if (node.TypeCast !== undefined) return constText(node.TypeCast.arg);
    throw new SqlError(SqlState.syntaxError, 'SET requires a constant value');
  }
  if (c.sval !== undefined) return c.sval.sval ?? '';
  if (c.ival !== undefined) return String(c.ival.ival ?? 0);
  if (c.fval !== undefined) return c.fval.fval;
  if (c.boolval !== undefined) return c.boolval.boolval ? 'on' : 'off';
  return '';
}

function bindSet(n: any): BoundStatement {
  const local = n.is_local === true;
  switch (n.kind) {
    case 'VAR_SET_VALUE': {
      const name = String(n.name).toLowerCase();
      const value = (n.args ?? []).map(constText).join(', ');
      return { kind: 'set', name, value, local };
    }
    case 'VAR_SET_DEFAULT':
    case 'VAR_RESET':
      return { kind: 'set', name: String(n.name).toLowerCase(), value: null, local };
    case 'VAR_RESET_ALL':
      return { kind: 'set', name: 'all', value: null, local };
    case 'VAR_SET_MULTI': {
      // SET TRANSACTION (local: the warning outside a block) / SET SESSION CHARACTERISTICS AS TRANSACTION.
      const iso = (n.args ?? []).find((o: any) => o.DefElem?.defname === 'transaction_isolation');
      const ro = (n.args ?? []).find((o: any) => o.DefElem?.defname === 'transaction_read_only');
      if (iso === undefined && ro !== undefined) {
        const value = (ro.DefElem.arg?.A_Const?.ival?.ival ?? 0) === 1 ? 'on' : 'off';
        if (n.name === 'TRANSACTION') return { kind: 'set', name: 'transaction_read_only', value, local: true };
        return { kind: 'set', name: 'default_transaction_read_only', value, local: false };
      }
      if (iso === undefined) return { kind: 'noop', command: 'SET' };
      const value = constText(iso.DefElem.arg);
      if (n.name === 'TRANSACTION') return { kind: 'set', name: 'transaction_isolation', value, local: true };
      return { kind: 'set', name: 'default_transaction_isolation', value, local: false };
    }
    default:
      throw notSupported(`SET ${n.kind}`);
  }
}

function bindCopy(n: any, ctx: BindContext): BoundStatement {
  if (n.filename !== undefined) throw notSupported('COPY to or from a server file (use psql\'s \\copy)');
  if (n.is_program) throw notSupported('COPY … PROGRAM');
  const options: CopyOptions = { format: 'text', delimiter: '\t', header: false, null: '\\N', quote: '"', escape: '"' };
  let delimiterSet = false;
  let nullSet = false;
  for (const o of n.options ?? []) {
    const d = o.DefElem;
    const arg = d.arg;
    const text = arg === undefined ? 'true' : arg.String !== undefined ? arg.String.sval : arg.Boolean !== undefined ? String(arg.Boolean.boolval === true) : arg.Integer !== undefined ? String(arg.Integer.ival) : arg.A_Const !== undefined ? constText(arg) : '';
    switch (d.defname) {
      case 'format':
        if (text !== 'text' && text !== 'csv' && text !== 'binary') throw new SqlError(SqlState.invalidParameterValue, `COPY format "${text}" not recognized`);
        options.format = text;
        break;
      case 'delimiter':
        if (text.length !== 1) throw new SqlError(SqlState.featureNotSupported, 'COPY delimiter must be a single one-byte character');
        options.delimiter = text;
        delimiterSet = true;
        break;
      case 'header':
        options.header = ['true', 'on', '1', 'yes'].includes(text.toLowerCase());
        break;
      case 'null':
        options.null = text;
        nullSet = true;
        break;
      case 'quote':
        options.quote = text;
        break;
      case 'escape':
        options.escape = text;
        break;
      case 'freeze':
        // An optimization hint in PostgreSQL (rows written frozen); nothing to do here.
        break;
      case 'encoding':
        if (!/^utf-?8$/i.test(text)) throw notSupported(`COPY encoding ${text}`);
        break;
      default:
        throw new SqlError(SqlState.syntaxError, `option "${d.defname}" not recognized`);
    }
  }
  if (options.format === 'csv') {
    if (!delimiterSet) options.delimiter = ',';
    if (!nullSet) options.null = '';
  }
  if (options.format === 'binary') {
    // PostgreSQL's checks (ProcessCopyOptions): text-format options make no sense in binary mode.
    if (delimiterSet) throw new SqlError(SqlState.syntaxError, 'cannot specify DELIMITER in BINARY mode');
    if (nullSet) throw new SqlError(SqlState.syntaxError, 'cannot specify NULL in BINARY mode');
    if (options.quote !== '"' || options.escape !== '"') throw new SqlError(SqlState.featureNotSupported, 'COPY quote available only in CSV mode');
    if (options.header) throw new SqlError(SqlState.featureNotSupported, 'cannot specify HEADER in BINARY mode');
  }
  if (n.query !== undefined) {
    if (n.is_from) throw new SqlError(SqlState.syntaxError, 'COPY FROM does not accept a query');
    return { kind: 'copyTo', source: bindTopQuery(n.query, ctx), options };
  }
  const table = findTableOrThrow(ctx, n.relation);
  const columns: number[] = n.attlist
    ? n.attlist.map((a: any) => {
        const name = a.String.sval;
        const idx = table.columns.findIndex((c) => c.name === name);
        if (idx === -1) throw new SqlError(SqlState.undefinedColumn, `column "${name}" of relation "${table.name}" does not exist`);
        return idx;
      })
    : table.columns.map((_, i) => i);
  if (n.is_from) return { kind: 'copyFrom', table, columns, options };
  const source: PlanNode = {
    kind: 'scan',
    tableId: table.id,
    tableName: table.name,
    columns,
    withRowId: false,
    filter: null,
    output: columns.map((i) => ({ name: table.columns[i].name, type: table.columns[i].type })),
  };
  return { kind: 'copyTo', source, options };
}

