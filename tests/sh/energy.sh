#!/bin/sh
# Energy counters that lie, through the real agent (issue 11): a forward jump
# no package can draw, a counter that stops, two zones that say the same
# package, zones without a name; and the baseline's Prometheus series, which
# keep their labels while the baseline learns (issue 13), with its curve and
# the range idle is in (issue 28). Needs root.
. "$(dirname "$0")/lib.sh"

pc="$TMP/pc"
z="$pc/intel-rapl:0"
# A 30 W package with the constraint files of real RAPL (limit 30 W: steps
# above 4 x 30 W are implausible), advanced by hand, 9 J a step: one step per
# 0.3 s interval is 30 W.
"$OUT/tools/fakerapl" --root "$pc" --package 0:30 --once >/dev/null
uj=1000000
step() {
	uj=$((uj + 9000000))
	printf '%s\n' "$uj" >"$z/energy_uj"
	[ ! -d "$pc/intel-rapl:1" ] || printf '%s\n' "$uj" >"$pc/intel-rapl:1/energy_uj"
}
# 8 intervals, one step in each, except the interval of line 4, which gets $1.
agent() {
	: >"$TMP/out"
	"$WP" json --sensor rapl --powercap-root "$pc" -i 0.3 -c 8 >"$TMP/out" 2>"$TMP/err" &
	pid=$!
	sleep 0.1
	step
	for k in 1 2 3 4 5 6 7; do
		wait_lines $k
		if [ $k = 3 ]; then eval "$1"; else step; fi
	done
	wait $pid
}
field() { sed -n "${1}p" "$TMP/out" | jq -r "$2"; }
# one step's 9 J, to the microjoule: its watts depend on how long the interval
# really was (a clean clone here read 21.5 W: 9 J in an interval a loaded machine made 0.42 s)
one_step() { python3 -c "import sys; sys.exit(abs(float(sys.argv[1]) - 9) > 1e-6)" "$1"; }

agent 'uj=$((uj + 200000000000)); printf "%s\n" $uj >"$z/energy_uj"'
check "a jump of 2e11 uJ in 0.3 s is a gap: $(field 4 .sockets[0].missing)" \
	test "$(field 4 .sockets[0].missing)" = "implausible jump"
