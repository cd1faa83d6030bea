// A multi-layer perceptron (input → 64 → 32 → 1, ReLU) on Float64Array, trained by Adam on the mean
// squared error of its scalar output. All weights live in one flat Float64Array so the model can be
// copied to a worker thread, persisted as bytes and swapped in whole. No per-sample allocation:
// forward and backward passes write into scratch arrays owned by the model.
import { Rng } from './rng';

export const HIDDEN1 = 64;
export const HIDDEN2 = 32;

/** Number of parameters of a model with `inputs` features. */
export function parameterCount(inputs: number): number {
  return inputs * HIDDEN1 + HIDDEN1 + HIDDEN1 * HIDDEN2 + HIDDEN2 + HIDDEN2 + 1;
}

export interface TrainOptions {
  epochs: number;
  learningRate?: number;
  batchSize?: number;
  seed?: number;
  /** L2 weight decay (keeps the correction small where samples are few). */
  weightDecay?: number;
}

export class Mlp {
  readonly params: Float64Array;
  // Offsets of each block inside params.
  private readonly w1: number;
  private readonly b1: number;
  private readonly w2: number;
  private readonly b2: number;
  private readonly w3: number;
  private readonly b3: number;
  // Scratch activations (pre- and post-ReLU) and gradients.
  private readonly h1 = new Float64Array(HIDDEN1);
  private readonly h2 = new Float64Array(HIDDEN2);
  private readonly d1 = new Float64Array(HIDDEN1);
  private readonly d2 = new Float64Array(HIDDEN2);

  constructor(
    readonly inputs: number,
    params?: Float64Array,
    seed = 1,
  ) {
    const n = parameterCount(inputs);
    this.w1 = 0;
    this.b1 = this.w1 + inputs * HIDDEN1;
    this.w2 = this.b1 + HIDDEN1;
    this.b2 = this.w2 + HIDDEN1 * HIDDEN2;
    this.w3 = this.b2 + HIDDEN2;
    this.b3 = this.w3 + HIDDEN2;
    if (params !== undefined) {
      if (params.length !== n) throw new Error(`model has ${params.length} parameters, expected ${n}`);
      this.params = params;
      return;
    }
    // He initialization for the ReLU layers; the output layer starts small so an untrained model
    // predicts about 0 (no correction).
    this.params = new Float64Array(n);
    const rng = new Rng(seed);
    for (let i = 0; i < inputs * HIDDEN1; i++) this.params[this.w1 + i] = rng.normal() * Math.sqrt(2 / inputs);
    for (let i = 0; i < HIDDEN1 * HIDDEN2; i++) this.params[this.w2 + i] = rng.normal() * Math.sqrt(2 / HIDDEN1);
    for (let i = 0; i < HIDDEN2; i++) this.params[this.w3 + i] = rng.normal() * 0.01;
  }

  /** The output for one feature vector (x.length === inputs, read from offset `at`). */
  predict(x: Float64Array, at = 0): number {
    const p = this.params;
    const n = this.inputs;
    for (let j = 0; j < HIDDEN1; j++) {
      let s = p[this.b1 + j];
      const row = this.w1 + j * n;
      for (let i = 0; i < n; i++) s += p[row + i] * x[at + i];
      this.h1[j] = s > 0 ? s : 0;
    }
    for (let k = 0; k < HIDDEN2; k++) {
      let s = p[this.b2 + k];
      const row = this.w2 + k * HIDDEN1;
      for (let j = 0; j < HIDDEN1; j++) s += p[row + j] * this.h1[j];
      this.h2[k] = s > 0 ? s : 0;
    }
    let out = p[this.b3];
    for (let k = 0; k < HIDDEN2; k++) out += p[this.w3 + k] * this.h2[k];
    return out;
  }

  /** Adds d(0.5·(out − y)²)/dparams · scale for one sample into grad; returns the squared error. */
  private accumulate(x: Float64Array, at: number, y: number, grad: Float64Array, scale: number): number {
    const err = this.predict(x, at) - y;
    this.backprop(x, at, err * scale, grad);
    return err * err;
  }

