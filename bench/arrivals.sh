#!/bin/sh
# Memory when processes arrive after the agent (issue 23): the agent starts first, then
# N processes (tests/tools/flood --live: each with a command line of its own, each runs
# once, at its start, then sleeps), held for HOLD seconds, then all end. For json and
# prometheus in turn (one agent at a time): the agent's RSS before, with the processes
# alive, and after they ended; and its peak (VmHWM). bench/run.sh calls it; by hand:
#   ARRIVALS=10000 HOLD=5 bench/arrivals.sh [OUT] [RESULTS_FILE]   (root: BPF)
# Prints a markdown table; with RESULTS_FILE, appends "arrivals.MODE.KEY KiB" lines.
set -eu
OUT=${1:-build}
RES=${2:-/dev/null}
N=${ARRIVALS:-10000}
HOLD=${HOLD:-5}
TMP=$(mktemp -d /tmp/wattprobe-arrivals.XXXXXX)
agent=
flood=
trap 'kill $flood $agent 2>/dev/null || true; rm -rf "$TMP"' EXIT

kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# prometheus is scraped every second, as a server would
tick() {
	[ "$1" != prometheus ] || curl -s -o /dev/null "http://127.0.0.1:$port/metrics" || true
	sleep 1
}

echo "| agent | before, KiB | ${N} alive, KiB | after they ended, KiB | peak (VmHWM), KiB |"
echo "|---|---:|---:|---:|---:|"
for mode in json prometheus; do
	set -- -i 1
	[ $mode = prometheus ] && set -- "$@" --listen "127.0.0.1:$port"
	"$OUT/wattprobe" $mode "$@" >/dev/null 2>"$TMP/err" &
	agent=$!
	for _ in 1 2 3 4; do tick $mode; done
	kill -0 $agent 2>/dev/null || { echo "arrivals: the agent exited: $(cat "$TMP/err")" >&2; exit 1; }
	before=$(kb $agent VmRSS)
	"$OUT/tools/flood" --count "$N" --live >"$TMP/flood" &
	flood=$!
	i=0
	while [ $i -lt "$HOLD" ]; do tick $mode; i=$((i + 1)); done
	alive=$(kb $agent VmRSS)
	kill $flood
	wait $flood || true
	flood=
	for _ in 1 2 3 4 5; do tick $mode; done
	after=$(kb $agent VmRSS)
	hwm=$(kb $agent VmHWM)
	kill $agent
	wait $agent || true
	agent=
	echo "| \`wattprobe $mode -i 1\` ($(jq -r '"\(.started) started, \(.per_s)/s"' "$TMP/flood")) | $before | $alive | $after | $hwm |"
	printf 'arrivals.%s.before_kb %s\narrivals.%s.alive_kb %s\narrivals.%s.after_kb %s\narrivals.%s.hwm_kb %s\n' \
		$mode "$before" $mode "$alive" $mode "$after" $mode "$hwm" >>"$RES"
done
echo "arrivals.n $N" >>"$RES"
