// COPY's vectors (typed arrays in shared memory, string dictionaries as UTF-8 bytes) encode to the
// same chunk bytes on the worker thread, on the main thread, and through the JS-string path of a
// plain vector; and they decode back to the values COPY read.
import { isAscii } from 'buffer';
import { expect } from 'chai';
import { decodeChunk, encodeChunk } from '../../../src/storage/chunk-codec';
import { encodeChunkOffThread, setChunkWorkerEnabled } from '../../../src/storage/chunk-encoder';
import { DataType, Types, charType, numericType } from '../../../src/types/data-type';
import { DEFAULT_FORMAT, formatCell } from '../../../src/types/text-format';
import { Vector } from '../../../src/types/vector';
import { VectorBuilder } from '../../../src/types/vector-builder';
import { isSharedVector } from '../../../src/types/shared-vector';
import { stringBytesOf } from '../../../src/types/string-bytes';

const ROWS = 10000;

/** A vector built the way COPY's byte parser builds it: values as bytes, NULLs and odd values through their own calls. */
function build(type: DataType, text: (i: number) => string | null): Vector {
  const b = new VectorBuilder(type, DEFAULT_FORMAT, 1024);
  for (let i = 0; i < ROWS; i++) {
    const t = text(i);
    if (t === null) b.appendNull();
    else if (i % 97 === 5) b.appendText(t);
    else {
      const bytes = Buffer.from(`|${t}|`);
      // As COPY's parser passes it: whether the whole buffer is ASCII (long ASCII text is copied natively).
      b.appendBytes(bytes, 1, bytes.length - 1, isAscii(bytes));
    }
  }
  return b.finish();
}

const cases: [string, DataType, (i: number) => string | null, (i: number) => string | null][] = [
  ['int4 with NULLs', Types.int4, (i) => (i % 13 === 0 ? null : String(i * 7 - 5000)), (i) => (i % 13 === 0 ? null : String(i * 7 - 5000))],
  ['numeric(15,2)', numericType(15, 2), (i) => `${i}.${String(i % 100).padStart(2, '0')}`, (i) => `${i}.${String(i % 100).padStart(2, '0')}`],
  ['date', Types.date, (i) => `199${i % 10}-0${1 + (i % 9)}-1${i % 10}`, (i) => `199${i % 10}-0${1 + (i % 9)}-1${i % 10}`],
  ['char(10) of few values, padded', charType('bpchar', 10), (i) => ['AIR', 'MAIL', 'TRUCK', 'REG AIR'][i % 4], (i) => ['AIR', 'MAIL', 'TRUCK', 'REG AIR'][i % 4].padEnd(10)],
  ['varchar(44) nearly unique, some repeats', charType('varchar', 44), (i) => `comment ${i % 9000} blithely final deposits`, (i) => `comment ${i % 9000} blithely final deposits`],
  ['text unique with NULLs and non-ASCII', Types.text, (i) => (i % 11 === 0 ? null : `wörd ${i} ✓`), (i) => (i % 11 === 0 ? null : `wörd ${i} ✓`)],
  ['text with few values and NULLs', Types.text, (i) => (i % 5 === 0 ? null : `v${i % 3}`), (i) => (i % 5 === 0 ? null : `v${i % 3}`)],
];

describe('chunk encoder worker', () => {
  after(() => setChunkWorkerEnabled(true));

  for (const [name, type, input, expected] of cases) {
    it(`${name}: the worker's chunk equals the main thread's and decodes to the values`, async () => {
      const v = build(type, input);
      expect(isSharedVector(v)).to.equal(true);
      if (v.kind === 'string') expect(stringBytesOf(v)).to.not.equal(undefined);
      // Padded byte values and the string path's values meet in one dictionary entry each.
      if (v.kind === 'string' && name.startsWith('char(10)')) expect(v.dict).to.have.members(['AIR       ', 'MAIL      ', 'TRUCK     ', 'REG AIR   ']);
      setChunkWorkerEnabled(true);
      const onWorker = await encodeChunkOffThread(v);
      setChunkWorkerEnabled(false);
      const onMain = await encodeChunkOffThread(v);
      // A plain copy has no byte form: the JS-string layout, the reference.
      const reference = encodeChunk({ ...v } as Vector);
      expect(onWorker.equals(onMain)).to.equal(true);
      expect(onWorker.equals(reference)).to.equal(true);
      const back = decodeChunk(onWorker, type);
      for (let i = 0; i < ROWS; i++) expect(formatCell(back, i, DEFAULT_FORMAT), `row ${i}`).to.equal(expected(i));
    });
  }

  it('rejects a char(n) value too long, as the string path does', () => {
    const b = new VectorBuilder(charType('bpchar', 3), DEFAULT_FORMAT);
    const bytes = Buffer.from('abcd');
    expect(() => b.appendBytes(bytes, 0, 4)).to.throw(/value too long for type character\(3\)/);
    b.appendBytes(Buffer.from('ab  '), 0, 4); // trailing spaces beyond n are cut, as PostgreSQL does
    expect(formatCell(b.finish(), 0, DEFAULT_FORMAT)).to.equal('ab ');
  });
});
