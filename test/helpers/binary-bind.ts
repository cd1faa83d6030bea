// Extended-query helpers for binary parameter and result tests over a RawClient.
import { RawClient, serialize } from './raw-client';

function i16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
}
function i32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

/** Bind of the unnamed statement with binary parameters and one result format code. */
export function bind(params: Buffer[], resultFormat: number): Buffer {
  const parts = [Buffer.from('\0\0'), i16(1), i16(1), i16(params.length)];
  for (const p of params) parts.push(i32(p.length), p);
  parts.push(i16(1), i16(resultFormat));
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from('B'), i32(body.length + 4), body]);
}

/** Runs parse/bind/execute/sync and returns the first cell of the first DataRow (null for NULL). */
export async function firstCell(c: RawClient, sql: string, types: number[], params: Buffer[], resultFormat: number): Promise<Buffer | null> {
  c.raw.length = 0;
  c.send(serialize.parse({ text: sql, types }), bind(params, resultFormat), serialize.execute({}), serialize.sync());
  const msgs = await c.until('readyForQuery');
  const err = msgs.find((m) => m.name === 'error');
  if (err !== undefined) throw new Error(`${sql}: ${err.code} ${err.message}`);
  const row = c.raw.find((m) => m.type === 'D')!.body;
  const len = row.readInt32BE(2);
  return len === -1 ? null : row.subarray(6, 6 + len);
}
