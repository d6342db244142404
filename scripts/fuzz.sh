#!/bin/sh
# Run every built fuzzer for SECONDS over a copy of its seed corpus
# (tests/fuzz/corpus/<name>/; new inputs never go back into the repository).
# Fails on the first crash, leak or failed property. Called by `make fuzz`.
set -eu
OUT=${1:-build}
SECONDS_EACH=${2:-10}
cd "$(dirname "$0")/.."
work=$(mktemp -d /tmp/wattprobe-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT

status=0
for f in "$OUT"/fuzz/fuzz_*; do
	[ -x "$f" ] || continue
	name=$(basename "$f")
	mkdir -p "$work/$name"
	cp tests/fuzz/corpus/"$name"/* "$work/$name/" 2>/dev/null || true
	if "$f" -max_total_time="$SECONDS_EACH" -timeout=5 -rss_limit_mb=1024 \
		-artifact_prefix="$work/" "$work/$name" >"$work/$name.log" 2>&1; then
		runs=$(grep -o 'Done [0-9]* runs' "$work/$name.log" | tail -1)
		printf '  ok    %-14s %s in %s s\n' "$name" "${runs:-done}" "$SECONDS_EACH"
	else
		printf '  FAIL  %s\n' "$name"
		tail -30 "$work/$name.log"
		for a in "$work"/crash-* "$work"/leak-* "$work"/timeout-*; do
			[ -e "$a" ] && { echo "input:"; od -c "$a" | head -5; }
		done
		status=1
	fi
done
exit $status
