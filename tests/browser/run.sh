#!/usr/bin/env bash
# Runs the chat page's browser tests against a factcheck binary that is already built.
#
#   tests/browser/run.sh PATH/TO/factcheck        (or FACTCHECK_BIN=PATH tests/browser/run.sh)
#
# Starts two servers on free loopback ports (the seed corpus, and a small corpus whose lines
# carry HTML/script markup for the XSS tests), waits for /health, runs `node --test`, and stops
# the servers whatever happens. Needs `npm ci` done in this folder and Chromium at
# $CHROMIUM_PATH (default /usr/bin/chromium). Artifacts (screenshots, server logs) go to
# tests/browser/artifacts/.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="${1:-${FACTCHECK_BIN:-}}"
if [[ -z "$bin" ]]; then
  echo "usage: $0 PATH/TO/factcheck   (or set FACTCHECK_BIN)" >&2
  exit 2
fi
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
[[ -x "$bin" ]] || { echo "not an executable: $bin" >&2; exit 2; }
[[ -d "$here/node_modules/playwright-core" ]] || { echo "run 'npm ci' in $here first" >&2; exit 2; }

artifacts="$here/artifacts"
mkdir -p "$artifacts"
work="$(mktemp -d "$artifacts/.run.XXXXXX")"
pids=()

cleanup() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

# Run a private link (or copy) of the binary, so that a rebuild during the run cannot swap it.
ln "$bin" "$work/factcheck" 2>/dev/null || cp "$bin" "$work/factcheck"
bin="$work/factcheck"

# start NAME SEEDS: starts a server on port 0 and sets `url` to its base URL once /health
# answers. (Not run in a subshell, so that its process id lands in `pids`.)
start() {
  local name="$1" seeds="$2" addr=""
  url=""
  # No API key, default Host allowlist; the log is kept as an artifact.
  env -u FACTCHECK_API_KEY -u FACTCHECK_ADDR RUST_LOG="${RUST_LOG:-info,tantivy=warn}" \
    "$bin" --seeds "$seeds" serve --addr 127.0.0.1:0 --port-file "$work/$name.addr" \
    >"$artifacts/server-$name.log" 2>&1 &
  pids+=("$!")
  local pid="$!"
  for _ in $(seq 1 600); do
    if [[ -s "$work/$name.addr" ]]; then
      addr="$(cat "$work/$name.addr")"
      if node -e 'fetch(process.argv[1]).then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))' \
        "http://$addr/health" 2>/dev/null; then
        url="http://$addr"
        return 0
      fi
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "server '$name' exited; its log:" >&2
      cat "$artifacts/server-$name.log" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "server '$name' did not become healthy in 60 s; its log:" >&2
  cat "$artifacts/server-$name.log" >&2
  return 1
}

# From the repository root, so that the server finds `prompts/` and the like as in normal use.
cd "$root"
started=$SECONDS
start seeds "$root/seeds"
FACTCHECK_URL="$url"
start xss "$here/fixtures/xss"
FACTCHECK_XSS_URL="$url"
export FACTCHECK_URL FACTCHECK_XSS_URL
echo "servers up in $((SECONDS - started)) s: $FACTCHECK_URL (seeds), $FACTCHECK_XSS_URL (xss corpus)"

cd "$here"
node --test --test-concurrency=1 --test-reporter=spec ./*.test.mjs
