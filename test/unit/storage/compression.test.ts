// Per-chunk compression: every stream encoding round-trips exactly (edge values, NULLs, long runs,
// random data, full 65536-row chunks), typical data gets the expected encoding and shrinks, and
// chunks written by the version-1 codec (raw values) still decode.
import { expect } from 'chai';
import { ByteReader, ByteWriter } from '../../../src/storage/byte-io';
import { chunkInfo, decodeChunk, encodeChunk, encodeChunkRaw } from '../../../src/storage/chunk-codec';
import { TAG_BITPACK, TAG_CONSTANT, TAG_DELTA, TAG_NAMES, TAG_RAW, TAG_RLE, decodeInts, encodeInts } from '../../../src/storage/int-codec';
import { DataType, Types, numericType } from '../../../src/types/data-type';
import { Scalar, Vector } from '../../../src/types/vector';
import { getScalar, vectorFromScalars } from '../../../src/types/vector-ops';

/** A deterministic pseudo-random generator (xorshift), so failures reproduce. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

/** Encodes a stream, checks the tag chosen (when given) and that it decodes to the same values. */
function streamRoundTrip(values: number[], target: 'f64' | 'i32' | 'u8', expectTag?: number): void {
  const n = values.length;
  const elem = target === 'f64' ? 8 : target === 'i32' ? 4 : 1;
  const w = new ByteWriter();
  const tag = encodeInts(w, Float64Array.from(values), n, elem);
  if (expectTag !== undefined) expect(TAG_NAMES[tag]).to.equal(TAG_NAMES[expectTag]);
  w.u8(0xab); // a trailing sentinel: the decoder must consume exactly its stream
  const r = new ByteReader(Buffer.from(w.finish()));
  const out = target === 'f64' ? new Float64Array(n) : target === 'i32' ? new Int32Array(n) : new Uint8Array(n);
  decodeInts(r, out, n);
  expect(r.u8()).to.equal(0xab);
  for (let i = 0; i < n; i++) if (!Object.is(out[i], values[i])) expect.fail(`row ${i}: got ${out[i]}, expected ${values[i]} (${TAG_NAMES[tag]})`);
}

function sameScalars(a: Vector, b: Vector): void {
  expect(b.length).to.equal(a.length);
  for (let i = 0; i < a.length; i++) {
    const x = getScalar(a, i);
    const y = getScalar(b, i);
    if (typeof x === 'number' && typeof y === 'number') {
      if (!Object.is(x, y)) expect.fail(`row ${i}: ${y} vs ${x}`);
    } else expect(y, `row ${i}`).to.deep.equal(x);
  }
}

function chunkRoundTrip(type: DataType, values: Scalar[]): { encoding: string; bytes: number } {
  const v = vectorFromScalars(type, values);
  const buf = encodeChunk(v);
  sameScalars(v, decodeChunk(buf, type));
  const info = chunkInfo(buf);
  expect(info.version).to.equal(2);
  expect(info.rows).to.equal(values.length);
  return { encoding: info.encoding, bytes: buf.length };
}

