// npm run tpch:gen -- --sf N --out DIR [--workers N]
// Writes the eight TPC-H tables as dbgen-identical .tbl files. Progress updates in place on a
// terminal and as plain lines otherwise.
import * as path from 'path';
import { generateFiles, progressPrinter } from './files';

function parseArgs(argv: string[]): { sf: number; out: string; workers?: number } {
  let sf = 1;
  let out: string | null = null;
  let workers: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--sf') sf = Number(argv[++i]);
    else if (a === '--out') out = path.resolve(argv[++i]);
    else if (a === '--workers') workers = Number(argv[++i]);
    else throw new Error(`unknown option ${a} (use --sf N --out DIR [--workers N])`);
  }
  if (!(sf > 0)) throw new Error('--sf needs a positive number');
  return { sf, out: out ?? path.resolve(`tpch-sf${sf}`), workers };
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const start = performance.now();
  const seconds = () => (performance.now() - start) / 1000;
  console.log(`generating TPC-H SF ${o.sf} into ${o.out}`);
  await generateFiles(o.sf, o.out, { workers: o.workers, onProgress: progressPrinter((line) => console.log(line)) });
  console.log(`done in ${seconds().toFixed(1)} s`);
}

main().catch((err) => {
  console.error(`tpch:gen: ${(err as Error).message}`);
  process.exit(1);
});
