#!/usr/bin/env bash
# Bounded load test on loopback: starts `factcheck serve` on a free port, drives /v1/search and
# /v1/ask (evidence mode unless FACTCHECK_MODEL is set) with wrk, and reports throughput,
# latency percentiles, error responses and the server's memory before and after.
#
# Usage: scripts/load-test.sh [BINARY] [SECONDS] [CONNECTIONS]
#   BINARY       default target/release/factcheck (build it with `cargo build --release`)
#   SECONDS      default 20 per endpoint
#   CONNECTIONS  default 32
# Needs wrk (Debian: apt-get install wrk). Sends traffic to 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-target/release/factcheck}
SECS=${2:-20}
CONNS=${3:-32}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }
[ -x "$BIN" ] || { echo "no server binary at $BIN (cargo build --release)" >&2; exit 2; }

source scripts/lib-server.sh
start_server "$BIN"
rss() { awk '/^VmRSS/ {print $2}' /proc/$SERVER_PID/status; }
hwm() { awk '/^VmHWM/ {print $2}' /proc/$SERVER_PID/status; }

run() {
  local path=$1 field=$2
  local lua
  lua=$(mktemp --suffix=.lua)
  cat >"$lua" <<LUA
local texts = {
  "3월 말 기준 소프트뱅크의 현금 보유액과 순자산은 얼마였나?",
  "르네 하스 Arm CEO도 서울 회동에 참석했다.",
  "How many jobs did Trump say Stargate would create?",
  "소프트뱅크는 Ampere Computing을 100억 달러에 인수한다.",
}
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  i = i + 1
  local body = string.format('{"$field": "%s", "top_k": 5}', texts[(i % #texts) + 1])
  return wrk.format(nil, "$path", nil, body)
end
LUA
  echo "== POST $path ($CONNS connections, ${SECS}s), RSS before: $(rss) kB"
  wrk -t2 -c"$CONNS" -d"${SECS}s" --latency -s "$lua" "http://$ADDR" \
    | grep -E 'Requests/sec|Non-2xx|Socket errors|^ +(50|90|99)%|requests in'
  echo "   RSS after: $(rss) kB, peak: $(hwm) kB"
  rm -f "$lua"
}

curl -sf "http://$ADDR/health" >/dev/null
run /v1/search query
run /v1/ask question
