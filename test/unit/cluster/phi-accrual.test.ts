// Phi-accrual failure detector: phi grows monotonically with silence and stays finite far out;
// regular heartbeats keep it low; with 100 ms heartbeats and small jitter threshold 8 is crossed
// 150-162 ms after the last heartbeat (normal tail: mean 100 + 5.612 x the 10 ms deviation floor);
// a jittery history delays suspicion; the bootstrap (expected first interval) works from the first
// heartbeat; the window slides; running sums do not drift; the per-peer map.
import { expect } from 'chai';
import { FailureDetectors, PhiAccrualDetector, normalTailPhi } from '../../../src/cluster/phi-accrual';

/** Deterministic small jitter in [-amp, amp]. */
function jitter(i: number, amp: number): number {
  return amp * Math.sin(i * 12.9898) * Math.cos(i * 78.233);
}

function feed(d: PhiAccrualDetector, n: number, interval: (i: number) => number, start = 0): number {
  let t = start;
  for (let i = 0; i < n; i++) {
    t += interval(i);
    d.heartbeat(t);
  }
  return t;
}

/** First whole millisecond of silence at which the detector suspects. */
function firstSuspectedMs(d: PhiAccrualDetector, last: number, threshold = 8): number {
  for (let s = 0; s < 1_000_000; s++) if (d.isSuspected(last + s, threshold)) return s;
  throw new Error('never suspected');
}

