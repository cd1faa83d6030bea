// Records the buffer pool's chunk-access trace of the 22 TPC-H queries from a real server run:
// loads a scale factor into a fresh data directory, restarts the server on it with
// buffer_trace_file set (a cold pool, as after a restart), runs Q1..Q22 once each in order, stops
// the server (which writes the trace) and copies it to bench/buffer/traces/tpch-sf<N>.trace.
//   node dist/bench/buffer/record-tpch-trace.js [--sf 0.1]
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Client } from 'pg';
import { startTestServer } from '../../test/helpers/test-server';
import { ensureData } from '../tpch/data-source';
import { loadTpch } from '../tpch/load';
import { queryNames, querySql } from '../tpch/run-queries';

export function tracePath(sf: string): string {
  return path.resolve(__dirname, '../../../bench/buffer/traces', `tpch-sf${sf}.trace`);
}

export async function recordTpchTrace(sf: string, log: (line: string) => void): Promise<string> {
  await ensureData(sf, log);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-trace-'));
  const tmpTrace = path.join(dataDir, 'access.trace');
  try {
    const loader = await startTestServer({ dataDir, settings: { buffer_pool_size: '2GB' } });
    try {
      await loadTpch(loader.port, sf, log);
    } finally {
      await loader.stop();
    }
    const server = await startTestServer({ dataDir, settings: { buffer_pool_size: '2GB', buffer_trace_file: tmpTrace } });
    try {
      const client = new Client({ host: '127.0.0.1', port: server.port, user: 'postgres' });
      await client.connect();
      for (const name of queryNames()) {
        await client.query(querySql(name));
        log(`  ${name} recorded`);
      }
      await client.end();
    } finally {
      await server.stop();
    }
    const out = tracePath(sf);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.copyFileSync(tmpTrace, out);
    return out;
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const i = process.argv.indexOf('--sf');
  const sf = i >= 0 ? String(Number(process.argv[i + 1])) : '0.1';
  recordTpchTrace(sf, (l) => console.log(l)).then(
    (p) => console.log(`trace written to ${p}`),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
