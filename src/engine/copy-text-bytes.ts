// COPY FROM's text format parsed from bytes: lines and fields are found by scanning the UTF-8 bytes
// (the delimiter and newline are ASCII, so they never occur inside a multi-byte character) and each
// field goes to its column's VectorBuilder as a byte range (appendBytes), so numbers and dates are
// parsed without a string per field. Fields with backslash escapes take the string path.
// Rows and errors are those of CopyRowSplitter's text format, which stays the reference (and serves
// CSV and non-ASCII delimiters).
import { isAscii } from 'buffer';
import { SqlError, SqlState } from '../types/sql-error';
import { VectorBuilder, sameBytes } from '../types/vector-builder';
import { CopyOptions } from '../sql/bound-statement';
import { unescapeCopyField } from './copy-text';

/** Whether the byte parser handles these options (text format, one-byte ASCII delimiter). */
export function copyBytesSupported(options: CopyOptions): boolean {
  return options.format === 'text' && options.delimiter.length === 1 && options.delimiter.charCodeAt(0) < 128 && options.delimiter !== '\\';
}

export interface CopyRowTarget {
  /** The builders of the listed columns, in COPY column order. */
  builders: VectorBuilder[];
  /** Names of those columns, for "missing data for column" errors. */
  columnNames: string[];
  tableName: string;
  /** Called after each complete row. */
  rowDone(): void;
}

export class CopyTextBytes {
  private tail: Buffer | null = null;
  private ended = false;
  private headerSkipped: boolean;
  lineNumber = 0;
  private readonly delim: number;
  private readonly nullBytes: Buffer;
  /** Field bounds of the current line: start, end, and 1 when the field holds a backslash. */
  private starts = new Int32Array(64);
  private ends = new Int32Array(64);
  private escaped = new Uint8Array(64);

  constructor(
    private readonly options: CopyOptions,
    private readonly target: CopyRowTarget,
  ) {
    this.headerSkipped = !options.header;
    this.delim = options.delimiter.charCodeAt(0);
    this.nullBytes = Buffer.from(options.null, 'utf8');
  }

  /** Parses the chunk's complete lines where they lie; only a line split across chunks is copied. */
  push(chunk: Buffer): void {
    if (this.ended) return;
    this.backslashIn = null;
    let from = 0;
    if (this.tail !== null) {
      const nl = chunk.indexOf(10);
      if (nl === -1) {
        this.tail = Buffer.concat([this.tail, chunk]);
        return;
      }
      const line = Buffer.concat([this.tail, chunk.subarray(0, nl + 1)]);
      this.tail = null;
      this.lines(line, 0, false);
      if (this.ended) return;
      from = nl + 1;
    }
    const rest = this.lines(chunk, from, false);
    // A copy: the chunk's memory may be reused by the reader once this returns.
    if (rest < chunk.length) this.tail = Buffer.from(chunk.subarray(rest));
  }

  finish(): void {
    this.backslashIn = null;
    if (this.ended || this.tail === null) return;
    const buf = this.tail;
    this.tail = null;
    this.lines(buf, 0, true);
  }

  /** Parses the complete lines of buf from `pos` (and a last unterminated one when final); returns where the rest starts. */
  private lines(buf: Buffer, pos: number, final: boolean): number {
    // One native check of the whole buffer spares the string builders a per-byte ASCII test.
    this.ascii = isAscii(buf);
    // The buffer's aligned 4-byte words, for the delimiter search (line).
    const skip = (4 - (buf.byteOffset & 3)) & 3;
    this.wordBase = Math.min(skip, buf.length);
    this.words = new Int32Array(buf.buffer as ArrayBuffer, buf.byteOffset + this.wordBase, (buf.length - this.wordBase) >> 2);
    while (pos < buf.length) {
      let nl = buf.indexOf(10, pos);
      if (nl === -1) {
        if (!final) return pos;
        nl = buf.length;
      }
      let end = nl;
      if (end > pos && buf[end - 1] === 13) end--;
      const start = pos;
      pos = nl + 1;
      this.lineNumber++;
      if (end - start === 2 && buf[start] === 92 && buf[start + 1] === 46) {
        this.ended = true;
        return buf.length;
      }
      if (!this.headerSkipped) {
        this.headerSkipped = true;
        continue;
      }
      this.line(buf, start, end);
    }
    return buf.length;
  }

