#!/usr/bin/env bash
# The guarantee chains' cost (issue 14): CPU (user + system) of a run on a
# book with its links ÷ the same loans without links.arrow, in interleaved
# pairs, 3 years, one worker.
#
#   scripts/chains-cost.sh DIR [ROUNDS]       # books made in DIR if missing
#   PATHS_EX=20000 PATHS_100K=10000 scripts/chains-cost.sh /tmp/cc 3
#
# Books: `danbao gen --chains` (the example's loans and links) and
# `danbao gen --chains --loans 100000 --seed 1`, each copied without
# links.arrow. This host's speed varies by ±15 % from run to run: read the
# median of several rounds, and run nothing else meanwhile.
set -euo pipefail
dir=${1:?usage: scripts/chains-cost.sh DIR [ROUNDS]}
rounds=${2:-3}
cd "$(dirname "$0")/.."
mkdir -p "$dir"
bin="$dir/danbao"
go build -o "$bin" ./cmd/danbao
book() { # name, gen flags
  if [ ! -e "$dir/$1-chains/links.arrow" ]; then
    "$bin" gen --chains $2 --force --out "$dir/$1-chains" >/dev/null
    rm -rf "$dir/$1-nolinks"; cp -r "$dir/$1-chains" "$dir/$1-nolinks"; rm "$dir/$1-nolinks/links.arrow"
  fi
}
rm -f "$dir/.rounds"
book ex ""
book k100 "--loans 100000 --seed 1"
cpu() { # book, paths → CPU seconds
  /usr/bin/time -o "$dir/.time" -f '%U %S' "$bin" run --portfolio "$1" --paths "$2" --workers 1 --horizon 3 --json >/dev/null 2>&1
  awk '{print $1 + $2}' "$dir/.time"
}
for r in $(seq "$rounds"); do
  for spec in "ex ${PATHS_EX:-20000}" "k100 ${PATHS_100K:-10000}"; do
    set -- $spec
    a=$(cpu "$dir/$1-nolinks" "$2"); b=$(cpu "$dir/$1-chains" "$2")
    awk -v n="$1" -v r="$r" -v a="$a" -v b="$b" 'BEGIN { printf "%s round %d: without links %.2f s, with %.2f s, ratio %.3f\n", n, r, a, b, b / a }' | tee -a "$dir/.rounds"
  done
done
source scripts/median.sh
for n in ex k100; do # the median ratio of this call's rounds
  printf '%s median ratio of %d rounds: %.3f\n' "$n" "$rounds" "$(grep "^$n round" "$dir/.rounds" | awk '{print $NF}' | median)"
done
