#!/bin/sh
# hwmon meters through the real agent (issue 22), on trees of tests/tools/fakehwmon: a
# platform power meter at known watts beside a load-following RAPL package (the
# remainder, its split, and the platform conserved to the microjoule on every line),
# current x voltage, a CPU meter standing in for RAPL, and, with no GPU and no hwmon,
# the outputs of before. Truths are the fakes' wattages. Needs root (BPF).
. "$(dirname "$0")/lib.sh"
# jq -e over all of FILE's lines at once: jqall EXPR FILE
jqall() { jq -e -s "$1" "$2" >/dev/null; }

PC="$TMP/pc"
HW="$TMP/hw"
# wait until a file of the patterns has a value (a fake's first write), 5 s at the most;
# the patterns (no spaces in $TMP) are expanded anew each time: the tree may not be there yet
has_value() {
	i=0
	while [ $i -lt 250 ]; do
		for f in $*; do [ -s "$f" ] && return 0; done
		sleep 0.02
		i=$((i + 1))
	done
	return 1
}
# the fake hwmon tree's first values: any meter's
meters() { has_value "$HW/hwmon*/power*_average $HW/hwmon*/curr*_input $HW/hwmon*/energy*_input"; }
# the platform, in integer microjoules on every line with it: processes + others + idle
# = the platform (the remainder never short here), and the remainder = platform - parts
conserved() {
	jq -e -s 'def uj: . * 1e6 | round;
		[.[] | select(.host.platform_rest_energy_j != null)] as $l | ($l | length) > 0 and
		all($l[]; .host.platform_parts_above_j == 0 and
			([.processes[].platform_energy_j | uj] | add) + (.others.platform_energy_j | uj) +
			(.idle.platform_energy_j | uj) == (.host.platform_energy_j | uj) and
			(.host.platform_rest_energy_j | uj) == (.host.platform_energy_j | uj) -
			(.host.energy_j | uj))' "$1" >/dev/null
}
"$OUT/tools/fakerapl" --root "$PC" --package 0:10+15 >/dev/null &
PIDS="$PIDS $!"
"$OUT/tools/fakehwmon" --root "$HW" --average power_meter:=150 &
F=$!
PIDS="$PIDS $F"
has_value "$PC/intel-rapl:0/energy_uj"
meters

# --- a platform meter at 150 W beside a package of 10 W + 15 W per busy CPU --------------
ln -s "$(realpath "$OUT/tools/duty")" "$TMP/busy"
"$TMP/busy" 5 60 &
PIDS="$PIDS $!"
busy=$!
"$WP" json --sensor rapl,hwmon --powercap-root "$PC" --hwmon-root "$HW" -i 0.2 -c 4 \
	--state-file "$TMP/state" >"$TMP/out" 2>"$TMP/err"
pw=$(jq -s '[.[].host.platform_power_w] | add / length' "$TMP/out")
check "the platform meter: 150 W on every line (mean $pw W), from the ACPI power meter" \
	jqall 'length == 4 and all(.[]; (.host.platform_power_w - 150 | fabs) < 0.5 and
		(.host.platform_meter | test("power_meter")))' "$TMP/out"
rest=$(tail -1 "$TMP/out" | jq '[.host.platform_rest_power_w, .host.power_w] | @tsv' -r)
check "the remainder: 150 W - the package (10 W + 15 W x busy CPUs): $rest W" \
	last_jqe "$TMP/out" '(.host.platform_rest_power_w + .host.power_w - 150 | fabs) < 0.01 and
		.host.power_w > 10'
# The remainder here is flat where the package follows the load: once its baseline has
# learnt that, nearly all of it is idle (at times all: none to processes). The first intervals,
# the baseline its prior's (half the remainder), have a part above idle to split.
check "a busy process gets a share of the remainder above its idle, by its CPU time" \
	jqall 'any(.[]; .idle.platform_rest_energy_j < .host.platform_rest_energy_j and
		any(.processes[]; .pid == '"$busy"' and .platform_rest_energy_j > 0 and
			.platform_energy_j > .energy_j))' "$TMP/out"
