#!/usr/bin/env bash
# Memory of the server under idle connections: the resident set (VmRSS of `hookline
# serve`, release build, API role, embedded SQLite) when idle, with N idle client
# connections open, and a few seconds after they have closed. Every connection is to
# 127.0.0.1. The deadlines and the cap are raised for the run so that the server keeps
# the connections while they are counted.
#
# MODE=silent: the clients connect and send nothing (a slowloris that never starts).
# MODE=request: each client sends one request (GET /api/v1/health), reads the answer and
# keeps the connection alive, as a pooling client does between requests.
#
# Run: bench/idle-memory.sh [N] [MODE]   (after cargo build --release -p hookline --bins;
#      BIN=path/to/hookline to measure another build). Needs python3 for the clients.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-5000}
MODE=${2:-request}
BIN=${BIN:-${CARGO_TARGET_DIR:-target}/release/hookline}
# Server and client each hold N sockets: raise the limit for both, as far as the hard
# limit allows.
HARD=$(ulimit -Hn)
WANT=$((N + 1024))
if [ "$HARD" != unlimited ] && [ "$HARD" -lt "$WANT" ]; then WANT=$HARD; fi
ulimit -n "$WANT"
[ "$WANT" -gt $((N + 64)) ] || { echo "open-files hard limit $HARD is too low for N=$N" >&2; exit 1; }
DIR=$(mktemp -d)
trap 'kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$DIR"' EXIT
HOOKLINE_ADMIN_TOKEN=hk_bench-token-0123456789abcdef HOOKLINE_LOG=error \
  HOOKLINE_HEADER_TIMEOUT_SECS=600 HOOKLINE_KEEP_ALIVE_TIMEOUT_SECS=600 \
  HOOKLINE_MAX_CONNECTIONS=$((N + 100)) \
  "$BIN" serve --role api --listen 127.0.0.1:0 --data-dir "$DIR" > "$DIR/out" 2>&1 &
PID=$!
for _ in $(seq 1 100); do grep -q 'listening on' "$DIR/out" && break; sleep 0.1; done
BASE=$(sed -n 's/^Hookline listening on //p' "$DIR/out")
ADDR=${BASE#http://}
rss() { awk '/VmRSS/ {printf "%.1f MiB", $2/1024}' "/proc/$PID/status"; }
# Warm: a few requests, so that the idle figure includes what the first ones set up.
for _ in 1 2 3; do curl -sf "$BASE/api/v1/health" >/dev/null; done
sleep 1
IDLE=$(rss)
CLIENT='
import socket, sys
host, port = sys.argv[1].rsplit(":", 1)
n, mode = int(sys.argv[2]), sys.argv[3]
socks = []
for _ in range(n):
    s = socket.create_connection((host, int(port)))
    if mode == "request":
        s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
        s.recv(4096)
    socks.append(s)
print("open", flush=True)
sys.stdin.readline()
for s in socks:
    s.close()
print("closed", flush=True)
sys.stdin.readline()
'
coproc CLIENTS { python3 -c "$CLIENT" "$ADDR" "$N" "$MODE"; }
read -r _ <&"${CLIENTS[0]}"
sleep 2
OPEN=$(rss)
echo close >&"${CLIENTS[1]}"
read -r _ <&"${CLIENTS[0]}"
sleep "${SETTLE:-3}"
AFTER=$(rss)
echo done >&"${CLIENTS[1]}"
echo "$(basename "$BIN") N=$N mode=$MODE: idle $IDLE, with $N open $OPEN, ${SETTLE:-3} s after they closed $AFTER (peak $(awk '/VmHWM/ {printf "%.1f MiB", $2/1024}' "/proc/$PID/status"))"
