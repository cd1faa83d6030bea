// COPY FROM's text format parsed on worker threads. The main thread only cuts the incoming bytes
// into blocks of whole lines — one row group's worth each (65,536 lines, the first one up to the
// table's next group boundary) — and hands them to a pool of parse workers (copy-parse-worker.ts),
// which parse them with the serial byte parser, and encode and collect statistics for a block that
// makes a row group of its own. Blocks are parsed side by side and stored in input order, so the table,
// the rows, the errors and their line numbers are the serial parser's: the first failing block in
// input order reports its error (with the line number counted from the start), and nothing after it
// is stored. Memory stays bounded: at most BLOCKS_PER_WORKER blocks per worker are out at a time
// (COPY waits in ready() meanwhile).
import * as os from 'os';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { DataType } from '../types/data-type';
import { SqlError, SqlState, SqlStateCode } from '../types/sql-error';
import { FormatSettings } from '../types/text-format';
import { Vector } from '../types/vector';
import { StringBytes, setStringBytes } from '../types/string-bytes';
import { CopyOptions } from '../sql/bound-statement';
import { ROW_GROUP_ROWS } from '../storage/api';
import { setEncodedChunk } from '../storage/chunk-encoder';
import { GroupStats, setColumnStats, sketchOf } from '../storage/column-stats';

export interface ParseRequest {
  id: number;
  /** Whole lines (the last block's last one maybe unterminated), in shared memory the sender reuses once answered. */
  bytes: Uint8Array;
  /** Lines of input before the block's first (for error messages). */
  firstLine: number;
  /** Lines in the block (at most: the last may hold one unterminated line more). */
  lines: number;
  /**
   * The block starts a row group: encode its chunks and collect its statistics when it fills the
   * group, or when it is the last (its partial group is committed as it is, or not at all).
   */
  encode: boolean;
  /** The last block of the COPY. */
  final: boolean;
  options: CopyOptions;
  types: DataType[];
  fs: FormatSettings;
  columnNames: string[];
  tableName: string;
}

export interface ParseReply {
  id: number;
  rows: number;
  vectors: Vector[] | null;
  forms: (StringBytes | null)[] | null;
  chunks: Uint8Array[] | null;
  stats: GroupStats | null;
  error: { code: string; message: string; detail: string | undefined; hint: string | undefined } | null;
}

/** Input bytes before a COPY is parsed on the workers: smaller loads are parsed here, serially. */
export const PARALLEL_MIN_BYTES = 2 << 20;
/** Column types whose vectors cross threads as plain data. */
const PARALLEL_STORAGE = new Set(['int32', 'int64', 'float64', 'timestamp', 'string', 'numeric', 'bool']);

/**
 * TESSERA_COPY_PARALLEL=always (tests): parse on the workers whatever the machine's load; =never:
 * always serially. Otherwise see copyParseWorkers.
 */
const forced = process.env.TESSERA_COPY_PARALLEL;

/**
 * Parse workers for a COPY allowed `maxWorkers` threads (max_parallel_workers): none below two (one
 * worker would only move the serial parse off this thread, at the cost of the hand-over), at most
 * one per core (more would only share the cores), 0 when a column's type is not handled here.
 * None either while the machine has no idle core (1-minute load average at or above the cores):
 * the workers spend 20-35% more CPU in all than the serial parse (two heaps, two JITs, the
 * hand-over), which only pays when they run on cores that would otherwise idle; on a busy machine
 * the serial parse finishes sooner (bench/results/load-sf1-vs-postgres-h-load.md).
 */
export function copyParseWorkers(types: DataType[], maxWorkers: number): number {
  const cores = os.availableParallelism();
  const n = Math.min(maxWorkers, cores, MAX_POOL);
  if (n < 2 || forced === 'never' || types.length === 0 || !types.every((t) => PARALLEL_STORAGE.has(t.storage))) return 0;
  return forced === 'always' || os.loadavg()[0] < cores ? n : 0;
}

/** The pool never grows beyond this. */
const MAX_POOL = 8;

// ---- the pool (shared by every COPY of the process; idle workers do not keep it alive) ----
interface PoolWorker {
  w: Worker;
  pending: number;
  /** Ids of the blocks sent to this worker and not answered yet. */
  readonly ids: Set<number>;
}
const pool: PoolWorker[] = [];
const waiting = new Map<number, (r: ParseReply | Error) => void>();
let nextId = 1;

