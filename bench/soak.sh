#!/bin/sh
# Soak (not in CI): fork/exec churn with `wattprobe json -i 0.1` running.
# Reports the agent's RSS at start and end, the processes it tracks, the
# dropped count, lines expected and received, and conservation in every line.
#   SOAK_SECONDS=600 bench/soak.sh [OUT]
set -eu
OUT=${1:-build}
SECS=${SOAK_SECONDS:-600}
WP="$OUT/wattprobe"
TMP=$(mktemp -d /tmp/wattprobe-soak.XXXXXX)
trap 'kill $churn_pids 2>/dev/null; rm -rf "$TMP"' EXIT

"$WP" json -i 0.1 >"$TMP/out" 2>"$TMP/err" &
agent=$!
sleep 2
rss0=$(awk '/^VmRSS/ {print $2}' /proc/$agent/status)
churn_pids=""
for i in 1 2 3 4; do
	sh -c 'n=0; while :; do /bin/true; n=$((n + 1)); echo $n >'"$TMP/n$i"'; done' &
	churn_pids="$churn_pids $!"
done
t0=$(date +%s)
sleep "$SECS"
kill $churn_pids 2>/dev/null
churn_pids=""
sleep 1
rss1=$(awk '/^VmRSS/ {print $2}' /proc/$agent/status)
hwm=$(awk '/^VmHWM/ {print $2}' /proc/$agent/status)
kill -TERM $agent
wait $agent || true
t1=$(date +%s)
spawned=0
for i in 1 2 3 4; do spawned=$((spawned + $(cat "$TMP/n$i" 2>/dev/null || echo 0))); done

lines=$(wc -l <"$TMP/out")
expected=$(( (t1 - t0 + 3) * 10 ))
jq -s -r --argjson spawned "$spawned" --argjson secs "$SECS" \
	--argjson rss0 "$rss0" --argjson rss1 "$rss1" --argjson hwm "$hwm" --argjson expected "$expected" '
	def conserved: ((([.processes[].energy_j] | add // 0) + .others.energy_j + .idle.energy_j) - .host.energy_j) | fabs < 0.00001;
	"| what | figure |",
	"|---|---|",
	"| churn | \($spawned) short processes in \($secs) s (\($spawned / $secs | floor)/s) |",
	"| JSON lines | \(length) received, about \($expected) expected at 0.1 s |",
	"| every line conserved (processes + others + idle = host) | \(all(.[]; conserved)) |",
	"| largest gap between lines | \([range(1; length) as $i | (.[$i].interval_s)] | max) s |",
	"| processes per line: median / max | \([.[].processes | length] | sort | .[length / 2 | floor]) / \([.[].processes | length] | max) |",
	"| dropped at the end | \(.[-1].dropped) |",
	"| agent RSS at start / end / peak | \($rss0) / \($rss1) / \($hwm) KiB |"
' "$TMP/out"
