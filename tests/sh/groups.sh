#!/bin/sh
# --group-by as an operator uses it: processes placed in cgroups shaped like a
# systemd service and a Docker container are summed under the unit and the
# container id, and --cgroup filters by path. Needs root and a cgroup v2 mount.
. "$(dirname "$0")/lib.sh"

cg2=$(awk '$9 == "cgroup2" {print $5; exit}' /proc/self/mountinfo)
if [ -z "$cg2" ]; then
	echo "  skip  no cgroup2 mount"
	exit 0
fi
# names of this run's own (a container id is 64 hex digits)
id=$(printf 'a%063d' $$)
slice=wptest$$.slice
unit=wptest-burn$$.service
svc="$cg2/$slice/$unit"
ctr="$cg2/$slice/docker-$id.scope"
mkdir -p "$svc" "$ctr"
busy() { # busy CGROUP: a CPU-bound shell loop, moved into that cgroup once it ran
	sh -c "i=0; while [ \$i -lt 30000 ]; do i=\$((i + 1)); done
		echo \$\$ > '$1/cgroup.procs'; while :; do :; done" &
	PIDS="$PIDS $!"
}
# The agents start first, so that they see the processes run in the root
# cgroup and then move (as systemd and container runtimes move them).
"$WP" json -c 6 -i 0.5 --group-by unit >"$TMP/unit" &
a1=$!
"$WP" json -c 6 -i 0.5 --group-by container >"$TMP/ctr" &
a2=$!
"$WP" json -c 6 -i 0.5 --cgroup "/$slice/$unit" >"$TMP/filter" &
a3=$!
sleep 0.5
busy "$svc"
busy "$svc"
busy "$ctr"
wait $a1 $a2 $a3
for f in unit ctr filter; do jq -c . "$TMP/$f" | tail -2 >"$TMP/$f.last"; mv "$TMP/$f.last" "$TMP/$f"; done
for p in $PIDS; do kill "$p"; done
wait 2>/dev/null
PIDS=""
rmdir "$svc" "$ctr" "$cg2/$slice" 2>/dev/null

# A group must be there on every line (not merely pass when absent) and busy:
# a CPU-bound loop gets well above 5% of a CPU even on a loaded shared machine.
check "--group-by unit: $unit with its 2 busy processes" \
	sh -c "jq -e -s 'all(.[]; any(.groups[]; .key == \"$unit\" and .members == 2 and .cpu_util > 0.05))' '$TMP/unit' >/dev/null"
check "--group-by container: the Docker container's id with 1 process" \
	sh -c "jq -e -s 'all(.[]; any(.groups[]; .key == \"$id\" and .members == 1 and .cpu_util > 0.05))' '$TMP/ctr' >/dev/null"
check "... and everything else under (host)" \
	sh -c "jq -e -s 'all(.[]; any(.groups[]; .key == \"(host)\"))' '$TMP/ctr' >/dev/null"
check "groups + others + idle add up to the host energy" \
	sh -c "jq -e -s 'all(.[]; ((([.groups[].energy_j] | add) + .others.energy_j + .idle.energy_j) - .host.energy_j) | fabs < 0.00001)' '$TMP/unit' >/dev/null"
check "--cgroup keeps only the service's 2 processes" \
	sh -c "jq -e -s 'all(.[]; (.processes | length) == 2 and all(.processes[]; .cgroup == \"/$slice/$unit\"))' '$TMP/filter' >/dev/null"
finish
