#!/bin/sh
# GPUs through NVML, with the fake libnvidia-ml.so.1 the tests build (tests/fake/nvml.c)
# and the real agent (issue 22): two processes at known SM shares get their dynamic
# GPU energy, the idle baseline is learnt, exclusive and MIG modes, a GPU that is lost
# mid-run is a gap, `run` reports a command's GPU energy, Prometheus' GPU families,
# and every line conserves the GPU's energy to the microjoule. The fake GPU draws
# idle + k x utilisation (tests/fake/nvml.c): the truths below are worked out from
# those figures, never from wattprobe's. Needs root (the agent loads BPF).
. "$(dirname "$0")/lib.sh"
# jq -e over all of FILE's lines at once: jqall EXPR FILE
jqall() { jq -e -s "$1" "$2" >/dev/null; }
# within A B TOLERANCE: |A - B| <= TOLERANCE x |B| (awk: it starts far faster than python)
within() {
	awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d
		if (b < 0) b = -b; exit !(a != "" && a != "null" && d <= t * b) }'
}
# wait until $TMP/out has N lines, 30 s at the most (loading BPF on a busy machine is slow)
lines_of_out() {
	i=0
	while [ "$(wc -l <"$TMP/out")" -lt "$1" ] && [ $i -lt 600 ]; do
		sleep 0.05
		i=$((i + 1))
	done
}

NV="$OUT/fake/libnvidia-ml.so.1"
CFG="$TMP/gpus"
export FAKE_NVML_CONFIG="$CFG"
# the control file, replaced whole: the fake reads it again when it changes
put() { printf '%b' "$1" >"$CFG.tmp" && mv "$CFG.tmp" "$CFG"; }
# an agent on the fake, in the foreground only: in the background a function is a subshell,
# its $! not the agent's, and stopping it would leave wattprobe running
agent() { "$WP" "$@" --nvml-library "$NV" --sensor model,nvml; }
# GPU_LINE: the fake GPU of most checks: 40 W idle, 200 W more at full SM utilisation
G="gpu 0 idle=40 k=200 limit=350 name=Fake-A100"
# processes with names of their own and some CPU time (the agent must have seen them run)
for n in gpuA gpuB gpuC; do ln -s "$(realpath "$OUT/tools/duty")" "$TMP/$n"; done
"$TMP/gpuA" 60 5 & A=$!
"$TMP/gpuB" 60 5 & B=$!
PIDS="$PIDS $A $B"

# the fake exports exactly the calls the loader knows (src/energy/nvml.c), no more
nm -D --defined-only "$NV" | awk '{ print $3 }' | sort >"$TMP/exported"
sed -n 's/^	{ "\(nvml[A-Za-z0-9_]*\)", offsetof.*/\1/p' "$(dirname "$0")/../../src/energy/nvml.c" |
	sort >"$TMP/loaded"
check "the fake library exports exactly the $(wc -l <"$TMP/loaded") calls wattprobe loads" \
	sh -c "[ \$(wc -l <'$TMP/loaded') -eq 15 ] && cmp -s '$TMP/exported' '$TMP/loaded'"

# Conservation on every line with GPU energy, in integer microjoules: each GPU's idle +
# others + processes = its energy, and the processes + others + idle = the host's GPUs.
conserved() {
	jq -e -s 'def uj: . * 1e6 | round;
		[.[] | select(.host.gpu_energy_j != null)] as $l | ($l | length) > 0 and
		all($l[]; (.gpus | all(.[]; (.idle_energy_j | uj) + (.others_energy_j | uj) +
			(.processes_energy_j | uj) == (.energy_j | uj))) and
			([.processes[].gpu_energy_j | uj] | add) + (.others.gpu_energy_j | uj) +
			(.idle.gpu_energy_j | uj) == (.host.gpu_energy_j | uj))' "$1" >/dev/null
}

