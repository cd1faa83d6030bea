// The TypeScript TPC-H generator must write files byte-identical to the reference dbgen's: every
// table's sha256 at SF 0.01 and SF 0.1 is compared with ../shared/tpch/reference.sha256.
import { expect } from 'chai';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { allTables, generateFiles, isComplete } from '../../bench/tpch/dbgen/files';
import { scaleFor } from '../../bench/tpch/dbgen/scale';
import { skipAhead } from '../../bench/tpch/dbgen/random';

const REPO = path.resolve(__dirname, '../../..');
const REFERENCE = path.resolve(REPO, '../shared/tpch/reference.sha256');

function referenceHashes(): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of fs.readFileSync(REFERENCE, 'utf8').split('\n')) {
    const m = /^([0-9a-f]{64})\s+(\S+)$/.exec(line.trim());
    if (m) map.set(m[2], m[1]);
  }
  return map;
}

function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

describe('TPC-H generator (bench/tpch/dbgen)', function () {
  this.timeout(120000);
  let tmp: string;
  before(function () {
    if (!fs.existsSync(REFERENCE)) this.skip();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-dbgen-'));
  });
  after(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('derives row counts per scale factor as dbgen does', () => {
    expect(scaleFor(0.01)).to.include({ part: 2000, supplier: 100, customer: 1500, orders: 15000, clerks: 1000 });
    expect(scaleFor(1)).to.include({ part: 200000, supplier: 10000, customer: 150000, orders: 1500000 });
    expect(scaleFor(10)).to.include({ supplier: 100000, clerks: 10000 });
  });

  it('skips a stream ahead to the same seed as drawing one by one', () => {
    let seed = 933588178;
    for (let i = 0; i < 12345; i++) seed = (seed * 16807) % 2147483647;
    expect(skipAhead(933588178, 12345)).to.equal(seed);
  });

  for (const sf of [0.01, 0.1]) {
    it(`writes SF ${sf} byte-identical to the reference dbgen (sha256 of all 8 tables)`, async () => {
      const reference = referenceHashes();
      const dir = path.join(tmp, `sf${sf}`);
      await generateFiles(sf, dir, { workers: 2 });
      expect(isComplete(dir, sf)).to.equal(true);
      const mismatched: string[] = [];
      for (const table of allTables()) {
        const expected = reference.get(`sf${sf}/${table}.tbl`);
        expect(expected, `reference hash for ${table}`).to.be.a('string');
        if (sha256(path.join(dir, `${table}.tbl`)) !== expected) mismatched.push(table);
      }
      expect(mismatched).to.deep.equal([]);
      fs.rmSync(dir, { recursive: true, force: true });
    });
  }
});
