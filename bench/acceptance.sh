#!/usr/bin/env bash
# API acceptance with the load generator in a process of its own (wrk, from Debian's
# packages), so the server is not sharing its process with 32 reqwest clients as in
# examples/loadtest/. Starts `hookline serve --role api` on a fresh SQLite data directory
# (or on $HOOKLINE_DATABASE_URL), one application with one endpoint, then POSTs 1 KiB
# messages for $SECS seconds over $CONNS connections.
#
# With --deliver: end to end instead. The server runs with its workers (`--role all`) and
# the endpoint is a receiver in a third process (`loadtest receive`, the harness's
# receiver); the figure is the messages accepted divided by the time from the start of the
# load until the receiver has them all. "Accepted" is the server's own count
# (hookline_messages_accepted_total); a request still open when wrk stops may be stored
# without being counted (its client left before the 202), so "delivered" can exceed it by
# up to the number of connections.
#
# ENDPOINTS=n gives the application n endpoints (each message goes to all of them: with
# --deliver, a fan-out; "accepted" then counts deliveries owed).
# BENCH_METRICS=1 prints the server's metrics at the end; BENCH_KEEP=1 keeps the data
# directory (its path is printed) to look into the database afterwards.
#
# Run: bench/acceptance.sh [--deliver] [seconds] [connections]   (after
#      cargo build --release -p hookline --bins --example loadtest)
set -euo pipefail
cd "$(dirname "$0")/.."
DELIVER=
if [ "${1:-}" = --deliver ]; then DELIVER=1; shift; fi
SECS=${1:-10}
CONNS=${2:-32}
TARGET=${CARGO_TARGET_DIR:-target}/release
export HOOKLINE_BENCH_TOKEN=hk_bench-token-0123456789abcdef
TOKEN=$HOOKLINE_BENCH_TOKEN
. bench/serve.sh
auth=(-H "Authorization: Bearer $HOOKLINE_BENCH_TOKEN" -H 'Content-Type: application/json')
curl -sf "${auth[@]}" "$BASE/api/v1/app" -d '{"name":"load","uid":"load"}' >/dev/null
for i in $(seq 1 "${ENDPOINTS:-1}"); do
  curl -sf "${auth[@]}" "$BASE/api/v1/app/load/endpoint" -d "{\"url\":\"$ENDPOINT?n=$i\"}" >/dev/null
done
echo "data directory: $DIR"
echo "store: $STORE; $CONNS connections, $SECS s, ${ENDPOINTS:-1} endpoint(s)${DELIVER:+, delivering to a receiver}"
START=$(date +%s.%N)
wrk -t1 -c"$CONNS" -d"${SECS}s" -s bench/acceptance.lua "$BASE" | tee "$DIR/wrk"
if [ -n "$DELIVER" ]; then
  # Accepted: as the server counts them (wrk leaves out requests still open when it stops).
  sleep 0.5
  ACCEPTED=$(curl -sf "${auth[@]}" "$BASE/metrics" | awk '/^hookline_messages_accepted_total/ {print $2}')
  ACCEPTED=$((ACCEPTED * ${ENDPOINTS:-1}))
  GOT=0
  for _ in $(seq 1 600); do
    GOT=$(tail -1 "$DIR/received")
    [ "$GOT" -ge "$ACCEPTED" ] && break
    sleep 0.1
  done
  END=$(date +%s.%N)
  awk -v a="$ACCEPTED" -v g="$GOT" -v s="$START" -v e="$END" \
    'BEGIN {printf "end to end: %d deliveries owed, %d made %.1f s after the load began = %.0f deliveries/s\n", a, g, e - s, g / (e - s)}'
fi
[ -z "${BENCH_METRICS:-}" ] || curl -sf "${auth[@]}" "$BASE/metrics" | grep -v "^#"
echo "peak RSS of the server: $(awk '/VmHWM/ {printf "%.0f MiB", $2/1024}' /proc/$PID/status)"
