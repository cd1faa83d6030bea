#!/bin/sh
# Alternating pgbench runs of two builds (bench/results/commit-overlap.md):
#   sh bench/commit-overlap/alternate.sh <base worktree> <branch worktree> <pairs> <out dir>
# Each run: node dist/bench/pgbench/run.js --scale 10 --time 30 --only tessera in that worktree,
# its output and the load average before and after saved as <out dir>/<pair>-<base|branch>.txt,
# the results table it wrote as <pair>-<base|branch>.md.
set -e
base=$1; branch=$2; pairs=$3; out=$4
mkdir -p "$out"
i=1
while [ "$i" -le "$pairs" ]; do
  for which in base branch; do
    if [ "$which" = base ]; then dir=$base; else dir=$branch; fi
    f="$out/$i-$which.txt"
    echo "commit $(git -C "$dir" rev-parse --short HEAD) $(git -C "$dir" diff --quiet || echo '(with uncommitted changes)')" > "$f"
    echo "load before: $(cat /proc/loadavg)" >> "$f"
    (cd "$dir" && node dist/bench/pgbench/run.js --scale 10 --time 30 --only tessera) >> "$f" 2>&1
    echo "load after: $(cat /proc/loadavg)" >> "$f"
    # run.js rewrites bench/results/pgbench-s10-T30.* (its table, pgbench -r lines, CPU ms per
    # transaction): keep a copy beside the output, and the committed files in the worktree.
    cp "$dir/bench/results/pgbench-s10-T30.md" "$out/$i-$which.md" 2>/dev/null || true
    git -C "$dir" checkout -q -- bench/results 2>/dev/null || true
  done
  i=$((i + 1))
done