check "the platform is conserved to the microjoule on every line" conserved "$TMP/out"
check "the remainder's own baseline" \
	last_jqe "$TMP/out" '.host.platform_rest_baseline.idle_w > 0 and
		.host.platform_rest_baseline.prior_from == "observed power"'
n1=$(tail -1 "$TMP/out" | jq '.host.platform_rest_baseline.intervals')
check "--state-file keeps the remainder's fit beside the package's ($(grep '^fit' "$TMP/state" 2>/dev/null | tr '\n' ' '))" \
	sh -c "grep -qx 'fit host rest $n1' '$TMP/state' && grep -q '^fit 0 package ' '$TMP/state'"
"$WP" json --sensor rapl,hwmon --powercap-root "$PC" --hwmon-root "$HW" -i 0.2 -c 2 \
	--state-file "$TMP/state" >"$TMP/again" 2>"$TMP/err"
n2=$(tail -1 "$TMP/again" | jq '.host.platform_rest_baseline.intervals')
check "... and reads it at start: the second interval's fit holds $n2 intervals ($n1 + 1)" \
	test "$n2" -eq $((n1 + 1))

# Prometheus: the platform's families
port=$(free_port)
"$WP" prometheus --sensor rapl,hwmon --powercap-root "$PC" --hwmon-root "$HW" \
	--listen "127.0.0.1:$port" -i 0.2 >/dev/null 2>&1 &
