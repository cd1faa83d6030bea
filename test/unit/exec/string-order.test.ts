// dictRanks: ranks in code-point order (PostgreSQL's C collation), on both of its paths — plain
// dictionaries (native UTF-16 comparison) and ones with code units >= U+D800 (the JS loop).
import { expect } from 'chai';
import { dictRanks } from '../../../src/exec/string-order';

/** Reference: compare arrays of code points. */
function byCodePoint(a: string, b: string): number {
  const x = Array.from(a, (c) => c.codePointAt(0)!);
  const y = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

function expectRanks(dict: string[]): void {
  const ranks = dictRanks(dict);
  for (let i = 0; i < dict.length; i++)
    for (let j = 0; j < dict.length; j++) expect(Math.sign(ranks[i] - ranks[j]), `${dict[i]} vs ${dict[j]}`).to.equal(Math.sign(byCodePoint(dict[i], dict[j])));
}

describe('dictRanks', () => {
  it('ranks a plain dictionary in code-point order, duplicates sharing a rank', () => {
    const dict = ['b', 'ab', 'a', '', 'Customer#000000002', 'Customer#000000010', 'a', 'é', 'Z', 'ab '];
    expectRanks(dict);
    const r = dictRanks(dict);
    expect(r[2]).to.equal(r[6]);
    expect(Array.from(dictRanks(['b', 'a', 'c', 'a']))).to.deep.equal([1, 0, 2, 0]);
  });

  it('orders a surrogate pair above U+E000..U+FFFF, as code points do (UTF-16 order would not)', () => {
    const dict = ['\uFFFD', '\u{1F600}', 'a', '\uE000', '\u{10000}', 'a\u{1F600}', 'a\uFFFD'];
    expectRanks(dict);
    const r = dictRanks(dict);
    expect(r[1]).to.be.greaterThan(r[0]);
    expect(r[5]).to.be.greaterThan(r[6]);
  });
});
