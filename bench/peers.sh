#!/bin/sh
# The tools users would pick instead of wattprobe, each run beside `wattprobe json -i 1`
# in the same windows under the same load (BENCHMARKS.md, "Beside the tools users would
# pick instead", says what is measured and how). Called by bench/run.sh, or alone after
# `make all build/bench/peerload`, as: bench/peers.sh OUT [RESULTS]
#
#   WP_BENCH_QUICK=1    one short window at 1,000 sleepers, 2 rounds of the pipe
#   WP_BENCH_UPDATE=1   also put the report into BENCHMARKS.md, between its peers markers
#
# Needs root (BPF), perf (linux-perf), jq, curl, and the peers `make bench` installs:
# prometheus-process-exporter, prometheus-node-exporter, sysstat (pidstat), atop and
# bpftrace. A peer that is missing or fails is reported as such, never left out.
# shellcheck disable=SC2086,SC2046 # lists of words, split on purpose
set -eu

OUT=${1:-build}
cd "$(dirname "$0")/.."
B=$OUT/bench
P=$B/peers
RES=${2:-$P/results.txt}
REPORT=$B/peers.md
mkdir -p "$P"
[ -n "${2:-}" ] || : >"$RES"

QUICK=${WP_BENCH_QUICK:-0}
if [ "$QUICK" = 1 ]; then
	SIZES=1000 WINDOW_S=10 SW_ROUNDS=2
else
	SIZES="1000 10000" WINDOW_S=60 SW_ROUNDS=11
fi
SW_LOOPS=10000	# perf bench sched pipe loops: two switches each
SW_RUNS=5	# runs of the workload per tool per round, their median kept
SW_SETTLE_S=1.5	# after a tool attached, before the runs: its start-up is over
SETTLE_S=3	# after every peer started, before the window
SCRAPE_MAX_S=120	# a scrape that takes longer is given up
CHURN_MS=50	# the churn: a wpb-short and a wpb-true every CHURN_MS
RAPL_PKG_W=40 RAPL_DRAM_W=5	# the fake package and DRAM, constant

die() { echo "peers: $*" >&2; exit 1; }
say() { printf '%s\n' "$*" >&2; }
[ "$(id -u)" -eq 0 ] || die "run as root: the agent and bpftrace load BPF programs"
for t in perf jq curl taskset bpftool; do
	command -v $t >/dev/null || die "$t not found (make deps installs it)"
done
for f in "$OUT/wattprobe" "$OUT/tools/duty" "$OUT/tools/burn" "$OUT/tools/fakerapl" "$B/peerload"; do
	[ -x "$f" ] || die "$f not built (make all $B/peerload)"
done

median() { sort -g | awk '{ v[NR] = $1 } END { if (!NR) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
res() { # KEY [FIELD]...: the rest of the first results line that starts so
	awk -v q="$*" 'BEGIN { n = split(q, w, " ") } { for (i = 1; i <= n; i++) if ($i != w[i]) next
		for (i = 1; i <= n; i++) $i = ""; sub(/^ +/, ""); print; exit }' "$RES"
}
now() { date +%s.%N; }
# copy stdin to stdout, each line that heads a pidstat report after "T <its arrival time>"
# (python3: a shell loop reads a byte at a time, and lags seconds behind on a busy machine)
stamp() {
	python3 -u -c 'import sys, time
for l in sys.stdin:
    if "%CPU" in l:
        sys.stdout.write("T %.6f\n" % time.time())
    sys.stdout.write(l)'
}
TCK=$(getconf CLK_TCK)

# utime + stime + cutime + cstime of a process, in seconds (/proc/PID/stat)
proc_cpu_s() {
	awk -v t="$TCK" '{ sub(/^.*\) /, ""); printf "%.2f\n", ($12 + $13 + $14 + $15) / t }' "/proc/$1/stat" 2>/dev/null
}
proc_hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

# --- the peers ------------------------------------------------------------------
# id, its Debian package, the command it needs; the table prints them in this order.
PEERS="agent procexp pidstat atop bpftrace nodeexp"
peer_pkg() {
	case $1 in
	agent) echo "wattprobe" ;; procexp) echo prometheus-process-exporter ;;
	pidstat) echo sysstat ;; atop) echo atop ;; bpftrace) echo bpftrace ;;
	nodeexp) echo prometheus-node-exporter ;;
	esac
}
peer_cmd() {
	case $1 in
	agent) echo "$OUT/wattprobe" ;; procexp) echo prometheus-process-exporter ;;
	pidstat) echo pidstat ;; atop) echo atop ;; bpftrace) echo bpftrace ;;
	nodeexp) echo prometheus-node-exporter ;;
	esac
}
peer_name() {
	case $1 in
	agent) echo "**wattprobe json -i 1**" ;;
	procexp) echo "prometheus-process-exporter (scraped 1/s)" ;;
	pidstat) echo "pidstat -u 1" ;; atop) echo "atop 1" ;;
	bpftrace) echo "bpftrace (sched_switch sum per pid)" ;;
	nodeexp) echo "prometheus-node-exporter, rapl collector (scraped 1/s)" ;;
	esac
}

# Why a peer is not measured ("" when it can run): kept in the results, shown in the table.
peer_why_not() {
	command -v "$(peer_cmd "$1")" >/dev/null 2>&1 ||
		{ echo "not installed (make bench installs $(peer_pkg "$1"): scripts/deps.sh bench)"; return; }
	if [ "$1" = bpftrace ] && [ ! -e "$TRACEFS/events/sched/sched_switch/format" ]; then
		echo "cannot run: no tracefs at /sys/kernel/tracing"
	fi
}