check "... with no number ($(field 4 .host.power_w))" test "$(field 4 .host.power_w)" = null
check "... and a warning naming the file" grep -q "intel-rapl:0/energy_uj: implausible jump" "$TMP/err"
check "... never an absurd wattage, and the total holds no jump" \
	sh -c "jq -e -s 'all(.[]; .host.power_w == null or .host.power_w < 100) and
		([.[].host.energy_j // 0] | add) < 8 * 0.3 * 45' '$TMP/out' >/dev/null"
check "... the next steps count again ($(field 6 .host.energy_j) J, $(field 6 .host.power_w) W)" \
	one_step "$(field 6 .host.energy_j)"

agent true
check "a counter that does not move is a gap: $(field 4 .sockets[0].missing)" \
	test "$(field 4 .sockets[0].missing)" = "counter stuck"
check "... not 0 W ($(field 4 .host.power_w))" test "$(field 4 .host.power_w)" = null
# one warning per spell, not per interval
spells=$(jq -s '[.[].sockets[0].missing] | [range(length) as $i | select(.[$i] == "counter stuck"
	and ($i == 0 or .[$i - 1] != "counter stuck"))] | length' "$TMP/out")
check "... one warning per spell ($spells)" \
	test "$(grep -c 'energy_uj: counter stuck' "$TMP/err")" -eq "$spells"
b3=$(field 3 .sockets[0].idle_baseline_w)
b5=$(field 5 .sockets[0].idle_baseline_w)
check "... and the baseline does not fall ($b3 W, then $b5 W)" \
	python3 -c "import sys; sys.exit(not float(sys.argv[2]) >= 0.9 * float(sys.argv[1]) > 0)" "$b3" "$b5"
check "... it reads again ($(field 6 .host.energy_j) J, $(field 6 .host.power_w) W)" \
	one_step "$(field 6 .host.energy_j)"

# Two zones that both say package-0, each counting the same 30 W.
cp -r "$z" "$pc/intel-rapl:1"
agent step
check "two zones named package-0 count once: $(field 6 .host.power_w) W, not 60" \
	python3 -c "import sys; sys.exit(not 24 < float(sys.argv[1]) < 36)" "$(field 6 .host.power_w)"
check "... with a warning naming both and the one that counts" \
	grep -q 'intel-rapl:0 and .*intel-rapl:1 both say "package-0" (socket 0): counting intel-rapl:0' "$TMP/err"
rm -rf "$pc/intel-rapl:1"

# Zones without a name: --sensor auto says why it falls back to the model.
rm "$z/name"
"$WP" json --powercap-root "$pc" -c 1 -i 0.1 >"$TMP/out" 2>"$TMP/err"
check "zones without a name: auto uses the model ($(jq -r .sensor "$TMP/out"))" \
	test "$(jq -r .sensor "$TMP/out")" = model
check "... and says why on stderr" \
	sh -c "grep -q 'intel-rapl:0 has no readable name' '$TMP/err' && grep -q 'using the power model' '$TMP/err'"
"$WP" json --sensor rapl --powercap-root "$pc" -c 1 -i 0.1 >/dev/null 2>"$TMP/err"
check "... --sensor rapl fails (status $?) naming the problem" grep -q "readable name" "$TMP/err"

# Prometheus: one series per socket and domain for the baseline, whose labels
# do not change while it goes from the prior to the fit.
rm -rf "$pc"
"$OUT/tools/fakerapl" --root "$pc" --package 0:10+15 --period-ms 5 >/dev/null &
PIDS="$PIDS $!"
port=$(free_port)
"$WP" prometheus --sensor rapl --powercap-root "$pc" --listen "127.0.0.1:$port" -i 0.2 \
	>/dev/null 2>&1 &
PIDS="$PIDS $!"
wait_url "http://127.0.0.1:$port/metrics" 10
i=0
# (from the fit's first point: before it, spread and residual are not known, and not shown)
while [ $i -lt 50 ] && ! curl -s "http://127.0.0.1:$port/metrics" |
	grep -q '^wattprobe_socket_baseline_intervals{.*} [1-9]'; do
	sleep 0.1
	i=$((i + 1))
done
curl -s "http://127.0.0.1:$port/metrics" | grep '^wattprobe_socket_.*baseline' | sed 's/ .*//' >"$TMP/s1"
sh -c 'while :; do :; done' &
busy=$!
sleep 2
kill $busy
sleep 1
curl -s "http://127.0.0.1:$port/metrics" | grep '^wattprobe_socket_.*baseline' | sed 's/ .*//' >"$TMP/s2"
check "the baseline's series are the same while it learns ($(wc -l <"$TMP/s1") series)" \
	sh -c "test -s '$TMP/s1' && cmp -s '$TMP/s1' '$TMP/s2'"
check "... one baseline per socket and domain, no source label" \
	sh -c "grep -qx 'wattprobe_socket_idle_baseline_watts{socket=\"0\",domain=\"package\"}' '$TMP/s2' &&
		! grep -q 'source=' '$TMP/s2'"
check "... and how sure it is" \
	sh -c "grep -q '^wattprobe_socket_baseline_prior_ratio{socket=\"0\",domain=\"package\"}' '$TMP/s2' &&
		grep -q '^wattprobe_socket_baseline_info{socket=\"0\",domain=\"package\",method=\"learnt\"}' '$TMP/s2'"
curl -s "http://127.0.0.1:$port/metrics" >"$TMP/page"
check "... the range idle is in, and the learnt curve at 0, 25, 50, 75 and 100% load" \
	sh -c "grep -q '^wattprobe_socket_idle_baseline_low_watts{socket=\"0\",domain=\"package\"} ' '$TMP/page' &&
		grep -q '^wattprobe_socket_idle_baseline_high_watts{socket=\"0\",domain=\"package\"} ' '$TMP/page' &&
		test \$(grep -c '^wattprobe_socket_power_curve_watts{socket=\"0\",domain=\"package\",load=\"[0-9.]*\"} ' '$TMP/page') -eq 5"

# --state-file: what the baselines learnt survives a restart.
"$WP" json --sensor rapl --powercap-root "$pc" --state-file "$TMP/state" -i 0.2 -c 10 \
	>"$TMP/out" 2>"$TMP/err"
n1=$(tail -1 "$TMP/out" | jq '.sockets[0].baseline.package.intervals')
check "JSON: the curve at five loads, rising, with idle inside its range ($(tail -1 "$TMP/out" | jq -c '.sockets[0].baseline.package | [.idle_range_w, .curve_w]'))" \
	sh -c "tail -1 '$TMP/out' | jq -e '.sockets[0].baseline.package | (.curve_w | length == 5
		and . == sort) and .idle_range_w[0] <= .idle_w and .idle_w <= .idle_range_w[1]
		and .curve_w[0] == .idle_w' >/dev/null"
