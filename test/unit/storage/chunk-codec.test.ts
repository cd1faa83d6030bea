// Every storage kind survives encode → decode exactly, including NULLs, edge values and wide numerics.
import { expect } from 'chai';
import { decodeChunk, encodeChunk, encodeChunkRaw } from '../../../src/storage/chunk-codec';
import { DataType, Types, numericType, charType } from '../../../src/types/data-type';
import { Scalar, StringVector } from '../../../src/types/vector';
import { gatherVector, getScalar, vectorFromScalars } from '../../../src/types/vector-ops';

function roundTrip(type: DataType, values: Scalar[]): Scalar[] {
  const v = vectorFromScalars(type, values);
  const back = decodeChunk(encodeChunk(v), type);
  expect(back.length).to.equal(values.length);
  return values.map((_, i) => getScalar(back, i));
}

const dec = (digits: bigint, scale: number) => ({ decimal: true as const, digits, scale });

describe('chunk codec', () => {
  const cases: [string, DataType, Scalar[]][] = [
    ['bool', Types.bool, [true, false, null, true]],
    ['int4 extremes', Types.int4, [0, -2147483648, 2147483647, null, 42]],
    ['int8', Types.int8, [9007199254740991, -9007199254740991, 0, null]],
    ['float8', Types.float8, [0.1, -0, Infinity, NaN, 1e308, null]],
    ['date', Types.date, [0, -719528, 2932896, null]],
    ['timestamp', Types.timestamp, [0, 1.5e15, -1e12, null]],
    ['numeric(15,2)', numericType(15, 2), [dec(12345n, 2), dec(-1n, 2), null, dec(0n, 2)]],
    ['unconstrained numeric with varying scales and wide values', Types.numeric, [dec(15n, 1), dec(225n, 2), dec(123456789012345678901234567890n, 3), null]],
    ['text with empty string vs NULL and unicode', Types.text, ['', null, 'héllo ✓', 'a\u0000b', 'x'.repeat(10000)]],
    ['char(4)', charType('bpchar', 4), ['ab  ', 'abcd', null]],
    ['interval', Types.interval, [{ months: 14, days: -3, micros: 3723000000 }, null, { months: 0, days: 0, micros: 0 }]],
  ];
  for (const [name, type, values] of cases) {
    it(`round-trips ${name}`, () => {
      const back = roundTrip(type, values);
      expect(back.map((x) => (typeof x === 'number' && Number.isNaN(x) ? 'NaN' : x))).to.deep.equal(values.map((x) => (typeof x === 'number' && Number.isNaN(x) ? 'NaN' : x)));
    });
  }

  it('round-trips every case with raw streams (delta entries), values written one by one up to 64 and as arrays past it', () => {
    const same = (x: Scalar) => (typeof x === 'number' && Number.isNaN(x) ? 'NaN' : typeof x === 'number' && Object.is(x, -0) ? '-0' : x);
    for (const [name, type, values] of cases) {
      for (const copies of [1, 20]) {
        const all = Array.from({ length: copies }, () => values).flat();
        const back = decodeChunk(encodeChunkRaw(vectorFromScalars(type, all)), type);
        expect(all.map((_, i) => same(getScalar(back, i))), `${name} x${copies}`).to.deep.equal(all.map(same));
      }
    }
  });

  it('encodes a few rows gathered from a large dictionary as the same rows with a dictionary of their own', () => {
    const big = vectorFromScalars(Types.text, [...Array.from({ length: 5000 }, (_, i) => `v${i}`), null]);
    const rows = [4321, 7, 5000, 4321, 12, 2999];
    const picked = rows.map((r) => (r === 5000 ? null : `v${r}`));
    const gathered = gatherVector(big, Uint32Array.from(rows));
    expect((gathered as StringVector).dict.length).to.be.greaterThan(1000);
    for (const encode of [encodeChunk, encodeChunkRaw]) {
      const bytes = encode(gathered);
      expect(bytes.equals(encode(vectorFromScalars(Types.text, picked)))).to.equal(true);
      const back = decodeChunk(bytes, Types.text);
      expect(picked.map((_, i) => getScalar(back, i))).to.deep.equal(picked);
    }
  });

  it('round-trips an all-NULL chunk and a single-value chunk', () => {
    expect(roundTrip(Types.int4, [null, null, null])).to.deep.equal([null, null, null]);
    expect(roundTrip(Types.text, ['only'])).to.deep.equal(['only']);
  });

  it('detects a corrupted chunk by its checksum', () => {
    const bytes = encodeChunk(vectorFromScalars(Types.int4, [1, 2, 3]));
    bytes[12] ^= 0xff;
    expect(() => decodeChunk(bytes, Types.int4)).to.throw(/corrupted/);
  });
});
