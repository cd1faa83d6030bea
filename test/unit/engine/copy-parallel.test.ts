// COPY's parallel text parser (blocks of lines parsed on worker threads) against the serial byte
// parser it reuses: the same rows in the same row groups, the same first error with the same line
// number, whatever the chunk boundaries; and the chunks and statistics the workers make for a full
// row group are those storage would make itself.
import { expect } from 'chai';
import { ParallelCopyText } from '../../../src/engine/copy-parallel';
import { CopyTextBytes } from '../../../src/engine/copy-text-bytes';
import { CopyOptions } from '../../../src/sql/bound-statement';
import { DataType, Types, charType, dataType } from '../../../src/types/data-type';
import { DEFAULT_FORMAT, formatCell } from '../../../src/types/text-format';
import { VectorBuilder } from '../../../src/types/vector-builder';
import { Vector } from '../../../src/types/vector';
import { ensureStrings } from '../../../src/types/string-bytes';
import { ROW_GROUP_ROWS } from '../../../src/storage/api';
import { encodeChunkOffThread, hasEncodedChunk } from '../../../src/storage/chunk-encoder';
import { collectGroupStats } from '../../../src/storage/column-stats';

const TYPES: DataType[] = [Types.int4, Types.int8, dataType('numeric', ((15 << 16) | 2) + 4), Types.date, charType('bpchar', 3), charType('varchar', 12), Types.text];
const NAMES = TYPES.map((_, i) => `c${i}`);
const text: CopyOptions = { format: 'text', delimiter: '|', header: false, null: '\\N', quote: '"', escape: '"' };

/** Row groups as text cells, or the error (message and detail). */
type Outcome = { groups: (string | null)[][][]; error: string | null };

function cells(vectors: Vector[]): (string | null)[][] {
  return Array.from({ length: vectors[0].length }, (_, i) => vectors.map((v) => formatCell(v, i, DEFAULT_FORMAT)));
}

function describeError(err: unknown): string {
  const e = err as { code?: string; message: string; detail?: string };
  return `${e.code} ${e.message} / ${e.detail}`;
}

function pieces(input: Buffer, step: number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < input.length; at += step) out.push(input.subarray(at, at + step));
  return out;
}

/** The serial parser, its batches cut where COPY cuts them (the first at firstRows, then every row group). */
function serial(input: Buffer, options: CopyOptions, firstRows: number): Outcome {
  const builders = TYPES.map((t) => new VectorBuilder(t, DEFAULT_FORMAT, 16));
  const groups: (string | null)[][][] = [];
  let limit = firstRows;
  const flush = () => {
    if (builders[0].length > 0) groups.push(cells(builders.map((b) => b.finish())));
    limit = ROW_GROUP_ROWS;
  };
  try {
    const p = new CopyTextBytes(options, { builders, columnNames: NAMES, tableName: 't', rowDone: () => (builders[0].length >= limit ? flush() : undefined) });
    for (const piece of pieces(input, 65536)) p.push(piece);
    p.finish();
    flush();
  } catch (err) {
    return { groups, error: describeError(err) };
  }
  return { groups, error: null };
}

async function parallel(input: Buffer, options: CopyOptions, firstRows: number, step: number, keep: Vector[][] = []): Promise<Outcome> {
  const groups: (string | null)[][][] = [];
  const p = new ParallelCopyText({
    options,
    types: TYPES,
    fs: DEFAULT_FORMAT,
    columnNames: NAMES,
    tableName: 't',
    workers: 2,
    firstBlockRows: firstRows,
    store: (vectors, n) => {
      expect(vectors[0].length).to.equal(n);
      keep.push(vectors);
      // Text comes as bytes only (storage makes the strings when something reads them).
      for (const v of vectors) ensureStrings(v);
      groups.push(cells(vectors));
    },
  });
  try {
    for (const piece of pieces(input, step)) {
      p.push(piece);
      const ready = p.ready();
      if (ready !== null) await ready;
    }
    await p.finish();
  } catch (err) {
    return { groups, error: describeError(err) };
  }
  return { groups, error: null };
}

function input(rows: number, line: (i: number) => string, eol = '\n'): Buffer {
  const lines: string[] = [];
  for (let i = 0; i < rows; i++) lines.push(line(i));
  return Buffer.from(lines.join(eol) + eol);
}

