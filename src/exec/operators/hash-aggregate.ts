// Hash aggregation. Per input batch: the group-by vectors are hashed as a whole and looked up in a
// KeyTable (NULLs group together), giving a dense group id per row; new groups remember their
// first row's key values; then every accumulator consumes the batch's argument vectors at once.
// DISTINCT aggregates first drop rows whose (group, arguments) pair was seen before (a KeyTable
// over the group id and the arguments); FILTER is a mask. Output: group keys, then aggregates.
import { AggregateNode, PlanNode } from '../../plan/plan';
import { DataType } from '../../types/data-type';
import { BATCH_SIZE, Batch, BoolVector, Float64Vector, Vector } from '../../types/vector';
import { gatherVector, newVector } from '../../types/vector-ops';
import { Types } from '../../types/data-type';
import { CompiledExpr, ExprEnv } from '../expr/compiled';
import { compileExpr } from '../expr/compile';
import { KeyColumn, hashKeys, keyKindOf, toKeyColumn } from '../hash/key-hash';
import { KeyTable } from '../hash/key-table';
import { concatBatches, concatColumn, gatherBatch, sliceBatch, trueMask } from '../vector-util';
import { rowComparator, sortColumn } from './sort';
import { Accumulator } from '../aggregates/accumulator';
import { makeAccumulator } from '../aggregates/make';
import { Operator, PrepareChild, PreparedNode, Pulled, YIELD, drain } from './operator';
import { keySlice } from '../parallel/key-range';
import { MAX_SPILL_LEVEL, PARTITIONS, SpillPartitions, estimatedGroupBytes, partitionOf } from './hash-aggregate-spill';

interface CompiledAggregate {
  args: CompiledExpr[];
  filter: CompiledExpr | null;
  distinct: boolean;
  /** ORDER BY inside the call: its rows are fed after the input is complete, sorted by these keys. */
  order: CompiledExpr[] | null;
}

export function prepareAggregate(node: AggregateNode, env: ExprEnv, child: PrepareChild): PreparedNode {
  const input = child(node.input);
  const groupBy = node.groupBy.map((e) => compileExpr(e, env));
  const aggs: CompiledAggregate[] = node.aggregates.map((a) => ({
    args: a.args.map((e) => compileExpr(e, env)),
    filter: a.filter === null ? null : compileExpr(a.filter, env),
    distinct: a.distinct,
    order: a.orderBy === undefined || a.orderBy.length === 0 ? null : a.orderBy.map((k) => compileExpr(k.expr, env)),
  }));
  return { node, open: () => new HashAggregateOp(node, env, input.open(), groupBy, aggs) };
}

/** Drops rows whose (group, argument values) were seen already, for one DISTINCT aggregate. */
class DistinctFilter {
  private table: KeyTable | null = null;
  private seen = new Uint8Array(1024);

  /** mask (in/out): rows to count; clears duplicates. */
  apply(groups: Int32Array, args: readonly Vector[], n: number, mask: Uint8Array): void {
    const groupVec: Float64Vector = { kind: 'int64', type: Types.int8, length: n, nulls: null, values: Float64Array.from(groups.subarray(0, n)) };
    const keys: KeyColumn[] = [toKeyColumn(groupVec), ...args.map((a) => toKeyColumn(a))];
    this.table ??= new KeyTable(keys.map((k) => k.kind));
    // Masked-out rows are looked up too (harmless: only rows that count mark their key as seen).
    const ids = new Int32Array(n);
    this.table.findOrInsert(keys, null, n, ids);
    if (this.seen.length < this.table.size) {
      const s = new Uint8Array(Math.max(this.table.size, this.seen.length * 2));
      s.set(this.seen);
      this.seen = s;
    }
    for (let i = 0; i < n; i++) {
      if (mask[i] === 0) continue;
      const id = ids[i];
      if (this.seen[id] === 1) mask[i] = 0;
      else this.seen[id] = 1;
    }
  }
}

/** What aggregation has gathered so far (kept across YIELDs while the input is consumed). */
interface AggregationState {
  table: KeyTable | null;
  keyParts: Vector[][];
  groupCount: number;
  zeros: Int32Array;
  ordered: boolean;
  stash: { b: Batch; groups: Int32Array }[];
}

