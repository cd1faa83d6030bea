// The statement path of a TPC-B transaction, in process: pgbench's seven simple-query strings
// (fresh random literals each time) go through EngineSession.parseSimple/execute exactly as the
// wire server sends them, on an in-memory database (no fsync, no sockets), with the statement cache
// (plan_cache_mode = auto) and without it (force_custom_plan), alternating, each on a fresh
// database (tables grow as the transactions run), best of several rounds.
// Reports the process's CPU time per transaction: what parsing, binding and planning cost beside
// execution and commit, less sensitive to other load on the machine than TPS.
//
//   node dist/bench/pgbench/statement-path.js [--accounts 100000] [--transactions 2000] [--rounds 3] [--only auto|force_custom_plan]
import { Database } from '../../src/engine/database';
import { EngineSession } from '../../src/engine/session';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

async function run(session: EngineSession, sql: string): Promise<void> {
  for (const stmt of session.parseSimple(sql)) await session.execute(stmt, []);
  await session.endOfCommandGroup();
}

async function main(): Promise<void> {
  const accounts = option('accounts', 100000);
  const transactions = option('transactions', 2000);
  const rounds = option('rounds', 3);
  const branches = Math.max(1, Math.round(accounts / 100000));
  const fresh = async (): Promise<Database> => {
    const db = await Database.open({ dir: ':memory:' });
    const setup = db.createSession({ user: 'postgres', database: 'postgres' });
    await run(
      setup,
      `create table pgbench_branches (bid int not null primary key, bbalance int, filler char(88));
       create table pgbench_tellers (tid int not null primary key, bid int, tbalance int, filler char(84));
       create table pgbench_accounts (aid int not null primary key, bid int, abalance int, filler char(84));
       create table pgbench_history (tid int, bid int, aid int, delta int, mtime timestamp, filler char(22));
       insert into pgbench_branches select g, 0, '' from generate_series(1, ${branches}) g;
       insert into pgbench_tellers select g, (g - 1) / 10 + 1, 0, '' from generate_series(1, ${branches * 10}) g;
       insert into pgbench_accounts select g, (g - 1) / 100000 + 1, 0, '' from generate_series(1, ${accounts}) g`,
    );
    await setup.close();
    return db;
  };
  const random = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo + 1));
  const transaction = async (s: EngineSession) => {
    const aid = random(1, accounts);
    const bid = random(1, branches);
    const tid = random(1, branches * 10);
    const delta = random(-5000, 5000);
    await run(s, 'BEGIN;');
    await run(s, `UPDATE pgbench_accounts SET abalance = abalance + ${delta} WHERE aid = ${aid};`);
    await run(s, `SELECT abalance FROM pgbench_accounts WHERE aid = ${aid};`);
    await run(s, `UPDATE pgbench_tellers SET tbalance = tbalance + ${delta} WHERE tid = ${tid};`);
    await run(s, `UPDATE pgbench_branches SET bbalance = bbalance + ${delta} WHERE bid = ${bid};`);
    await run(s, `INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (${tid}, ${bid}, ${aid}, ${delta}, CURRENT_TIMESTAMP);`);
    await run(s, 'END;');
  };
  const best = new Map<string, { cpu: number; wall: number }>();
  for (let round = 0; round < rounds; round++) {
    const only = process.argv.indexOf('--only');
    const modes = only >= 0 ? [process.argv[only + 1]] : round % 2 === 0 ? ['force_custom_plan', 'auto'] : ['auto', 'force_custom_plan'];
    for (const mode of modes) {
      const db = await fresh();
      const s = db.createSession({ user: 'postgres', database: 'postgres' });
      await run(s, `SET plan_cache_mode = ${mode}`);
      for (let i = 0; i < 200; i++) await transaction(s); // warm-up (and the cache's first sightings)
      const cpu0 = process.cpuUsage();
      const wall0 = performance.now();
      for (let i = 0; i < transactions; i++) await transaction(s);
      const cpu = process.cpuUsage(cpu0);
      const r = { cpu: (cpu.user + cpu.system) / transactions, wall: ((performance.now() - wall0) * 1000) / transactions };
      const hits = s.statementCache.hits;
      await s.close();
      await db.close();
      console.log(`round ${round + 1} ${mode.padEnd(17)} ${r.cpu.toFixed(0).padStart(6)} µs CPU/txn ${r.wall.toFixed(0).padStart(6)} µs wall/txn  cache hits ${hits}`);
      const b = best.get(mode);
      if (b === undefined || r.cpu < b.cpu) best.set(mode, r);
    }
  }
  const off = best.get('force_custom_plan');
  const on = best.get('auto');
  if (off === undefined || on === undefined) return;
  console.log(`best: ${off.cpu.toFixed(0)} µs CPU/txn without the statement cache, ${on.cpu.toFixed(0)} with it (${((100 * (off.cpu - on.cpu)) / off.cpu).toFixed(0)}% less)`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
