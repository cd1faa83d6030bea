// pg_get_viewdef(view, true): the view's SELECT written back as PostgreSQL's ruleutils prints it in
// pretty mode — columns qualified by their table or alias, every computed output named with AS,
// literals with the casts the parser added (amount > 100::numeric, name::text = 'bob'::text), one
// clause per line with ruleutils' indentation. Covers plain single-level SELECTs over tables
// (joins, WHERE, GROUP BY, HAVING, ORDER BY, LIMIT) with comparisons, AND/OR/NOT, arithmetic, IS
// [NOT] NULL and calls; anything else returns null and the caller shows the stored SQL text.
import { DataType, Types, formatType } from '../../types/data-type';
import { parseSql } from '../parse';
import { ModelRelation } from './catalog-model';
import { quoteIdent } from '../../types/pg-types';

class Unsupported extends Error {}
const unsupported = (): never => {
  throw new Unsupported();
};

interface Item {
  /** Name columns are qualified with (the alias, else the table name). */
  qualifier: string;
  rel: ModelRelation;
}
interface Typed {
  text: string;
  type: DataType;
  /** An untyped string literal (its cast is decided by the other operand). */
  literal?: string;
  /** A bare number literal (printed as is, or with a cast next to another type). */
  number?: boolean;
  /** Operator precedence of the text (higher binds tighter), for parentheses. */
  prec: number;
}

const NUMERIC_RANK: Record<string, number> = { int2: 1, int4: 2, int8: 3, numeric: 4, float4: 5, float8: 6 };
const INTEGER = new Set(['int2', 'int4', 'int8']);
const PREC: Record<string, number> = { OR: 1, AND: 2, NOT: 3, CMP: 4, IS: 5, '+': 6, '-': 6, '*': 7, '/': 7, '%': 7 };

export function deparseView(sql: string, relations: ModelRelation[]): string | null {
  try {
    const parsed = parseSql(sql);
    if (parsed.length !== 1) return null;
    const stmt = parsed[0].ast?.SelectStmt;
    if (stmt === undefined) return null;
    return new ViewDeparser(relations).select(stmt) + ';';
  } catch (err) {
    if (err instanceof Unsupported) return null;
    throw err;
  }
}

class ViewDeparser {
  private items: Item[] = [];
  constructor(private readonly relations: ModelRelation[]) {}

  select(s: any): string {
    if ((s.op !== undefined && s.op !== 'SETOP_NONE') || s.withClause || s.distinctClause || s.valuesLists || s.lockingClause || s.limitOffset) unsupported();
    const from: any[] = s.fromClause ?? [];
    const fromText = from.map((f) => this.fromItem(f, true));
    const targets: string[] = [];
    for (const t of s.targetList ?? []) targets.push(...this.target(t.ResTarget));
    let out = ' SELECT ' + targets.join(',\n    ');
    if (fromText.length > 0) out += '\n   FROM ' + fromText.join(',\n    ');
    if (s.whereClause !== undefined) out += '\n  WHERE ' + this.expr(s.whereClause).text;
    if (s.groupClause !== undefined) out += '\n  GROUP BY ' + s.groupClause.map((g: any) => this.expr(g).text).join(', ');
    if (s.havingClause !== undefined) out += '\n HAVING ' + this.expr(s.havingClause).text;
    if (s.sortClause !== undefined) out += '\n  ORDER BY ' + s.sortClause.map((x: any) => this.sortBy(x.SortBy)).join(', ');
    if (s.limitCount !== undefined) out += '\n LIMIT ' + this.expr(s.limitCount).text;
    return out;
  }

  private fromItem(f: any, top: boolean): string {
    if (f.RangeVar !== undefined) {
      const rv = f.RangeVar;
      if (rv.schemaname !== undefined && rv.schemaname !== 'public') unsupported();
      const rel = this.relations.find((r) => r.name === rv.relname && r.schema === 'public' && (r.kind === 'r' || r.kind === 'v'));
      if (rel === undefined) return unsupported();
      const alias: string | undefined = rv.alias?.aliasname;
      if (rv.alias?.colnames !== undefined) unsupported();
      this.items.push({ qualifier: alias ?? rel.name, rel });
      return quoteIdent(rel.name) + (alias !== undefined ? ' ' + quoteIdent(alias) : '');
    }
    if (f.JoinExpr !== undefined) {
      const j = f.JoinExpr;
      if (j.isNatural || j.usingClause !== undefined || j.alias !== undefined || j.quals === undefined) unsupported();
      const kinds: Record<string, string> = { JOIN_INNER: 'JOIN', JOIN_LEFT: 'LEFT JOIN', JOIN_RIGHT: 'RIGHT JOIN', JOIN_FULL: 'FULL JOIN' };
      const kind = kinds[j.jointype] ?? unsupported();
      const left = this.fromItem(j.larg, false);
      const right = this.fromItem(j.rarg, false);
      void top;
      return `${left}\n     ${kind} ${right} ON ${this.expr(j.quals).text}`;
    }
    return unsupported();
  }