class HashAggregateOp extends Operator {
  private output: Batch | null = null;
  private pos = 0;
  private readonly accs: Accumulator[];
  private readonly distincts: (DistinctFilter | null)[];
  private state: AggregationState | null = null;
  /** Partitions of rows whose groups did not fit in work_mem (hash-aggregate-spill.ts); null = none. */
  private spill: SpillPartitions | null = null;
  /** work_mem when this aggregation may spill (grouped, no ORDER BY inside aggregates, level left). */
  private readonly spillLimit: { bytes: number; dir: string } | null;

  constructor(
    private readonly node: AggregateNode,
    private readonly env: ExprEnv,
    private readonly input: Operator,
    private readonly groupBy: CompiledExpr[],
    private readonly aggs: CompiledAggregate[],
    private readonly level = 0,
  ) {
    super(node, env);
    this.accs = node.aggregates.map(makeAccumulator);
    this.distincts = aggs.map((a) => (a.distinct ? new DistinctFilter() : null));
    const part = env.ctx.aggregatePartition;
    this.partition = part !== undefined && part.node === node && groupBy.length === 1 ? part : null;
    const wm = env.ctx.workMem;
    this.spillLimit = wm !== undefined && groupBy.length > 0 && !aggs.some((a) => a.order !== null) && level <= MAX_SPILL_LEVEL ? wm : null;
  }

  protected produce(): Pulled {
    if (this.output === null) {
      const st = (this.state ??= this.start());
      for (;;) {
        const b = this.input.next();
        if (b === YIELD) return YIELD;
        if (b === null) break;
        this.consume(st, b);
      }
      this.output = this.finish(st);
      this.state = null;
      if (this.spill !== null) {
        this.spill.seal();
        const s = this.env.stats.get(this.node);
        if (s !== undefined) s.spilledRows = (s.spilledRows ?? 0) + this.spill.rows;
      }
    }
    // The in-memory groups first, then each spilled partition's groups.
    while (this.pos >= this.output.length) {
      const next = this.nextPartition();
      if (next === null) return null;
      this.output = next;
      this.pos = 0;
    }
    const start = this.pos;
    this.pos = Math.min(this.output.length, start + BATCH_SIZE);
    return sliceBatch(this.output, start, this.pos);
  }

  /** Aggregates the next spilled partition on its own (it may spill again, a level deeper). */
  private nextPartition(): Batch | null {
    const spill = this.spill;
    if (spill === null) return null;
    const file = spill.take();
    if (file === null) {
      spill.close();
      this.env.closeAtEnd?.delete(spill);
      this.spill = null;
      return null;
    }
    // Nested operators count into a private stats map: EXPLAIN shows this node once.
    const env: ExprEnv = { ...this.env, stats: new Map() };
    const reader = new BatchReaderOp(this.node.input, env, file.read(this.node.input.output.map((o) => o.type)));
    const sub = new HashAggregateOp(this.node, env, reader, this.groupBy, this.aggs, this.level + 1);
    const out = concatBatches(drain(sub), this.node.output.map((o) => o.type));
    file.remove();
    return out;
  }

  /** Over work_mem: from now on rows of new groups go to the partitions. */
  private startSpill(): void {
    this.spill = new SpillPartitions(this.spillLimit!.dir, this.level, this.node.input.output.map((o) => o.type), this.spillNeeded());
    this.env.closeAtEnd?.add(this.spill);
  }

  /** Input columns the aggregation reads (only those are spilled); null = all. */
  private spillNeeded(): boolean[] | null {
    return this.env.needed.get(this.node.input) ?? null;
  }

