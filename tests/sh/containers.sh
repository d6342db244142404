#!/bin/sh
# Containers and pods as a node shows them, with the real agent (root: it loads BPF):
# - cgroup v1: processes placed in the v1 hierarchies as Docker's and kubelet's cgroupfs
#   driver place them (/docker/<id>, /kubepods/burstable/pod<uid>/<id>), with nothing in
#   the v2 tree (this VM is hybrid), are grouped by container and pod;
# - names without an API server: a fake kubelet log root (--log-root) names the pod's
#   container, its pod and namespace; a fake Docker root (--docker-root, root-only files
#   as Docker keeps them) names the Docker container, also after the agent dropped to
#   another user; JSON's container objects and Prometheus' name labels;
# - PID namespaces: an agent outside the host's PID namespace says so and reads nothing
#   from /proc for the host's PIDs (PID 1 once got the agent's own command line);
# - an agent that can resolve no cgroup path says so, once.
. "$(dirname "$0")/lib.sh"
chmod 755 "$TMP"	# the agents that drop to nobody read the fake log root here
jqs() { jq -e -s "$@" >/dev/null; }	# jqs FILTER FILE: true if FILTER holds on FILE's lines

# the v1 hierarchies the agent may read (cgroupv1.h), where they are mounted
v1dirs=$(awk '$9 == "cgroup" { n = split($NF, o, ","); for (i = 1; i <= n; i++)
	if (o[i] == "name=systemd" || o[i] == "cpu" || o[i] == "cpuacct" || o[i] == "pids") {
		print $5; break } }' /proc/self/mountinfo)
if [ -z "$v1dirs" ]; then
	echo "  skip  no cgroup v1 hierarchy here (a pure cgroup v2 host): the v1 checks"
fi

ID1=4e1b2cbd6ae3a3b7c8f0d1e2f3a4b5c6d7e8f90112233445566778899aabbc$(printf '%02x' $$ | tail -c 2)
ID2=0ba8ac17e4e7a31fb82279503552fe94e64bab4745bf6fd2ff231e7c8ca8be$(printf '%02x' $$ | tail -c 2)
UID1=2ca4a155-3599-498d-bb9d-4446693f$(printf '%04x' $$ | tail -c 4)
LOG=$TMP/log
DOCKER=$TMP/docker

# kubelet's folders: pods/<ns>_<pod>_<uid>/<container>/0.log, containers/<pod>_<ns>_<ctr>-<id>.log
mkdir -p "$LOG/pods/shop_web-0_$UID1/app" "$LOG/containers"
echo log >"$LOG/pods/shop_web-0_$UID1/app/0.log"
ln -s "/var/log/pods/shop_web-0_$UID1/app/0.log" "$LOG/containers/web-0_shop_app-$ID1.log"
# Docker's: root-only, as dockerd keeps it
mkdir -p "$DOCKER/containers/$ID2"
printf '{"ID":"%s","Config":{"Labels":{"Name":"/no"}},"Name":"/batch"}\n' "$ID2" \
	>"$DOCKER/containers/$ID2/config.v2.json"
chmod 0600 "$DOCKER/containers/$ID2/config.v2.json"
chmod 0710 "$DOCKER/containers/$ID2" "$DOCKER/containers" "$DOCKER"

