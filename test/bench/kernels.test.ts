// The kernel micro-benchmark suite (bench/kernels) in its quick form: every case runs once on 10k
// rows through the real kernels, and what each run returns (output rows, distinct keys, hits) is
// checked against counts recomputed here from the same seeded data. No timing is asserted. Also
// the report files and the regression comparison of --compare.
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../../bench/kernels/run';
import { intKeys, uniformInts } from '../../bench/kernels/data';
import { KernelReport, ResultRow, compare } from '../../bench/kernels/report';

const count = (xs: Int32Array, pred: (x: number) => boolean) => xs.reduce((m, x) => m + (pred(x) ? 1 : 0), 0);

describe('kernel benchmarks (quick smoke run)', function () {
  this.timeout(120000);
  let report: KernelReport;
  const result = (kernel: string, variant: string) => {
    const r = report.rows.find((x) => x.kernel === kernel && x.variant.startsWith(variant));
    if (r === undefined) throw new Error(`no case ${kernel} / ${variant}`);
    return r.result;
  };

  before(async () => {
    report = await main(['--quick', '--quiet']);
  });

  it('runs every kernel family and reports a rate for each case', () => {
    const kernels = new Set(report.rows.map((r) => r.kernel));
    for (const k of ['hash', 'keytable build', 'keytable probe', 'hash join', 'hash aggregate', 'filter', 'sort']) expect(kernels.has(k), k).to.equal(true);
    for (const r of report.rows) {
      expect(r.rows, r.variant).to.be.at.least(10000);
      expect(Number.isFinite(r.mrowsPerSec) && r.mrowsPerSec > 0, r.variant).to.equal(true);
    }
    expect(report.machine).to.match(/cores/);
  });

  it('the runs did the right work: join, aggregate, filter and sort results match the data', () => {
    const n = 10000;
    expect(result('keytable build', 'int4 dense')).to.equal(n);
    expect(result('keytable build', 'int4 skewed')).to.equal(new Set(intKeys(n, 'skewed')).size);
    expect(result('keytable probe', 'int4 dense')).to.equal(count(uniformInts(n, 2 * n, 11), (x) => x < n));
    expect(result('hash join', 'int4 PK-FK')).to.equal(n);
    expect(result('hash join', 'int4 1:1')).to.equal(n);
    expect(result('hash join', 'int4 50% hits')).to.equal(count(uniformInts(n, 2 * n, 22), (x) => x < n));
    expect(result('hash join', 'text c_name 1:1')).to.equal(n);
    expect(result('hash aggregate', 'int4 key, count+sum, 8 groups')).to.equal(8);
    expect(result('hash aggregate', 'int4 key, count+sum, skewed')).to.equal(new Set(intKeys(n, 'skewed')).size);
    expect(result('aggregate (no groups)', 'count+sum int4 (10k)')).to.equal(1);
    expect(result('filter', 'int4 c0 < 500 (50%, 10k)')).to.equal(count(uniformInts(n, 1000, 41), (x) => x < 500));
    const c0 = uniformInts(n, 1000, 41);
    const c1 = uniformInts(n, 10, 42);
    let both = 0;
    for (let i = 0; i < n; i++) if (c0[i] >= 100 && c0[i] < 200 && c1[i] !== 3) both++;
    expect(result('filter', 'int4 c0 >= 100 AND c0 < 200 AND c1 <> 3 (9%, 10k)')).to.equal(both);
    expect(result('sort', 'int4 random')).to.equal(n);
    expect(result('sort', 'top-N 100')).to.equal(100);
  });

  it('writes kernels.md and kernels.json, and --compare flags a kernel more than 10% slower', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-kbench-'));
    try {
      const r = await main(['--quick', '--quiet', '--only', 'hash join int4 1:1', '--out', dir]);
      expect(r.rows.length).to.equal(1);
      const saved = JSON.parse(fs.readFileSync(path.join(dir, 'kernels.json'), 'utf8')) as KernelReport;
      expect(saved.rows[0].variant).to.equal(r.rows[0].variant);
      expect(fs.readFileSync(path.join(dir, 'kernels.md'), 'utf8')).to.contain('| hash join | int4 1:1, 10k probe, 10k build | 20000 |');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const row = (variant: string, cpuMs: number, rows = 1000): ResultRow => ({ kernel: 'k', variant, rows, medianMs: cpuMs, minMs: cpuMs, cpuMs, cpuMinMs: cpuMs, reps: 1, result: 0, mrowsPerSec: 1, mrowsPerCpuSec: 1 });
    const before: KernelReport = { machine: 'm', commit: 'c', date: 'd', note: '', rows: [row('a', 100), row('b', 100), row('c', 100), row('d', 100, 2000)] };
    const cmp = compare([row('a', 109), row('b', 111), row('c', 50), row('d', 500), row('new', 1)], before);
    expect(cmp.map((c) => c.slower)).to.deep.equal([false, true, false, false, false]);
    expect(cmp[1].ratio).to.be.closeTo(1.11, 1e-9);
    // Other sizes (a --quick run against a full one) and new cases are not compared.
    expect(cmp[3].ratio).to.equal(null);
    expect(cmp[4].before).to.equal(null);
  });
});
