#!/bin/sh
# Run wattprobe's benchmarks and print the table (BENCHMARKS.md says what each
# one measures). Called by `make bench` after the build, as: bench/run.sh OUT
#
#   WP_BENCH_QUICK=1    fewer rounds and sizes: a smoke test, not figures to publish
#   WP_BENCH_UPDATE=1   also put the report into BENCHMARKS.md, between its markers
#
# Needs root (BPF), perf (linux-perf), hackbench (rt-tests), bpftool and jq.
# Every ratio in the report comes from this one run: medians over rounds in
# which the things compared alternate. Nothing here fails on an absolute time.
# shellcheck disable=SC2086 # BPF_CFLAGS, CPUKEY, HACK_ARGS, HP_WORK are lists of words
set -eu

# bench/scale calls back with --scale-hook OUT SECONDS LARGEST at each host size
HOOK=0
if [ "${1:-}" = --scale-hook ]; then
	HOOK=1
	shift
fi
OUT=${1:-build}
cd "$(dirname "$0")/.."
B=$OUT/bench
RES=$B/results.txt
REPORT=$B/report.md
mkdir -p "$B"
[ $HOOK = 1 ] || : >"$RES"

QUICK=${WP_BENCH_QUICK:-0}
if [ "$QUICK" = 1 ]; then
	HP_ROUNDS=3 CS_ROUNDS=3 PIN_ROUNDS=3 HB_ROUNDS=2 AG_ROUNDS=2 SIZES=100,1000 SC_ROUNDS=3 AC_IV=3 E2E_S=3
	CHURN_S=9 ARRIVALS=2000
else
	HP_ROUNDS=21 CS_ROUNDS=41 PIN_ROUNDS=151 HB_ROUNDS=15 AG_ROUNDS=7 SIZES=100,1000,10000 SC_ROUNDS=10 AC_IV=5 E2E_S=8
	CHURN_S=60 ARRIVALS=10000
fi
HP_WORK="taskset -c 0 perf bench sched pipe -l 4000"
PIPE_LOOPS=10000
# perf bench prints its total time to the millisecond (2% of a pinned run): its
# usecs/op is the same time to the microsecond
PIPE_MARK="usecs/op"
HACK_ARGS="-g 4 -l 100"

