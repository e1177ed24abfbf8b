#!/usr/bin/env bash
# The served OpenAPI document, checked from outside: a real `hookline serve --role api` on a
# free loopback port with a fresh data directory, its document validated as OpenAPI 3.1
# (openapi-spec-validator), then a short schemathesis pass with its conformance checks.
# Fails on any validator error or schemathesis failure. Only loopback is ever contacted.
#
#   .ci/schemathesis.sh                 # as CI runs it
#   MAX_EXAMPLES=50 .ci/schemathesis.sh # a longer pass
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
VALIDATOR_VERSION=0.9.0
MAX_EXAMPLES=${MAX_EXAMPLES:-15}
SEED=${SEED:-11}
TARGET=$(realpath -m "${CARGO_TARGET_DIR:-target}")
VENV="$TARGET/schemathesis-venv"

# The tools, pinned, in a venv under the target directory (kept between runs).
if ! "$VENV/bin/python" -c 'import schemathesis, openapi_spec_validator' 2>/dev/null ||
  ! "$VENV/bin/pip" show schemathesis 2>/dev/null | grep -qx "Version: $SCHEMATHESIS_VERSION"; then
  rm -rf "$VENV"
  if ! python3 -m venv "$VENV" 2>/dev/null; then
    apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
    rm -rf "$VENV"
    python3 -m venv "$VENV"
  fi
  "$VENV/bin/pip" install -q --disable-pip-version-check \
    "schemathesis==$SCHEMATHESIS_VERSION" "openapi-spec-validator==$VALIDATOR_VERSION"
fi

cargo build -p hookline --locked --quiet
BIN="$TARGET/debug/hookline"

DATA=$(mktemp -d)
LOG="$DATA/server.log"
PORT=$("$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
export HOOKLINE_ADMIN_TOKEN="hk_schemathesis-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
"$BIN" serve --role api --log-format json --listen "127.0.0.1:$PORT" --data-dir "$DATA/data" >"$LOG" 2>&1 &
SERVER=$!
cleanup() {
  kill "$SERVER" 2>/dev/null || true
  wait "$SERVER" 2>/dev/null || true
  rm -rf "$DATA"
}
trap cleanup EXIT

for _ in $(seq 1 100); do
  "$VENV/bin/python" -c "import urllib.request; urllib.request.urlopen('$BASE/api/v1/health')" 2>/dev/null && break
  kill -0 "$SERVER" 2>/dev/null || { cat "$LOG"; echo "the server exited"; exit 1; }
  sleep 0.1
done

echo "== openapi-spec-validator (the document as served)"
"$VENV/bin/python" -c "import urllib.request; open('$DATA/openapi.json', 'wb').write(urllib.request.urlopen('$BASE/api/v1/openapi.json').read())"
"$VENV/bin/openapi-spec-validator" --schema 3.1.0 "$DATA/openapi.json"

echo "== schemathesis $SCHEMATHESIS_VERSION ($MAX_EXAMPLES examples per operation, seed $SEED)"
# From the temporary directory: schemathesis keeps a cache of past failures (and replays
# them) under the working directory, and each run here starts fresh.
status=0
REPO=$PWD
cd "$DATA"
SCHEMATHESIS_HOOKS=schemathesis_hooks PYTHONPATH="$REPO/.ci" \
  "$VENV/bin/schemathesis" --no-color --config-file "$REPO/.ci/schemathesis.toml" run "$DATA/openapi.json" \
  --url "$BASE" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,negative_data_rejection,positive_data_acceptance,missing_required_header,unsupported_method,ignored_auth \
  --phases examples,coverage,fuzzing \
  --max-examples "$MAX_EXAMPLES" \
  --seed "$SEED" \
  --workers 2 \
  --request-timeout 10 \
  --report junit --report-dir "$TARGET/schemathesis-report" || status=$?
if [ "$status" -ne 0 ]; then
  echo "schemathesis failed (exit $status); the server's log:"
  tail -n 50 "$LOG"
  exit "$status"
fi
