// Phi-accrual failure detector (Hayashibara et al., 2004; the variant Akka and Cassandra use).
//
// Instead of a yes/no timeout, each monitored peer gets a suspicion level phi that grows with the
// silence since its last heartbeat, scaled by how regular its heartbeats have been:
//   phi(t) = -log10( P(next interval > t - lastHeartbeat) )
// where the interval distribution is approximated by a normal distribution with the mean and standard
// deviation of the last `windowSize` inter-arrival times. phi = 8 means "if the peer were alive, a
// silence this long would happen with probability 1e-8".
//
// The tail probability is computed in log space from a Chebyshev approximation of the complementary
// error function (Numerical Recipes' erfc fit, fractional error < 1.2e-7 everywhere), so phi stays
// finite and accurate far out in the tail (phi in the hundreds), where exp() would underflow to 0 and
// give Infinity. Akka's logistic approximation 1/(1+exp(-y(1.5976+0.070566y^2))) was not used: its
// exponent is cubic in y (y = silence in standard deviations past the mean) where the true one is
// quadratic, so it overstates phi in the tail (y = 6: 10.8 instead of 9.0; y = 8: 21.2 instead of
// 15.2), which makes suspicion earlier than the configured threshold promises, and its exp()
// underflows so phi becomes Infinity from y = 22 on (the normal tail gives 106.8 there).
//
// No timers inside: the caller passes the clock (milliseconds) to every call, so the detector is
// deterministic and testable, and the interconnect decides how often to look at phi.

export interface PhiAccrualOptions {
  /** Inter-arrival samples kept (sliding window). */
  windowSize?: number;
  /** Floor of the standard deviation in ms, so a very regular peer is not suspected after a few ms of lateness. */
  minStdDevMs?: number;
  /** Floor of the standard deviation as a fraction of the mean interval. */
  minStdDevRatio?: number;
  /** Extra silence tolerated on top of the mean (GC pauses, scheduling hiccups): added to the mean. */
  acceptablePauseMs?: number;
  /** Expected heartbeat interval, used to bootstrap the window at the first heartbeat. */
  firstIntervalMs?: number;
}

const DEFAULTS: Required<PhiAccrualOptions> = {
  windowSize: 1000,
  minStdDevMs: 10,
  minStdDevRatio: 0.1,
  acceptablePauseMs: 0,
  firstIntervalMs: 100,
};

export const DEFAULT_PHI_THRESHOLD = 8;

const LN10 = Math.log(10);
const LN_HALF = Math.log(0.5);

/** ln(erfc(x)) for x >= 0, without underflow (Numerical Recipes' Chebyshev fit of erfc). */
function lnErfcNonNeg(x: number): number {
  const t = 1 / (1 + 0.5 * x);
  const poly =
    -x * x -
    1.26551223 +
    t * (1.00002368 +
    t * (0.37409196 +
    t * (0.09678418 +
    t * (-0.18628806 +
    t * (0.27886807 +
    t * (-1.13520398 +
    t * (1.48851587 +
    t * (-0.82215223 +
    t * 0.17087277))))))));
  return Math.log(t) + poly;
}

/**
 * -log10(P(X > x)) for X ~ N(mean, sd): the phi of a silence of x ms. Exported for tests and for
 * the simulation's analytic checks.
 */
export function normalTailPhi(x: number, mean: number, sd: number): number {
  const y = (x - mean) / (sd * Math.SQRT2);
  // P(X > x) = erfc(y) / 2; for y < 0, erfc(y) = 2 - erfc(-y) lies in (1, 2] and needs no log trick.
  const lnP = y >= 0 ? LN_HALF + lnErfcNonNeg(y) : Math.log(1 - 0.5 * Math.exp(lnErfcNonNeg(-y)));
  const phi = -lnP / LN10;
  return phi > 0 ? phi : 0;
}

/** Heartbeat history and phi of one peer. */
export class PhiAccrualDetector {
  private readonly opts: Required<PhiAccrualOptions>;
  private readonly ring: Float64Array;
  private head = 0; // next slot to write
  private count = 0;
  private sum = 0;
  private sumSq = 0;
  private evictionsSinceResum = 0;
  private last = -1; // time of the last heartbeat, -1 before the first

  constructor(options: PhiAccrualOptions = {}) {
    this.opts = { ...DEFAULTS, ...options };
    if (!(this.opts.windowSize >= 2)) throw new RangeError('phi-accrual windowSize must be at least 2');
    if (!(this.opts.firstIntervalMs > 0)) throw new RangeError('phi-accrual firstIntervalMs must be positive');
    this.ring = new Float64Array(this.opts.windowSize);
  }

