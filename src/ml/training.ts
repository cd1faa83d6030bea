// One training round, as the worker thread runs it (and tests call directly): targets are the log
// of true rows over the baseline (the classic estimate with sample selectivities, featurize.ts:
// the model learns a correction to it).
//
// Whether the correction carries over to queries unlike the ones trained on is measured, not
// assumed: the samples are grouped by the structure of their subplan (tables and join edges,
// predicates aside: the variants of one query template share a group), models are trained on all
// groups but one quarter and predict that quarter (grouped cross-validation), and the correction
// is applied scaled by the factor (0, ¼, ½, ¾ or 1; one for single scans, one for joins, one for aggregations' groups) that
// predicted the groups left out best, after dropping corrections below a threshold
// chosen the same way (small corrections are mostly noise). A correction that only memorizes the trained queries' structures
// gets factor 0: the estimate is the baseline. The final weights are trained on every sample.
import { FEATURE_COUNT, PART_WIDTH, baselineRows, partKind, partOffsets } from './featurize';
import { Mlp } from './mlp';

export interface TrainRequest {
  params: Float64Array | null;
  x: Float64Array;
  classic: Float64Array;
  actual: Float64Array;
  epochs: number;
  seed: number;
}

/** How much of the MLP's correction is applied: to subplans of one relation (a scan), to joins, and to aggregations' groups. */
export interface CorrectionScale {
  scan: number;
  join: number;
  group: number;
  /** Corrections smaller than this (natural log) are noise: dropped, and larger ones shrunk by it (soft threshold). */
  threshold?: number;
}

export type SubplanKind = 'scan' | 'join' | 'group';

/** Which scale applies to a subplan of these parts. */
export function subplanKind(x: Float64Array, parts: ArrayLike<number>): SubplanKind {
  for (let i = 0; i < parts.length; i++) if (partKind(x, parts[i]) === 2) return 'group';
  return parts.length === 1 ? 'scan' : 'join';
}

export interface TrainResult {
  params: Float64Array;
  losses: number[];
  scale: CorrectionScale;
  /** Mean squared log error on the groups held out of the cross-validation: learned (scaled correction), baseline, classic. */
  validationLearned: number;
  validationBaseline: number;
  validationClassic: number;
  validationSamples: number;
  /** Structure groups among the samples. */
  groups: number;
}

/** Largest correction the model may apply, in natural log (e^7 ≈ 1100×). */
export const MAX_CORRECTION = 7;
const FOLDS = 4;
const SCALES = [0, 0.25, 0.5, 0.75, 1];
const THRESHOLDS = [0, 0.1, 0.25, 0.5];

/** Soft threshold: a correction of magnitude at most t is dropped, a larger one shrunk by t. */
const soft = (c: number, t: number) => (c > t ? c - t : c < -t ? c + t : 0);

export function logRatio(trueRows: number, classicRows: number): number {
  return Math.log(Math.max(1, trueRows)) - Math.log(Math.max(1, classicRows));
}

/**
 * A subplan's structure, predicates aside: its relations' base rows and its edges' key statistics
 * (the variants of one template share it; another join graph, or another table, does not).
 */
export function structureKey(x: Float64Array, at: number): string {
  const parts = partOffsets(x, at).map((p) => {
    const kind = partKind(x, p);
    return kind === 0 ? `r${x[p + 2].toFixed(3)}` : kind === 1 ? `e${[2, 3, 4, 5, 6, 9].map((k) => x[p + k].toFixed(3)).join(',')}` : `g${x[p + 2]}`;
  });
  return parts.sort().join('|');
}

const clamp = (c: number) => Math.max(-MAX_CORRECTION, Math.min(MAX_CORRECTION, c));

