// One training round, as the worker thread runs it (and tests call directly): targets are the log
// of true over classic rows (the model learns a correction to the classic estimate); every 10th
// sample is held out to measure whether the corrected estimate beats the classic one.
import { FEATURE_COUNT } from './featurize';
import { Mlp } from './mlp';

export interface TrainRequest {
  params: Float64Array | null;
  x: Float64Array;
  classic: Float64Array;
  actual: Float64Array;
  epochs: number;
  seed: number;
}

export interface TrainResult {
  params: Float64Array;
  losses: number[];
  /** Mean squared log error on the held-out samples: learned, and classic (a zero correction). */
  validationLearned: number;
  validationClassic: number;
  validationSamples: number;
}

/** Largest correction the model may apply, in natural log (e^7 ≈ 1100×). */
export const MAX_CORRECTION = 7;

export function logRatio(trueRows: number, classicRows: number): number {
  return Math.log(Math.max(1, trueRows)) - Math.log(Math.max(1, classicRows));
}

export function trainRound(req: TrainRequest): TrainResult {
  const n = req.classic.length;
  const model = new Mlp(FEATURE_COUNT, req.params === null ? undefined : Float64Array.from(req.params), req.seed);
  const trainIdx: number[] = [];
  const validIdx: number[] = [];
  for (let i = 0; i < n; i++) (i % 10 === 9 ? validIdx : trainIdx).push(i);
  const pack = (idx: number[]) => {
    const x = new Float64Array(idx.length * FEATURE_COUNT);
    const y = new Float64Array(idx.length);
    idx.forEach((s, r) => {
      x.set(req.x.subarray(s * FEATURE_COUNT, (s + 1) * FEATURE_COUNT), r * FEATURE_COUNT);
      y[r] = logRatio(req.actual[s], req.classic[s]);
    });
    return { x, y };
  };
  const train = pack(trainIdx);
  const valid = pack(validIdx);
  const losses = model.train(train.x, train.y, { epochs: req.epochs, learningRate: 2e-3, batchSize: 32, seed: req.seed, weightDecay: 1e-5 });
  let learned = 0;
  let classic = 0;
  for (let r = 0; r < valid.y.length; r++) {
    const p = Math.max(-MAX_CORRECTION, Math.min(MAX_CORRECTION, model.predict(valid.x, r * FEATURE_COUNT)));
    learned += (p - valid.y[r]) ** 2;
    classic += valid.y[r] ** 2;
  }
  const m = Math.max(1, valid.y.length);
  return { params: model.params, losses, validationLearned: learned / m, validationClassic: classic / m, validationSamples: valid.y.length };
}
