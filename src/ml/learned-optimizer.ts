// The learned cardinality model of one database: answers the planner's estimates, takes the true
// cardinalities of executed subplans as samples, retrains in a worker thread when enough new
// samples arrived, and keeps weights and samples in the database's key-value store (LMDB, or memory
// for ':memory:') so they survive a restart. Until it has been trained on MIN_SAMPLES samples and
// beats the classic estimate on held-out samples, it answers null and the planner keeps the
// classic estimate.
import * as path from 'path';
import { Worker } from 'worker_threads';
import { AuxStore, TableSnapshot } from '../storage/api';
import { Expr } from '../plan/expr';
import { ExecContext } from '../exec/context';
import { TableSamples } from './table-sample';
import { FEATURE_COUNT, PART_WIDTH, baselineRows, partKind, partOffsets } from './featurize';
import { Mlp } from './mlp';
import { MAX_BLOCKS, SampleStore } from './sample-store';
import { CorrectionScale, TrainRequest, TrainResult, scaledCorrection, subplanKind, trainRound } from './training';

export type MlMode = 'off' | 'on' | 'shadow';

export function parseMlMode(text: string): MlMode | null {
  const v = text.trim().toLowerCase();
  return v === 'on' || v === 'off' || v === 'shadow' ? v : null;
}

/** What the planner asks: the learned rows of a subplan, or null (untrained or not trusted). */
export interface CardinalityModel {
  readonly mode: MlMode;
  /** Whether the model is trained and trusted (predict answers non-null). */
  readonly ready: boolean;
  predict(features: Float64Array, classicRows: number): number | null;
  /**
   * Whether to plan the learned join order of a join problem (by signature) whose order differs
   * from the classic one and is estimated clearly cheaper: by the measured times of both orders
   * once each has run, trying each once first.
   */
  useLearnedOrder(signature: string): boolean;
  /** The fraction of the table's sample passing a scan's predicate (hits of n), or null when unknown. */
  sampleSelectivity(tableId: number, columns: readonly number[], predicates: readonly Expr[]): { hits: number; n: number; expected: number } | null;
}

/** What the model reads tables through: the statement's snapshots and an execution context for predicates. */
export interface SampleAccess {
  snapshot(tableId: number): TableSnapshot;
  context(): ExecContext;
}

/** A subplan's executed outcome. */
export interface Sample {
  features: Float64Array;
  classicRows: number;
  trueRows: number;
}

/** Where the model keeps its bytes: the storage's auxiliary key-value space. */
export type ModelPersistence = AuxStore;

export interface ModelStatus {
  version: number;
  samples: number;
  samplesSeen: number;
  trusted: boolean;
  training: boolean;
  validationLearned: number | null;
  validationClassic: number | null;
  /** The baseline's (sample selectivities, no correction) error on the same held-out groups. */
  validationBaseline: number | null;
  /** The share of the MLP's correction applied to scans, joins and aggregations' groups (0: it did not carry over to held-out structures). */
  scale: CorrectionScale | null;
  recentLearnedQError: number | null;
  recentClassicQError: number | null;
  recentCount: number;
}

/** Samples before the model may be used. */
export const MIN_SAMPLES = 200;
/** New samples that trigger a training round. */
const RETRAIN_AFTER = 100;
/** Epochs of a training round (each round trains fresh weights: the cross-validated ones). */
const EPOCHS = 20;
const RECENT = 500;
/** Runs of each join order the plan-time guard times before it compares them. */
const GUARD_RUNS = 3;

const MODEL_KEY = 'ml/model';
const SAMPLES_KEY = 'ml/samples';
const blockKey = (i: number) => `ml/block/${i}`;

