#!/usr/bin/env bash
# Usage: scripts/with-postgres.sh COMMAND [ARGS...]
# Starts a throwaway PostgreSQL server (Debian's postgresql) in a temporary directory on a free
# loopback port, as the unprivileged `postgres` user when run as root, runs COMMAND with
# TEST_PG_URL pointing at it, and stops and removes the server afterwards, whatever COMMAND did.
set -euo pipefail

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$pg_bin" ]; then
  echo "with-postgres: PostgreSQL is not installed (apt-get install postgresql)" >&2
  exit 1
fi

dir=$(mktemp -d /tmp/glance-share-pg.XXXXXX)
as_db_user() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
[ "$(id -u)" = 0 ] && chown postgres: "$dir"
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

as_db_user "$pg_bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >/dev/null
stop() {
  as_db_user "$pg_bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT
pg_options="-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300"
as_db_user "$pg_bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o "$pg_options" start >/dev/null
echo "with-postgres: PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (data in $dir)"

export TEST_PG_URL="postgres://postgres@127.0.0.1:$port/postgres"
# For tests that stop and restart the server under a running instance (test/api/lifecycle.test.ts).
export TEST_PG_DATA="$dir/data" TEST_PG_BIN="$pg_bin" TEST_PG_OPTIONS="$pg_options"
"$@"
