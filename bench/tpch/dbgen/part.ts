// PART and its four PARTSUPP rows (clause 4.2.3), generated together as dbgen does: both tables'
// streams advance per part.
import { TextColumn, latin1, partSupplier, retailPrice } from './common';
import { colors, containers, partTypes } from './dists';
import { S, Streams, T } from './random';
import { Scale } from './scale';
import { RowWriter } from './writer';

const MFGR = latin1('Manufacturer#');
const BRAND = latin1('Brand#');
const partComment = new TextColumn(14, S.P_CMNT);
const supplyComment = new TextColumn(124, S.PS_CMNT);

export function generateParts(part: RowWriter, partsupp: RowWriter, pool: Uint8Array, scale: Scale, first: number, count: number): void {
  const rng = new Streams([T.PART, T.PSUPP], first);
  const order = new Int32Array(colors.words.length);
  const n = order.length;
  for (let key = first; key < first + count; key++) {
    part.reserve();
    part.int(key);
    // Name: the first five colors of a fresh random permutation (dbgen's agg_str/permute_dist).
    for (let i = 0; i < n; i++) order[i] = i;
    for (let i = 0; i < n; i++) {
      const j = rng.int(i, n - 1, S.P_NAME);
      const t = order[j];
      order[j] = order[i];
      order[i] = t;
    }
    for (let i = 0; i < 5; i++) {
      if (i > 0) part.raw(0x20);
      part.bytes(colors.bytes[order[i]]);
    }
    part.raw(0x7c);
    const mfgr = rng.int(1, 5, S.P_MFG);
    part.bytes(MFGR);
    part.int(mfgr);
    const brand = rng.int(1, 5, S.P_BRND);
    part.bytes(BRAND);
    part.int(mfgr * 10 + brand);
    part.field(partTypes.bytes[partTypes.pick(rng, S.P_TYPE)]);
    part.int(rng.int(1, 50, S.P_SIZE));
    part.field(containers.bytes[containers.pick(rng, S.P_CNTR)]);
    part.money(retailPrice(key));
    partComment.write(part, rng, pool);
    part.endRow();

    partsupp.reserve();
    for (let supply = 0; supply < 4; supply++) {
      partsupp.int(key);
      partsupp.int(partSupplier(key, supply, scale.supplier));
      partsupp.int(rng.int(1, 9999, S.PS_QTY));
      partsupp.money(rng.int(100, 100000, S.PS_SCST));
      supplyComment.write(partsupp, rng, pool);
      partsupp.endRow();
    }
    rng.endRow();
  }
}
