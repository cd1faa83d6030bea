// Hash join beyond work_mem (grace hash join). When the build side's batches grow past work_mem,
// the join stops building in memory: the build rows gathered so far and the rest of the build
// input are written to PARTITIONS temp files chosen by bits of their join-key hash, then the probe
// input the same way, and each partition pair is joined on its own by a fresh hash join over the
// two files — equal keys hash alike, so every match lies within one pair. A pair whose build file
// is still over work_mem spills again inside that join, one level deeper, on the next hash bits.
// Rows with NULL keys land in some partition too; they match nothing there, exactly as in memory,
// so outer, semi and anti joins emit them as they would. Files use the aggregation's spill format.
import { HashJoinNode } from '../../plan/plan';
import { Batch } from '../../types/vector';
import { vectorBytes } from '../../storage/chunk-codec';
import { ExprEnv } from '../expr/compiled';
import { KeyColumn, hashKeys } from '../hash/key-hash';
import { gatherBatch } from '../vector-util';
import { BatchReaderOp } from './hash-aggregate';
import { MAX_SPILL_LEVEL, PARTITIONS, SpillFile, SpillPartitions, partitionOf } from './hash-aggregate-spill';
import { Operator, Pulled, YIELD } from './operator';

/** Approximate memory of a batch; a string dictionary shared by several batches counts once (`seen`). */
export function batchBytes(b: Batch, seen: Set<string[]>): number {
  let bytes = 0;
  for (const v of b.columns) {
    if (v.kind === 'string') {
      bytes += v.length * 4 + (v.nulls !== null ? v.length : 0);
      if (!seen.has(v.dict)) {
        seen.add(v.dict);
        for (const s of v.dict) bytes += 16 + s.length * 2;
      }
    } else bytes += vectorBytes(v);
  }
  return bytes;
}

/** work_mem for a join at this spill level, or null when it must stay in memory. */
export function joinSpillLimit(env: ExprEnv, level: number): { bytes: number; dir: string } | null {
  const wm = env.ctx.workMem;
  return wm !== undefined && level <= MAX_SPILL_LEVEL ? wm : null;
}

/** Opens the in-memory hash join of one partition pair (HashJoinOp at the next level). */
export type OpenPartitionJoin = (env: ExprEnv, left: Operator, right: Operator, level: number) => Operator;

/** Splits batches by the partition of their key hash and appends each part to its file. */
function partitionBatch(files: SpillPartitions, b: Batch, keys: KeyColumn[], level: number, needed: readonly boolean[] | null): void {
  const n = b.length;
  const hashes = new Int32Array(n);
  hashKeys(keys, n, hashes);
  const part = new Uint8Array(n);
  const counts = new Int32Array(PARTITIONS);
  for (let i = 0; i < n; i++) {
    const p = partitionOf(hashes[i], level);
    part[i] = p;
    counts[p]++;
  }
  const rows: Uint32Array[] = Array.from(counts, (c) => new Uint32Array(c));
  const fill = new Int32Array(PARTITIONS);
  for (let i = 0; i < n; i++) rows[part[i]][fill[part[i]]++] = i;
  for (let p = 0; p < PARTITIONS; p++) if (counts[p] > 0) files.files[p].append(gatherBatch(b, rows[p], counts[p], needed));
}

/**
 * The spilling phase of one hash join: build rows to partitions, then probe rows, then the
 * partition pairs joined one after another. produce() has the operator contract (YIELD resumes).
 */
export class GraceHashJoin {
  private readonly build: SpillPartitions;
  private readonly probe: SpillPartitions;
  private phase: 'build' | 'probe' | 'join' = 'build';
  private partition = 0;
  private current: Operator | null = null;

  constructor(
    private readonly node: HashJoinNode,
    private readonly env: ExprEnv,
    private readonly level: number,
    dir: string,
    private readonly left: Operator,
    private readonly right: Operator,
    /** The join's key columns of a batch of its left (probe) or right (build) input. */
    private readonly keysOf: (side: 'left' | 'right', b: Batch) => KeyColumn[],
    private readonly openJoin: OpenPartitionJoin,
    gathered: readonly Batch[],
  ) {
    this.build = new SpillPartitions(dir, level, node.right.output.map((o) => o.type), env.needed.get(node.right) ?? null, 'hashjoin-build');
    this.probe = new SpillPartitions(dir, level, node.left.output.map((o) => o.type), env.needed.get(node.left) ?? null, 'hashjoin-probe');
    env.closeAtEnd?.add(this.build);
    env.closeAtEnd?.add(this.probe);
    for (const b of gathered) this.addBuild(b);
  }

  private addBuild(b: Batch): void {
    partitionBatch(this.build, b, this.keysOf('right', b), this.level, this.env.needed.get(this.node.right) ?? null);
  }

  produce(): Pulled {
    if (this.phase === 'build') {
      for (let b = this.right.next(); b !== null; b = this.right.next()) {
        if (b === YIELD) return YIELD;
        this.addBuild(b);
      }
      this.build.seal();
      this.phase = 'probe';
    }
    if (this.phase === 'probe') {
      const needed = this.env.needed.get(this.node.left) ?? null;
      for (let b = this.left.next(); b !== null; b = this.left.next()) {
        if (b === YIELD) return YIELD;
        partitionBatch(this.probe, b, this.keysOf('left', b), this.level, needed);
      }
      this.probe.seal();
      const s = this.env.stats.get(this.node);
      if (s !== undefined) s.spilledRows = (s.spilledRows ?? 0) + this.build.rows + this.probe.rows;
      this.phase = 'join';
    }
    for (;;) {
      if (this.current === null && !this.openNext()) return null;
      const b = this.current!.next();
      if (b !== null) return b;
      this.current = null;
      this.build.files[this.partition - 1].remove();
      this.probe.files[this.partition - 1].remove();
    }
  }

  /** The join of the next partition pair with rows on either side; false when none is left. */
  private openNext(): boolean {
    while (this.partition < PARTITIONS) {
      const p = this.partition++;
      const b = this.build.files[p];
      const l = this.probe.files[p];
      if (b.rows === 0 && l.rows === 0) continue;
      // Nested operators count into a private stats map: EXPLAIN shows this join once.
      const env: ExprEnv = { ...this.env, stats: new Map() };
      this.current = this.openJoin(env, reader(this.node.left, env, l), reader(this.node.right, env, b), this.level + 1);
      return true;
    }
    this.close();
    return false;
  }

  close(): void {
    this.build.close();
    this.probe.close();
    this.env.closeAtEnd?.delete(this.build);
    this.env.closeAtEnd?.delete(this.probe);
  }
}

function reader(node: HashJoinNode['left'], env: ExprEnv, file: SpillFile): Operator {
  return new BatchReaderOp(node, env, file.read(node.output.map((o) => o.type)));
}
