#!/bin/sh
# Virtual machines as a KVM host and its guests meet them (docs/vms.md), with fakes: QEMU
# processes (tests/tools/fakeqemu through a link named qemu-system-x86_64), one in a cgroup
# named as libvirt names a guest's, one named by -name only; a fake package on the host
# whose power follows the machine's load (fakerapl 10+15 W). The host's agent groups them
# (--group-by vm) and exports each one's share (--vm-export); an agent in each guest's role
# reads its tree (--powercap-root DIR/NAME): what it reads must be what the host gave that
# guest, interval by interval, across counter wraps. Then a guest exits, and guests with
# hostile names and links planted in DIR try to make the host write outside DIR.
# Needs root and a cgroup2 mount; about 30 s (agents load BPF, guests run 12 s).
. "$(dirname "$0")/lib.sh"

cg2=$(awk '$9 == "cgroup2" {print $5; exit}' /proc/self/mountinfo)
if [ -z "$cg2" ]; then
	echo "  skip  no cgroup2 mount"
	exit 0
fi
g1=guest1-$$
g2=guest2-$$
# libvirt's scope of guest 1, as systemd escapes its machine name qemu-1-guest1-PID
scope="$cg2/machine.slice/machine-qemu\\x2d1\\x2dguest1\\x2d$$.scope"
scope9="$cg2/machine.slice/machine-qemu\\x2d9\\x2d..\\x2f..\\x2fwpesc2\\x2d$$.scope"
made_slice=
[ -d "$cg2/machine.slice" ] || made_slice=1
mkdir -p "$scope" "$scope9"
# the fakes are killed (lib.sh) before their cgroups can go
trap 'cleanup; rmdir "$scope" "$scope9" 2>/dev/null; [ -z "$made_slice" ] || rmdir "$cg2/machine.slice" 2>/dev/null' EXIT

