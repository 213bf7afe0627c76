#!/usr/bin/env bash
# The order-throughput figures of the README's performance section, in one sitting:
# `npm run bench` at several client counts against a fresh server on PostgreSQL and on the
# embedded database, and pgbench (TPC-B) on the same PostgreSQL for context.
#
#   scripts/bench-matrix.sh [clients…]        default: 1 4 16 64
#   env: PGSERVER (default postgres://postgres@127.0.0.1:5432, used for setup),
#        PGSOCKET (default /var/run/postgresql if it exists: the server and pgbench connect
#        through this Unix socket, as a server on the database's machine would; empty = TCP),
#        DURATION (10), PORT (5790)
# The server is what `npm start` runs (build/src/main.js) with its default settings.
set -euo pipefail
cd "$(dirname "$0")/.."
CLIENTS=("${@:-1 4 16 64}")
read -r -a CLIENTS <<< "${CLIENTS[*]}"
PGSERVER=${PGSERVER:-postgres://postgres@127.0.0.1:5432}
if [ -z "${PGSOCKET+set}" ] && [ -S /var/run/postgresql/.s.PGSQL.5432 ]; then PGSOCKET=/var/run/postgresql; fi
PGSOCKET=${PGSOCKET:-}
DURATION=${DURATION:-10}
PORT=${PORT:-5790}
DB=bookstore_bench_$$
OUT=$(mktemp -d)
SERVER_PID=

stop_server() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null; SERVER_PID=; }
cleanup() { stop_server; psql "$PGSERVER/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true; rm -rf "$OUT/data"; }
trap cleanup EXIT

start_server() { # $1: DATABASE_URL or empty for the embedded database
  rm -rf "$OUT/data"
  DATABASE_URL="$1" PORT=$PORT BOOKSTORE_DATA_DIR="$OUT/data" node --enable-source-maps build/src/main.js >"$OUT/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && return 0; sleep 0.5; done
  cat "$OUT/server.log"; echo "server did not start" >&2; exit 1
}

run_bench() { # $1: label, $2: clients
  node build/tools/order-bench/run-bench.js --url "http://127.0.0.1:$PORT" --concurrency "$2" \
    --duration "$DURATION" --warmup 3 --json --quiet >"$OUT/$1-$2.json"
}

db_url() { # the server's DATABASE_URL for database $1 (a `host` parameter overrides the URL's host)
  echo "$PGSERVER/$1${PGSOCKET:+?host=$PGSOCKET}"
}

npm run build --silent
for kind in postgres embedded; do
  if [ $kind = postgres ]; then
    psql "$PGSERVER/postgres" -qc "CREATE DATABASE $DB"
    start_server "$(db_url $DB)"
  else
    start_server ""
  fi
  for c in "${CLIENTS[@]}"; do echo "bench: $kind, $c clients" >&2; run_bench $kind "$c"; done
  stop_server
done

psql "$PGSERVER/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
pgbench -q -i -s 10 "$PGSERVER/$DB" >/dev/null 2>&1
for c in "${CLIENTS[@]}"; do
  echo "pgbench: $c clients" >&2
  pgbench -c "$c" -j 2 -T "$DURATION" "$(db_url $DB)" 2>/dev/null | awk '/^tps/ {print $3}' >"$OUT/pgbench-$c.txt"
done

node - "$OUT" "${CLIENTS[@]}" <<'JS'
const fs = require('node:fs');
const [dir, ...clients] = process.argv.slice(2);
const row = (kind, c) => {
  const r = JSON.parse(fs.readFileSync(`${dir}/${kind}-${c}.json`, 'utf8'));
  const l = (e) => `${r.latencyMs[e].p50Ms} / ${r.latencyMs[e].p95Ms} / ${r.latencyMs[e].p99Ms}`;
  const mem = r.serverMemory === 'n/a' ? 'n/a' : `${r.serverMemory.peakMb}`;
  const failed = r.transactionsFailed ?? r.throughput.transactionsFailed;
  return `| ${kind} | ${c} | ${r.throughput.ordersPerSecond} | ${l('new_order')} | ${l('payment')} | ${mem} | ${failed} | ${r.verdict} |`;
};
console.log('| database | clients | orders/s | new_order p50 / p95 / p99 ms | payment p50 / p95 / p99 ms | server peak RSS MB | failed | checks |');
console.log('|---|---|---|---|---|---|---|---|');
for (const kind of ['postgres', 'embedded']) for (const c of clients) console.log(row(kind, c));
console.log('\n| pgbench TPC-B (scale 10), clients | ' + clients.join(' | ') + ' |');
console.log('|---' + '|---'.repeat(clients.length) + '|');
console.log('| TPS | ' + clients.map((c) => Number(fs.readFileSync(`${dir}/pgbench-${c}.txt`, 'utf8').trim()).toFixed(0)).join(' | ') + ' |');
JS
