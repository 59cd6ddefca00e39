#!/usr/bin/env bash
# Runs every command of README's "A short tour" and "Worked examples", as written, on a fresh
# clone of the committed tree (HEAD), one after the other, and fails on the
# first that fails. Afterwards the clone must be clean: everything the tour
# writes is in .gitignore. CI runs it (.ci/run).
#
#   scripts/tour.sh            # clone HEAD into a temporary folder
#   TOUR_SRC=. scripts/tour.sh # run in this working tree instead (uncommitted edits included)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
if [ -n "${TOUR_SRC:-}" ]; then
  dir=$(cd "$TOUR_SRC" && pwd)
else
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  git clone -q "$repo" "$tmp/danbao"
  dir=$tmp/danbao
fi
cd "$dir"

# The lines of the first ```sh block after the "## A short tour" heading,
# then of every ```sh block under "## Worked examples".
mapfile -t cmds < <(awk '
  /^## / { tour = 0; worked = 0 }
  /^## A short tour/ { tour = 1; done = 0; next }
  /^## Worked examples/ { worked = 1; next }
  (tour && !done || worked) && /^```sh/ { inblock = 1; next }
  inblock && /^```/ { inblock = 0; if (tour) done = 1; next }
  inblock && NF { print }
' README.md)
if [ "${#cmds[@]}" -eq 0 ]; then
  echo "tour: no commands found under README's \"## A short tour\"" >&2
  exit 1
fi

# Compile once, so the times below are the commands' own.
go build -o /dev/null ./cmd/danbao
total_start=$(date +%s)
for c in "${cmds[@]}"; do
  start=$(date +%s.%N)
  if ! bash -euo pipefail -c "$c" >"$dir/.tour.out" 2>&1; then
    echo "tour: FAILED: $c" >&2
    tail -20 "$dir/.tour.out" >&2
    rm -f "$dir/.tour.out"
    exit 1
  fi
  printf 'tour: %6.1f s  %s\n' "$(echo "$(date +%s.%N) - $start" | bc)" "$c"
done
rm -f "$dir/.tour.out"
echo "tour: ${#cmds[@]} commands in $(( $(date +%s) - total_start )) s"

# Every output is ignored: the clone is as clean as it was.
if [ -z "${TOUR_SRC:-}" ] && [ -n "$(git status --porcelain)" ]; then
  echo "tour: the tour left files that .gitignore does not cover:" >&2
  git status --porcelain >&2
  exit 1
fi