# --- one agent through every phase ------------------------------------------------------
# Each phase starts when the agent has written the lines of the one before (the fake sees a
# change at the agent's next read: a phase's first line is the one after the put):
# 1. the GPU's utilisation varies, a line each (gpuA alone, 0% to 90%): the curve of power
#    on it finds the idle power;
# 2. gpuA 60% and gpuB 20%: 120 W and 40 W of dynamic power (5 lines, the last 3 steady);
# 3. the GPU lost (2 lines: gaps, not a crash), then back (2 lines);
# 4. exclusive process mode, gpuA at 30% (3 lines); 5. MIG (2 lines), then SIGTERM ends it:
# no count to wait out, whatever a loaded machine does to the phases' lengths.
put "$G\n"
: >"$TMP/out"	# emptied now: the agent's redirection may come after the first wait
"$WP" json -i 0.2 --nvml-library "$NV" --sensor model,nvml --state-file "$TMP/state" \
	>"$TMP/out" 2>"$TMP/err" &
W=$!
PIDS="$PIDS $W"
lines_of_out 1
for u in 0 50 10 90; do
	put "$G\nproc 0 $A $u\n"
	lines_of_out $(($(wc -l <"$TMP/out") + 1))
done
put "$G\nproc 0 $A 60\nproc 0 $B 20\n"
switch=$(wc -l <"$TMP/out")
lines_of_out $((switch + 5))
lost=$(wc -l <"$TMP/out")
put "$G lost=1\nproc 0 $A 50\n"
lines_of_out $((lost + 2))
put "$G\nproc 0 $A 50\n"
lines_of_out $(($(wc -l <"$TMP/out") + 2))
put "$G mode=exclusive\nproc 0 $A 30\n"
lines_of_out $(($(wc -l <"$TMP/out") + 3))
put "$G mig=1\nproc 0 $A 50\n"
lines_of_out $(($(wc -l <"$TMP/out") + 2))
kill -TERM $W
wait $W
st=$?
N=$(wc -l <"$TMP/out")
# the steady lines of the shares: from two intervals after the switch (the fake had them
# throughout) to the last line before the GPU was lost
sed -n "$((switch + 3)),${lost}p" "$TMP/out" >"$TMP/steady"
sed -n "${lost}p" "$TMP/out" >"$TMP/shared"
read -r idle src <<EOF
$(jq -r '.gpus[0] | [.idle_baseline_w, .baseline.source] | @tsv' "$TMP/shared")
EOF
check "the idle baseline is learnt: $idle W ($src), truth 40 W, within 5%" within "$idle" 40 0.05
check "... from the fit, not the prior (0.15 x 350 W = 52.5 W)" test "$src" = fit -o "$src" = blend
curve=$(jq -c '.gpus[0].baseline | [.curve_w, .idle_range_w]' "$TMP/shared")
check "... its learnt curve at 0, 25, 50, 75, 100%, truth 40 + 200 u W, within 5%, and idle's range: $curve" \
	last_jqe "$TMP/shared" '.gpus[0].baseline | ([.curve_w, [40, 90, 140, 190, 240]] | transpose |
		all(.[]; (.[0] - .[1] | fabs) <= 0.05 * .[1])) and .idle_range_w[0] <= 42 and
		.idle_range_w[1] >= 38 and .idle_range_w[0] <= .idle_range_w[1]'
read -r t ea eb <<EOF
$(jq -s --argjson a "$A" --argjson b "$B" '[([.[].interval_s] | add),
	([.[].processes[] | select(.pid == $a) | .gpu_energy_j] | add),
	([.[].processes[] | select(.pid == $b) | .gpu_energy_j] | add)] | @sh' -r "$TMP/steady")
EOF
check "gpuA's dynamic GPU energy: $ea J, truth 120 W x $t s, within 5%" \
	within "$ea" "$(awk -v t="$t" 'BEGIN { print 120 * t }')" 0.05
check "gpuB's: $eb J, truth 40 W x $t s, within 5%" \
	within "$eb" "$(awk -v t="$t" 'BEGIN { print 40 * t }')" 0.05
