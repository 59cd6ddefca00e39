#!/usr/bin/env bash
# One benchmark, two builds, alternating rounds, medians. This host's speed
# drifts by ±20 % and more between runs of the same binary (other machines
# share its memory), so a difference is only believable when it shows in
# the medians of many alternating rounds.
#
#   scripts/ab-bench.sh A B PKG BENCH [ROUNDS] [BENCHTIME]
#   scripts/ab-bench.sh HEAD~1 HEAD ./sim 'ChainsCost/100k/chains=true/kernel' 10
#   scripts/ab-bench.sh main WORKTREE ./models/snapshot OpenGen1M 5 5x
#
# A and B are git revisions, or WORKTREE for the working tree as it is.
# Each round runs A's test binary, then B's, with -benchtime BENCHTIME
# (default 3x); the figure kept is the benchmark's min-cpu-ns/path when it
# reports one, else its ns/op. Prints every round and the medians.
set -euo pipefail
a=${1:?usage: scripts/ab-bench.sh A B PKG BENCH [ROUNDS] [BENCHTIME]}
b=${2:?}
pkg=${3:?}
bench=${4:?}
rounds=${5:-10}
benchtime=${6:-3x}
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
cleanup() {
	for rev in a b; do
		[ -d "$tmp/src-$rev" ] && git -C "$root" worktree remove --force "$tmp/src-$rev" >/dev/null 2>&1 || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
build() { # name revision
	local src=$root
	if [ "$2" != WORKTREE ]; then
		src=$tmp/src-$1
		git -C "$root" worktree add --detach "$src" "$2" >/dev/null 2>&1
	fi
	(cd "$src" && go test -c -o "$tmp/$1.test" "$pkg")
}
build a "$a"
build b "$b"
figure() { # test binary → one number
	local out
	out=$("$1" -test.run '^$' -test.bench "$bench" -test.benchtime "$benchtime" 2>&1 | grep '^Benchmark' | head -1)
	if grep -q 'min-cpu-ns/path' <<<"$out"; then
		grep -o '[0-9.]* min-cpu-ns/path' <<<"$out" | cut -d' ' -f1
	else
		awk '{print $3}' <<<"$out"
	fi
}
for r in $(seq "$rounds"); do
	fa=$(figure "$tmp/a.test")
	fb=$(figure "$tmp/b.test")
	if [ -z "$fa" ] || [ -z "$fb" ]; then
		echo "ab-bench: no result for $bench in $pkg of ${fa:+$b}${fa:-$a}" >&2
		exit 2
	fi
	echo "round $r: $a $fa  $b $fb"
	echo "$fa $fb" >>"$tmp/figures"
done
source "$root/scripts/median.sh"
ma=$(cut -d' ' -f1 "$tmp/figures" | median)
mb=$(cut -d' ' -f2 "$tmp/figures" | median)
awk -v a="$a" -v b="$b" -v ma="$ma" -v mb="$mb" 'BEGIN { printf "medians: %s %.0f, %s %.0f, B/A %.3f\n", a, ma, b, mb, mb / ma }'