die() { echo "bench: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "run as root: the benchmarks load BPF programs"
for t in perf hackbench bpftool jq taskset clang; do
	command -v $t >/dev/null || die "$t not found (make deps installs it)"
done
[ -x "$OUT/wattprobe" ] || die "$OUT/wattprobe not built (make all)"

STATS_SYSCTL=/proc/sys/kernel/bpf_stats_enabled
STATS_WAS=$(cat $STATS_SYSCTL)
AGENT_PID=
cleanup() {
	[ -n "$AGENT_PID" ] && kill "$AGENT_PID" 2>/dev/null && wait "$AGENT_PID" 2>/dev/null
	echo "$STATS_WAS" >$STATS_SYSCTL
}
trap cleanup EXIT
trap 'exit 130' INT TERM

median() { sort -g | awk '{ v[NR] = $1 } END { if (!NR) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
res() { awk -v k="$1" -v a="${2:-}" '$1 == k && (a == "" || $2 == a) { print (a == "" ? $2 : $3); exit }' "$RES"; }
say() { printf '%s\n' "$*" >&2; }

# --- the agent ----------------------------------------------------------------

# json when the build has it, else top (the same sampling core, one block per interval).
if [ -n "${WP_BENCH_AGENT_MODE:-}" ]; then
	AGENT_MODE=$WP_BENCH_AGENT_MODE
elif timeout 20 "$OUT/wattprobe" json -c 1 -i 0.2 2>/dev/null | head -c 1 | grep -q '{'; then
	AGENT_MODE=json
else
	AGENT_MODE=top
fi
export WP_BENCH_AGENT_MODE="$AGENT_MODE"

agent_start() { # $1: output file
	"$OUT/wattprobe" "$AGENT_MODE" -i 1 >"$1" 2>"$B/agent.err" &
	AGENT_PID=$!
	i=0
	until grep -qs '^link_id:' /proc/$AGENT_PID/fdinfo/* 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 200 ] || die "the agent did not attach: $(cat "$B/agent.err")"
		kill -0 $AGENT_PID 2>/dev/null || die "the agent exited: $(cat "$B/agent.err")"
		sleep 0.05
	done
}

agent_stop() {
	kill "$AGENT_PID" 2>/dev/null || true
	wait "$AGENT_PID" 2>/dev/null || true
	AGENT_PID=
}

agent_intervals() { # $1: output file
	if [ "$AGENT_MODE" = json ]; then wc -l <"$1"; else grep -c '^wattprobe ' "$1" || true; fi
}

agent_cpu_ns() { # on-CPU ns of every thread of the agent
	cat /proc/$AGENT_PID/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f", s }'
}

# Called by bench/scale at each host size, population up: the agent binary's own
# CPU time per interval, and at the largest size its memory.
if [ $HOOK = 1 ]; then
	n=$WP_BENCH_SIZE
	f=$B/agent-$n.out
	agent_start "$f"
	while [ "$(agent_intervals "$f")" -lt 2 ]; do sleep 0.1; done
	sleep 0.5	# mid-interval: the agent sleeps, its CPU time matches its output
	c0=$(agent_cpu_ns) l0=$(agent_intervals "$f")
	sleep "$2"
	c1=$(agent_cpu_ns) l1=$(agent_intervals "$f")
	echo "e2e.cpu_us $n $(awk -v c="$((c1 - c0))" -v l="$((l1 - l0))" 'BEGIN { printf "%.1f", l ? c / l / 1e3 : 0 }')" >>"$RES"
	echo "e2e.intervals $n $((l1 - l0))" >>"$RES"
	if [ "$n" = "$3" ]; then
		{
			echo "mem.procs $WP_BENCH_PROCS"
			echo "mem.hwm_kb $(awk '/^VmHWM:/ { print $2 }' /proc/$AGENT_PID/status)"
			echo "mem.rss_kb $(awk '/^VmRSS:/ { print $2 }' /proc/$AGENT_PID/status)"
		} >>"$RES"
		# the agent's maps, by the ids its file descriptors hold
		ids=$(cat /proc/$AGENT_PID/fdinfo/* 2>/dev/null | awk '/^map_id:/ { print $2 }' | sort -un)
		total=0
		for id in $ids; do
			bpftool map show id "$id" -j | jq -r '"mem.map \(.name) \(.type) \(.bytes_memlock)"' >>"$RES"
			total=$((total + $(bpftool map show id "$id" -j | jq -r '.bytes_memlock')))
		done
		echo "mem.maps_total $total" >>"$RES"
	fi
	agent_stop
	if [ "$n" = "$3" ]; then
		# what of the peak is tables sized by --max-processes (default 32768)
		"$OUT/wattprobe" "$AGENT_MODE" -i 1 --max-processes 1024 >/dev/null 2>&1 &
		AGENT_PID=$!
		sleep 2.5
		echo "mem.hwm_kb_1024 $(awk '/^VmHWM:/ { print $2 }' /proc/$AGENT_PID/status)" >>"$RES"
		agent_stop
	fi
	exit 0
fi

# --- the machine -----------------------------------------------------------------

cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
cpu_mhz=$(awk -F': ' '/^cpu MHz/ { printf "%.0f", $2; exit }' /proc/cpuinfo)
ncpu=$(nproc)
mem_gb=$(awk '/^MemTotal:/ { printf "%.1f", $2 / 1048576 }' /proc/meminfo)
virt=$(grep -q '^flags.* hypervisor' /proc/cpuinfo && echo "virtual machine" || echo "bare metal")
pti=$(cat /sys/devices/system/cpu/vulnerabilities/meltdown 2>/dev/null || echo unknown)
pcid=$(grep -qw pcid /proc/cpuinfo && echo yes || echo no)
clock=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null || echo unknown)
others=$(bpftool link show -j 2>/dev/null | jq '[.[] | select(.tp_name == "sched_switch")] | length' 2>/dev/null || echo "?")
load0=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u '+%Y-%m-%d %H:%M UTC')
t_start=$(date +%s)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=
if git status --porcelain -- bpf src include 2>/dev/null | grep -q .; then
	dirty=" + uncommitted changes in bpf/ src/ include/"
fi

# --- 1. hot path --------------------------------------------------------------------

say "bench: 1/4 hot path: each sched_switch candidate alone, $HP_ROUNDS rounds"
ARCH=$(make -s --no-print-directory -f Makefile print-ARCH 2>/dev/null || echo x86)
BPF_CFLAGS="-g -O2 -target bpf -D__TARGET_ARCH_$ARCH -Wall -Iinclude -Ivmlinux/$ARCH -Ibpf"
clang $BPF_CFLAGS -c bench/bpf/hotpath.bpf.c -o "$B/hotpath.bpf.o"
clang $BPF_CFLAGS -c bench/bpf/taskiter.bpf.c -o "$B/taskiter.bpf.o"
# variants of the agent's handler, compiled from bpf/wattprobe.bpf.c itself: left out
# (with a note) the day that source no longer fits them
CPUKEY=
for v in wp_cpukey:-k wp_aom:-a; do
	if clang $BPF_CFLAGS -c "bench/bpf/${v%%:*}.bpf.c" -o "$B/${v%%:*}.bpf.o" 2>"$B/${v%%:*}.err"; then
		CPUKEY="$CPUKEY ${v##*:} $B/${v%%:*}.bpf.o"
	else
		say "bench: bench/bpf/${v%%:*}.bpf.c no longer builds against bpf/wattprobe.bpf.c; left out"
	fi
done
"$B/hotpath" -r "$HP_ROUNDS" -o "$RES" -b "$B/hotpath.bpf.o" -w "$OUT/wattprobe.bpf.o" $CPUKEY \
	-- $HP_WORK >"$B/hotpath.md"

# --- 2. context switches with and without the agent ---------------------------------

say "bench: 2/4 context switches with the agent attached and detached, $CS_ROUNDS rounds each"
echo 0 >$STATS_SYSCTL	# as deployed: no BPF run-time statistics
"$B/cswitch" -r "$CS_ROUNDS" -m "$PIPE_MARK" -u us/op -n pipe -o "$RES" \
	-- perf bench sched pipe -l $PIPE_LOOPS >"$B/cswitch.md"
"$B/cswitch" -r "$PIN_ROUNDS" -m "$PIPE_MARK" -u us/op -n pipe-cpu0 -o "$RES" \
	-- taskset -c 0 perf bench sched pipe -l $PIPE_LOOPS >>"$B/cswitch.md"
"$B/cswitch" -r "$HB_ROUNDS" -m "Time:" -u s -n hackbench -o "$RES" \
	-- hackbench $HACK_ARGS >>"$B/cswitch.md"
# what the same costs with each hot-path candidate alone, the empty program included,
# and the agent's hot path piece by piece (bench/bpf/hotpath.bpf.c, hp_wp_*)
"$B/hotpath" -W -m "$PIPE_MARK" -u us/op -r "$PIN_ROUNDS" -o "$RES" -b "$B/hotpath.bpf.o" \
	-w "$OUT/wattprobe.bpf.o" -p wp_switch_btf,hp_wp_hdr,hp_wp_next \
	-- taskset -c 0 perf bench sched pipe -l $PIPE_LOOPS >"$B/hotpath-wall.md"
# cross-check: the agent binary itself, started and stopped around each run
pipe0_s() { taskset -c 0 perf bench sched pipe -l $PIPE_LOOPS 2>/dev/null | awk '/usecs\/op/ { print $1 }'; }
: >"$B/agent-onoff.txt"
r=1
while [ $r -le "$AG_ROUNDS" ]; do
	if [ $((r % 2)) = 1 ]; then order="off on"; else order="on off"; fi
	for state in $order; do
		[ "$state" = on ] && agent_start "$B/agent-cs.out"
		p=$(pipe0_s)
		[ "$state" = on ] && agent_stop
		[ -n "$p" ] || die "perf bench printed no time"
		echo "$r $state $p" >>"$B/agent-onoff.txt"
	done
	r=$((r + 1))
done
echo "$STATS_WAS" >$STATS_SYSCTL
awk '{ t[$1, $2] = $3; n = $1 } END { for (r = 1; r <= n; r++) print t[r, "on"] / t[r, "off"] - 1 }' \
	"$B/agent-onoff.txt" >"$B/agent-onoff-ratios.txt"
ag_slow=$(median <"$B/agent-onoff-ratios.txt")
ag_off=$(awk '$2 == "off" { print $3 }' "$B/agent-onoff.txt" | median)
ag_on=$(awk '$2 == "on" { print $3 }' "$B/agent-onoff.txt" | median)
ag_range=$(sort -g "$B/agent-onoff-ratios.txt" | awk 'NR == 1 { a = $1 } { b = $1 } END { printf "%+.1f%%..%+.1f%%", a * 100, b * 100 }')
echo "cswitch.binary $ag_slow" >>"$RES"

# --- 3 and 5. cost per sample as the host grows; memory -------------------------

say "bench: 3/4 cost per sample at $SIZES live processes, wattprobe next to the /proc method"
largest=${SIZES##*,}
"$B/scale" -n "$SIZES" -r "$SC_ROUNDS" -i 1 -o "$RES" -t "$B/taskiter.bpf.o" \
	-x "sh bench/run.sh --scale-hook '$OUT' $E2E_S $largest" \
	>"$B/scale.md"

# --- 4. accuracy ------------------------------------------------------------------

say "bench: 4/4 accuracy against /proc/PID/schedstat and getrusage"
"$B/accuracy" -r "$AC_IV" -i 1 -o "$RES" >"$B/accuracy.md"

# --- 6. the learnt baselines' share of a sample --------------------------------------

say "bench: energy: what the learnt idle baselines add to a sample"
"$B/energy" -r "$SC_ROUNDS" -i 0.2 -o "$RES" -f "$OUT/tools/fakerapl" >"$B/energy.md"

# --- 7. memory under churn; untraced switches ------------------------------------------

say "bench: memory under fork/exec churn (bench/soak.sh, ${CHURN_S}s), untraced switches"
SOAK_SECONDS=$CHURN_S SOAK_EVERY=$((CHURN_S / 3)) sh bench/soak.sh "$OUT" >"$B/churn.md"
awk -F'|' '/agent RSS at start/ { split($3, v, "/"); gsub(/[^0-9]/, "", v[1]); gsub(/[^0-9]/, "", v[2]);
	gsub(/[^0-9]/, "", v[3]); print "churn.rss_start_kb " v[1]; print "churn.rss_end_kb " v[2];
	print "churn.hwm_kb " v[3] }' "$B/churn.md" >>"$RES"
clang $BPF_CFLAGS -c bench/bpf/untraced.bpf.c -o "$B/untraced.bpf.o"
"$B/untraced" -s 5 -o "$RES" "$B/untraced.bpf.o" >"$B/untraced.md"

# --- 9. beside the tools users would pick instead -----------------------------------------

say "bench: peers: the tools users would pick instead, beside the agent (bench/peers.sh)"
sh bench/peers.sh "$OUT" "$RES" >/dev/null	# its report: $B/peers.md, its own part of BENCHMARKS.md

# --- 10. memory when processes arrive after the agent -----------------------------------

say "bench: memory: the agent first, then $ARRIVALS processes (bench/arrivals.sh), json and prometheus"
ARRIVALS=$ARRIVALS HOLD=5 sh bench/arrivals.sh "$OUT" "$RES" >"$B/arrivals.md"

# --- the report ----------------------------------------------------------------------

t_end=$(date +%s)
pct() { awk -v x="$1" 'BEGIN { printf "%+.1f%%", x * 100 }'; }
pct3() { awk -v x="$1" 'BEGIN { printf "%+.3f%%", x * 100 }'; }
peers_at() { awk '$1 == "peers.cpu_s" { n = $2 } END { print n }' "$RES"; }
peers_cpu() { # at the largest size: each peer's CPU over the agent's, or why not
	awk -v n="$(peers_at)" '$2 != n { next } $1 == "peers.cpu_s" { c[$3] = $4 } $1 == "peers.why" { w[$3] = 1 }
		END { split("procexp:process-exporter pidstat:pidstat atop:atop bpftrace:bpftrace", ids, " ")
			for (i = 1; i <= 4; i++) { split(ids[i], p, ":")
				printf "%s%s %s", (i > 1 ? ", " : ""), p[2], (p[1] in w ? "not run" : (c["agent"] > 0 ? sprintf(c[p[1]] < 10 * c["agent"] ? "%.1fx" : "%.0fx", c[p[1]] / c["agent"]) : "n/a")) } }' "$RES"
}
ci() { # KEY ID: the last two figures of its results line, as a percent interval
	awk -v k="$1" -v a="$2" '$1 == k && $2 == a { printf "%+.1f%%..%+.1f%%", $(NF - 1) * 100, $NF * 100; exit }' "$RES"
}
verdict() { awk -v x="$1" -v lim="$2" -v op="$3" 'BEGIN { ok = op == "le" ? x <= lim : op == "lt" ? x < lim : x >= lim; print ok ? "**holds**" : "**missed**" }'; }

hp_ratio=$(res hotpath.ratio wp_switch_btf)
hp_ns=$(res hotpath.ns wp_switch_btf)
hp_floor=$(res hotpath.ns hp_empty)
sc_ratio=$(res scale.ratio "$largest")
sc_agent=$(res scale.agent_us "$largest")
sc_proc=$(res scale.proc_us "$largest")
sc_procs=$(res scale.procs "$largest")

{
	echo "### Run"
	echo
	echo "- command: \`make bench\` (bench/run.sh $OUT), $started, $((t_end - t_start)) s"
	echo "- machine: $cpu_model, $ncpu CPUs at ${cpu_mhz} MHz, $mem_gb GiB, $virt; kernel $(uname -r);" \
		"clocksource $clock; meltdown: $pti; PCID: $pcid"
	echo "- wattprobe $commit$dirty; agent measured as \`wattprobe $AGENT_MODE -i 1\`"
	echo "- load average at start: $load0; other sched_switch BPF links at start: $others"
	[ "$QUICK" = 1 ] && echo "- **WP_BENCH_QUICK=1: smoke-test rounds, not figures to publish**"
	echo
	echo "### Summary"
	echo
	echo "| # | what | target | this run | verdict |"
	echo "|---|---|---|---|---|"
	echo "| 1 | sched_switch handler, per call, x empty program (bpf_stats, median of $HP_ROUNDS rounds) | <= 2x | $(awk -v r="$hp_ratio" 'BEGIN { printf "%.2fx", r }') ($hp_ns ns vs $hp_floor ns) | $(verdict "$hp_ratio" 2 le) |"
	echo "| 2 | \`perf bench sched pipe\` slowdown, agent attached vs detached (median of $CS_ROUNDS paired rounds) | < 3% | $(pct "$(res cswitch.slowdown pipe)") | $(verdict "$(res cswitch.slowdown pipe)" 0.03 lt) |"
	echo "| 2 | the same, both processes on CPU 0 (nothing but context switches; median of $PIN_ROUNDS paired rounds, its 95% interval) | < 3% | $(pct "$(res cswitch.slowdown pipe-cpu0)") ($(ci cswitch.slowdown_ci pipe-cpu0)) | $(verdict "$(res cswitch.slowdown pipe-cpu0)" 0.03 lt) |"
	echo "| 2 | the same with only an empty program on sched_switch (the floor) | | $(pct "$(res hotpath.wall_slowdown hp_empty)") | |"
	echo "| 2 | the agent's handler over the empty program, both on CPU 0 (paired in each of $PIN_ROUNDS rounds, its 95% interval) | | $(pct "$(res hotpath.wall_over_floor wp_switch_btf)") ($(ci hotpath.wall_over_floor wp_switch_btf)) | |"
	echo "| 2 | \`hackbench $HACK_ARGS\` slowdown, agent attached vs detached | (none) | $(pct "$(res cswitch.slowdown hackbench)") | |"
	if [ -n "$sc_ratio" ]; then
		echo "| 3 | one sample at $sc_procs processes: /proc method / wattprobe, CPU time (median of $SC_ROUNDS intervals) | >= 20 | $sc_ratio (${sc_agent} us vs ${sc_proc} us) | $(verdict "$sc_ratio" 20 ge) |"
	fi
	lv_max=$(awk -v n="$largest" '$1 == "levels.growth" && $2 == n && (m == "" || $4 > m) { m = $4 } END { print m }' "$RES")
	if [ -n "$lv_max" ]; then
		echo "| 3 | a sample with its prometheus views and pages at $sc_procs processes: CPU time added per level of --group-by over one level (2, 4, 7 levels; median of $SC_ROUNDS intervals) | < 20% per level | $(awk -v n="$largest" '$1 == "levels.growth" && $2 == n { printf "%s%+.1f%%", s, $4 * 100; s = " / " }' "$RES") | $(verdict "$lv_max" 0.2 lt) |"
	fi
	echo "| 4 | error of per-process CPU time, busy / half / mostly idle, total over the run | (report) | wattprobe $(pct3 "$(res accuracy.agent_err busy)") / $(pct3 "$(res accuracy.agent_err half)") / $(pct3 "$(res accuracy.agent_err idle)"); /proc $(pct "$(res accuracy.proc_err busy)") / $(pct "$(res accuracy.proc_err half)") / $(pct "$(res accuracy.proc_err idle)") | |"
	echo "| 4 | error on short-lived processes (getrusage) | (report) | wattprobe $(pct3 "$(res accuracy.burst_agent_err)"); /proc $(pct "$(res accuracy.burst_proc_err)") (saw $(awk '$1 == "accuracy.burst_proc_seen" { print $2 " of " $3 }' "$RES")) | |"
	if [ -n "$(res mem.hwm_kb)" ]; then
		echo "| 5 | agent at $(res mem.procs) processes: peak RSS (VmHWM, from its start); BPF maps (bpftool memlock) | <= 10 MiB | $(awk -v k="$(res mem.hwm_kb)" 'BEGIN { printf "%.1f MiB", k / 1024 }'); $(awk -v b="$(res mem.maps_total)" 'BEGIN { printf "%.1f MiB", b / 1048576 }') | $(verdict "$(res mem.hwm_kb)" 10240 le) |"
	fi
	if [ -n "$(res energy.growth)" ]; then
		echo "| 6 | one sample with learnt idle baselines (package + DRAM) over one with 0.1's idle learner, CPU time (median of $SC_ROUNDS intervals) | (not measurably more) | $(pct "$(res energy.growth)") ($(res energy.baselines_us) us vs $(res energy.old_us) us of $(res energy.sample_us) us; 0.2's line fit $(res energy.line_us) us) | |"
	fi
	if [ -n "$(res churn.hwm_kb)" ]; then
		echo "| 7 | agent RSS under fork/exec churn (\`json -i 0.1\`, ${CHURN_S} s): start / end / peak | flat, <= 10 MiB | $(res churn.rss_start_kb) / $(res churn.rss_end_kb) / $(res churn.hwm_kb) KiB | $(verdict "$(res churn.hwm_kb)" 10240 le) |"
	fi
	echo "| 8 | switches the tracepoint did not show (5 s), processes never seen switched out | (report) | $(res untraced.switches), $(res untraced.hidden_processes) | |"
	echo "| 9 | the tools users would pick instead, same windows (below, \"Beside the tools...\"): their CPU over the agent's at $(peers_at) sleepers | (report) | $(peers_cpu) | |"
	for m in json prometheus; do
		[ -n "$(res arrivals.$m.hwm_kb)" ] || continue
		echo "| 10 | agent first, then $(res arrivals.n) processes (\`$m -i 1\`): peak RSS; after they ended / before | <= 10 MiB; back | $(awk -v k="$(res arrivals.$m.hwm_kb)" 'BEGIN { printf "%.1f MiB", k / 1024 }'); $(res arrivals.$m.after_kb) / $(res arrivals.$m.before_kb) KiB | $(verdict "$(res arrivals.$m.hwm_kb)" 10240 le) |"
	done
	echo
	echo "### 1. Hot path: run time per call of each sched_switch handler"
	echo
	echo "Each candidate attached alone to \`tp_btf/sched_switch\` (the agent's own handler loaded from"
	echo "\`$OUT/wattprobe.bpf.o\`), BPF run-time statistics on, workload \`$HP_WORK\`;"
	echo "candidates alternate, in an order rotated each round; x floor is the median over rounds of"
	echo "the candidate's ns/call over the empty program's in the same round."
	echo
	cat "$B/hotpath.md"
	echo
	echo "### 2. Context-switch slowdown with the agent"
	echo
	echo "bench/cswitch.c opens the agent's sampling core (sampler__open: BPF loaded and attached,"
	echo "a thread sampling every second while attached, as \`wattprobe\` does) and runs the workload"
	echo "detached (wattprobe_bpf__detach) and attached, the order swapped every round, so the two"
	echo "runs of a pair are a fraction of a second apart; time is the one the workload prints (for"
	echo "\`perf bench sched pipe\` its usecs/op, the time to the microsecond: its total is printed to the"
	echo "millisecond, 2% of a pinned run); kernel.bpf_stats_enabled=0. Slowdown: median over rounds of"
	echo "attached/detached - 1, with a 95% confidence interval of that median (from the order statistics"
	echo "of the rounds). The A/A check of the method, \`cswitch -A\` (both runs detached; by hand, not in"
	echo "make bench), gives about 0%."
	echo
	echo "| workload | detached (median) | attached (median) | slowdown (median of rounds) | its 95% interval | min..max |"
	echo "|---|---:|---:|---:|---:|---:|"
	cat "$B/cswitch.md"
	echo
	echo "Workload \`taskset -c 0 perf bench sched pipe -l $PIPE_LOOPS\` with one hot-path candidate"
	echo "attached alone (bench/hotpath.c -W), next to nothing attached and to the empty program attached"
	echo "in the same round:"
	echo
	cat "$B/hotpath-wall.md"
	echo
	echo "Cross-check with the agent binary: \`wattprobe $AGENT_MODE -i 1\` started (and attached) before and"
	echo "stopped after each run of \`taskset -c 0 perf bench sched pipe -l $PIPE_LOOPS\`, off and on"
	echo "alternated, $AG_ROUNDS rounds: off $ag_off us/op, on $ag_on us/op, slowdown $(pct "$ag_slow") (median of rounds; $ag_range)."
	echo
	echo "### 3. Cost of one sample as the host grows"
	echo
	echo "In one process (bench/scale.c), each interval: one wattprobe sample (the sampling core:"
	echo "sampler__sample + sampler__done), one /proc scan (bench/procscan.h) and one read of a task"
	echo "iterator (bench/bpf/taskiter.bpf.c: the cost prototype of a design with no sched_switch"
	echo "program), rotating which goes first; each timed with CLOCK_PROCESS_CPUTIME_ID (user +"
	echo "kernel time of the process). In the same intervals, from each wattprobe sample, the views"
	echo "and pages of \`wattprobe prometheus\` for 1, 2, 4 and 7 levels of --group-by (\"Levels\","
	echo "below): what a level adds to a sample, and what each level puts on the page."
	echo
	cat "$B/scale.md"
	echo
	echo "The agent binary itself (\`wattprobe $AGENT_MODE -i 1\`, its threads' on-CPU time over ${E2E_S} s,"
	echo "by /proc/PID/task/*/schedstat, per interval it printed), same populations:"
	echo
	echo "| live processes | agent CPU per interval, us |"
	echo "|---:|---:|"
	awk '$1 == "scale.procs" { n[$2] = $3 } $1 == "e2e.cpu_us" { print "| " n[$2] " | " $3 " |" }' "$RES"
	echo
	echo "### 4. Accuracy"
	echo
	cat "$B/accuracy.md"
	echo
	if [ -n "$(res mem.hwm_kb)" ]; then
		echo "### 5. Memory at $(res mem.procs) live processes"
		echo
		echo "Agent (\`wattprobe $AGENT_MODE -i 1\`): VmHWM $(res mem.hwm_kb) KiB, VmRSS $(res mem.rss_kb) KiB;"
		echo "with \`--max-processes 1024\` (a smaller cap; tables grow as they fill either way): VmHWM $(res mem.hwm_kb_1024) KiB."
		echo "BPF maps it holds (\`bpftool map show id ID\`, bytes_memlock):"
		echo
		echo "| map | type | bytes |"
		echo "|---|---|---:|"
		awk '$1 == "mem.map" { print "| " $2 " | " $3 " | " $4 " |" }' "$RES"
		echo "| **total** | | $(res mem.maps_total) |"
	fi
	if [ -s "$B/energy.md" ]; then
		echo
		echo "### 6. The learnt idle baselines' share of a sample"
		echo
		echo "In one process (bench/energy.c), on a fake package and DRAM that follow the load, with"
		echo "their fits' windows full, each interval: one wattprobe sample (baselines included), the"
		echo "two baseline estimates alone, and version 0.1's idle learner (the 10th percentile of 256"
		echo "powers by qsort, every interval), and version 0.2's line fit on the same two windows"
		echo "(bench/line02.h), rotating which goes first; each timed with CLOCK_PROCESS_CPUTIME_ID."
		echo "Growth: (baselines - 0.1's learner) / the sample as it was."
		echo
		cat "$B/energy.md"
	fi
	echo
	echo "### 7. Memory under fork/exec churn"
	echo
	echo "\`bench/soak.sh\` for ${CHURN_S} s: four shell loops exec'ing /bin/true, the agent as"
	echo "\`wattprobe json -i 0.1\` (\`SOAK_SECONDS=600 bench/soak.sh\` by hand for the 10-minute soak)."
	cat "$B/churn.md"
	echo
	echo "### 8. Untraced switches"
	echo
	echo "bench/untraced.c: per process, switches in and out as sched_switch shows them, for 5 s"
	echo "([docs/counting.md, \"Untraced switches\"](docs/counting.md#untraced-switches)), and whether BPF finds its task by pid."
	echo
	cat "$B/untraced.md"
	echo
	echo "### 10. Memory when processes arrive after the agent"
	echo
	echo "\`bench/arrivals.sh\`: the agent starts first (json, then prometheus scraped every second),"
	echo "then $(res arrivals.n) processes (tests/tools/flood --live: a command line of its own each, each"
	echo "runs once, at its start, then sleeps), held 5 s, then all end; RSS (VmRSS) 4 s after the"
	echo "agent started, with them alive, 5 s after they ended, and the peak (VmHWM)."
	echo
	cat "$B/arrivals.md"
} >"$REPORT"

cat "$REPORT"
echo
echo "### 9. Beside the tools users would pick instead"
echo
cat "$B/peers.md"

if [ "${WP_BENCH_UPDATE:-0}" = 1 ]; then
	awk -v report="$REPORT" '
		/<!-- bench:begin -->/ { print; while ((getline l < report) > 0) print l; skip = 1; next }
		/<!-- bench:end -->/ { skip = 0 }
		!skip' BENCHMARKS.md >"$B/BENCHMARKS.md.new" && mv "$B/BENCHMARKS.md.new" BENCHMARKS.md
	say "bench: BENCHMARKS.md updated"
fi
