// The first message of a client connection as a follower reads it before relaying or routing the
// session: TLS/GSS encryption requests are answered 'N' here (as the server itself answers them, so the
// leader only ever sees the startup packet), then the startup packet or CancelRequest is awaited whole.
import { Socket } from 'net';

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
export const CANCEL_REQUEST = 80877102;

/**
 * Calls `ready` once with the bytes read (starting with the whole packet of `length` bytes; more may
 * follow it) after detaching from the socket's 'data' events and pausing it. A malformed length
 * destroys the socket.
 */
export function awaitStartupPacket(client: Socket, ready: (buffered: Buffer, length: number) => void): void {
  let pending: Buffer = Buffer.alloc(0);
  const onData = (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    // The startup phase: an int32 length (itself included), then an int32 code.
    while (pending.length >= 8) {
      const len = pending.readInt32BE(0);
      if (len < 8 || len > 10000) {
        client.destroy();
        return;
      }
      const code = pending.readInt32BE(4);
      if ((code === SSL_REQUEST || code === GSSENC_REQUEST) && pending.length >= len) {
        client.write(Buffer.from('N'));
        pending = pending.subarray(len);
        continue;
      }
      if (pending.length < len) return;
      client.off('data', onData);
      client.pause();
      ready(pending, len);
      return;
    }
  };
  client.on('data', onData);
}

/** A CancelRequest packet (untyped startup-phase message) for a session's key. */
export function cancelRequest(processId: number, secretKey: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeInt32BE(16, 0);
  b.writeInt32BE(CANCEL_REQUEST, 4);
  b.writeInt32BE(processId, 8);
  b.writeInt32BE(secretKey, 12);
  return b;
}
