// CUSTOMER (clause 4.2.3).
import { TextColumn, alphaNumeric, latin1, phone } from './common';
import { segments } from './dists';
import { S, Streams, T } from './random';
import { Scale } from './scale';
import { RowWriter } from './writer';

const NAME = latin1('Customer#');
const comment = new TextColumn(73, S.C_CMNT);

export function generateCustomers(out: RowWriter, pool: Uint8Array, _scale: Scale, first: number, count: number): void {
  const rng = new Streams([T.CUST], first);
  for (let key = first; key < first + count; key++) {
    out.reserve();
    out.int(key);
    out.bytes(NAME);
    out.padded(key, 9);
    out.raw(0x7c);
    alphaNumeric(out, rng, 25, S.C_ADDR);
    const nation = rng.int(0, 24, S.C_NTRG);
    out.int(nation);
    phone(out, rng, nation, S.C_PHNE);
    out.money(rng.int(-99999, 999999, S.C_ABAL));
    out.field(segments.bytes[segments.pick(rng, S.C_MSEG)]);
    comment.write(out, rng, pool);
    out.endRow();
    rng.endRow();
  }
}
