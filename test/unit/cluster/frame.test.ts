// Interconnect frames: a stream of random frames cut into random chunks (every split of headers and
// payloads, many frames per chunk) decodes to the same frames; frames inside one chunk are views of it
// (no copy); lengths past the bound, shorter than the header, or unknown kinds are protocol errors.
import { expect } from 'chai';
import { DEFAULT_MAX_FRAME_BYTES, FRAME_HEADER_BYTES, FrameDecoder, FrameKind, FrameProtocolError, FrameSink, encodeFrame } from '../../../src/cluster/frame';
import { Rng } from '../../../src/ml/rng';

interface Decoded {
  kind: number;
  type: number;
  requestId: number;
  payload: Buffer;
}

function collector(): FrameSink & { frames: Decoded[] } {
  const frames: Decoded[] = [];
  return {
    frames,
    onFrame(kind, type, requestId, payload) {
      frames.push({ kind, type, requestId, payload: Buffer.from(payload) });
    },
  };
}

describe('cluster frames', () => {
  it('encodes the documented little-endian layout', () => {
    const f = encodeFrame(FrameKind.request, 0x1234, 0xdeadbeef, Buffer.from([9, 8, 7]));
    expect([...f]).to.deep.equal([10, 0, 0, 0, 1, 0x34, 0x12, 0xef, 0xbe, 0xad, 0xde, 9, 8, 7]);
    expect(FRAME_HEADER_BYTES).to.equal(11);
  });

  for (const seed of [1, 2, 3, 42, 1234]) {
    it(`decodes random frames cut into random chunks (seed ${seed})`, () => {
      const gen = new Rng(seed);
      const rand = (): number => gen.next();
      const expected: Decoded[] = [];
      const parts: Buffer[] = [];
      for (let i = 0; i < 300; i++) {
        const size = rand() < 0.1 ? Math.floor(rand() * 20000) : rand() < 0.2 ? 0 : Math.floor(rand() * 100);
        const payload = Buffer.allocUnsafe(size);
        for (let b = 0; b < size; b++) payload[b] = Math.floor(rand() * 256);
        const kind = Math.floor(rand() * 6) as FrameKind;
        const type = Math.floor(rand() * 65536);
        const requestId = Math.floor(rand() * 2 ** 32);
        expected.push({ kind, type, requestId, payload });
        parts.push(encodeFrame(kind, type, requestId, payload));
      }
      const stream = Buffer.concat(parts);
      const sink = collector();
      const decoder = new FrameDecoder(sink);
      let pos = 0;
      while (pos < stream.length) {
        // Mostly small cuts (split headers), sometimes large ones (many frames per chunk).
        const n = rand() < 0.5 ? 1 + Math.floor(rand() * 15) : 1 + Math.floor(rand() * 30000);
        decoder.push(stream.subarray(pos, pos + n));
        pos += n;
      }
      expect(decoder.idle).to.equal(true);
      expect(decoder.bytesIn).to.equal(stream.length);
      expect(sink.frames.length, `seed ${seed}`).to.equal(expected.length);
      for (let i = 0; i < expected.length; i++) {
        const got = sink.frames[i];
        const want = expected[i];
        expect([got.kind, got.type, got.requestId], `frame ${i} seed ${seed}`).to.deep.equal([want.kind, want.type, want.requestId]);
        expect(got.payload.equals(want.payload), `payload ${i} seed ${seed}`).to.equal(true);
      }
    });
  }

  it('decodes every split point of a two-frame stream', () => {
    const stream = Buffer.concat([encodeFrame(FrameKind.message, 7, 0, Buffer.from('hello')), encodeFrame(FrameKind.heartbeat, 0, 0)]);
    for (let cut = 0; cut <= stream.length; cut++) {
      const sink = collector();
      const d = new FrameDecoder(sink);
      d.push(stream.subarray(0, cut));
      d.push(stream.subarray(cut));
      expect(sink.frames.map((f) => [f.kind, f.type, f.payload.toString()]), `cut ${cut}`).to.deep.equal([
        [0, 7, 'hello'],
        [4, 0, ''],
      ]);
    }
  });

  it('hands a frame lying inside one chunk over as a view of that chunk (no copy)', () => {
    const chunk = Buffer.concat([encodeFrame(FrameKind.message, 1, 0, Buffer.from('abcdef')), encodeFrame(FrameKind.message, 2, 0, Buffer.from('xyz'))]);
    const views: Buffer[] = [];
    const d = new FrameDecoder({ onFrame: (_k, _t, _r, p) => views.push(p) });
    d.push(chunk);
    expect(views.map((v) => v.toString())).to.deep.equal(['abcdef', 'xyz']);
    expect(views[0].buffer).to.equal(chunk.buffer);
    expect(views[0].byteOffset).to.equal(chunk.byteOffset + FRAME_HEADER_BYTES);
  });

  it('rejects a frame longer than the bound without allocating it, and stays failed', () => {
    const header = Buffer.alloc(FRAME_HEADER_BYTES);
    header.writeUInt32LE(DEFAULT_MAX_FRAME_BYTES + 8, 0);
    const d = new FrameDecoder(collector());
    expect(() => d.push(header)).to.throw(FrameProtocolError, /exceeds the limit/);
    expect(() => d.push(encodeFrame(FrameKind.heartbeat, 0, 0))).to.throw(FrameProtocolError);
    const small = new FrameDecoder(collector(), 100);
    expect(() => small.push(encodeFrame(FrameKind.message, 1, 0, Buffer.alloc(101)))).to.throw(FrameProtocolError, /101 bytes exceeds the limit of 100/);
  });

  it('rejects a length shorter than the header and an unknown kind', () => {
    const short = Buffer.alloc(FRAME_HEADER_BYTES);
    short.writeUInt32LE(3, 0);
    expect(() => new FrameDecoder(collector()).push(short)).to.throw(FrameProtocolError, /shorter than its header/);
    const bad = encodeFrame(FrameKind.message, 1, 0);
    bad[4] = 9;
    expect(() => new FrameDecoder(collector()).push(bad)).to.throw(FrameProtocolError, /unknown frame kind 9/);
  });
});