export function trainRound(req: TrainRequest): TrainResult {
  const n = req.classic.length;
  const bags = Array.from({ length: n }, (_, s) => Int32Array.from(partOffsets(req.x, s * FEATURE_COUNT)));
  const y = Float64Array.from({ length: n }, (_, s) => logRatio(req.actual[s], baselineRows(req.x, req.classic[s], s * FEATURE_COUNT)));
  const fit = (idx: number[]) => {
    // Fresh weights every round (same seed): what the cross-validation measured is what is used.
    const model = new Mlp(PART_WIDTH, undefined, req.seed);
    const losses = model.trainBags(
      req.x,
      idx.map((s) => bags[s]),
      Float64Array.from(idx, (s) => y[s]),
      { epochs: req.epochs, learningRate: 2e-3, batchSize: 32, seed: req.seed, weightDecay: 1e-4 },
    );
    return { model, losses };
  };
  // Groups by structure, spread over the folds in order of first appearance.
  const groupOf = new Map<string, number>();
  const fold = new Int32Array(n);
  for (let s = 0; s < n; s++) {
    const key = structureKey(req.x, s * FEATURE_COUNT);
    if (!groupOf.has(key)) groupOf.set(key, groupOf.size);
    fold[s] = groupOf.get(key)! % FOLDS;
  }
  const outOfFold = new Float64Array(n);
  const folds = Math.min(FOLDS, groupOf.size);
  if (folds >= 2)
    for (let k = 0; k < folds; k++) {
      const train: number[] = [];
      for (let s = 0; s < n; s++) if (fold[s] !== k) train.push(s);
      const { model } = fit(train);
      for (let s = 0; s < n; s++) if (fold[s] === k) outOfFold[s] = clamp(model.predictBag(req.x, bags[s]));
    }
  // The scale per kind that predicts the held-out groups best (0 when one group only: nothing to check transfer on).
  const kinds = bags.map((b) => subplanKind(req.x, b));
  const pick = (kind: SubplanKind, t: number): { a: number; err: number } => {
    let best = 0;
    let bestErr = Infinity;
    for (const a of folds < 2 ? [0] : SCALES) {
      let err = 0;
      for (let s = 0; s < n; s++) if (kinds[s] === kind) err += (a * soft(outOfFold[s], t) - y[s]) ** 2;
      if (err < bestErr - 1e-9) {
        best = a;
        bestErr = err;
      }
    }
    return { a: best, err: bestErr };
  };
  // One threshold for all kinds, the one whose best scales predict the held-out groups best.
  let scale: CorrectionScale = { scan: 0, join: 0, group: 0, threshold: 0 };
  let scaleErr = Infinity;
  for (const t of THRESHOLDS) {
    const [scan, join, group] = (['scan', 'join', 'group'] as const).map((k) => pick(k, t));
    if (scan.err + join.err + group.err < scaleErr - 1e-9) {
      scaleErr = scan.err + join.err + group.err;
      scale = { scan: scan.a, join: join.a, group: group.a, threshold: t };
    }
  }
  let learned = 0;
  let baseline = 0;
  let classic = 0;
  for (let s = 0; s < n; s++) {
    learned += (scale[kinds[s]] * soft(outOfFold[s], scale.threshold ?? 0) - y[s]) ** 2;
    baseline += y[s] ** 2;
    classic += logRatio(req.actual[s], req.classic[s]) ** 2;
  }
  const all = Array.from({ length: n }, (_, s) => s);
  const { model, losses } = fit(all);
  const m = Math.max(1, n);
  return { params: model.params, losses, scale, validationLearned: learned / m, validationBaseline: baseline / m, validationClassic: classic / m, validationSamples: n, groups: groupOf.size };
}

/** The correction of a trained model for a subplan's vector, scaled as its training round decided. */
export function scaledCorrection(model: Mlp, scale: CorrectionScale, x: Float64Array, parts: number[]): number {
  const a = scale[subplanKind(x, parts)];
  return a === 0 ? 0 : a * soft(clamp(model.predictBag(x, parts)), scale.threshold ?? 0);
}
