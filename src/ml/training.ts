// One training round, as the worker thread runs it (and tests call directly): targets are the log
// of true rows over the baseline (the classic estimate with sample selectivities, featurize.ts:
// the model learns a correction to it); every 10th
// sample is held out to measure whether the corrected estimate beats the classic one.
import { FEATURE_COUNT, PART_WIDTH, baselineRows, partOffsets } from './featurize';
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
  /** Mean squared log error on the held-out samples: learned, and classic. */
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
  const model = new Mlp(PART_WIDTH, req.params === null ? undefined : Float64Array.from(req.params), req.seed);
  const trainIdx: number[] = [];
  const validIdx: number[] = [];
  for (let i = 0; i < n; i++) (i % 10 === 9 ? validIdx : trainIdx).push(i);
  const bags = (idx: number[]) => idx.map((s) => Int32Array.from(partOffsets(req.x, s * FEATURE_COUNT)));
  const targets = (idx: number[]) => Float64Array.from(idx, (s) => logRatio(req.actual[s], baselineRows(req.x, req.classic[s], s * FEATURE_COUNT)));
  const trainY = targets(trainIdx);
  const validBags = bags(validIdx);
  const validY = targets(validIdx);
  const losses = model.trainBags(req.x, bags(trainIdx), trainY, { epochs: req.epochs, learningRate: 2e-3, batchSize: 32, seed: req.seed, weightDecay: 1e-4 });
  let learned = 0;
  let classic = 0;
  for (let r = 0; r < validY.length; r++) {
    const s = validIdx[r];
    const p = Math.max(-MAX_CORRECTION, Math.min(MAX_CORRECTION, model.predictBag(req.x, validBags[r])));
    learned += (p - validY[r]) ** 2;
    classic += logRatio(req.actual[s], req.classic[s]) ** 2;
  }
  const m = Math.max(1, validY.length);
  return { params: model.params, losses, validationLearned: learned / m, validationClassic: classic / m, validationSamples: validY.length };
}
