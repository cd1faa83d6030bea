// NATION and REGION (clause 4.2.3): fixed names from the distributions, pseudo-text comments.
import { TextColumn, latin1 } from './common';
import { nations, regions } from './dists';
import { S, Streams, T } from './random';
import { RowWriter } from './writer';

const nationComment = new TextColumn(72, S.N_CMNT);
const regionComment = new TextColumn(72, S.R_CMNT);

export function generateNations(out: RowWriter, pool: Uint8Array): void {
  const rng = new Streams([T.NATION]);
  for (let key = 0; key < nations.words.length; key++) {
    out.reserve();
    out.int(key);
    out.field(nations.bytes[key]);
    out.int(nations.cumulative[key]); // the running weight is the region key
    nationComment.write(out, rng, pool);
    out.endRow();
    rng.endRow();
  }
}

export function generateRegions(out: RowWriter, pool: Uint8Array): void {
  const rng = new Streams([T.REGION]);
  for (let key = 0; key < regions.words.length; key++) {
    out.reserve();
    out.int(key);
    out.field(latin1(regions.words[key]));
    regionComment.write(out, rng, pool);
    out.endRow();
    rng.endRow();
  }
}