check "--state-file is written at exit ($(sed -n 3p "$TMP/state" 2>/dev/null))" \
	grep -qx "fit 0 package $n1" "$TMP/state"
# (an interval is a point of the fit once the next one has energy too: -c 2)
"$WP" json --sensor rapl --powercap-root "$pc" --state-file "$TMP/state" -i 0.2 -c 2 \
	>"$TMP/out" 2>"$TMP/err"
n2=$(tail -1 "$TMP/out" | jq '.sockets[0].baseline.package.intervals')
check "... and read at start: the second interval's fit holds $n2 intervals ($n1 + 1)" \
	test "$n2" -eq $((n1 + 1))
printf 'wattprobe-baselines 1\nwritten 0\nfit 0 package 5\n' >"$TMP/state"
"$WP" json --sensor rapl --powercap-root "$pc" --state-file "$TMP/state" -i 0.2 -c 2 \
	>"$TMP/out" 2>"$TMP/err"
check "... a broken one is named on stderr and the agent starts afresh" \
	sh -c "grep -q 'state, line 4: not a wattprobe baselines file' '$TMP/err' &&
		test \"\$(tail -1 '$TMP/out' | jq '.sockets[0].baseline.package.intervals')\" -eq 1"
printf 'wattprobe-baselines 9\nwritten 0\n' >"$TMP/state"
"$WP" json --sensor rapl --powercap-root "$pc" --state-file "$TMP/state" -i 0.2 -c 2 \
	>"$TMP/out" 2>"$TMP/err"
check "... one of another version is refused by its version, and written over" \
	sh -c "grep -q 'version 9 of the baselines file, this wattprobe reads version 1' '$TMP/err' &&
		test \"\$(tail -1 '$TMP/out' | jq '.sockets[0].baseline.package.intervals')\" -eq 1 &&
		head -1 '$TMP/state' | grep -qx 'wattprobe-baselines 1'"
# a link planted where the temporary file was (PATH.tmp) is not followed
echo precious >"$TMP/victim"
ln -sf "$TMP/victim" "$TMP/state.tmp"
"$WP" json --sensor rapl --powercap-root "$pc" --state-file "$TMP/state" -i 0.2 -c 1 \
	>/dev/null 2>"$TMP/err"
check "... a link planted at PATH.tmp is left alone, its target unchanged" \
	sh -c "[ \"\$(cat '$TMP/victim')\" = precious ] && grep -q '^wattprobe-baselines' '$TMP/state'"
# a folder every user can write to is refused, with the reason
mkdir -m 1777 "$TMP/shared"
"$WP" json --sensor rapl --powercap-root "$pc" --state-file "$TMP/shared/state" -i 0.2 -c 1 \
	>/dev/null 2>"$TMP/err"
check "... a folder every user can write to is refused ($(head -1 "$TMP/err" | sed "s|$TMP/||g"))" \
	sh -c "grep -q 'is writable by every user' '$TMP/err' && [ ! -e '$TMP/shared/state' ]"
# a FIFO is not waited on: the agent starts, says why, and SIGTERM ends it
mkfifo "$TMP/fifo"
"$WP" json --sensor rapl --powercap-root "$pc" --state-file "$TMP/fifo" -i 0.2 \
	>"$TMP/out" 2>"$TMP/err" &
agent=$!
PIDS="$PIDS $agent"
wait_lines 1
kill -TERM $agent
i=0
while kill -0 $agent 2>/dev/null && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
check "... a FIFO is refused, not waited on, and SIGTERM ends the agent ($(head -1 "$TMP/err" | sed "s|$TMP/||g"))" \
	sh -c "! kill -0 $agent 2>/dev/null && grep -q 'is not a regular file' '$TMP/err' &&
		[ \"\$(wc -l <'$TMP/out')\" -ge 1 ]"
kill -KILL $agent 2>/dev/null
finish