  /** While spilling: rows of groups in memory are aggregated, the others written to their partition. */
  private consumeSpilling(st: AggregationState, b: Batch, keys: KeyColumn[], hashes: Int32Array, n: number): void {
    const ids = new Int32Array(n);
    st.table!.find(keys, hashes, n, ids, true);
    const counts = new Int32Array(PARTITIONS + 1);
    const part = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const p = ids[i] >= 0 ? PARTITIONS : partitionOf(hashes[i], this.level);
      part[i] = p;
      counts[p]++;
    }
    if (counts[PARTITIONS] === n) {
      this.accumulate(b, ids, n);
      return;
    }
    const rows: Uint32Array[] = Array.from(counts, (c) => new Uint32Array(c));
    const fill = new Int32Array(PARTITIONS + 1);
    for (let i = 0; i < n; i++) rows[part[i]][fill[part[i]]++] = i;
    const inMemory = rows[PARTITIONS];
    if (inMemory.length > 0) {
      const groups = new Int32Array(inMemory.length);
      for (let j = 0; j < inMemory.length; j++) groups[j] = ids[inMemory[j]];
      this.accumulate(gatherBatch(b, inMemory, inMemory.length, null), groups, inMemory.length);
    }
    const needed = this.spillNeeded();
    for (let p = 0; p < PARTITIONS; p++) if (rows[p].length > 0) this.spill!.files[p].append(gatherBatch(b, rows[p], rows[p].length, needed));
  }

  private start(): AggregationState {
    const grouped = this.groupBy.length > 0;
    const st: AggregationState = {
      table: grouped ? new KeyTable(this.groupBy.map((g) => keyKindOf(g.type))) : null,
      keyParts: this.groupBy.map(() => []),
      groupCount: grouped ? 0 : 1,
      zeros: new Int32Array(0),
      ordered: this.aggs.some((a) => a.order !== null),
      stash: [],
    };
    for (const a of this.accs) a.resize(st.groupCount);
    return st;
  }

  /** A parallel worker's share of the groups (ExecContext.aggregatePartition), null: all of them. */
  private readonly partition: { part: number; parts: number; lo: number; hi: number } | null;

  /**
   * The rows of `b` whose (single, integer) group key falls in this worker's slice of [lo, hi]
   * (values outside go to the first or last slice, NULL to the first). Slices of the value range
   * rather than of hashes: each worker's keys stay as dense as the whole, so its KeyTable keeps
   * direct mode (key-table.ts).
   */
  private ownRows(b: Batch, keyVecs: Vector[]): { b: Batch; keyVecs: Vector[] } {
    const { part, parts, lo, hi } = this.partition!;
    const n = b.length;
    const key = toKeyColumn(keyVecs[0]);
    if (key.kind !== 'num') throw new Error('aggregate partition: the group key is not a number');
    const values = key.values;
    const nulls = key.nulls;
    const keep = new Uint32Array(n);
    let k = 0;
    for (let i = 0; i < n; i++) if (keySlice(values[i], nulls !== null && nulls[i] === 1, lo, hi, parts) === part) keep[k++] = i;
    if (k === n) return { b, keyVecs };
    const rows = keep.subarray(0, k);
    // Only the columns the aggregation reads (the scan's others are placeholders).
    return { b: gatherBatch(b, rows, k, this.spillNeeded()), keyVecs: keyVecs.map((v) => gatherVector(v, rows)) };
  }

  private consume(st: AggregationState, whole: Batch): void {
    let b = whole;
    const table = st.table;
    let groups: Int32Array;
    if (table === null) {
      const n = b.length;
      if (st.zeros.length < n) st.zeros = new Int32Array(Math.max(n, BATCH_SIZE));
      groups = st.zeros;
    } else {
      let keyVecs = this.groupBy.map((g) => g.eval(b));
      if (this.partition !== null) ({ b, keyVecs } = this.ownRows(b, keyVecs));
      const n = b.length;
      if (n === 0) return;
      const keys = keyVecs.map((v) => toKeyColumn(v));
      if (this.spill !== null) {
        const hashes = new Int32Array(n);
        hashKeys(keys, n, hashes);
        return this.consumeSpilling(st, b, keys, hashes, n);
      }
      groups = new Int32Array(n);
      const before = table.size;
      // Hashes only for a hash table (not one in direct mode, see key-table.ts).
      table.findOrInsert(keys, null, n, groups);
      if (table.size > before) {
        // Ids are handed out in row order: the first row of each new group, in id order.
        const firstRows = new Uint32Array(table.size - before);
        let expect = before;
        for (let i = 0; i < n && expect < table.size; i++) if (groups[i] === expect) firstRows[expect++ - before] = i;
        for (let c = 0; c < keyVecs.length; c++) st.keyParts[c].push(gatherVector(keyVecs[c], firstRows));
        st.groupCount = table.size;
        for (const a of this.accs) a.resize(st.groupCount);
        const limit = this.spillLimit;
        if (limit !== null && estimatedGroupBytes(table.size, this.groupBy.length, this.accs.length) > limit.bytes) this.startSpill();
      }
    }
    this.accumulate(b, groups, b.length);
    if (st.ordered) st.stash.push({ b, groups: groups === st.zeros ? new Int32Array(b.length) : groups });
  }

  private finish(st: AggregationState): Batch {
    const keyTypes: DataType[] = this.node.output.slice(0, this.groupBy.length).map((o) => o.type);
    if (st.ordered) this.accumulateOrdered(st.stash);
    const columns: Vector[] = [];
    for (let c = 0; c < this.groupBy.length; c++)
      columns.push(st.keyParts[c].length === 0 ? newVector(keyTypes[c], 0) : relabel(concatColumn(keyTypes[c], st.keyParts[c]), keyTypes[c]));
    for (let k = 0; k < this.accs.length; k++) {
      const type = this.node.output[this.groupBy.length + k]?.type ?? this.node.aggregates[k].type;
      columns.push(relabel(this.accs[k].finish(st.groupCount), type));
    }
    return { length: st.groupCount, columns };
  }

  /** Aggregates with ORDER BY: all rows at once, sorted by (group, order keys) — stable, so ties keep input order. */
  private accumulateOrdered(stash: { b: Batch; groups: Int32Array }[]): void {
    if (stash.length === 0) return;
    const types = this.node.input.output.map((o) => o.type);
    const all = concatBatches(stash.map((s) => s.b), types);
    const n = all.length;
    const groups = new Int32Array(n);
    let off = 0;
    for (const s of stash) {
      groups.set(s.groups.subarray(0, s.b.length), off);
      off += s.b.length;
    }
    for (let k = 0; k < this.aggs.length; k++) {
      const agg = this.aggs[k];
      if (agg.order === null) continue;
      const keys = this.node.aggregates[k].orderBy!;
      const cols = agg.order.map((e, i) => sortColumn(e.eval(all), keys[i]));
      const perm = new Uint32Array(n);
      for (let i = 0; i < n; i++) perm[i] = i;
      perm.sort(rowComparator(cols));
      const sorted: Batch = { length: n, columns: all.columns.map((c) => gatherVector(c, perm)) };
      const sortedGroups = new Int32Array(n);
      for (let i = 0; i < n; i++) sortedGroups[i] = groups[perm[i]];
      this.accumulateOne(k, sorted, sortedGroups, n);
    }
  }

  private accumulate(b: Batch, groups: Int32Array, n: number): void {
    for (let k = 0; k < this.aggs.length; k++) if (this.aggs[k].order === null) this.accumulateOne(k, b, groups, n);
  }

  private accumulateOne(k: number, b: Batch, groups: Int32Array, n: number): void {
    const agg = this.aggs[k];
    const args = agg.args.map((a) => a.eval(b));
    let mask: Uint8Array | null = agg.filter === null ? null : trueMask(agg.filter.eval(b) as BoolVector, n);
    const distinct = this.distincts[k];
    if (distinct !== null) {
      mask ??= new Uint8Array(n).fill(1);
      distinct.apply(groups, args, n, mask);
    }
    this.accs[k].update(groups, args, n, mask);
  }
}

/** Hands out batches read back from a spill file (the input of a partition's aggregation or join). */
export class BatchReaderOp extends Operator {
  constructor(
    node: PlanNode,
    env: ExprEnv,
    private readonly batches: Iterator<Batch>,
  ) {
    super(node, env);
  }
  protected produce(): Pulled {
    const r = this.batches.next();
    return r.done === true ? null : r.value;
  }
}

function relabel(v: Vector, type: DataType): Vector {
  return v.type === type || v.type.storage !== type.storage ? v : ({ ...v, type } as Vector);
}