check "the GPU's energy: 40 + 200 x 0.8 = 200 W" \
	last_jqe "$TMP/shared" '(.gpus[0].power_w - 200 | fabs) < 5 and .host.gpu_power_w == .gpus[0].power_w'
check "gpus[] has index, uuid, name, power and idle baseline" \
	last_jqe "$TMP/shared" '.gpus[0] | .index == 0 and (.uuid | startswith("GPU-")) and
		.name == "Fake-A100" and .limit_w == 350 and .mode == "shared" and .per_process'
check "a lost GPU: the agent goes on through every phase ($N lines) and exits 0 ($st) when stopped" \
	sh -c "[ $st -eq 0 ] && [ $N -ge $((lost + 9)) ]"
check "... its intervals are gaps: missing \"GPU is lost\", energy null" \
	jqe 'select(.gpus[0].missing == "GPU is lost") | .gpus[0].energy_j == null and
		.host.gpu_energy_j == null and .idle.gpu_energy_j == null' "$TMP/out"
check "... never 0 W or absurd" \
	jqall 'length > 0 and all(.[]; .host.gpu_power_w == null or
		(.host.gpu_power_w > 30 and .host.gpu_power_w < 300))' "$TMP/out"
check "... and it reads again" \
	jqall '(map(.gpus[0].missing == "GPU is lost") | indices(true)) as $l |
		($l | length) > 0 and any(.[$l[-1] + 1:][]; .gpus[0].energy_j > 0)' "$TMP/out"
check "... said once when lost, once when back" \
	sh -c "[ \$(grep -c 'GPU is lost; its energy is missing' '$TMP/err') -eq 1 ] &&
		[ \$(grep -c ') reads again$' '$TMP/err') -eq 1 ]"
ex=$(jq -s -c --argjson a "$A" '[.[] | select(.gpus[0].mode == "exclusive" and
	.gpus[0].energy_j != null) | [(.processes[] | select(.pid == $a) | .gpu_energy_j),
	.gpus[0].processes_energy_j]]' "$TMP/out")
check "exclusive: gpuA gets all the dynamic energy ($ex J), others none" \
	jqe 'select(.gpus[0].mode == "exclusive" and .gpus[0].energy_j != null) |
		(.processes[] | select(.pid == '"$A"') | .gpu_energy_j) == .gpus[0].processes_energy_j
		and .gpus[0].others_energy_j == 0 and .gpus[0].processes_energy_j > 0' "$TMP/out"
check "MIG: per-process not available, said why, the GPU's energy to idle and others" \
	last_jqe "$TMP/out" '.gpus[0] | .mode == "mig" and .per_process == false and
		(.no_per_process | test("MIG")) and .processes_energy_j == 0 and .energy_j > 0'
check "... said once on stderr" test "$(grep -c 'per-process energy not available' "$TMP/err")" -eq 1
check "GPU energy is conserved to the microjoule on every measured line of every mode" \
	conserved "$TMP/out"

# --state-file keeps the GPU's fit, by its UUID (FNV-1a 64 of the fake's first UUID,
# GPU-fa4e0000-0000-4000-8000-000000000000, worked out apart), even with the model's CPUs
n1=$(tail -1 "$TMP/out" | jq '.gpus[0].baseline.intervals')
check "--state-file keeps the GPU's fit at exit ($(grep '^fit' "$TMP/state" 2>/dev/null | tr '\n' ' '))" \
	sh -c "grep -qx 'fit gpu-b9178b1bf41b109e gpu $n1' '$TMP/state' && ! grep -q '^fit [0-9h]' '$TMP/state'"
put "$G\nproc 0 $A 50\n"
agent json -i 0.2 -c 2 --state-file "$TMP/state" >"$TMP/again" 2>"$TMP/err"
n2=$(tail -1 "$TMP/again" | jq '.gpus[0].baseline.intervals')
check "... and reads it at start: the second interval's fit holds $n2 intervals ($n1 + 1)" \
	test "$n2" -eq $((n1 + 1))
