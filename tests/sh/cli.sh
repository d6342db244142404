#!/bin/sh
# The command line as users meet it: help, bad input, JSON Lines, pipes, signals,
# privileges. Needs root (the agent loads BPF).
. "$(dirname "$0")/lib.sh"

status() { "$@" >/dev/null 2>&1; echo $?; }

check "--help exits 0 and reads like a man page" \
	sh -c "$WP --help | grep -q '^SYNOPSIS' && $WP --help | grep -q 'EXIT STATUS'"
check "an unknown flag exits 2" test "$(status $WP --frobnicate)" -eq 2
check "a bad --interval exits 2" test "$(status $WP json --interval abc)" -eq 2
# numbers are decimal: strtod took 0x10 for 16 s, and inf, nan, 1e1, " 1" and "+1" too
for v in 0x10 0X1p4 inf nan 1e1 " 1" "+1" "1 " "1..2" "." ""; do
	check "--interval '$v' exits 2 (decimal only)" test "$(status $WP json -c 1 --interval "$v")" -eq 2
done
for v in 5x 0x10 " 5" "+5" 1e3; do
	check "--count '$v' exits 2 (decimal only)" test "$(status $WP json --count "$v")" -eq 2
done
check "--tdp 0x10 exits 2" test "$(status $WP json -c 1 --tdp 0x10)" -eq 2
check "--interval .5 and 0.25 are taken" \
	sh -c "$WP json -c 1 --interval .5 >/dev/null && $WP json -c 1 --interval 0.25 >/dev/null"
check "a zero --count exits 2" test "$(status $WP json --count 0)" -eq 2
check "an unknown command exits 2" test "$(status $WP frob)" -eq 2
check "a bad --group-by exits 2" test "$(status $WP json --group-by planet)" -eq 2
check "a bad --comm regex exits 2" test "$(status $WP json --comm '(')" -eq 2
check "an unknown --user exits 2" test "$(status $WP json --user no-such-user-here)" -eq 2
check "the usage error names the flag" sh -c "$WP json --interval abc 2>&1 | grep -q -- '--interval'"
check "an option of another command exits 2" test "$(status $WP json --listen :9725)" -eq 2
# the usage is made from the option table: every option it lists is in docs/options.md too
# (tests/sh/docs.sh holds the manual page to the same)
OPTIONS_DOC="$(dirname "$0")/../../docs/options.md"
missing=""
for o in $("$WP" --help | grep -oE -- '--[a-z][a-z0-9.-]+' | sort -u); do
	re=$(printf '%s' "$o" | sed 's/\./\\./g')
	grep '^|' "$OPTIONS_DOC" | grep -qE -- "$re([ \`=]|\$)" || missing="$missing $o"
done
check "every option of --help is documented in docs/options.md${missing:+ (missing:$missing)}" \
	test -z "$missing"

# Runtime failures: exit 1 and say what is missing.
"$WP" json --sensor rapl --powercap-root "$TMP/none" -c 1 >/dev/null 2>"$TMP/err"
check "--sensor rapl without RAPL exits 1" test $? -eq 1
check "... and says there is no RAPL" grep -qi "rapl\|powercap" "$TMP/err"
setpriv --reuid=65534 --regid=65534 --clear-groups "$WP" json -c 1 >/dev/null 2>"$TMP/err"
check "not root exits 1" test $? -eq 1
check "... naming CAP_BPF and CAP_PERFMON" sh -c "grep -q CAP_BPF '$TMP/err' && grep -q CAP_PERFMON '$TMP/err'"

# A --pid of no process: said once on stderr, and the agent goes on.
nopid=999999
while [ -e "/proc/$nopid" ]; do nopid=$((nopid + 1)); done
"$WP" json -c 3 -i 0.2 -p "$nopid" >"$TMP/nopid" 2>"$TMP/nopid.err"
check "-p $nopid (no such process): exit 0, all 3 lines" \
	sh -c "test $? -eq 0 && test \$(wc -l <'$TMP/nopid') -eq 3"
check "... saying once on stderr that no such process exists" \
	sh -c "test \$(grep -c -- '--pid $nopid: no such process' '$TMP/nopid.err') -eq 1 &&
		test \$(wc -l <'$TMP/nopid.err') -eq 1"
"$WP" json -c 1 -i 0.2 -p $$ >/dev/null 2>"$TMP/pid.err"
check "... and nothing of a process that exists" test ! -s "$TMP/pid.err"

# JSON Lines: every line parses, host power is a number, the model is labelled.
"$WP" json -c 3 -i 0.2 >"$TMP/lines"
check "json -c 3 prints 3 lines" test "$(wc -l <"$TMP/lines")" -eq 3
check "every line is valid JSON" sh -c "jq -e . '$TMP/lines' >/dev/null"
check "host.power_w is a number" sh -c "jq -e '.host.power_w | type == \"number\"' '$TMP/lines' >/dev/null"
check "without RAPL the sensor is model and estimated" \
	sh -c "jq -e -s 'all(.[]; .sensor == \"model\" and .estimated == true)' '$TMP/lines' >/dev/null"
