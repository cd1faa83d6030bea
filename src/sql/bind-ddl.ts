// CREATE/DROP TABLE and VIEW, ALTER TABLE ADD PRIMARY KEY.
import { ColumnDef } from '../storage/api';
import { SqlError, SqlState, notSupported } from '../types/sql-error';
import { BindContext, QueryLevel } from './bind-context';
import { bindExpr } from './bind-expr';
import { findTableOrThrow, assignTo } from './bind-dml';
import { bindQueryPlan } from './bind-query';
import { BoundStatement } from './bound-statement';
import { parseSql } from './parse';
import { resolveTypeName } from './type-names';

/** Strips `location` fields so two ASTs of the same expression compare equal. */
function withoutLocations(node: unknown): string {
  return JSON.stringify(node, (k, v) => (k === 'location' ? undefined : v));
}

/**
 * The source text of a DEFAULT expression. libpg-query gives positions but no end, so take the
 * text from the expression's start to the next top-level ',' or ')' and trim trailing words
 * (NOT NULL, PRIMARY KEY…) until it parses to the same expression.
 */
function expressionText(statementText: string, rawExpr: any): string {
  const first = Object.values(rawExpr)[0] as { location?: number };
  let start = first.location ?? 0;
  // An expression in parentheses or with a leading sign starts before its node's location.
  while (start > 0 && /[\s(+-]/.test(statementText[start - 1]) && statementText.slice(0, start).trimEnd().toUpperCase().endsWith('DEFAULT') === false) start--;
  let depth = 0;
  let quote = '';
  let end = start;
  for (; end < statementText.length; end++) {
    const ch = statementText[end];
    if (quote !== '') {
      if (ch === quote) quote = '';
      continue;
    }
    if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')') {
      if (depth === 0) break;
      depth--;
    } else if (ch === ',' && depth === 0) break;
  }
  const want = withoutLocations(rawExpr);
  const words = statementText.slice(start, end).trim().split(/(\s+)/);
  for (let n = words.length; n > 0; n--) {
    const candidate = words.slice(0, n).join('').trim();
    try {
      const [stmt] = parseSql(`SELECT ${candidate}`);
      const node = stmt.ast?.SelectStmt?.targetList?.[0]?.ResTarget?.val;
      if (node !== undefined && withoutLocations(node) === want) return candidate;
    } catch {
      // not a complete expression yet: drop another word
    }
  }
  throw new SqlError(SqlState.featureNotSupported, 'could not extract the DEFAULT expression text');
}

export function bindCreateTable(n: any, ctx: BindContext, statementText: string, statementOffset: number): BoundStatement {
  if (n.relation.relpersistence === 't') throw notSupported('temporary tables');
  if (n.inhRelations !== undefined) throw notSupported('table inheritance');
  if (n.partspec !== undefined) throw notSupported('partitioned tables');
  const name: string = n.relation.relname;
  const schema: string = n.relation.schemaname ?? 'public';
  const columns: ColumnDef[] = [];
  let primaryKey: number[] | null = null;
  const pkColumnsByName: string[][] = [];
  for (const elt of n.tableElts ?? []) {
    if (elt.ColumnDef !== undefined) {
      const cd = elt.ColumnDef;
      if (columns.some((c) => c.name === cd.colname)) throw new SqlError(SqlState.duplicateColumn, `column "${cd.colname}" specified more than once`);
      const { type } = resolveTypeName(cd.typeName);
      const col: ColumnDef = { name: cd.colname, type, notNull: false, defaultSql: null };
      for (const c of cd.constraints ?? []) {
        const con = c.Constraint;
        switch (con.contype) {
          case 'CONSTR_NOTNULL':
            col.notNull = true;
            break;
          case 'CONSTR_NULL':
            break;
          case 'CONSTR_DEFAULT': {
            const text = expressionText(statementText, con.raw_expr);
            // Check that the default binds and converts to the column type now, as PostgreSQL does.
            assignTo(bindExpr(con.raw_expr, { ctx, level: new QueryLevel(null), aggregates: null, clause: 'DEFAULT expressions' }), col, ctx);
            col.defaultSql = text;
            break;
          }
          case 'CONSTR_PRIMARY':
            pkColumnsByName.push([cd.colname]);
            col.notNull = true;
            break;
          default:
            throw notSupported(`column constraint ${con.contype.replace('CONSTR_', '')}`);
        }
      }
      columns.push(col);
    } else if (elt.Constraint !== undefined) {
      const con = elt.Constraint;
      if (con.contype !== 'CONSTR_PRIMARY') throw notSupported(`table constraint ${con.contype.replace('CONSTR_', '')}`);
      pkColumnsByName.push(con.keys.map((k: any) => k.String.sval));
    } else throw notSupported('this table element');
  }
  if (pkColumnsByName.length > 1)
    throw new SqlError(SqlState.invalidTableDefinition, `multiple primary keys for table "${name}" are not allowed`);
  if (pkColumnsByName.length === 1) {
    primaryKey = pkColumnsByName[0].map((colName) => {
      const idx = columns.findIndex((c) => c.name === colName);
      if (idx === -1) throw new SqlError(SqlState.undefinedColumn, `column "${colName}" named in key does not exist`);
      columns[idx].notNull = true;
      return idx;
    });
  }
  void statementOffset;
  return { kind: 'createTable', schema, name, columns, primaryKey, ifNotExists: n.if_not_exists === true };
}

