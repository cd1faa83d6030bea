// Builds backend messages into one growing buffer, handed to the socket in large writes (one
// write per batch of messages, never one per message).
import { Field, Notice } from '../engine/session-api';
import { SqlError } from '../types/sql-error';
import { Backend, ErrorField } from './protocol-codes';
import { grownBuffer } from '../types/grow-buffer';

const INITIAL_CAPACITY = 64 * 1024;
/** Below this size take() copies out and keeps the buffer; above, it hands the buffer over. */
const COPY_OUT_BELOW = 16 * 1024;

export class MessageWriter {
  private buf = Buffer.allocUnsafe(INITIAL_CAPACITY);
  private pos = 0;
  /** Where the length word of the open message sits. */
  private start = -1;

  private ensure(n: number): void {
    this.buf = grownBuffer(this.buf, this.pos, n);
  }

  /** Bytes written and not yet taken. */
  get size(): number {
    return this.pos;
  }

  /** Opens a message; its length is filled in by end(). */
  begin(type: number): this {
    this.ensure(5);
    this.buf[this.pos] = type;
    this.start = this.pos + 1;
    this.pos += 5;
    return this;
  }
  end(): this {
    this.buf.writeInt32BE(this.pos - this.start, this.start);
    this.start = -1;
    return this;
  }
  int8(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v;
    return this;
  }
  int16(v: number): this {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }
  int32(v: number): this {
    this.ensure(4);
    this.buf.writeInt32BE(v | 0, this.pos);
    this.pos += 4;
    return this;
  }
  cstring(s: string): this {
    // Worst case 3 bytes per UTF-16 unit: reserve, write, then advance by what was written.
    this.ensure(s.length * 3 + 1);
    const ascii = this.shortAscii(s, this.pos);
    this.pos += ascii >= 0 ? ascii : this.buf.write(s, this.pos);
    this.buf[this.pos++] = 0;
    return this;
  }
  /**
   * Most strings sent are short ASCII (command tags, numbers, dates, codes): copying char codes
   * beats a native Buffer.write call. Writes s at `at` and returns its length when it is such a
   * string; else -1 (the bytes written are garbage to be overwritten by the UTF-8 encoder).
   * The caller has reserved room.
   */
  private shortAscii(s: string, at: number): number {
    const n = s.length;
    if (n > 64) return -1;
    const buf = this.buf;
    for (let i = 0; i < n; i++) {
      const ch = s.charCodeAt(i);
      if (ch >= 0x80) return -1;
      buf[at + i] = ch;
    }
    return n;
  }
  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }
  /** A DataRow text cell: int32 length + UTF-8 bytes, or length -1 for NULL. */
  cell(s: string | null): this {
    if (s === null) return this.int32(-1);
    this.ensure(s.length * 3 + 4);
    const buf = this.buf;
    const start = this.pos + 4;
    const ascii = this.shortAscii(s, start);
    const bytes = ascii >= 0 ? ascii : buf.write(s, start);
    buf.writeInt32BE(bytes, this.pos);
    this.pos = start + bytes;
    return this;
  }

  /** Takes what was written so far and resets. */
  take(): Buffer {
    if (this.pos < COPY_OUT_BELOW) {
      // From Node's shared pool (small sizes), filled by one native copy.
      const out = Buffer.allocUnsafe(this.pos);
      this.buf.copy(out, 0, 0, this.pos);
      this.pos = 0;
      return out;
    }
    // Big output: hand the buffer itself to the socket (no copy) and start a fresh one.
    const out = this.buf.subarray(0, this.pos);
    this.buf = Buffer.allocUnsafe(Math.min(this.buf.length, 4 * 1024 * 1024));
    this.pos = 0;
    return out;
  }

  // ---- common messages ----

  readyForQuery(status: string): this {
    return this.begin(Backend.readyForQuery).int8(status.charCodeAt(0)).end();
  }
  parameterStatus(name: string, value: string): this {
    return this.begin(Backend.parameterStatus).cstring(name).cstring(value).end();
  }
  commandComplete(tag: string): this {
    return this.begin(Backend.commandComplete).cstring(tag).end();
  }
  /** A message with no body (ParseComplete, NoData, PortalSuspended, …). */
  empty(type: number): this {
    return this.begin(type).end();
  }

  /** RowDescription; formats as in Bind (none = all text, one = all alike, else per column). */
  rowDescription(fields: Field[], formats: readonly number[]): this {
    this.begin(Backend.rowDescription).int16(fields.length);
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i];
      this.cstring(f.name).int32(f.tableOid).int16(f.columnAttr).int32(f.type.oid).int16(f.type.typlen).int32(f.type.typmod).int16(formatOf(formats, i));
    }
    return this.end();
  }

  /** ErrorResponse, with the fields PostgreSQL sends in its order (S V C M D H P s t c n). */
  error(e: SqlError): this {
    this.begin(Backend.errorResponse);
    this.field(ErrorField.severity, e.severity).field(ErrorField.severityV, e.severity);
    this.field(ErrorField.code, e.code).field(ErrorField.message, e.message);
    if (e.detail !== undefined) this.field(ErrorField.detail, e.detail);
    if (e.hint !== undefined) this.field(ErrorField.hint, e.hint);
    if (e.position !== undefined) this.field(ErrorField.position, String(e.position));
    if (e.schema !== undefined) this.field(ErrorField.schema, e.schema);
    if (e.table !== undefined) this.field(ErrorField.table, e.table);
    if (e.column !== undefined) this.field(ErrorField.column, e.column);
    if (e.constraint !== undefined) this.field(ErrorField.constraint, e.constraint);
    return this.int8(0).end();
  }

  notice(n: Notice): this {
    this.begin(Backend.noticeResponse);
    this.field(ErrorField.severity, n.severity).field(ErrorField.severityV, n.severity);
    this.field(ErrorField.code, n.code).field(ErrorField.message, n.message);
    if (n.detail !== undefined) this.field(ErrorField.detail, n.detail);
    return this.int8(0).end();
  }

  private field(tag: number, value: string): this {
    return this.int8(tag).cstring(value);
  }
}

/** The format code of column i given Bind's list: empty = text, one code = all columns, else per column. */
export function formatOf(formats: readonly number[], i: number): number {
  return formats.length === 0 ? 0 : formats.length === 1 ? formats[0] : formats[i];
}

/** A complete ErrorResponse as bytes (for replies sent outside a Connection, e.g. "too many clients"). */
export function errorMessageBytes(e: SqlError): Buffer {
  return new MessageWriter().error(e).take();
}
