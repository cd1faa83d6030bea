#!/bin/sh
# Regenerates <folder>/expected.out for test/e2e/psql-scripts.test.ts: runs <folder>/script.sql with
# psql 15 against a fresh PostgreSQL 15 cluster initialised with the C locale (Tessera's collation),
# listening only on a Unix socket in a temporary directory, port ${2:-55499}.
# Usage: test/e2e/regenerate-expected.sh psql-meta|psql-ddl|psql [port]   (as root; needs /usr/lib/postgresql/15/bin)
set -e
DIR=$(cd "$(dirname "$0")/$1" && pwd)
PORT=${2:-55499}
TMP=$(mktemp -d)
chown postgres "$TMP"
BIN=/usr/lib/postgresql/15/bin
su postgres -c "$BIN/initdb -D $TMP/d -A trust -U postgres --locale=C --encoding=UTF8" > /dev/null
su postgres -c "$BIN/pg_ctl -D $TMP/d -o '-p $PORT -k $TMP -c listen_addresses=' -l $TMP/log -w start" > /dev/null
psql -X -h "$TMP" -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=0 -f "$DIR/script.sql" 2>&1 \
  | sed -e "s|$DIR/script.sql|SCRIPT|g" -e 's/^Time: [0-9.]* ms$/Time: N ms/' > "$DIR/expected.out"
su postgres -c "$BIN/pg_ctl -D $TMP/d -m fast stop" > /dev/null
rm -rf "$TMP"
echo "wrote $DIR/expected.out"
