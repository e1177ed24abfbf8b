#!/usr/bin/env bash
# API acceptance with the load generator in a process of its own (wrk, from Debian's
# packages), so the server is not sharing its process with 32 reqwest clients as in
# examples/loadtest.rs. Starts `hookline serve --role api` on a fresh SQLite data directory
# (or on $HOOKLINE_DATABASE_URL), one application with one endpoint, then POSTs 1 KiB
# messages for $SECS seconds over $CONNS connections.
#
# Run: bench/acceptance.sh [seconds] [connections]   (after cargo build --release -p hookline)
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-10}
CONNS=${2:-32}
BIN=${CARGO_TARGET_DIR:-target}/release/hookline
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
[ -x "$BIN" ] || cargo build --release -p hookline
DIR=$(mktemp -d)
export HOOKLINE_BENCH_TOKEN=hk_bench-token-0123456789abcdef
HOOKLINE_ADMIN_TOKEN=$HOOKLINE_BENCH_TOKEN HOOKLINE_LOG=error \
  "$BIN" serve --role api --listen 127.0.0.1:0 --data-dir "$DIR" > "$DIR/out" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$DIR"' EXIT
for _ in $(seq 1 100); do grep -q 'listening on' "$DIR/out" && break; sleep 0.1; done
BASE=$(sed -n 's/^Hookline listening on //p' "$DIR/out")
auth=(-H "Authorization: Bearer $HOOKLINE_BENCH_TOKEN" -H 'Content-Type: application/json')
curl -sf "${auth[@]}" "$BASE/api/v1/app" -d '{"name":"load","uid":"load"}' >/dev/null
curl -sf "${auth[@]}" "$BASE/api/v1/app/load/endpoint" -d '{"url":"http://127.0.0.1:9/unused"}' >/dev/null
STORE="embedded SQLite"; [ -n "${HOOKLINE_DATABASE_URL:-}" ] && STORE=PostgreSQL
echo "store: $STORE; $CONNS connections, $SECS s"
wrk -t1 -c"$CONNS" -d"${SECS}s" -s bench/acceptance.lua "$BASE"
echo "peak RSS of the server: $(awk '/VmHWM/ {printf "%.0f MiB", $2/1024}' /proc/$PID/status)"