# One file for runs with other sensors: a RAPL run's blocks (a socket's, psys's) survive a
# run that has the model's CPUs and this GPU (they were lost: the file was rewritten with
# the GPU's block only), their weights aged, not raised.
printf 'fit 0 package 2\n0.100000 20.000000 1\n0.900000 60.000000 0.5\nfit host psys 1\n0.500000 80.000000 1\n' \
	>>"$TMP/state"
agent json -i 0.2 -c 2 --state-file "$TMP/state" >/dev/null 2>"$TMP/err"
check "... and keeps the blocks of owners this run has not ($(grep '^fit' "$TMP/state" | tr '\n' ' '))" \
	sh -c "grep -q '^fit gpu-b9178b1bf41b109e gpu ' '$TMP/state' &&
		grep -A2 -x 'fit 0 package 2' '$TMP/state' | awk 'NR == 2 && \$1 == 0.1 && \$2 == 20 && \$3 > 0.99 && \$3 <= 1 { a = 1 }
			NR == 3 && \$1 == 0.9 && \$2 == 60 && \$3 > 0.49 && \$3 <= 0.5 { b = 1 } END { exit !(a && b) }' &&
		grep -A1 -x 'fit host psys 1' '$TMP/state' | awk 'NR == 2 && \$2 == 80 && \$3 > 0.99 && \$3 <= 1 { a = 1 } END { exit !a }'"

# --- wattprobe run of a command on the GPU -------------------------------------------------
# The command puts itself on the GPU at 50% (its shell's PID, kept by exec) and keeps a
# CPU busy 20%. The fake's idle is its prior's (0.15 x 400 W = 60 W): a fresh agent
# learns nothing in 1 s, and this checks what run adds up, not the fit (checked above).
R="gpu 0 idle=60 k=200 limit=400"
put "$R\n"
cmd="printf '$R\\nproc 0 %s 50\\n' \$\$ >$CFG.tmp && mv $CFG.tmp $CFG && exec $TMP/gpuC 1 20"
"$WP" run --json -o "$TMP/run.json" --nvml-library "$NV" --sensor model,nvml -i 0.2 -- \
	sh -c "$cmd" >/dev/null 2>"$TMP/run.err"
read -r g wall <<EOF
$(tail -1 "$TMP/run.json" | jq -r '[.gpu_energy_j, .wall_s] | @tsv')
EOF
# The fake sees the command's line at the agent's next read (tests/fake/nvml.c): run starts
# the command just after a read, so its first interval goes without, and a loaded machine
# may delay the command's start or that read by up to one more. The truth is 100 W x
# (wall - 0.4 s .. wall); a run that counted the GPU's idle (60 W more) or lost half of
# the intervals would be outside it.
check "run reports the command's GPU energy: $g J, truth 100 W x ${wall} s less up to 40 J, 5% more or less" \
	awk -v g="$g" -v w="$wall" 'BEGIN { exit !(g != "null" && g >= 0.95 * 100 * (w - 0.4) &&
		g <= 1.05 * 100 * w) }'

# --- Prometheus --------------------------------------------------------------------------
put "$G\nproc 0 $A 60\nproc 0 $B 20\n"
port=$(free_port)
"$WP" prometheus --listen "127.0.0.1:$port" -i 0.2 --nvml-library "$NV" --sensor model,nvml \
	>/dev/null 2>"$TMP/perr" &
