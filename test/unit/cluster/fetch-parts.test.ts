// Chunk fetches are cut into requests by count and by the bytes the markers name (fetch-parts.ts).
import { expect } from 'chai';
import { REQUESTS_IN_FLIGHT, REQUEST_BYTES, REQUEST_KEYS, inFlight, requestParts } from '../../../src/cluster/fetch-parts';

describe('cluster chunk fetches: requests', () => {
  const keys = (n: number) => Array.from({ length: n }, (_, i) => `k${i}`);

  it('cuts small chunks by count', () => {
    const parts = requestParts(keys(2 * REQUEST_KEYS + 3), () => 100);
    expect(parts.map((p) => p.length)).to.deep.equal([REQUEST_KEYS, REQUEST_KEYS, 3]);
    expect(parts.flat()).to.deep.equal(keys(2 * REQUEST_KEYS + 3));
  });

  it('cuts big chunks by bytes, and sends a chunk larger than a request alone', () => {
    const sizes: Record<string, number> = { k0: REQUEST_BYTES / 2, k1: REQUEST_BYTES / 2, k2: 1, k3: 2 * REQUEST_BYTES, k4: 10 };
    expect(requestParts(keys(5), (k) => sizes[k])).to.deep.equal([['k0', 'k1'], ['k2'], ['k3'], ['k4']]);
  });

  it('counts chunks of unknown length (markers of older stores) as nothing', () => {
    expect(requestParts(keys(REQUEST_KEYS + 1), () => null).map((p) => p.length)).to.deep.equal([REQUEST_KEYS, 1]);
    expect(requestParts([], () => 1)).to.deep.equal([]);
  });

  it('runs every part, never more than REQUESTS_IN_FLIGHT at once, and rejects with a failure', async () => {
    let running = 0;
    let most = 0;
    const done: number[] = [];
    await inFlight([1, 2, 3, 4, 5, 6, 7, 8, 9], async (p) => {
      most = Math.max(most, ++running);
      await new Promise((r) => setTimeout(r, 2));
      running--;
      done.push(p);
    });
    expect(done.sort((a, b) => a - b)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(most).to.equal(REQUESTS_IN_FLIGHT);
    let err: unknown = null;
    await inFlight([1, 2], async (p) => {
      if (p === 2) throw new Error('holder gone');
    }).catch((e) => (err = e));
    expect((err as Error).message).to.equal('holder gone');
  });
});
