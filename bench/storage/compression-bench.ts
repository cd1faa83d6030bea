// npm run build && npm run bench:compression (node --expose-gc …) -- [--sf 1] [--reps 5] [--out bench/results/compression-sf1.md]
// Issue 7's measurement: TPC-H compression ratio on disk against the raw .tbl bytes, and how fast
// stored chunks decode compressed (as written) against uncompressed.
//  1. Loads TPC-H through COPY into a fresh server (temporary data directory), reads per table the
//     stored chunk bytes from tessera_storage_stats(), and the LMDB data file's size.
//  2. A full lineitem scan query warm, then cold after a restart (empty buffer pool; the OS page
//     cache is not dropped), best of three each.
//  3. With the server stopped, reads every lineitem chunk's bytes straight from LMDB and times the
//     real decoder (decodeChunk) on them, and on the same vectors re-encoded uncompressed: the same
//     version-2 layout with every stream raw (TAG_RAW: values at their typed-array width, string
//     dictionaries not deflated). Both go through the same decoder code and checksum, so the
//     difference is the encodings alone. Best of --reps repetitions per type class.
// Data: TESSERA_TPCH_TBL, else /work/main/bench/tpch/data/sf<N> when it exists, else the usual source.
import { execSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Client } from 'pg';
import { startTestServer } from '../../test/helpers/test-server';
import { TABLES, tableFile } from '../tpch/data-source';
import { loadTpch } from '../tpch/load';
import { TableStore } from '../../src/storage/table-store';
import { LmdbKv } from '../../src/storage/kv-store';
import { SharedChunkCache } from '../../src/buffer/shared-chunk-cache';
import { makePool } from '../../src/buffer/buffer-pool';
import { checksum, chunkInfo, decodeChunk, encodeChunkRaw } from '../../src/storage/chunk-codec';
import { DataType } from '../../src/types/data-type';
import { Vector } from '../../src/types/vector';

const gc = (globalThis as { gc?: () => void }).gc;

interface Chunk {
  type: DataType;
  plainBytes: number;
  rows: number;
  compressed: Buffer;
  raw: Buffer;
}

function typeClass(t: DataType): string {
  return t.name === 'bpchar' || t.name === 'varchar' || t.name === 'text' ? 'text (char/varchar)' : t.name;
}

/** Best-of-reps seconds to decode every chunk in the list, and to checksum its bytes alone. */
function timeDecode(chunks: Chunk[], pick: (c: Chunk) => Buffer, reps: number): { decode: number; sum: number } {
  let decode = Infinity;
  let sum = Infinity;
  for (let r = 0; r < reps; r++) {
    // Collect first (run with --expose-gc), so one loop's garbage is not collected inside the next.
    gc?.();
    let t = performance.now();
    let rows = 0;
    for (const c of chunks) rows += decodeChunk(pick(c), c.type).length;
    decode = Math.min(decode, (performance.now() - t) / 1000);
    if (rows === 0) throw new Error('nothing decoded');
    gc?.();
    t = performance.now();
    for (const c of chunks) checksum(pick(c), pick(c).length - 4);
    sum = Math.min(sum, (performance.now() - t) / 1000);
  }
  return { decode, sum };
}

async function timeQuery(url: string, sql: string, runs: number): Promise<{ ms: number[]; first: number }> {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const client = new Client({ connectionString: url });
    await client.connect();
    const t = performance.now();
    await client.query(sql);
    ms.push(performance.now() - t);
    await client.end();
  }
  return { ms, first: ms[0] };
}

