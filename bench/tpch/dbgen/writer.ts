// Row output in dbgen's flat-file format: fields separated and ended by '|', rows by '\n'. Bytes go
// straight into a large buffer (no per-row strings); a full buffer is handed to `sink` and replaced.

const BAR = 0x7c;
const NL = 0x0a;
const DIGITS = 0x30;

export type Sink = (chunk: Buffer) => void;

export class RowWriter {
  private buf: Buffer;
  private pos = 0;
  bytesOut = 0;
  rows = 0;

  /**
   * `trailingBar` false drops the '|' that dbgen writes after a row's last field, as COPY wants
   * (dbgen's files keep it).
   */
  constructor(private readonly sink: Sink, private readonly size = 1 << 22, private readonly trailingBar = true) {
    this.buf = Buffer.allocUnsafe(size);
  }

  /** Makes room for a whole row (rows are far shorter than this) before it is written. */
  reserve(n = 4096): void {
    if (this.pos + n > this.size) this.flush();
  }

  flush(): void {
    if (this.pos === 0) return;
    const full = this.buf.subarray(0, this.pos);
    this.bytesOut += this.pos;
    this.buf = Buffer.allocUnsafe(this.size);
    this.pos = 0;
    this.sink(full);
  }

  int(n: number): void {
    const b = this.buf;
    if (n < 0) {
      b[this.pos++] = 0x2d;
      n = -n;
    }
    if (n < 10) {
      b[this.pos++] = DIGITS + n;
    } else if (n < 2147483648) {
      // 32-bit integer steps: cheaper than floating-point division.
      let digits = 1;
      for (let x = n; x >= 10; x = (x / 10) | 0) digits++;
      let p = this.pos + digits;
      this.pos = p;
      let v = n | 0;
      while (v >= 10) {
        const q = (v / 10) | 0;
        b[--p] = DIGITS + (v - q * 10);
        v = q;
      }
      b[--p] = DIGITS + v;
    } else {
      let digits = 1;
      for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
      let p = this.pos + digits;
      this.pos = p;
      while (n >= 10) {
        const q = Math.floor(n / 10);
        b[--p] = DIGITS + (n - q * 10);
        n = q;
      }
      b[--p] = DIGITS + n;
    }
    b[this.pos++] = BAR;
  }

  /** Zero-padded to `width` digits (names like Customer#000000001). */
  padded(n: number, width: number): void {
    const b = this.buf;
    let p = this.pos + width;
    this.pos = p;
    for (let i = 0; i < width; i++) {
      const q = Math.floor(n / 10);
      b[--p] = DIGITS + (n - q * 10);
      n = q;
    }
  }

  /** Cents as dollars with two decimals, a leading '-' when negative (dbgen's DT_MONEY). */
  money(cents: number): void {
    const b = this.buf;
    if (cents < 0) {
      b[this.pos++] = 0x2d;
      cents = -cents;
    }
    const dollars = Math.floor(cents / 100);
    const rest = cents - dollars * 100;
    this.int(dollars);
    this.pos--; // int() ended the field; the cents continue it
    b[this.pos++] = 0x2e;
    b[this.pos++] = DIGITS + Math.floor(rest / 10);
    b[this.pos++] = DIGITS + (rest % 10);
    b[this.pos++] = BAR;
  }

  /** Copies short constants byte by byte: cheaper than set() for a handful of bytes. */
  bytes(src: Uint8Array): void {
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < src.length; i++) b[p++] = src[i];
    this.pos = p;
  }

  field(src: Uint8Array): void {
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < src.length; i++) b[p++] = src[i];
    b[p++] = BAR;
    this.pos = p;
  }

  /** A slice of `src` (the text pool) as a field; short slices are copied by hand, cheaper than set(). */
  slice(src: Uint8Array, start: number, length: number): void {
    const b = this.buf;
    let p = this.pos;
    if (length < 48) {
      for (let i = 0; i < length; i++) b[p++] = src[start + i];
    } else {
      b.set(src.subarray(start, start + length), p);
      p += length;
    }
    b[p++] = BAR;
    this.pos = p;
  }

  char(c: number): void {
    this.buf[this.pos++] = c;
    this.buf[this.pos++] = BAR;
  }

  raw(c: number): void {
    this.buf[this.pos++] = c;
  }

  endRow(): void {
    if (!this.trailingBar) this.pos--;
    this.buf[this.pos++] = NL;
    this.rows++;
  }

  /** Where the next byte goes, for fields patched after writing (supplier's BBB comments). */
  get position(): number {
    return this.pos;
  }
  patch(at: number, src: Uint8Array): void {
    this.buf.set(src, at);
  }
}
