// How PostgreSQL prints stored expressions and definitions (pg_get_expr, pg_get_indexdef,
// pg_get_constraintdef, quote_ident) for the objects Tessera stores. Defaults are kept as the SQL
// text the user wrote; PostgreSQL prints the parsed, type-coerced form, e.g. DEFAULT '2020-01-01'
// on a date column reads back as '2020-01-01'::date, so the common shapes are re-spelled here.
import { ColumnDef, TableDef } from '../../storage/api';
import { DataType, Types, formatType } from '../../types/data-type';
import { castScalar } from '../../types/cast';
import { DEFAULT_FORMAT, formatScalar } from '../../types/text-format';
import { parseSql } from '../parse';
import { quoteIdent } from '../../types/pg-types';

export { quoteIdent };

/** A type's name as a cast target in deparsed expressions (no modifier, as PostgreSQL prints it). */
function castName(t: DataType): string {
  if (t.name === 'bpchar') return 'bpchar';
  return formatType({ ...t, typmod: -1 });
}

function quoteLiteral(s: string): string {
  return "'" + s.replace(/'/g, "''") + "'";
}

/** The default of `col` as pg_get_expr(adbin, adrelid) prints it. */
export function deparseDefault(col: ColumnDef): string | null {
  if (col.defaultSql === null) return null;
  let node: any;
  try {
    node = parseSql(`SELECT ${col.defaultSql}`)[0].ast!.SelectStmt.targetList[0].ResTarget.val;
  } catch {
    return col.defaultSql;
  }
  // DEFAULT NULL stores no default at all in PostgreSQL (atthasdef is false).
  if ((node.TypeCast?.arg ?? node).A_Const?.isnull === true) return null;
  return deparseConstFor(node, col.type) ?? col.defaultSql;
}

/** A literal (possibly cast, possibly negated) as PostgreSQL prints the stored constant, or null for anything else. */
function deparseConstFor(node: any, type: DataType): string | null {
  let n = node;
  if (n.TypeCast !== undefined) n = n.TypeCast.arg;
  let negate = false;
  if (n.A_Expr !== undefined && n.A_Expr.kind === 'AEXPR_OP' && n.A_Expr.lexpr === undefined && n.A_Expr.name?.[0]?.String?.sval === '-') {
    negate = true;
    n = n.A_Expr.rexpr;
  }
  const c = n.A_Const;
  if (c !== undefined) {
    if (c.isnull) return `NULL::${castName(type)}`;
    if (c.boolval !== undefined) return c.boolval.boolval === true ? 'true' : 'false';
    const neg = (t: string) => (negate ? (t.startsWith('-') ? t.slice(1) : '-' + t) : t);
    // Number literals keep their own type (int4, int8 or numeric); the cast to the column's type is implicit.
    if (c.ival !== undefined) return constText(neg(String(c.ival.ival ?? 0)), Types.int4);
    if (c.fval !== undefined) {
      const text = neg(c.fval.fval);
      if (/^-?\d+$/.test(text) && Number.isSafeInteger(Number(text))) return constText(text, Types.int8);
      try {
        return constText(formatScalar(Types.numeric, castScalar(text, Types.text, Types.numeric, DEFAULT_FORMAT, false), DEFAULT_FORMAT)!, Types.numeric);
      } catch {
        return null;
      }
    }
    if (c.sval === undefined) return null;
    // A string literal becomes a constant of the column's type (without its modifier).
    const base: DataType = type.typmod === -1 ? type : { ...type, typmod: -1 };
    const raw = neg(c.sval.sval ?? '');
    if (type.storage === 'string') return constText(raw, base);
    try {
      return constText(formatScalar(base, castScalar(raw, Types.text, base, DEFAULT_FORMAT, false), DEFAULT_FORMAT)!, base);
    } catch {
      return null;
    }
  }
  if (node.FuncCall !== undefined && (node.FuncCall.args ?? []).length === 0) {
    const names = node.FuncCall.funcname.map((f: any) => f.String.sval);
    return `${names[names.length - 1]}()`;
  }
  if (node.SQLValueFunction !== undefined) {
    const map: Record<string, string> = {
      SVFOP_CURRENT_DATE: 'CURRENT_DATE',
      SVFOP_CURRENT_TIMESTAMP: 'CURRENT_TIMESTAMP',
      SVFOP_LOCALTIMESTAMP: 'LOCALTIMESTAMP',
      SVFOP_CURRENT_USER: 'CURRENT_USER',
      SVFOP_SESSION_USER: 'SESSION_USER',
    };
    return map[node.SQLValueFunction.op] ?? null;
  }
  return null;
}

/** A constant of `type` as ruleutils' get_const_expr prints it. */
function constText(value: string, type: DataType): string {
  if (type.name === 'int4' && !value.startsWith('-')) return value;
  if (type.name === 'numeric' && /^\d/.test(value) && /[.eE]/.test(value)) return value;
  if (type.name === 'bool') return value === 't' ? 'true' : 'false';
  return `${quoteLiteral(value)}::${castName(type)}`;
}

/** pg_get_indexdef() of a table's primary-key index. */
export function primaryKeyIndexDef(table: TableDef, qualified: boolean): string {
  const cols = table.primaryKey!.map((i) => quoteIdent(table.columns[i].name)).join(', ');
  return `CREATE UNIQUE INDEX ${quoteIdent(table.primaryKeyName!)} ON ${qualified ? quoteIdent(table.schema) + '.' : ''}${quoteIdent(table.name)} USING btree (${cols})`;
}

/** pg_get_constraintdef() of a table's primary key. */
export function primaryKeyConstraintDef(table: TableDef): string {
  return `PRIMARY KEY (${table.primaryKey!.map((i) => quoteIdent(table.columns[i].name)).join(', ')})`;
}
