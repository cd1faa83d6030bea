// Protocol v3 messages as the statement router sees them: a byte stream cut into whole typed messages
// (type byte, int32 length, body), and the few frontend messages the router writes itself. The cluster
// layer sits beside the wire layer, so this is its own small copy of the framing, not the server's reader.

/** One whole message: `bytes` is the message as it came (type, length and body), ready to pass on. */
export interface PgMessage {
  type: number;
  bytes: Buffer;
}

export const Msg = {
  query: 0x51, // 'Q'
  parse: 0x50, // 'P'
  bind: 0x42, // 'B'
  describe: 0x44, // 'D' (frontend) — also DataRow (backend)
  execute: 0x45, // 'E' (frontend) — also ErrorResponse (backend)
  sync: 0x53, // 'S' (frontend) — also ParameterStatus (backend)
  flush: 0x48, // 'H'
  close: 0x43, // 'C' (frontend) — also CommandComplete (backend)
  terminate: 0x58, // 'X'
  copyData: 0x64, // 'd'
  copyDone: 0x63, // 'c'
  copyFail: 0x66, // 'f'
  functionCall: 0x46, // 'F'
  readyForQuery: 0x5a, // 'Z'
  backendKeyData: 0x4b, // 'K'
  errorResponse: 0x45, // 'E'
  commandComplete: 0x43, // 'C'
  parseComplete: 0x31, // '1'
} as const;

/** Cuts a stream of typed messages into whole messages; a message split over chunks waits for its rest. */
export class MessageSplitter {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): PgMessage[] {
    const buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const out: PgMessage[] = [];
    let i = 0;
    while (buf.length - i >= 5) {
      const len = buf.readInt32BE(i + 1);
      if (len < 4) throw new Error(`invalid protocol message length ${len}`);
      if (buf.length - i < 1 + len) break;
      out.push({ type: buf[i], bytes: buf.subarray(i, i + 1 + len) });
      i += 1 + len;
    }
    // A copy of the tail, so the chunk's big buffer is not kept alive by a few bytes.
    this.pending = i === buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(i));
    return out;
  }
}

/**
 * Follows the message boundaries of a relayed stream without holding its bytes (the plain relay,
 * client-proxy.ts, passes chunks on as they come): `onMessage` hears each message's type as its header
 * is read, and the first bytes of each body are kept (an ErrorResponse's severity).
 */
export class MessageBoundaries {
  private readonly head = Buffer.alloc(5);
  private headLen = 0;
  private bodyLeft = 0;
  /** Type of the last message begun (0 before any). */
  private type = 0;
  private readonly start = Buffer.alloc(6);
  private startLen = 0;

  constructor(private readonly onMessage?: (type: number) => void) {}

  /** Whether the stream stands between two messages. */
  get atBoundary(): boolean {
    return this.headLen === 0 && this.bodyLeft === 0;
  }

  /** The last message, read whole, is an ErrorResponse ending the session (FATAL or PANIC). */
  get endedFatal(): boolean {
    return this.atBoundary && this.type === Msg.errorResponse && isFatalSeverity(this.start, 0, this.startLen);
  }

  feed(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.bodyLeft > 0) {
        const n = Math.min(this.bodyLeft, chunk.length - i);
        if (this.startLen < this.start.length) this.startLen += chunk.copy(this.start, this.startLen, i, i + Math.min(n, this.start.length - this.startLen));
        this.bodyLeft -= n;
        i += n;
      } else {
        this.head[this.headLen++] = chunk[i++];
        if (this.headLen === 5) {
          this.headLen = 0;
          this.type = this.head[0];
          this.bodyLeft = this.head.readInt32BE(1) - 4;
          this.startLen = 0;
          this.onMessage?.(this.type);
        }
      }
    }
  }
}

/** Whether an ErrorResponse's body, from `at` (its first field), starts with severity FATAL or PANIC. */
export function isFatalSeverity(bytes: Buffer, at: number, end = bytes.length): boolean {
  if (end - at < 6) return false;
  const head = bytes.toString('latin1', at, at + 6);
  return head === 'SFATAL' || head === 'SPANIC';
}

/** Reads NUL-terminated strings and bytes from a message body (after the 5-byte header). */
export class BodyCursor {
  private at = 5;
  constructor(private readonly bytes: Buffer) {}

  cstring(): string {
    const end = this.bytes.indexOf(0, this.at);
    if (end < 0) throw new Error('unterminated string in protocol message');
    const s = this.bytes.toString('utf8', this.at, end);
    this.at = end + 1;
    return s;
  }

  byte(): number {
    return this.bytes[this.at++];
  }
}

function message(type: number, parts: (string | number)[]): Buffer {
  // Strings are NUL-terminated; numbers are single bytes (the 'S'/'P' of Close).
  const bodies = parts.map((p) => (typeof p === 'number' ? Buffer.from([p]) : Buffer.concat([Buffer.from(p, 'utf8'), Buffer.from([0])])));
  const body = Buffer.concat(bodies);
  const head = Buffer.alloc(5);
  head[0] = type;
  head.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([head, body]);
}

export const queryMessage = (sql: string): Buffer => message(Msg.query, [sql]);
export const syncMessage = (): Buffer => message(Msg.sync, []);
export const closeMessage = (kind: 'S' | 'P', name: string): Buffer => message(Msg.close, [kind.charCodeAt(0), name]);

/** The SQLSTATE ('C' field) of an ErrorResponse, or '' when absent. */
export function errorCode(bytes: Buffer): string {
  let i = 5;
  while (i < bytes.length && bytes[i] !== 0) {
    const end = bytes.indexOf(0, i + 1);
    if (end < 0) return '';
    if (bytes[i] === 0x43) return bytes.toString('latin1', i + 1, end);
    i = end + 1;
  }
  return '';
}

/** A backend ErrorResponse built here (the cluster layer sits beside the wire layer). */
export function errorResponse(code: string, text: string, severity: 'ERROR' | 'FATAL' = 'ERROR'): Buffer {
  return message(Msg.errorResponse, [`S${severity}`, `V${severity}`, `C${code}`, `M${text}`, '']);
}

export function readyForQuery(status: string): Buffer {
  const b = Buffer.alloc(6);
  b[0] = Msg.readyForQuery;
  b.writeInt32BE(5, 1);
  b[5] = status.charCodeAt(0);
  return b;
}