  /** Records a heartbeat received at nowMs. */
  heartbeat(nowMs: number): void {
    if (this.last < 0) {
      // Bootstrap (as Akka does): seed the window with two intervals around the expected one, so
      // phi is meaningful from the first heartbeat on; real samples slide them out.
      const m = this.opts.firstIntervalMs;
      this.add(m - m / 4);
      this.add(m + m / 4);
    } else {
      const interval = nowMs - this.last;
      if (interval < 0) return; // clock went backwards or reordered delivery: keep the later time
      this.add(interval);
    }
    this.last = nowMs;
  }

  private add(interval: number): void {
    if (this.count === this.ring.length) {
      const old = this.ring[this.head];
      this.sum -= old;
      this.sumSq -= old * old;
      // Running sums drift with many add/subtract rounds; recompute once per window turn (amortised O(1)).
      if (++this.evictionsSinceResum >= this.ring.length) this.resum();
    } else {
      this.count++;
    }
    this.ring[this.head] = interval;
    this.sum += interval;
    this.sumSq += interval * interval;
    this.head = this.head + 1 === this.ring.length ? 0 : this.head + 1;
  }

  private resum(): void {
    this.evictionsSinceResum = 0;
    let s = 0;
    let q = 0;
    for (let i = 0; i < this.count; i++) {
      if (i === this.head) continue; // the evicted slot, about to be overwritten
      const v = this.ring[i];
      s += v;
      q += v * v;
    }
    this.sum = s;
    this.sumSq = q;
  }

  get sampleCount(): number {
    return this.count;
  }

  get lastHeartbeatMs(): number | undefined {
    return this.last < 0 ? undefined : this.last;
  }

  get meanIntervalMs(): number {
    return this.count === 0 ? this.opts.firstIntervalMs : this.sum / this.count;
  }

  /** Standard deviation used by phi: the window's, floored by minStdDevMs and minStdDevRatio * mean. */
  get stdDevMs(): number {
    const mean = this.meanIntervalMs;
    const variance = this.count === 0 ? 0 : Math.max(0, this.sumSq / this.count - mean * mean);
    return Math.max(Math.sqrt(variance), this.opts.minStdDevMs, this.opts.minStdDevRatio * mean);
  }

  /** Suspicion level at nowMs; 0 before the first heartbeat (nothing known yet, nothing suspected). */
  phi(nowMs: number): number {
    if (this.last < 0) return 0;
    const elapsed = nowMs - this.last;
    return normalTailPhi(elapsed, this.meanIntervalMs + this.opts.acceptablePauseMs, this.stdDevMs);
  }

  isSuspected(nowMs: number, threshold = DEFAULT_PHI_THRESHOLD): boolean {
    return this.phi(nowMs) >= threshold;
  }

  /**
   * Silence (ms after the last heartbeat) at which phi reaches `threshold` with the current history:
   * phi is monotone in the silence, so bisection. Used to schedule the next check and by the simulation.
   */
  silenceToReach(threshold = DEFAULT_PHI_THRESHOLD): number {
    const mean = this.meanIntervalMs + this.opts.acceptablePauseMs;
    const sd = this.stdDevMs;
    let lo = 0;
    let hi = mean + sd;
    while (normalTailPhi(hi, mean, sd) < threshold) hi = mean + 2 * (hi - mean);
    for (let i = 0; i < 60 && hi - lo > 1e-6; i++) {
      const mid = (lo + hi) / 2;
      if (normalTailPhi(mid, mean, sd) < threshold) lo = mid;
      else hi = mid;
    }
    return hi;
  }
}

/** One detector per peer id, created at the peer's first heartbeat. */
export class FailureDetectors<Id = string> {
  private readonly detectors = new Map<Id, PhiAccrualDetector>();

  constructor(private readonly options: PhiAccrualOptions = {}, private readonly threshold = DEFAULT_PHI_THRESHOLD) {}

  heartbeat(peer: Id, nowMs: number): void {
    let d = this.detectors.get(peer);
    if (d === undefined) {
      d = new PhiAccrualDetector(this.options);
      this.detectors.set(peer, d);
    }
    d.heartbeat(nowMs);
  }

  /** phi of a peer; 0 for a peer never heard from. */
  phi(peer: Id, nowMs: number): number {
    const d = this.detectors.get(peer);
    return d === undefined ? 0 : d.phi(nowMs);
  }

  isSuspected(peer: Id, nowMs: number, threshold = this.threshold): boolean {
    return this.phi(peer, nowMs) >= threshold;
  }

  /** Peers whose phi is at or above the threshold at nowMs. */
  suspects(nowMs: number, threshold = this.threshold): Id[] {
    const out: Id[] = [];
    for (const [peer, d] of this.detectors) if (d.phi(nowMs) >= threshold) out.push(peer);
    return out;
  }

  get(peer: Id): PhiAccrualDetector | undefined {
    return this.detectors.get(peer);
  }

  /** Forget a peer (it left the membership); a later heartbeat starts a fresh history. */
  remove(peer: Id): boolean {
    return this.detectors.delete(peer);
  }

  peers(): Id[] {
    return [...this.detectors.keys()];
  }
}
