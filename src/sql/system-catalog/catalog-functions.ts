// The catalog functions psql and drivers call (pg_table_is_visible, pg_get_userbyid, pg_get_indexdef,
// format_type, obj_description…) and the reg* casts. Functions of the catalog are bound against the
// statement's CatalogModel: a lookup becomes a CASE over the (few) catalog objects, so plans stay
// plain data and the executor needs no catalog access.
import { CaseExpr, Expr } from '../../plan/expr';
import { CharType, DataType, OidType, Types, arrayType } from '../../types/data-type';
import { PG_TYPES, formatTypeOid, quoteIdent } from '../../types/pg-types';
import { SqlError, SqlState } from '../../types/sql-error';
import { Scalar } from '../../types/vector';
import type { BindContext } from '../bind-context';
import { coerce, isUnknown } from '../coerce';
import { catalogModel } from './bind-system';
import { CatalogModel, splitQualified } from './catalog-model';
import { procSignatures } from './procs';
import { deparseView } from './view-deparse';

function constant(value: Scalar, type: DataType): Expr {
  return { kind: 'const', value, type };
}

function call(fn: Extract<Expr, { kind: 'call' }>['fn'], args: Expr[], type: DataType): Expr {
  return { kind: 'call', fn, args, type };
}

/** CASE key WHEN k1 THEN v1 … ELSE fallback END over a numeric key (an oid). */
function lookup(key: Expr, entries: [number, Scalar][], type: DataType, fallback: Expr | null, ctx: BindContext): Expr {
  const k = coerce(key, OidType, ctx);
  if (k.kind === 'const') {
    const hit = entries.find(([x]) => x === k.value);
    return hit !== undefined ? constant(hit[1], type) : k.value === null ? constant(null, type) : (fallback ?? constant(null, type));
  }
  if (entries.length > 8 && type.storage === 'string' && entries.every(([, v]) => typeof v === 'string')) {
    // Many entries: one hashed lookup rather than a long CASE.
    const found = call('oid_lookup', [k, constant(JSON.stringify(entries.map(([x]) => x)), Types.text), constant(JSON.stringify(entries.map(([, v]) => v)), Types.text)], type);
    return fallback === null ? found : { kind: 'coalesce', args: [found, coerce(fallback, type, ctx)], type };
  }
  const e: CaseExpr = {
    kind: 'case',
    whens: entries.map(([x, v]) => ({ when: call('eq', [k, constant(x, OidType)], Types.bool), then: constant(v, type) })),
    else: fallback,
    type,
  };
  return e;
}

function asOid(e: Expr, ctx: BindContext): Expr {
  return coerce(isUnknown(e.type) ? coerce(e, Types.text, ctx) : e, OidType, ctx);
}

function oidAsText(e: Expr, ctx: BindContext): Expr {
  return coerce(asOid(e, ctx), Types.text, ctx);
}

