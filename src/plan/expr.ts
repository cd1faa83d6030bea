// Bound expressions: plain serializable trees (no closures) produced by the binder (src/sql),
// rewritten by the planner, and compiled into vector kernels by the executor (src/exec).
// Every node carries its result DataType; the binder has already inserted every coercion as an
// explicit Cast, so a kernel never guesses types.
import { DataType } from '../types/data-type';
import { Scalar } from '../types/vector';
import type { PlanNode } from './plan';

/** A column of the operator's input row: for joins, the left input's columns come first, then the right's. */
export interface ColumnExpr {
  kind: 'column';
  index: number;
  type: DataType;
}
export interface ConstExpr {
  kind: 'const';
  value: Scalar;
  type: DataType;
}
/** Statement parameter $n, 0-based (index = n - 1). */
export interface ParamExpr {
  kind: 'param';
  index: number;
  type: DataType;
}
/**
 * A value from the enclosing query, inside a correlated subquery's plan: slot k is the k-th of the
 * SubqueryExpr's `args`, evaluated on the current outer row.
 */
export interface OuterRefExpr {
  kind: 'outer';
  slot: number;
  type: DataType;
}
/**
 * A function or operator call. `fn` is one of FunctionName below; the binder has coerced arguments
 * to the signature listed there, so the executor picks a kernel from (fn, argument storage kinds).
 */
export interface CallExpr {
  kind: 'call';
  fn: FunctionName;
  args: Expr[];
  type: DataType;
}
/** Conversion to `type` (explicit CAST/:: or an implicit coercion inserted by the binder). */
export interface CastExpr {
  kind: 'cast';
  arg: Expr;
  type: DataType;
  /** CAST/:: (char(n)/varchar(n) truncate) rather than an assignment or implicit coercion (too long → 22001). */
  explicit?: boolean;
}
/** Searched CASE (the binder rewrites `CASE x WHEN v` into `x = v` conditions). */
export interface CaseExpr {
  kind: 'case';
  whens: { when: Expr; then: Expr }[];
  else: Expr | null;
  type: DataType;
}
/** AND / OR with SQL three-valued logic over any number of boolean arguments. */
export interface BoolOpExpr {
  kind: 'and' | 'or';
  args: Expr[];
  type: DataType;
}
export interface NotExpr {
  kind: 'not';
  arg: Expr;
  type: DataType;
}
/** IS [NOT] NULL. */
export interface IsNullExpr {
  kind: 'isnull';
  arg: Expr;
  negated: boolean;
  type: DataType;
}
/** IS [NOT] TRUE / FALSE / UNKNOWN on a boolean. */
export interface BoolTestExpr {
  kind: 'booltest';
  arg: Expr;
  test: 'true' | 'false' | 'unknown';
  negated: boolean;
  type: DataType;
}
/** x [NOT] IN (a, b, …): list elements already coerced to arg's type; NULL semantics as SQL's. */
export interface InListExpr {
  kind: 'inlist';
  arg: Expr;
  list: Expr[];
  negated: boolean;
  type: DataType;
}
/** COALESCE(a, b, …) (arguments share the result type). */
export interface CoalesceExpr {
  kind: 'coalesce';
  args: Expr[];
  type: DataType;
}
/**
 * A subquery inside an expression.
 *  - scalar: the single column of the single row (NULL when no row; 21000 error when more than one row)
 *  - exists: true when the plan returns any row
 *  - any/all: `test op ANY|ALL (subquery)`, with IN = `= ANY` and NOT IN = NOT (= ANY); `op` is a comparison FunctionName
 * `args` are evaluated on the outer row and seen inside `plan` as OuterRefExpr slots; an uncorrelated
 * subquery has no args and may be evaluated once per query.
 */
export interface SubqueryExpr {
  kind: 'subquery';
  mode: 'scalar' | 'exists' | 'any' | 'all';
  plan: PlanNode;
  args: Expr[];
  test: Expr | null;
  op: ComparisonFn | null;
  type: DataType;
}

export type Expr =
  | ColumnExpr
  | ConstExpr
  | ParamExpr
  | OuterRefExpr
  | CallExpr
  | CastExpr
  | CaseExpr
  | BoolOpExpr
  | NotExpr
  | IsNullExpr
  | BoolTestExpr
  | InListExpr
  | CoalesceExpr
  | SubqueryExpr;

export type ComparisonFn = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';

