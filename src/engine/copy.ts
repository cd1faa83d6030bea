// COPY … FROM STDIN and COPY … TO STDOUT in text, CSV and binary formats. Incoming rows are parsed
// straight into typed vectors (VectorBuilder) and appended in batches, never one storage put per row.
import { SqlError, SqlState } from '../types/sql-error';
import { Scalar, Vector } from '../types/vector';
import { VectorBuilder } from '../types/vector-builder';
import { formatCell } from '../types/text-format';
import { BoundStatement, CopyOptions } from '../sql/bound-statement';
import { defaultExpr } from '../sql/bind-dml';
import { CopyInSink, ExecuteResult } from './session-api';
import type { EngineSession } from './session';
import { checkNotNull, evaluateDefaults } from './dml';
import { enforceChecks } from './constraints';
import { CopyRowSplitter, escapeCopyText, escapeCsv } from './copy-text';
import { CopyTextBytes, copyBytesSupported } from './copy-text-bytes';
import { PARALLEL_MIN_BYTES, ParallelCopyText, copyParseWorkers } from './copy-parallel';
import { ensureStrings } from '../types/string-bytes';
import { ROW_GROUP_ROWS } from '../storage/api';
import { BinaryCopyReader, BinaryRowWriter, binaryCopyHeader, binaryCopyTrailer } from './copy-binary';
import { decodeBinaryParam } from '../types/binary-value';

/** Rows parsed before they are handed to storage as one batch (at most: batches end at row-group boundaries). */
const COPY_BATCH_ROWS = ROW_GROUP_ROWS;

export async function runCopyFrom(session: EngineSession, bound: Extract<BoundStatement, { kind: 'copyFrom' }>): Promise<ExecuteResult> {
  const txn = await session.writeTxn();
  const { table, columns, options } = bound;
  const fs = session.settings.format();
  // Columns not listed get their DEFAULT, evaluated per batch of rows (nextval differs per row).
  const ctx = session.bindContext([]);
  const defaultExprs = table.columns.map((c, i) => (columns.includes(i) ? null : defaultExpr(c, ctx, table)));
  const splitter = options.format === 'binary' ? new BinaryCopyReader() : new CopyRowSplitter(options);
  // The builders are reused: finish() hands over a batch and starts the next.
  const builders = columns.map((c) => new VectorBuilder(table.columns[c].type, fs, COPY_BATCH_ROWS));
  let rows = 0;
  let failed: SqlError | null = null;
  // Batches end where the table's row groups do, so each stored group is one batch (no concatenation at commit).
  const snap = txn.table(table.id);
  const tail = snap.rowGroupCount === 0 ? 0 : snap.rowCount(snap.rowGroupCount - 1) % ROW_GROUP_ROWS;
  let batchLimit = ROW_GROUP_ROWS - tail;

  /** Stores n parsed rows (the listed columns' vectors, text maybe still bytes only). */
  const store = (parsed: Vector[], n: number) => {
    const defaults = evaluateDefaults(session, table, defaultExprs, n);
    // Without CHECK constraints nothing reads the text values here: storage makes their strings
    // only when something reads them (a row group spilled whole never does, see ensureStrings).
    if ((table.checks ?? []).length > 0) for (const v of parsed) ensureStrings(v);
    const full: Vector[] = table.columns.map((c, i) => {
      const k = columns.indexOf(i);
      return k !== -1 ? parsed[k] : defaults[i]!;
    });
    checkNotNull(session, table, full);
    enforceChecks(session, table, full, n);
    txn.append(table.id, full);
  };
  const flush = () => {
    const n = builders[0]?.length ?? 0;
    if (n === 0) return;
    batchLimit = COPY_BATCH_ROWS;
    store(
      builders.map((b) => b.finish(true)),
      n,
    );
  };

  const onRow = (fields: (string | null)[]) => {
    const line = splitter.lineNumber;
    if (fields.length > columns.length)
      throw new SqlError(SqlState.badCopyFileFormat, `extra data after last expected column`, { detail: `COPY ${table.name}, line ${line}` });
    if (fields.length < columns.length)
      throw new SqlError(SqlState.badCopyFileFormat, `missing data for column "${table.columns[columns[fields.length]].name}"`, { detail: `COPY ${table.name}, line ${line}` });
    for (let k = 0; k < fields.length; k++) {
      const f = fields[k];
      if (f === null) builders[k].appendNull();
      else builders[k].appendText(f);
    }
    rows++;
    if (builders[0].length >= batchLimit) flush();
  };

  const bytes = copyBytesSupported(options)
    ? new CopyTextBytes(options, {
        builders,
        columnNames: columns.map((c) => table.columns[c].name),
        tableName: table.name,
        rowDone: () => {
          rows++;
          if (builders[0].length >= batchLimit) flush();
        },
      })
    : null;

  const onBinaryRow = (fields: (Buffer | null)[]) => {
    const line = splitter.lineNumber;
    if (fields.length !== columns.length)
      throw new SqlError(SqlState.badCopyFileFormat, `row field count is ${fields.length}, expected ${columns.length}`, { detail: `COPY ${table.name}, line ${line}` });
    for (let k = 0; k < fields.length; k++) {
      const f = fields[k];
      if (f === null) builders[k].appendNull();
      else {
        const column = table.columns[columns[k]];
        try {
          builders[k].appendScalar(decodeBinaryParam(f, column.type, null));
        } catch (err) {
          if (!(err instanceof SqlError) || err.detail !== undefined) throw err;
          throw new SqlError(err.code, err.message, { detail: `COPY ${table.name}, line ${line}, column ${column.name}` });
        }
      }
    }
    rows++;
    if (builders[0].length >= batchLimit) flush();
  };
  // A large text COPY is parsed on worker threads (copy-parallel.ts): its first PARALLEL_MIN_BYTES
  // are held until it shows to be large; a smaller one is parsed here at its end, serially.
  const types = columns.map((c) => table.columns[c].type);
  const workers = bytes !== null ? copyParseWorkers(types, Number(session.settings.get('max_parallel_workers'))) : 0;
  let held: Buffer[] | null = workers > 0 ? [] : null;
  let heldBytes = 0;
  let par: ParallelCopyText | null = null;
  const goParallel = () => {
    par = new ParallelCopyText({
      options,
      types,
      fs,
      columnNames: columns.map((c) => table.columns[c].name),
      tableName: table.name,
      workers,
      firstBlockRows: batchLimit,
      store,
    });
    for (const b of held!) par.push(b);
    held = null;
  };
  const parse = (chunk: Buffer) => {
    if (par !== null) return par.push(chunk);
    if (held !== null) {
      // A copy: the chunk's memory may be reused by the reader once this returns.
      held.push(Buffer.from(chunk));
      heldBytes += chunk.length;
      if (heldBytes >= PARALLEL_MIN_BYTES) goParallel();
      return;
    }
    if (bytes !== null) bytes.push(chunk);
    else if (splitter instanceof BinaryCopyReader) splitter.push(chunk, onBinaryRow);
    else splitter.push(chunk, onRow);
  };

  const guard = (fn: () => void) => {
    if (failed !== null) return;
    try {
      fn();
    } catch (err) {
      failed = err instanceof SqlError ? err : new SqlError(SqlState.internalError, String(err));
      par?.cancel();
      session.abortAfterError();
      throw failed;
    }
  };

  const sink: CopyInSink = {
    write: (chunk) => guard(() => parse(chunk)),
    ready: () => (failed === null ? par?.ready() ?? txn.backlog?.() ?? null : null),
    end: async () => {
      if (failed !== null) throw failed;
      if (par !== null) {
        const p: ParallelCopyText = par;
        try {
          await p.finish();
        } catch (err) {
          guard(() => {
            throw err;
          });
        }
        await session.finishCopy();
        return `COPY ${p.rows}`;
      }
      guard(() => {
        if (held !== null) {
          for (const b of held) bytes!.push(b);
          held = null;
        }
        if (bytes !== null) bytes.finish();
        else if (splitter instanceof BinaryCopyReader) splitter.finish(onBinaryRow);
        else splitter.finish(onRow);
        flush();
      });
      await session.finishCopy();
      return `COPY ${rows}`;
    },
    fail: (message) => {
      if (failed === null) failed = new SqlError(SqlState.queryCanceled, `COPY from stdin failed: ${message}`);
      par?.cancel();
      session.abortAfterError();
    },
  };
  return { kind: 'copyIn', columnCount: columns.length, format: options.format, sink };
}

