// COPY sub-protocol: COPY FROM STDIN consumes CopyData/CopyDone/CopyFail into the engine's sink;
// COPY TO STDOUT sends the engine's buffers as CopyData.
import { ExecuteResult } from '../engine/session-api';
import { SqlError, SqlState } from '../types/sql-error';
import { BodyReader } from './message-reader';
import { Backend, Frontend } from './protocol-codes';
import { ConnectionClosed, SocketIO } from './socket-io';

type CopyIn = Extract<ExecuteResult, { kind: 'copyIn' }>;
type CopyOut = Extract<ExecuteResult, { kind: 'copyOut' }>;

/** CopyInResponse / CopyOutResponse: overall format, then one format code per column. */
function copyResponse(io: SocketIO, type: number, format: CopyIn['format'], columnCount: number): void {
  const code = format === 'binary' ? 1 : 0;
  io.out.begin(type).int8(code).int16(columnCount);
  for (let i = 0; i < columnCount; i++) io.out.int16(code);
  io.out.end();
}

/**
 * Runs COPY FROM STDIN and writes its CommandComplete. On bad data or CopyFail it fails the sink and
 * throws at once, as PostgreSQL does: the caller sends the ErrorResponse, and the CopyData/CopyDone
 * the client keeps sending afterwards are dropped by the main loop (stray COPY messages are ignored).
 */
export async function runCopyIn(io: SocketIO, copy: CopyIn): Promise<void> {
  copyResponse(io, Backend.copyInResponse, copy.format, copy.columnCount);
  await io.flush();
  for (;;) {
    const m = await io.readMessage();
    if (m === null) {
      copy.sink.fail('connection lost during COPY FROM STDIN');
      throw new ConnectionClosed();
    }
    switch (m.type) {
      case Frontend.copyData:
        try {
          copy.sink.write(m.body);
          // Storage is behind (row groups still being written out): unread input pauses the socket meanwhile.
          const ready = copy.sink.ready?.();
          if (ready) await ready;
        } catch (err) {
          copy.sink.fail(err instanceof Error ? err.message : String(err));
          throw err;
        }
        continue;
      case Frontend.copyDone:
        io.out.commandComplete(await copy.sink.end());
        return;
      case Frontend.copyFail: {
        const reason = new BodyReader(m.body).cstring();
        copy.sink.fail(reason);
        throw new SqlError(SqlState.queryCanceled, `COPY from stdin failed: ${reason}`);
      }
      case Frontend.flush:
      case Frontend.sync:
        // The protocol says to ignore these during copy-in (a client may send them out of habit).
        continue;
      default:
        copy.sink.fail('unexpected message during COPY');
        throw new SqlError(SqlState.protocolViolation, `unexpected message type 0x${m.type.toString(16).toUpperCase().padStart(2, '0')} during COPY from stdin`);
    }
  }
}

/** Runs COPY TO STDOUT: CopyOutResponse, one CopyData per buffer, CopyDone, CommandComplete. */
export async function runCopyOut(io: SocketIO, copy: CopyOut): Promise<void> {
  copyResponse(io, Backend.copyOutResponse, copy.format, copy.columnCount);
  for (const chunk of copy.data) {
    io.out.begin(Backend.copyData).bytes(chunk).end();
    await io.maybeFlush();
    if (io.closed) throw new ConnectionClosed();
  }
  io.out.empty(Backend.copyDone);
  io.out.commandComplete(copy.command);
}
