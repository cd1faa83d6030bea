// node dist/bench/tpch/copy-parse-cpu.js --table part [--data DIR] [--workers 2] [--runs 6]
// CPU cost of COPY's text parsing, in-process (no server, no psql): one TPC-H table's .tbl file is
// parsed in 64 kB pieces, each full row group encoded and its statistics collected, either serially
// on this thread (CopyTextBytes, then the chunk encoder and collectGroupStats, as COPY's serial path
// does) or through the parallel parser's workers (ParallelCopyText, --workers N). Prints wall time
// and the CPU time of every thread of the process (Linux /proc/self/task), per run: on a machine
// shared with other work the CPU times say more than the wall time.
import * as fs from 'fs';
import * as path from 'path';
import { CopyTextBytes } from '../../src/engine/copy-text-bytes';
import { ParallelCopyText } from '../../src/engine/copy-parallel';
import { CopyOptions } from '../../src/sql/bound-statement';
import { DataType, charType, dataType, numericType } from '../../src/types/data-type';
import { DEFAULT_FORMAT } from '../../src/types/text-format';
import { VectorBuilder } from '../../src/types/vector-builder';
import { Vector } from '../../src/types/vector';
import { stringBytesOf } from '../../src/types/string-bytes';
import { ROW_GROUP_ROWS } from '../../src/storage/api';
import { encodeChunk, encodeChunkFromBytes } from '../../src/storage/chunk-codec';
import { collectGroupStats } from '../../src/storage/column-stats';

/** Column types of bench/tpch/schema.sql: i = integer, n = numeric(15,2), d = date, cN = char(N), vN = varchar(N). */
const SCHEMA: Record<string, string> = {
  region: 'i c25 v152',
  nation: 'i c25 i v152',
  part: 'i v55 c25 c10 v25 i c10 n v23',
  supplier: 'i c25 v40 i c15 n v101',
  partsupp: 'i i i n v199',
  customer: 'i v25 v40 i c15 n c10 v117',
  orders: 'i i c1 n d c15 c15 i v79',
  lineitem: 'i i i i n n n n c1 c1 d d d c25 c10 v44',
};

function typeOf(s: string): DataType {
  if (s === 'i') return dataType('int4');
  if (s === 'n') return numericType(15, 2);
  if (s === 'd') return dataType('date');
  return charType(s[0] === 'c' ? 'bpchar' : 'varchar', Number(s.slice(1)));
}

/** CPU milliseconds of every thread of this process, by thread id. */
function threadCpu(): Map<string, number> {
  const out = new Map<string, number>();
  for (const t of fs.readdirSync('/proc/self/task')) {
    try {
      const f = fs.readFileSync(`/proc/self/task/${t}/stat`, 'utf8').split(') ')[1].split(' ');
      out.set(t, (Number(f[11]) + Number(f[12])) * 10);
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

function encodeGroup(vectors: Vector[]): void {
  for (const v of vectors) {
    const form = v.kind === 'string' ? stringBytesOf(v) : undefined;
    if (form !== undefined && v.kind === 'string') encodeChunkFromBytes(v, form);
    else encodeChunk(v);
  }
  collectGroupStats(vectors);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let table = 'part';
  let data = '/work/main/bench/tpch/data/sf1';
  let workers = 0;
  let runs = 6;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--table') table = argv[++i];
    else if (argv[i] === '--data') data = argv[++i];
    else if (argv[i] === '--workers') workers = Number(argv[++i]);
    else if (argv[i] === '--runs') runs = Number(argv[++i]);
    else throw new Error(`unknown option ${argv[i]} (--table T --data DIR --workers N --runs N)`);
  }
  const types = SCHEMA[table].split(' ').map(typeOf);
  const names = types.map((_, i) => `c${i}`);
  // dbgen ends every line with the delimiter: dropped, as bench/tpch/data-source.ts does for COPY.
  const input = Buffer.from(fs.readFileSync(path.join(data, `${table}.tbl`), 'latin1').replace(/\|\n/g, '\n'), 'latin1');
  const options: CopyOptions = { format: 'text', delimiter: '|', header: false, null: '\\N', quote: '"', escape: '"' };
  console.log(`${table}: ${input.length} bytes, ${workers >= 2 ? `${workers} parse workers` : 'serial'}`);
  for (let run = 0; run < runs; run++) {
    const before = threadCpu();
    const start = performance.now();
    let rows = 0;
    if (workers >= 2) {
      const p = new ParallelCopyText({ options, types, fs: DEFAULT_FORMAT, columnNames: names, tableName: table, workers, firstBlockRows: ROW_GROUP_ROWS, store: (_v, n) => (rows += n) });
      for (let at = 0; at < input.length; at += 65536) {
        p.push(input.subarray(at, at + 65536));
        const ready = p.ready();
        if (ready !== null) await ready;
      }
      await p.finish();
    } else {
      const builders = types.map((t) => new VectorBuilder(t, DEFAULT_FORMAT, ROW_GROUP_ROWS));
      const flush = () => (builders[0].length > 0 ? encodeGroup(builders.map((b) => b.finish(true))) : undefined);
      const p = new CopyTextBytes(options, { builders, columnNames: names, tableName: table, rowDone: () => (++rows, builders[0].length >= ROW_GROUP_ROWS ? flush() : undefined) });
      for (let at = 0; at < input.length; at += 65536) p.push(input.subarray(at, at + 65536));
      p.finish();
      flush();
    }
    const wall = performance.now() - start;
    const after = threadCpu();
    const main = after.get(String(process.pid))! - (before.get(String(process.pid)) ?? 0);
    let all = 0;
    for (const [t, ms] of after) all += ms - (before.get(t) ?? 0);
    console.log(`run ${run + 1}: ${rows} rows, wall ${wall.toFixed(0)} ms, CPU main thread ${main} ms, all threads ${all} ms (load ${(fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0])})`);
  }
  process.exit(0);
}

main().catch((err) => {
  console.error(`copy-parse-cpu: ${(err as Error).message}`);
  process.exit(1);
});
