// String dictionaries are compressed with brotli (chunk-codec.ts); chunks whose dictionary an
// earlier version deflated still decode.
import { expect } from 'chai';
import { chunkInfo, decodeChunk, encodeChunk } from '../../../src/storage/chunk-codec';
import { Types } from '../../../src/types/data-type';
import { Scalar } from '../../../src/types/vector';
import { getScalar, vectorFromScalars } from '../../../src/types/vector-ops';

/** Deterministic pseudo-random alphanumerics (as TPC-H's addresses). */
function randomText(rows: number, seed: number): string[] {
  const chars = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  let x = seed;
  const out: string[] = [];
  for (let r = 0; r < rows; r++) {
    let s = '';
    for (let i = 0; i < 25; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      s += chars[(x >>> 8) % chars.length];
    }
    out.push(s);
  }
  return out;
}

/** Text from a few words (as TPC-H's comments and part names). */
function wordText(rows: number): string[] {
  const words = ['furiously', 'regular', 'deposits', 'sleep', 'carefully', 'ironic', 'packages', 'across', 'the', 'quickly', 'final', 'accounts'];
  const out: string[] = [];
  for (let r = 0; r < rows; r++) out.push(`${r} ${words[r % 12]} ${words[(r * 7) % 12]} ${words[(r * 5) % 11]} ${words[(r * 3) % 7]}`);
  return out;
}

const decoded = (chunk: Buffer, n: number): Scalar[] => {
  const v = decodeChunk(chunk, Types.text);
  return Array.from({ length: n }, (_, i) => getScalar(v, i));
};

describe('dictionary compression', () => {
  for (const [name, values, atLeast] of [
    ['random text', randomText(4000, 11), 1.2],
    ['word text', wordText(4000), 3],
    // Headers and length streams outweigh a short dictionary's saving: only the blob is smaller.
    ['a short dictionary', ['abc', 'de', null, 'abc', 'fghij'.repeat(20), 'de'], 0.5],
  ] as [string, (string | null)[], number][]) {
    it(`stores ${name} compressed with brotli, smaller than its bytes, and decodes it exactly`, () => {
      const chunk = encodeChunk(vectorFromScalars(Types.text, values));
      expect(chunkInfo(chunk).encoding).to.match(/\+brotli$/);
      expect(Buffer.byteLength(values.join('')) / chunk.length).to.be.at.least(atLeast);
      expect(decoded(chunk, values.length)).to.deep.equal(values);
    });
  }

  it('decodes a chunk whose dictionary an earlier version deflated', () => {
    // encodeChunk of this vector before dictionaries were compressed with brotli (raw deflate, level 1).
    const values: (string | null)[] = [];
    for (let i = 0; i < 40; i++) values.push(i % 7 === 3 ? null : `stored by an earlier version ${i % 5}`);
    const old = Buffer.from('AgcoAAAA/AMAAAMDAwAAAAAAAAAAAQgEAoFAAAAABQAAAAIAAAAAAAA+QC0AAAArLskvSk1RSKpUSMxTSE0syslMLVIoSy0qzszPUzAoxidriFfWCK+sCV5ZYwADAAAAAAAAAAADiDRE3CIOCYeIRMQB4hBpABClIGs=', 'base64');
    expect(chunkInfo(old).encoding).to.equal('dictionary+bitpack+deflate');
    expect(decoded(old, values.length)).to.deep.equal(values);
  });
});
