// Binding of system relations (pg_catalog.*, information_schema.*) as literal rows generated from
// the engine's catalog when the statement is bound, and the per-statement CatalogModel they share.
import { SequenceDef, TableDef, ViewDef } from '../../storage/api';
import { DataType, OidType, Types } from '../../types/data-type';
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

/**
 * The structural model (relations, columns, indexes…) depends only on the table and view definitions,
 * which storage replaces (never mutates) on DDL: it is rebuilt when one of them changes, else shared.
 */
let shared: { tables: TableDef[]; views: ViewDef[]; sequences: SequenceDef[]; core: CatalogModel } | null = null;

function sameObjects<T>(a: T[], b: T[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The statement's model: the shared structure, seen with this statement's context (row counts, settings, database). */
export function catalogModel(ctx: BindContext): CatalogModel {
  let m = models.get(ctx);
  if (m === undefined) {
    const tables = ctx.catalog.tables();
    const views = ctx.catalog.views();
    const sequences = ctx.catalog.sequences();
    let core: CatalogModel;
    if (shared !== null && sameObjects(shared.tables, tables) && sameObjects(shared.views, views) && sameObjects(shared.sequences, sequences)) core = shared.core;
    else {
      building.add(ctx);
      try {
        core = new CatalogModel(ctx, [...SYSTEM_RELATIONS], (v) => viewColumns(v, ctx));
      } finally {
        building.delete(ctx);
      }
      shared = { tables, views, sequences, core };
    }
    m = Object.create(core) as CatalogModel;
    m.ctx = ctx;
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
  // Every relation has the system column tableoid (the relation's own OID), last and hidden from `*`.
  return {
    kind: 'values',
    rows: [],
    scalarRows: rows.map((r) => [...rowValues(rel, r), rel.oid]),
    output: [
      ...rel.columns.map((c, i) => ({ name: c.name, type: c.type, tableOid: rel.oid, columnAttr: i + 1 })),
      { name: 'tableoid', type: OidType, tableOid: rel.oid, columnAttr: -6 },
    ],
    estimatedRows: rows.length,
  };
}