describe('compression: value streams', () => {
  const MAX = Number.MAX_SAFE_INTEGER;
  it('constant', () => {
    streamRoundTrip([7, 7, 7, 7], 'i32', TAG_CONSTANT);
    streamRoundTrip([-0, -0], 'f64', TAG_CONSTANT);
    streamRoundTrip([NaN], 'f64', TAG_CONSTANT);
    streamRoundTrip([-MAX], 'f64', TAG_CONSTANT);
  });
  it('bit-packing at every width from 1 to 53 bits, negative bases included', () => {
    const rand = rng(1);
    for (let width = 1; width <= 53; width++) {
      const values = Array.from({ length: 300 }, () => Math.floor(rand() * 2 ** width) - 2 ** (width - 1));
      values[0] = -(2 ** (width - 1));
      values[1] = 2 ** (width - 1) - 1;
      streamRoundTrip(values, 'f64', TAG_BITPACK);
      if (width <= 31) streamRoundTrip(values, 'i32', TAG_BITPACK);
    }
  });
  it('int64 extremes within ±2^53 (a range wider than 53 bits is stored raw)', () => {
    streamRoundTrip([MAX, -MAX, 0, 1, -1], 'f64', TAG_RAW);
    streamRoundTrip([MAX, MAX - 1, MAX - 2, MAX - 3], 'f64');
    streamRoundTrip([-MAX, -MAX + 5, -MAX + 3], 'f64');
    streamRoundTrip([-MAX, 0, MAX, 0, -MAX], 'f64');
  });
  it('int32 extremes', () => {
    streamRoundTrip([-2147483648, 2147483647, 0, -1, 2147483647, -2147483648], 'i32');
    streamRoundTrip(Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? -2147483648 : 2147483647)), 'i32');
  });
  it('delta for sorted and clustered sequences (wrapping deltas on narrow targets)', () => {
    streamRoundTrip(Array.from({ length: 1000 }, (_, i) => i + 1), 'i32', TAG_DELTA);
    streamRoundTrip(Array.from({ length: 1000 }, (_, i) => 1e15 + i * 1000000), 'f64', TAG_DELTA);
    streamRoundTrip(Array.from({ length: 1000 }, (_, i) => 2147483647 - i * 3), 'i32', TAG_DELTA);
    const rand = rng(2);
    let x = -5000;
    streamRoundTrip(Array.from({ length: 5000 }, () => (x += Math.floor(rand() * 8) - 2)), 'i32', TAG_DELTA);
  });
  it('run-length for long runs, including runs of non-integral floats', () => {
    const runs: number[] = [];
    for (let r = 0; r < 20; r++) for (let i = 0; i < 3000; i++) runs.push(r % 3 === 0 ? -123456789 : r * 1000);
    streamRoundTrip(runs, 'i32', TAG_RLE);
    streamRoundTrip(runs, 'f64', TAG_RLE);
    const floats: number[] = [];
    for (let r = 0; r < 10; r++) for (let i = 0; i < 500; i++) floats.push(r % 2 === 0 ? 0.1 * r : -0);
    streamRoundTrip(floats, 'f64', TAG_RLE);
    const flags: number[] = [];
    for (let i = 0; i < 65536; i++) flags.push(i < 40000 ? 0 : 1);
    streamRoundTrip(flags, 'u8', TAG_RLE);
  });
  it('raw for floats nothing shrinks (NaN, -0, infinities kept bit for bit)', () => {
    const rand = rng(3);
    const values = Array.from({ length: 1000 }, () => rand() * 1e6 - 5e5);
    values[5] = NaN;
    values[6] = -0;
    values[7] = Infinity;
    values[8] = -Infinity;
    values[9] = 5e-324;
    streamRoundTrip(values, 'f64', TAG_RAW);
  });
  it('decimal scaling for floats with few decimals, exact to the bit', () => {
    const rand = rng(7);
    const prices = Array.from({ length: 5000 }, () => Math.round(rand() * 1e7) / 100);
    streamRoundTrip(prices, 'f64', 6);
    const mixed = Array.from({ length: 5000 }, (_, i) => (i % 3 === 0 ? (Math.round(rand() * 1e6) - 5e5) / 1e4 : (Math.round(rand() * 1000) - 500) / 10));
    streamRoundTrip(mixed, 'f64', 6);
    streamRoundTrip([0.1, 0.2, 0.30000000000000004, 0.3], 'f64', TAG_RAW);
    streamRoundTrip([0.5, -0, 0.25, 1.75], 'f64', TAG_RAW);
    streamRoundTrip([1.5, NaN, 2.5, 3.5], 'f64', TAG_RAW);
    streamRoundTrip([1e300, 1.5, 1e-300], 'f64', TAG_RAW);
  });
  it('random data of every kind, 65536 values', () => {
    const rand = rng(4);
    const n = 65536;
    streamRoundTrip(Array.from({ length: n }, () => Math.floor(rand() * 2 ** 32) - 2 ** 31), 'i32');
    streamRoundTrip(Array.from({ length: n }, () => Math.floor(rand() * 2 ** 53) * (rand() < 0.5 ? -1 : 1)), 'f64');
    streamRoundTrip(Array.from({ length: n }, () => (rand() < 0.5 ? 1 : 0)), 'u8', TAG_BITPACK);
    streamRoundTrip(Array.from({ length: n }, () => Math.floor(rand() * 10)), 'i32', TAG_BITPACK);
    streamRoundTrip(Array.from({ length: n }, (_, i) => (rand() < 0.01 ? i * 7 : i)), 'f64');
  });
  it('empty and single-value streams', () => {
    streamRoundTrip([], 'f64');
    streamRoundTrip([42], 'i32', TAG_CONSTANT);
  });
});

