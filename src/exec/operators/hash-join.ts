// Hash join: the right input is the build side. Its rows are concatenated into one batch, the key
// vectors hashed as a whole and inserted into a KeyTable (one id per distinct key; NULL keys are
// left out since they never match), with the rows of each key chained in input order through an
// Int32Array. Each left batch is hashed the same way, looked up, and the chains expanded into
// candidate pairs for the shared JoinEmitter (residual, join-type output). Once built, the join arms
// Bloom filters of its keys for the scans under its left input (runtime-filter.ts); an inner, semi
// or right join with an empty build side ends without reading its left input at all. A large build
// side (parallel_join_build_rows, numeric keys) is built by the parallel workers in partitions
// instead (parallel/parallel-join-build.ts) and probed in shared memory; the output is the same.
import { HashJoinNode } from '../../plan/plan';
import { Batch } from '../../types/vector';
import { CompiledExpr, ExprEnv, addParallelStats } from '../expr/compiled';
import { compileExpr } from '../expr/compile';
import { KeyKind, KeyColumn, NumKey, pairKind, toKeyColumn } from '../hash/key-hash';
import { KeyTable } from '../hash/key-table';
import { findFirstRows, distinctKeys } from '../hash/partitioned-join-table';
import { ParallelJoinTable, buildJoinTableInParallel } from '../parallel/parallel-join-build';
import { concatBatches } from '../vector-util';
import { JoinEmitter, PairBuffer } from './join-emit';
import { HashSemiBuildLeftOp } from './hash-semi-build-left';
import { Operator, PrepareChild, PreparedNode, Pulled, YIELD } from './operator';
import { GraceHashJoin, batchBytes, joinSpillLimit } from './hash-join-spill';
import { RuntimeFilterSlot, armRuntimeFilters, prepareProbeWithRuntimeFilters, prepareWithRuntimeFilters } from './runtime-filter';

export function prepareHashJoin(node: HashJoinNode, env: ExprEnv, child: PrepareChild): PreparedNode {
  const leftKeys = node.leftKeys.map((k) => compileExpr(k, env));
  const rightKeys = node.rightKeys.map((k) => compileExpr(k, env));
  const kinds = leftKeys.map((k, i) => pairKind(k.type, rightKeys[i].type));
  if (node.buildLeft === true && (node.joinType === 'semi' || node.joinType === 'anti')) {
    const buildSide = child(node.left);
    const probe = prepareProbeWithRuntimeFilters(node, node.right, node.rightKeys, kinds, () => child(node.right));
    const residual = node.residual === null ? null : compileExpr(node.residual, env);
    return { node, open: () => new HashSemiBuildLeftOp(node, env, buildSide.open(), probe.prepared.open(), leftKeys, rightKeys, kinds, residual, probe.slots) };
  }
  const { left, slots } = prepareWithRuntimeFilters(node, kinds, () => child(node.left));
  const right = child(node.right);
  const residual = node.residual === null ? null : compileExpr(node.residual, env);
  return { node, open: () => new HashJoinOp(node, env, left.open(), leftKeys, rightKeys, kinds, residual, slots, right.open()) };
}

class HashJoinOp extends Operator {
  private emitter: JoinEmitter | null = null;
  private table: KeyTable | null = null;
  /** The table when built in parallel (then `table` and `head` stay unset; `chain` is its `next`). */
  private shared: ParallelJoinTable | null = null;
  private head = new Int32Array(0);
  private chain: Int32Array<ArrayBufferLike> = new Int32Array(0);
  /** Every key has one build row: chains have length one. */
  private uniqueKeys = false;
  private readonly queue: Batch[] = [];
  private queuePos = 0;
  private leftDone = false;
  private readonly pairs = new PairBuffer();
  /** Build-side batches gathered so far, and their estimated bytes (against work_mem). */
  private readonly rightBatches: Batch[] = [];
  private rightBytes = 0;
  private readonly rightDicts = new Set<string[]>();
  private rightDone = false;
  /** Set once the build side exceeded work_mem: the join runs partition by partition (hash-join-spill.ts). */
  private grace: GraceHashJoin | null = null;
  private readonly spillLimit: { bytes: number; dir: string } | null;

