// node dist/bench/tpch/check-answers.js --port N --answers DIR [--queries q01,q06,q14] [--timeout S] [--runs N] [--sf N]
// Runs TPC-H queries on a running server (Tessera or PostgreSQL, 127.0.0.1, user postgres) and
// compares each answer with the one saved in DIR (e.g. by `run.js --save-answers DIR`) under the
// TPC-H rules (compare-answers.ts). Used at SF 10, where no reference answers exist: the same
// queries on PostgreSQL 15 loaded with the same data, or on Tessera with another buffer pool size or
// worker count, must give what the saved run gave. Exit code 1 when any answer differs.
import * as fs from 'fs';
import * as path from 'path';
import { compareAnswer } from './compare-answers';
import { queryNames, runQueries } from './run-queries';

async function main(): Promise<void> {
  let port = 0;
  let answers = '';
  let only = queryNames();
  let timeout = 0;
  let runs = 0;
  let sf = 1;
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--port') port = Number(argv[++i]);
    else if (a === '--answers') answers = path.resolve(argv[++i]);
    else if (a === '--queries') only = argv[++i].split(',');
    else if (a === '--timeout') timeout = Number(argv[++i]);
    else if (a === '--runs') runs = Number(argv[++i]);
    else if (a === '--sf') sf = Number(argv[++i]);
    else throw new Error(`unknown option ${a} (use --port N --answers DIR --queries q01,q06 --timeout S --runs N --sf N)`);
  }
  if (!(port > 0) || answers === '') throw new Error('--port and --answers are required');
  const timings = await runQueries(port, runs, (l) => console.log(l), { timeoutSeconds: timeout, only, sf });
  let bad = 0;
  for (const t of timings) {
    const saved = fs.readFileSync(path.join(answers, `${t.query}.out`), 'utf8');
    const problem = t.error !== null ? `error: ${t.error}` : t.timedOut ? 'timed out' : compareAnswer(t.query, saved, t.output);
    if (problem !== null) bad++;
    console.log(`${t.query}: ${problem === null ? 'same answer' : `DIFFERS: ${problem.split('\n')[0]}`} (${t.medianMs.toFixed(0)} ms)`);
  }
  console.log(`${timings.length - bad} of ${timings.length} answers equal the saved ones`);
  if (bad > 0) process.exitCode = 1;
}

main().catch((err) => {
  console.error(`check-answers: ${(err as Error).message}`);
  process.exit(1);
});
