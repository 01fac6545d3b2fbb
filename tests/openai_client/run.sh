#!/usr/bin/env bash
# Starts `factcheck serve` on a free loopback port and runs the openai-client tests against it.
# Usage: tests/openai_client/run.sh BINARY   (needs python3 with the `openai` package)
set -euo pipefail
BIN=$(realpath "${1:?usage: run.sh BINARY}")
cd "$(dirname "$0")/../.."
source scripts/lib-server.sh
start_server "$BIN"
FACTCHECK_URL="http://$ADDR" python3 -m unittest -v tests/openai_client/test_openai_client.py
