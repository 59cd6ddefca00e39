#!/usr/bin/env bash
# Fuzz every parser and the money split, one target after another.
#
#   scripts/fuzz.sh                 # 300,000 inputs per target
#   FUZZTIME=2m scripts/fuzz.sh     # or a duration per target
#   FRESH=1 scripts/fuzz.sh         # forget the generated corpus first
#
# A failing input is written to the package's testdata/fuzz/<Target>/;
# fix the bug and commit the input, so that `go test ./...` (and CI) keeps
# running it. CI does not fuzz: a random search that finds a new input on
# CI's machine would turn an unrelated submission red, so the search runs
# here, before a stop, and its findings become fixed regression inputs.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${FRESH:-}" ]; then
  rm -rf "$(go env GOCACHE)/fuzz/github.com/wenzhou/danbao"
fi
status=0
for pkg in ./models/ ./models/snapshot/ ./scenarios/ ./api/ ./calibrate/; do
  for f in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$pkg"*_test.go | awk '{print $2}'); do
    echo "== $pkg $f"
    # A count rather than a duration by default: a duration that ends while
    # a worker is minimizing makes go test report "context deadline exceeded".
    go test -run='^$' -fuzz="^$f\$" -fuzztime="${FUZZTIME:-300000x}" "$pkg" || status=1
  done
done
exit $status
