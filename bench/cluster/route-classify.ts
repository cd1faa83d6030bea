// The statement router's own work per unit on a follower (cluster/unit-side.ts unitFacts): reading a
// Query message and deciding whether the standby may run it. pgbench-style simple queries, each with
// other numeric literals (as pgbench sends them), so a cache of exact texts never hits. Microseconds per
// unit, best of `--rounds`; no server, no sockets.
//
//   node dist/bench/cluster/route-classify.js [--units 20000] [--rounds 5]
import { loadParser } from '../../src/sql/parse';
import { unitFacts } from '../../src/cluster/unit-side';
import { Msg, PgMessage, queryMessage } from '../../src/cluster/pg-messages';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

async function main(): Promise<void> {
  await loadParser();
  const units = arg('--units', 20000);
  const rounds = arg('--rounds', 5);
  const kinds: [string, (i: number) => string][] = [
    ['select', (i) => `SELECT abalance FROM pgbench_accounts WHERE aid = ${((i * 7919) % 1000000) + 1};`],
    ['update', (i) => `UPDATE pgbench_accounts SET abalance = abalance + ${(i % 5000) - 2500} WHERE aid = ${((i * 7919) % 1000000) + 1};`],
  ];
  for (const [name, text] of kinds) {
    // Different literals in every round, so no round sees texts an earlier one saw.
    let best = Infinity;
    for (let r = 0; r < rounds; r++) {
      const msgs: PgMessage[] = [];
      for (let i = 0; i < units; i++) msgs.push({ type: Msg.query, bytes: queryMessage(text(r * units + i)) });
      const t = process.hrtime.bigint();
      for (const m of msgs) unitFacts([m]);
      best = Math.min(best, Number(process.hrtime.bigint() - t) / 1000 / units);
    }
    console.log(`${name}: ${best.toFixed(2)} µs per unit (best of ${rounds} rounds of ${units})`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