PIDS="$PIDS $!"
# the page once it has a process's share of the remainder (an interval), 10 s at the most
i=0
until curl -s "http://127.0.0.1:$port/metrics" >"$TMP/metrics" 2>/dev/null &&
	grep -q '^wattprobe_process_platform_rest_joules_total{' "$TMP/metrics" || [ $i -ge 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
check "wattprobe_platform_joules_total, _watts and the remainder's" sh -c "
	grep -q '^wattprobe_platform_joules_total ' '$TMP/metrics' &&
	awk '\$1 == \"wattprobe_platform_watts\" && \$2 > 149 && \$2 < 151 { f = 1 } END { exit !f }' \
		'$TMP/metrics' &&
	grep -q '^wattprobe_platform_rest_idle_joules_total ' '$TMP/metrics' &&
	grep -q '^wattprobe_process_platform_rest_joules_total{' '$TMP/metrics' &&
	grep -q '^wattprobe_others_platform_rest_joules_total{group_by=\"pid\"} ' '$TMP/metrics'"
check "... and promtool finds nothing wrong with the page" \
	sh -c "promtool check metrics <'$TMP/metrics' >'$TMP/lint' 2>&1 || { cat '$TMP/lint'; false; }"
curl -s -H "Accept: $OM_ACCEPT" "http://127.0.0.1:$port/metrics" >"$TMP/om"
om_created "$TMP/om" >"$TMP/om.check" 2>&1
st=$?
check "... in OpenMetrics, every counter has its _created, the platform's too ($(tail -1 "$TMP/om.check"))" \
	sh -c "[ $st -eq 0 ] && grep -q '^wattprobe_platform_joules_created ' '$TMP/om' &&
		grep -q '^wattprobe_platform_rest_joules_created ' '$TMP/om' &&
		grep -q '^wattprobe_platform_rest_idle_joules_created ' '$TMP/om'"

# --- current x voltage: INA3221's VDD_IN at 5 V, 12 W -----------------------------------
kill "$F" && wait "$F"	# each tree its own fake: the one before stops writing
rm -rf "$HW"
"$OUT/tools/fakehwmon" --root "$HW" --curr-volt ina3221:VDD_IN=12@5000 &
F=$!
PIDS="$PIDS $F"
meters
"$WP" json --sensor rapl,hwmon --powercap-root "$PC" --hwmon-root "$HW" -i 0.2 -c 1 \
	>"$TMP/out" 2>"$TMP/err"
cv=$(tail -1 "$TMP/out" | jq .host.platform_power_w)
check "curr x volt: 2400 mA x 5000 mV = 12 W ($cv W), VDD_IN the platform's" \
	last_jqe "$TMP/out" '(.host.platform_power_w - 12 | fabs) < 0.01 and
		(.host.platform_meter | test("ina3221 VDD_IN \\(curr x volt\\)"))'
"$WP" --sensor list --hwmon-root "$HW" >"$TMP/list"
check "--sensor list says what it found and uses" sh -c "
	grep -q 'hwmon0 ina3221 VDD_IN (curr x volt): platform, used' '$TMP/list' &&
	grep -q '^platform *hwmon' '$TMP/list'"

# --- no RAPL: amd_energy's socket counter stands in for the package ---------------------
kill "$F" && wait "$F"
rm -rf "$HW"
"$OUT/tools/fakehwmon" --root "$HW" --energy amd_energy:Esocket0=10+15 \
	--energy amd_energy:Ecore000=3 &
F=$!
PIDS="$PIDS $F"
meters
"$WP" json --powercap-root "$TMP/none" --hwmon-root "$HW" -i 0.2 -c 3 >"$TMP/out" 2>"$TMP/err"
check "without RAPL, auto takes the hwmon CPU meter (measured, not estimated)" \
	jqall 'length == 3 and all(.[]; .sensor == "hwmon-cpu" and .estimated == false)' "$TMP/out"
# Over the run, not per line: the fake counts busy CPUs in ticks over its own 10 ms steps,
# and on a loaded machine a late step puts one interval's energy into the next.
cpu=$(jq -s -c '.[1:] | [([.[].host.energy_j] | add) / ([.[].interval_s] | add),
	([.[].host.power_w] | min), ([.[].host.power_w] | max)]' "$TMP/out")
check "... its socket's energy: 10 W + 15 W per busy CPU (mean, min, max: $cpu W), the core counter left out" \
	jqall 'length == 3 and (.[1:] | ([.[].host.energy_j] | add) / ([.[].interval_s] | add)) as $w |
		$w >= 9.5 and $w < 42' "$TMP/out"
check "... and no platform meter: no platform field" \
	sh -c "! jq -c 'paths | map(tostring) | join(\".\")' '$TMP/out' | grep -q platform"

# --- no GPU and no hwmon: the outputs of before --------------------------------------------
# The record's fields are those the exact-output unit tests fix (test_json_out.c); here the
# real agent, with an empty hwmon tree and no NVML, has no GPU or platform field at all.
mkdir -p "$TMP/empty"
"$WP" json --sensor rapl --powercap-root "$PC" --hwmon-root "$TMP/empty" -i 0.2 -c 1 \
	>"$TMP/plain" 2>"$TMP/err"
# NVML: the fake library with no control file answers as a host without the driver
NOGPU="--nvml-library $OUT/fake/libnvidia-ml.so.1"
unset FAKE_NVML_CONFIG
"$WP" json --powercap-root "$PC" --hwmon-root "$TMP/empty" $NOGPU -i 0.2 -c 1 >"$TMP/auto" \
	2>>"$TMP/err"
# the keys of each object of a record (processes' and sockets' pooled)
keys_of() {
	jq -c '{top: keys, host: (.host | keys), idle: (.idle | keys), others: (.others | keys),
		sockets: ([.sockets[] | keys] | add | unique),
		processes: ([.processes[] | keys] | add | unique)}' "$1" | sort -u
}
keys_of "$TMP/plain" >"$TMP/k1"
keys_of "$TMP/auto" >"$TMP/k2"
check "no GPU, no hwmon: auto gives the fields of --sensor rapl alone" cmp -s "$TMP/k1" "$TMP/k2"
check "... none of them a GPU's or a platform meter's, nothing said" sh -c "
	! grep -qi 'gpu\\|platform' '$TMP/k2' && ! grep -qi 'gpu\\|hwmon\\|nvml' '$TMP/err'"
"$WP" top -c 1 -i 0.2 --powercap-root "$PC" --hwmon-root "$TMP/empty" $NOGPU >"$TMP/top" 2>&1
check "... top has no GPU column" sh -c "grep -q '^ *PID  *WATTS  *JOULES' '$TMP/top' &&
	! grep -q 'GPU' '$TMP/top'"
finish
