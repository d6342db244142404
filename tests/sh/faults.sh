#!/bin/sh
# Failure behaviour, each case through the real agent: broken energy files, a
# CPU going offline, a full process table, and a flood of bad HTTP requests.
# Needs root.
. "$(dirname "$0")/lib.sh"

pc="$TMP/pc"
z="$pc/intel-rapl:0"
"$OUT/tools/fakerapl" --root "$pc" --package 0:30 --once >/dev/null
# Advance the counter by hand, 9 J a step: one step per 0.3 s interval is 30 W.
uj=1000000
step() { uj=$((uj + 9000000)); printf '%s\n' "$uj" >"$z/energy_uj"; }
# Run the agent for 8 intervals, one step in each, except that the interval
# of line 3 gets $1 instead, and $2 puts things right before line 4's. (A
# step written late, on a loaded machine, lands in the next interval: 0 W,
# then 18 J in 0.3 s, more than the 30 W zone can draw, so missing; the
# recovery is looked for in lines 5 to 8.)
agent() {
	: >"$TMP/out"
	"$WP" json --sensor rapl --powercap-root "$pc" -i 0.3 -c 8 >"$TMP/out" 2>"$TMP/err" &
	pid=$!
	sleep 0.1
	step
	for k in 1 2 3 4 5 6 7; do
		wait_lines $k
		case $k in
		2) eval "$1" ;;
		3) eval "$2"; step ;;
		*) step ;;
		esac
	done
	wait $pid
}
# the k-th line's host power, "null" if missing
power() { sed -n "${1}p" "$TMP/out" | jq -r '.host.power_w'; }
missing() { sed -n "${1}p" "$TMP/out" | jq -r '.sockets[0].missing'; }

case_gap() { # NAME ACTION RECOVER
	agent "$2" "$3"
	p3=$(power 3)
	m3=$(missing 3)
	p58=$(for k in 5 6 7 8; do power $k; done | tr '\n' ' ')
	check "$1: the interval is missing ($m3), no number ($p3)" test "$p3" = null
	check "$1: a warning on stderr" grep -q "warning" "$TMP/err"
	check "$1: never a negative or absurd wattage" \
		sh -c "jq -e -s 'all(.[]; .host.power_w == null or (.host.power_w >= 0 and .host.power_w < 1000))' '$TMP/out' >/dev/null"
	check "$1: it recovers: $p58(W, lines 5-8) for a 30 W counter" \
		python3 -c "import sys; sys.exit(not any(w != 'null' and 24 < float(w) < 36 for w in sys.argv[1].split()))" "$p58"
}

case_gap "empty file" ': >"$z/energy_uj"' true
case_gap "garbage" 'printf "12ab\n" >"$z/energy_uj"' true
case_gap "counter reset (backwards, no plausible wrap)" \
	'uj=$((uj / 2)); printf "%s\n" $uj >"$z/energy_uj"' true
case_gap "past max_energy_range_uj" 'printf "999999999999999\n" >"$z/energy_uj"' true
case_gap "file deleted" 'rm "$z/energy_uj"' true
case_gap "unreadable (a directory)" 'rm "$z/energy_uj"; mkdir "$z/energy_uj"' 'rmdir "$z/energy_uj"'
case_gap "zone directory removed between intervals" 'rm -rf "$z"' \
	'"$OUT/tools/fakerapl" --root "$pc" --package 0:30 --once --start $uj >/dev/null'


# CPU 1 offline and back, where the kernel lets us.
if [ -w /sys/devices/system/cpu/cpu1/online ]; then
	: >"$TMP/hot"
	"$WP" json -i 0.3 >"$TMP/hot" 2>"$TMP/err" &
	pid=$!
	# each step once the agent has said the last one (at most 10 s each), not after a
	# fixed sleep: on a loaded machine (make test, CI) a CPU takes its time to go
	cpus() { jq -r '.sockets[0].online_cpus' "$TMP/hot" 2>/dev/null | tr -d '\n'; }
	until_seen() {
		i=0
		while ! cpus | grep -Eq "$1" && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	}
	until_seen '^22'
	echo 0 >/sys/devices/system/cpu/cpu1/online
	until_seen '^2+11'
	echo 1 >/sys/devices/system/cpu/cpu1/online
	until_seen '^2+1+22'
	kill $pid
	wait $pid
	check "cpu1 offline and online: every line parses" sh -c "jq -e . '$TMP/hot' >/dev/null"
	check "... online CPUs went 2 -> 1 -> 2 (read: $(cpus))" \
		sh -c "echo '$(cpus)' | grep -Eq '^2+1+2+$'"
	check "... processes + others + idle = host, every line" \
		sh -c "jq -e -s 'all(.[]; ((([.processes[].energy_j] | add // 0) + .others.energy_j + .idle.energy_j) - .host.energy_j) | fabs < 0.00001)' '$TMP/hot' >/dev/null"
else
	echo "  skip  cpu1/online is not writable here"
fi

# A process table of 4: the rest is [unrecorded], counted as dropped, totals hold.
for i in 1 2 3; do sh -c 'while :; do :; done' & PIDS="$PIDS $!"; done
"$WP" json -i 0.3 -c 3 --max-processes 4 >"$TMP/full" 2>/dev/null
for p in $PIDS; do kill "$p" 2>/dev/null; done
PIDS=""
check "--max-processes 4: dropped rises" \
	sh -c "jq -e -s '.[-1].dropped > .[0].dropped and .[0].dropped >= 0' '$TMP/full' >/dev/null"
