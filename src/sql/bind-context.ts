// Name scopes for binding: the columns a FROM clause makes visible, query levels for correlated
// subqueries, and the state shared by one statement's binding.
import type { InterconnectStatsRow } from './bind-interconnect-stats';
import type { ClusterNodeRow } from './bind-cluster-nodes';
import type { RouteStatsRow } from './bind-route-stats';
import { CardinalityModel, ModelStatus } from '../ml/learned-optimizer';
import { exprKey } from '../planner/expr-utils';
import { Expr, OuterRefExpr } from '../plan/expr';
import { PlanNode } from '../plan/plan';
import { TableStatistics } from '../plan/statistics';
import { DataType } from '../types/data-type';
import { SqlError, SqlState } from '../types/sql-error';
import { FormatSettings } from '../types/text-format';
import { BufferPoolStats, CatalogView, CommitQueueStats, ColumnStorageStats, SequenceDef } from '../storage/api';
import { CoercionContext } from './coerce';

/** One visible column of the combined FROM row. */
export interface ScopeColumn {
  name: string;
  type: DataType;
  /** Position in the combined row of the FROM clause. */
  index: number;
  tableOid: number;
  columnAttr: number;
  /** A system column (tableoid of system relations): found by name, not expanded by `*`. */
  hidden?: boolean;
}

/** A FROM item as names see it: `alias.column`. */
export interface ScopeRelation {
  alias: string;
  columns: ScopeColumn[];
  /** Columns merged by JOIN USING/NATURAL are visible unqualified once. */
  hiddenUnqualified?: Set<string>;
}

export class Scope {
  readonly relations: ScopeRelation[] = [];
  width = 0;

  add(alias: string, columns: Omit<ScopeColumn, 'index'>[]): ScopeRelation {
    const rel: ScopeRelation = { alias, columns: columns.map((c, i) => ({ ...c, index: this.width + i })) };
    this.width += columns.length;
    this.relations.push(rel);
    return rel;
  }

  /** Appends another scope's relations shifted to follow this one's columns (for joins). */
  append(other: Scope): void {
    const shift = this.width;
    for (const rel of other.relations)
      this.relations.push({
        alias: rel.alias,
        columns: rel.columns.map((c) => ({ ...c, index: c.index + shift })),
        hiddenUnqualified: rel.hiddenUnqualified,
      });
    this.width += other.width;
  }

  /** Every column in order (SELECT *). */
  allColumns(): ScopeColumn[] {
    const out: ScopeColumn[] = [];
    for (const rel of this.relations) for (const c of rel.columns) if (!c.hidden) out.push(c);
    return out;
  }

  findRelation(alias: string): ScopeRelation | undefined {
    return this.relations.find((r) => r.alias === alias);
  }

  /** Resolves `name` or `qualifier.name`; undefined when absent; throws 42702 when ambiguous. */
  lookup(name: string, qualifier: string | null, position?: number): ScopeColumn | undefined {
    if (qualifier !== null) {
      const rel = this.findRelation(qualifier);
      if (rel === undefined) return undefined;
      return rel.columns.find((c) => c.name === name);
    }
    let found: ScopeColumn | undefined;
    for (const rel of this.relations) {
      if (rel.hiddenUnqualified?.has(name)) continue;
      for (const c of rel.columns) {
        if (c.name !== name) continue;
        if (found !== undefined && found.index !== c.index)
          throw new SqlError(SqlState.ambiguousColumn, `column reference "${name}" is ambiguous`, { position });
        found = c;
      }
    }
    return found;
  }
}

/** A CTE visible by name while binding (WITH). */
export interface CteBinding {
  id: number;
  name: string;
  columns: { name: string; type: DataType }[];
}

/** One SELECT level; a subquery's level points at the level it is nested in. */
export class QueryLevel {
  scope = new Scope();
  /** Expressions of the parent level's row that this (correlated) level reads, as OuterRef slots. */
  readonly captures: Expr[] = [];
  private readonly captureKeys = new Map<string, number>();
  readonly ctes = new Map<string, CteBinding>();

  constructor(readonly parent: QueryLevel | null) {}

  capture(expr: Expr): OuterRefExpr {
    const key = exprKey(expr);
    let slot = this.captureKeys.get(key);
    if (slot === undefined) {
      slot = this.captures.length;
      this.captures.push(expr);
      this.captureKeys.set(key, slot);
    }
    return { kind: 'outer', slot, type: expr.type };
  }

  findCte(name: string): CteBinding | undefined {
    for (let level: QueryLevel | null = this; level !== null; level = level.parent) {
      const cte = level.ctes.get(name);
      if (cte !== undefined) return cte;
    }
    return undefined;
  }
}

/** State for binding one statement. */
export interface BindContext extends CoercionContext {
  catalog: CatalogView;
  format: FormatSettings;
  /** Parameter types ($1 = index 0), given by the client or inferred. */
  paramTypes: DataType[];
  /** CTE plans collected while binding, attached by the outermost query as a WithNode. */
  ctePlans: { id: number; plan: PlanNode }[];
  nextCteId: number;
  /** Views being expanded (to reject a view that refers to itself). */
  expandingViews: Set<number>;
  /** Live rows of a table now, for the planner's estimates. */
  tableRowCount(tableId: number): number;
  /** The table's column statistics (null when none were collected). */
  tableStatistics(tableId: number): TableStatistics | null;
  /** The learned cardinality model the join planner consults (absent or mode 'off': classic only). */
  cardinalityModel?: CardinalityModel;
  sessionUser: string;
  database: string;
  /** The session's current value of a setting (current_setting, SHOW); throws 42704 for unknown names. */
  setting(name: string): string;
  /** Names of every setting (pg_settings); optional for contexts without settings. */
  settingNames?(): string[];
  processId: number;
  /** Bytes on disk per table column (tessera_storage_stats()); optional for contexts without storage. */
  storageStats?(): ColumnStorageStats[];
  /** The buffer pool's counters (tessera_buffer_stats()); optional for contexts without storage. */
  bufferStats?(): BufferPoolStats;
  /** The commit queue's counters (tessera_commit_stats()); optional for contexts without storage. */
  commitStats?(): CommitQueueStats;
  /** The cluster interconnect's per-peer counters (tessera_interconnect_stats()); absent or empty without a cluster. */
  interconnectStats?(): InterconnectStatsRow[];
  /** The cluster's nodes as the leader sees them (tessera_cluster_nodes()); absent or empty without a cluster. */
  clusterNodes?(): ClusterNodeRow[];
  /** This node's statement router counters (tessera_route_stats()); absent or empty without a cluster. */
  routeStats?(): RouteStatsRow[];
  /** The learned optimizer's state (tessera_ml_model()); optional for contexts without one. */
  mlModelStatus?(): ModelStatus;
  /** A sequence's current state, for SELECT … FROM a sequence (absent: not available). */
  sequenceState?(def: SequenceDef): { lastValue: bigint; logCount: number; isCalled: boolean };
  /** SELECT … FOR UPDATE over a join: the FROM items (RangeVar nodes) whose scans also give their rows' RowIds, as the hidden column ROW_ID_COLUMN. */
  rowIdRangeVars?: Set<object>;
}

/** Name of the hidden RowId column of a table scanned for SELECT … FOR UPDATE (not a name SQL can spell unquoted). */
export const ROW_ID_COLUMN = '?rowid';

export function columnNotFound(name: string, qualifier: string | null, position?: number): SqlError {
  const full = qualifier === null ? name : `${qualifier}.${name}`;
  return new SqlError(SqlState.undefinedColumn, `column ${qualifier === null ? `"${name}"` : full} does not exist`, { position });
}
