// Errors a caller of the interconnect sees, and how a handler's error crosses the wire.

/**
 * The interconnect could not complete the call: timeout, link lost, peer removed, backlog full.
 * `retryable` is true when the same call may succeed later or on another node (the request may or may
 * not have run on the peer: callers retry only idempotent work, or work they can recognise as done).
 */
export class InterconnectError extends Error {
  constructor(message: string, readonly peer: number, readonly retryable: boolean) {
    super(message);
    this.name = 'InterconnectError';
  }
}

/** The peer's handler threw: its message (and code, and retryable flag when it had them) reached us. */
export class RemoteError extends Error {
  constructor(message: string, readonly peer: number, readonly code: string | undefined, readonly retryable: boolean) {
    super(message);
    this.name = 'RemoteError';
  }
}

const RETRYABLE_FLAG = 1;

/** Error response payload: u8 flags (bit 0 retryable), u8 code length, code (ASCII), message (UTF-8). */
export function encodeRemoteError(err: unknown): Buffer {
  const e = err as { message?: unknown; code?: unknown; retryable?: unknown } | null;
  const message = e !== null && typeof e === 'object' && typeof e.message === 'string' ? e.message : String(err);
  const code = e !== null && typeof e === 'object' && typeof e.code === 'string' && e.code.length < 256 ? e.code : '';
  const retryable = e !== null && typeof e === 'object' && e.retryable === true;
  const messageBytes = Buffer.byteLength(message, 'utf8');
  const out = Buffer.allocUnsafe(2 + code.length + messageBytes);
  out[0] = retryable ? RETRYABLE_FLAG : 0;
  out[1] = code.length;
  out.write(code, 2, 'latin1');
  out.write(message, 2 + code.length, 'utf8');
  return out;
}

export function decodeRemoteError(payload: Buffer, peer: number): RemoteError {
  if (payload.length < 2) return new RemoteError('malformed error response', peer, undefined, false);
  const codeLength = payload[1];
  const code = codeLength === 0 ? undefined : payload.toString('latin1', 2, 2 + codeLength);
  const message = payload.toString('utf8', 2 + codeLength);
  return new RemoteError(message, peer, code, (payload[0] & RETRYABLE_FLAG) !== 0);
}