describe('compression: chunks', () => {
  it('round-trips all-NULL chunks of every kind', () => {
    const nulls = new Array(1000).fill(null);
    for (const type of [Types.bool, Types.int4, Types.int8, Types.float8, Types.date, Types.timestamp, numericType(15, 2), Types.text, Types.interval]) chunkRoundTrip(type, nulls);
  });
  it('round-trips single values, negatives, NULLs between runs and edge floats', () => {
    chunkRoundTrip(Types.int8, [-9007199254740991]);
    chunkRoundTrip(Types.int8, [9007199254740991, null, -9007199254740991, null]);
    chunkRoundTrip(Types.float8, [NaN, -0, 0, null, -0, NaN, 1.5]);
    chunkRoundTrip(Types.int4, [null, -5, -5, null, -5, -7, null]);
    chunkRoundTrip(Types.text, [null, 'x', null, 'x', 'ü', null]);
    chunkRoundTrip(Types.bool, [null, true, false, null]);
  });
  it('round-trips numerics: integral at their scale, wide values, varying display scales, non-integral fallback', () => {
    const dec = (digits: bigint, scale: number) => ({ decimal: true as const, digits, scale });
    const prices = Array.from({ length: 5000 }, (_, i) => (i % 97 === 0 ? null : dec(BigInt(90000 + ((i * 7919) % 10000000)), 2)));
    const { encoding } = chunkRoundTrip(numericType(15, 2), prices);
    expect(encoding).to.equal('bitpack');
    chunkRoundTrip(Types.numeric, [dec(15n, 1), dec(225n, 2), dec(123456789012345678901234567890n, 3), null, dec(-7n, 0)]);
    // A vector whose values are not integral (a scale lower than the digits need) is kept exactly.
    const v: Vector = { kind: 'numeric', type: Types.numeric, length: 3, nulls: null, values: new Float64Array([1.5, NaN, 2]), scale: 0, dscale: null, wide: null };
    const back = decodeChunk(encodeChunk(v), Types.numeric);
    expect(Array.from((back as typeof v).values).map(String)).to.deep.equal(['1.5', 'NaN', '2']);
  });
  it('round-trips 65536-row chunks of random data', () => {
    const rand = rng(5);
    const n = 65536;
    chunkRoundTrip(Types.int4, Array.from({ length: n }, () => (rand() < 0.05 ? null : Math.floor(rand() * 2 ** 32) - 2 ** 31)));
    chunkRoundTrip(Types.float8, Array.from({ length: n }, () => (rand() < 0.05 ? null : rand())));
    chunkRoundTrip(Types.timestamp, Array.from({ length: n }, () => Math.floor(rand() * 4e15) - 2e15));
    chunkRoundTrip(Types.text, Array.from({ length: n }, () => (rand() < 0.1 ? null : `v${Math.floor(rand() * 1e6)}✓`)));
    chunkRoundTrip(Types.interval, Array.from({ length: n }, () => ({ months: Math.floor(rand() * 100), days: -Math.floor(rand() * 40), micros: Math.floor(rand() * 1e10) })));
  });

  it('chooses the expected encoding for typical data, and shrinks it', () => {
    const n = 65536;
    const rand = rng(6);
    const keys = chunkRoundTrip(Types.int4, Array.from({ length: n }, (_, i) => i + 1));
    expect(keys.encoding).to.equal('delta');
    expect(keys.bytes).to.be.below(100);
    const bigKeys = chunkRoundTrip(Types.int8, Array.from({ length: n }, (_, i) => 1e12 + i * 4 + Math.floor(rand() * 3)));
    expect(bigKeys.encoding).to.equal('delta');
    expect(bigKeys.bytes).to.be.below((n * 8) / 16);
    const flags = chunkRoundTrip(Types.bool, Array.from({ length: n }, () => rand() < 0.5));
    expect(flags.encoding).to.equal('bitpack');
    expect(flags.bytes).to.be.below(n / 8 + 100);
    const sortedFlags = chunkRoundTrip(Types.bool, Array.from({ length: n }, (_, i) => i > 30000));
    expect(sortedFlags.encoding).to.equal('rle');
    const modes = ['AIR', 'MAIL', 'SHIP', 'TRUCK', 'RAIL', 'FOB', 'REG AIR'];
    const lowCard = chunkRoundTrip(Types.text, Array.from({ length: n }, () => modes[Math.floor(rand() * modes.length)]));
    expect(lowCard.encoding).to.equal('dictionary+bitpack');
    expect(lowCard.bytes).to.be.below((n * 3) / 8 + 200);
    const clusteredDates = chunkRoundTrip(Types.date, Array.from({ length: n }, (_, i) => 8000 + Math.floor(i / 30)));
    expect(clusteredDates.encoding).to.equal('rle');
    const smallRange = chunkRoundTrip(Types.int4, Array.from({ length: n }, () => 1 + Math.floor(rand() * 50)));
    expect(smallRange.encoding).to.equal('bitpack');
    expect(smallRange.bytes).to.be.below((n * 6) / 8 + 100);
    const words = 'the quick brown fox jumps over lazy dogs carefully final requests'.split(' ');
    const text = chunkRoundTrip(Types.text, Array.from({ length: n }, () => Array.from({ length: 5 }, () => words[Math.floor(rand() * words.length)]).join(' ')));
    expect(text.encoding).to.match(/^dictionary\+(delta|bitpack)\+brotli$/);
    // Nearly unique text with a few duplicates and NULLs: strings in row order, codes a delta sequence.
    const comments = Array.from({ length: n }, (_, i) => (i % 1000 === 7 ? null : i % 500 === 3 ? 'repeated remark' : `comment ${i} ${words[i % words.length]}`));
    const nearlyUnique = chunkRoundTrip(Types.text, comments);
    expect(nearlyUnique.encoding).to.equal('dictionary+delta+brotli');
    const uniqueWithLeadingNulls = chunkRoundTrip(Types.varchar, [null, null, ...Array.from({ length: 3000 }, (_, i) => `name#${i}`)]);
    expect(uniqueWithLeadingNulls.encoding).to.equal('dictionary+delta+brotli');
  });

  it('writes every stream raw and no dictionary deflated in raw mode (the benchmark\'s uncompressed baseline), and it decodes the same', () => {
    const n = 65536;
    const words = 'the quick brown fox jumps over lazy dogs'.split(' ');
    const cases: [DataType, Scalar[], number][] = [
      // [type, values, bytes of the value streams when raw]
      [Types.int4, Array.from({ length: n }, (_, i) => (i % 100 === 0 ? null : i)), n + n * 4],
      [Types.date, Array.from({ length: n }, (_, i) => 8000 + Math.floor(i / 30)), n * 4],
      [Types.int8, Array.from({ length: n }, () => 7), n * 8],
      [numericType(15, 2), Array.from({ length: n }, (_, i) => ({ decimal: true as const, digits: BigInt(i % 1000), scale: 2 })), n * 8],
      [Types.text, Array.from({ length: n }, (_, i) => words[i % words.length]), n * 4],
    ];
    for (const [type, values, streamBytes] of cases) {
      const v = vectorFromScalars(type, values);
      const raw = encodeChunkRaw(v);
      sameScalars(v, decodeChunk(raw, type));
      const info = chunkInfo(raw);
      expect(info.encoding, type.name).to.equal(type === Types.text ? 'dictionary+raw' : 'raw');
      expect(info.uncompressedBytes, type.name).to.equal(chunkInfo(encodeChunk(v)).uncompressedBytes);
      expect(raw.length, type.name).to.be.above(streamBytes).and.below(streamBytes + 200);
      expect(raw.length, type.name).to.be.above(encodeChunk(v).length);
    }
  });

  it('detects truncated or corrupted compressed chunks', () => {
    const buf = encodeChunk(vectorFromScalars(Types.int4, Array.from({ length: 100 }, (_, i) => i * 3)));
    const bad = Buffer.from(buf);
    bad[14] ^= 0x10;
    expect(() => decodeChunk(bad, Types.int4)).to.throw(/corrupted/);
  });
});