/**
 * The functions and operators the binder may emit, with the argument types it guarantees.
 * "same" = both arguments have the same type after coercion.
 *
 * Comparison (→ bool), args same type of any comparable type (bpchar compares ignoring trailing spaces):
 *   eq ne lt le gt ge
 * Arithmetic:
 *   add sub mul div mod: (int2|int4|int8|float4|float8|numeric, same) → same; integer div truncates;
 *                        int overflow → 22003; x/0 → 22012; numeric div uses PostgreSQL's select_div_scale.
 *   neg: (number) → same
 *   add: (date, int4) → date; (date, interval) → timestamp; (timestamp|timestamptz, interval) → same; (interval, interval) → interval
 *   sub: (date, int4) → date; (date, date) → int4; (date, interval) → timestamp;
 *        (timestamp|timestamptz, interval) → same; (timestamp, timestamp) → interval; (interval, interval) → interval
 *   mul: (interval, float8) → interval;  div: (interval, float8) → interval
 * Strings (text in, args coerced to text/int4 as listed):
 *   concat(text, text) → text            ('||'; NULL if either NULL)
 *   like, ilike(text, text) → bool        (the binder wraps in NOT for NOT LIKE); optional 3rd arg escape text
 *   upper, lower, btrim, ltrim, rtrim (text[, text chars]) → text
 *   length, char_length, octet_length (text) → int4   (bpchar: trailing spaces not counted, as PostgreSQL)
 *   substring(text, int4[, int4]) → text  (SQL semantics: start may be < 1)
 *   position(text haystack, text needle) → int4;  strpos(text, text) → int4
 *   replace(text, text, text) → text; left, right(text, int4) → text; lpad, rpad(text, int4[, text]) → text
 *   repeat(text, int4) → text; reverse(text) → text; md5(text) → text; concat_ws / concat are variadic text
 * Date/time:
 *   extract(text field const, date|timestamp|timestamptz|interval) → numeric   (PostgreSQL 14+ returns numeric)
 *   date_part(text, …) → float8; date_trunc(text, timestamp|timestamptz) → same
 *   to_char(timestamp|timestamptz, text format) → text   (dates arrive as timestamptz, as PostgreSQL resolves them)
 *   now, current_timestamp () → timestamptz (transaction start); statement_timestamp, clock_timestamp () → timestamptz; current_date () → date; localtimestamp () → timestamp
 * Numeric math:
 *   abs(x) → same; round(numeric[, int4]) → numeric; round(float8) → float8; trunc likewise;
 *   ceil, floor(numeric|float8) → same; sqrt, power, exp, ln (float8|numeric) → same; sign(x) → same
 *   log(x) = log10 and log(numeric base, numeric x) (float8|numeric) → same; cbrt, degrees, radians (float8) → float8;
 *   pi() → float8; div_trunc(numeric, numeric) → numeric (SQL div(): the truncated quotient)
 * Misc: nullif(same, same) → same; greatest, least(same…) → same
 * Catalog: regex_match, regex_imatch(text, text pattern) → bool (~, ~*; the binder wraps in NOT for !~);
 *   format_type(int8 type oid, int4 typmod) → text; quote_ident(text) → text;
 *   array_to_string(text array literal, text) → text; pg_size_pretty(int8) → text;
 *   array_has(text array literal, text element) → bool (x = ANY(array value), NULLs as SQL's);
 *   oid_lookup(int8|text key, const text JSON array of keys, const text JSON array of values) → text (NULL when absent)
 * JSON: json_get(json|jsonb, text|int4) → same as arg 0 ('->'); json_get_text(json|jsonb, text|int4) → text ('->>')
 * JSON: json_typeof(json|jsonb) → text; json_array_length(json|jsonb) → int4; jsonb_exists(jsonb, text) → bool ('?');
 *   jsonb_contains(jsonb, jsonb) → bool ('@>'; '<@' swaps the arguments); jsonb_concat(jsonb, jsonb) → jsonb ('||');
 *   jsonb_delete(jsonb, text|int4) → jsonb ('-')
 * gen_random_uuid() → uuid (volatile: a new value per row)
 * bytea: concat(bytea, bytea) → bytea ('||'); encode(bytea, text) → text; decode(text, text) → bytea
 */
export type FunctionName =
  | ComparisonFn
  | 'add' | 'sub' | 'mul' | 'div' | 'mod' | 'neg'
  | 'concat' | 'like' | 'ilike'
  | 'upper' | 'lower' | 'btrim' | 'ltrim' | 'rtrim'
  | 'length' | 'char_length' | 'octet_length'
  | 'substring' | 'position' | 'strpos' | 'replace' | 'left' | 'right' | 'lpad' | 'rpad'
  | 'repeat' | 'reverse' | 'md5' | 'concat_ws' | 'concat_fn'
  | 'extract' | 'date_part' | 'date_trunc' | 'to_char'
  | 'now' | 'current_date' | 'localtimestamp' | 'statement_timestamp' | 'clock_timestamp'
  | 'abs' | 'round' | 'trunc' | 'ceil' | 'floor' | 'sqrt' | 'power' | 'exp' | 'ln' | 'sign'
  | 'log' | 'cbrt' | 'degrees' | 'radians' | 'pi' | 'div_trunc'
  | 'nullif' | 'greatest' | 'least'
  // Sequences (volatile, never folded): nextval(text) currval(text) setval(text, int8[, bool]) lastval() → int8
  | 'nextval' | 'currval' | 'setval' | 'lastval'
  // set_config(text, text, bool) → text (volatile: changes the session's setting per evaluated row)
  | 'set_config'
  // Arrays (exec/expr/kernels-array.ts): array_cat(a, b) (a NULL side yields the other, as PostgreSQL's), constructors, subscripts…
  | 'array_cat'
  | 'array_construct' | 'array_construct_nested' | 'array_subscript' | 'array_slice' | 'array_append' | 'array_prepend'
  | 'array_length' | 'array_lower' | 'array_upper' | 'cardinality' | 'array_ndims' | 'array_dims' | 'array_position'
  | 'array_contains' | 'array_contained' | 'array_overlaps' | 'array_any' | 'array_all'
  | 'array_remove' | 'array_replace' | 'array_to_text' | 'string_to_array' | 'array_set_element'
  | 'regex_match' | 'regex_imatch' | 'format_type' | 'quote_ident' | 'array_to_string' | 'pg_size_pretty' | 'array_has' | 'oid_lookup'
  | 'json_get' | 'json_get_text'
  | 'gen_random_uuid' | 'encode' | 'decode'
  | 'json_typeof' | 'json_array_length' | 'jsonb_exists' | 'jsonb_contains' | 'jsonb_concat' | 'jsonb_delete';