export function qError(estimate: number, actual: number): number {
  const e = Math.max(1, estimate);
  const a = Math.max(1, actual);
  return Math.max(e / a, a / e);
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = values.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

interface ModelHeader {
  version: number;
  trusted: boolean;
  features: number;
  validationLearned: number | null;
  validationClassic: number | null;
  validationBaseline?: number | null;
  scale?: CorrectionScale;
}

export class LearnedOptimizer {
  private mlp: Mlp | null = null;
  private header: ModelHeader = { version: 0, trusted: false, features: FEATURE_COUNT, validationLearned: null, validationClassic: null };
  private pending = 0;
  private training: Promise<void> | null = null;
  private readonly recentLearned: number[] = [];
  private readonly recentClassic: number[] = [];
  private closed = false;
  /** Per generic feature, the least and greatest value among the samples the weights were trained on. */
  private known: Float64Array | null = null;
  private readonly tableSamples = new TableSamples();

  private constructor(
    private readonly persistence: ModelPersistence,
    private samples: SampleStore,
    /** Train in a worker thread (false: on the calling thread, for tests). */
    private readonly useWorker: boolean,
  ) {}

  static open(persistence: ModelPersistence, options: { useWorker?: boolean } = {}): LearnedOptimizer {
    const samples = SampleStore.restore(persistence.get(SAMPLES_KEY), (i) => persistence.get(blockKey(i)));
    const opt = new LearnedOptimizer(persistence, samples, options.useWorker ?? true);
    const raw = persistence.get(MODEL_KEY);
    if (raw !== undefined) {
      const len = raw.readUInt32LE(0);
      const header = JSON.parse(raw.subarray(4, 4 + len).toString()) as ModelHeader;
      if (header.features === FEATURE_COUNT) {
        const bytes = raw.subarray(4 + len);
        const params = new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
        opt.mlp = new Mlp(PART_WIDTH, params);
        opt.header = header;
        opt.known = featureRanges(samples.dataset().x);
      }
    }
    return opt;
  }

  /** The estimator a planning session uses under `mode`. */
  model(mode: MlMode, access?: SampleAccess): CardinalityModel {
    return {
      mode,
      ready: this.mlp !== null && this.header.trusted,
      predict: (f, c) => this.predict(f, c),
      useLearnedOrder: (sig) => this.useLearnedOrder(sig),
      sampleSelectivity: (id, columns, predicates) => (access === undefined ? null : this.tableSamples.selectivity(access.snapshot(id), columns, predicates, access.context())),
    };
  }

  /**
   * The learned rows: the baseline times the MLP's correction, scaled by how well it predicted
   * structures left out of training; the baseline alone for a subplan with a part outside the
   * trained ranges. Null (the classic estimate) while untrained or untrusted.
   */
  predict(features: Float64Array, classicRows: number): number | null {
    if (this.mlp === null || !this.header.trusted) return null;
    const parts = partOffsets(features);
    const correction = this.corrects(features) ? scaledCorrection(this.mlp, this.scale(), features, parts) : 0;
    return Math.max(1, baselineRows(features, classicRows) * Math.exp(correction));
  }

  /** Whether the trained model applies a correction to this subplan (every part within the trained ranges, and a non-zero scale). */
  corrects(features: Float64Array): boolean {
    if (this.mlp === null) return false;
    const parts = partOffsets(features);
    const s = this.scale();
    return s[subplanKind(features, parts)] > 0 && inRange(this.known, features, parts);
  }

  private scale(): CorrectionScale {
    // Models saved before the scale was measured apply their whole correction.
    return this.header.scale ?? { scan: 1, join: 1, group: 1 };
  }

  /** Measured times (ms) of the join problems whose learned order differs from the classic one. */
  private readonly planTimes = new Map<string, { classic: number[]; learned: number[] }>();

  /**
   * The plan-time guard: until each order has run GUARD_RUNS times, the one that ran fewer times
   * (the learned one first); then the learned order only when its median time is at least 5% below
   * the classic one's. Kept in memory only: after a restart both orders are tried again.
   */
  useLearnedOrder(signature: string): boolean {
    const t = this.planTimes.get(signature);
    if (t === undefined) return true;
    if (t.learned.length < GUARD_RUNS || t.classic.length < GUARD_RUNS) return t.learned.length <= t.classic.length;
    return median(t.learned)! < 0.95 * median(t.classic)!;
  }

  /** Records how long a join problem's planned order took (its top join's time, inputs included). */
  recordPlanTimes(times: { signature: string; learned: boolean; ms: number }[]): void {
    for (const x of times) {
      let t = this.planTimes.get(x.signature);
      if (t === undefined) {
        if (this.planTimes.size >= 10000) this.planTimes.clear();
        this.planTimes.set(x.signature, (t = { classic: [], learned: [] }));
      }
      const list = x.learned ? t.learned : t.classic;
      list.push(x.ms);
      if (list.length > 8) list.shift();
    }
  }

  /** Rows the trained model predicts regardless of trust (for q-error reporting), or null before any training. */
  private raw(features: Float64Array, classicRows: number): number | null {
    if (this.mlp === null) return null;
    const correction = this.corrects(features) ? scaledCorrection(this.mlp, this.scale(), features, partOffsets(features)) : 0;
    return Math.max(1, baselineRows(features, classicRows) * Math.exp(correction));
  }

  /** Sees every executed query's samples, whether learned from or not (the benchmark's q-error). */
  observer: ((samples: Sample[]) => void) | null = null;

  /** Adds executed subplans as samples (keep: ml_learn is on); starts a training round in the background when due. */
  learn(samples: Sample[], keep = true): void {
    if (this.observer !== null && samples.length > 0) this.observer(samples);
    if (!keep || this.closed || samples.length === 0) return;
    for (const s of samples) {
      if (!Number.isFinite(s.trueRows) || !Number.isFinite(s.classicRows)) continue;
      const learned = this.raw(s.features, s.classicRows);
      if (learned !== null) {
        pushRecent(this.recentLearned, qError(learned, s.trueRows));
        pushRecent(this.recentClassic, qError(s.classicRows, s.trueRows));
      }
      this.samples.add(s.features, s.classicRows, s.trueRows);
      this.pending++;
    }
    if (this.training === null && this.pending >= RETRAIN_AFTER && this.samples.size >= MIN_SAMPLES / 2) void this.train();
  }

  /** Runs a training round now (or waits for the running one); resolves when the new weights are in place. */
  async train(): Promise<void> {
    if (this.training !== null) return this.training;
    if (this.samples.size === 0) return;
    this.pending = 0;
    const data = this.samples.dataset();
    const known = featureRanges(data.x);
    const req: TrainRequest = { params: this.mlp === null ? null : Float64Array.from(this.mlp.params), ...data, epochs: EPOCHS, seed: this.header.version + 1 };
    const round = this.useWorker ? runInWorker(req) : Promise.resolve(trainRound(req));
    this.training = round
      .then(async (result) => {
        this.mlp = new Mlp(PART_WIDTH, result.params);
        this.known = known;
        this.header = {
          version: this.header.version + 1,
          features: FEATURE_COUNT,
          // Trusted when, on structures it was not trained on, it beats the classic estimate.
          trusted: this.samples.size >= MIN_SAMPLES && result.validationLearned < result.validationClassic,
          validationLearned: result.validationLearned,
          validationClassic: result.validationClassic,
          validationBaseline: result.validationBaseline,
          scale: result.scale,
        };
        if (!this.closed) await this.persist();
      })
      .finally(() => {
        this.training = null;
      });
    return this.training;
  }

  /** Writes the weights and the changed sample blocks. */
  async persist(): Promise<void> {
    const entries: [string, Buffer | null][] = [];
    const { blocks, header } = this.samples.takeDirty();
    for (const [i, bytes] of blocks) entries.push([blockKey(i), bytes]);
    entries.push([SAMPLES_KEY, header]);
    if (this.mlp !== null) {
      const h = Buffer.from(JSON.stringify(this.header));
      const len = Buffer.alloc(4);
      len.writeUInt32LE(h.length, 0);
      entries.push([MODEL_KEY, Buffer.concat([len, h, Buffer.from(this.mlp.params.buffer, this.mlp.params.byteOffset, this.mlp.params.byteLength)])]);
    }
    await this.persistence.write(entries);
  }

  status(): ModelStatus {
    return {
      version: this.header.version,
      samples: this.samples.size,
      samplesSeen: this.samples.total,
      trusted: this.header.trusted,
      training: this.training !== null,
      validationLearned: this.header.validationLearned,
      validationClassic: this.header.validationClassic,
      validationBaseline: this.header.validationBaseline ?? null,
      scale: this.header.scale ?? null,
      recentLearnedQError: median(this.recentLearned),
      recentClassicQError: median(this.recentClassic),
      recentCount: this.recentLearned.length,
    };
  }

  /** Forgets the weights and every sample, here and in the store (a benchmark's fresh start). */
  async reset(): Promise<void> {
    if (this.training !== null) await this.training.catch(() => undefined);
    this.samples = new SampleStore();
    this.mlp = null;
    this.known = null;
    this.pending = 0;
    this.header = { version: 0, trusted: false, features: FEATURE_COUNT, validationLearned: null, validationClassic: null };
    this.recentLearned.length = 0;
    this.recentClassic.length = 0;
    const entries: [string, Buffer | null][] = [
      [MODEL_KEY, null],
      [SAMPLES_KEY, null],
    ];
    for (let i = 0; i < MAX_BLOCKS; i++) entries.push([blockKey(i), null]);
    await this.persistence.write(entries);
  }

  /** Waits for a running round, then saves what is not saved yet. */
  async close(): Promise<void> {
    if (this.training !== null) await this.training.catch(() => undefined);
    this.closed = true;
    await this.persist();
  }
}

/** Per part feature, the least and greatest value over the part rows of the training samples (relation, edge and group-by rows apart). */
function featureRanges(x: Float64Array): Float64Array {
  const out = new Float64Array(6 * PART_WIDTH);
  for (let i = 0; i < 3 * PART_WIDTH; i++) {
    out[2 * i] = Infinity;
    out[2 * i + 1] = -Infinity;
  }
  for (let at = 0; at < x.length; at += FEATURE_COUNT)
    for (const p of partOffsets(x, at)) {
      const base = partKind(x, p) * PART_WIDTH;
      for (let f = 0; f < PART_WIDTH; f++) {
        const i = base + f;
        out[2 * i] = Math.min(out[2 * i], x[p + f]);
        out[2 * i + 1] = Math.max(out[2 * i + 1], x[p + f]);
      }
    }
  return out;
}

/** How far (in scaled feature units) past the training range of a part feature the model still answers. */
const RANGE_MARGIN = 0.25;

/** Whether every part of the subplan lies within (or near) the parts the model was trained on; else it abstains. */
function inRange(known: Float64Array | null, x: Float64Array, parts: number[]): boolean {
  if (known === null || parts.length === 0) return false;
  for (const p of parts) {
    const base = partKind(x, p) * PART_WIDTH;
    for (let f = 0; f < PART_WIDTH; f++) {
      const i = base + f;
      if (!(known[2 * i] <= known[2 * i + 1])) return false;
      const v = x[p + f];
      if (v < known[2 * i] - RANGE_MARGIN || v > known[2 * i + 1] + RANGE_MARGIN) return false;
    }
  }
  return true;
}

function pushRecent(list: number[], v: number): void {
  list.push(v);
  if (list.length > RECENT) list.shift();
}

function runInWorker(req: TrainRequest): Promise<TrainResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(path.join(__dirname, 'train-worker.js'), { workerData: req });
    worker.once('message', (m: TrainResult) => resolve(m));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`training worker exited with code ${code}`));
    });
  });
}