cgdirs=""
if [ -n "$v1dirs" ]; then
	busy() { # busy CGROUP-PATH: a CPU-bound process in that v1 cgroup of each hierarchy
		dirs=""
		for h in $v1dirs; do
			mkdir -p "$h$1"
			dirs="$dirs $h$1"
			cgdirs="$cgdirs $h$1"
		done
		sh -c "for d in $dirs; do echo \$\$ >\$d/cgroup.procs || exit 1; done
			exec '$OUT/tools/burn' 600000" &
		PIDS="$PIDS $!"
	}
	busy "/kubepods/burstable/pod$UID1/$ID1"
	busy "/docker/$ID2"
	sleep 0.3
	A="-c 4 -i 0.5 --log-root $LOG --docker-root $DOCKER"
	# shellcheck disable=SC2086
	"$WP" json $A --group-by container --user nobody >"$TMP/ctr" 2>"$TMP/ctr.err" &
	a1=$!
	# shellcheck disable=SC2086
	"$WP" json $A --group-by pod >"$TMP/pod" 2>"$TMP/pod.err" &
	a2=$!
	# shellcheck disable=SC2086
	"$WP" json $A --group-by namespace >"$TMP/ns" &
	a3=$!
	# shellcheck disable=SC2086
	"$WP" json $A >"$TMP/pid" &
	a4=$!
	# shellcheck disable=SC2086
	"$WP" json -c 4 -i 0.5 --log-root '' --docker-root '' --group-by container >"$TMP/none" &
	a5=$!
	port=$(free_port)
	# shellcheck disable=SC2086
	"$WP" prometheus $A --group-by container --listen "127.0.0.1:$port" --user nobody \
		>/dev/null 2>&1 &
	a6=$!
	# a private cgroup namespace (docker run --cgroupns private on a v1 host): rooted in a
	# cgroup of its own, the agent sees the others' v1 paths as /../...
	nsdirs=""
	for h in $v1dirs; do
		mkdir -p "$h/wptest-cgns-$$"
		nsdirs="$nsdirs $h/wptest-cgns-$$"
		cgdirs="$cgdirs $h/wptest-cgns-$$"
	done
	sh -c "for d in $nsdirs; do echo \$\$ >\$d/cgroup.procs || exit 1; done
		exec unshare --cgroup '$WP' json -c 4 -i 0.5 --group-by container" \
		>"$TMP/cgns" 2>"$TMP/cgns.err" &
	a7=$!
	wait_url "http://127.0.0.1:$port/metrics" 10
	sleep 1.2
	curl -s "http://127.0.0.1:$port/metrics" >"$TMP/metrics"
	wait $a1 $a2 $a3 $a4 $a5 $a6 $a7
	for p in $PIDS; do kill "$p"; done
	wait 2>/dev/null
	PIDS=""
	for d in $cgdirs; do
		i=0
		while ! rmdir "$d" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
		rmdir "${d%/*}" "${d%/*/*}" "${d%/*/*/*}" 2>/dev/null
	done
	for f in ctr pod ns pid none; do tail -2 "$TMP/$f" >"$TMP/$f.last"; done
	# what a failed check read: the group of that key in each line, and the lines' count
	show_group() {
		printf '        read %s line(s): %s\n' "$(wc -l <"$2")" "$(jq -c --arg k "$1" \
			'[.groups[] | select(.key == $k) | {members, cpu_util, container}]' "$2" 2>&1 |
			tr '\n' ' ')"
	}

	check "v1 /kubepods/.../pod<uid>/<id>: grouped by its container id, named app of pod web-0 in shop" \
		jqs "all(.[]; .groups[] | select(.key == \"$ID1\") | .members == 1 and
			.cpu_util > 0.02 and .container == {id: \"$ID1\", name: \"app\",
			pod: \"web-0\", namespace: \"shop\"})" "$TMP/ctr.last" ||
		show_group "$ID1" "$TMP/ctr.last"
	check "v1 /docker/<id>: its Docker name batch, read after the agent became nobody" \
		jqs "all(.[]; .groups[] | select(.key == \"$ID2\") | .members == 1 and
			.cpu_util > 0.02 and .container.name == \"batch\" and .container.pod == null)" \
		"$TMP/ctr.last" || show_group "$ID2" "$TMP/ctr.last"
	check "... with nothing on stderr" test ! -s "$TMP/ctr.err"
	check "--group-by pod: the pod's UID with its name and namespace" \
		jqs "all(.[]; .groups[] | select(.key == \"$UID1\") | .members == 1 and
			.pod == {uid: \"$UID1\", name: \"web-0\", namespace: \"shop\"})" "$TMP/pod.last"
	check "... and the Docker container, in no pod, with the rest under (none)" \
		jqs 'all(.[]; any(.groups[]; .key == "(none)" and .members >= 2))' "$TMP/pod.last"
	check "--group-by namespace: shop" \
		jqs 'all(.[]; any(.groups[]; .key == "shop" and .members == 1))' "$TMP/ns.last"
	check "processes carry their v1 cgroup and container object" \
		jqs "all(.[]; any(.processes[]; .comm == \"burn\" and
			.cgroup == \"/docker/$ID2\" and .container.name == \"batch\"))" "$TMP/pid.last"
	check "no log root, no Docker root: the container is its id, its name unknown (null)" \
		jqs "all(.[]; .groups[] | select(.key == \"$ID1\") |
			.container == {id: \"$ID1\", name: null, pod: null, namespace: null})" \
		"$TMP/none.last"
	check "prometheus: the container's series, and its names in wattprobe_group_info" \
		sh -c "grep -q '^wattprobe_group_watts{group_by=\"container\",key=\"$ID1\"} ' '$TMP/metrics' &&
		grep -q '^wattprobe_group_info{group_by=\"container\",key=\"$ID1\",container_name=\"app\",pod_name=\"web-0\",pod_namespace=\"shop\"} 1$' '$TMP/metrics'"
	check "... and the Docker container's name (agent as nobody)" \
		grep -q "^wattprobe_group_info{group_by=\"container\",key=\"$ID2\",container_name=\"batch\"} 1$" \
		"$TMP/metrics"
	check "a private cgroup namespace on v1: one warning, naming --cgroupns host" \
		sh -c "test \$(grep -c 'outside this cgroup namespace (/\.\.' '$TMP/cgns.err') -eq 1 &&
			grep -q -- '--cgroupns host' '$TMP/cgns.err' && test \$(wc -l <'$TMP/cgns.err') -eq 1"
	check "... and no container taken from those paths: their processes are (unknown)" \
		jqs "all(.[]; all(.groups[]; .key != \"$ID1\" and .key != \"$ID2\") and
			any(.groups[]; .key == \"(unknown)\" and .members >= 2))" "$TMP/cgns"
fi

# --- PID namespaces ----------------------------------------------------------------------
if unshare --pid --fork --mount-proc true 2>/dev/null; then
	# inside, the agent is PID 1 of its namespace; the host's PID 1 is another process
	unshare --pid --fork --mount-proc "$WP" json -c 3 -i 0.3 >"$TMP/pidns" 2>"$TMP/pidns.err"
	check "outside the host's PID namespace: exits 0" test $? -eq 0
	check "... says so on stderr, with the remedy" \
		sh -c "grep -q \"not in the host's PID namespace\" '$TMP/pidns.err' &&
			grep -q -- '--pid host' '$TMP/pidns.err'"
	check "... and attaches no command line to any host PID (PID 1 was given the agent's)" \
		jqs 'all(.[]; all(.processes[]; .cmdline == null))' "$TMP/pidns"
	unshare --pid --fork --mount-proc "$WP" json -c 2 -i 0.3 --group-by exe >"$TMP/pidns-exe"
	# executables come from BPF only (each task's own file), never from this /proc,
	# where PID 1 is the agent: the agent's path is the agent's alone
	wpexe=$(readlink -f "$WP")
	check "... nor an executable (--group-by exe: from the kernel only; $wpexe: the agent alone)" \
		jqs "all(.[]; all(.groups[]; .key == \"(unknown)\" or .key == \"(kernel)\" or
			(.key | startswith(\"/\"))) and
			all(.groups[] | select(.key == \"$wpexe\"); .members == 1))" "$TMP/pidns-exe"
	check "... while names still come from the kernel (comm)" \
		jqs 'all(.[]; any(.processes[]; .comm != "" and .pid != null))' "$TMP/pidns"
	# no cgroup2 mount either: no cgroup path can be resolved at all
	cg2=$(awk '$9 == "cgroup2" {print $5; exit}' /proc/self/mountinfo)
	if [ -n "$cg2" ]; then
		unshare --pid --fork --mount-proc --propagation private \
			sh -c "umount -l '$cg2' && exec '$WP' json -c 4 -i 0.3" \
			>"$TMP/nocg" 2>"$TMP/nocg.err"
		check "no cgroup2 mount, no /proc reads: one warning that no cgroup path resolves" \
			test "$(grep -c 'no cgroup path can be resolved' "$TMP/nocg.err")" -eq 1
		check "... and every process's cgroup is null" \
			jqs 'all(.[]; all(.processes[]; .cgroup == null))' "$TMP/nocg"
	fi
	"$WP" json -c 2 -i 0.3 >/dev/null 2>"$TMP/hostns.err"
	check "in the host's namespaces: neither warning" test ! -s "$TMP/hostns.err"
else
	echo "  skip  PID namespaces (unshare --pid does not work here)"
fi
finish
