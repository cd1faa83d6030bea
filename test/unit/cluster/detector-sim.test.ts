// The detector simulation (bench/cluster/detector-sim.ts) on short runs: without stalls a live node
// is never suspected and a dead one is suspected 100-160 ms after its death at threshold 8 (the
// 10 ms deviation floor: 100 + 56 ms after the last heartbeat, minus up to one interval); stalls of
// 50-500 ms cause false suspicions at acceptable pause 0 and none at 500; same seed, same numbers.
import { expect } from 'chai';
import { parseArgs, simulate } from '../../../bench/cluster/detector-sim';

describe('phi-accrual detector simulation', () => {
  it('no stalls: no false suspicions; death suspected 100-160 ms later at threshold 8', () => {
    const r = simulate(parseArgs(['--hours', '1', '--pause-rate', '0', '--thresholds', '8', '--acceptable-pauses', '0']));
    expect(r.heartbeats).to.be.within(35_900, 36_000);
    expect(r.pauses).to.equal(0);
    const c = r.results[0];
    expect(c.falseSuspicions[0]).to.equal(0);
    const d = c.fromDeath[0];
    expect(d.length).to.be.greaterThan(300);
    expect(d[0]).to.be.at.least(50);
    expect(d[d.length - 1]).to.be.at.most(162);
    const l = c.fromLast[0];
    expect(l[0]).to.be.within(150, 162);
  });

  it('stalls: false suspicions without an acceptable pause, none with 500 ms; deterministic per seed', () => {
    const args = ['--hours', '2', '--pause-rate', '2', '--thresholds', '8', '--acceptable-pauses', '0,500'];
    const a = simulate(parseArgs(args));
    const b = simulate(parseArgs(args));
    expect(a.pauses).to.be.within(150, 330); // Poisson, mean 240
    expect(a.results[0].falseSuspicions[0]).to.be.greaterThan(a.pauses / 3);
    expect(a.results[1].falseSuspicions[0]).to.equal(0);
    expect(b.results[0].falseSuspicions[0]).to.equal(a.results[0].falseSuspicions[0]);
    expect(Array.from(b.results[1].fromDeath[0])).to.deep.equal(Array.from(a.results[1].fromDeath[0]));
  });
});
