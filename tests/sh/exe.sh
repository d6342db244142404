#!/bin/sh
# Issue 11 (exe from BPF): --group-by exe resolves the executable of root's processes
# after the agent dropped every capability and became nobody, when /proc/PID/exe of a
# root process is no longer readable to it: BPF reads it (a task iterator for processes
# that started before the agent, a record at fork and at exec for the rest). Needs root.
. "$(dirname "$0")/lib.sh"

id nobody >/dev/null 2>&1 || { echo "  skip  no user nobody"; exit 0; }
# before the agent: a busy root shell, and a subshell of it that never execs
sh -c 'i=0; while :; do i=$((i + 1)); done' &
early=$!
PIDS="$early"
"$WP" json -g exe --user nobody -c 6 -i 0.5 >"$TMP/out" 2>"$TMP/err" &
agent=$!
PIDS="$PIDS $agent"
sleep 1
# after: a root shell started by fork and exec, and a subshell of it that never execs
sh -c "( i=0; while :; do i=\$((i + 1)); done ) & echo \$! >'$TMP/sub'; wait" &
late=$!
PIDS="$PIDS $late"
i=0
while [ ! -s "$TMP/sub" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
PIDS="$PIDS $(cat "$TMP/sub")"
wait $agent || true
kill $early $late $(cat "$TMP/sub") 2>/dev/null
PIDS=""
check "the agent ran as nobody (no error)" sh -c "[ ! -s '$TMP/err' ] && [ \$(wc -l <'$TMP/out') -eq 6 ]"
jq -c '{dash: ([.groups[] | select(.key == "/usr/bin/dash")] | .[0] | {members, cpu_util}),
	unknown: ([.groups[] | select(.key == "(unknown)")] | .[0] | {members, cpu_util})}' \
	"$TMP/out" | tail -3
check "root's busy shells (started before and after the agent) are under /usr/bin/dash" \
	sh -c "jq -e -s '.[-1].groups | any(.key == \"/usr/bin/dash\" and .members >= 2 and .cpu_util > 0.5)' '$TMP/out' >/dev/null"
check "... and not under (unknown)" \
	sh -c "jq -e -s 'all(.[-3:][]; ([.groups[] | select(.key == \"(unknown)\") | .cpu_util] | add // 0) < 0.1)' '$TMP/out' >/dev/null"
finish
