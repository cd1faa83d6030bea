// npm run tpch:load -- --port N --sf N [--replace] [--stream]
// Loads TPC-H into an already running server (Tessera or PostgreSQL) on 127.0.0.1:<port>, as user
// postgres, database postgres. Refuses a database that already holds TPC-H rows unless --replace.
import { loadTpch } from './load';

async function main(): Promise<void> {
  let port = 0;
  let sf = '0.01';
  let replace = false;
  let stream = false;
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--port') port = Number(argv[++i]);
    else if (a === '--sf') sf = String(Number(argv[++i]));
    else if (a === '--replace') replace = true;
    else if (a === '--stream') stream = true;
    else throw new Error(`unknown option ${a} (use --port N --sf N --replace --stream)`);
  }
  if (!(port > 0)) throw new Error('--port is required');
  const start = performance.now();
  const timings = await loadTpch(port, sf, (line) => console.log(line), { replace, stream });
  const rows = timings.reduce((n, t) => n + t.rows, 0);
  console.log(`loaded ${rows} rows in ${((performance.now() - start) / 1000).toFixed(1)} s`);
}

main().catch((err) => {
  console.error(`tpch:load: ${(err as Error).message}`);
  process.exit(1);
});
