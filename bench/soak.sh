#!/bin/sh
# Soak (not in make bench; run by hand): fork/exec churn with `wattprobe json -i 0.1`
# running. Reports, per agent binary, its RSS every SOAK_EVERY seconds (is it flat?), its
# peak (VmHWM), the processes it tracks, the dropped count, lines expected and received,
# and conservation in every line. Several binaries (a before and an after) can run side
# by side under the same churn.
#   SOAK_SECONDS=600 SOAK_EVERY=60 bench/soak.sh [OUT] [OTHER_WATTPROBE ...]
set -eu
OUT=${1:-build}
[ $# -gt 0 ] && shift
SECS=${SOAK_SECONDS:-600}
EVERY=${SOAK_EVERY:-60}
TMP=$(mktemp -d /tmp/wattprobe-soak.XXXXXX)
agents=""
churn_pids=""
trap 'kill $churn_pids $agents 2>/dev/null || true; rm -rf "$TMP"' EXIT

n=0
for wp in "$OUT/wattprobe" "$@"; do
	n=$((n + 1))
	echo "$wp" >"$TMP/name$n"
	"$wp" json -i 0.1 >"$TMP/out$n" 2>"$TMP/err$n" &
	agents="$agents $!"
	echo $! >"$TMP/pid$n"
done
sleep 2
rss() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
for i in $(seq 1 $n); do echo "0 $(rss "$(cat "$TMP/pid$i")")" >"$TMP/rss$i"; done
for i in 1 2 3 4; do
	sh -c 'n=0; while :; do /bin/true; n=$((n + 1)); echo $n >'"$TMP/n$i"'; done' &
	churn_pids="$churn_pids $!"
done
t0=$(date +%s)
while [ $(($(date +%s) - t0)) -lt "$SECS" ]; do
	sleep "$EVERY"
	t=$(($(date +%s) - t0))
	for i in $(seq 1 $n); do echo "$t $(rss "$(cat "$TMP/pid$i")")" >>"$TMP/rss$i"; done
done
kill $churn_pids 2>/dev/null
churn_pids=""
sleep 1
spawned=0
for i in 1 2 3 4; do
	c=$(cat "$TMP/n$i" 2>/dev/null || true)
	spawned=$((spawned + ${c:-0}))
done
for i in $(seq 1 $n); do
	pid=$(cat "$TMP/pid$i")
	hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
	kill -TERM "$pid"
	wait "$pid" || true
	t1=$(date +%s)
	lines=$(wc -l <"$TMP/out$i")
	expected=$(( (t1 - t0 + 3) * 10 ))
	echo
	echo "### $(cat "$TMP/name$i")"
	echo
	jq -s -r --argjson spawned "$spawned" --argjson secs "$SECS" --argjson hwm "$hwm" \
		--argjson expected "$expected" --rawfile rss "$TMP/rss$i" '
		def conserved: ((([.processes[].energy_j] | add // 0) + .others.energy_j + .idle.energy_j) - .host.energy_j) | fabs < 0.00001;
		($rss | split("\n") | map(select(length > 0) | split(" ") | map(tonumber))) as $r |
		"| what | figure |",
		"|---|---|",
		"| churn | \($spawned) short processes in \($secs) s (\($spawned / $secs | floor)/s) |",
		"| JSON lines | \(length) received, about \($expected) expected at 0.1 s |",
		"| every line conserved (processes + others + idle = host) | \(all(.[]; conserved)) |",
		"| largest gap between lines | \([range(1; length) as $i | (.[$i].interval_s)] | max) s |",
		"| processes per line: median / max | \([.[].processes | length] | sort | .[length / 2 | floor]) / \([.[].processes | length] | max) |",
		"| dropped at the end | \(.[-1].dropped) |",
		"| agent RSS at start / end / peak (VmHWM) | \($r[0][1]) / \($r[-1][1]) / \($hwm) KiB |",
		"| agent RSS over the run, KiB (every \($r[1][0] - $r[0][0]) s) | \([$r[][1]] | map(tostring) | join(" ")) |",
		"| RSS growth, first minute to the end | \($r[-1][1] - ([$r[] | select(.[0] >= 60)][0][1] // $r[0][1])) KiB |"
	' "$TMP/out$i"
done