function spawn(): PoolWorker {
  const pw: PoolWorker = { w: new Worker(path.join(__dirname, 'copy-parse-worker.js')), pending: 0, ids: new Set() };
  pw.w.on('message', (r: ParseReply) => {
    pw.pending--;
    pw.ids.delete(r.id);
    if (pw.pending === 0) pw.w.unref();
    const done = waiting.get(r.id);
    waiting.delete(r.id);
    done?.(r);
  });
  const lost = (err: Error) => {
    const i = pool.indexOf(pw);
    if (i !== -1) pool.splice(i, 1);
    // Its own blocks are lost: the COPYs that sent them fail (rare: a crash of the worker itself);
    // blocks other workers parse, of these COPYs or others, are answered as usual.
    for (const id of pw.ids) {
      const done = waiting.get(id);
      waiting.delete(id);
      done?.(err);
    }
    pw.ids.clear();
  };
  pw.w.on('error', lost);
  pw.w.on('exit', () => lost(new Error('COPY parse worker exited')));
  pw.w.unref();
  return pw;
}

/** Sends the block to the least busy of the pool's first `workers` workers. */
function dispatch(req: ParseRequest, workers: number, done: (r: ParseReply | Error) => void): void {
  while (pool.length < workers) pool.push(spawn());
  let pw = pool[0];
  for (let i = 1; i < workers; i++) if (pool[i].pending < pw.pending) pw = pool[i];
  if (pw.pending === 0) pw.w.ref();
  pw.pending++;
  pw.ids.add(req.id);
  waiting.set(req.id, done);
  pw.w.postMessage(req);
}

/** Blocks out at a time per worker (one parsing, one queued behind it). */
const BLOCKS_PER_WORKER = 2;

export interface ParallelCopyTarget {
  options: CopyOptions;
  types: DataType[];
  fs: FormatSettings;
  columnNames: string[];
  tableName: string;
  /** Parse workers to use (copyParseWorkers). */
  workers: number;
  /** Rows of the first block (to the table's next row-group boundary). */
  firstBlockRows: number;
  /** A parsed block, in input order: store it (throws SqlError to fail the COPY). */
  store(vectors: Vector[], rows: number): void;
}

export class ParallelCopyText {
  private block: Buffer;
  private used = 0;
  /** Where the line being scanned starts (newlines before it are counted). */
  private scanPos = 0;
  /** The block's first byte (after a skipped header line). */
  private blockStart = 0;
  private blockLines = 0;
  private blockLimit: number;
  /** Lines of input before the current block. */
  private linesBefore = 0;
  private headerPending: boolean;
  private ended = false;
  private nextId = 0;
  private nextToStore = 0;
  private readonly replies = new Map<number, ParseReply | Error>();
  private outstanding = 0;
  private error: SqlError | null = null;
  private errorThrown = false;
  private cancelled = false;
  private wake: (() => void) | null = null;
  rows = 0;

  constructor(private readonly t: ParallelCopyTarget) {
    this.blockLimit = t.firstBlockRows;
    this.headerPending = t.options.header;
    this.block = this.newBlock(1 << 20);
  }

  /** Takes a slice of the stream; throws the first failed block's error once it is known. */
  push(chunk: Buffer): void {
    this.throwIfFailed();
    if (this.ended) return;
    if (this.used + chunk.length > this.block.length) this.grow(this.used + chunk.length);
    chunk.copy(this.block, this.used);
    this.used += chunk.length;
    this.scan();
  }

  /** A promise to await before more input while enough blocks are out; null when none is needed. */
  ready(): Promise<void> | null {
    if (this.outstanding < this.maxOutstanding() || this.error !== null) return null;
    return new Promise((resolve) => (this.wake = resolve));
  }

  /** End of input: parses the rest and waits for every block; throws the first error. */
  async finish(): Promise<void> {
    this.throwIfFailed();
    if (!this.ended && this.used > this.blockStart) this.send(this.used, this.used, true);
    this.ended = true;
    while (this.outstanding > 0 && this.error === null) await new Promise<void>((resolve) => (this.wake = resolve));
    this.throwIfFailed();
  }

  /** The COPY failed or was cancelled elsewhere: nothing more is stored. */
  cancel(): void {
    this.cancelled = true;
    this.ended = true;
  }

  private maxOutstanding(): number {
    return BLOCKS_PER_WORKER * this.t.workers;
  }

  private throwIfFailed(): void {
    if (this.error !== null && !this.errorThrown) {
      this.errorThrown = true;
      throw this.error;
    }
  }

  /**
   * Block buffers come back once their block is answered (the worker keeps no reference into one)
   * and are reused: a load touches a few blocks' memory, not fresh memory for every block.
   */
  private readonly free: Buffer[] = [];

