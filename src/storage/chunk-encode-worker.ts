// Worker thread that encodes column chunks (see chunk-encoder.ts): receives a vector whose typed
// arrays are in shared memory (and a string dictionary's byte form), answers with the chunk bytes,
// their buffer transferred. Compression runs here too, synchronously: this thread is the parallelism.
import { parentPort } from 'worker_threads';
import { encodeChunk, encodeChunkFromBytes } from './chunk-codec';
import type { EncodeReply, EncodeRequest } from './chunk-encoder';

parentPort!.on('message', (m: EncodeRequest) => {
  let reply: EncodeReply;
  try {
    const out = m.form !== null && m.vector.kind === 'string' ? encodeChunkFromBytes(m.vector, m.form) : encodeChunk(m.vector);
    reply = { id: m.id, chunk: out, error: null };
    parentPort!.postMessage(reply, [out.buffer as ArrayBuffer]);
  } catch (err) {
    reply = { id: m.id, chunk: null, error: err instanceof Error ? err.message : String(err) };
    parentPort!.postMessage(reply);
  }
});