describe('phi-accrual failure detector', () => {
  it('normal tail: phi is log10(2) at the mean and 8 at 5.612 standard deviations past it', () => {
    expect(normalTailPhi(100, 100, 10)).to.be.closeTo(Math.log10(2), 1e-6);
    expect(normalTailPhi(100 + 5.612 * 10, 100, 10)).to.be.closeTo(8, 0.01);
    expect(normalTailPhi(100 + 3 * 10, 100, 10)).to.be.closeTo(2.8697, 0.001);
    expect(normalTailPhi(0, 100, 10)).to.be.lessThan(1e-6);
  });

  it('phi grows monotonically with silence and stays finite (no underflow to Infinity)', () => {
    const d = new PhiAccrualDetector();
    const last = feed(d, 50, (i) => 100 + jitter(i, 3));
    let prev = -1;
    for (let s = 0; s <= 5000; s++) {
      const phi = d.phi(last + s);
      expect(phi).to.be.at.least(prev);
      prev = phi;
    }
    expect(d.phi(last + 300)).to.be.greaterThan(d.phi(last + 150));
    const far = d.phi(last + 100_000); // ~10 000 standard deviations: exp() alone would underflow
    expect(Number.isFinite(far)).to.equal(true);
    expect(far).to.be.greaterThan(1e6);
    expect(d.phi(last + 200_000)).to.be.greaterThan(far);
  });

  it('regular heartbeats keep phi low: just before each of 10 000 heartbeats phi < 1', () => {
    const d = new PhiAccrualDetector();
    let t = 0;
    d.heartbeat(t);
    let maxPhi = 0;
    for (let i = 0; i < 10_000; i++) {
      t += 100 + jitter(i, 5);
      maxPhi = Math.max(maxPhi, d.phi(t - 1e-6));
      expect(d.isSuspected(t - 1e-6)).to.equal(false);
      d.heartbeat(t);
    }
    expect(maxPhi).to.be.lessThan(1);
  });

  it('100 ms heartbeats with +-2 ms jitter: threshold 8 is crossed 150-162 ms after the last one', () => {
    const d = new PhiAccrualDetector();
    const last = feed(d, 500, (i) => 100 + jitter(i, 2));
    // sd is the 10 ms floor (the window's own is ~3 ms): 100 + 5.612 * 10 = 156.1 ms.
    const s = firstSuspectedMs(d, last);
    expect(s).to.be.within(150, 162);
    expect(d.isSuspected(last + 149)).to.equal(false);
    expect(d.silenceToReach(8)).to.be.closeTo(s, 1);
    // higher thresholds wait longer: threshold 12 at 100 + 6.94 * 10 = 169.4 ms
    expect(firstSuspectedMs(d, last, 12)).to.be.within(165, 175);
  });

  it('a jittery history delays suspicion compared with a steady one', () => {
    const steady = new PhiAccrualDetector();
    const jittery = new PhiAccrualDetector();
    const lastSteady = feed(steady, 500, () => 100);
    const lastJittery = feed(jittery, 500, (i) => (i % 2 === 0 ? 50 : 150)); // same mean, sd 50
    const sSteady = firstSuspectedMs(steady, lastSteady);
    const sJittery = firstSuspectedMs(jittery, lastJittery);
    expect(sSteady).to.be.within(150, 162);
    expect(sJittery).to.be.within(360, 400); // 100 + 5.612 * ~50
    expect(jittery.phi(lastJittery + 200)).to.be.lessThan(steady.phi(lastSteady + 200));
  });

  it('an acceptable pause shifts suspicion by that much', () => {
    const d = new PhiAccrualDetector({ acceptablePauseMs: 500 });
    const last = feed(d, 500, () => 100);
    expect(firstSuspectedMs(d, last)).to.be.within(650, 662);
  });

  it('bootstrap: nothing suspected before the first heartbeat; after it, the expected interval is used', () => {
    const d = new PhiAccrualDetector({ firstIntervalMs: 100 });
    expect(d.phi(1e9)).to.equal(0);
    expect(d.isSuspected(1e9)).to.equal(false);
    d.heartbeat(1000);
    expect(d.sampleCount).to.equal(2); // seeded with 75 and 125 ms
    expect(d.meanIntervalMs).to.equal(100);
    expect(d.stdDevMs).to.equal(25);
    expect(d.phi(1100)).to.be.closeTo(Math.log10(2), 1e-6);
    expect(firstSuspectedMs(d, 1000)).to.be.within(235, 245); // 100 + 5.612 * 25
    const fd = new FailureDetectors<string>({ firstIntervalMs: 1000 });
    fd.heartbeat('a', 0);
    expect(fd.isSuspected('a', 2000)).to.equal(false); // 1 s expected: 2 s of silence is 4 sd
    expect(fd.isSuspected('a', 2500)).to.equal(true);
  });

  it('the window slides: old intervals (and the bootstrap seeds) are forgotten', () => {
    const d = new PhiAccrualDetector({ windowSize: 10, minStdDevMs: 1, minStdDevRatio: 0.01 });
    let last = feed(d, 20, () => 100);
    expect(d.sampleCount).to.equal(10);
    expect(d.meanIntervalMs).to.equal(100);
    expect(d.isSuspected(last + 250)).to.equal(true);
    last = feed(d, 5, () => 300, last);
    expect(d.meanIntervalMs).to.equal(200); // half 100s, half 300s
    last = feed(d, 5, () => 300, last);
    expect(d.sampleCount).to.equal(10);
    expect(d.meanIntervalMs).to.equal(300);
    expect(d.stdDevMs).to.equal(3); // window sd 0, floor 0.01 * 300
    expect(d.isSuspected(last + 250)).to.equal(false);
  });

  it('running sums do not drift over many window turns', () => {
    const d = new PhiAccrualDetector({ windowSize: 1000 });
    const intervals: number[] = [];
    feed(d, 100_000, (i) => {
      const v = 100 + jitter(i, 7) + (i % 997 === 0 ? 400 : 0);
      intervals.push(v);
      return v;
    });
    const tail = intervals.slice(-1000);
    const mean = tail.reduce((a, b) => a + b, 0) / 1000;
    const sd = Math.sqrt(tail.reduce((a, b) => a + (b - mean) * (b - mean), 0) / 1000);
    expect(d.meanIntervalMs).to.be.closeTo(mean, 1e-9);
    expect(d.stdDevMs).to.be.closeTo(Math.max(sd, 10), 1e-6);
  });

  it('FailureDetectors: per-peer histories, suspects, unknown and removed peers', () => {
    const fd = new FailureDetectors<number>();
    let t = 0;
    for (let i = 0; i < 100; i++) {
      t += 100;
      fd.heartbeat(1, t);
      if (i < 50) fd.heartbeat(2, t); // peer 2 goes silent at t = 5000
    }
    expect(fd.phi(3, t)).to.equal(0);
    expect(fd.isSuspected(1, t + 50)).to.equal(false);
    expect(fd.isSuspected(2, t)).to.equal(true);
    expect(fd.suspects(t + 50)).to.deep.equal([2]);
    expect(fd.peers().sort()).to.deep.equal([1, 2]);
    expect(fd.remove(2)).to.equal(true);
    expect(fd.suspects(t + 50)).to.deep.equal([]);
    expect(fd.get(1)!.sampleCount).to.equal(101);
  });
});