  constructor(
    private readonly node: HashJoinNode,
    private readonly env: ExprEnv,
    private readonly left: Operator,
    private readonly leftKeys: CompiledExpr[],
    private readonly rightKeys: CompiledExpr[],
    private readonly kinds: KeyKind[],
    private readonly residual: CompiledExpr | null,
    private readonly filterSlots: readonly RuntimeFilterSlot[],
    private readonly right: Operator,
    private readonly level = 0,
  ) {
    super(node, env);
    this.spillLimit = joinSpillLimit(env, level);
    // A previous run's filters must not reach this run's scans.
    for (const s of filterSlots) s.arm(null);
  }

  /** Builds the hash table from the right input; false when the input yielded first (call again). */
  private build(): boolean {
    const prebuilt = this.level === 0 ? this.env.ctx.prebuiltJoin?.(this.node) : undefined;
    if (prebuilt !== undefined) return this.adopt(prebuilt.build, { table: prebuilt.table, nullRows: prebuilt.nullRows });
    if (!this.rightDone) {
      const limit = this.spillLimit;
      for (let b = this.right.next(); b !== null; b = this.right.next()) {
        if (b === YIELD) return false;
        this.rightBatches.push(b);
        if (limit === null) continue;
        this.rightBytes += batchBytes(b, this.rightDicts);
        if (this.rightBytes > limit.bytes) {
          this.startGrace(limit.dir);
          return true;
        }
      }
      this.rightDone = true;
    }
    const rightBatches = this.rightBatches;
    const build = concatBatches(rightBatches, this.node.right.output.map((o) => o.type), this.env.needed.get(this.node.right) ?? null);
    if (!this.startEmitter(build)) return true;
    const n = build.length;
    const keys = this.keyColumns(this.rightKeys, build);
    const shared = this.level === 0 ? buildJoinTableInParallel(keys, this.kinds, n, this.env.ctx) : null;
    if (shared !== null) {
      const stats = this.env.stats.get(this.node);
      if (shared.parallel !== undefined && stats !== undefined) addParallelStats(stats, shared.parallel);
      this.useShared(shared, keys, n);
      return true;
    }
    const table = new KeyTable(this.kinds, n);
    const ids = new Int32Array(n);
    // No hashes passed: a direct-mode table needs none, a hash table computes them.
    table.findOrInsert(keys, null, n, ids, true);
    if (this.filterSlots.length > 0) armRuntimeFilters(this.filterSlots, keys, ids, n, table.size);
    const head = new Int32Array(table.size).fill(-1);
    const next = new Int32Array(n);
    // Insert backwards so each chain lists its rows in input order.
    let keyed = 0;
    for (let r = n - 1; r >= 0; r--) {
      const g = ids[r];
      if (g < 0) continue;
      keyed++;
      next[r] = head[g];
      head[g] = r;
    }
    this.uniqueKeys = keyed === table.size;
    this.table = table;
    this.head = head;
    this.chain = next;
    return true;
  }

  /** Takes a table built in shared memory (here or, inside a parallel worker, by the main thread). */
  private useShared(shared: ParallelJoinTable, keys: KeyColumn[], n: number): void {
    const t = shared.table;
    const distinct = distinctKeys(t);
    if (this.filterSlots.length > 0) {
      // Only the skipped rows (NULL keys) matter to the filters: every other row counts as keyed.
      const ids = new Int32Array(n);
      if (shared.nullRows !== null) for (let r = 0; r < n; r++) if (shared.nullRows[r] === 1) ids[r] = -1;
      armRuntimeFilters(this.filterSlots, keys, ids, n, distinct);
    }
    this.uniqueKeys = t.partStart[t.partStart.length - 1] === distinct;
    this.shared = shared;
    this.chain = t.next;
  }

  /** Inside a parallel worker: the build rows and table the main thread prepared (parallel/shared-joins.ts). */
  private adopt(build: Batch, shared: ParallelJoinTable): boolean {
    this.rightDone = true;
    if (this.startEmitter(build)) this.useShared(shared, this.filterSlots.length > 0 ? this.keyColumns(this.rightKeys, build) : [], build.length);
    return true;
  }

