// A bulk load's text columns may stay UTF-8 bytes without a JS string per dictionary entry
// (VectorBuilder.finish(true)): the chunk and the statistics made from the bytes alone equal those
// of the same rows with their strings, and ensureStrings makes exactly the strings finish() makes.
import { isAscii } from 'buffer';
import { expect } from 'chai';
import { encodeChunk } from '../../../src/storage/chunk-codec';
import { collectGroupStats } from '../../../src/storage/column-stats';
import { DataType, Types, charType } from '../../../src/types/data-type';
import { DEFAULT_FORMAT } from '../../../src/types/text-format';
import { StringVector, Vector } from '../../../src/types/vector';
import { VectorBuilder } from '../../../src/types/vector-builder';
import { dictionaryEntry, dictionarySize, ensureStrings } from '../../../src/types/string-bytes';

const ROWS = 5000;

function build(type: DataType, text: (i: number) => string | null, lazy: boolean): Vector {
  const b = new VectorBuilder(type, DEFAULT_FORMAT, 1024);
  for (let i = 0; i < ROWS; i++) {
    const t = text(i);
    if (t === null) b.appendNull();
    else {
      const bytes = Buffer.from(`|${t}|`);
      b.appendBytes(bytes, 1, bytes.length - 1, isAscii(bytes));
    }
  }
  return b.finish(lazy);
}

const cases: [string, DataType, (i: number) => string | null][] = [
  ['few values with NULLs', Types.text, (i) => (i % 7 === 0 ? null : ['AIR', 'MAIL', 'TRUCK'][i % 3])],
  ['char(10) padded', charType('bpchar', 10), (i) => ['a', 'bb', 'ccc'][i % 3]],
  ['nearly unique (no sketch)', Types.text, (i) => `comment ${i} carefully`],
  ['non-ASCII, some repeats', Types.text, (i) => `wörd ${i % 500} ✓`],
];

describe('text kept as bytes during a bulk load (lazy dictionary strings)', () => {
  for (const [name, type, text] of cases) {
    it(`${name}: same chunk, same statistics, same strings once made`, () => {
      const eager = build(type, text, false) as StringVector;
      const lazy = build(type, text, true) as StringVector;
      expect(lazy.dict.length).to.equal(0);
      expect(dictionarySize(lazy)).to.equal(eager.dict.length);
      expect(dictionaryEntry(lazy, eager.dict.length - 1)).to.equal(eager.dict[eager.dict.length - 1]);
      expect(encodeChunk(lazy).equals(encodeChunk(eager))).to.equal(true);
      expect(collectGroupStats([lazy])).to.deep.equal(collectGroupStats([eager]));
      ensureStrings(lazy);
      expect(lazy.dict).to.deep.equal(eager.dict);
    });
  }
});