  private target(rt: any): string[] {
    const v = rt.val;
    if (v.ColumnRef?.fields?.some((f: any) => f.A_Star !== undefined)) {
      if (rt.name !== undefined) unsupported();
      const names: string[] = v.ColumnRef.fields.filter((f: any) => f.String !== undefined).map((f: any) => f.String.sval);
      const items = names.length === 0 ? this.items : this.items.filter((i) => i.qualifier === names[0]);
      if (items.length === 0) unsupported();
      return items.flatMap((i) => i.rel.columns.map((c) => `${quoteIdent(i.qualifier)}.${quoteIdent(c.name)}`));
    }
    const e = this.expr(v, true);
    const isColumn = v.ColumnRef !== undefined;
    const natural = isColumn ? v.ColumnRef.fields[v.ColumnRef.fields.length - 1].String.sval : v.FuncCall !== undefined ? v.FuncCall.funcname[v.FuncCall.funcname.length - 1].String.sval : undefined;
    const name: string | undefined = rt.name ?? natural;
    if (name === undefined) unsupported();
    return [isColumn && name === natural ? e.text : `${e.text} AS ${quoteIdent(name!)}`];
  }

  private sortBy(sb: any): string {
    if (sb.sortby_nulls !== 'SORTBY_NULLS_DEFAULT' || sb.sortby_dir === 'SORTBY_USING') unsupported();
    const e = this.expr(sb.node).text;
    return sb.sortby_dir === 'SORTBY_DESC' ? e + ' DESC' : e;
  }

  private column(fields: string[]): Typed {
    const name = fields[fields.length - 1];
    const matches: { item: Item; type: DataType }[] = [];
    for (const item of this.items) {
      if (fields.length === 2 && item.qualifier !== fields[0]) continue;
      const col = item.rel.columns.find((c) => c.name === name);
      if (col !== undefined) matches.push({ item, type: col.type });
    }
    if (matches.length !== 1 || fields.length > 2) return unsupported();
    return { text: `${quoteIdent(matches[0].item.qualifier)}.${quoteIdent(name)}`, type: matches[0].type, prec: 9 };
  }

  /** `top`: a select-list item, where an untyped literal becomes text. */
  private expr(node: any, top = false): Typed {
    const [tag] = Object.keys(node);
    const n = node[tag];
    switch (tag) {
      case 'ColumnRef':
        return this.column(n.fields.map((f: any) => f.String?.sval ?? unsupported()));
      case 'A_Const': {
        if (n.ival !== undefined) return { text: String(n.ival.ival ?? 0), type: Types.int4, number: true, prec: 9 };
        if (n.fval !== undefined) return { text: n.fval.fval, type: /^-?\d+$/.test(n.fval.fval) ? Types.int8 : Types.numeric, number: true, prec: 9 };
        if (n.sval !== undefined) {
          const lit = quoteLiteral(n.sval.sval ?? '');
          return top ? { text: lit + '::text', type: Types.text, prec: 9 } : { text: lit, type: Types.unknown, literal: lit, prec: 9 };
        }
        if (n.boolval !== undefined) return { text: n.boolval.boolval ? 'true' : 'false', type: Types.bool, prec: 9 };
        return unsupported();
      }
      case 'A_Expr': {
        if (n.kind !== 'AEXPR_OP' || n.lexpr === undefined) return unsupported();
        const op: string = n.name[n.name.length - 1].String.sval;
        const l = this.expr(n.lexpr);
        const r = this.expr(n.rexpr);
        const cmp = ['=', '<>', '!=', '<', '>', '<=', '>='].includes(op);
        if (!cmp && PREC[op] === undefined) unsupported();
        const [a, b, type] = unify(l, r);
        const prec = cmp ? PREC.CMP : PREC[op];
        return { text: `${paren(a, prec)} ${op === '!=' ? '<>' : op} ${paren(b, prec + (cmp ? 0 : 1))}`, type: cmp ? Types.bool : type, prec };
      }
      case 'BoolExpr': {
        const args: Typed[] = n.args.map((a: any) => this.expr(a));
        if (n.boolop === 'NOT_EXPR') return { text: `NOT ${paren(args[0], PREC.NOT + 1)}`, type: Types.bool, prec: PREC.NOT };
        const word = n.boolop === 'AND_EXPR' ? 'AND' : 'OR';
        return { text: args.map((a) => paren(a, PREC[word])).join(` ${word} `), type: Types.bool, prec: PREC[word] };
      }
      case 'NullTest': {
        const a = this.expr(n.arg);
        return { text: `${paren(a, PREC.IS + 1)} ${n.nulltesttype === 'IS_NOT_NULL' ? 'IS NOT NULL' : 'IS NULL'}`, type: Types.bool, prec: PREC.IS };
      }
      case 'FuncCall':
        return this.call(n);
      default:
        return unsupported();
    }
  }

