# Sourced by bench/acceptance.sh and bench/gateway.sh: builds what is missing, then starts
# `hookline serve` on a fresh data directory, with a receiver (`loadtest receive`) in a
# process of its own when $DELIVER is set. Reads $TARGET, $DELIVER and $TOKEN; sets $BIN,
# $DIR, $PIDS (killed on exit), $PID (the server), $ENDPOINT (where deliveries go),
# $BASE (the server's URL) and $STORE (what it stores in, in words).
BIN=$TARGET/hookline
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
[ -x "$BIN" ] || cargo build --release -p hookline --bins
[ -z "$DELIVER" ] || [ -x "$TARGET/examples/loadtest" ] || cargo build --release -p hookline --example loadtest
DIR=$(mktemp -d)
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null; wait 2>/dev/null; [ -n "${BENCH_KEEP:-}" ] || rm -rf "$DIR"' EXIT
ROLE=api
ENDPOINT=http://127.0.0.1:9/unused
if [ -n "$DELIVER" ]; then
  "$TARGET/examples/loadtest" receive > "$DIR/received" &
  PIDS+=($!)
  for _ in $(seq 1 100); do [ -s "$DIR/received" ] && break; sleep 0.1; done
  ENDPOINT=$(head -1 "$DIR/received")
  ROLE=all
fi
HOOKLINE_ADMIN_TOKEN=$TOKEN HOOKLINE_LOG=error HOOKLINE_SSRF_ALLOW=127.0.0.0/8 \
  "$BIN" serve --role $ROLE --listen 127.0.0.1:0 --data-dir "$DIR" > "$DIR/out" 2>&1 &
PID=$!
PIDS+=($PID)
for _ in $(seq 1 100); do grep -q 'listening on' "$DIR/out" && break; sleep 0.1; done
BASE=$(sed -n 's/^Hookline listening on //p' "$DIR/out")
STORE="embedded SQLite"
if [ -n "${HOOKLINE_DATABASE_URL:-}" ]; then STORE=PostgreSQL; fi
