#!/usr/bin/env bash
# npm run cluster:test — the scale-out test of issue 11 (see docs/scaling.md). Needs root.
# Installs haproxy and pgbouncer from Debian if missing, builds, runs the TypeScript harness
# (build/tools/cluster/main.js) and, whatever happens to it, removes what it created.
set -uo pipefail
cd "$(dirname "$0")/../.."

if [ "$(id -u)" -ne 0 ]; then
  echo "cluster:test must run as root (network namespaces, cgroups, its own PostgreSQL)" >&2
  exit 2
fi

missing=()
command -v haproxy >/dev/null 2>&1 || missing+=(haproxy)
command -v pgbouncer >/dev/null 2>&1 || missing+=(pgbouncer)
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing ${missing[*]} from Debian"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null || {
    echo "could not install ${missing[*]}" >&2
    exit 2
  }
fi
for tool in /usr/lib/postgresql/15/bin/initdb /usr/lib/postgresql/15/bin/pg_basebackup nsenter setpriv ip; do
  command -v "$tool" >/dev/null 2>&1 || { echo "cluster:test needs $tool" >&2; exit 2; }
done

npm run build --silent || exit 2

STATE=$(mktemp -d /tmp/bookstore-cluster.XXXXXX)
# The harness cleans up after itself, also on Ctrl-C; this catches what a killed harness left.
cleanup() { node build/tools/cluster/cleanup.js "$STATE" || rm -rf "$STATE"; }
trap cleanup EXIT
HARNESS=
INTERRUPTED=
# A signal to this script is passed on to the harness, which stops the cluster and cleans up;
# we keep waiting for it so the two cleanups never run at the same time.
forward() { INTERRUPTED=1; [ -n "$HARNESS" ] && kill -TERM "$HARNESS" 2>/dev/null; }
trap forward INT TERM HUP

node --enable-source-maps build/tools/cluster/main.js "$STATE" &
HARNESS=$!
while :; do
  wait "$HARNESS"
  code=$?
  kill -0 "$HARNESS" 2>/dev/null || break
done
[ -n "$INTERRUPTED" ] && code=130
exit "$code"
