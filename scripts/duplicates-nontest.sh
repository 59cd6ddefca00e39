#!/bin/bash
# duplicates-nontest.sh BASE [TREE]: runs `duplicates` over the non-test Go
# and other tracked files (no *_test.go, no testdata/), twice: --change
# (pairs with one side added since BASE) and over the whole tree. TREE is
# the folder to read (default: this checkout's tracked files). It builds a
# throwaway git repository in a temporary folder: BASE's non-test files
# committed, TREE's laid over them uncommitted.
set -euo pipefail
base=${1:?usage: duplicates-nontest.sh BASE [TREE]}
tree=${2:-$(git rev-parse --show-toplevel)}
repo=$(git rev-parse --show-toplevel)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
nontest() { grep -v '_test\.go$' | grep -v 'testdata/'; }
(cd "$repo" && git archive "$base") | tar -x -C "$tmp"
(cd "$tmp" && find . -type f \( -name '*_test.go' -o -path '*testdata/*' \) -delete && git init -q . &&
	git add -A && git -c user.email=x@x -c user.name=x commit -qm base && git ls-files -z | xargs -0 rm -f)
(cd "$tree" && { git ls-files 2>/dev/null || find . -type f | sed 's|^\./||'; } | nontest | tar -cf - -T -) | tar -x -C "$tmp"
cd "$tmp"
echo "== duplicates --change (since $base, non-test files)"; duplicates --change --most 200 --seconds 120
echo "== duplicates (whole non-test tree)"; duplicates --most 200 --seconds 120