export async function runCopyTo(session: EngineSession, bound: Extract<BoundStatement, { kind: 'copyTo' }>, params: Scalar[]): Promise<ExecuteResult> {
  const batches = session.runPlan(bound.source, params);
  const fs = session.settings.format();
  const { options } = bound;
  if (options.format === 'binary') {
    // Buffers of about 64 kB, each sent as one CopyData message.
    const data: Buffer[] = [];
    const w = new BinaryRowWriter();
    w.bytes(binaryCopyHeader());
    let rows = 0;
    for (const batch of batches) {
      rows += w.rows(batch);
      if (w.size >= 65536) data.push(w.take());
    }
    w.bytes(binaryCopyTrailer());
    data.push(w.take());
    return { kind: 'copyOut', columnCount: bound.source.output.length, format: 'binary', data, command: `COPY ${rows}` };
  }
  const data: Buffer[] = [];
  let lines: string[] = [];
  let rows = 0;
  const escape = options.format === 'csv' ? (s: string) => escapeCsv(s, options) : (s: string) => escapeCopyText(s, options.delimiter);
  if (options.header) lines.push(bound.source.output.map((o) => (options.format === 'csv' ? escapeCsv(o.name, options) : o.name)).join(options.delimiter) + '\n');
  for (const batch of batches) {
    for (let r = 0; r < batch.length; r++) {
      const row = batch.selection !== undefined ? batch.selection[r] : r;
      let line = '';
      for (let c = 0; c < batch.columns.length; c++) {
        if (c > 0) line += options.delimiter;
        const text = formatCell(batch.columns[c], row, fs);
        line += text === null ? options.null : escape(text);
      }
      lines.push(line + '\n');
      rows++;
      if (lines.length >= 4096) {
        data.push(Buffer.from(lines.join(''), 'utf8'));
        lines = [];
      }
    }
  }
  if (lines.length > 0) data.push(Buffer.from(lines.join(''), 'utf8'));
  return { kind: 'copyOut', columnCount: bound.source.output.length, format: options.format as CopyOptions['format'], data, command: `COPY ${rows}` };
}
