// A committed column of a row group that commits keep appending to (a table's last group), with
// room for more rows in shared memory (the store makes a bigger one when it is full). A group commit writes its new rows after
// the committed ones and publishes a longer view of the same memory; the shorter views older
// snapshots hold never see the new rows (each view has its own length), so nothing is copied:
// without it every group commit concatenated the whole group again (and copied it into shared
// memory for the buffer pool). Only the serialized commit path appends.
import { Vector } from '../types/vector';

type Growable = Extract<Vector, { kind: 'bool' | 'int32' | 'int64' | 'float64' | 'timestamp' | 'string' }>;

function sharedLike<T extends Uint8Array | Int32Array | Float64Array>(a: T, capacity: number): T {
  const Ctor = a.constructor as { new (buffer: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number };
  return new Ctor(new SharedArrayBuffer(capacity * Ctor.BYTES_PER_ELEMENT));
}

export class GrowableColumn {
  private nulls: Uint8Array | null = null;
  private constructor(
    private readonly proto: Growable,
    /** values, or codes for strings; `capacity` long. */
    private readonly data: Uint8Array | Int32Array | Float64Array,
    private readonly capacity: number,
    /** A string column's dictionary (shared by every view: it only grows) and its index. */
    private readonly dict: string[] | null,
    private readonly dictIndex: Map<string, number> | null,
    public length: number,
  ) {}

  /** A growable copy of `v` with room for `capacity` rows; null for kinds it does not handle. */
  static from(v: Vector, capacity: number): GrowableColumn | null {
    if (v.length > capacity) return null;
    let col: GrowableColumn;
    if (v.kind === 'string') {
      const dict = v.dict.slice();
      const index = new Map<string, number>();
      for (let i = dict.length - 1; i >= 0; i--) index.set(dict[i], i);
      const codes = sharedLike(v.codes, capacity);
      codes.set(v.codes.subarray(0, v.length));
      col = new GrowableColumn(v, codes, capacity, dict, index, v.length);
    } else if (v.kind === 'bool' || v.kind === 'int32' || v.kind === 'int64' || v.kind === 'float64' || v.kind === 'timestamp') {
      const data = sharedLike(v.values, capacity);
      data.set(v.values.subarray(0, v.length) as never);
      col = new GrowableColumn(v, data, capacity, null, null, v.length);
    } else return null;
    if (v.nulls !== null) col.setNulls(v.nulls, 0, v.length);
    return col;
  }

  private setNulls(from: Uint8Array, at: number, n: number): void {
    let any = false;
    for (let i = 0; i < n && !any; i++) any = from[i] === 1;
    if (!any) return;
    if (this.nulls === null) this.nulls = sharedLike(from, this.capacity);
    this.nulls.set(from.subarray(0, n), at);
  }

  /** Appends `v`'s rows and returns the view of all rows; null when `v` does not fit. */
  append(v: Vector): Vector | null {
    const n = v.length;
    const at = this.length;
    if (at + n > this.capacity || v.kind !== this.proto.kind) return null;
    if (v.kind === 'string') {
      const codes = this.data as Int32Array;
      const dict = this.dict!;
      const index = this.dictIndex!;
      for (let i = 0; i < n; i++) {
        if (v.nulls !== null && v.nulls[i] === 1) {
          codes[at + i] = 0;
          continue;
        }
        const s = v.dict[v.codes[i]];
        let code = index.get(s);
        if (code === undefined) {
          code = dict.length;
          dict.push(s);
          index.set(s, code);
        }
        codes[at + i] = code;
      }
    } else (this.data as Float64Array).set((v as { values: Float64Array }).values.subarray(0, n), at);
    if (v.nulls !== null) this.setNulls(v.nulls, at, n);
    this.length = at + n;
    return this.view(this.length);
  }

  /** The first `n` rows, as a vector of their own length over the shared memory. */
  view(n: number): Vector {
    const nulls = this.nulls === null ? null : this.nulls.subarray(0, n);
    if (this.proto.kind === 'string') return { ...this.proto, length: n, nulls, codes: (this.data as Int32Array).subarray(0, n), dict: this.dict! };
    return { ...this.proto, length: n, nulls, values: this.data.subarray(0, n) } as Vector;
  }
}