# bpftrace reads the tracepoint's format from tracefs; Debian's systemd mounts it, a
# bare VM may not: mount it for the run (and unmount it after).
TRACEFS=/sys/kernel/tracing
MOUNTED_TRACEFS=0
if [ ! -e $TRACEFS/events ] && command -v bpftrace >/dev/null; then
	mount -t tracefs tracefs $TRACEFS 2>/dev/null && MOUNTED_TRACEFS=1
fi

PIDS=""	# PID:SIGNAL of everything we started and still run
LOAD_PID=""
track() { PIDS="$PIDS $1:${2:-TERM}"; }	# PID [SIGNAL that stops it]
# Stop everything tracked: each with its signal (bpftrace exits on INT, not on TERM),
# then SIGKILL for what still runs 10 s later.
stop_tracked() {
	for e in $PIDS; do kill -"${e#*:}" "${e%:*}" 2>/dev/null || true; done
	i=0
	for e in $PIDS; do
		while kill -0 "${e%:*}" 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -KILL "${e%:*}" 2>/dev/null || true
		wait "${e%:*}" 2>/dev/null || true
	done
	PIDS=""
}
cleanup() {
	[ -z "${STATS_WAS:-}" ] || echo "$STATS_WAS" >/proc/sys/kernel/bpf_stats_enabled
	: >"$P/stop"
	[ -z "$LOAD_PID" ] || track "$LOAD_PID"
	stop_tracked
	[ $MOUNTED_TRACEFS = 0 ] || umount $TRACEFS 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { # the first port from $1 on that nothing listens on
	p=$1
	while ss -ltnH "sport = :$p" 2>/dev/null | grep -q .; do p=$((p + 1)); done
	echo $p
}

wait_for() { # SECONDS COMMAND...: until COMMAND succeeds; 1 on timeout
	t=$1
	shift
	i=0
	until "$@" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt $((t * 20)) ] || return 1
		sleep 0.05
	done
}
# a BPF program of process PID is attached: through a link (the agent), or a perf
# event (bpftrace 0.17 attaches tracepoints so)
attached() {
	grep -qs '^link_id:' /proc/"$1"/fdinfo/* ||
		bpftool perf show -j 2>/dev/null | jq -e --argjson p "$1" 'any(.[]; .pid == $p)' >/dev/null
}
answers() { curl -s -o /dev/null --max-time 30 "$1"; }

# A scraper, as Prometheus at a 1 s interval would be (one scrape at a time, the
# next at the next second, or at once when one took longer): each scrape's start,
# duration and status to LOG, and the lines of its body matching PATTERN, prefixed
# with the scrape's number and start (an exporter reads as the request comes), to KEEP.
scraper() { # URL LOG PATTERN KEEP
	k=0
	next=$(now)
	while [ ! -e "$P/stop" ]; do
		t0=$(now)
		code=$(curl -s --max-time $SCRAPE_MAX_S -o "$4.body" -w '%{http_code}' "$1" || echo 000)
		t1=$(now)
		# what it kept first: a scrape in LOG has its lines in KEEP
		grep -E "$3" "$4.body" 2>/dev/null | awk -v k=$k -v t="$t0" '{ print k, t, $0 }' >>"$4" || true
		echo "$k $t0 $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }') $code" >>"$2"
		k=$((k + 1))
		t=$(now)
		next=$(awk -v n="$next" -v t="$t" 'BEGIN { n += 1; printf "%.3f", (n > t ? n : t) }')
		s=$(awk -v n="$next" -v t="$t" 'BEGIN { printf "%.3f", (n > t ? n - t : 0) }')
		[ "$s" = 0.000 ] || sleep "$s"
	done
}

# The bpftrace a user would write for what the agent counts: on every switch, the
# time since the last switch on this CPU to the process going out; printed and
# cleared every second, as `json -i 1` prints.
cat >"$P/sum_per_pid.bt" <<'EOF'
tracepoint:sched:sched_switch
{
	if (@start[cpu]) {
		@ns[pid, comm] = sum(nsecs - @start[cpu]);
	}
	@start[cpu] = nsecs;
}

interval:s:1
{
	print(@ns);
	clear(@ns);
}
EOF

cat >"$P/procexp.yml" <<'EOF'
# every process with a command line, grouped by its name (the exporter's README example)
process_names:
  - name: "{{.Comm}}"
    cmdline:
    - '.+'
EOF

# Links the load runs its tools through, for names of their own.
L=$P/links
mkdir -p "$L"
for n in wpb-burn100 wpb-burn50 wpb-burn5; do ln -sf "$(realpath "$OUT/tools/duty")" "$L/$n"; done
ln -sf "$(realpath "$OUT/tools/burn")" "$L/wpb-short"
ln -sf /bin/true "$L/wpb-true"

CG2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
[ -n "$CG2" ] || die "no cgroup2 hierarchy mounted: the churn's truth is a cgroup's cpu.stat"

# --- the machine ----------------------------------------------------------------------

cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
virt=$(grep -q '^flags.* hypervisor' /proc/cpuinfo && echo "virtual machine" || echo "bare metal")
mem_gb=$(awk '/^MemTotal:/ { printf "%.1f", $2 / 1048576 }' /proc/meminfo)
load0=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u '+%Y-%m-%d %H:%M UTC')
t_start=$(date +%s)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
versions=""
for id in $PEERS; do
	[ "$id" = agent ] && continue
	v=$(dpkg-query -W -f='${Version}' "$(peer_pkg $id)" 2>/dev/null || echo "not installed")
	versions="$versions, $(peer_pkg $id) $v"
done
# daemons of the peers' packages already running (their own services) load the host too
# shellcheck disable=SC2009 # pgrep takes no pattern longer than a name
daemons=$(ps -eo comm= | grep -E '^(atop|atopacctd|prometheus-(proc|node)|sadc)$' | sort | uniq -c |
	awk '{ printf "%s%s x%d", (NR > 1 ? ", " : ""), $2, $1 }')

# --- one window -------------------------------------------------------------------------

start_peer() { # ID SIZE-DIR: start it, wait until it works; its pid in PEER_PID, or why not in $D/ID.why
	id=$1 D=$2
	PEER_PID=
	why=$(peer_why_not $id)
	if [ -n "$why" ]; then
		echo "$why" >"$D/$id.why"
		: >"$D/$id.pid"
		return 0
	fi
	case $id in
	agent)
		"$OUT/wattprobe" json -i 1 --powercap-root "$RAPL_ROOT" >"$D/agent.jsonl" 2>"$D/agent.err" &
		PEER_PID=$!
		wait_for 20 attached $PEER_PID || echo "did not attach: $(head -c 200 "$D/agent.err")" >"$D/$id.why"
		;;
	procexp)
		port=$(free_port 19256)
		prometheus-process-exporter -config.path "$P/procexp.yml" \
			-web.listen-address "127.0.0.1:$port" >"$D/procexp.err" 2>&1 &
		PEER_PID=$!
		if wait_for 20 answers "http://127.0.0.1:$port/metrics"; then
			scraper "http://127.0.0.1:$port/metrics" "$D/procexp.scrapes" \
				'^namedprocess_namegroup_cpu_seconds_total\{groupname="wpb-' "$D/procexp.keep" &
			track $!
			echo $! >"$D/procexp.scraper"
		else
			echo "did not answer: $(head -c 200 "$D/procexp.err")" >"$D/$id.why"
		fi
		;;
	nodeexp)
		port=$(free_port 19100)
		prometheus-node-exporter --path.sysfs="$RAPL_SYS" --collector.disable-defaults \
			--collector.rapl --web.listen-address="127.0.0.1:$port" >"$D/nodeexp.err" 2>&1 &
		PEER_PID=$!
		if wait_for 20 answers "http://127.0.0.1:$port/metrics"; then
			scraper "http://127.0.0.1:$port/metrics" "$D/nodeexp.scrapes" \
				'^node_rapl_[a-z]+_joules_total' "$D/nodeexp.keep" &
			track $!
		else
			echo "did not answer: $(head -c 200 "$D/nodeexp.err")" >"$D/$id.why"
		fi
		;;
	pidstat)
		# each report stamped as it comes (line-buffered): when pidstat took its sample,
		# to the millisecond (-H prints whole seconds)
		rm -f "$D/pidstat.fifo"
		mkfifo "$D/pidstat.fifo"
		stamp <"$D/pidstat.fifo" >"$D/pidstat.out" &
		track $! 0	# it ends with pidstat's output
		now >"$D/pidstat.t0"
		stdbuf -oL pidstat -H -u 1 >"$D/pidstat.fifo" 2>"$D/pidstat.err" &
		PEER_PID=$!
		;;
	atop)
		rm -f "$D/atop.raw"
		atop -w "$D/atop.raw" 1 >"$D/atop.err" 2>&1 &
		PEER_PID=$!
		;;
	bpftrace)
		bpftrace "$P/sum_per_pid.bt" >"$D/bpftrace.out" 2>"$D/bpftrace.err" &
		PEER_PID=$!
		wait_for 60 attached $PEER_PID ||
			echo "did not attach: $(grep -v RLIMIT_MEMLOCK "$D/bpftrace.err" | head -c 200)" >"$D/$id.why"
		;;
	esac
	if [ -n "$PEER_PID" ]; then
		# bpftrace exits on INT, not TERM; pidstat flushes its output on INT
		case $id in bpftrace | pidstat) track $PEER_PID INT ;; *) track $PEER_PID ;; esac
	fi
	if [ -n "$PEER_PID" ] && ! kill -0 "$PEER_PID" 2>/dev/null && [ ! -e "$D/$id.why" ]; then
		echo "exited at start: $(head -c 200 "$D/$id.err" 2>/dev/null)" >"$D/$id.why"
	fi
	echo "$PEER_PID" >"$D/$id.pid"
}

window() { # SIZE
	n=$1
	D=$P/$n
	rm -rf "$D" "$P/stop"
	mkdir -p "$D"
	: >"$D/procexp.keep"
	: >"$D/nodeexp.keep"
	say "peers: $n sleepers: starting the load and the peers"
	RAPL_SYS=$D/sys
	RAPL_ROOT=$RAPL_SYS/class/powercap
	mkdir -p "$RAPL_ROOT"
	"$OUT/tools/fakerapl" --root "$RAPL_ROOT" --package 0:$RAPL_PKG_W --dram 0:$RAPL_DRAM_W \
		>/dev/null 2>"$D/fakerapl.err" &
	track $!
	"$B/peerload" -n "$n" -s $WINDOW_S -p $CHURN_MS -l "$L" -c "$CG2/wpb-peers-$$" -k "$n" \
		-o "$RES" >"$D/load.out" 2>"$D/load.err" &
	LOAD_PID=$!
	wait_for 120 grep -q '^ready' "$D/load.out" || die "the load did not start: $(cat "$D/load.err")"
	for id in $PEERS; do start_peer $id "$D"; done
	sleep $SETTLE_S
	for id in $PEERS; do
		p=$(cat "$D/$id.pid")
		[ -z "$p" ] || [ -e "$D/$id.why" ] || proc_cpu_s "$p" >"$D/$id.cpu0"
	done
	say "peers: $n sleepers: the window, ${WINDOW_S}s"
	t_go=$(now)
	kill -USR1 $LOAD_PID
	wait_for $((WINDOW_S * 3 + 60)) grep -q '^done' "$D/load.out" ||
		die "the load did not finish: $(cat "$D/load.err")"
	t_done=$(now)
	# every tool samples once more after the burners' exit; a slow exporter's next
	# scrape must have started after it, and ended
	sleep 2.5
	limit=$(awk -v t="$t_done" -v m=$SCRAPE_MAX_S 'BEGIN { printf "%d", t + 2 * m + 5 }')
	while [ "$(date +%s)" -lt "$limit" ] && [ -n "$(cat "$D/procexp.scraper" 2>/dev/null)" ] &&
		kill -0 "$(cat "$D/procexp.scraper")" 2>/dev/null &&
		! awk -v t="$t_done" '$2 > t { f = 1 } END { exit !f }' "$D/procexp.scrapes" 2>/dev/null; do
		sleep 0.2
	done
	t_end=$(now)
	for id in $PEERS; do
		p=$(cat "$D/$id.pid")
		[ -z "$p" ] || [ -e "$D/$id.why" ] && continue
		if kill -0 "$p" 2>/dev/null; then
			proc_cpu_s "$p" >"$D/$id.cpu1"
			proc_hwm_kb "$p" >"$D/$id.hwm"
		else
			echo "exited during the window: $(head -c 200 "$D/$id.err" 2>/dev/null)" >"$D/$id.why"
		fi
	done
	: >"$P/stop"
	stop_tracked
	track $LOAD_PID
	LOAD_PID=""
	stop_tracked
	echo "peers.window $n $t_go $t_done $t_end" >>"$RES"
	parse "$n" "$D" "$t_go" "$t_end" "$t_done"
}

# --- what each tool said ------------------------------------------------------------------

# Per tool, "NAME PID SECONDS" lines: the CPU time it gave each process of the load over
# the run (PID "-" where the tool groups processes by name).
cpu_by_name() { # ID DIR
	case $1 in
	agent)
		jq -r '.processes[]? | select(.comm | startswith("wpb-")) | "\(.comm) \(.pid) \(.cpu_ns)"' "$2/agent.jsonl" |
			awk '{ s[$1 " " $2] += $3 / 1e9 } END { for (k in s) printf "%s %.6f\n", k, s[k] }'
		;;
	procexp)
		# a group's counter (user + system) at its highest, less where it was at the
		# last scrape before the load began (the load's names are new: 0)
		awk -v t0="$T_GO" '{ split($3, a, "\""); v[$1, a[2]] += $4; g[a[2]] = 1; k[$1] = 1; if ($2 < t0) base = $1 }
			END { for (n in g) { m = 0; for (s in k) if (v[s, n] > m) m = v[s, n]
				printf "%s - %.6f\n", n, m - (base != "" ? v[base, n] : 0) } }' "$2/procexp.keep"
		;;
	pidstat)
		# %CPU is over the time since its last sample, which a loaded machine makes
		# longer than 1 s: the stamp before each report's header
		awk -v t0="$(cat "$2/pidstat.t0")" '$1 == "T" { t = $2; next }
			/%CPU/ { for (i = 1; i <= NF; i++) { if ($i == "%CPU") c = i; if ($i == "PID") p = i }
				itv = t - (last ? last : t0); last = t; next }
			c && $NF ~ /^wpb-/ && $1 ~ /^[0-9]+$/ { s[$NF " " $p] += $c / 100 * itv }
			END { for (k in s) printf "%s %.6f\n", k, s[k] }' "$2/pidstat.out"
		;;
	atop)
		# PRC host epoch date time interval pid (name) state ticks/s utime stime ...;
		# the first sample counts since boot
		atop -r "$2/atop.raw" -P PRC 2>/dev/null | awk '$1 == "SEP" { seps++ } $1 == "PRC" && seps >= 1 && $8 ~ /^\(wpb-/ {
			s[substr($8, 2, length($8) - 2) " " $7] += ($11 + $12) / $10 } END { for (k in s) printf "%s %.6f\n", k, s[k] }'
		;;
	bpftrace)
		awk -F'[][,:]' '/^@ns\[/ { gsub(/ /, "", $3); if ($3 ~ /^wpb-/) s[$3 " " $2] += $5 / 1e9 }
			END { for (k in s) printf "%s %.6f\n", k, s[k] }' "$2/bpftrace.out"
		;;
	esac
}

parse() { # SIZE DIR T_GO T_END T_DONE
	n=$1 D=$2 T_GO=$3 T_DONE=$5
	win=$(awk -v a="$3" -v b="$4" 'BEGIN { printf "%.1f", b - a }')
	echo "peers.span $n $win" >>"$RES"
	# process-exporter has figures for the load only from a scrape that began after it
	if [ ! -e "$D/procexp.why" ] && ! awk -v t="$T_DONE" '$2 > t && $4 == 200 { f = 1 } END { exit !f }' "$D/procexp.scrapes" 2>/dev/null; then
		echo "peers.noanswer $n procexp" >>"$RES"
	fi
	for id in $PEERS; do
		if [ -e "$D/$id.why" ]; then
			echo "peers.why $n $id $(tr '\n' ' ' <"$D/$id.why")" >>"$RES"
			continue
		fi
		c0=$(cat "$D/$id.cpu0") c1=$(cat "$D/$id.cpu1")
		echo "peers.cpu_s $n $id $(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.2f", b - a }')" >>"$RES"
		echo "peers.hwm_kb $n $id $(cat "$D/$id.hwm")" >>"$RES"
		[ "$id" = nodeexp ] && continue
		[ -n "$(res peers.noanswer "$n" $id)" ] && continue
		cpu_by_name $id "$D" >"$D/$id.byname"
		# the spawner's children: each process of the churn, before its exec (named as the
		# spawner) and after; by name alone, after (the part before is the spawner's)
		awk -v n="$n" -v id=$id -v rs="$(res truth.short_rusage_ns "$n")" -v cg="$(res truth.short_cgroup_ns "$n")" \
			-v sp="$(res truth.spawner "$n" | awk '{ print $1 }')" \
			'$1 == "wpb-short" || $1 == "wpb-true" || ($1 == "wpb-spawn" && $2 != "-" && $2 != sp) { s += $3 }
			END { printf "peers.short %s %s %.6f %.4f %.4f\n", n, id, s, s * 1e9 / rs, s * 1e9 / cg }' \
			"$D/$id.byname" >>"$RES"
		for b in wpb-burn100 wpb-burn50 wpb-burn5; do
			truth=$(res truth.burn "$n" $b | awk '{ print $2 }')
			awk -v n="$n" -v id=$id -v b=$b -v t="$truth" '$1 == b { s += $3 }
				END { printf "peers.burn %s %s %s %.6f %+.5f\n", n, id, b, s, (s * 1e9 - t) / t }' \
				"$D/$id.byname" >>"$RES"
		done
	done
	# pidstat: how far apart its samples were
	if [ -s "$D/pidstat.out" ]; then
		awk '$1 == "T" { if (l) print $2 - l; l = $2 }' "$D/pidstat.out" >"$D/pidstat.itv"
		echo "peers.report $n pidstat $(median <"$D/pidstat.itv") $(sort -g "$D/pidstat.itv" | tail -1)" >>"$RES"
	fi
	# process-exporter: how long its scrapes took
	if [ -s "$D/procexp.scrapes" ]; then
		awk -v t0="$T_GO" -v t1="$4" '$2 >= t0 && $2 <= t1' "$D/procexp.scrapes" >"$D/procexp.inwin"
		echo "peers.scrape $n procexp $(awk '{ print $3 }' "$D/procexp.inwin" | median)" \
			"$(awk '{ n++; if ($3 <= 1 && $4 == 200) ok++; if ($4 != 200) bad++; if ($3 > m) m = $3 } END { printf "%d %d %.3f %d", ok, n, m, bad }' "$D/procexp.inwin")" >>"$RES"
	fi
	# watts over the window: node_exporter's counters (first and last scrape in it), the
	# agent's host energy over its intervals in it, against the fake's constant power
	if [ -s "$D/nodeexp.keep" ]; then
		awk -v t0="$T_GO" -v t1="$4" -v n="$n" '$2 >= t0 && $2 <= t1 { v[$1] += $4; t[$1] = $2; if (f == "") f = $1; l = $1 }
			END { if (l != f) printf "peers.watts %s nodeexp %.4f %.1f\n", n, (v[l] - v[f]) / (t[l] - t[f]), t[l] - t[f] }' \
			"$D/nodeexp.keep" >>"$RES"
	fi
	if [ -s "$D/agent.jsonl" ]; then
		# the rest of the machine meanwhile, as the agent saw it: the CPU of processes
		# that are neither the load nor the tools nor this script's helpers, and the
		# most processes that ran in one interval
		jq -r '"\(.interval_s) \(.processes | length) \([.processes[] | select(.comm |
			test("^(wpb-.*|peerload|prometheus-.*|pidstat|atop|bpftrace|wattprobe|fakerapl|curl|sh|date|mawk|awk|grep|sleep|stdbuf|jq|cat|ss|sort|tail|tr)$") | not) | .cpu_ns] | add // 0)"' \
			"$D/agent.jsonl" | awk -v n="$n" -v c="$(nproc)" '{ t += $1; o += $3; if ($2 > m) m = $2 }
			END { if (t) printf "peers.others %s %.3f %d\n", n, o / 1e9 / t / c, m }' >>"$RES"
		# a line's interval ends at its timestamp: count those wholly in the window
		jq -r '"\(.timestamp) \(.interval_s) \(.host.energy_j) \(.sensor)"' "$D/agent.jsonl" |
			while read -r ts iv j sensor; do
				echo "$(date -d "$ts" +%s.%N) $iv $j $sensor"
			done | awk -v t0="$T_GO" -v t1="$4" -v n="$n" '$1 - $2 >= t0 && $1 <= t1 { j += $3; s += $2; sensor = $4 }
				END { if (s) printf "peers.watts %s agent %.4f %.1f %s\n", n, j / s, s, sensor }' >>"$RES"
	fi
}

# --- per switch: bpftrace's program against the agent's, each alone ---------------------------

pipe_us() { taskset -c 0 perf bench sched pipe -l $SW_LOOPS 2>/dev/null | awk '/usecs\/op/ { print $1 }'; }
pipe_median() { i=0; while [ $i -lt $SW_RUNS ]; do pipe_us; i=$((i + 1)); done | median; }
# a 95% interval of the median of the numbers on stdin (ranks n/2 -+ 1.96 sqrt(n)/2)
median_ci() {
	sort -g | awk '{ v[NR] = $1 } END { h = 0.98 * sqrt(NR); j = int(NR / 2 - h); k = int(NR / 2 + 1 + h + 0.999999)
		if (j < 1) j = 1; if (k > NR) k = NR; if (NR) print v[j], v[k] }'
}

# The id of the sched_switch program of process PID: the agent's by name among the
# programs it holds, bpftrace's by its perf event.
switch_prog() {
	awk '/^prog_id:/ { print $2 }' /proc/"$1"/fdinfo/* 2>/dev/null | sort -un | while read -r id; do
		bpftool prog show id "$id" -j 2>/dev/null | jq -r 'select(.name | test("^wp_switch_")) | .id'
	done
	bpftool perf show -j 2>/dev/null |
		jq -r --argjson p "$1" '.[] | select(.pid == $p and .tracepoint == "sched_switch") | .prog_id'
}
prog_stat() { bpftool prog show id "$1" -j | jq -r '"\(.run_time_ns // 0) \(.run_cnt // 0)"'; }

STATS=/proc/sys/kernel/bpf_stats_enabled
STATS_WAS=$(cat $STATS)

per_switch() {
	D=$P/switch
	rm -rf "$D"
	mkdir -p "$D"
	: >"$D/rounds.txt"
	states="off agent"
	[ -n "$(peer_why_not bpftrace)" ] || states="$states bpftrace"
	say "peers: per switch: $states, each alone, $SW_ROUNDS rounds"
	r=1
	while [ $r -le $SW_ROUNDS ]; do
		# the order rotated every round
		set -- $states
		k=$(((r - 1) % $#))
		while [ $k -gt 0 ]; do
			s1=$1
			shift
			set -- "$@" "$s1"
			k=$((k - 1))
		done
		for st in "$@"; do
			pid=
			case $st in
			agent)
				"$OUT/wattprobe" json -i 1 >/dev/null 2>"$D/agent.err" &
				pid=$!
				track $pid INT
				wait_for 20 attached $pid || die "the agent did not attach: $(cat "$D/agent.err")"
				;;
			bpftrace)
				bpftrace "$P/sum_per_pid.bt" >/dev/null 2>"$D/bpftrace.err" &
				pid=$!
				track $pid INT
				wait_for 60 attached $pid || die "bpftrace did not attach: $(cat "$D/bpftrace.err")"
				;;
			esac
			sleep $SW_SETTLE_S
			us=$(pipe_median)	# BPF run-time statistics off, as deployed
			per_call=
			if [ -n "$pid" ]; then
				# the program's own time per call: its run-time statistics over one more run
				id=$(switch_prog $pid | head -1)
				echo 1 >$STATS
				s0=$(prog_stat "$id")
				pipe_us >/dev/null
				s1=$(prog_stat "$id")
				echo "$STATS_WAS" >$STATS
				per_call=$(echo "$s0 $s1" | awk '{ if ($4 > $2) printf "%.1f", ($3 - $1) / ($4 - $2) }')
			fi
			echo "$r $st $us $per_call" >>"$D/rounds.txt"
			stop_tracked
		done
		r=$((r + 1))
	done
	for st in $states; do
		[ $st = off ] && continue
		awk -v s=$st '{ t[$1, $2] = $3; n = $1 } END { for (r = 1; r <= n; r++) print t[r, s] / t[r, "off"] - 1 }' \
			"$D/rounds.txt" >"$D/$st.ratios"
		awk -v s=$st '{ t[$1, $2] = $3; n = $1 } END { for (r = 1; r <= n; r++) print (t[r, s] - t[r, "off"]) * 1000 / 2 }' \
			"$D/rounds.txt" >"$D/$st.ns"
		echo "peers.switch $st $(median <"$D/$st.ratios") $(median <"$D/$st.ns")" \
			"$(awk -v s=$st '$2 == s { print $3 }' "$D/rounds.txt" | median)" \
			"$(awk -v s=$st '$2 == s && $4 != "" { print $4 }' "$D/rounds.txt" | median)" \
			"$(median_ci <"$D/$st.ratios")" >>"$RES"
	done
	echo "peers.switch off 0 0 $(awk '$2 == "off" { print $3 }' "$D/rounds.txt" | median)" >>"$RES"
	[ -n "$(peer_why_not bpftrace)" ] && echo "peers.switch_why bpftrace $(peer_why_not bpftrace)" >>"$RES"
	return 0
}

# --- run ------------------------------------------------------------------------------------

for n in $SIZES; do window "$n"; done
per_switch
load1=$(cut -d' ' -f1-3 /proc/loadavg)
t_end=$(date +%s)

# --- the report --------------------------------------------------------------------------------

pct() { awk -v x="$1" 'BEGIN { if (x == "" || x == "nan") print "n/a"; else printf "%+.1f%%", x * 100 }'; }
pct3() { awk -v x="$1" 'BEGIN { if (x == "" || x == "nan") print "n/a"; else printf "%+.3f%%", x * 100 }'; }
share() { awk -v x="$1" 'BEGIN { if (x == "") print "n/a"; else printf "%.1f%%", x * 100 }'; }
cpu_of() { res peers.cpu_s "$1" "$2"; }
per_min() { # SIZE ID: its CPU seconds per minute of the span
	awk -v c="$(cpu_of "$1" "$2")" -v s="$(res peers.span "$1")" 'BEGIN { if (c == "" || !s) print "n/a"; else printf "%.2f", c * 60 / s }'
}
ratio() { # SIZE ID: its CPU over the agent's, same window
	awk -v a="$(cpu_of "$1" agent)" -v c="$(cpu_of "$1" "$2")" 'BEGIN { if (a == "" || c == "") print "n/a"; else if (a > 0) printf "%.1fx", c / a; else print "n/a" }'
}
why() { res peers.why "$1" "$2"; }
burn_range() { # ID: the burners' errors, min..max over burners and windows
	awk -v id="$1" '$1 == "peers.burn" && $3 == id { e = $6 * 100; if (!n++ || e < lo) lo = e; if (n == 1 || e > hi) hi = e }
		END { if (!n) { print "n/a"; exit } f = (lo > -0.1 && hi < 0.1) ? "%+.3f" : "%+.1f"
			if (sprintf(f, lo) == sprintf(f, hi)) printf f "%%", lo; else printf f " to " f "%%", lo, hi }' "$RES"
}
short_range() { # ID: share of the short-lived processes' CPU (getrusage truth), over windows
	awk -v id="$1" '$1 == "peers.short" && $3 == id { e = $5 * 100; if (!n++ || e < lo) lo = e; if (n == 1 || e > hi) hi = e }
		END { if (!n) print "n/a"; else if (sprintf("%.1f", lo) == sprintf("%.1f", hi)) printf "%.1f%%", lo; else printf "%.1f-%.1f%%", lo, hi }' "$RES"
}
cpu_cell() { # SIZE ID
	w=$(why "$1" "$2")
	if [ -n "$w" ]; then echo "$w"
	elif [ "$2" = agent ]; then echo "$(per_min "$1" agent) s/min"
	else
		c="$(ratio "$1" "$2") ($(per_min "$1" "$2") s/min)"
		s=$(res peers.scrape "$1" "$2")
		if [ -n "$s" ] && awk -v m="${s%% *}" 'BEGIN { exit !(m > 1) }'; then
			c="$c; cannot answer a 1 s scrape (${s%% *} s each)"
		fi
		s=$(res peers.report "$1" "$2")
		if [ -n "$s" ] && awk -v m="${s%% *}" 'BEGIN { exit !(m > 1.5) }'; then
			c="$c; a report every ${s%% *} s"
		fi
		echo "$c"
	fi
}
hwm_cell() { # ID
	out=""
	for n in $SIZES; do
		h=$(res peers.hwm_kb "$n" "$1")
		out="$out${out:+ / }$(awk -v k="$h" 'BEGIN { if (k == "") print "n/a"; else printf "%.1f", k / 1024 }')"
	done
	echo "$out MiB"
}
first=${SIZES%% *}
last=${SIZES##* }
sw() { res peers.switch "$1"; }

{
	echo "### Run"
	echo
	echo "- command: \`make bench\` (bench/peers.sh $OUT), $started, $((t_end - t_start)) s"
	echo "- machine: $cpu_model, $(nproc) CPUs, $mem_gb GiB, $virt; kernel $(uname -r)"
	echo "- wattprobe $commit; peers (Debian packages)${versions#,}"
	echo "- load average at start: $load0; at the end: $load1 (the machine is shared: every figure is a ratio or an error measured in the same window)"
	[ -z "$daemons" ] || echo "- already running from the peers' packages: $daemons"
	for n in $SIZES; do
		set -- $(res peers.others "$n") "" ""
		[ -z "$1" ] || echo "- the rest of the machine in the window at $n sleepers, as the agent saw it: other processes kept $(awk -v x="$1" 'BEGIN { printf "%.0f%%", x * 100 }') of its CPUs busy; at most $2 processes ran in one interval"
	done
	[ $MOUNTED_TRACEFS = 0 ] || echo "- tracefs was not mounted: mounted at $TRACEFS for bpftrace, unmounted after"
	[ "$QUICK" = 1 ] && echo "- **WP_BENCH_QUICK=1: one short window, smoke-test rounds, not figures to publish**"
	echo
	echo "| tool | its CPU, $first sleepers (x the agent's, same span) | $([ "$last" != "$first" ] && echo "$last sleepers" || echo "-") | peak RSS, $(echo $SIZES | sed 's/ / \/ /g') | short-lived processes' CPU it accounts | its error on the burners (100/50/5%) |"
	echo "|---|---|---|---:|---:|---:|"
	for id in agent procexp pidstat atop bpftrace; do
		c1=$(cpu_cell "$first" $id)
		c2=-
		[ "$last" = "$first" ] || c2=$(cpu_cell "$last" $id)
		if [ -n "$(why "$first" $id)" ]; then
			echo "| $(peer_name $id) | $c1 | $c2 | | | |"
			continue
		fi
		echo "| $(peer_name $id) | $c1 | $c2 | $(hwm_cell $id) | $(short_range $id) | $(burn_range $id) |"
	done
	echo
	echo "Its CPU: utime + stime + cutime + cstime of the tool's process (\`/proc/PID/stat\`), per minute of a"
	echo "span the same for all (the window and the tools' last samples: $(res peers.span "$first") s at $first sleepers$([ "$last" != "$first" ] && echo ", $(res peers.span "$last") s at $last")). A BPF"
	echo "program runs in the context of the tasks that switch, outside any tool's process: its cost is the"
	echo "table \"Per context switch\" below."
	echo
	echo "#### Each window"
	echo
	echo "| sleepers | tool | its CPU, s | peak RSS, KiB | short-lived CPU: accounted, s | of getrusage | of cpu.stat | burner 100% | burner 50% | burner 5% |"
	echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"
	for n in $SIZES; do
		for id in agent procexp pidstat atop bpftrace; do
			w=$(why "$n" $id)
			if [ -n "$w" ]; then
				echo "| $n | $(peer_name $id) | $w | | | | | | | |"
				continue
			fi
			if [ -n "$(res peers.noanswer "$n" $id)" ]; then
				echo "| $n | $(peer_name $id) | $(cpu_of "$n" $id) | $(res peers.hwm_kb "$n" $id) | no scrape answered after the load | | | | | |"
				continue
			fi
			sh=$(res peers.short "$n" $id)
			set -- $sh
			echo "| $n | $(peer_name $id) | $(cpu_of "$n" $id) | $(res peers.hwm_kb "$n" $id) | $1 | $(share "$2") | $(share "$3") |" \
				"$(pct3 "$(res peers.burn "$n" $id wpb-burn100 | awk '{ print $2 }')") |" \
				"$(pct3 "$(res peers.burn "$n" $id wpb-burn50 | awk '{ print $2 }')") |" \
				"$(pct3 "$(res peers.burn "$n" $id wpb-burn5 | awk '{ print $2 }')") |"
		done
		tr_s=$(res truth.short_rusage_ns "$n")
		tr_c=$(res truth.short_cgroup_ns "$n")
		echo "| $n | *truth* | | | $(awk -v r="$tr_s" 'BEGIN { printf "%.3f", r / 1e9 }') (getrusage); $(awk -v r="$tr_c" 'BEGIN { printf "%.3f", r / 1e9 }') (cpu.stat) | | |" \
			"$(res truth.burn "$n" wpb-burn100 | awk '{ printf "%.3f s", $2 / 1e9 }') |" \
			"$(res truth.burn "$n" wpb-burn50 | awk '{ printf "%.3f s", $2 / 1e9 }') |" \
			"$(res truth.burn "$n" wpb-burn5 | awk '{ printf "%.3f s", $2 / 1e9 }') |"
	done
	echo
	echo "The load of each window (bench/peerload.c), ${WINDOW_S} s: the sleepers; a churn, every ${CHURN_MS} ms one"
	echo "\`wpb-short\` (tests/tools/burn: 2 to 20 ms of CPU, then exit) and one \`wpb-true\` (/bin/true),"
	echo "started by a spawner in a cgroup of its own ($(for n in $SIZES; do res truth.spawned "$n" | awk -v n="$n" '{ printf "%s and %s at %s%s; ", $1, $2, n, ($3 ? " (" $3 " failed to start)" : "") }'; done | sed 's/; $//') started); three burners,"
	echo "tests/tools/duty busy 100%, 50% and 5% of every 100 ms (they get less on a busy machine; the"
	echo "truth is what they ran). Truth: for the churn, the spawner's \`getrusage(RUSAGE_CHILDREN)\` after the last"
	echo "(checked by the cgroup's \`cpu.stat\` usage_usec less the spawner's own time); for a burner, its"
	echo "\`/proc/PID/schedstat\` read while it is a zombie, before it is reaped. A tool's figure is what it"
	echo "gave those names over the whole run (each name is only in the window)."
	if [ -n "$(res peers.scrape "$first" procexp)" ]; then
		echo
		echo "process-exporter's scrapes (one at a time, the next at the next second or at once when late):"
		for n in $SIZES; do
			s=$(res peers.scrape "$n" procexp)
			[ -n "$s" ] || continue
			set -- $s
			echo "$n sleepers: median $1 s, longest $4 s; $2 of $3 answered within 1 s$([ "$5" = 0 ] || echo ", $5 not at all (curl gives up after $SCRAPE_MAX_S s)")."
		done
		echo "Prometheus, whose scrape timeout is at most its interval, records every scrape longer than 1 s as failed."
	fi
	echo
	echo "#### Per context switch: bpftrace's program and the agent's, each alone"
	echo
	echo "\`taskset -c 0 perf bench sched pipe -l $SW_LOOPS\` (two switches per op; its usecs/op, median of $SW_RUNS runs)"
	echo "with nothing, the agent (\`wattprobe json -i 1\`) or bpftrace's script attached, alone, each started"
	echo "${SW_SETTLE_S} s before, the order rotated each round; $SW_ROUNDS rounds. The cost is against nothing attached in the"
	echo "same round, median of rounds; BPF run-time statistics off. Then one more run with them on: the"
	echo "tool's sched_switch program's own run_time_ns / run_cnt (every switch on every CPU meanwhile)."
	echo
	echo "| attached | us per op (median) | slowdown (median of rounds) | its 95% interval | ns per switch (median of rounds) | its program alone, ns per call (bpf_stats, median) |"
	echo "|---|---:|---:|---:|---:|---:|"
	set -- $(sw off)
	echo "| nothing | $3 | | | | |"
	for st in agent bpftrace; do
		if [ -z "$(sw $st)" ]; then
			echo "| $st | $(res peers.switch_why $st) | | | | |"
			continue
		fi
		set -- $(sw $st)
		nm="**wattprobe json -i 1**"
		[ $st = agent ] || nm="bpftrace, sched_switch sum per pid"
		echo "| $nm | $3 | $(pct "$1") | $(pct "$5")..$(pct "$6") | $(awk -v x="$2" 'BEGIN { printf "%+.0f", x }') | $4 |"
	done
	echo
	echo "#### Host watts: node_exporter's rapl collector and the agent, on the same fake RAPL"
	echo
	echo "tests/tools/fakerapl: a package at $RAPL_PKG_W W and its DRAM at $RAPL_DRAM_W W, constant (truth: $((RAPL_PKG_W + RAPL_DRAM_W)) W)."
	echo "node_exporter (\`--path.sysfs\` at the fake tree, \`--collector.disable-defaults --collector.rapl\`),"
	echo "scraped 1/s: its joule counters from the first to the last scrape in the window over the time between."
	echo "The agent (\`--powercap-root\` at the same tree): its host energy over its intervals in the window."
	echo
	echo "| sleepers | tool | watts over the window | error | over | per-process split | its CPU, s | peak RSS, KiB |"
	echo "|---:|---|---:|---:|---:|---|---:|---:|"
	for n in $SIZES; do
		for id in agent nodeexp; do
			w=$(why "$n" $id)
			if [ -n "$w" ]; then
				echo "| $n | $(peer_name $id) | $w | | | | | |"
				continue
			fi
			set -- $(res peers.watts "$n" $id) x x
			split=no
			[ $id = agent ] && split="yes (sensor: ${3})"
			echo "| $n | $(peer_name $id) | $1 | $(awk -v w="$1" -v t=$((RAPL_PKG_W + RAPL_DRAM_W)) 'BEGIN { printf "%+.3f%%", (w - t) / t * 100 }') | $2 s | $split | $(cpu_of "$n" $id) | $(res peers.hwm_kb "$n" $id) |"
		done
	done
} >"$REPORT"

cat "$REPORT"

if [ "${WP_BENCH_UPDATE:-0}" = 1 ]; then
	awk -v report="$REPORT" '
		/<!-- peers:begin -->/ { print; while ((getline l < report) > 0) print l; skip = 1; next }
		/<!-- peers:end -->/ { skip = 0 }
		!skip' BENCHMARKS.md >"$P/BENCHMARKS.md.new" && mv "$P/BENCHMARKS.md.new" BENCHMARKS.md
	say "peers: BENCHMARKS.md updated"
fi
