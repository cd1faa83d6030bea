// npm run build && node dist/bench/storage/size-bench.js --sf 0.1 [--dir DIR]
// Measures what column compression changes: loads TPC-H into a kept data directory, prints load time,
// the directory's size (du), the storage view's totals (when the server has it), then the 22 queries'
// total time warm (chunks cached by the load) and cold (after a restart, so every chunk is decoded).
import { execSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startTestServer } from '../../test/helpers/test-server';
import { ensureData } from '../tpch/data-source';
import { loadTpch, psql } from '../tpch/load';
import { runQueries } from '../tpch/run-queries';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let sf = '0.1';
  let dir = '';
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--sf') sf = String(Number(argv[++i]));
    else if (argv[i] === '--dir') dir = path.resolve(argv[++i]);
    else throw new Error(`unknown option ${argv[i]}`);
  }
  if (dir === '') dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-size-'));
  const log = (line: string) => console.log(line);
  await ensureData(sf, () => undefined);
  const server = await startTestServer({ dataDir: dir, settings: { buffer_pool_size: '2GB' } });
  try {
    const t0 = Date.now();
    const load = await loadTpch(server.port, sf, () => undefined);
    log(`load: ${((Date.now() - t0) / 1000).toFixed(1)} s wall, ${load.reduce((s, l) => s + l.seconds, 0).toFixed(1)} s summed over tables`);
    const warm = await runQueries(server.port, 1, () => undefined);
    log(`queries warm: ${warm.reduce((s, q) => s + q.medianMs, 0).toFixed(0)} ms total (${warm.filter((q) => q.error !== null).length} errors)`);
    await server.restart();
    const cold = await runQueries(server.port, 1, () => undefined);
    log(`queries cold (after restart): ${cold.reduce((s, q) => s + q.medianMs, 0).toFixed(0)} ms total`);
    const again = await runQueries(server.port, 1, () => undefined);
    log(`queries warm again: ${again.reduce((s, q) => s + q.medianMs, 0).toFixed(0)} ms total`);
    log(`du -sh: ${execSync(`du -sh ${dir}`).toString().trim()}`);
    log(`du -sb: ${execSync(`du -sb ${dir}`).toString().trim()}`);
    try {
      const out = await psql(server.port, ['-c', "SELECT table_name, sum(uncompressed_bytes) AS raw, sum(stored_bytes) AS stored, round(sum(uncompressed_bytes)::numeric / sum(stored_bytes), 2) AS ratio FROM tessera_storage_stats() GROUP BY table_name ORDER BY 1"]);
      log(out);
      log(await psql(server.port, ['-c', 'SELECT sum(uncompressed_bytes) AS raw, sum(stored_bytes) AS stored, round(sum(uncompressed_bytes)::numeric / sum(stored_bytes), 2) AS ratio FROM tessera_storage_stats()']));
    } catch (e) {
      log(`no storage view: ${(e as Error).message.split('\n')[0]}`);
    }
  } finally {
    await server.stop();
  }
}

main().catch((err) => {
  console.error(`size-bench: ${(err as Error).message}`);
  process.exit(1);
});