check "processes + others + idle add up to the host energy (to the microjoule)" \
	sh -c "jq -e -s 'all(.[]; ((([.processes[].energy_j] | add) + .others.energy_j + .idle.energy_j) - .host.energy_j) | fabs < 0.00001)' '$TMP/lines' >/dev/null"
"$WP" json -c 2 -i 0.2 -n 1 >"$TMP/top1"
check "--top 1 keeps one process and sums the rest in others" \
	sh -c "jq -e -s 'all(.[]; (.processes | length) <= 1 and .others.members > 0)' '$TMP/top1' >/dev/null"
"$WP" json -c 1 -i 0.3 --group-by comm >"$TMP/groups"
check "--group-by comm gives groups with members" \
	sh -c "jq -e '.group_by == \"comm\" and (.groups | length) > 0 and all(.groups[]; .members >= 1)' '$TMP/groups' >/dev/null"

# Pipes and signals.
"$WP" json -i 0.1 2>"$TMP/err" | head -1 >/dev/null
check "json | head -1 exits 0" test $? -eq 0
check "... with nothing on stderr" test ! -s "$TMP/err"
"$WP" json -i 0.1 >"$TMP/sig" 2>"$TMP/err" &
pid=$!
sleep 1
kill -TERM $pid
wait $pid
check "SIGTERM exits 0" test $? -eq 0
check "... and the last line is complete JSON" last_jqe "$TMP/sig" .
"$WP" -c 1 -i 0.2 >"$TMP/top" 2>&1
check "top without a terminal prints plain lines" sh -c "! grep -q \"$(printf '\033')\" '$TMP/top' && grep -q '^ *PID' '$TMP/top'"

# Least privilege: after start-up the agent holds no capability and still
# reports energy from the energy file it opened first (root-only here).
mkdir -p "$TMP/pc"
"$OUT/tools/fakerapl" --root "$TMP/pc" --package 0:30 &
PIDS="$PIDS $!"
sleep 0.3
chmod 600 "$TMP/pc/intel-rapl:0/energy_uj"
"$WP" json --user nobody --sensor rapl --powercap-root "$TMP/pc" -i 0.3 -c 8 >"$TMP/priv" 2>"$TMP/err" &
pid=$!
sleep 1.5
capeff=$(awk '/^CapEff/ {print $2}' /proc/$pid/status)
uid=$(awk '/^Uid/ {print $2}' /proc/$pid/status)
wait $pid
check "the running agent has an empty effective capability set (CapEff $capeff)" \
	test "$capeff" = "0000000000000000"
check "... and runs as nobody (uid $uid)" test "$uid" = "65534"
check "... and still reports measured energy (about 30 W)" \
	last_jqe "$TMP/priv" '.sensor == "rapl" and (.host.power_w > 27 and .host.power_w < 33)'

# Every thread, not only the main one: capabilities are per thread, and the HTTP
# thread parses all network input. As root, as --user nobody, and as the systemd
# unit starts it (a dynamic user with BPF, PERFMON and DAC_READ_SEARCH ambient).
# threads_clean PID BOUNDING: every task has no capability in any set but the
# bounding one (which must equal BOUNDING, or be anything for "-"), and no_new_privs.
threads_clean() {
	n=0
	bad=0
	for t in /proc/$1/task/*; do
		n=$((n + 1))
		awk -v bnd="$2" '
			/^Cap(Inh|Prm|Eff|Amb):/ && $2 != "0000000000000000" { bad = 1 }
			/^CapBnd:/ && bnd != "-" && $2 != bnd { bad = 1 }
			/^NoNewPrivs:/ && $2 != "1" { bad = 1 }
			END { exit bad }' "$t/status" || { bad=1; sed 's/^/        /' "$t/status" | grep -E "Name|Cap|NoNew"; }
	done
	[ "$n" -ge 2 ] && [ "$bad" -eq 0 ]
}
prom_threads() { # DESCRIPTION BOUNDING "AGENT OPTIONS" RUNNER...
	d=$1
	bnd=$2
	extra=$3
	shift 3
	port=$(free_port)
	# shellcheck disable=SC2086
	"$@" "$WP" prometheus --listen "127.0.0.1:$port" -i 0.2 $extra >/dev/null 2>"$TMP/err" &
	pid=$!
	wait_url "http://127.0.0.1:$port/metrics" 10
	curl -s -o /dev/null "http://127.0.0.1:$port/metrics"
	check "$d: every thread ($(ls /proc/$pid/task | wc -l)) holds no capability, no_new_privs" \
		threads_clean $pid "$bnd"
	kill $pid
	wait $pid
}
prom_threads "prometheus as root" 0000000000000000 "" env
prom_threads "prometheus --user nobody" 0000000000000000 "--user nobody" env
# without CAP_SETPCAP the bounding set cannot shrink: the rest must still be empty
prom_threads "prometheus under the unit's ambient capabilities" - "" \
	setpriv --reuid=65534 --regid=65534 --clear-groups \
	--inh-caps +bpf,+perfmon,+dac_read_search --ambient-caps +bpf,+perfmon,+dac_read_search

finish