describe('compression: version-1 chunks still decode', () => {
  // Bytes written by the version-1 codec (raw values), before compression existed.
  const v1: Record<string, string> = {
    int4: '01020500000001000001000001000000feffffff00000000ffffff7f00000080d1cb8051',
    int8: '01030300000000ffffffffffff3f43ffffffffffff3fc30000000000001c40465cc2ec',
    bool: '01010400000000010000012b639b41',
    text: '0107040000000100000001100000008b56ca38bc3227275f4947295129160000000000010000000000000000000000c59b66a9',
    numeric: '010603000000000200000000200000005b5b322c22313233343536373839303132333435363738393031323334225d5d00000000801cc840000000000000f0bf000000000000f87f899b32b3',
    interval: '01080200000000010000000000000002000000fdffffff0000000060e34641000000000000e03f76f77f79',
  };
  const decode = (hex: string, type: DataType) => {
    const v = decodeChunk(Buffer.from(hex, 'hex'), type);
    return Array.from({ length: v.length }, (_, i) => getScalar(v, i));
  };
  it('decodes each kind to the values it was written with', () => {
    expect(decode(v1.int4, Types.int4)).to.deep.equal([1, -2, null, 2147483647, -2147483648]);
    expect(decode(v1.int8, Types.int8)).to.deep.equal([9007199254740991, -9007199254740991, 7]);
    expect(decode(v1.bool, Types.bool)).to.deep.equal([true, false, false, true]);
    expect(decode(v1.text, Types.text)).to.deep.equal(['héllo', 'a', 'héllo', null]);
    const nums = decode(v1.numeric, numericType(15, 2)) as { digits: bigint; scale: number }[];
    expect(nums.map((d) => `${d.digits}/${d.scale}`)).to.deep.equal(['12345/2', '-1/2', '123456789012345678901234/2']);
    expect(decode(v1.interval, Types.interval)).to.deep.equal([
      { months: 1, days: 2, micros: 3000000 },
      { months: 0, days: -3, micros: 0.5 },
    ]);
    expect(chunkInfo(Buffer.from(v1.int4, 'hex')).encoding).to.equal('raw (v1)');
  });
});
