// Fuzzing the running server for a bounded time: random bytes before startup, random and truncated
// protocol messages after a valid startup, random extended-query sequences, and random SQL made of
// real tokens. Afterwards the server must still answer, and the rows loaded before must be intact.
// The generator is seeded, so a failure can be replayed with the seed it prints.
import { expect } from 'chai';
import * as net from 'net';
import { serialize } from 'pg-protocol';
import { TestServer, startTestServer } from '../helpers/test-server';
import { connectPg } from '../helpers/pg-client';

const FUZZ_MS = 8000;
const SEED = Number(process.env.FUZZ_SEED ?? 424242);

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    // xorshift32
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

function startupPacket(): Buffer {
  const params = Buffer.from('user\0postgres\0database\0postgres\0\0');
  const b = Buffer.alloc(8 + params.length);
  b.writeInt32BE(b.length, 0);
  b.writeInt32BE(196608, 4);
  params.copy(b, 8);
  return b;
}

const TOKENS = [
  'select', 'from', 'where', 'insert', 'into', 'values', 'update', 'set', 'delete', 'create', 'table', 'drop', 'alter',
  'group', 'by', 'order', 'having', 'limit', 'offset', 'join', 'left', 'on', 'union', 'all', 'distinct', 'case', 'when',
  'then', 'else', 'end', 'and', 'or', 'not', 'null', 'is', 'in', 'exists', 'between', 'like', 'as', 'cast', 'with',
  'recursive', 'over', 'partition', 'begin', 'commit', 'rollback', 'savepoint', 'copy', 'stdin', 'explain', 'analyze',
  'fuzz_t', 'k', 'v', 'x', 'pg_class', 'count(*)', 'sum(k)', 'now()', 'generate_series(1, 3)',
  '(', ')', ',', ';', '*', '+', '-', '/', '%', '=', '<>', '<', '>=', '||', '::', '::int', '::text', '::numeric(5,2)', '[', ']',
  '1', '0', '-1', '2147483648', '9223372036854775808', '1e308', '0.5', "'a'", "''", "'2024-02-30'", "'\\x41'", '$1', '"Q"',
];

function randomSql(r: () => number): string {
  const n = 1 + Math.floor(r() * 14);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(TOKENS[Math.floor(r() * TOKENS.length)]);
  // Now and then a well-formed prefix, so the binder and executor get exercised, not just the parser.
  if (r() < 0.5) parts.unshift(r() < 0.5 ? 'select * from fuzz_t where' : 'select k, v from fuzz_t order by');
  return parts.join(' ');
}

function randomBytes(r: () => number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(r() * 256);
  return b;
}

/** A frontend message with a random type and body, its length sometimes lying. */
function randomMessage(r: () => number): Buffer {
  const types = 'QPBDEHSCFXdcfpz';
  const type = r() < 0.8 ? types[Math.floor(r() * types.length)] : String.fromCharCode(Math.floor(r() * 256));
  const body = randomBytes(r, Math.floor(r() * 40));
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  const lie = r();
  head.writeInt32BE(lie < 0.7 ? body.length + 4 : lie < 0.85 ? Math.floor(r() * 2 ** 31) : Math.floor(r() * 8), 1);
  return Buffer.concat([head, body]);
}

/** A plausible extended-query sequence with random counts, names and parameters. */
function randomExtended(r: () => number): Buffer {
  const parts: Buffer[] = [];
  const name = r() < 0.5 ? '' : `s${Math.floor(r() * 3)}`;
  if (r() < 0.8) parts.push(serialize.parse({ name, text: randomSql(r), types: r() < 0.3 ? [23, 0, 9999] : [] }));
  if (r() < 0.8) parts.push(serialize.bind({ statement: name, portal: r() < 0.5 ? '' : 'p', values: r() < 0.5 ? [] : ['1', null, 'x'], binary: r() < 0.3 }));
  if (r() < 0.5) parts.push(serialize.describe({ type: r() < 0.5 ? 'S' : 'P', name }));
  if (r() < 0.8) parts.push(serialize.execute({ portal: '', rows: Math.floor(r() * 3) }));
  if (r() < 0.3) parts.push(serialize.close({ type: 'S', name }));
  if (r() < 0.8) parts.push(serialize.sync());
  return Buffer.concat(parts);
}

/** One fuzzing connection: writes what it is given, waits a little, then hangs up. */
function fuzzConnection(port: number, chunks: Buffer[], lingerMs: number): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      s.destroy();
      resolve();
    };
    s.on('error', finish);
    s.on('close', finish);
    s.on('data', () => undefined);
    s.on('connect', () => {
      for (const c of chunks) if (!s.destroyed) s.write(c);
      setTimeout(finish, lingerMs);
    });
  });
}

describe('fuzzing the protocol and SQL', function () {
  this.timeout(120000);
  let server: TestServer;
  let checksum: unknown;

  const intact = async () => {
    const c = await connectPg(server.port);
    try {
      return (await c.query("select count(*)::int as n, sum(k)::int as s, string_agg(v, ',' order by k) as vs from fuzz_t")).rows[0];
    } finally {
      await c.end();
    }
  };

  before(async () => {
    server = await startTestServer();
    const c = await connectPg(server.port);
    await c.query('create table fuzz_t (k int primary key, v text not null)');
    await c.query("insert into fuzz_t select g, 'v' || g from generate_series(1, 500) as s(g)");
    await c.end();
    checksum = await intact();
  });
  after(async () => {
    await server?.stop();
  });

  it(`survives ${FUZZ_MS / 1000} s of random input (seed ${SEED}) with the data intact`, async () => {
    const r = rng(SEED);
    const deadline = Date.now() + FUZZ_MS;
    let connections = 0;
    while (Date.now() < deadline) {
      const batch: Promise<void>[] = [];
      for (let i = 0; i < 4; i++) {
        const kind = r();
        let chunks: Buffer[];
        if (kind < 0.15) chunks = [randomBytes(r, 1 + Math.floor(r() * 64))];
        else if (kind < 0.25) chunks = [startupPacket().subarray(0, Math.floor(r() * 30))];
        else if (kind < 0.5) chunks = [startupPacket(), ...Array.from({ length: 1 + Math.floor(r() * 5) }, () => randomMessage(r))];
        else if (kind < 0.7) chunks = [startupPacket(), ...Array.from({ length: 1 + Math.floor(r() * 4) }, () => randomExtended(r))];
        else {
          const sql = Array.from({ length: 1 + Math.floor(r() * 4) }, () => randomSql(r)).join(';');
          chunks = [startupPacket(), serialize.query(sql), serialize.query(randomSql(r))];
        }
        // Some messages cut short: the server must wait or hang up, never misread.
        if (r() < 0.2) {
          const all = Buffer.concat(chunks);
          chunks = [all.subarray(0, Math.floor(r() * all.length))];
        }
        batch.push(fuzzConnection(server.port, chunks, 20 + Math.floor(r() * 150)));
        connections++;
      }
      await Promise.all(batch);
    }
    expect(connections).to.be.greaterThan(20);
    // Still answering, nothing lost or changed (the fuzzer's statements never commit to fuzz_t
    // except by chance of a valid DML; such a change would show here and fail loudly).
    expect(await intact()).to.deep.equal(checksum);
    expect(server.output()).to.not.match(/uncaught|FATAL ERROR|Segmentation/i);
  });
});
