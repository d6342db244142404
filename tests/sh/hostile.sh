#!/bin/sh
# No duplicate series whatever the names: processes whose comms used to escape
# alike (dup\001, dup\002, dup\377, a literal dup\x01, ...) and one PID used by
# two processes within moments, through a live agent. Every page passes
# promtool, has no two samples with one label set, and each name comes back
# from its label value byte for byte.
. "$(dirname "$0")/lib.sh"
PARSE="python3 $(dirname "$0")/promparse.py"
# Wait until URL answers 200, up to $2 seconds.
wait_page() {
	i=0
	while [ $i -lt $(($2 * 10)) ]; do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "$1")" = 200 ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# The names, as bytes in octal for printf; each is a symlink to duty, whose
# basename the kernel takes as the comm at exec.
NAMES='dup\001 dup\002 dup\377 dup\\x01 dup\\\\x01 dup\\ dup\357\277\275 dup" dup\n dup\\n'
mkdir -p "$TMP/bin"
DUTY=$(cd "$OUT/tools" && pwd)/duty
for n in $NAMES; do
	name=$(printf "$n.")
	ln -s "$DUTY" "$TMP/bin/${name%.}"
done
ln -s "$DUTY" "$TMP/bin/job"
set -- "$TMP"/bin/*
check "the ten names are ten files" test $# -eq 11

# --rate-window 1: series count after 1 s and stay 2 s after they go
port=$(free_port)
"$WP" prometheus --listen "127.0.0.1:$port" -i 0.5 --rate-window 1 --comm '^(dup|job)' \
	>/dev/null 2>"$TMP/agent.err" &
PIDS="$PIDS $!"
check "the agent serves a first page" wait_page "http://127.0.0.1:$port/metrics" 10
for f in "$TMP"/bin/dup*; do
	"$f" 6 5 &
	PIDS="$PIDS $!"
done
# one PID, two processes of one name: the second starts as the first exits
"$OUT/tools/samepid" "$TMP/bin/job" 2 60 >"$TMP/samepid" 2>&1 &
PIDS="$PIDS $!"

i=0
while [ $i -lt 24 ]; do
	sleep 0.25
	curl -s -o "$TMP/page.$i" "http://127.0.0.1:$port/metrics"
	i=$((i + 1))
done
sleep 0.1
reused=$(head -1 "$TMP/samepid")
bad_lint=0
both=0
for i in 0 4 8 12 16 20; do	# promtool takes a while to start
	promtool check metrics <"$TMP/page.$i" >"$TMP/lint" 2>&1 ||
		{ bad_lint=$((bad_lint + 1)); cat "$TMP/lint"; }
done
for p in "$TMP"/page.*; do
	n=$(grep -c "^wattprobe_process_cpu_seconds_total{pid=\"$reused\",comm=\"job\"," "$p")
	[ "$n" -ge 2 ] && both=$((both + 1))
done
check "promtool check metrics passes on 6 of the pages ($bad_lint failed)" test $bad_lint -eq 0
check "no page of the 24 has two samples with one name and label set" \
	sh -c "$PARSE dups '$TMP'/page.* >'$TMP/dups' || { head -5 '$TMP/dups'; false; }"
check "PID $reused served two processes named job on $both pages, as distinct series" \
	test "$both" -ge 1
last=$(ls -t "$TMP"/page.* | head -1)
$PARSE series "$last" wattprobe_process_cpu_seconds_total >"$TMP/series"
for n in $NAMES; do
	name=$(printf "$n.")
	hex=$(printf '%s' "${name%.}" | od -An -tx1 | tr -d ' \n')
	check "comm $(printf '%s' "$n") has its own series, its bytes intact" \
		sh -c "jq -s -e --arg h '$hex' 'any(.[]; .comm_hex == \$h)' '$TMP/series' >/dev/null"
done
check "ten hostile names, ten series" \
	test "$(jq -s '[.[] | select(.comm | startswith("dup"))] | length' "$TMP/series")" -eq 10

# Grouped by comm: one group per name.
port=$(free_port)
"$WP" prometheus --listen "127.0.0.1:$port" -i 0.5 --rate-window 1 --comm '^dup' \
	--group-by comm >/dev/null 2>"$TMP/agent.err" &
PIDS="$PIDS $!"
wait_page "http://127.0.0.1:$port/metrics" 10
for f in "$TMP"/bin/dup*; do
	"$f" 3 5 &
	PIDS="$PIDS $!"
done
sleep 2
curl -s -o "$TMP/groups" "http://127.0.0.1:$port/metrics"
check "by comm: promtool passes" sh -c "promtool check metrics <'$TMP/groups'"
check "by comm: no duplicate series" $PARSE dups "$TMP/groups"
check "by comm: ten groups for the ten names" \
	test "$($PARSE series "$TMP/groups" wattprobe_group_cpu_seconds_total | jq -s 'length')" -eq 10
finish
