#!/usr/bin/env bash
# Runs the notebooks headless against a real danbao server, as CI does:
# builds danbao, starts `danbao serve` on a free loopback port with a
# temporary data folder and an analyst key, executes every notebook with
# `jupyter nbconvert --to notebook --execute`, and stops the server.
#
#   notebooks/run.sh                 all notebooks
#   notebooks/run.sh 02-bank-share-sweep.ipynb
#
# Needs Go, and Debian's jupyter-nbconvert python3-ipykernel python3-pandas
# python3-matplotlib (no PyPI). Executed copies (with their outputs and
# plots) go to $NOTEBOOK_OUT (default: a temporary folder, printed at the
# end); the notebooks in the repository stay without outputs.
# DANBAO_NB_PATHS sets the paths per simulation (default 2000 here).
set -euo pipefail
cd "$(dirname "$0")"
here=$(pwd)

for cmd in go jupyter; do
  command -v "$cmd" >/dev/null || { echo "notebooks/run.sh: $cmd not found" >&2; exit 2; }
done

work=$(mktemp -d -t danbao-notebooks.XXXXXX)
out=${NOTEBOOK_OUT:-$work/out}
mkdir -p "$out"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work/data" "$work/danbao"
}
trap cleanup EXIT INT TERM

echo "notebooks: building danbao"
(cd .. && go build -o "$work/danbao" ./cmd/danbao)

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
key="nb-analyst-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
export DANBAO_API_KEYS="analyst:$key:notebooks"
"$work/danbao" serve --addr "127.0.0.1:$port" --data "$work/data" --quiet >"$work/serve.log" 2>&1 &
server_pid=$!
unset DANBAO_API_KEYS

export DANBAO_URL="http://127.0.0.1:$port" DANBAO_KEY="$key" DANBAO_BIN="$work/danbao"
export DANBAO_NB_PATHS=${DANBAO_NB_PATHS:-2000}
for _ in $(seq 1 300); do
  if python3 -c "import urllib.request, sys; urllib.request.urlopen(sys.argv[1] + '/readyz', timeout=2)" "$DANBAO_URL" 2>/dev/null; then
    break
  fi
  kill -0 "$server_pid" 2>/dev/null || { echo "notebooks: danbao serve exited:" >&2; cat "$work/serve.log" >&2; exit 1; }
  sleep 0.2
done
echo "notebooks: danbao serve on $DANBAO_URL"

if [ $# -gt 0 ]; then books=("$@"); else books=(*.ipynb); fi
status=0
for nb in "${books[@]}"; do
  echo "notebooks: executing $nb"
  start=$SECONDS
  if jupyter nbconvert --to notebook --execute --ExecutePreprocessor.timeout=1200 \
      --ExecutePreprocessor.kernel_name=python3 --output-dir "$out" "$here/$nb" >"$work/nbconvert.log" 2>&1; then
    echo "notebooks: $nb ok ($((SECONDS - start)) s)"
  else
    echo "notebooks: $nb FAILED ($((SECONDS - start)) s):" >&2
    tail -40 "$work/nbconvert.log" >&2
    status=1
  fi
done
echo "notebooks: executed copies in $out"
exit $status
