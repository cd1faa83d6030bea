// pg_get_viewdef(view[, pretty]): the view's SELECT written back as PostgreSQL's ruleutils prints
// it — columns qualified by their table or alias, every computed output named with AS, literals
// folded to their type as the parser does ('2024-01-01 00:00:00'::timestamp without time zone,
// '-2'::integer) and the casts it adds (amount > 100::numeric, name::text = 'bob'::text), one clause
// per line with ruleutils' indentation; without `pretty`, every operator and cast in parentheses. Covers plain single-level SELECTs over tables
// (joins, WHERE, GROUP BY, HAVING, ORDER BY, LIMIT) with comparisons, AND/OR/NOT, arithmetic, IS
// [NOT] NULL and calls; anything else returns null and the caller shows the stored SQL text.
import { DataType, Types, formatType } from '../../types/data-type';
import { parseDecimal, decimalToString } from '../../types/numeric';
import { DEFAULT_FORMAT, formatScalar, parseScalar } from '../../types/text-format';
import { parseSql } from '../parse';
import { ModelRelation } from './catalog-model';
import { resolveTypeName } from '../type-names';
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

export function deparseView(sql: string, relations: ModelRelation[], pretty = true): string | null {
  try {
    const parsed = parseSql(sql);
    if (parsed.length !== 1) return null;
    const stmt = parsed[0].ast?.SelectStmt;
    if (stmt === undefined) return null;
    return new ViewDeparser(relations, pretty).select(stmt) + ';';
  } catch (err) {
    if (err instanceof Unsupported) return null;
    throw err;
  }
}

class ViewDeparser {
  private items: Item[] = [];
  private targets: Typed[] = [];
  constructor(
    private readonly relations: ModelRelation[],
    private readonly pretty: boolean,
  ) {}

  /** An operator expression: parenthesized always without `pretty`, by precedence with it. */
  private op(text: string, type: DataType, prec: number): Typed {
    return this.pretty ? { text, type, prec } : { text: `(${text})`, type, prec: 9 };
  }
  private sub(e: Typed, prec: number): string {
    return this.pretty ? paren(e, prec) : e.text;
  }
  /** A cast the parser added: x::t, (x)::t without `pretty`. */
  private cast(e: Typed, to: DataType): Typed {
    const name = formatType(to);
    if (!this.pretty) return { text: `(${e.text})::${name}`, type: to, prec: 9 };
    return { text: `${e.prec < 9 ? `(${e.text})` : e.text}::${name}`, type: to, prec: 9 };
  }
  /** A literal coerced to `type` while parsing: a constant of that type. */
  private literalAs(literal: string, type: DataType): Typed {
    const value = parseScalar(type, literal, DEFAULT_FORMAT);
    return constant(formatScalar(type, value, DEFAULT_FORMAT)!, type);
  }