  private newBlock(size: number): Buffer {
    for (let i = 0; i < this.free.length; i++) if (this.free[i].length >= size) return this.free.splice(i, 1)[0];
    return Buffer.from(new SharedArrayBuffer(size));
  }

  private grow(need: number): void {
    let cap = this.block.length * 2;
    while (cap < need) cap *= 2;
    const b = this.newBlock(cap);
    this.block.copy(b, 0, 0, this.used);
    this.free.push(this.block);
    this.block = b;
  }

  /** Counts the lines of the new bytes; sends a block when it has its lines, stops at the end marker \. */
  private scan(): void {
    const used = this.used;
    const view = this.block.subarray(0, used);
    let pos = this.scanPos;
    for (;;) {
      // Native: several times faster than a JS loop over the bytes of a TPC-H line.
      const nl = view.indexOf(10, pos);
      if (nl === -1) break;
      const start = pos;
      pos = nl + 1;
      if (view[start] === 92 && nl - start <= 3) {
        const end = nl > start && view[nl - 1] === 13 ? nl - 1 : nl;
        if (end - start === 2 && view[start + 1] === 46) {
          // End-of-data marker: what follows is ignored (the serial parser's rule).
          this.scanPos = start;
          this.send(start, start, true);
          this.ended = true;
          return;
        }
      }
      if (this.headerPending) {
        this.headerPending = false;
        this.blockStart = pos;
        this.linesBefore++;
        continue;
      }
      if (++this.blockLines === this.blockLimit) {
        this.scanPos = pos;
        this.send(pos, used);
        this.blockLimit = ROW_GROUP_ROWS;
        return this.scan();
      }
    }
    this.scanPos = pos;
  }

  /** Sends block bytes [blockStart, end) to a worker; bytes [end, keepTo) start the next block. */
  private send(end: number, keepTo: number, final = false): void {
    const old = this.block;
    const rest = keepTo - end;
    // The next block starts about as large as this one was (a row group of the same table).
    const next = this.newBlock(Math.max(1 << 16, end - this.blockStart + rest, rest * 2));
    old.copy(next, 0, end, keepTo);
    const lines = this.blockLines;
    const req: ParseRequest = {
      id: nextId++,
      bytes: new Uint8Array(old.buffer, old.byteOffset + this.blockStart, end - this.blockStart),
      firstLine: this.linesBefore,
      lines,
      encode: this.blockLimit === ROW_GROUP_ROWS,
      final,
      options: this.t.options,
      types: this.t.types,
      fs: this.t.fs,
      columnNames: this.t.columnNames,
      tableName: this.t.tableName,
    };
    this.linesBefore += lines;
    this.block = next;
    this.used = rest;
    this.scanPos = 0;
    this.blockStart = 0;
    this.blockLines = 0;
    if (req.bytes.length === 0) {
      this.free.push(old);
      return;
    }
    const seq = this.nextId++;
    this.outstanding++;
    dispatch(req, this.t.workers, (r) => {
      this.free.push(old);
      this.replies.set(seq, r);
      this.storeInOrder();
    });
  }

  private storeInOrder(): void {
    for (let r = this.replies.get(this.nextToStore); r !== undefined; r = this.replies.get(this.nextToStore)) {
      this.replies.delete(this.nextToStore++);
      this.outstanding--;
      if (this.cancelled || this.error !== null) continue;
      try {
        if (r instanceof Error) throw new SqlError(SqlState.internalError, r.message);
        if (r.error !== null) throw new SqlError(r.error.code as SqlStateCode, r.error.message, { detail: r.error.detail, hint: r.error.hint });
        this.t.store(this.vectorsOf(r), r.rows);
        this.rows += r.rows;
      } catch (err) {
        this.error = err instanceof SqlError ? err : new SqlError(SqlState.internalError, String(err));
        this.ended = true;
      }
    }
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  /** The reply's vectors as this thread's: the columns' own types, string byte forms, and what the worker encoded and collected. */
  private vectorsOf(r: ParseReply): Vector[] {
    return r.vectors!.map((raw, k) => {
      const v = { ...raw, type: this.t.types[k] } as Vector;
      const form = r.forms![k];
      if (form !== null) setStringBytes(v, form);
      const chunk = r.chunks?.[k];
      if (chunk !== undefined) setEncodedChunk(v, Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
      if (r.stats !== null) setColumnStats(v, r.stats.columns[k], sketchOf(r.stats, k));
      return v;
    });
  }
}