ln -s "$(realpath "$OUT/tools/fakeqemu")" "$TMP/qemu-system-x86_64"
qemu() { # qemu DUTY ARGS...: a fake guest in the background; its PID in $q
	d=$1
	shift
	FAKEQEMU_DUTY=$d "$TMP/qemu-system-x86_64" "$@" &
	q=$!
	PIDS="$PIDS $q"
}
# the sum of the on-CPU time of a process's threads, from the kernel (ns)
threads_ns() { cat /proc/"$1"/task/*/schedstat | awk '{ s += $1 } END { printf "%.0f\n", s }'; }
jqok() { jq -e "$@" >/dev/null; }

pc="$TMP/pc"
box="$TMP/box"
dir="$box/vms"
mkdir -p "$box"
"$OUT/tools/fakerapl" --root "$pc" --package 0:10+15 --dram 0:2 --psys 20+18 --period-ms 5 \
	>/dev/null &
PIDS="$PIDS $!"

# --- the loop: two guests, their shares, read back in the guests' role ------------------
qemu 20 -name "guest=$g1,debug-threads=on" -smp 2 -m 1024
q1=$q
echo "$q1" >"$scope/cgroup.procs"
qemu 40 -name "$g2" -smp 1
q2=$q
sleep 0.3
t1=$(threads_ns "$q1")
# a small range: the counters wrap every few seconds (but not twice between two reads, which
# no reader can tell from once: the default is 262 kJ); the unit's umask: modes stay readable
# (above the others: what is compared is the energy, not this machine's scheduling delays)
(umask 077; exec nice -n -10 "$WP" json --sensor rapl --powercap-root "$pc" --idle-watts 10 \
	-i 0.5 --group-by vm --vm-export "$dir" --vm-export-range 40000000 --vm-export-keep 2) \
	>"$TMP/host" 2>"$TMP/host.err" &
host=$!
# the guests' agents start once their trees are there, as they would at the guests' boot
i=0
while [ $i -lt 100 ] && ! [ -f "$dir/$g1/intel-rapl:0/energy_uj" -a -f "$dir/$g2/intel-rapl:0/energy_uj" ]; do
	sleep 0.1
	i=$((i + 1))
done
guest_agent() { # guest_agent NAME: the agent of a guest, reading its tree
	nice -n -10 "$WP" json --sensor rapl --powercap-root "$dir/$1" -i 0.5 -c 25 \
		>"$TMP/$1" 2>"$TMP/$1.err" &
	PIDS="$PIDS $!"
}
guest_agent "$g1"
a1=$!
guest_agent "$g2"
a2=$!
# guest 1's agent serves Prometheus too
port=$(free_port)
"$WP" prometheus --sensor rapl --powercap-root "$dir/$g1" -i 0.5 --listen "127.0.0.1:$port" \
	>/dev/null 2>"$TMP/prom.err" &
prom=$!
PIDS="$PIDS $prom"
wait "$a1" "$a2"
curl -s "http://127.0.0.1:$port/metrics" >"$TMP/metrics"
kill "$prom"
# guest 2 shuts down
kill "$q2"
sleep 0.5
[ -d "$dir/$g2/intel-rapl:0" ] && kept=yes || kept=no
# guest 2's folder goes 2 s after it did (--vm-export-keep 2), at the first interval after
i=0
while [ $i -lt 60 ] && [ -e "$dir/$g2" ]; do
	sleep 0.1
	i=$((i + 1))
done
gone=$i
t2=$(threads_ns "$q1")
kill "$host"
wait "$host"

check "the host's agent ran without a warning" test ! -s "$TMP/host.err"
sed 's/^/        /' "$TMP/host.err"
check "--group-by vm: guest 1 named by libvirt's cgroup, with its 2 vCPUs" \
	jqok -s "all(.[]; any(.groups[]; .key == \"$g1\" and .vm.source == \"cgroup\" and
		.vm.vcpus == 2 and .members == 1))" "$TMP/host"
check "... guest 2 by its -name, 1 vCPU, while it ran" \
	jqok -s "[.[] | .groups[] | select(.key == \"$g2\")] | length >= 25 and
		all(.[]; .vm.source == \"cmdline\" and .vm.vcpus == 1)" "$TMP/host"
check "... and the host's other processes under (host)" \
	jqok -s 'all(.[]; any(.groups[]; .key == "(host)" and .vm == null))' "$TMP/host"
check "groups + others + idle add up to the host energy" \
	jqok -s 'all(.[]; ((([.groups[].energy_j] | add) + .others.energy_j + .idle.energy_j) - .host.energy_j) | fabs < 0.00001)' "$TMP/host"
# all of a guest's threads count to it: its vCPU threads run, its main thread sleeps
ns=$(jq -s "[.[] | .groups[] | select(.key == \"$g1\") | .cpu_ns] | add" "$TMP/host")
check "guest 1's time is its threads' (${ns} ns of $((t2 - t1)) ns in the kernel's schedstat)" \
	python3 -c "import sys; a, b = int(sys.argv[1]), int(sys.argv[2]); sys.exit(not 0.7 * b < a <= 1.02 * b)" \
	"$ns" "$((t2 - t1))"

for g in "$g1" "$g2"; do
	check "$g's agent reads the export: sensor rapl, source vm-export, measured" \
		jqok -s 'length == 25 and all(.[]; .sensor == "rapl" and .sensor_source == "vm-export"
			and .estimated == false and .host.power_w != null)' "$TMP/$g"
	# What the guest's agent reads each interval is the sum of the host's exports since its
	# last read: one, when the phase holds (its reads half-way between the host's writes);
	# none, then two or more, when this loaded machine delays one of them across the
	# other. Matched in order, to the microjoule: nothing lost, nothing counted twice.
	# Power: over the span from its second interval (the first moves its deadlines into
	# phase), energy over time each by its own clock: the same joules, over spans whose
	# ends a late sample moves by its lateness (a few ms here; so not interval by interval,
	# where 10 ms are 2% of 0.5 s).
	python3 - "$TMP/host" "$TMP/$g" "$g" >"$TMP/$g.cmp" <<'EOF'
import json, sys
from datetime import datetime
def t(s): return datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()
host = [json.loads(l) for l in open(sys.argv[1])]
guest = [json.loads(l) for l in open(sys.argv[2])]
exp = [(t(h["timestamp"]), h["interval_s"], round(g["vm"]["export_energy_j"] * 1e6))
       for h in host for g in h["groups"] if g["key"] == sys.argv[3]]
reads = [(t(x["timestamp"]), x["interval_s"], round(x["host"]["energy_j"] * 1e6)) for x in guest]
def match(j):
    ks = []
    for _, _, uj in reads[1:]:
        for k in (1, 0, 2, 3, 4):
            if j + k <= len(exp) and sum(e[2] for e in exp[j:j + k]) == uj:
                break
        else:
            return None
        ks.append(k)
        j += k
    return ks
# from the host's first write after the guest's first read, give or take a period
best = None
for j, e in enumerate(exp):
    if abs(e[0] - reads[0][0]) < 1 and best is None:
        best, j0 = match(j), j
if best is None:
    print(f"{len(reads) - 1} 0 0 0 0 0 100")
    sys.exit()
# the loop as docs/vms.md shows it: the guest's reads against what the host gave
with open(sys.argv[2] + ".table", "w") as f:
    j = j0
    for k, r in zip(best, reads[1:]):
        h = exp[j:j + k]
        hj, ht = sum(e[2] for e in h) / 1e6, sum(e[1] for e in h)
        f.write(f"| {datetime.utcfromtimestamp(r[0]).strftime('%H:%M:%S.%f')[:-3]} | {k} | "
                f"{hj:.6f} | {hj / ht if ht else 0:.3f} | {r[2] / 1e6:.6f} | {r[2] / 1e6 / r[1]:.3f} |\n")
        j += k
span = exp[j0 + best[0]:j0 + sum(best)]
ph = sum(e[2] for e in span) / sum(e[1] for e in span) / 1e6
pg = sum(r[2] for r in reads[2:]) / sum(r[1] for r in reads[2:]) / 1e6
print(f"{len(reads) - 1} {len(best)} {best.count(1)} "
      f"{sum(e[2] for e in exp[j0:j0 + sum(best)]) / 1e6:.6f} "
      f"{ph:.3f} {pg:.3f} {abs(pg - ph) / ph * 100:.3f}")
EOF
	read -r n matched ones joules ph pg pct <"$TMP/$g.cmp"
	check "$g: each of $n intervals reads what the host gave it since the last, to the microjoule ($matched matched)" \
		test "$n" -eq 24 -a "$matched" -eq 24
	check "... one host interval in each of $ones, its reads half-way between the host's writes" \
		test "$ones" -ge 16
	check "... over $((n - 1)) intervals the host gives it $ph W, its agent reads $pg W ($pct% apart)" \
		python3 -c "import sys; sys.exit(not float(sys.argv[1]) < 1)" "$pct"
	check "... across counter wraps: $joules J through a range of 40 J" \
		python3 -c "import sys; sys.exit(not float(sys.argv[1]) > 40)" "$joules"
	# for docs/vms.md: time of the guest's read, host intervals in it, the host's joules and
	# watts for the guest, the guest's agent's
	sed 's/^/        /' "$TMP/$g.table" 2>/dev/null
done

check "the exported tree is laid out like sysfs: package-0, dram, psys" \
	sh -c "[ \"\$(cat '$dir/$g1/intel-rapl:0/name' '$dir/$g1/intel-rapl:0:0/name' \
		'$dir/$g1/intel-rapl:1/name')\" = \"\$(printf 'package-0\ndram\npsys')\" ]"
check "... the guest's share of the host's 40 W limit: 2 vCPUs of 2 CPUs" \
	test "$(cat "$dir/$g1/intel-rapl:0/constraint_0_max_power_uw")" = 40000000
check "... the counters wrap at max_energy_range_uj" \
	test "$(cat "$dir/$g1/intel-rapl:0/max_energy_range_uj")" = 40000000
check "... readable by the guest's reader whatever the agent's umask (0755, 0644)" \
	test "$(stat -c %a "$dir/$g1" "$dir/$g1/intel-rapl:0" "$dir/$g1/intel-rapl:0/energy_uj" |
		tr '\n' ' ')" = "755 755 644 "
check "... with no temporary file left" test -z "$(find "$dir" -name '*.tmp')"
check "the guest's Prometheus says sensor_info source=\"vm-export\"" \
	grep -q '^wattprobe_sensor_info{sensor="rapl",source="vm-export",estimated="false"} 1$' \
	"$TMP/metrics"
check "a guest gone keeps its folder for a while ($kept)" test "$kept" = yes
check "... then it goes (--vm-export-keep 2): $gone tenths of a second after that" \
	test "$gone" -lt 60
check "... and a guest running keeps its own" test -f "$dir/$g1/intel-rapl:0/energy_uj"

# --- hostile names and links -------------------------------------------------------------
kill "$q1"
long=$(printf 'n%.0s' $(seq 300))
for name in "../../wpescape$$" "a/b$$" ".." "." "$(printf 'x\033[2Jy')" "$long" "trap$$"; do
	qemu 2 -name "$name"
done
qemu 2 -smp 1
echo "$q" >"$scope9/cgroup.procs"
mkdir "$TMP/outside"
ln -s "$TMP/outside" "$dir/trap$$"
(umask 077; exec "$WP" json -i 0.25 -c 6 --group-by vm --vm-export "$dir" --vm-export-keep 0.5) \
	>"$TMP/hostile" 2>"$TMP/hostile.err"
made=""
for d in "%2E.%2F..%2Fwpescape$$" "a%2Fb$$" "%2E." "%2E" "x%1B%5B2Jy" "%2E.%2F..%2Fwpesc2-$$"; do
	[ -f "$dir/$d/intel-rapl:0/energy_uj" ] || made="$made $d"
done
check "hostile names are escaped into one folder each${made:+ (missing:$made)}" test -z "$made"
check "... a long one cut, with its hash" \
	sh -c "ls '$dir' | grep -qx 'n\{183\}~[0-9a-f]\{16\}'"
check "... nothing written outside DIR: not above it, not through a link" \
	sh -c "[ \"\$(ls -A '$box')\" = vms ] && [ -z \"\$(ls -A '$TMP/outside')\" ] &&
		[ ! -e '$TMP/wpescape$$' ] && [ ! -e '$TMP/wpesc2-$$' ] && [ ! -e '$dir/a' ]"
check "... the link is named on stderr" grep -q "trap$$: Not a directory.*a link or a file is in the way" \
	"$TMP/hostile.err"
check "a folder of an earlier run whose guest is gone goes too" test ! -e "$dir/$g1"
"$WP" json -c 1 -i 0.3 --sensor rapl --powercap-root "$dir/%2E" >"$TMP/est" 2>&1
check "an export of a host without RAPL is estimated in the guest too" \
	jqok '.sensor_source == "vm-export" and .estimated == true' "$TMP/est"
finish
