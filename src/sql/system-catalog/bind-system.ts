// Binding of system relations (pg_catalog.*, information_schema.*) as literal rows generated from
// the engine's catalog when the statement is bound, and the per-statement CatalogModel they share.
import { ViewDef } from '../../storage/api';
import { DataType, Types } from '../../types/data-type';
import { PlanNode } from '../../plan/plan';
import type { BindContext } from '../bind-context';
import { QueryLevel } from '../bind-context';
import { bindQueryPlan } from '../bind-query';
import { parseSql } from '../parse';
import { CatalogModel } from './catalog-model';
import { SYSTEM_RELATIONS, SystemRelation, findSystemRelation, rowValues } from './relations';

const models = new WeakMap<BindContext, CatalogModel>();
/** Contexts building their model now (a view over the catalog must not build it again while it is being built). */
const building = new WeakSet<BindContext>();

export function catalogModel(ctx: BindContext): CatalogModel {
  let m = models.get(ctx);
  if (m === undefined) {
    building.add(ctx);
    try {
      m = new CatalogModel(ctx, [...SYSTEM_RELATIONS], (v) => viewColumns(v, ctx));
    } finally {
      building.delete(ctx);
    }
    models.set(ctx, m);
  }
  return m;
}

/** A view's columns and types, found by binding its query (text columns if it no longer binds). */
function viewColumns(view: ViewDef, ctx: BindContext): { name: string; type: DataType }[] {
  try {
    const [stmt] = parseSql(view.sql);
    const inner: BindContext = { ...ctx, ctePlans: [], expandingViews: new Set([view.id]), paramTypes: [] };
    building.add(inner);
    const plan = bindQueryPlan(stmt.ast, inner, new QueryLevel(null));
    return plan.output.map((c, i) => ({ name: view.columnNames[i] ?? c.name, type: c.type.name === 'unknown' ? Types.text : c.type }));
  } catch {
    return view.columnNames.map((name) => ({ name, type: Types.text }));
  }
}

/**
 * The system relation a FROM item names, or undefined: `pg_catalog.x`, `information_schema.x`, or an
 * unqualified name of a pg_catalog relation (pg_catalog is implicitly first on the search path).
 */
export function lookupSystemRelation(schema: string | undefined, name: string): SystemRelation | undefined {
  if (schema !== undefined && schema !== 'pg_catalog' && schema !== 'information_schema') return undefined;
  return findSystemRelation(schema ?? null, name);
}

/** The relation's rows as of now, as a literal-rows plan. */
export function bindSystemRelation(rel: SystemRelation, ctx: BindContext): PlanNode {
  const rows = building.has(ctx) ? [] : rel.rows(catalogModel(ctx));
  return {
    kind: 'values',
    rows: rows.map((r) => rowValues(rel, r).map((value, i) => ({ kind: 'const' as const, value, type: rel.columns[i].type }))),
    output: rel.columns.map((c, i) => ({ name: c.name, type: c.type, tableOid: rel.oid, columnAttr: i + 1 })),
    estimatedRows: rows.length,
  };
}
