// SUPPLIER (clause 4.2.3). A few comments (10 per SF in 10,000) carry "Customer ...Complaints" or
// "Customer ...Recommends" written over the text at random places, for Q16.
import { PartyStreams, TextColumn, latin1, party } from './common';
import { S, Streams, T } from './random';
import { Scale } from './scale';
import { RowWriter } from './writer';

const NAME = latin1('Supplier#');
const STREAMS: PartyStreams = { address: S.S_ADDR, nation: S.S_NTRG, phone: S.S_PHNE, balance: S.S_ABAL };
const CUSTOMER = latin1('Customer ');
const COMPLAINTS = latin1('Complaints');
const RECOMMENDS = latin1('Recommends');
const comment = new TextColumn(63, S.S_CMNT);

export function generateSuppliers(out: RowWriter, pool: Uint8Array, _scale: Scale, first: number, count: number): void {
  const rng = new Streams([T.SUPP], first);
  for (let key = first; key < first + count; key++) {
    out.reserve();
    party(out, rng, key, NAME, STREAMS);
    const at = out.position;
    const length = comment.write(out, rng, pool);
    const badPress = rng.int(1, 10000, S.BBB_CMNT);
    const type = rng.int(0, 100, S.BBB_TYPE);
    const noise = rng.int(0, length - 19, S.BBB_JNK);
    const offset = rng.int(0, length - (19 + noise), S.BBB_OFFSET);
    if (badPress <= 10) {
      out.patch(at + offset, CUSTOMER);
      out.patch(at + offset + CUSTOMER.length + noise, type < 50 ? COMPLAINTS : RECOMMENDS);
    }
    out.endRow();
    rng.endRow();
  }
}
