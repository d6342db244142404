#!/bin/sh
# Run every built fuzzer for SECONDS over a copy of its seed corpus
# (tests/fuzz/corpus/<name>/; new inputs never go back into the repository),
# as many at a time as there are CPUs. Fails on the first crash, leak or failed
# property. Called by `make fuzz`.
set -eu
OUT=${1:-build}
SECONDS_EACH=${2:-10}
cd "$(dirname "$0")/.."
work=$(mktemp -d /tmp/wattprobe-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
cpus=$(nproc 2>/dev/null || echo 1)

# one fuzzer, its artifacts in a folder of its own; its status in $work/NAME.status
run() {
	name=$(basename "$1")
	mkdir -p "$work/$name" "$work/$name.art"
	cp tests/fuzz/corpus/"$name"/* "$work/$name/" 2>/dev/null || true
	st=0
	"$1" -max_total_time="$SECONDS_EACH" -timeout=5 -rss_limit_mb=1024 \
		-artifact_prefix="$work/$name.art/" "$work/$name" >"$work/$name.log" 2>&1 || st=$?
	echo $st >"$work/$name.status"
}

set -- "$OUT"/fuzz/fuzz_*
n=0
for f; do
	[ -x "$f" ] || continue
	run "$f" &
	n=$((n + 1))
	[ $((n % cpus)) -ne 0 ] || wait
done
wait

status=0
for f; do
	[ -x "$f" ] || continue
	name=$(basename "$f")
	if [ "$(cat "$work/$name.status" 2>/dev/null)" = 0 ]; then
		runs=$(grep -o 'Done [0-9]* runs' "$work/$name.log" | tail -1)
		printf '  ok    %-14s %s in %s s\n' "$name" "${runs:-done}" "$SECONDS_EACH"
	else
		printf '  FAIL  %s\n' "$name"
		tail -30 "$work/$name.log"
		for a in "$work/$name.art"/*; do
			[ -e "$a" ] && { echo "input:"; od -c "$a" | head -5; }
		done
		status=1
	fi
done
exit $status