/** Binds a catalog function call, or returns null when `name` is not one. */
export function bindCatalogFunction(name: string, args: Expr[], ctx: BindContext): Expr | null {
  const m = () => catalogModel(ctx);
  const n = args.length;
  switch (name) {
    case 'pg_table_is_visible': {
      if (n !== 1) return null;
      const visible = m().relations.filter((r) => m().isVisible(r));
      const found = lookup(args[0], visible.map((r) => [r.oid, 't']), Types.text, null, ctx);
      return found.kind === 'const' ? constant(found.value !== null, Types.bool) : { kind: 'isnull', arg: found, negated: true, type: Types.bool };
    }
    case 'pg_type_is_visible':
      if (n !== 1) return null;
      return { kind: 'inlist', arg: asOid(args[0], ctx), list: PG_TYPES.map((t) => constant(t.oid, OidType)), negated: false, type: Types.bool };
    case 'pg_function_is_visible':
    case 'pg_opclass_is_visible':
    case 'pg_collation_is_visible':
    case 'pg_conversion_is_visible':
    case 'pg_operator_is_visible':
      if (n !== 1) return null;
      return { kind: 'isnull', arg: asOid(args[0], ctx), negated: true, type: Types.bool };
    case 'pg_get_userbyid': {
      if (n !== 1) return null;
      const key = asOid(args[0], ctx);
      const unknown = call('concat', [call('concat', [constant('unknown (OID=', Types.text), oidAsText(key, ctx)], Types.text), constant(')', Types.text)], Types.text);
      return lookup(key, m().roles.map((r) => [r.oid, r.name]), Types.name, coerce(unknown, Types.name, ctx), ctx);
    }
    case 'format_type':
      if (n !== 2) return null;
      return call('format_type', [asOid(args[0], ctx), coerce(args[1], Types.int4, ctx)], Types.text);
    case 'pg_get_expr': {
      if (n < 2 || n > 3) return null;
      // adbin & co. hold the expression's text already (as pg_node_tree); the result is text.
      const e = coerce(args[0], Types.text, ctx);
      return e.type === Types.text || e.kind === 'const' ? { ...e, type: Types.text } : { kind: 'cast', arg: e, type: Types.text };
    }
    case 'pg_get_indexdef': {
      if (n !== 1 && n !== 3) return null;
      const pretty = n === 3 && args[2].kind === 'const' && args[2].value === true;
      const whole = lookup(args[0], m().indexes.map((i) => [i.oid, pretty ? i.prettyDefinition : i.definition]), Types.text, null, ctx);
      if (n === 1 || (args[1].kind === 'const' && args[1].value === 0)) return whole;
      // pg_get_indexdef(index, column k, …): just the k-th key column (psql's \d index).
      const col = coerce(args[1], Types.int8, ctx);
      const key = call('add', [call('mul', [coerce(asOid(args[0], ctx), Types.int8, ctx), constant(1000, Types.int8)], Types.int8), col], Types.int8);
      const entries: [number, Scalar][] = m().indexes.flatMap((i) => i.keys.map((k, j) => [i.oid * 1000 + j + 1, quoteIdent(i.table.columns[k - 1].name)] as [number, Scalar]));
      const column = call('oid_lookup', [key, constant(JSON.stringify(entries.map(([x]) => x)), Types.text), constant(JSON.stringify(entries.map(([, v]) => v)), Types.text)], Types.text);
      return { kind: 'case', whens: [{ when: call('eq', [col, constant(0, Types.int8)], Types.bool), then: whole }], else: column, type: Types.text };
    }
    case 'pg_get_constraintdef':
      if (n !== 1 && n !== 2) return null;
      return lookup(args[0], m().constraints.map((c) => [c.oid, c.definition]), Types.text, null, ctx);
    case 'pg_get_viewdef': {
      if (n < 1 || n > 2) return null;
      // Deparsed as PostgreSQL does where view-deparse.ts covers the query, else the stored text.
      const pretty = n === 2 && args[1].kind === 'const' && args[1].value === true;
      const views = m().relations.filter((r) => r.view !== undefined);
      // pg_get_viewdef('name'): the text overload names the view.
      const a0 = args[0];
      let key = a0;
      if (a0.kind === 'const' && typeof a0.value === 'string' && (isUnknown(a0.type) || a0.type.name === 'text')) {
        const parts = splitQualified(a0.value) ?? [];
        const name = parts[parts.length - 1];
        key = constant(views.find((r) => r.name === name && (parts.length === 1 || r.schema === parts[0]))?.oid ?? null, OidType);
      }
      return lookup(key, views.map((r) => [r.oid, deparseView(r.view!.sql, m().relations, pretty) ?? ' ' + r.view!.sql + ';']), Types.text, null, ctx);
    }
    case 'pg_get_function_result':
    case 'pg_get_function_arguments':
    case 'pg_get_function_identity_arguments': {
      if (n !== 1) return null;
      const which = name === 'pg_get_function_result' ? 'result' : 'args';
      return lookup(args[0], procSignatures().map((p) => [p.oid, p[which]]), Types.text, null, ctx);
    }
    case 'obj_description':
    case 'col_description':
    case 'shobj_description':
      if (n < 1 || n > 2) return null;
      return constant(null, Types.text);
    case 'has_table_privilege':
    case 'has_schema_privilege':
    case 'has_database_privilege':
    case 'has_column_privilege':
    case 'has_any_column_privilege':
    case 'has_function_privilege':
    case 'has_sequence_privilege':
      if (n < 2 || n > 4) return null;
      return constant(true, Types.bool);
    case 'pg_encoding_to_char':
      if (n !== 1) return null;
      return lookup(args[0], [[0, 'SQL_ASCII'], [6, 'UTF8']], Types.name, constant('', Types.name), ctx);
    case 'pg_char_to_encoding':
      if (n !== 1) return null;
      return constant(6, Types.int4);
    case 'current_schemas':
      if (n !== 1) return null;
      return constant(args[0].kind === 'const' && args[0].value === false ? '{public}' : '{pg_catalog,public}', arrayType(Types.name));
    case 'quote_ident':
      if (n !== 1) return null;
      return call('quote_ident', [coerce(args[0], Types.text, ctx)], Types.text);
    case 'to_regclass': {
      if (n !== 1) return null;
      const arg = coerce(args[0], Types.text, ctx);
      if (arg.kind === 'const') return constant(arg.value === null ? null : (m().lookupRelationName(arg.value as string)?.oid ?? null), OidType);
      const visible = m().relations.filter((r) => m().isVisible(r));
      return {
        kind: 'case',
        whens: visible.map((r) => ({ when: call('eq', [arg, constant(r.name, Types.text)], Types.bool), then: constant(r.oid, OidType) })),
        else: null,
        type: OidType,
      };
    }
    case 'current_setting': {
      // current_setting(name computed per row): looked up among the session's settings now.
      if (n < 1 || n > 2) return null;
      const names = ctx.settingNames?.() ?? [];
      const key = coerce(args[0], Types.text, ctx);
      const found = call('oid_lookup', [key, constant(JSON.stringify(names), Types.text), constant(JSON.stringify(names.map((x) => ctx.setting(x))), Types.text)], Types.text);
      return found;
    }
    case 'pg_tablespace_location':
      if (n !== 1) return null;
      return constant('', Types.text);
    case 'pg_relation_is_publishable':
      if (n !== 1) return null;
      return constant(false, Types.bool);
    case '__array_has':
      // x = ANY(array value), from any-array.ts: array's text form, element as text.
      return call('array_has', [coerce(args[0], Types.text, ctx), coerce(isUnknown(args[1].type) ? coerce(args[1], Types.text, ctx) : args[1], Types.text, ctx)], Types.bool);
    case 'array_to_string':
      if (n !== 2) return null;
      return call('array_to_string', [coerce(args[0], Types.text, ctx), coerce(args[1], Types.text, ctx)], Types.text);
    case 'pg_size_pretty':
      if (n !== 1) return null;
      return call('pg_size_pretty', [coerce(args[0], Types.int8, ctx)], Types.text);
    case 'pg_database_size':
    case 'pg_tablespace_size':
      if (n !== 1) return null;
      return constant(0, Types.int8);
    case 'pg_relation_size':
    case 'pg_total_relation_size':
    case 'pg_table_size':
    case 'pg_indexes_size':
      if (n < 1 || n > 2) return null;
      return constant(0, Types.int8);
    default:
      return null;
  }
}

