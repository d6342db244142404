#!/bin/sh
# Issue 23: memory when processes arrive after the agent. The agent starts first, then
# 3,000 processes with command lines of their own (each runs once, at its start, and
# sleeps), which then all end. What the agent holds for them is bounded (RSS with them
# alive, and its peak, at most MEM_PER_PROC_B each above where it was), and goes back
# once they are gone (within MEM_BACK_KB of where it was: before, every page the table,
# the sample's copies and the JSON line had touched stayed). bench/arrivals.sh measures
# the same at 10,000 for BENCHMARKS.md.
. "$(dirname "$0")/lib.sh"
N=3000
# its table entry (528 bytes), its row (400), its part of the JSON line, the cgroup and
# /proc caches' entries: 1.15-1.39 KiB each at the peak here in 14 runs; 1.73-2.26 KiB
# with main at 0df69a9 (the sample copied each, a row held 256 bytes of key), 2.2-2.4
# KiB at 63d8156. Bytes, so that the bound can sit between them.
MEM_PER_PROC_B=1792
MEM_BACK_KB=1024

kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

"$WP" json -i 0.25 >/dev/null 2>"$TMP/err" &
agent=$!
PIDS="$PIDS $agent"
sleep 1
before=$(kb $agent VmRSS)
hwm0=$(kb $agent VmHWM)
# 2.3-2.5 MiB of every agent's RSS when they were linked: only the HTTP server loads them
maps=$(cat /proc/$agent/maps)
check "json maps neither libmicrohttpd nor GnuTLS" \
	test -z "$(printf '%s\n' "$maps" | grep -E 'libmicrohttpd|libgnutls')"
"$OUT/tools/flood" --count $N --live >"$TMP/flood" &
flood=$!
PIDS="$PIDS $flood"
sleep 1.5
alive=$(kb $agent VmRSS)
kill $flood
wait $flood
# their 3,000 exits, and the agent's retiring them an interval later, take longer on a
# loaded machine (CI once read 9332 KiB at a fixed 1.25 s): wait until it is back, or 10 s
waited=0
after=$(kb $agent VmRSS)
while [ $((after - before)) -gt $MEM_BACK_KB ] && [ $waited -lt 40 ]; do
	sleep 0.25
	waited=$((waited + 1))
	after=$(kb $agent VmRSS)
done
hwm=$(kb $agent VmHWM)
check "the agent ran through it ($(jq -c . "$TMP/flood"))" kill -0 $agent
check "with $N processes alive: $alive KiB, from $before KiB (at most $MEM_PER_PROC_B bytes each)" \
	test $((alive - before)) -le $((N * MEM_PER_PROC_B / 1024))
check "... peak $hwm KiB (at most $MEM_PER_PROC_B bytes each above $hwm0 KiB)" \
	test $((hwm - hwm0)) -le $((N * MEM_PER_PROC_B / 1024))
check "... and once they ended, $after KiB after $((waited / 4)).$((waited % 4 * 25)) s: back within $MEM_BACK_KB KiB of $before KiB" \
	test $((after - before)) -le $MEM_BACK_KB
finish