const row = (i: number) =>
  `${i}|${i * 1000003}|${(i % 1000) - 500}.${i % 100}|2024-0${(i % 9) + 1}-1${i % 10}|${['A', 'N', 'R'][i % 3]}|v${i % 7}|comment ${(i * 7919) % 100000}${i % 5000 === 3 ? ' tab\\there' : ''}`;

describe('COPY text parsed on worker threads', function () {
  this.timeout(60000);

  it('stores the serial parser’s rows in the same row groups, whatever the chunk boundaries', async () => {
    const b = input(150000, (i) => (i % 4000 === 17 ? `${i}|\\N|\\N|\\N|\\N|\\N|\\N` : row(i)), '\r\n');
    const expected = serial(b, text, 1000);
    expect(expected.error).to.equal(null);
    expect(expected.groups.map((g) => g.length)).to.deep.equal([1000, 65536, 65536, 150000 - 1000 - 2 * 65536]);
    for (const step of [8192, 1 << 20, 77777]) expect(await parallel(b, text, 1000, step), `chunks of ${step}`).to.deep.equal(expected);
  });

  it('skips a header, stops at \\. and reads a last line without newline as the serial parser does', async () => {
    const withHeader = { ...text, header: true };
    const body = input(70000, row).toString();
    const b1 = Buffer.from('a|b|c|d|e|f|g\n' + body + '\\.\nignored|after|the|end|marker|x|y\n');
    const p1 = await parallel(b1, withHeader, ROW_GROUP_ROWS, 50000);
    expect(p1).to.deep.equal(serial(b1, withHeader, ROW_GROUP_ROWS));
    expect(p1.groups.map((g) => g.length)).to.deep.equal([ROW_GROUP_ROWS, 70000 - ROW_GROUP_ROWS]);
    const b2 = Buffer.from(body + '1|2|3|2024-01-01|x|y|z');
    expect(await parallel(b2, text, ROW_GROUP_ROWS, 65536)).to.deep.equal(serial(b2, text, ROW_GROUP_ROWS));
  });

  it('fails with the first bad line’s error and line number, storing only the row groups before it', async () => {
    // Bad lines in the second and third blocks: the second's is reported, as the serial parser reports it.
    for (const bad of ['1|2|3|2024-01-01|x|y|z|extra', 'x|2|3|2024-01-01|x|y|z', '1|2|3|2024-13-01|x|y|z', '1|2|3|2024-01-01|toolong|y|z']) {
      const b = input(140000, (i) => (i === 100000 || i === 135000 ? bad : row(i)));
      const expected = serial(b, text, ROW_GROUP_ROWS);
      expect(expected.error, bad).to.be.a('string');
      expect(expected.groups.length).to.equal(1);
      const got = await parallel(b, text, ROW_GROUP_ROWS, 65536);
      expect(got, bad).to.deep.equal(expected);
    }
    const missing = await parallel(input(140000, (i) => (i === 139000 ? '1|2' : row(i))), text, ROW_GROUP_ROWS, 65536);
    expect(missing.error).to.equal('22P04 missing data for column "c2" / COPY t, line 139001');
  });

  it('hands over chunks and statistics of full row groups equal to the ones storage makes itself', async () => {
    const keep: Vector[][] = [];
    const b = input(ROW_GROUP_ROWS + 10, (i) => (i % 4000 === 17 ? `${i}|\\N|\\N|\\N|\\N|\\N|\\N` : row(i)));
    await parallel(b, text, ROW_GROUP_ROWS, 1 << 20, keep);
    expect(keep.map((g) => g[0].length)).to.deep.equal([ROW_GROUP_ROWS, 10]);
    // The full group and the last, partial one. The first call takes what the worker made, the second encodes and collects here.
    for (const group of keep) {
      expect(group.every((v) => hasEncodedChunk(v))).to.equal(true);
      const fromWorker = await Promise.all(group.map((v) => encodeChunkOffThread(v)));
      const here = await Promise.all(group.map((v) => encodeChunkOffThread(v)));
      expect(group.some((v) => hasEncodedChunk(v))).to.equal(false);
      expect(fromWorker.map((c) => c.toString('hex'))).to.deep.equal(here.map((c) => c.toString('hex')));
      expect(collectGroupStats(group)).to.deep.equal(collectGroupStats(group));
    }
    expect(collectGroupStats(keep[1]).columns[0]).to.deep.include({ nulls: 0, min: ROW_GROUP_ROWS, max: ROW_GROUP_ROWS + 9 });
  });
});
