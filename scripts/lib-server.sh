# Sourced by test and benchmark scripts: start_server BIN [ARGS...] starts `BIN ARGS... serve`
# on a free loopback port, sets ADDR (host:port) and SERVER_PID once it listens, and stops the
# server when the calling script exits. The server's log goes to SERVER_LOG.
start_server() {
  local bin=$1
  shift
  SERVER_LOG=$(mktemp)
  SERVER_PORT_FILE=$(mktemp -u)
  "$bin" "$@" serve --addr 127.0.0.1:0 --port-file "$SERVER_PORT_FILE" >"$SERVER_LOG" 2>&1 &
  SERVER_PID=$!
  trap 'kill $SERVER_PID 2>/dev/null || true; rm -f "$SERVER_LOG" "$SERVER_PORT_FILE"' EXIT
  ADDR=""
  for _ in $(seq 1 200); do
    [ -s "$SERVER_PORT_FILE" ] && ADDR=$(cat "$SERVER_PORT_FILE") && break
    sleep 0.1
  done
  [ -n "$ADDR" ] || { echo "server did not start:" >&2; cat "$SERVER_LOG" >&2; return 1; }
}
