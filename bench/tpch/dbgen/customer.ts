// CUSTOMER (clause 4.2.3).
import { PartyStreams, TextColumn, latin1, party } from './common';
import { segments } from './dists';
import { S, Streams, T } from './random';
import { Scale } from './scale';
import { RowWriter } from './writer';

const NAME = latin1('Customer#');
const STREAMS: PartyStreams = { address: S.C_ADDR, nation: S.C_NTRG, phone: S.C_PHNE, balance: S.C_ABAL };
const comment = new TextColumn(73, S.C_CMNT);

export function generateCustomers(out: RowWriter, pool: Uint8Array, _scale: Scale, first: number, count: number): void {
  const rng = new Streams([T.CUST], first);
  for (let key = first; key < first + count; key++) {
    out.reserve();
    party(out, rng, key, NAME, STREAMS);
    out.field(segments.bytes[segments.pick(rng, S.C_MSEG)]);
    comment.write(out, rng, pool);
    out.endRow();
    rng.endRow();
  }
}