  /** Adds g · d(out)/dparams at input x[at..] into grad (runs the forward pass first). */
  private backprop(x: Float64Array, at: number, g: number, grad: Float64Array): void {
    const p = this.params;
    const n = this.inputs;
    this.predict(x, at);
    grad[this.b3] += g;
    for (let k = 0; k < HIDDEN2; k++) {
      grad[this.w3 + k] += g * this.h2[k];
      this.d2[k] = this.h2[k] > 0 ? g * p[this.w3 + k] : 0;
    }
    this.d1.fill(0);
    for (let k = 0; k < HIDDEN2; k++) {
      const dk = this.d2[k];
      if (dk === 0) continue;
      grad[this.b2 + k] += dk;
      const row = this.w2 + k * HIDDEN1;
      for (let j = 0; j < HIDDEN1; j++) {
        grad[row + j] += dk * this.h1[j];
        this.d1[j] += dk * p[row + j];
      }
    }
    for (let j = 0; j < HIDDEN1; j++) {
      const dj = this.h1[j] > 0 ? this.d1[j] : 0;
      if (dj === 0) continue;
      grad[this.b1 + j] += dj;
      const row = this.w1 + j * n;
      for (let i = 0; i < n; i++) grad[row + i] += dj * x[at + i];
    }
  }

  /** The output for a bag of rows (offsets into x): the sum of each row's output. */
  predictBag(x: Float64Array, rows: ArrayLike<number>): number {
    let s = 0;
    for (let i = 0; i < rows.length; i++) s += this.predict(x, rows[i]);
    return s;
  }

  /**
   * Mini-batch Adam where each sample is a bag of rows whose outputs add up to the prediction
   * (a subplan's parts: the model composes); returns the training loss after each epoch.
   */
  trainBags(x: Float64Array, bags: readonly Int32Array[], y: Float64Array, options: TrainOptions): number[] {
    return this.optimize(y.length, options, (s, grad, scale) => {
      const err = this.predictBag(x, bags[s]) - y[s];
      for (let i = 0; i < bags[s].length; i++) this.backprop(x, bags[s][i], err * scale, grad);
      return err * err;
    });
  }

  /** Mean squared error over samples (x: rows of `inputs` features, y: targets). */
  loss(x: Float64Array, y: Float64Array): number {
    let s = 0;
    for (let r = 0; r < y.length; r++) {
      const e = this.predict(x, r * this.inputs) - y[r];
      s += e * e;
    }
    return y.length === 0 ? 0 : s / y.length;
  }

  /** Mini-batch Adam over the samples; returns the training loss after each epoch. */
  train(x: Float64Array, y: Float64Array, options: TrainOptions): number[] {
    return this.optimize(y.length, options, (s, grad, scale) => this.accumulate(x, s * this.inputs, y[s], grad, scale));
  }

  /** Adam over `count` samples; `step` adds one sample's gradient (times scale) and returns its squared error. */
  private optimize(count: number, options: TrainOptions, step: (sample: number, grad: Float64Array, scale: number) => number): number[] {
    const lr = options.learningRate ?? 1e-3;
    const batch = options.batchSize ?? 32;
    const decay = options.weightDecay ?? 0;
    const rng = new Rng(options.seed ?? 7);
    const n = this.params.length;
    const grad = new Float64Array(n);
    const m = new Float64Array(n);
    const v = new Float64Array(n);
    const b1 = 0.9;
    const b2 = 0.999;
    let t = 0;
    const order = new Uint32Array(count);
    for (let i = 0; i < order.length; i++) order[i] = i;
    const losses: number[] = [];
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      rng.shuffle(order);
      let total = 0;
      for (let start = 0; start < order.length; start += batch) {
        const end = Math.min(order.length, start + batch);
        grad.fill(0);
        const scale = 1 / (end - start);
        for (let s = start; s < end; s++) total += step(order[s], grad, scale);
        t++;
        const c1 = 1 - Math.pow(b1, t);
        const c2 = 1 - Math.pow(b2, t);
        const p = this.params;
        for (let i = 0; i < n; i++) {
          const gi = grad[i] + decay * p[i];
          m[i] = b1 * m[i] + (1 - b1) * gi;
          v[i] = b2 * v[i] + (1 - b2) * gi * gi;
          p[i] -= (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + 1e-8);
        }
      }
      losses.push(count === 0 ? 0 : total / count);
    }
    return losses;
  }
}
