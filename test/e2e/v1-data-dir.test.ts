// A data directory whose chunks were written by the version-1 codec (raw values, before
// compression) keeps working: its rows read back, and chunks rewritten by new writes become
// compressed (version 2) while untouched ones stay version 1.
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { open } from 'lmdb';
import { Client } from 'pg';
import { deflateSync } from 'fflate';
import { decodeChunk } from '../../src/storage/chunk-codec';
import { DataType, TypeName, dataType } from '../../src/types/data-type';
import { Vector } from '../../src/types/vector';
import { TestServer, startTestServer } from '../helpers/test-server';

/** The version-1 encoder as it was (raw typed arrays, JSON dictionary), for writing old chunks. */
function encodeV1(v: Vector): Buffer {
  const parts: Buffer[] = [];
  const n = v.length;
  const typed = (a: ArrayBufferView) => parts.push(Buffer.from(a.buffer, a.byteOffset, a.byteLength));
  const head = Buffer.alloc(7);
  head[0] = 1;
  head[1] = { bool: 1, int32: 2, int64: 3, float64: 4, timestamp: 5, numeric: 6, string: 7, interval: 8 }[v.kind];
  head.writeUInt32LE(n, 2);
  const hasNulls = v.nulls !== null && v.nulls.subarray(0, n).some((x) => x === 1);
  head[6] = hasNulls ? 1 : 0;
  parts.push(head);
  if (hasNulls) typed(v.nulls!.subarray(0, n));
  const blob = (b: Uint8Array) => {
    const len = Buffer.alloc(4);
    len.writeUInt32LE(b.length);
    parts.push(len, Buffer.from(b));
  };
  switch (v.kind) {
    case 'bool':
    case 'int32':
    case 'int64':
    case 'float64':
    case 'timestamp':
      typed(v.values.subarray(0, n));
      break;
    case 'numeric': {
      if (v.dscale !== null || v.wide !== null) throw new Error('not needed by this test');
      const s = Buffer.alloc(5);
      s.writeInt32LE(v.scale);
      parts.push(s);
      blob(Buffer.from('[]'));
      typed(v.values.subarray(0, n));
      break;
    }
    case 'string':
      blob(deflateSync(Buffer.from(JSON.stringify(v.dict)), { level: 1 }));
      typed(v.codes.subarray(0, n));
      break;
    default:
      throw new Error('not needed by this test');
  }
  const body = Buffer.concat(parts);
  let h = 0x811c9dc5;
  for (let i = 0; i < body.length; i++) {
    h ^= body[i];
    h = Math.imul(h, 0x01000193);
  }
  const sum = Buffer.alloc(4);
  sum.writeUInt32LE(h >>> 0);
  return Buffer.concat([body, sum]);
}

/** Rewrites every chunk of a stopped server's data directory in the version-1 format. */
async function downgradeChunks(dir: string): Promise<number> {
  const db = open<Buffer, string>({ path: dir, encoding: 'binary', compression: false });
  const chunkKeys = (prefix: string) => [...db.getKeys({ start: prefix })].filter((k) => typeof k === 'string' && k.startsWith(prefix)) as string[];
  // The catalog's entries per table (storage/catalog-keys.ts): 'catalog/t/<id>' its definition, 'catalog/r/<id>' its groups.
  const types = new Map<string, DataType>();
  for (const k of chunkKeys('catalog/t/')) {
    const def = JSON.parse(db.getBinary(k)!.toString()) as { id: number; columns: { type: [TypeName, number] }[] };
    def.columns.forEach((c, i) => types.set(`${def.id}/${i}`, dataType(c.type[0], c.type[1])));
  }
  // Full groups a transaction spilled before its commit keep their chunks under 'sp/<ref>/<column>'.
  const spilledTable = new Map<string, number>();
  for (const k of chunkKeys('catalog/r/')) {
    const rows = JSON.parse(db.getBinary(k)!.toString()) as { spill?: (string | null)[] };
    for (const ref of rows.spill ?? []) if (ref !== null) spilledTable.set(ref, Number(k.slice('catalog/r/'.length)));
  }
  const keys = [...chunkKeys('c/'), ...chunkKeys('sp/')];
  await db.transaction(() => {
    for (const key of keys) {
      const parts = key.split('/');
      const [table, column] = parts[0] === 'sp' ? [spilledTable.get(`${parts[1]}/${parts[2]}`), parts[3]] : [parts[1], parts[2]];
      const type = types.get(`${table}/${column}`)!;
      db.put(key, encodeV1(decodeChunk(db.getBinary(key)!, type)));
    }
  });
  await db.close();
  return keys.length;
}

describe('data directories written before compression (version-1 chunks)', function () {
  this.timeout(120000);
  let dir: string;
  let server: TestServer;
  const query = async (sql: string) => {
    const c = new Client({ host: '127.0.0.1', port: server.port, user: 'postgres' });
    await c.connect();
    try {
      return (await c.query(sql)).rows;
    } finally {
      await c.end();
    }
  };
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-v1-'));
    server = await startTestServer({ dataDir: dir });
  });
  after(async () => {
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const summary = "select count(*)::int as n, sum(id)::text as ids, count(name)::int as names, max(name) as top, sum(amount)::text as amount, count(*) filter (where ok)::int as oks, max(ts)::text as ts from old";

  it('reads version-1 chunks, and compresses the chunks later writes rewrite', async () => {
    await query('create table old (id int4, name text, amount numeric(10,2), ts timestamp, ok bool)');
    await query("insert into old select g, case when g % 7 = 0 then null else 'name ' || (g % 50) end, g * 1.25, timestamp '2020-01-01' + g * interval '1 hour', g % 3 = 0 from generate_series(1, 70000) as s(g)");
    const before = await query(summary);
    await server.stop();
    expect(await downgradeChunks(dir)).to.equal(10); // 5 columns × 2 row groups
    await server.restart();
    const stats = async () => (await query("select column_name, encodings from tessera_storage_stats() where table_name = 'old' order by column_name")).map((r) => `${r.column_name}: ${r.encodings}`);
    expect(await stats()).to.deep.equal(['amount: raw (v1)', 'id: raw (v1)', 'name: raw (v1)', 'ok: raw (v1)', 'ts: raw (v1)']);
    expect(await query(summary)).to.deep.equal(before);
    // A few rows appended to the last row group are delta entries: its chunks stay as they were.
    await query("insert into old values (70001, 'late', 1.50, timestamp '2031-01-01', true)");
    expect(await stats()).to.deep.equal(['amount: raw (v1)', 'id: raw (v1)', 'name: raw (v1)', 'ok: raw (v1)', 'ts: raw (v1)']);
    // More rows than a group keeps as deltas rewrite its chunks in the new format; the first group stays.
    const more = 4200;
    await query(`insert into old select g, 'late', 1.50, timestamp '2031-01-01', true from generate_series(70002, ${70000 + more}) as s(g)`);
    const mixed = await stats();
    for (const line of mixed) expect(line).to.match(/raw \(v1\) \(1\)|\(1\), raw \(v1\) \(1\)/);
    expect(mixed.find((l) => l.startsWith('id:'))).to.equal('id: delta (1), raw (v1) (1)');
    const after = (await query(summary))[0];
    const newIds = ((70001 + 70000 + more) * more) / 2;
    expect(after).to.deep.equal({ ...before[0], n: 70000 + more, ids: String(Number(before[0].ids) + newIds), names: before[0].names + more, amount: (Number(before[0].amount) + 1.5 * more).toFixed(2), oks: before[0].oks + more, ts: '2031-01-01 00:00:00' });
  });
});
