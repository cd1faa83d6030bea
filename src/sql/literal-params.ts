// Numeric literals of a simple-query string as parameters, so that strings which differ only in
// those literals ("... aid = 17" then "... aid = 92", as pgbench and many applications send them)
// share one parse and one bound plan (the session's statement cache, engine/statement-cache.ts).
//
// Two steps, both conservative:
// - scanLiterals lexes the string far enough to find its numeric literals and to build a key in
//   which each literal is a marker; a string it cannot lex with certainty (comments, backslashes,
//   dollar quotes, $n parameters, non-ASCII, odd number forms) has no key. Two strings with one key
//   are the same token sequence except for numeric literal values, so they parse to the same AST
//   except for the values of those literals' A_Const nodes.
// - parameterize checks that claim against the parser's own output for one string: every literal is
//   an A_Const at its spot holding exactly the value lexing predicts (with a folded unary minus
//   or without), and there is no numeric A_Const the grammar made up. Literals in value positions
//   (an operator's operand, an INSERT VALUES item, an UPDATE SET value) become ParamRefs; others
//   (LIMIT 10, ORDER BY 1, varchar(10), ...) stay fixed: their exact text is part of the shape.

/** One numeric literal of a query string. */
export interface Literal {
  /** Offset of its first character and one past its last. */
  start: number;
  end: number;
  /** Offset of a '-' just before it (only whitespace between), else -1. */
  minus: number;
  /** The second character of its marker in the key: i (at most 9 digits), b (more) or n (not an integer). */
  marker: number;
}

/** A query string's key (numeric literals replaced by markers) and its literals, in order. */
export interface LiteralScan {
  /** Made on first use (a string whose shape is cached is matched by hash and matches() instead). */
  readonly key: string;
  readonly literals: Literal[];
  /** keyHash(key), computed while scanning. */
  readonly hash: number;
  /** Whether `key` is this string's key, compared in place (no key string made). */
  matches(key: string): boolean;
  /** matches(known.key), with the key split once beforehand (the statement cache keeps it so). */
  matchesKnown(known: KnownKey): boolean;
}

/** A key split at its literal markers: the texts between them, and the markers' second characters. */
export interface KnownKey {
  readonly key: string;
  readonly texts: readonly string[];
  readonly markers: readonly number[];
}

