// Framing: whatever way TCP splits the byte stream, the reader yields the same messages; bad or
// oversized lengths and unknown type bytes are protocol violations detected without waiting.
import { expect } from 'chai';
import { serialize } from 'pg-protocol';
import { BodyReader, Message, MessageReader, ProtocolViolation } from '../../../src/wire/message-reader';
import { MessageWriter } from '../../../src/wire/message-writer';

function drain(r: MessageReader): Message[] {
  const out: Message[] = [];
  for (let m = r.next(); m !== null; m = r.next()) {
    out.push({ type: m.type, body: Buffer.from(m.body) });
    if (m.type === 0) r.startupPhase = false;
  }
  return out;
}

/** A startup packet, then a pipelined mix of every message kind, including empty bodies and a `big`-byte one. */
function conversation(big = 3000): Buffer {
  return Buffer.concat([
    serialize.startup({ user: 'postgres', database: 'db', application_name: 'split' }),
    serialize.query('select 1'),
    serialize.parse({ name: 's1', text: 'select $1::int', types: [23] }),
    serialize.bind({ statement: 's1', portal: 'p', values: ['42', null] }),
    serialize.describe({ type: 'P', name: 'p' }),
    serialize.execute({ portal: 'p', rows: 10 }),
    serialize.sync(),
    serialize.copyData(Buffer.alloc(big, 0x61)),
    serialize.copyDone(),
    serialize.flush(),
    serialize.query(''),
    serialize.end(),
  ]);
}

describe('wire: message framing', () => {
  const whole = conversation();
  let expected: Message[];
  before(() => {
    const r = new MessageReader();
    r.push(whole);
    expected = drain(r);
    expect(expected.map((m) => m.type)).to.deep.equal([0, 0x51, 0x50, 0x42, 0x44, 0x45, 0x53, 0x64, 0x63, 0x48, 0x51, 0x58]);
    expect(expected[7].body.length).to.equal(3000);
  });

  it('yields the same messages when the stream is split at every byte offset', () => {
    for (let cut = 0; cut <= whole.length; cut++) {
      const r = new MessageReader();
      const got: Message[] = [];
      r.push(whole.subarray(0, cut));
      got.push(...drain(r));
      r.push(whole.subarray(cut));
      got.push(...drain(r));
      expect(got.length, `cut at ${cut}`).to.equal(expected.length);
      for (let i = 0; i < got.length; i++) {
        expect(got[i].type, `cut at ${cut}, message ${i}`).to.equal(expected[i].type);
        expect(got[i].body.equals(expected[i].body), `cut at ${cut}, message ${i}`).to.equal(true);
      }
    }
  });

  it('yields the same messages when fed one byte at a time and in random chunk sizes', () => {
    const whole = conversation(200000);
    const r0 = new MessageReader();
    r0.push(whole);
    const expected = drain(r0);
    const single = new MessageReader();
    const got: Message[] = [];
    for (let i = 0; i < whole.length; i++) {
      single.push(whole.subarray(i, i + 1));
      got.push(...drain(single));
    }
    expect(got.map((m) => m.body.toString('hex'))).to.deep.equal(expected.map((m) => m.body.toString('hex')));
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 3000) + 1;
    for (let trial = 0; trial < 20; trial++) {
      const r = new MessageReader();
      const msgs: Message[] = [];
      for (let pos = 0; pos < whole.length; ) {
        const n = rand();
        r.push(whole.subarray(pos, pos + n));
        pos += n;
        msgs.push(...drain(r));
      }
      expect(msgs.map((m) => m.type)).to.deep.equal(expected.map((m) => m.type));
    }
  });

  it('rejects startup packets that are too short or longer than 10000 bytes', () => {
    for (const len of [4, 7, 10001, 0x7fffffff, -1]) {
      const r = new MessageReader();
      const b = Buffer.alloc(8);
      b.writeInt32BE(len, 0);
      r.push(b);
      expect(() => r.next(), `length ${len}`).to.throw(ProtocolViolation, /invalid length of startup packet/);
    }
  });

  it('rejects negative, too-short and oversized message lengths, per message type', () => {
    const cases: [number, number][] = [
      [0x51, -7], // Query with a negative length
      [0x51, 3], // shorter than the length word itself
      [0x51, 0x40000000], // Query over 1 GB
      [0x53, 10001], // Sync over the small-message limit
      [0x45, 20000], // Execute likewise
    ];
    for (const [type, len] of cases) {
      const r = new MessageReader();
      r.startupPhase = false;
      const b = Buffer.alloc(5);
      b[0] = type;
      b.writeInt32BE(len, 1);
      r.push(b);
      expect(() => r.next(), `type ${type} length ${len}`).to.throw(ProtocolViolation, /invalid message length/);
    }
  });

  it('accepts a 1 MB Query (large-message types are limited only at 1 GB)', () => {
    const r = new MessageReader();
    r.startupPhase = false;
    const sql = 'x'.repeat(1 << 20);
    r.push(serialize.query(sql));
    const m = r.next()!;
    expect(new BodyReader(m.body).cstring()).to.equal(sql);
  });

  it('rejects an unknown type byte at once, before any length arrives', () => {
    const r = new MessageReader();
    r.startupPhase = false;
    r.push(Buffer.from([0x7a]));
    expect(() => r.next()).to.throw(ProtocolViolation, /invalid frontend message type 122/);
  });

  it('reads message fields and reports truncated bodies as 08P01 errors', () => {
    const w = new MessageWriter();
    w.begin(0x50).cstring('stmt').cstring('select é').int16(1).int32(23).end();
    const msg = w.take();
    const r = new BodyReader(msg.subarray(5));
    expect([r.cstring(), r.cstring(), r.int16(), r.int32()]).to.deep.equal(['stmt', 'select é', 1, 23]);
    r.end();
    const short = new BodyReader(Buffer.from([0, 1]));
    expect(() => short.int32()).to.throw(/insufficient data left in message/).with.property('code', '08P01');
    expect(() => new BodyReader(Buffer.from('abc')).cstring()).to.throw(/invalid string in message/);
  });
});

describe('wire: message writer', () => {
  it('fills in lengths, encodes UTF-8 cells and NULLs, and hands out what was written', () => {
    const w = new MessageWriter();
    w.begin(0x44).int16(3).cell('ü€').cell(null).cell('').end();
    w.readyForQuery('I');
    const b = w.take();
    expect(w.size).to.equal(0);
    expect(b[0]).to.equal(0x44);
    expect(b.readInt32BE(1)).to.equal(4 + 2 + 4 + 5 + 4 + 4);
    expect(b.readInt32BE(7)).to.equal(5);
    expect(b.toString('utf8', 11, 16)).to.equal('ü€');
    expect(b.readInt32BE(16)).to.equal(-1);
    expect(b.readInt32BE(20)).to.equal(0);
    expect(b.subarray(24).toString('latin1')).to.equal('Z\0\0\0\x05I');
  });

  it('grows past its initial buffer and keeps earlier bytes intact', () => {
    const w = new MessageWriter();
    const big = 'y'.repeat(300000);
    w.begin(0x64).cstring('head').cell(big).end();
    const b = w.take();
    expect(b.length).to.equal(5 + 5 + 4 + 300000);
    expect(b.toString('utf8', 5, 9)).to.equal('head');
    // A second message after a big take starts from an empty buffer.
    w.readyForQuery('T');
    expect(w.take().toString('latin1')).to.equal('Z\0\0\0\x05T');
  });
});