  /** The buffer being parsed holds only ASCII bytes. */
  private ascii = false;
  /** The buffer being parsed as 4-byte words from byte wordBase on (the first aligned one). */
  private words = new Int32Array(0);
  private wordBase = 0;
  /** The buffer backslashAt refers to (null: not looked up since the last push). */
  private backslashIn: Buffer | null = null;
  /** The first backslash in backslashIn at or after the line being parsed (its length when none). */
  private backslashAt = 0;

  private line(buf: Buffer, start: number, end: number): void {
    const delim = this.delim;
    const columns = this.target.builders.length;
    let starts = this.starts;
    let ends = this.ends;
    let escaped = this.escaped;
    let count = 0;
    let fieldStart = start;
    let esc = 0;
    // One native search finds the next backslash for many lines; lines before it scan for delimiters only.
    if (this.backslashIn !== buf || this.backslashAt < start) {
      const at = buf.indexOf(92, start);
      this.backslashAt = at < 0 ? buf.length : at;
      this.backslashIn = buf;
    }
    if (this.backslashAt >= end) {
      count = this.delimiters(buf, start, end);
      ({ starts, ends, escaped } = this);
      for (let k = 0; k < count; k++) {
        starts[k] = fieldStart;
        escaped[k] = 0;
        fieldStart = ends[k] + 1;
      }
    } else for (let i = start; i < end; i++) {
      const c = buf[i];
      if (c === delim) {
        if (count === starts.length) {
          this.growFields();
          ({ starts, ends, escaped } = this);
        }
        starts[count] = fieldStart;
        ends[count] = i;
        escaped[count++] = esc;
        fieldStart = i + 1;
        esc = 0;
      } else if (c === 92) {
        esc = 1;
        i++; // the escaped byte is never a delimiter
      }
    }
    if (count === starts.length) {
      this.growFields();
      ({ starts, ends, escaped } = this);
    }
    starts[count] = fieldStart;
    ends[count] = end;
    escaped[count++] = esc;
    if (count > columns) throw new SqlError(SqlState.badCopyFileFormat, `extra data after last expected column`, { detail: `COPY ${this.target.tableName}, line ${this.lineNumber}` });
    if (count < columns)
      throw new SqlError(SqlState.badCopyFileFormat, `missing data for column "${this.target.columnNames[count]}"`, { detail: `COPY ${this.target.tableName}, line ${this.lineNumber}` });
    const builders = this.target.builders;
    const nullBytes = this.nullBytes;
    const nullLength = nullBytes.length;
    for (let k = 0; k < count; k++) {
      const s = starts[k];
      const e = ends[k];
      const b = builders[k];
      if (e - s === nullLength && sameBytes(nullBytes, buf, s, e)) b.appendNull();
      else if (escaped[k] === 0) b.appendBytes(buf, s, e, this.ascii);
      else b.appendText(unescapeCopyField(buf.toString('utf8', s, e), this.options.delimiter));
    }
    this.target.rowDone();
  }

  /**
   * Records in `ends` where the delimiter occurs in buf[start, end) (a line without backslashes);
   * returns how often. Four bytes at a time: a word without the delimiter is skipped whole (the bit
   * trick flags a word holding a zero byte after XOR with the delimiter repeated; it never misses
   * one, and a flagged word is checked byte by byte). Text fields make most of the bytes.
   */
  private delimiters(buf: Buffer, start: number, end: number): number {
    const delim = this.delim;
    const words = this.words;
    const base = this.wordBase;
    const pattern = delim * 0x01010101;
    let ends = this.ends;
    let count = 0;
    let i = start;
    for (; i < end && ((i - base) & 3) !== 0; i++) {
      if (buf[i] !== delim) continue;
      if (count === ends.length) ends = this.growFields();
      ends[count++] = i;
    }
    for (; i + 4 <= end; i += 4) {
      const x = words[(i - base) >> 2] ^ pattern;
      if (((x - 0x01010101) & ~x & 0x80808080) === 0) continue;
      for (let j = i; j < i + 4; j++) {
        if (buf[j] !== delim) continue;
        if (count === ends.length) ends = this.growFields();
        ends[count++] = j;
      }
    }
    for (; i < end; i++) {
      if (buf[i] !== delim) continue;
      if (count === ends.length) ends = this.growFields();
      ends[count++] = i;
    }
    return count;
  }

  private growFields(): Int32Array<ArrayBuffer> {
    const n = this.starts.length * 2;
    const starts = new Int32Array(n);
    const ends = new Int32Array(n);
    const escaped = new Uint8Array(n);
    starts.set(this.starts);
    ends.set(this.ends);
    escaped.set(this.escaped);
    this.starts = starts;
    this.ends = ends;
    this.escaped = escaped;
    return ends;
  }
}
