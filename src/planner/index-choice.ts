// Index Scan choice: a table scan whose filter has `column op value` conjuncts (op = < <= = >= >,
// value a constant or parameter of the column's type) on the first column of a CREATE INDEX
// index becomes an index scan over the range those conjuncts give. The filter stays as it is, so
// the index only narrows the rows read. Primary keys and UNIQUE constraints count as indexes. Equality is preferred over ranges; text keys serve
// equality only (their index order need not be the executor's collation order).
import { ComparisonFn, Expr } from '../plan/expr';
import { IndexScanSpec, PlanNode, ScanNode, planChildren } from '../plan/plan';
import { CatalogView, scannableIndexesOf } from '../storage/api';

const FLIP: Record<string, ComparisonFn> = { eq: 'eq', lt: 'gt', le: 'ge', gt: 'lt', ge: 'le' };

function rowIndependent(e: Expr): boolean {
  if (e.kind === 'const' || e.kind === 'param') return true;
  return e.kind === 'cast' && rowIndependent(e.arg);
}

function conjuncts(e: Expr): Expr[] {
  return e.kind === 'and' ? e.args.flatMap(conjuncts) : [e];
}

function chooseForScan(scan: ScanNode, catalog: CatalogView): void {
  if (scan.filter === null) return;
  const table = catalog.tables().find((t) => t.id === scan.tableId);
  const indexes = table === undefined ? [] : scannableIndexesOf(table);
  if (table === undefined || indexes.length === 0) return;
  const bounds: { k: number; op: ComparisonFn; value: Expr }[] = [];
  for (const c of conjuncts(scan.filter)) {
    if (c.kind !== 'call' || FLIP[c.fn] === undefined || c.args.length !== 2) continue;
    const [l, r] = c.args;
    if (l.kind === 'column' && rowIndependent(r) && r.type.name === l.type.name) bounds.push({ k: l.index, op: c.fn as ComparisonFn, value: r });
    else if (r.kind === 'column' && rowIndependent(l) && l.type.name === r.type.name) bounds.push({ k: r.index, op: FLIP[c.fn], value: l });
  }
  let best: IndexScanSpec | null = null;
  for (const ix of indexes) {
    const k = scan.columns.indexOf(ix.columns[0]);
    if (k === -1) continue;
    const storage = table.columns[ix.columns[0]].type.storage;
    const numeric = storage === 'int32' || storage === 'int64' || storage === 'timestamp'; // not floats: NaN has no place in a JS sort order
    const colType = table.columns[ix.columns[0]].type;
    // Index keys are the stored text: equal text must mean equal values (not so for bpchar, nor for
    // arrays of numeric, floats or bpchar, whose equal elements may be spelled apart: {1.0} = {1}).
    const elem = colType.elem?.name;
    const text = storage === 'string' && colType.name !== 'bpchar' && elem !== 'numeric' && elem !== 'float4' && elem !== 'float8' && elem !== 'bpchar';
    if (!numeric && !text) continue;
    const mine = bounds.filter((b) => b.k === k);
    const eq = mine.find((b) => b.op === 'eq');
    if (eq !== undefined) {
      best = { indexId: ix.id, indexName: ix.name, outputColumn: k, low: eq.value, lowInclusive: true, high: eq.value, highInclusive: true };
      break;
    }
    if (!numeric || best !== null) continue;
    const low = mine.find((b) => b.op === 'gt' || b.op === 'ge');
    const high = mine.find((b) => b.op === 'lt' || b.op === 'le');
    if (low === undefined && high === undefined) continue;
    best = {
      indexId: ix.id,
      indexName: ix.name,
      outputColumn: k,
      low: low?.value ?? null,
      lowInclusive: low?.op === 'ge',
      high: high?.value ?? null,
      highInclusive: high?.op === 'le',
    };
  }
  if (best !== null) scan.index = best;
}

/** Marks the scans of a plan that can use an index (in place) and returns the plan. */
export function chooseIndexScans(plan: PlanNode, catalog: CatalogView): PlanNode {
  const visit = (node: PlanNode): void => {
    if (node.kind === 'scan') chooseForScan(node, catalog);
    else for (const child of planChildren(node)) visit(child);
  };
  visit(plan);
  return plan;
}
