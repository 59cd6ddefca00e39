#!/bin/sh
# loadtest.sh — start `danbao serve` on loopback with a fresh data folder and
# hold 50 concurrent clients against it for 30 s (cmd/loadtest), then stop
# the server with SIGTERM. Not part of `go test`.
#
#   scripts/loadtest.sh [--clients 50] [--duration 30s] [--paths 1000] …
#
# Extra arguments go to cmd/loadtest (`go run ./cmd/loadtest --help`). Environment: ADDR (default
# 127.0.0.1:18080), DATA (default: a temporary folder, removed afterwards),
# SERVE_FLAGS (extra flags for danbao serve).
set -eu
cd "$(dirname "$0")/.."
ADDR=${ADDR:-127.0.0.1:18080}
tmp=$(mktemp -d)
DATA=${DATA:-$tmp/data}
bin=$tmp/danbao
go build -o "$bin" ./cmd/danbao
go build -o "$tmp/loadtest" ./cmd/loadtest
key=loadtest-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
DANBAO_API_KEYS="analyst:$key:loadtest" "$bin" serve --addr "$ADDR" --data "$DATA" ${SERVE_FLAGS:-} \
	>"$tmp/serve.out" 2>"$tmp/serve.log" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$tmp"' EXIT
i=0
until curl -fsS "http://$ADDR/readyz" >/dev/null 2>&1; do
	i=$((i + 1))
	if [ $i -gt 100 ]; then
		echo "loadtest.sh: server did not start" >&2
		cat "$tmp/serve.log" >&2
		exit 1
	fi
	sleep 0.1
done
status=0
DANBAO_API_KEY=$key "$tmp/loadtest" --url "http://$ADDR" "$@" || status=$?
curl -fsS "http://$ADDR/metrics" | grep -E '^danbao_(jobs\{|jobs_rejected|queue_depth|run_paths_per_second_(sum|count))' || true
exit $status
