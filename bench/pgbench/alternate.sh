#!/bin/bash
# Before/after pgbench runs of two builds, alternated (A, B, A, B, ...), so load drift on a shared
# machine falls on both alike: each run is `npm run bench:pgbench -- --scale S --time T --only tessera`
# in that build's worktree (each built with `npm run build`), and one line per run gives its TPS,
# the server's CPU ms per transaction and the 1-minute load average at start and end.
#
#   bench/pgbench/alternate.sh <worktree A> <worktree B> [pairs 3] [time 20] [scale 10]
set -e
A=$1; B=$2; PAIRS=${3:-3}; TIME=${4:-20}; SCALE=${5:-10}
[ -d "$A" ] && [ -d "$B" ] || { echo "usage: $0 <worktree A> <worktree B> [pairs] [time] [scale]"; exit 2; }
run() {
  local w=$1
  (cd "$w" && npm run bench:pgbench -- --scale "$SCALE" --time "$TIME" --only tessera > /tmp/alternate-$$.log 2>&1) || { cat /tmp/alternate-$$.log; exit 1; }
  node -e '
    const r = require(process.argv[1]).results[0];
    const commit = require("child_process").execFileSync("git", ["-C", process.argv[2], "rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
    console.log(`${commit} (${process.argv[2]}): ${r.tps.toFixed(1)} TPS, ${r.serverCpuMsPerTxn.toFixed(3)} ms server CPU/txn, failed ${r.failed}, invariants ${r.invariantsHold ? "hold" : "BROKEN"}, load ${r.load[0].toFixed(2)} -> ${r.load[1].toFixed(2)}`);
  ' "$w/bench/results/pgbench-s$SCALE-T$TIME.json" "$w"
}
for i in $(seq 1 "$PAIRS"); do
  run "$A"
  run "$B"
done
rm -f /tmp/alternate-$$.log