export function bindDrop(n: any): BoundStatement {
  const types: Record<string, 'table' | 'view'> = { OBJECT_TABLE: 'table', OBJECT_VIEW: 'view' };
  const objectType = types[n.removeType];
  if (objectType === undefined) throw notSupported(`DROP ${String(n.removeType).replace('OBJECT_', '')}`);
  const names = n.objects.map((o: any) => {
    const parts: string[] = o.List.items.map((i: any) => i.String.sval);
    return parts.length === 1 ? { schema: 'public', name: parts[0] } : { schema: parts[parts.length - 2], name: parts[parts.length - 1] };
  });
  return { kind: 'drop', objectType, names, ifExists: n.missing_ok === true, cascade: n.behavior === 'DROP_CASCADE' };
}

export function bindCreateView(n: any, ctx: BindContext, statementText: string): BoundStatement {
  const name: string = n.view.relname;
  const schema: string = n.view.schemaname ?? 'public';
  // Validate now (unknown tables and columns fail at CREATE VIEW, as in PostgreSQL).
  const plan = bindQueryPlan(n.query, ctx, new QueryLevel(null));
  const aliases: string[] = (n.aliases ?? []).map((a: any) => a.String.sval);
  if (aliases.length > plan.output.length) throw new SqlError(SqlState.syntaxError, 'CREATE VIEW specifies more column names than columns');
  const columnNames = plan.output.map((c, i) => aliases[i] ?? c.name);
  const sql = viewQueryText(statementText);
  return { kind: 'createView', schema, name, sql, columnNames, orReplace: n.replace === true };
}

/** The SELECT part of CREATE VIEW … AS <query>: the text after the first top-level AS. */
function viewQueryText(text: string): string {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (depth === 0 && /\s/.test(ch) && /^\s+as\s/i.test(text.slice(i, i + 5))) return text.slice(i).replace(/^\s+as\s+/i, '').replace(/;\s*$/, '');
  }
  throw new SqlError(SqlState.syntaxError, 'could not find the query of CREATE VIEW');
}

export function bindAlterTable(n: any, ctx: BindContext): BoundStatement {
  const table = findTableOrThrow(ctx, n.relation);
  const cmds: any[] = n.cmds ?? [];
  if (cmds.length !== 1) throw notSupported('ALTER TABLE with several actions');
  const cmd = cmds[0].AlterTableCmd;
  if (cmd.subtype === 'AT_AddConstraint' && cmd.def?.Constraint?.contype === 'CONSTR_PRIMARY') {
    const con = cmd.def.Constraint;
    if (table.primaryKey !== null)
      throw new SqlError(SqlState.invalidTableDefinition, `multiple primary keys for table "${table.name}" are not allowed`);
    const columns = con.keys.map((k: any) => {
      const name = k.String.sval;
      const idx = table.columns.findIndex((c) => c.name === name);
      if (idx === -1) throw new SqlError(SqlState.undefinedColumn, `column "${name}" of relation "${table.name}" does not exist`);
      return idx;
    });
    return { kind: 'addPrimaryKey', table, columns, constraintName: con.conname ?? `${table.name}_pkey` };
  }
  throw notSupported(`ALTER TABLE ${String(cmd.subtype).replace('AT_', '')}`);
}

