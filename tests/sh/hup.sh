#!/bin/sh
# SIGHUP and --pid-file, as logrotate and service managers use them. SIGHUP never ends
# an agent: json --output opens its file again, prometheus, json to stdout and top go on.
# --pid-file is written at start, removed at exit, and written safely in a folder others
# may write: a symlink planted at its name is replaced, never written through. Then the
# logrotate recipe of docs/json.md, run by a real logrotate, rotates the file of one agent
# while two others run beside it: each of the three goes on. Needs root (BPF).
. "$(dirname "$0")/lib.sh"

alive() { kill -0 "$1" 2>/dev/null; }
# wait_gone PID SECONDS: until PID is no longer running
wait_gone() {
	i=0
	while alive "$1" && [ $i -lt $(($2 * 10)) ]; do sleep 0.1; i=$((i + 1)); done
	! alive "$1"
}
# wait_file FILE: until it exists and is not empty (5 s at the most)
wait_file() {
	i=0
	while [ ! -s "$1" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	test -s "$1"
}
lines() { wc -l <"$1" 2>/dev/null || echo 0; }

# --- SIGHUP to each agent that has nothing to reopen -----------------------------------
port=$(free_port)
"$WP" prometheus --listen "127.0.0.1:$port" -i 0.3 --pid-file "$TMP/prom.pid" \
	>/dev/null 2>"$TMP/prom.err" &
prom=$!
PIDS="$PIDS $prom"
"$WP" json -i 0.2 >"$TMP/stdout.jsonl" 2>"$TMP/stdout.err" &
jout=$!
PIDS="$PIDS $jout"
wait_url "http://127.0.0.1:$port/metrics" 10
check "--pid-file holds the agent's PID, with a newline" \
	sh -c "test \"\$(cat '$TMP/prom.pid')\" = '$prom' && test \$(wc -c <'$TMP/prom.pid') -eq $((${#prom} + 1))"
wait_file "$TMP/stdout.jsonl"
kill -HUP "$prom" "$jout"
sleep 0.8
check "SIGHUP: prometheus goes on" alive "$prom"
check "... and still serves /metrics" \
	sh -c "curl -sf 'http://127.0.0.1:$port/metrics' | grep -q '^wattprobe_host_joules_total '"
n=$(lines "$TMP/stdout.jsonl")
sleep 0.6
check "SIGHUP: json to stdout goes on writing ($n lines, then $(lines "$TMP/stdout.jsonl"))" \
	sh -c "kill -0 $jout && test \$(wc -l <'$TMP/stdout.jsonl') -gt $n"
kill -TERM "$prom" "$jout"
wait "$prom"
st=$?
check "SIGTERM then: prometheus exits 0 ($st)" test "$st" -eq 0
wait "$jout"
check "... json to stdout too" test $? -eq 0
check "... the pid file is removed at exit" test ! -e "$TMP/prom.pid"
check "... and nothing was said on stderr" test ! -s "$TMP/prom.err" -a ! -s "$TMP/stdout.err"

# --- a symlink planted at the pid file's name is replaced, not written through --------
echo precious >"$TMP/victim"
ln -s "$TMP/victim" "$TMP/planted.pid"
"$WP" json -c 3 -i 0.2 --pid-file "$TMP/planted.pid" >/dev/null 2>"$TMP/planted.err" &
jp=$!
i=0
while [ -L "$TMP/planted.pid" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
check "a planted symlink: the file it points to is untouched" \
	test "$(cat "$TMP/victim")" = precious
check "... the pid file is a file of its own with the PID" \
	sh -c "test ! -L '$TMP/planted.pid' && test \"\$(cat '$TMP/planted.pid')\" = $jp"
wait "$jp"
check "... removed at exit, the victim still there" \
	sh -c "test ! -e '$TMP/planted.pid' && test \"\$(cat '$TMP/victim')\" = precious"
check "... and no temporary file left beside it" \
	sh -c "! ls '$TMP' | grep -q 'planted.pid.'"

# A pid file taken over by another agent meanwhile is left to it.
"$WP" json -c 4 -i 0.2 --pid-file "$TMP/shared.pid" >/dev/null 2>&1 &
j1=$!
wait_file "$TMP/shared.pid"
echo 1 >"$TMP/shared.pid"
wait "$j1"
check "a pid file that no longer holds the agent's PID is left alone" \
	test "$(cat "$TMP/shared.pid" 2>/dev/null)" = 1

"$WP" json -c 1 --pid-file "$TMP/no/such/dir/wp.pid" >/dev/null 2>"$TMP/nodir.err"
st=$?
check "a pid file that cannot be written fails at start (exit 1), naming it ($st)" \
	sh -c "test $st -eq 1 && grep -q 'failed to write --pid-file .*no/such/dir/wp.pid' '$TMP/nodir.err'"
"$WP" run --pid-file "$TMP/x.pid" -- true >/dev/null 2>&1
check "--pid-file is an agent's option: run --pid-file is a usage error (exit 2)" test $? -eq 2

# --- the logrotate recipe of docs/json.md, with a real logrotate -----------------------
if command -v logrotate >/dev/null 2>&1; then
	log=$TMP/wattprobe.json
	pidf=$TMP/wattprobe.pid
	# the recipe as the docs give it, its two paths made ours
	awk '/^    \/var\/log\/wattprobe.json \{$/ { on = 1 } on { print } on && /^    }$/ { exit }' \
		docs/json.md | sed "s|/var/log/wattprobe.json|$log|; s|/run/wattprobe.pid|$pidf|" \
		>"$TMP/logrotate.conf"
	check "docs/json.md's logrotate recipe signals the agent of --pid-file" \
		grep -q "kill -HUP \$(cat $pidf)" "$TMP/logrotate.conf"
	"$WP" json --flat -i 0.2 -o "$log" --pid-file "$pidf" 2>"$TMP/lr.err" &
	jf=$!
	"$WP" json -i 0.2 >"$TMP/other.jsonl" 2>/dev/null &
	other=$!
	port=$(free_port)
	"$WP" prometheus --listen "127.0.0.1:$port" -i 0.3 >/dev/null 2>&1 &
	prom=$!
	PIDS="$PIDS $jf $other $prom"
	wait_file "$log"
	wait_url "http://127.0.0.1:$port/metrics" 10
	sleep 0.5
	logrotate -f -s "$TMP/logrotate.state" "$TMP/logrotate.conf" 2>"$TMP/logrotate.err"
	check "logrotate -f rotates with the recipe ($(cat "$TMP/logrotate.err"))" test $? -eq 0
	# what the old recipe did, kill -HUP $(pidof wattprobe), to each of ours by PID
	kill -HUP "$jf" "$other" "$prom"
	i=0
	while [ ! -s "$log" ] && [ $i -lt 30 ]; do sleep 0.1; i=$((i + 1)); done
	sleep 0.5
	check "the rotated agent writes to a new file, the old one moved to .1" \
		sh -c "test -s '$log' && test -s '$log.1'"
	check "... every line of both is JSON" sh -c "cat '$log.1' '$log' | jq -e . >/dev/null"
	check "all three agents go on after SIGHUP (json -o, json to stdout, prometheus)" \
		sh -c "kill -0 $jf && kill -0 $other && kill -0 $prom"
	kill -TERM "$jf" "$other" "$prom"
	wait "$jf"
	check "... and exit 0 on SIGTERM, the pid file removed" \
		sh -c "test $? -eq 0 && test ! -e '$pidf'"
	wait "$other" "$prom" 2>/dev/null
else
	echo "  skip  logrotate is not installed (apt-get install logrotate, or scripts/deps.sh)"
fi

finish