  private call(n: any): Typed {
    if (n.over !== undefined || n.agg_filter !== undefined || n.agg_order !== undefined || n.agg_distinct || n.funcname.length !== 1) unsupported();
    const name: string = n.funcname[0].String.sval;
    if (n.agg_star) {
      if (name !== 'count') unsupported();
      return { text: 'count(*)', type: Types.int8, prec: 9 };
    }
    const args: Typed[] = (n.args ?? []).map((a: any) => this.expr(a));
    if (args.some((a) => a.literal !== undefined)) unsupported();
    const text = `${name}(${args.map((a) => a.text).join(', ')})`;
    const t = args[0]?.type;
    switch (name) {
      case 'count':
        return { text, type: Types.int8, prec: 9 };
      case 'sum':
        return { text, type: t !== undefined && (t.name === 'int2' || t.name === 'int4') ? Types.int8 : t !== undefined && t.name === 'int8' ? Types.numeric : (t ?? unsupported()), prec: 9 };
      case 'min':
      case 'max':
        return { text, type: t ?? unsupported(), prec: 9 };
      case 'avg':
        return { text, type: t !== undefined && (t.name === 'float4' || t.name === 'float8') ? Types.float8 : Types.numeric, prec: 9 };
      case 'upper':
      case 'lower':
        return { text, type: Types.text, prec: 9 };
      default:
        return unsupported();
    }
  }
}

function quoteLiteral(s: string): string {
  return "'" + s.replace(/'/g, "''") + "'";
}

function paren(e: Typed, prec: number): string {
  return e.prec < prec ? `(${e.text})` : e.text;
}

/** A value shown with a cast as ruleutils prints one: 100::numeric, (-1)::numeric, o.id::numeric. */
function cast(e: Typed, to: DataType): Typed {
  const name = formatType(to);
  const inner = e.text.startsWith('-') || e.prec < 9 ? `(${e.text})` : e.text;
  return { text: `${inner}::${name}`, type: to, prec: 9 };
}

/** Both operands of an operator as PostgreSQL resolves them, with the casts it adds. */
function unify(l: Typed, r: Typed): [Typed, Typed, DataType] {
  if (l.literal !== undefined && r.literal !== undefined) return unsupported();
  if (l.literal !== undefined) {
    const [b, a, t] = unify(r, l);
    return [a, b, t];
  }
  if (r.literal !== undefined) {
    // varchar and name columns compare as text (PostgreSQL has no varchar = operator).
    if (l.type.name === 'varchar' || l.type.name === 'name') return [cast(l, Types.text), { ...r, text: `${r.literal}::text`, type: Types.text }, Types.text];
    const t = l.type.name === 'bpchar' ? Types.bpchar : l.type.typmod === -1 ? l.type : ({ ...l.type, typmod: -1 } as DataType);
    return [l, { ...r, text: `${r.literal}::${formatType(t)}`, type: t }, t];
  }
  if (l.type === r.type || (l.type.name === r.type.name && l.type.typmod === -1)) return [l, r, l.type];
  const rl = NUMERIC_RANK[l.type.name];
  const rr = NUMERIC_RANK[r.type.name];
  if (rl !== undefined && rr !== undefined) {
    // int2/int4/int8 have cross-type operators among themselves (so have float4/float8): no cast.
    if ((INTEGER.has(l.type.name) && INTEGER.has(r.type.name)) || (rl >= 5 && rr >= 5)) return [l, r, rl >= rr ? l.type : r.type];
    if (l.type.name === r.type.name) return [l, r, l.type];
    const target = rl >= rr ? baseType(l.type) : baseType(r.type);
    return [rl >= rr ? l : cast(r, target), rl >= rr ? cast(r, target) : r, target];
  }
  if (l.type.name === r.type.name) return [l, r, l.type];
  return unsupported();
}

function baseType(t: DataType): DataType {
  return t.name === 'numeric' ? Types.numeric : t;
}
