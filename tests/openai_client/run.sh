#!/usr/bin/env bash
# Starts `factcheck serve` on a free loopback port and runs the openai-client tests against it.
# Usage: tests/openai_client/run.sh BINARY   (needs python3 with the `openai` package)
set -euo pipefail
BIN=$(realpath "${1:?usage: run.sh BINARY}")
cd "$(dirname "$0")/../.."
LOG=$(mktemp)
PORT_FILE=$(mktemp -u)
"$BIN" serve --addr 127.0.0.1:0 --port-file "$PORT_FILE" >"$LOG" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; rm -f "$LOG" "$PORT_FILE"' EXIT
ADDR=""
for _ in $(seq 1 200); do
  [ -s "$PORT_FILE" ] && ADDR=$(cat "$PORT_FILE") && break
  sleep 0.1
done
[ -n "$ADDR" ] || { echo "server did not start:" >&2; cat "$LOG" >&2; exit 1; }
FACTCHECK_URL="http://$ADDR" python3 -m unittest -v tests/openai_client/test_openai_client.py