PIDS="$PIDS $!"
# the page once it has gpuA's GPU energy (an interval that read the fake's samples), 10 s at most
i=0
until curl -s "http://127.0.0.1:$port/metrics" >"$TMP/metrics" 2>/dev/null &&
	grep -q "^wattprobe_process_gpu_joules_total{pid=\"$A\"" "$TMP/metrics" || [ $i -ge 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
check "wattprobe_gpu_joules_total{gpu,uuid}" \
	grep -q '^wattprobe_gpu_joules_total{gpu="0",uuid="GPU-fa4e0000-0000-4000-8000-000000000000"} ' "$TMP/metrics"
check "... the GPU's learnt curve at 5 loads and its idle's range" sh -c "
	[ \$(grep -c '^wattprobe_gpu_power_curve_watts{gpu=\"0\",uuid=\"GPU-fa4e[-0-9a-f]*\",load=\"[0-9.]*\"} ' '$TMP/metrics') -eq 5 ] &&
	grep -q '^wattprobe_gpu_idle_baseline_low_watts{gpu=\"0\",' '$TMP/metrics' &&
	grep -q '^wattprobe_gpu_idle_baseline_high_watts{gpu=\"0\",' '$TMP/metrics'"
check "... wattprobe_process_gpu_joules_total, _watts, others' and idle's" sh -c "
	grep -q '^wattprobe_process_gpu_joules_total{pid=\"$A\",comm=\"gpuA\"' '$TMP/metrics' &&
	grep -q '^wattprobe_process_gpu_watts{' '$TMP/metrics' &&
	grep -q '^wattprobe_others_gpu_joules_total{group_by=\"pid\"} ' '$TMP/metrics' &&
	grep -q '^wattprobe_gpu_idle_joules_total ' '$TMP/metrics'"
# (a sample's value is its last field; label values may hold spaces, values never do)
check "... no two samples share their name and labels" sh -c "
	grep -v '^#' '$TMP/metrics' | sed 's/ [^ ]*\$//' | sort | uniq -d >'$TMP/dups' &&
	! [ -s '$TMP/dups' ]"
check "... and promtool finds nothing wrong with the page" \
	sh -c "promtool check metrics <'$TMP/metrics' >'$TMP/lint' 2>&1 || { cat '$TMP/lint'; false; }"
curl -s -H "Accept: $OM_ACCEPT" "http://127.0.0.1:$port/metrics" >"$TMP/om"
om_created "$TMP/om" >"$TMP/om.check" 2>&1
st=$?
check "... in OpenMetrics, every counter has its _created, the GPUs' too ($(tail -1 "$TMP/om.check"))" \
	sh -c "[ $st -eq 0 ] && grep -q '^wattprobe_gpu_joules_created{gpu=\"0\",' '$TMP/om' &&
		grep -q '^wattprobe_gpu_idle_joules_created ' '$TMP/om'"

# --- no GPU: nothing of it, and --sensor nvml says why ------------------------------------
rm -f "$CFG"	# the fake answers as a host without the driver does
agent json -i 0.2 -c 1 >/dev/null 2>"$TMP/err"
st=$?
check "--sensor nvml without a driver: status 1 ($st), the reason" \
	sh -c "[ $st -eq 1 ] && grep -q 'sensor nvml: failed to initialise NVML.*Driver Not Loaded' '$TMP/err'"
"$WP" json --nvml-library "$NV" --hwmon-root "$TMP/nohwmon" -i 0.2 -c 1 >"$TMP/none" 2>"$TMP/err"
check "auto without a GPU: no GPU field anywhere, nothing said" sh -c "
	! jq -c 'paths | map(tostring) | join(\".\")' '$TMP/none' | grep -qi 'gpu' &&
	! grep -qi gpu '$TMP/err'"
check "--nvml-library naming no file: a usage error (status 2) naming it" \
	sh -c "'$WP' json --nvml-library '$TMP/nothing.so' -c 1 >/dev/null 2>'$TMP/err'; [ \$? -eq 2 ] &&
		grep -q \"nvml-library '$TMP/nothing.so': No such file\" '$TMP/err'"
put "$G\ngpu 1 energy=0\n"
"$WP" --sensor list --nvml-library "$NV" >"$TMP/list"
check "--sensor list: both GPUs, what each gives, and nvml used" sh -c "
	grep -q 'GPU 0 Fake-A100 GPU-fa4e.*: energy counter' '$TMP/list' &&
	grep -q 'GPU 1 .*power usage (no energy counter)' '$TMP/list' &&
	grep -q '^gpu  *nvml' '$TMP/list'"
finish