const mb = (b: number) => (b / 1e6).toFixed(1);

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let sf = '1';
  let reps = 5;
  let out = '';
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--sf') sf = String(Number(argv[++i]));
    else if (argv[i] === '--reps') reps = Number(argv[++i]);
    else if (argv[i] === '--out') out = path.resolve(argv[++i]);
    else throw new Error(`unknown option ${argv[i]}`);
  }
  const shared = `/work/main/bench/tpch/data/sf${sf}`;
  if (process.env.TESSERA_TPCH_TBL === undefined && fs.existsSync(path.join(shared, 'lineitem.tbl'))) process.env.TESSERA_TPCH_TBL = shared;
  const lines: string[] = [];
  const log = (line: string) => {
    console.log(line);
    lines.push(line);
  };
  const commit = execSync('git rev-parse --short HEAD').toString().trim();
  log(`# TPC-H SF ${sf}: compression on disk and chunk decode speed`);
  log('');
  log(`Command: \`npm run bench:compression -- --sf ${sf} --reps ${reps}\` at commit ${commit}, ${new Date().toISOString()}`);
  log(`Machine: ${os.cpus().length} × ${os.cpus()[0].model}, Node ${process.version}; load average before: ${os.loadavg().map((x) => x.toFixed(2)).join(', ')}`);
  log('');

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-compression-'));
  const server = await startTestServer({ dataDir: dir, settings: { buffer_pool_size: '2GB' } });
  const stored = new Map<string, { rows: number; plain: number; stored: number }>();
  const scan = 'select count(*), sum(l_quantity), sum(l_extendedprice), avg(l_discount), min(l_shipdate), max(l_shipdate), min(l_shipmode), max(l_returnflag) from lineitem';
  let warm: number[] = [];
  let cold: number[] = [];
  try {
    const t0 = performance.now();
    await loadTpch(server.port, sf, () => undefined);
    log(`Load (COPY through psql, all tables, then keys.sql): ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const client = new Client({ connectionString: server.url });
    await client.connect();
    const res = await client.query('select table_name, max(rows)::float8 as rows, sum(uncompressed_bytes)::float8 as plain, sum(stored_bytes)::float8 as stored from tessera_storage_stats() group by table_name');
    await client.end();
    for (const r of res.rows) stored.set(r.table_name, { rows: Number(r.rows), plain: Number(r.plain), stored: Number(r.stored) });
    await timeQuery(server.url, scan, 1); // first run after the load: plans, JIT
    warm = (await timeQuery(server.url, scan, 3)).ms;
    for (let i = 0; i < 3; i++) {
      await server.restart();
      cold.push((await timeQuery(server.url, scan, 1)).first);
    }
    log(`Load average after load and queries: ${os.loadavg().map((x) => x.toFixed(2)).join(', ')}`);
  } finally {
    // Keep the directory: stop() only removes directories the helper made itself.
    await server.stop();
  }
  const mdb = fs.statSync(path.join(dir, 'data.mdb')).size;
  const du = Number(execSync(`du -sb ${dir}`).toString().split('\t')[0]);

  log('');
  log('## Bytes on disk');
  log('');
  log('Raw = the .tbl file (dbgen text, `|`-separated). Stored = sum of the column chunks\' bytes (`tessera_storage_stats().stored_bytes`); plain = the values\' uncompressed in-memory size (rows × width, strings\' UTF-8 bytes, same view).');
  log('');
  log('| table | rows | raw .tbl MB | plain MB | stored MB | raw / stored | plain / stored |');
  log('|---|---:|---:|---:|---:|---:|---:|');
  let rawTotal = 0;
  let storedTotal = 0;
  let plainTotal = 0;
  for (const t of TABLES) {
    const raw = fs.statSync(tableFile(sf, t)!).size;
    const s = stored.get(t)!;
    rawTotal += raw;
    storedTotal += s.stored;
    plainTotal += s.plain;
    log(`| ${t} | ${s.rows} | ${mb(raw)} | ${mb(s.plain)} | ${mb(s.stored)} | ${(raw / s.stored).toFixed(2)}× | ${(s.plain / s.stored).toFixed(2)}× |`);
  }
  log(`| **total** | | ${mb(rawTotal)} | ${mb(plainTotal)} | ${mb(storedTotal)} | **${(rawTotal / storedTotal).toFixed(2)}×** | ${(plainTotal / storedTotal).toFixed(2)}× |`);
  log('');
  log(`Whole data directory (\`du -sb\`): ${mb(du)} MB, of which LMDB's data.mdb ${mb(mdb)} MB → raw .tbl / directory = **${(rawTotal / du).toFixed(2)}×**. The directory also holds the primary-key and sorted indexes, per-group statistics, the catalog, and LMDB's B-tree pages and free pages.`);

  // Decode speed: lineitem's chunks as stored and re-encoded raw.
  const store = await TableStore.open({ dir, cache: new SharedChunkCache(makePool<Vector>('lru', 1 << 20)), synchronousCommit: false });
  const def = store.catalog().tables().find((t) => t.name === 'lineitem')!;
  // A group a COPY spilled before its commit keeps its chunks under the spill's keys (spilled-groups.ts).
  const keys = store.storedChunkKeys(def.id);
  await store.close();
  const kv = new LmdbKv(dir, false);
  const chunks: Chunk[] = [];
  for (let c = 0; c < def.columns.length; c++) {
    for (const key of keys[c]) {
      const buf = kv.get(key);
      if (buf === undefined) throw new Error(`chunk ${key} of lineitem is missing`);
      const compressed = Buffer.from(buf); // owned copy, outside LMDB's map
      const type = def.columns[c].type;
      const info = chunkInfo(compressed);
      chunks.push({ type, plainBytes: info.uncompressedBytes, rows: info.rows, compressed, raw: encodeChunkRaw(decodeChunk(compressed, type)) });
    }
  }
  await kv.close();
  fs.rmSync(dir, { recursive: true, force: true });

  log('');
  log('## Scan query, lineitem');
  log('');
  log(`\`${scan}\`: warm (chunks in the buffer pool) best ${Math.min(...warm).toFixed(0)} ms of [${warm.map((x) => x.toFixed(0)).join(', ')}]; cold (first query after a restart: every chunk read from LMDB and decoded; a new server process, so its JIT is cold too; OS page cache not dropped) best ${Math.min(...cold).toFixed(0)} ms of [${cold.map((x) => x.toFixed(0)).join(', ')}].`);
  log('');
  log(`## Chunk decode speed, lineitem (${chunks.length} chunks, best of ${reps})`);
  log('');
  log('Compressed = the chunks as stored. Uncompressed = the same vectors written in the same version-2 chunk format with every stream raw (values at their typed-array width: int4 and date 4 B, numeric 8 B plus 1 B of display scale where stored; strings as a dictionary of UTF-8 bytes not deflated, plus int32 codes). Both decoded by `decodeChunk` (src/storage/chunk-codec.ts), which verifies the chunk checksum first (FNV-1a over every byte, timed separately below). MB/s is over the plain size (rows × width, strings\' UTF-8 bytes), the same numerator for both forms.');
  log('');
  log('| type class | columns × chunks | stored MB | uncompressed MB | ratio | compressed rows/s | compressed plain MB/s | uncompressed rows/s | uncompressed plain MB/s | compressed / uncompressed time | checksum share (c / u) |');
  log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const classes = [...new Set(chunks.map((c) => typeClass(c.type)))].sort();
  const rowsOf = (list: Chunk[]) => list.reduce((s, c) => s + c.rows, 0);
  for (const cls of [...classes, 'all']) {
    const list = cls === 'all' ? chunks : chunks.filter((c) => typeClass(c.type) === cls);
    const rows = rowsOf(list);
    const plain = list.reduce((s, c) => s + c.plainBytes, 0);
    const comp = timeDecode(list, (c) => c.compressed, reps);
    const raw = timeDecode(list, (c) => c.raw, reps);
    const cols = def.columns.filter((c) => cls === 'all' || typeClass(c.type) === cls).length;
    const storedBytes = list.reduce((s, c) => s + c.compressed.length, 0);
    const rawBytes = list.reduce((s, c) => s + c.raw.length, 0);
    log(`| ${cls === 'all' ? '**all**' : cls} | ${cols} × ${list.length / cols} | ${mb(storedBytes)} | ${mb(rawBytes)} | ${(rawBytes / storedBytes).toFixed(2)}× | ${(rows / comp.decode / 1e6).toFixed(1)} M | ${(plain / comp.decode / 1e6).toFixed(0)} | ${(rows / raw.decode / 1e6).toFixed(1)} M | ${(plain / raw.decode / 1e6).toFixed(0)} | ${(comp.decode / raw.decode).toFixed(2)}× | ${((100 * comp.sum) / comp.decode).toFixed(0)}% / ${((100 * raw.sum) / raw.decode).toFixed(0)}% |`);
  }
  log('');
  log(`Load average at the end: ${os.loadavg().map((x) => x.toFixed(2)).join(', ')} (2 cores shared with other work: timings are best-of, still noisy).`);
  if (out !== '') fs.writeFileSync(out, lines.join('\n') + '\n');
}

main().catch((err) => {
  console.error(`compression-bench: ${(err as Error).stack}`);
  process.exit(1);
});
