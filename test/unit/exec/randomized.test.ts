// Randomized hash join and aggregation, compared with a naive nested-loop / Map reference
// (seeded, so a failure reproduces; the seed is in the test name).
import { expect } from 'chai';
import { Expr } from '../../../src/plan/expr';
import { JoinType, PlanNode, joinOutput } from '../../../src/plan/plan';
import { Types } from '../../../src/types/data-type';
import { Scalar } from '../../../src/types/vector';
import { call, col, lit, num, outputs, run, scan, table } from './helpers';

const T = Types;

function rng(seed: number): () => number {
  // mulberry32
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = 20240515;

function makeRows(rand: () => number, n: number, keyDomain: number): Scalar[][] {
  const rows: Scalar[][] = [];
  for (let i = 0; i < n; i++) {
    const k = rand() < 0.05 ? null : Math.floor(rand() * keyDomain);
    const s = rand() < 0.05 ? null : `s${Math.floor(rand() * 7)}`;
    const d = rand() < 0.05 ? null : num(`${Math.floor(rand() * 50)}.${rand() < 0.5 ? '5' : '50'}`);
    rows.push([k, s, d, i]);
  }
  return rows;
}

const key = (v: Scalar) => (v === null ? null : typeof v === 'object' ? String(Number((v as { digits: bigint }).digits) / 10 ** (v as { scale: number }).scale) : v);

function naiveJoin(type: JoinType, l: Scalar[][], r: Scalar[][], keyCols: number[], residual: (a: Scalar[], b: Scalar[]) => boolean): unknown[][] {
  const out: unknown[][] = [];
  const matchedRight = new Set<number>();
  const nullRow = (w: number) => new Array(w).fill(null);
  for (const a of l) {
    let any = false;
    r.forEach((b, j) => {
      const eq = keyCols.every((c) => a[c] !== null && b[c] !== null && key(a[c]) === key(b[c]));
      if (!eq || !residual(a, b)) return;
      any = true;
      matchedRight.add(j);
      if (type !== 'semi' && type !== 'anti') out.push([...a, ...b]);
    });
    if (type === 'semi' && any) out.push(a);
    if (type === 'anti' && !any) out.push(a);
    if ((type === 'left' || type === 'full') && !any) out.push([...a, ...nullRow(4)]);
  }
  if (type === 'right' || type === 'full') r.forEach((b, j) => !matchedRight.has(j) && out.push([...nullRow(4), ...b]));
  return out;
}

const canon = (rows: unknown[][]) => rows.map((r) => JSON.stringify(r.map((v) => (typeof v === 'string' && /^-?\d+\.\d+$/.test(v) ? String(Number(v)) : v)))).sort();

describe(`exec randomized (seed ${SEED})`, () => {
  const rand = rng(SEED);
  const types = [T.int4, T.text, T.numeric, T.int4];
  const lt = table(1, types, makeRows(rand, 3000, 200));
  const rt = table(2, types, makeRows(rand, 2000, 200), { deleted: [5, 17, 1999] });
  const rightRows = rt.rows.filter((_, i) => !rt.deleted!.includes(i));
  const joinTypes: JoinType[] = ['inner', 'left', 'right', 'full', 'semi', 'anti'];

  for (const type of joinTypes) {
    it(`hash join ${type} on (int, text) with a residual matches a nested loop`, () => {
      const residual: Expr = call('lt', T.bool, col(3, T.int4), call('add', T.int4, col(7, T.int4), lit(1500, T.int4)));
      const plan: PlanNode = {
        kind: 'hashjoin',
        joinType: type,
        left: scan(lt),
        right: scan(rt),
        leftKeys: [col(0, T.int4), col(1, T.text)],
        rightKeys: [col(0, T.int4), col(1, T.text)],
        residual,
        output: joinOutput(type, scan(lt).output, scan(rt).output),
      };
      const got = run(plan, [lt, rt]);
      const want = naiveJoin(type, lt.rows, rightRows, [0, 1], (a, b) => (a[3] as number) < (b[3] as number) + 1500);
      expect(got.length).to.equal(want.length);
      expect(canon(got)).to.deep.equal(canon(want.map((r) => r.map((v) => (v !== null && typeof v === 'object' ? key(v as Scalar) : v)))));
    });
  }

  it('hash join on a numeric key compares by value across scales', () => {
    const plan: PlanNode = {
      kind: 'hashjoin',
      joinType: 'inner',
      left: scan(lt),
      right: scan(rt),
      leftKeys: [col(2, T.numeric)],
      rightKeys: [col(2, T.numeric)],
      residual: null,
      output: joinOutput('inner', scan(lt).output, scan(rt).output),
    };
    const got = run(plan, [lt, rt]);
    const want = naiveJoin('inner', lt.rows, rightRows, [2], () => true);
    expect(got.length).to.equal(want.length);
  });

  it('hash aggregation matches a Map-based reference', () => {
    const plan: PlanNode = {
      kind: 'aggregate',
      input: scan(lt),
      groupBy: [col(1, T.text), col(0, T.int4)],
      aggregates: [
        { fn: 'count_star', args: [], distinct: false, filter: null, type: T.int8 },
        { fn: 'sum', args: [col(3, T.int4)], distinct: false, filter: null, type: T.int8 },
        { fn: 'max', args: [col(2, T.numeric)], distinct: false, filter: null, type: T.numeric },
        { fn: 'count', args: [col(2, T.numeric)], distinct: true, filter: null, type: T.int8 },
      ],
      output: outputs([T.text, T.int4, T.int8, T.int8, T.numeric, T.int8]),
    };
    const got = run(plan, [lt]);
    const groups = new Map<string, { s: Scalar; k: Scalar; count: number; sum: number; max: number | null; distinct: Set<unknown> }>();
    for (const r of lt.rows) {
      const id = JSON.stringify([r[1], r[0]]);
      let g = groups.get(id);
      if (g === undefined) groups.set(id, (g = { s: r[1], k: r[0], count: 0, sum: 0, max: null, distinct: new Set() }));
      g.count++;
      g.sum += r[3] as number;
      const d = r[2] === null ? null : Number(key(r[2]));
      if (d !== null) {
        g.max = g.max === null ? d : Math.max(g.max, d);
        g.distinct.add(d);
      }
    }
    const want = [...groups.values()].map((g) => [g.s, g.k, g.count, g.sum, g.max === null ? null : String(g.max), g.distinct.size]);
    expect(got.length).to.equal(want.length);
    expect(canon(got.map((r) => [r[0], r[1], r[2], r[3], r[4] === null ? null : String(Number(r[4])), r[5]]))).to.deep.equal(canon(want));
  });
});