/** Names of the reg* types and the catalog types a cast may target, beyond the regular type names. */
export const CATALOG_CAST_TYPES = new Set(['regclass', 'regtype', 'regnamespace', 'regproc', 'regprocedure', 'regrole', 'oid', 'char']);

/**
 * `arg::regclass` and friends. A string literal names an object: its OID, found now (42P01 and the
 * like when absent). Any other value is an OID, shown as the object's name (as text).
 */
export function bindCatalogCast(target: string, arg: Expr, ctx: BindContext, position?: number): Expr {
  if (target === 'char') return coerce(arg, CharType, ctx, true);
  if (target === 'oid') return asOid(arg, ctx);
  const model = catalogModel(ctx);
  if (arg.kind === 'param' && (isUnknown(arg.type) || arg.type.storage === 'string') && target === 'regclass') {
    // $1::regclass: the parameter is a relation name, looked up when the statement runs (NULL when absent).
    const name = coerce(arg, Types.text, ctx);
    const entries: [string, string][] = [];
    for (const r of model.relations) {
      entries.push([`${r.schema}.${r.name}`, String(r.oid)]);
      if (model.isVisible(r)) entries.push([r.name, String(r.oid)]);
    }
    const found = call('oid_lookup', [name, constant(JSON.stringify(entries.map(([k]) => k)), Types.text), constant(JSON.stringify(entries.map(([, v]) => v)), Types.text)], Types.text);
    return coerce(found, OidType, ctx);
  }
  const literal = arg.kind === 'const' && (isUnknown(arg.type) || arg.type.storage === 'string');
  if (literal) {
    if (arg.value === null) return constant(null, OidType);
    const text = String(arg.value);
    if (/^\s*\d+\s*$/.test(text)) return constant(Number(text), OidType);
    const oid = nameToOid(target, text, model, position);
    return constant(oid, OidType);
  }
  const key = asOid(arg, ctx);
  const asText = coerce(key, Types.text, ctx);
  switch (target) {
    case 'regclass':
      return lookup(key, model.relations.map((r) => [r.oid, model.regclassName(r)]), Types.text, asText, ctx);
    case 'regtype':
      return lookup(key, PG_TYPES.map((t) => [t.oid, formatTypeOid(t.oid, null)]), Types.text, asText, ctx);
    case 'regnamespace':
      return lookup(key, model.namespaces.map((ns) => [ns.oid, ns.name]), Types.text, asText, ctx);
    case 'regrole':
      return lookup(key, model.roles.map((r) => [r.oid, r.name]), Types.text, asText, ctx);
    default:
      return asText;
  }
}

function nameToOid(target: string, text: string, model: CatalogModel, position?: number): number {
  switch (target) {
    case 'regclass': {
      const rel = model.lookupRelationName(text);
      if (rel === undefined) throw new SqlError(SqlState.undefinedTable, `relation "${text}" does not exist`, { position });
      return rel.oid;
    }
    case 'regtype': {
      const t = PG_TYPES.find((x) => x.typname === text.trim() || x.display === text.trim() || formatTypeOid(x.oid, null) === text.trim());
      if (t === undefined) throw new SqlError(SqlState.undefinedObject, `type "${text}" does not exist`, { position });
      return t.oid;
    }
    case 'regnamespace': {
      const name = splitQualified(text)?.[0];
      const ns = model.namespaces.find((x) => x.name === name);
      if (ns === undefined) throw new SqlError(SqlState.undefinedSchema, `schema "${text}" does not exist`, { position });
      return ns.oid;
    }
    case 'regrole': {
      const r = model.roles.find((x) => x.name === text);
      if (r === undefined) throw new SqlError(SqlState.undefinedObject, `role "${text}" does not exist`, { position });
      return r.oid;
    }
    default:
      throw new SqlError(SqlState.featureNotSupported, `${target} input of a name is not supported`, { position });
  }
}
