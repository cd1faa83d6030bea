// The MLP learns a known function; training is deterministic under a seed.
import { expect } from 'chai';
import { Mlp, parameterCount } from '../../../src/ml/mlp';
import { Rng } from '../../../src/ml/rng';

/** y = 2·x0 − x1 + 0.5·x0·x2 over random points in [-1, 1]³. */
function dataset(n: number, seed: number): { x: Float64Array; y: Float64Array } {
  const rng = new Rng(seed);
  const x = new Float64Array(n * 3);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = rng.next() * 2 - 1;
    const b = rng.next() * 2 - 1;
    const c = rng.next() * 2 - 1;
    x.set([a, b, c], i * 3);
    y[i] = 2 * a - b + 0.5 * a * c;
  }
  return { x, y };
}

describe('ml: MLP', () => {
  it('has features·64 + 64 + 64·32 + 32 + 32 + 1 parameters', () => {
    expect(parameterCount(10)).to.equal(10 * 64 + 64 + 64 * 32 + 32 + 32 + 1);
    expect(new Mlp(10).params.length).to.equal(parameterCount(10));
  });

  it('learns a known function: loss falls and held-out error is small', () => {
    const train = dataset(800, 1);
    const test = dataset(200, 2);
    const m = new Mlp(3, undefined, 3);
    const before = m.loss(test.x, test.y);
    const losses = m.train(train.x, train.y, { epochs: 60, learningRate: 3e-3, seed: 4 });
    const after = m.loss(test.x, test.y);
    expect(losses[losses.length - 1]).to.be.lessThan(losses[0] / 10);
    expect(before).to.be.greaterThan(0.5);
    expect(after).to.be.lessThan(0.01);
  });

  it('is deterministic for a seed', () => {
    const d = dataset(100, 5);
    const a = new Mlp(3, undefined, 9);
    const b = new Mlp(3, undefined, 9);
    a.train(d.x, d.y, { epochs: 3, seed: 1 });
    b.train(d.x, d.y, { epochs: 3, seed: 1 });
    expect(Array.from(a.params)).to.deep.equal(Array.from(b.params));
    const c = new Mlp(3, undefined, 10);
    expect(c.params[0]).to.not.equal(a.params[0]);
  });

  it('rejects weights of the wrong size', () => {
    expect(() => new Mlp(3, new Float64Array(5))).to.throw(/expected/);
  });
});

describe('ml: MLP over bags of parts', () => {
  // Each part is [kind, v]; a bag's target is the sum over its parts of g(kind, v).
  const g = (kind: number, v: number) => (kind === 1 ? 2 * v : -v * v);
  function bags(n: number, seed: number, sizes: number[]) {
    const rng = new Rng(seed);
    const rows: number[] = [];
    const offsets: Int32Array[] = [];
    const y: number[] = [];
    for (let i = 0; i < n; i++) {
      const size = sizes[i % sizes.length];
      const at: number[] = [];
      let t = 0;
      for (let k = 0; k < size; k++) {
        const kind = rng.next() < 0.5 ? 1 : 0;
        const v = rng.next() * 2 - 1;
        at.push(rows.length);
        rows.push(kind, v);
        t += g(kind, v);
      }
      offsets.push(Int32Array.from(at));
      y.push(t);
    }
    return { x: Float64Array.from(rows), offsets, y: Float64Array.from(y) };
  }

  it('learns parts from bags of one and two, and answers for bags of four (composition)', () => {
    const train = bags(1500, 1, [1, 2]);
    const test = bags(200, 2, [4]);
    const m = new Mlp(2, undefined, 3);
    const losses = m.trainBags(train.x, train.offsets, train.y, { epochs: 40, learningRate: 3e-3, seed: 4 });
    expect(losses[losses.length - 1]).to.be.lessThan(losses[0] / 10);
    let err = 0;
    let base = 0;
    test.offsets.forEach((o, i) => {
      err += (m.predictBag(test.x, o) - test.y[i]) ** 2;
      base += test.y[i] ** 2;
    });
    expect(err / base).to.be.lessThan(0.05);
  });
});
