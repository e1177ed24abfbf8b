#!/usr/bin/env bash
# The inbound gateway under load: `hookline serve --role api` on a fresh SQLite data
# directory (or $HOOKLINE_DATABASE_URL), one `github` source, and wrk (Debian's package)
# posting 1 KiB GitHub-signed bodies to /in/bench for $SECS seconds over $CONNS keep-alive
# connections, a new delivery id on each request (bench/gateway.lua). Every 200 is a
# verified, de-duplicated and committed event with its delivery queued.
#
# With --forged: the same requests with a wrong signature (401s: the rejection path; at most
# 200 rejections a second reach the bounded rejection log).
#
# With --deliver: end to end. The server runs with its workers (`--role all`) and the
# source's endpoint is a receiver in a third process (`loadtest receive`); the figure is
# the events accepted divided by the time from the start of the load until the receiver
# has them all (as in bench/acceptance.sh --deliver).
#
# Run: bench/gateway.sh [--forged | --deliver] [seconds] [connections]   (after
#      cargo build --release -p hookline --bins --example loadtest)
set -euo pipefail
cd "$(dirname "$0")/.."
FORGED=
DELIVER=
if [ "${1:-}" = --forged ]; then FORGED=1; shift; fi
if [ "${1:-}" = --deliver ]; then DELIVER=1; shift; fi
SECS=${1:-10}
CONNS=${2:-32}
TARGET=${CARGO_TARGET_DIR:-target}/release
TOKEN=hk_bench-token-0123456789abcdef
SECRET=bench-github-secret
. bench/serve.sh
auth=(-H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json')
curl -sf "${auth[@]}" "$BASE/api/v1/source" \
  -d "{\"name\":\"bench\",\"uid\":\"bench\",\"scheme\":\"github\",\"secrets\":[\"$SECRET\"]}" >/dev/null
curl -sf "${auth[@]}" "$BASE/api/v1/app/bench/endpoint" -d "{\"url\":\"$ENDPOINT\"}" >/dev/null
BODY="{\"ref\":\"refs/heads/main\",\"blob\":\"$(head -c 1000 /dev/zero | tr '\0' x)\"}"
KEY=$SECRET
[ -n "$FORGED" ] && KEY=not-the-secret
SIG="sha256=$(printf '%s' "$BODY" | openssl dgst -sha256 -hmac "$KEY" -r | cut -d' ' -f1)"
echo "store: $STORE; $CONNS connections, $SECS s${FORGED:+, forged signatures}${DELIVER:+, delivering to a receiver}"
START=$(date +%s.%N)
HOOKLINE_BENCH_BODY=$BODY HOOKLINE_BENCH_SIGNATURE=$SIG \
  wrk -t2 -c"$CONNS" -d"${SECS}s" -s bench/gateway.lua "$BASE"
if [ -n "$DELIVER" ]; then
  sleep 0.5
  ACCEPTED=$(curl -sf -H "Authorization: Bearer $TOKEN" "$BASE/metrics" |
    awk '/^hookline_gateway_requests_total\{decision="accepted"\}/ {print $2}')
  GOT=0
  for _ in $(seq 1 600); do
    GOT=$(tail -1 "$DIR/received")
    [ "$GOT" -ge "$ACCEPTED" ] && break
    sleep 0.1
  done
  END=$(date +%s.%N)
  awk -v a="$ACCEPTED" -v g="$GOT" -v s="$START" -v e="$END" \
    'BEGIN {printf "end to end: %d events accepted, %d delivered %.1f s after the load began = %.0f deliveries/s\n", a, g, e - s, g / (e - s)}'
fi
curl -sf -H "Authorization: Bearer $TOKEN" "$BASE/metrics" | grep '^hookline_gateway_requests_total'