export function knownKey(key: string): KnownKey {
  const texts: string[] = [];
  const markers: number[] = [];
  let from = 0;
  for (let at = key.indexOf('\0'); at >= 0; at = key.indexOf('\0', from)) {
    texts.push(key.slice(from, at));
    markers.push(key.charCodeAt(at + 1));
    from = at + 2;
  }
  texts.push(key.slice(from));
  return { key, texts, markers };
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function hashRange(h: number, s: string, from: number, to: number): number {
  for (let i = from; i < to; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h;
}

/** The hash of a key (FNV-1a over its UTF-16 units, 30 bits: a small integer to V8), as scanLiterals computes it for a string's key. */
export function keyHash(key: string): number {
  return hashRange(FNV_OFFSET, key, 0, key.length) & 0x3fffffff;
}

class Scan implements LiteralScan {
  private madeKey: string | null = null;
  constructor(
    private readonly sql: string,
    readonly literals: Literal[],
    readonly hash: number,
  ) {}

  get key(): string {
    if (this.madeKey !== null) return this.madeKey;
    const sql = this.sql;
    let key = '';
    let from = 0;
    for (const lit of this.literals) {
      key += sql.slice(from, lit.start) + '\0' + String.fromCharCode(lit.marker);
      from = lit.end;
    }
    return (this.madeKey = key + sql.slice(from));
  }

  matches(key: string): boolean {
    return this.matchesKnown(knownKey(key));
  }

  matchesKnown(known: KnownKey): boolean {
    const sql = this.sql;
    const literals = this.literals;
    const texts = known.texts;
    if (texts.length !== literals.length + 1) return false;
    let from = 0;
    for (let l = 0; l < literals.length; l++) {
      const lit = literals[l];
      const text = texts[l];
      // startsWith compares natively, without a substring of sql.
      if (lit.start - from !== text.length || known.markers[l] !== lit.marker || !sql.startsWith(text, from)) return false;
      from = lit.end;
    }
    const last = texts[literals.length];
    return sql.length - from === last.length && sql.startsWith(last, from);
  }
}

/** Longer strings are not cached (the cache is for short statements sent over and over). */
const MAX_LENGTH = 2048;

const isDigit = (c: number) => c >= 48 && c <= 57;
const isIdentChar = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || isDigit(c) || c === 95 || c === 36;
const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13 || c === 12;

/** Skips a quoted string or identifier whose opening quote is at i; -1 when unterminated or not ASCII. */
function skipQuoted(sql: string, i: number, quote: number): number {
  for (let j = i + 1; j < sql.length; j++) {
    const c = sql.charCodeAt(j);
    if (c > 0x7e) return -1;
    if (c !== quote) continue;
    if (sql.charCodeAt(j + 1) === quote) j++;
    else return j + 1;
  }
  return -1;
}

/** The literals of a query string and its key; null when the string is not one we lex with certainty. */
export function scanLiterals(sql: string): LiteralScan | null {
  const n = sql.length;
  if (n > MAX_LENGTH) return null;
  const literals: Literal[] = [];
  let hash = FNV_OFFSET;
  let from = 0;
  let i = 0;
  while (i < n) {
    const c = sql.charCodeAt(i);
    // Offsets must be both characters and the parser's bytes; backslashes (E'' strings) and '$'
    // (parameters, dollar quotes) are beyond this lexer.
    if (c > 0x7e || c === 92 || c === 0) return null;
    if (c === 39 || c === 34) {
      i = skipQuoted(sql, i, c);
      if (i < 0) return null;
    } else if (c === 36) {
      return null;
    } else if (c === 45 && sql.charCodeAt(i + 1) === 45) {
      return null; // -- comment
    } else if (c === 47 && sql.charCodeAt(i + 1) === 42) {
      return null; // /* comment */
    } else if (isIdentChar(c) && !isDigit(c)) {
      i++;
      while (i < n && isIdentChar(sql.charCodeAt(i))) i++;
    } else if (isDigit(c) || (c === 46 && isDigit(sql.charCodeAt(i + 1)))) {
      const start = i;
      let integer = true;
      while (isDigit(sql.charCodeAt(i))) i++;
      if (sql.charCodeAt(i) === 46) {
        integer = false;
        i++;
        while (isDigit(sql.charCodeAt(i))) i++;
      }
      const e = sql.charCodeAt(i);
      if (e === 101 || e === 69) {
        integer = false;
        let j = i + 1;
        if (sql.charCodeAt(j) === 43 || sql.charCodeAt(j) === 45) j++;
        if (!isDigit(sql.charCodeAt(j))) return null;
        i = j;
        while (isDigit(sql.charCodeAt(i))) i++;
      }
      // 1_000, 0x1F, 1.2.3, 12abc: forms left to the parser.
      const next = sql.charCodeAt(i);
      if (i < n && (isIdentChar(next) || next === 46)) return null;
      let m = start - 1;
      while (m >= 0 && isSpace(sql.charCodeAt(m))) m--;
      // The marker tells small integers, big ones and decimals apart (a hint only: the cache
      // compares the literal's bound type anyway).
      const marker = integer ? (i - start <= 9 ? 105 : 98) : 110;
      literals.push({ start, end: i, minus: m >= 0 && sql.charCodeAt(m) === 45 ? m : -1, marker });
      hash = Math.imul(Math.imul(hashRange(hash, sql, from, start) ^ 0, FNV_PRIME) ^ marker, FNV_PRIME);
      from = i;
    } else i++;
  }
  return new Scan(sql, literals, hashRange(hash, sql, from, n) & 0x3fffffff);
}

/** A literal as the grammar makes it: an Integer (int4 range) or a Float holding the text. */
export type LiteralValue = { ival: number } | { fval: string };

export function literalValue(sql: string, lit: Literal, negated: boolean): LiteralValue {
  const text = sql.slice(lit.start, lit.end);
  if (/^[0-9]+$/.test(text)) {
    // The grammar makes an integer that does not fit int4 a Float (and negates after).
    const v = Number(text);
    if (v <= 2147483647) return { ival: negated ? -v : v };
  }
  return { fval: negated ? '-' + text : text };
}

/** The A_Const body libpg-query produces for a value (a zero int is an empty Integer there). */
export function constBody(v: LiteralValue): Record<string, unknown> {
  if ('ival' in v) return { ival: v.ival === 0 ? {} : { ival: v.ival } };
  return { fval: { fval: v.fval } };
}

function sameValue(v: LiteralValue, node: Record<string, any>): boolean {
  if ('ival' in v) return node.ival !== undefined && (node.ival.ival ?? 0) === v.ival;
  return node.fval !== undefined && node.fval.fval === v.fval;
}

/** How one literal of a shape is used: as parameter `param` (0-based), or fixed (param -1). */
export interface LiteralSlot {
  param: number;
  /** The grammar folded a unary minus before it into the constant. */
  negated: boolean;
  /** For a fixed literal: its text, which a string of the same shape must repeat exactly. */
  text: string;
}

export interface ParameterizedStatement {
  /** The statement's AST with its value literals replaced by ParamRef $1, $2, ... */
  ast: Record<string, any>;
  slots: LiteralSlot[];
  /** Every relation the statement names (schema undefined when unqualified). */
  relations: { schema: string | undefined; name: string }[];
}

/** Statement kinds whose literals may become parameters. */
const CACHEABLE = new Set(['SelectStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt', 'TransactionStmt']);

/** Operators whose operands are plain values to the binder (resolved by their types only). */
const VALUE_OPERATORS = new Set(['+', '-', '*', '/', '%', '=', '<>', '!=', '<', '<=', '>', '>=']);

interface FoundConst {
  body: Record<string, any>;
  /** In a value position (see VALUE_OPERATORS and the header). */
  value: boolean;
}

interface Collected {
  consts: Map<number, FoundConst[]>;
  relations: ParameterizedStatement['relations'];
}

/** Walks every field of an AST node (tags and field names alike are keys). */
function collect(node: unknown, out: Collected): void {
  if (node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) for (const x of node) collect(x, out);
  else for (const k in node as Record<string, unknown>) field(k, (node as Record<string, any>)[k], false, false, out);
}

/**
 * One key of an AST object and its value: records numeric A_Consts (in a value position or not)
 * and relation names. `insertValues`: a SelectStmt here is an INSERT's source (its VALUES items are values).
 */
function field(key: string, n: any, valuePosition: boolean, insertValues: boolean, out: Collected): void {
  if (n === null || typeof n !== 'object') return;
  switch (key) {
    case 'A_Const':
      if (n.ival !== undefined || n.fval !== undefined) {
        const loc: number = n.location ?? -1;
        const list = out.consts.get(loc);
        const found = { body: n, value: valuePosition };
        if (list === undefined) out.consts.set(loc, [found]);
        else list.push(found);
      }
      return;
    case 'RangeVar':
    case 'relation': // InsertStmt/UpdateStmt/DeleteStmt hold their RangeVar without the tag
      if (typeof n.relname === 'string') out.relations.push({ schema: n.schemaname, name: n.relname });
      break;
    case 'A_Expr': {
      const op = n.kind === 'AEXPR_OP' && n.name?.length === 1 ? n.name[0].String?.sval : undefined;
      const operand = op !== undefined && VALUE_OPERATORS.has(op);
      for (const k in n) {
        if (k === 'lexpr' || k === 'rexpr') value(n[k], operand, out);
        else field(k, n[k], false, false, out);
      }
      return;
    }
    case 'UpdateStmt':
      for (const k in n) {
        if (k !== 'targetList') field(k, n[k], false, false, out);
        else
          for (const t of n.targetList)
            for (const f in t.ResTarget) {
              if (f === 'val') value(t.ResTarget.val, true, out);
              else field(f, t.ResTarget[f], false, false, out);
            }
      }
      return;
    case 'InsertStmt':
      for (const k in n) field(k, n[k], false, k === 'selectStmt', out);
      return;
    case 'SelectStmt':
      if (insertValues && n.valuesLists !== undefined) {
        for (const k in n) {
          if (k !== 'valuesLists') field(k, n[k], false, false, out);
          else for (const row of n.valuesLists) for (const item of row.List.items) value(item, true, out);
        }
        return;
      }
      break;
    case 'selectStmt':
      // InsertStmt's field: the wrapped SelectStmt below it is the source.
      for (const k in n) field(k, n[k], false, insertValues, out);
      return;
  }
  collect(n, out);
}

/** A wrapped expression node ({Tag: body}) whose own A_Const, if it is one, is in a value position or not. */
function value(node: any, valuePosition: boolean, out: Collected): void {
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return collect(node, out);
  for (const k in node) field(k, node[k], valuePosition, false, out);
}

/** A deep copy of the AST with the A_Const bodies in `swap` replaced (node by node) by ParamRefs. */
function withParams(node: unknown, swap: Map<Record<string, any>, number>): any {
  if (node === null || typeof node !== 'object') return node;
  if (Array.isArray(node)) return node.map((x) => withParams(x, swap));
  const o = node as Record<string, any>;
  const out: Record<string, unknown> = {};
  for (const k in o) {
    const param = k === 'A_Const' ? swap.get(o[k]) : undefined;
    if (param !== undefined) return { ParamRef: { number: param + 1, location: o[k].location } };
    out[k] = withParams(o[k], swap);
  }
  return out;
}

/** Every relation a statement names (schema undefined when unqualified). */
export function relationsOf(ast: Record<string, any>): ParameterizedStatement['relations'] {
  const out: Collected = { consts: new Map(), relations: [] };
  collect(ast, out);
  return out.relations;
}

/**
 * The statement of `sql` (parsed: its only statement's AST) with its value literals as parameters,
 * or null when its literals do not map one to one onto A_Const nodes holding exactly the values
 * lexing predicts, or the statement is not a query or DML.
 */
export function parameterize(sql: string, scan: LiteralScan, ast: Record<string, any> | undefined): ParameterizedStatement | null {
  if (ast === undefined) return null;
  const tag = Object.keys(ast)[0];
  if (!CACHEABLE.has(tag)) return null;
  const consts = new Map<number, FoundConst[]>();
  const relations: ParameterizedStatement['relations'] = [];
  collect(ast, { consts, relations });
  const slots: LiteralSlot[] = [];
  const swap = new Map<Record<string, any>, number>();
  let matched = 0;
  let params = 0;
  for (const lit of scan.literals) {
    let slot: LiteralSlot | null = null;
    for (const negated of [false, true]) {
      const location = negated ? lit.minus : lit.start;
      if (location < 0) continue;
      const nodes = consts.get(location);
      if (nodes === undefined) continue;
      const v = literalValue(sql, lit, negated);
      if (!nodes.every((f) => sameValue(v, f.body))) return null;
      if (slot !== null) return null; // both readings match: ambiguous
      const param = nodes.length === 1 && nodes[0].value;
      slot = { param: param ? params++ : -1, negated, text: sql.slice(location, lit.end) };
      if (param) swap.set(nodes[0].body, slot.param);
      matched += nodes.length;
    }
    if (slot === null) return null;
    slots.push(slot);
  }
  // A numeric constant that is not one of our literals (made by the grammar) could depend on them.
  let total = 0;
  for (const list of consts.values()) total += list.length;
  if (total !== matched) return null;
  return { ast: withParams(ast, swap), slots, relations };
}