check "... an [unrecorded] row holds the rest" \
	sh -c "jq -e -s 'any(.[]; any(.processes[]; .comm == \"[unrecorded]\" and .pid == null))' '$TMP/full' >/dev/null"
check "... processes + others + idle = host, every line" \
	sh -c "jq -e -s 'all(.[]; ((([.processes[].energy_j] | add // 0) + .others.energy_j + .idle.energy_j) - .host.energy_j) | fabs < 0.00001)' '$TMP/full' >/dev/null"

# Slow reader: nothing lost or broken.
"$WP" json -i 0.1 -c 20 | sh -c 'sleep 2; cat' >"$TMP/slow"
check "a slow reader gets all 20 lines, each complete" \
	sh -c "test \$(wc -l <'$TMP/slow') -eq 20 && jq -e . '$TMP/slow' >/dev/null"

# HTTP: 300 held connections, garbage, a 100 KB header, an unfinished request.
port=$(free_port)
"$WP" prometheus --listen "127.0.0.1:$port" -i 0.2 >/dev/null 2>&1 &
PIDS="$PIDS $!"
wait_url "http://127.0.0.1:$port/metrics" 10
sleep 0.5
before=$(curl -s "http://127.0.0.1:$port/metrics" | awk '/^wattprobe_host_cpu_seconds_total/ {print $2}')
python3 - "$port" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
held = []
for i in range(300):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=2)
        held.append(s)
    except OSError:
        pass
for payload in (b"\x16\x03\x01garbage\r\n\r\n", b"GET /metrics HTTP/1.1\r\nX: " + b"a" * 100000 + b"\r\n\r\n",
                b"GET /metr"):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=2)
        s.sendall(payload)
        held.append(s)
    except OSError:
        pass
time.sleep(2)
for s in held:
    s.close()
PY
ok_code=""
i=0
while [ $i -lt 50 ] && [ "$ok_code" != 200 ]; do
	ok_code=$(curl -s -m 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/metrics")
	i=$((i + 1))
	sleep 0.1
done
after=$(curl -s "http://127.0.0.1:$port/metrics" | awk '/^wattprobe_host_cpu_seconds_total/ {print $2}')
check "after a flood and bad requests, /metrics answers 200" test "$ok_code" = 200
check "... and sampling never stopped (cpu seconds $before -> $after)" \
	python3 -c "import sys; sys.exit(not float(sys.argv[2]) > float(sys.argv[1]))" "$before" "$after"

# SIGTERM and SIGINT at random points: exit 0, last line whole, and the
# programs it had loaded (read from its own fdinfo) are gone afterwards.
bad=0
left=0
for sig in TERM INT TERM INT TERM INT; do
	"$WP" json -i 0.05 >"$TMP/sig" 2>/dev/null &
	pid=$!
	sleep 0.3
	ids=$(cat /proc/$pid/fdinfo/* 2>/dev/null | awk '/^prog_id:/ {print $2}' | sort -u)
	sleep "0.$(od -An -N1 -tu1 /dev/urandom | tr -d ' ')"
	kill -s $sig $pid
	wait $pid || bad=$((bad + 1))
	[ ! -s "$TMP/sig" ] || tail -1 "$TMP/sig" | jqe . || bad=$((bad + 1))
	[ -n "$ids" ] || left=$((left + 100))
	# the kernel frees programs asynchronously (an RCU grace period and a
	# work item after the last descriptor closes): wait for them, with a bound
	for id in $ids; do
		i=0
		while bpftool prog show id "$id" >/dev/null 2>&1 && [ $i -lt 100 ]; do
			sleep 0.05
			i=$((i + 1))
		done
		bpftool prog show id "$id" >/dev/null 2>&1 && left=$((left + 1))
	done
done
check "SIGTERM/SIGINT at random points: exit 0 and a whole last line, 6 times" test $bad -eq 0
check "... and none of the programs each run loaded is left (within 5 s of exit)" test $left -eq 0

# SIGTERM while blocked writing to a pipe nobody reads: the write gives up and the
# agent ends within 2 s (with SA_RESTART the write was restarted, for ever)
mkfifo "$TMP/unread"
sleep 120 <"$TMP/unread" &
reader=$!
PIDS="$PIDS $reader"
"$WP" json -i 0.02 >"$TMP/unread" 2>"$TMP/unread.err" &
pid=$!
PIDS="$PIDS $pid"
# its main thread waits in write() or writev() (1 or 20 on x86_64)
in_write() {
	case "$(cut -d' ' -f1 /proc/$pid/syscall 2>/dev/null)" in 1 | 20) return 0 ;; esac
	return 1
}
i=0	# until it does, the pipe full
until in_write || [ $i -ge 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
sleep 0.3
check "json blocked on a pipe nobody reads (main thread in write)" in_write
t0=$(date +%s%N)
kill -TERM $pid
i=0
while kill -0 $pid 2>/dev/null && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
t1=$(date +%s%N)
st=0
kill -0 $pid 2>/dev/null || { wait $pid || st=$?; }
check "... SIGTERM ends it within 2 s ($(( (t1 - t0) / 1000000 )) ms), exit 0" \
	test $(( (t1 - t0) / 1000000 )) -le 2000 -a $st -eq 0
kill $reader 2>/dev/null
finish
