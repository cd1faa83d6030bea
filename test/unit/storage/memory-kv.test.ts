// MemoryKv finds keys by prefix through its per-directory index: the same keys a filter over every
// key finds, for prefixes that end at a '/', inside a name, or span several directories.
import { expect } from 'chai';
import { MemoryKv } from '../../../src/storage/kv-store';

describe('MemoryKv keysWithPrefix', () => {
  it('equals filtering every key, across puts and deletes', async () => {
    const kv = new MemoryKv();
    const live = new Set<string>();
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const key = () => [['a', 'dd', 'c', 'd'][rand(4)], rand(12) + 1, rand(3), rand(40)].slice(0, 2 + rand(3)).join('/');
    for (let round = 0; round < 40; round++) {
      const entries: [string, Buffer | null][] = [];
      for (let i = 0; i < 50; i++) {
        const k = key();
        const del = rand(3) === 0;
        entries.push([k, del ? null : Buffer.from(k)]);
        if (del) live.delete(k);
        else live.add(k);
      }
      await kv.write(entries);
      for (const prefix of ['a/', 'a/1', 'a/1/', 'dd/12/2/', 'c/3/1/3', 'd', '', 'x/', `dd/${rand(12) + 1}/`]) {
        const expected = [...live].filter((k) => k.startsWith(prefix)).sort();
        expect(kv.keysWithPrefix(prefix).sort(), prefix).to.deep.equal(expected);
      }
    }
    for (const k of live) expect(kv.get(k)?.toString()).to.equal(k);
  });
});
