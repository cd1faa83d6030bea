// Dictionary blobs choose Huffman coding alone or full deflate from a sample (chunk-codec.ts
// deflateOptions): random-looking text takes Huffman alone, text with repeats full deflate, and
// both chunks decode to the same strings.
import { expect } from 'chai';
import { constants } from 'zlib';
import { decodeChunk, deflateOptions, chunkInfo, encodeChunk } from '../../../src/storage/chunk-codec';
import { Types } from '../../../src/types/data-type';
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

describe('dictionary deflate choice', () => {
  it('takes Huffman coding alone for random-looking text and full deflate for text with repeats', () => {
    expect(deflateOptions(Buffer.from(randomText(4000, 7).join(''))).strategy).to.equal(constants.Z_HUFFMAN_ONLY);
    expect(deflateOptions(Buffer.from(wordText(4000).join(''))).strategy).to.equal(undefined);
    // Small blobs are not sampled: full deflate.
    expect(deflateOptions(Buffer.from(randomText(100, 7).join(''))).strategy).to.equal(undefined);
  });

  for (const [name, values] of [
    ['random text', randomText(4000, 11)],
    ['word text', wordText(4000)],
  ] as [string, string[]][]) {
    it(`stores ${name} deflated, smaller than its bytes, and decodes it exactly`, () => {
      const chunk = encodeChunk(vectorFromScalars(Types.text, values));
      expect(chunkInfo(chunk).encoding).to.match(/\+deflate$/);
      expect(chunk.length).to.be.below(Buffer.byteLength(values.join('')));
      const back = decodeChunk(chunk, Types.text);
      expect(values.map((_, i) => getScalar(back, i))).to.deep.equal(values);
    });
  }
});
