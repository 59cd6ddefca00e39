#!/usr/bin/env bash
# The full run's cost against the engine's (issue 16): CPU (user + system)
# and wall time of `danbao run` on a generated book, full and with
# --losses-only, in interleaved pairs, 3 years, 2 workers, and the full
# run's peak RSS.
#
#   scripts/scale-cost.sh DIR [ROUNDS]          # the 100k book made in DIR if missing
#   PATHS=100000 scripts/scale-cost.sh /tmp/sc 2 # issue 16's 100k × 100k
#   LOANS=1000000 PATHS=10000 FULL_ONLY=1 scripts/scale-cost.sh /tmp/sc 1
#
# Book: `danbao gen --loans $LOANS --seed 1` (default 100,000). This host's
# speed varies by ±15 % from run to run: read the median of several
# rounds, and run nothing else meanwhile.
set -euo pipefail
dir=${1:?usage: scripts/scale-cost.sh DIR [ROUNDS]}
rounds=${2:-3}
loans=${LOANS:-100000}
paths=${PATHS:-20000}
cd "$(dirname "$0")/.."
mkdir -p "$dir"
bin="$dir/danbao"
go build -o "$bin" ./cmd/danbao
book="$dir/gen$loans"
[ -e "$book/loans.arrow" ] || "$bin" gen --loans "$loans" --seed 1 --force --out "$book" >/dev/null
run() { # extra flags → "cpu wall rss_mb"
  /usr/bin/time -o "$dir/.time" -f '%U %S %e %M' "$bin" run --portfolio "$book" --paths "$paths" --workers 2 --horizon 3 --json "$@" >/dev/null 2>&1
  awk '{printf "%.2f %.2f %.0f", $1 + $2, $3, $4 / 1024}' "$dir/.time"
}
rm -f "$dir/.walls"
for r in $(seq "$rounds"); do
  read -r fc fw fm <<<"$(run)"
  if [ -n "${FULL_ONLY:-}" ]; then
    echo "round $r ($loans loans, $paths paths): full $fc s CPU, $fw s wall, $fm MB peak"
    echo "$fw" >>"$dir/.walls"
    continue
  fi
  read -r lc lw lm <<<"$(run --losses-only)"
  awk -v r="$r" -v n="$loans" -v p="$paths" -v fc="$fc" -v fw="$fw" -v fm="$fm" -v lc="$lc" -v lw="$lw" -v lm="$lm" 'BEGIN {
    printf "round %d (%d loans, %d paths): full %.2f s CPU, %.2f s wall, %d MB; losses-only %.2f s CPU, %.2f s wall, %d MB; ratio CPU %.3f, wall %.3f\n",
      r, n, p, fc, fw, fm, lc, lw, lm, fc / lc, fw / lw }'
  echo "$fw $lw $fc $lc" >>"$dir/.walls"
done
# Medians of this call's rounds: the full run's wall time, and the ratios.
source scripts/median.sh
printf 'medians of %d rounds: full %.2f s wall' "$rounds" "$(cut -d' ' -f1 "$dir/.walls" | median)"
if [ -z "${FULL_ONLY:-}" ]; then
  printf '; ratio CPU %.3f, wall %.3f' "$(awk '{print $3 / $4}' "$dir/.walls" | median)" "$(awk '{print $1 / $2}' "$dir/.walls" | median)"
fi
echo
