#!/bin/bash
# bench/tpch/load-postgres.sh SOCKET_DIR PORT DATABASE TBL_DIR
# Loads TPC-H .tbl files into a running PostgreSQL 15 (created database DATABASE): one transaction
# per table (CREATE TABLE + server-side COPY FROM PROGRAM, so with wal_level=minimal the COPY skips
# WAL), then primary keys and ANALYZE (keys.sql). The server reads TBL_DIR itself (as the postgres
# user). Prints each step's seconds and the load average. Used for PostgreSQL's SF 10 answers
# (reference-answers.ts); see bench/results/tpch-sf10.md.
set -euo pipefail
SOCK=$1; PORT=$2; DB=$3; TBL=$4
HERE=$(cd "$(dirname "$0")" && pwd)
P="psql -v ON_ERROR_STOP=1 -h $SOCK -p $PORT -U postgres"
$P -q -c "create database $DB"
for t in region nation part supplier partsupp customer orders lineitem; do
  s=$(date +%s.%N)
  { echo "BEGIN;"; grep -i "CREATE TABLE $t " "$HERE/schema.sql"
    echo "COPY $t FROM PROGRAM 'sed ''s/|\$//'' $TBL/$t.tbl' WITH (FORMAT text, DELIMITER '|');"
    echo "COMMIT;"; } | $P -d "$DB" -q
  echo "$t $(echo "$(date +%s.%N) - $s" | bc) s, load average $(cut -d' ' -f1-3 /proc/loadavg)"
done
s=$(date +%s.%N)
$P -d "$DB" -q -f "$HERE/keys.sql"
echo "primary keys + ANALYZE $(echo "$(date +%s.%N) - $s" | bc) s, load average $(cut -d' ' -f1-3 /proc/loadavg)"
