// Training samples: a subplan's features, its classic estimate and the rows it really produced.
// Kept in a ring of fixed-size blocks (oldest overwritten past MAX_BLOCKS) so persisting after a
// query rewrites only the blocks that changed, not the whole store.
import { FEATURE_COUNT } from './featurize';

export const BLOCK_SAMPLES = 256;
export const MAX_BLOCKS = 48;
/** Doubles per sample: features, classic rows, true rows. */
const STRIDE = FEATURE_COUNT + 2;

export class SampleStore {
  private readonly blocks: Float64Array[] = [];
  private readonly fill: number[] = [];
  /** Total samples ever added (the ring position). */
  private added = 0;
  private readonly dirty = new Set<number>();

  get size(): number {
    return Math.min(this.added, BLOCK_SAMPLES * MAX_BLOCKS);
  }

  get total(): number {
    return this.added;
  }

  add(features: Float64Array, classicRows: number, trueRows: number): void {
    const block = Math.floor(this.added / BLOCK_SAMPLES) % MAX_BLOCKS;
    const slot = this.added % BLOCK_SAMPLES;
    if (this.blocks[block] === undefined) this.blocks[block] = new Float64Array(BLOCK_SAMPLES * STRIDE);
    if (slot === 0) this.fill[block] = 0;
    const b = this.blocks[block];
    b.set(features, slot * STRIDE);
    b[slot * STRIDE + FEATURE_COUNT] = classicRows;
    b[slot * STRIDE + FEATURE_COUNT + 1] = trueRows;
    this.fill[block] = slot + 1;
    this.added++;
    this.dirty.add(block);
  }

  /** Every sample as training arrays: x (features), classic and true rows. */
  dataset(): { x: Float64Array; classic: Float64Array; actual: Float64Array } {
    const n = this.size;
    const x = new Float64Array(n * FEATURE_COUNT);
    const classic = new Float64Array(n);
    const actual = new Float64Array(n);
    let r = 0;
    for (let b = 0; b < this.blocks.length; b++) {
      const block = this.blocks[b];
      if (block === undefined) continue;
      for (let s = 0; s < (this.fill[b] ?? 0); s++, r++) {
        x.set(block.subarray(s * STRIDE, s * STRIDE + FEATURE_COUNT), r * FEATURE_COUNT);
        classic[r] = block[s * STRIDE + FEATURE_COUNT];
        actual[r] = block[s * STRIDE + FEATURE_COUNT + 1];
      }
    }
    return { x, classic, actual };
  }

  /** The changed blocks as key suffix → bytes, and the header; clears the dirty marks. */
  takeDirty(): { blocks: [number, Buffer][]; header: Buffer } {
    const blocks: [number, Buffer][] = [];
    for (const b of this.dirty) {
      const used = this.fill[b] ?? 0;
      blocks.push([b, Buffer.from(this.blocks[b].buffer, 0, used * STRIDE * 8)]);
    }
    this.dirty.clear();
    return { blocks, header: Buffer.from(JSON.stringify({ added: this.added, stride: STRIDE })) };
  }

  /** Restores from a header and a block reader; samples of another feature layout are dropped. */
  static restore(header: Buffer | undefined, block: (i: number) => Buffer | undefined): SampleStore {
    const store = new SampleStore();
    if (header === undefined) return store;
    const h = JSON.parse(header.toString()) as { added: number; stride: number };
    if (h.stride !== STRIDE) return store;
    for (let b = 0; b < MAX_BLOCKS; b++) {
      const bytes = block(b);
      if (bytes === undefined) continue;
      const arr = new Float64Array(BLOCK_SAMPLES * STRIDE);
      const copy = new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
      arr.set(copy);
      store.blocks[b] = arr;
      store.fill[b] = copy.length / STRIDE;
    }
    store.added = h.added;
    return store;
  }
}
