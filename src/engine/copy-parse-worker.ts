// Worker thread of the parallel COPY text parser (copy-parallel.ts): receives a block of complete
// lines (one row group's worth), parses it with the serial byte parser (CopyTextBytes into
// VectorBuilders, so rows, errors and line numbers are the serial parser's), and when the block
// makes a row group of its own (a full one, or the COPY's last) also encodes its column chunks and
// collects its statistics here, so the main thread only forwards bytes and stores what comes back.
import { parentPort } from 'worker_threads';
import { VectorBuilder } from '../types/vector-builder';
import { StringBytes, stringBytesOf } from '../types/string-bytes';
import { SqlError } from '../types/sql-error';
import { ROW_GROUP_ROWS } from '../storage/api';
import { encodeChunk, encodeChunkFromBytes } from '../storage/chunk-codec';
import { collectGroupStats } from '../storage/column-stats';
import { CopyTextBytes } from './copy-text-bytes';
import type { ParseReply, ParseRequest } from './copy-parallel';

/**
 * The builders of the last block's columns, kept for the next block of the same COPY (their arrays
 * and byte arenas come out of the last block sized for the next); dropped after an error.
 */
let kept: { key: string; builders: VectorBuilder[] } | null = null;

function buildersFor(m: ParseRequest): VectorBuilder[] {
  const key = JSON.stringify([m.types, m.fs]);
  if (kept === null || kept.key !== key) kept = { key, builders: m.types.map((t) => new VectorBuilder(t, m.fs, Math.max(16, m.lines + 1))) };
  return kept.builders;
}

function parseBlock(m: ParseRequest): { reply: ParseReply; transfer: ArrayBuffer[] } {
  const builders = buildersFor(m);
  let rows = 0;
  const parser = new CopyTextBytes(
    { ...m.options, header: false },
    { builders, columnNames: m.columnNames, tableName: m.tableName, rowDone: () => void rows++ },
  );
  parser.lineNumber = m.firstLine;
  parser.push(Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.length));
  parser.finish();
  const vectors = builders.map((b) => b.finish(true));
  const forms: (StringBytes | null)[] = vectors.map((v) => (v.kind === 'string' ? stringBytesOf(v) ?? null : null));
  if (!m.encode || (rows !== ROW_GROUP_ROWS && !m.final) || rows === 0) return { reply: { id: m.id, rows, vectors, forms, chunks: null, stats: null, error: null }, transfer: [] };
  // Byte-identical to what the chunk encoder's worker makes of these vectors (same encoder).
  const chunks = vectors.map((v, k) => {
    const form = forms[k];
    return form !== null && v.kind === 'string' ? encodeChunkFromBytes(v, form) : encodeChunk(v);
  });
  const stats = collectGroupStats(vectors);
  return { reply: { id: m.id, rows, vectors, forms, chunks, stats, error: null }, transfer: chunks.map((c) => c.buffer as ArrayBuffer) };
}

parentPort!.on('message', (m: ParseRequest) => {
  let out: { reply: ParseReply; transfer: ArrayBuffer[] };
  try {
    out = parseBlock(m);
  } catch (err) {
    kept = null;
    const error =
      err instanceof SqlError
        ? { code: err.code, message: err.message, detail: err.detail, hint: err.hint }
        : { code: 'XX000', message: err instanceof Error ? err.message : String(err), detail: undefined, hint: undefined };
    out = { reply: { id: m.id, rows: 0, vectors: null, forms: null, chunks: null, stats: null, error }, transfer: [] };
  }
  // Chunks encoded here may be views of a pooled buffer: transfer only buffers they own whole.
  const transfer = out.transfer.filter((b, i, all) => all.indexOf(b) === i && !(b instanceof SharedArrayBuffer));
  parentPort!.postMessage(out.reply, transfer);
});
