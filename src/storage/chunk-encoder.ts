// Encodes a bulk load's column chunks on a worker thread, so encoding (dictionary layout, integer
// encodings, dictionary compression, checksum) overlaps with COPY parsing the next rows on the main thread. The
// vectors COPY builds keep their typed arrays in SharedArrayBuffers and their string dictionaries
// as UTF-8 bytes (types/string-bytes.ts), so posting one shares memory instead of copying it. Chunks
// are byte-identical to encodeChunkAsync's (the worker runs the same encoder); anything else
// (small vectors, JS-only dictionaries, wide numerics, no worker) is encoded here as before.
import * as path from 'path';
import { Worker } from 'worker_threads';
import { Vector } from '../types/vector';
import { isSharedVector } from '../types/shared-vector';
import { StringBytes, stringBytesOf } from '../types/string-bytes';
import { encodeChunkAsync } from './chunk-codec';

export interface EncodeRequest {
  id: number;
  vector: Vector;
  form: StringBytes | null;
}

export interface EncodeReply {
  id: number;
  chunk: Uint8Array | null;
  error: string | null;
}

/** Vectors shorter than this are encoded on the calling thread (a message costs more). */
const MIN_WORKER_ROWS = 4096;

let worker: Worker | null = null;
let nextId = 1;
const pending = new Map<number, { resolve: (b: Buffer) => void; reject: (e: Error) => void }>();
/**
 * Chunks waiting for the worker, not posted yet: it gets at most WORKER_DEPTH at a time, so the
 * ones behind can still be taken back by a thread that would otherwise wait (stealQueuedChunks).
 */
const queued: { v: Vector; resolve: (b: Buffer) => void; reject: (e: Error) => void }[] = [];
const WORKER_DEPTH = 2;
/** Off: every chunk is encoded on the main thread (tests compare both paths). */
let enabled = true;

export function setChunkWorkerEnabled(on: boolean): void {
  enabled = on;
}

function failAll(err: Error): void {
  for (const p of pending.values()) p.reject(err);
  pending.clear();
  for (const q of queued.splice(0)) q.reject(err);
}

/** Hands queued chunks to the worker while it has fewer than WORKER_DEPTH. */
function postQueued(): void {
  while (pending.size < WORKER_DEPTH && queued.length > 0) {
    const { v, resolve, reject } = queued.shift()!;
    const form = v.kind === 'string' ? stringBytesOf(v)! : null;
    // The dictionary's JS strings stay here: the worker reads only the byte form.
    const vector = v.kind === 'string' ? { ...v, dict: [] } : v;
    const id = nextId++;
    const w = theWorker();
    if (pending.size === 0) w.ref();
    pending.set(id, { resolve, reject });
    w.postMessage({ id, vector, form } satisfies EncodeRequest);
  }
}

/**
 * Encodes the chunks still queued for the worker on this thread instead (compression on libuv's
 * thread pool): called where this thread would otherwise wait for them (a commit, or COPY held
 * back while storage catches up), so the worker and this thread share the encoding.
 */
export function stealQueuedChunks(): void {
  for (const q of queued.splice(0)) encodeChunkAsync(q.v).then(q.resolve, q.reject);
}

function theWorker(): Worker {
  if (worker !== null) return worker;
  const w = new Worker(path.join(__dirname, 'chunk-encode-worker.js'));
  w.on('message', (m: EncodeReply) => {
    const p = pending.get(m.id);
    if (p === undefined) return;
    pending.delete(m.id);
    postQueued();
    if (pending.size === 0) w.unref();
    if (m.chunk !== null) p.resolve(Buffer.from(m.chunk.buffer, m.chunk.byteOffset, m.chunk.length));
    else p.reject(new Error(`chunk encoding failed: ${m.error}`));
  });
  w.on('error', (err) => {
    if (worker === w) worker = null;
    failAll(err);
  });
  w.on('exit', () => {
    if (worker === w) worker = null;
    failAll(new Error('chunk encoder worker exited'));
  });
  // Idle, it must not keep the process alive (unref after the listeners: adding one refs again);
  // while chunks are pending it must (an awaited promise alone does not).
  w.unref();
  worker = w;
  return w;
}

/**
 * Chunks encoded before the vector reached storage (a COPY parse worker encodes each row group it
 * parses whole): taken once, by the vector's first encodeChunkOffThread (when its group fills, or
 * at commit for a COPY's last, partial group; a group that changed in between is other vectors).
 */
const encodedBefore = new WeakMap<object, Buffer>();

/** Records v's chunk, encoded elsewhere by the same encoder (encodeChunk / encodeChunkFromBytes). */
export function setEncodedChunk(v: Vector, chunk: Buffer): void {
  encodedBefore.set(v, chunk);
}

/** Whether v's chunk was encoded before and not taken yet (tests). */
export function hasEncodedChunk(v: Vector): boolean {
  return encodedBefore.has(v);
}

/** Whether the worker can take this vector without copying it (its arrays shared, strings as bytes). */
function workerCanTake(v: Vector): boolean {
  if (v.length < MIN_WORKER_ROWS || !isSharedVector(v)) return false;
  if (v.kind === 'string') return stringBytesOf(v) !== undefined;
  if (v.kind === 'numeric') return v.wide === null;
  return true;
}

/**
 * The chunk's bytes, encoded on the worker thread when the vector suits it. `unlessBusy`: while the
 * worker still has chunks queued (a bulk load's full groups), encode here instead (compressing on
 * libuv's thread pool), beside it: a commit waiting for its last group is not queued behind them.
 */
export function encodeChunkOffThread(v: Vector, unlessBusy = false): Promise<Buffer> {
  const before = encodedBefore.get(v);
  if (before !== undefined) {
    encodedBefore.delete(v);
    return Promise.resolve(before);
  }
  if (!enabled || !workerCanTake(v) || (unlessBusy && pending.size > 0)) return encodeChunkAsync(v);
  return new Promise<Buffer>((resolve, reject) => {
    queued.push({ v, resolve, reject });
    postQueued();
  });
}
