#!/usr/bin/env bash
# For comparison with bench/gateway.sh (issue 13): adnanh/webhook (Debian's package
# `webhook`, 2.8) with one GitHub HMAC rule (bench/webhook-hooks.json: `payload-hmac-sha256`
# on X-Hub-Signature-256, command /bin/true), driven by wrk exactly as gateway.sh drives
# Hookline: the same 1 KiB body and signature, a new X-GitHub-Delivery on each request
# (bench/webhook-github.lua). webhook stores nothing: it answers once the rule matches and
# runs the command in the background.
#
# Run: bench/webhook.sh [seconds] [connections]   (apt-get install webhook wrk)
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-10}
CONNS=${2:-32}
PORT=${WEBHOOK_PORT:-9077}
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
command -v webhook >/dev/null || { echo "webhook is needed: apt-get install webhook" >&2; exit 1; }
DIR=$(mktemp -d)
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$DIR"' EXIT
webhook -hooks bench/webhook-hooks.json -ip 127.0.0.1 -port "$PORT" > "$DIR/out" 2>&1 &
PIDS+=($!)
BASE=http://127.0.0.1:$PORT
for _ in $(seq 1 100); do curl -s -o /dev/null "$BASE/" && break; sleep 0.1; done
SECRET=bench-github-secret
BODY="{\"ref\":\"refs/heads/main\",\"blob\":\"$(head -c 1000 /dev/zero | tr '\0' x)\"}"
SIG="sha256=$(printf '%s' "$BODY" | openssl dgst -sha256 -hmac "$SECRET" -r | cut -d' ' -f1)"
# One request by hand first: the rule must match (200 "ok"), or the run measures rejections.
CHECK=$(curl -s -w ' %{http_code}' "$BASE/hooks/github" -H 'Content-Type: application/json' \
  -H "X-Hub-Signature-256: $SIG" -H 'X-GitHub-Delivery: check' --data-binary "$BODY")
echo "check request: $CHECK"
[ "$CHECK" = "ok 200" ] || { echo "webhook did not accept the signed request" >&2; exit 1; }
# And one without the signature: refused (401, set in the hooks file; webhook's default for
# a rule that does not match is 200), so a wrk run where the rule fails shows status errors.
NOSIG=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/hooks/github" --data-binary "$BODY")
echo "unsigned request: $NOSIG"
[ "$NOSIG" = 401 ] || { echo "webhook did not refuse an unsigned request" >&2; exit 1; }
echo "webhook $(webhook -version | awk '{print $3}'); $CONNS connections, $SECS s"
HOOKLINE_BENCH_BODY=$BODY HOOKLINE_BENCH_SIGNATURE=$SIG \
  wrk -t2 -c"$CONNS" -d"${SECS}s" --latency -s bench/webhook-github.lua "$BASE"
