// The fused (generated-loop) evaluation must agree with the per-vector kernels, errors included:
// random expression trees over random data with NULLs, evaluated both ways.
import { expect } from 'chai';
import { Expr } from '../../../src/plan/expr';
import { DataType, Types } from '../../../src/types/data-type';
import { Scalar } from '../../../src/types/vector';
import { fuseSettings } from '../../../src/exec/expr/fuse';
import { SqlError } from '../../../src/types/sql-error';
import { col, evalExprs, lit, scan, table } from './helpers';

const T = Types;

function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = 777;
const COLS: DataType[] = [T.int4, T.int4, T.int8, T.float8, T.bool, T.text];

function randomExpr(rand: () => number, type: 'num' | 'bool', depth: number): Expr {
  const pick = <X>(xs: X[]): X => xs[Math.floor(rand() * xs.length)];
  if (type === 'num') {
    if (depth <= 0 || rand() < 0.3) return rand() < 0.7 ? col(pick([0, 1]), T.int4) : lit(pick([0, 1, 2, -3, null, 2147483647]), T.int4);
    const r = rand();
    if (r < 0.6) return { kind: 'call', fn: pick(['add', 'sub', 'mul', 'div', 'mod'] as const), args: [randomExpr(rand, 'num', depth - 1), randomExpr(rand, 'num', depth - 1)], type: T.int4 };
    if (r < 0.7) return { kind: 'call', fn: 'neg', args: [randomExpr(rand, 'num', depth - 1)], type: T.int4 };
    if (r < 0.85)
      return { kind: 'case', whens: [{ when: randomExpr(rand, 'bool', depth - 1), then: randomExpr(rand, 'num', depth - 1) }], else: rand() < 0.5 ? null : randomExpr(rand, 'num', depth - 1), type: T.int4 };
    return { kind: 'coalesce', args: [randomExpr(rand, 'num', depth - 1), randomExpr(rand, 'num', depth - 1)], type: T.int4 };
  }
  if (depth <= 0 || rand() < 0.2) return rand() < 0.8 ? col(4, T.bool) : lit(pick([true, false, null]), T.bool);
  const r = rand();
  if (r < 0.35) return { kind: 'call', fn: pick(['eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const), args: [randomExpr(rand, 'num', depth - 1), randomExpr(rand, 'num', depth - 1)], type: T.bool };
  if (r < 0.45) return { kind: 'call', fn: 'lt', args: [col(3, T.float8), lit(pick([0.5, NaN, -1]), T.float8)], type: T.bool };
  if (r < 0.5) return { kind: 'call', fn: 'eq', args: [col(5, T.text), lit('a', T.text)], type: T.bool };
  if (r < 0.7) return { kind: pick(['and', 'or'] as const), args: [randomExpr(rand, 'bool', depth - 1), randomExpr(rand, 'bool', depth - 1), randomExpr(rand, 'bool', depth - 1)], type: T.bool };
  if (r < 0.8) return { kind: 'not', arg: randomExpr(rand, 'bool', depth - 1), type: T.bool };
  if (r < 0.9) return { kind: 'isnull', arg: randomExpr(rand, 'num', depth - 1), negated: rand() < 0.5, type: T.bool };
  return { kind: 'booltest', arg: randomExpr(rand, 'bool', depth - 1), test: pick(['true', 'false', 'unknown'] as const), negated: rand() < 0.5, type: T.bool };
}

function outcome(f: () => unknown[][]): unknown {
  try {
    return f();
  } catch (e) {
    if (e instanceof SqlError) return `${e.code} ${e.message}`;
    throw e;
  }
}

describe(`exec fused expressions agree with the kernels (seed ${SEED})`, () => {
  const rand = rng(SEED);
  const rows: Scalar[][] = [];
  for (let i = 0; i < 300; i++) {
    const n = () => (rand() < 0.15 ? null : Math.floor(rand() * 21) - 10);
    rows.push([n(), n(), n(), rand() < 0.1 ? NaN : rand() < 0.1 ? null : rand() * 2 - 1, rand() < 0.2 ? null : rand() < 0.5, rand() < 0.2 ? null : rand() < 0.5 ? 'a' : 'b']);
  }
  const t = table(1, COLS, rows);

  it('on 400 random expressions', () => {
    let fusedErrors = 0;
    for (let k = 0; k < 400; k++) {
      const e = randomExpr(rand, k % 2 === 0 ? 'num' : 'bool', 4);
      fuseSettings.enabled = true;
      const fused = outcome(() => evalExprs([e], scan(t), [t]));
      fuseSettings.enabled = false;
      const plain = outcome(() => evalExprs([e], scan(t), [t]));
      fuseSettings.enabled = true;
      if (typeof fused === 'string') {
        // Both must fail; which error comes first may differ (row-at-a-time vs operator-at-a-time).
        fusedErrors++;
        expect(typeof plain, JSON.stringify(e)).to.equal('string');
      } else expect(fused, JSON.stringify(e)).to.deep.equal(plain);
    }
    expect(fusedErrors).to.be.greaterThan(0);
  });
});