  select(s: any): string {
    if ((s.op !== undefined && s.op !== 'SETOP_NONE') || s.withClause || s.distinctClause || s.valuesLists || s.lockingClause || s.limitOffset) unsupported();
    const from: any[] = s.fromClause ?? [];
    const fromText = from.map((f) => this.fromItem(f, true));
    const targets: string[] = [];
    for (const t of s.targetList ?? []) targets.push(...this.target(t.ResTarget));
    const byPosition = (node: any): string => {
      const k = node.A_Const?.ival?.ival;
      if (k !== undefined && node.A_Const !== undefined) return (this.targets[k - 1] ?? unsupported()).text;
      return this.expr(node).text;
    };
    let out = ' SELECT ' + targets.join(',\n    ');
    if (fromText.length > 0) out += '\n   FROM ' + fromText.join(',\n    ');
    if (s.whereClause !== undefined) out += '\n  WHERE ' + this.expr(s.whereClause).text;
    if (s.groupClause !== undefined) out += '\n  GROUP BY ' + s.groupClause.map(byPosition).join(', ');
    if (s.havingClause !== undefined) out += '\n HAVING ' + this.expr(s.havingClause).text;
    if (s.sortClause !== undefined) out += '\n  ORDER BY ' + s.sortClause.map((x: any) => this.sortBy(x.SortBy, byPosition)).join(', ');
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
      if (this.pretty) return `${left}\n     ${kind} ${right} ON ${this.expr(j.quals).text}`;
      return `(${left}\n     ${kind} ${right} ON (${this.expr(j.quals).text}))`;
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
      return items.flatMap((i) =>
        i.rel.columns.map((c) => {
          const text = `${quoteIdent(i.qualifier)}.${quoteIdent(c.name)}`;
          this.targets.push({ text, type: c.type, prec: 9 });
          return text;
        }),
      );
    }
    const e = this.expr(v, true);
    this.targets.push(e);
    const isColumn = v.ColumnRef !== undefined;
    const natural = isColumn ? v.ColumnRef.fields[v.ColumnRef.fields.length - 1].String.sval : v.FuncCall !== undefined ? v.FuncCall.funcname[v.FuncCall.funcname.length - 1].String.sval : undefined;
    const name: string | undefined = rt.name ?? natural;
    if (name === undefined) unsupported();
    return [isColumn && name === natural ? e.text : `${e.text} AS ${quoteIdent(name!)}`];
  }

  private sortBy(sb: any, byPosition: (node: any) => string): string {
    if (sb.sortby_nulls !== 'SORTBY_NULLS_DEFAULT' || sb.sortby_dir === 'SORTBY_USING') unsupported();
    const e = byPosition(sb.node);
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
        if (n.ival !== undefined) return { ...constant(String(n.ival.ival ?? 0), Types.int4), number: true };
        if (n.fval !== undefined) {
          const text: string = n.fval.fval;
          if (/^-?\d+$/.test(text)) return { ...constant(text, Types.int8), number: true };
          const d = parseDecimal(text);
          return d === null ? unsupported() : { ...constant(decimalToString(d), Types.numeric), number: true };
        }
        if (n.sval !== undefined) {
          const literal: string = n.sval.sval ?? '';
          return top ? constant(literal, Types.text) : { text: quoteLiteral(literal), type: Types.unknown, literal, prec: 9 };
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
        const [a, b, type] = this.unify(l, r);
        const prec = cmp ? PREC.CMP : PREC[op];
        return this.op(`${this.sub(a, prec)} ${op === '!=' ? '<>' : op} ${this.sub(b, prec + (cmp ? 0 : 1))}`, cmp ? Types.bool : type, prec);
      }
      case 'BoolExpr': {
        const args: Typed[] = n.args.map((a: any) => this.expr(a));
        if (args.some((a) => a.literal !== undefined)) unsupported();
        if (n.boolop === 'NOT_EXPR') return this.op(`NOT ${this.sub(args[0], PREC.NOT + 1)}`, Types.bool, PREC.NOT);
        const word = n.boolop === 'AND_EXPR' ? 'AND' : 'OR';
        return this.op(args.map((a) => this.sub(a, PREC[word] + 1)).join(` ${word} `), Types.bool, PREC[word]);
      }
      case 'NullTest': {
        const a = this.expr(n.arg);
        if (a.literal !== undefined) unsupported();
        return this.op(`${this.sub(a, PREC.IS + 1)} ${n.nulltesttype === 'IS_NOT_NULL' ? 'IS NOT NULL' : 'IS NULL'}`, Types.bool, PREC.IS);
      }
      case 'FuncCall':
        return this.call(n);
      case 'TypeCast': {
        if ((n.typeName.arrayBounds ?? []).length > 0) unsupported();
        const to = resolveTypeName(n.typeName).type;
        const arg = this.expr(n.arg);
        if (arg.literal !== undefined) return this.literalAs(arg.literal, to);
        return arg.type === to ? arg : this.cast(arg, to);
      }
      default:
        return unsupported();
    }
  }

  /** Both operands of an operator as PostgreSQL resolves them, with the casts it adds. */
  private unify(l: Typed, r: Typed): [Typed, Typed, DataType] {
    if (l.literal !== undefined && r.literal !== undefined) return unsupported();
    if (l.literal !== undefined) {
      const [b, a, t] = this.unify(r, l);
      return [a, b, t];
    }
    if (r.literal !== undefined) {
      // varchar and name columns compare as text (PostgreSQL has no varchar = operator).
      if (l.type.name === 'varchar' || l.type.name === 'name') return [this.cast(l, Types.text), this.literalAs(r.literal, Types.text), Types.text];
      const t = l.type.name === 'bpchar' ? Types.bpchar : l.type.name === 'numeric' ? Types.numeric : l.type;
      if (t.typmod !== -1) unsupported();
      return [l, this.literalAs(r.literal, t), t];
    }
    if (l.type === r.type || (l.type.name === r.type.name && (l.type.name === 'numeric' || l.type.typmod === -1))) return [l, r, baseType(l.type)];
    const rl = NUMERIC_RANK[l.type.name];
    const rr = NUMERIC_RANK[r.type.name];
    if (rl !== undefined && rr !== undefined) {
      // int2/int4/int8 have cross-type operators among themselves (so have float4/float8): no cast.
      if ((INTEGER.has(l.type.name) && INTEGER.has(r.type.name)) || (rl >= 5 && rr >= 5)) return [l, r, rl >= rr ? l.type : r.type];
      const target = rl >= rr ? baseType(l.type) : baseType(r.type);
      return rl >= rr ? [l, this.cast(r, target), target] : [this.cast(l, target), r, target];
    }
    return unsupported();
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

/**
 * A constant as ruleutils prints one: non-negative int4 bare, numeric bare when it has a point or
 * exponent, true/false, anything else quoted with its type ('-2'::integer, '1000'::numeric).
 */
function constant(text: string, type: DataType): Typed {
  if (type.name === 'int4' && /^\d+$/.test(text)) return { text, type, prec: 9 };
  if (type.name === 'numeric' && /^\d/.test(text) && /[.eE]/.test(text)) return { text, type, prec: 9 };
  if (type.name === 'bool') return { text: text === 't' || text === 'true' ? 'true' : 'false', type, prec: 9 };
  return { text: `${quoteLiteral(text)}::${formatType(type)}`, type, prec: 9 };
}
function baseType(t: DataType): DataType {
  return t.name === 'numeric' ? Types.numeric : t;
}