  /** The emitter over the build rows; false when there are none (no table is needed). */
  private startEmitter(build: Batch): boolean {
    this.emitter = new JoinEmitter(this.node.joinType, this.node.left.output.map((o) => o.type), build, this.residual, this.env.needed.get(this.node) ?? null);
    if (build.length > 0) return true;
    const t = this.node.joinType;
    // Nothing can match: inner, semi and right joins have no output, their left input is not read.
    if (t === 'inner' || t === 'semi' || t === 'right') this.leftDone = true;
    return false;
  }

  /** Over work_mem: the gathered build rows go to partition files, and so will the rest. */
  private startGrace(dir: string): void {
    const keysOf = (side: 'left' | 'right', b: Batch) => this.keyColumns(side === 'left' ? this.leftKeys : this.rightKeys, b);
    const open = (env: ExprEnv, left: Operator, right: Operator, level: number): Operator =>
      new HashJoinOp(this.node, env, left, this.leftKeys, this.rightKeys, this.kinds, this.residual, [], right, level);
    this.grace = new GraceHashJoin(this.node, this.env, this.level, dir, this.left, this.right, keysOf, open, this.rightBatches);
    this.rightBatches.length = 0;
  }

  private keyColumns(exprs: CompiledExpr[], batch: Batch): KeyColumn[] {
    return exprs.map((e, k) => toKeyColumn(e.eval(batch), this.kinds[k]));
  }

  protected produce(): Pulled {
    if (this.grace !== null) return this.grace.produce();
    if (this.emitter === null) {
      if (!this.build()) return YIELD;
      // build() may have found the build side over work_mem.
      const grace = this.grace as GraceHashJoin | null;
      if (grace !== null) return grace.produce();
    }
    const emitter = this.emitter!;
    for (;;) {
      if (this.queuePos < this.queue.length) {
        const b = this.queue[this.queuePos];
        this.queue[this.queuePos++] = undefined as unknown as Batch;
        if (this.queuePos === this.queue.length) {
          this.queue.length = 0;
          this.queuePos = 0;
        }
        return b;
      }
      if (this.leftDone) return null;
      const probe = this.left.next();
      if (probe === YIELD) return YIELD;
      if (probe === null) {
        this.leftDone = true;
        emitter.finish(this.queue);
        continue;
      }
      if (this.table === null && this.shared === null) {
        emitter.emitUnmatchedProbe(probe, this.queue);
        continue;
      }
      this.probe(probe, emitter);
    }
  }

  private probe(probe: Batch, emitter: JoinEmitter): void {
    const n = probe.length;
    const keys = this.keyColumns(this.leftKeys, probe);
    // ids: the first build row of each probe row's key, -1 when none.
    const ids = new Int32Array(n);
    if (this.shared !== null) findFirstRows(this.shared.table, keys as NumKey[], n, ids);
    else {
      this.table!.find(keys, null, n, ids, false);
      const head = this.head;
      for (let i = 0; i < n; i++) if (ids[i] >= 0) ids[i] = head[ids[i]];
    }
    const pairs = this.pairs;
    pairs.reset();
    const type = this.node.joinType;
    const next = this.chain;
    if (this.uniqueKeys || ((type === 'semi' || type === 'anti') && this.residual === null)) {
      // One build row per key (a primary key), or one pair per matched probe row is enough.
      pairs.ensure(n);
      const pl = pairs.left;
      const pr = pairs.right;
      let k = 0;
      for (let i = 0; i < n; i++) {
        const g = ids[i];
        if (g < 0) continue;
        pl[k] = i;
        pr[k++] = g;
      }
      pairs.count = k;
    } else {
      for (let i = 0; i < n; i++) {
        const g = ids[i];
        if (g < 0) continue;
        for (let r = g; r !== -1; r = next[r]) pairs.push(i, r);
      }
    }
    emitter.emit(probe, pairs, this.queue);
  }
}
