#!/bin/sh
# The image under a real Docker engine, built and run as docs/deployment.md says.
#
# Debian's docker.io (installed here if missing, with debootstrap and slirp4netns) runs
# as a private engine that disturbs nothing else: its own data root (under the build
# folder, so that images and build layers are cached between runs), exec root, pid
# file, config and socket, in its own network and mount namespaces (its bridge, NAT
# rules and sysctls stay there; slirp4netns gives that namespace a way out to the Debian
# mirror for the image build). The base image is made with debootstrap from the mirror
# apt uses when the engine has none. The test builds the image with the legacy builder,
# runs it with the flags of docs/deployment.md ("Container"; the variant for Docker before 23.0
# on such an engine) next to a busy container, and checks: /metrics is served, the agent
# runs as its own user with no capability left, the busy container has a series under
# its id and its name, `json` prints valid lines. Everything it started is stopped by
# PID at the end. It skips, saying why, where no engine can start.
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/../.." || exit 1

skip() {
	echo "  skip  the Docker engine test: $*"
	exit 0
}
[ "$(id -u)" -eq 0 ] || skip "needs root (a private dockerd)"

# --- Debian's engine ----------------------------------------------------------------------
need=""
for p in docker.io debootstrap slirp4netns; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		need="$need $p"
done
if [ -n "$need" ]; then
	echo "  ..    installing$need"
	# shellcheck disable=SC2086
	apt="apt-get -o DPkg::Lock::Timeout=120 -y -qq"
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive $apt install --no-install-recommends $need \
		>"$TMP/apt.log" 2>&1 ||
		{ $apt update >/dev/null 2>&1 &&
			DEBIAN_FRONTEND=noninteractive $apt install --no-install-recommends $need \
				>"$TMP/apt.log" 2>&1; } ||
		skip "could not install$need: $(tail -1 "$TMP/apt.log")"
fi
# Debian's client, not another one earlier on PATH
D=/usr/bin/docker
for t in /usr/sbin/dockerd $D unshare nsenter slirp4netns debootstrap; do
	command -v "$t" >/dev/null || skip "$t is missing"
done

mkdir -p "$OUT/docker"
DK=$(cd "$OUT/docker" && pwd)
DATA=$DK/data
SOCK=$TMP/docker.sock
export DOCKER_HOST="unix://$SOCK" DOCKER_BUILDKIT=0 DOCKER_CONFIG="$TMP/client"
started=""	# containers to remove at the end
ns_pid=""
slirp_pid=""
dockerd_pid=""

stop_all() {
	for c in $started; do timeout 20 $D rm -f "$c" >/dev/null 2>&1; done
	if [ -n "$dockerd_pid" ] && kill "$dockerd_pid" 2>/dev/null; then
		i=0	# it stops its containerd first: up to 20 s
		while kill -0 "$dockerd_pid" 2>/dev/null && [ $i -lt 200 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -9 "$dockerd_pid" 2>/dev/null
	fi
	[ -n "$slirp_pid" ] && kill "$slirp_pid" 2>/dev/null
	[ -n "$ns_pid" ] && kill "$ns_pid" 2>/dev/null
	wait 2>/dev/null
	cleanup
}
trap stop_all EXIT

# In the new namespaces: loopback up, wait for slirp4netns' tap0, a resolver that goes
# through it, no view of a system containerd, then dockerd.
echo '{}' >"$TMP/daemon.json"
echo 'nameserver 10.0.2.3' >"$TMP/resolv.conf"
cat >"$TMP/engine.sh" <<EOF
echo \$\$ >'$TMP/ns.pid'
ip link set lo up || exit 1
i=0
while ! ip link show tap0 >/dev/null 2>&1; do
	i=\$((i + 1)); [ \$i -gt 100 ] && { echo 'no tap0 from slirp4netns' >&2; exit 1; }
	sleep 0.1
done
mount --bind '$TMP/resolv.conf' /etc/resolv.conf || exit 1
mount -t tmpfs tmpfs /run/containerd 2>/dev/null || { mkdir -p /run/containerd &&
	mount -t tmpfs tmpfs /run/containerd; } || exit 1
exec /usr/sbin/dockerd --data-root '$DATA' --exec-root '$TMP/exec' --pidfile '$DK/dockerd.pid' \\
	--config-file '$TMP/daemon.json' -H 'unix://$SOCK'
EOF
rm -f "$DK/dockerd.pid"
unshare --net --mount --propagation private sh "$TMP/engine.sh" >"$DK/dockerd.log" 2>&1 &
ns_pid=$!
i=0
while [ ! -s "$TMP/ns.pid" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
[ -s "$TMP/ns.pid" ] || skip "no private network namespace (unshare --net --mount failed)"
slirp4netns --configure --mtu=65520 --disable-host-loopback "$(cat "$TMP/ns.pid")" tap0 \
	>"$TMP/slirp.log" 2>&1 &
slirp_pid=$!
i=0
while ! $D version >/dev/null 2>&1 && [ $i -lt 300 ]; do
	kill -0 "$ns_pid" 2>/dev/null || break
	sleep 0.1
	i=$((i + 1))
done
dockerd_pid=$(cat "$DK/dockerd.pid" 2>/dev/null)
$D version >/dev/null 2>&1 || skip "no Docker engine could start here: $(tail -2 "$DK/dockerd.log")"
engine=$($D version --format '{{.Server.Version}}')
ok "a private Docker engine $engine (data root $DATA)"
# in the engine's network namespace (for the port published on its 127.0.0.1)
in_ns() { nsenter --net="/proc/$dockerd_pid/ns/net" "$@"; }

# --- the base image: debootstrap from the mirror apt uses ---------------------------------
BASE=debian:bookworm-slim
if ! $D image inspect "$BASE" >/dev/null 2>&1; then
	# the mirror of the bookworm suite, from apt's one-line lists or deb822 .sources
	mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i !~ /\]$/) break
			if ($(i + 1) == "bookworm") { print $i; exit } }')
	[ -n "$mirror" ] || mirror=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '
		/^$/ { if (s && u) { print u; exit } s = ""; u = "" }
		/^URIs:/ { u = $2 }
		/^Suites:/ { for (i = 2; i <= NF; i++) if ($i == "bookworm") s = 1 }
		END { if (s && u) print u }' | head -1)
	[ -n "$mirror" ] || skip "no bookworm mirror in /etc/apt/sources.list*"
	t0=$(date +%s)
	rm -rf "$DK/rootfs"
	if ! debootstrap --variant=minbase bookworm "$DK/rootfs" "$mirror" >"$DK/debootstrap.log" 2>&1; then
		fail "debootstrap bookworm from $mirror"
		tail -5 "$DK/debootstrap.log" | sed 's/^/        /'
		finish
	fi
	rm -rf "$DK/rootfs/var/cache/apt/archives/"*.deb "$DK/rootfs/var/lib/apt/lists/"*
	tar -C "$DK/rootfs" -c . | $D import - "$BASE" >/dev/null
	rm -rf "$DK/rootfs"
	ok "base image $BASE made with debootstrap from $mirror ($(($(date +%s) - t0)) s; kept in $DATA)"
fi

# --- build, as docs/deployment.md says, with the legacy builder ---------------------------
DOC=docs/deployment.md
build_cmd=$(sed -n 's/^    \(docker build .*\)$/\1/p' "$DOC" | head -1)
check "$DOC gives the build command ($build_cmd)" test -n "$build_cmd"
tag=$(echo "$build_cmd" | sed -n 's/.* -t \([^ ]*\) .*/\1/p')
t0=$(date +%s)
# shellcheck disable=SC2086
if (set -f; $D ${build_cmd#docker }) >"$TMP/build.log" 2>&1; then
	ok "docker build with the legacy builder, no registry but the base's ($(($(date +%s) - t0)) s)"
else
	fail "docker build with the legacy builder"
	tail -15 "$TMP/build.log" | sed 's/^/        /'
	finish
fi

# --- the image: no apt cache, no layer of its own for modes ---------------------------------
$D run --rm --user 0:0 --entrypoint sh "$tag" -c 'find /var/cache/apt /var/lib/apt/lists -type f \
	\( -name "*.deb" -o -name "*.bin" -o -name "*_Packages*" \) | wc -l' >"$TMP/aptcache" 2>"$TMP/aptcache.err"
check "no apt cache in the image, built on a debootstrap base ($(cat "$TMP/aptcache") files)" \
	test "$(cat "$TMP/aptcache")" = 0
$D history --no-trunc --format '{{.CreatedBy}}' "$tag" >"$TMP/history"
check "no layer of its own for RUN chmod" sh -c "! grep -q chmod '$TMP/history'"
$D run --rm --entrypoint sh "$tag" -c \
	'stat -c %a /usr/local/sbin/wattprobe /usr/local/bin/wattprobe-entrypoint' >"$TMP/modes" 2>&1
check "... the binary and the entrypoint are mode 0755 all the same ($(tr '\n' ' ' <"$TMP/modes"))" \
	test "$(tr '\n' ' ' <"$TMP/modes")" = "755 755 "
echo "  ..    image size $($D image inspect -f '{{.Size}}' "$tag" | awk '{printf "%.1f MB", $1 / 1e6}')"

# --- run, as docs/deployment.md says ------------------------------------------------------
# the flags of the Nth `docker run -d --name wattprobe` block of the page, up to the image
block() {
	awk -v n="$1" '/^    docker run -d --name wattprobe \\$/ { k++; on = k == n }
		on { line = $0; sub(/\\$/, "", line); printf "%s ", line; if ($0 !~ /\\$/) exit }' "$DOC" |
		sed "s|^ *docker run ||; s| $tag *\$||" | tr -s ' '
}
flags=$(block 1)
check "$DOC gives the run command" sh -c "echo '$flags' | grep -q -- '--pid host'"
major=${engine%%.*}
if [ "$major" -lt 23 ] 2>/dev/null; then
	# docs/deployment.md: Docker before 23.0 knows no CAP_BPF, CAP_PERFMON; SYS_ADMIN takes their place
	$D run --rm --cap-add BPF --entrypoint true "$tag" >/dev/null 2>"$TMP/capbpf.err"
	check "Docker $engine rejects --cap-add BPF, as $DOC says" \
		grep -q 'unknown capability: "CAP_BPF"' "$TMP/capbpf.err"
	# its line for Docker before 23.0, run as it is written
	flags=$(block 2)
	check "$DOC's line for Docker before 23.0 is whole (no '...'), with --cap-add SYS_ADMIN" \
		sh -c "echo '$flags' | grep -q -- '--cap-add SYS_ADMIN' &&
			echo '$flags' | grep -q -- '--pid host' && ! echo '$flags' | grep -qF '...'"
fi
# the Docker root of this engine in place of /var/lib/docker
flags=$(echo "$flags" | sed "s|-v /var/lib/docker/containers:|-v $DATA/containers:|;
	s|--name wattprobe|--name wattprobe-test-$$|")

busy=wattprobe-busy-$$
$D run -d --name "$busy" --entrypoint sh "$tag" -c 'while :; do :; done' >/dev/null
started="$started $busy"
busy_id=$($D inspect -f '{{.Id}}' "$busy")

# shellcheck disable=SC2086
agent=$($D run $flags -e WATTPROBE_INTERVAL=0.5 -e WATTPROBE_GROUP_BY=container "$tag" 2>"$TMP/run.err")
if [ -z "$agent" ]; then
	fail "docker run with the flags of $DOC"
	sed 's/^/        /' "$TMP/run.err"
	finish
fi
started="$started $agent"
ok "docker run $flags ... $tag"
i=0
while [ $i -lt 100 ]; do
	in_ns curl -s "http://127.0.0.1:9725/metrics" >"$TMP/metrics" 2>/dev/null &&
		grep -q "key=\"$busy_id\"" "$TMP/metrics" && break
	sleep 0.2
	i=$((i + 1))
done
check "/metrics is served on the published 127.0.0.1:9725" \
	grep -q '^wattprobe_sensor_info{' "$TMP/metrics"
check "the busy container has series under its id and its name ($busy)" \
	sh -c "grep -q '^wattprobe_group_watts{group_by=\"container\",key=\"$busy_id\"} ' '$TMP/metrics' &&
	grep -q '^wattprobe_group_info{group_by=\"container\",key=\"$busy_id\",container_name=\"$busy\"} 1$' '$TMP/metrics'"
pid=$($D inspect -f '{{.State.Pid}}' "$agent")
uid=$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")
check "the agent runs as the image's user wattprobe (uid $uid)" test "$uid" = 9725
bad=""
for t in /proc/"$pid"/task/*; do
	awk '/^Cap(Inh|Prm|Eff|Amb|Bnd):/ && $2 != "0000000000000000" { bad = 1 }
		/^NoNewPrivs:/ && $2 != "1" { bad = 1 } END { exit bad }' "$t/status" || bad="$bad $t"
done
check "every thread: CapEff and every other set 0, the bounding set emptied (SETPCAP), no_new_privs" \
	test -z "$bad"
[ -z "$bad" ] || grep -E 'Cap|NoNew' "/proc/$pid/status" | sed 's/^/        /'
# SYS_NICE, used before the drop: the ring buffer's drain thread at nice -20, the rest at 0
nices=$(for t in /proc/"$pid"/task/*; do awk '{ print $19 }' "$t/stat"; done | sort -n | uniq | tr '\n' ' ')
check "its drain thread at nice -20, its other threads at 0 (read: $nices)" test "$nices" = "-20 0 "
helper=$(ps -o pid= --ppid "$pid" | head -1 | tr -d ' ')
check "the Docker name helper: uid 0 with no capability, no_new_privs" \
	sh -c "[ -n '$helper' ] && awk '/^CapEff:/ && \$2 != \"0000000000000000\" { b = 1 }
		/^CapPrm:/ && \$2 != \"0000000000000000\" { b = 1 } /^Uid:/ && \$2 != 0 { b = 1 }
		/^NoNewPrivs:/ && \$2 != 1 { b = 1 } END { exit b }' /proc/$helper/status"
$D logs "$agent" >"$TMP/agent.log" 2>&1
check "the agent printed no warning" test ! -s "$TMP/agent.log"
[ -s "$TMP/agent.log" ] && sed 's/^/        /' "$TMP/agent.log"

# json: the same flags, in the foreground, a few lines
jflags=$(echo "$flags" | sed "s/^-d //; s/--name [^ ]*//; s/-p [^ ]*//")
# shellcheck disable=SC2086
timeout 60 $D run --rm $jflags -e WATTPROBE_GROUP_BY=container "$tag" json -c 3 -i 0.5 \
	>"$TMP/json" 2>"$TMP/json.err"
check "json: 3 lines, every one valid JSON" \
	sh -c "[ \$(wc -l <'$TMP/json') -eq 3 ] && jq -e . '$TMP/json' >/dev/null"
check "... the busy container under its id, with its name" \
	sh -c "jq -e -s 'all(.[]; any(.groups[]; .key == \"$busy_id\" and
		.container.name == \"$busy\" and .cpu_util > 0.02))' '$TMP/json' >/dev/null"

# started without the capabilities it needs: the entrypoint says what applies
# shellcheck disable=SC2086
timeout 60 $D run --rm --user 0:0 --cap-drop ALL --pid host "$tag" json -c 1 >/dev/null \
	2>"$TMP/nocap.err"
check "without capabilities, the entrypoint names --cap-add SYS_ADMIN for Docker before 23" \
	sh -c "grep -q 'before 23.0' '$TMP/nocap.err' && grep -q 'SYS_ADMIN' '$TMP/nocap.err'"
# the agent's own message (without the entrypoint) names both forms too
timeout 60 $D run --rm --user 0:0 --cap-drop ALL --pid host \
	--entrypoint /usr/local/sbin/wattprobe "$tag" json -c 1 >/dev/null 2>"$TMP/nocap-agent.err"
check "... and so does the agent's own: --cap-add BPF (23.0 and later) and SYS_ADMIN (before)" \
	sh -c "grep -q -- '--cap-add BPF --cap-add PERFMON with Docker 23.0' '$TMP/nocap-agent.err' &&
		grep -q -- '--cap-add SYS_ADMIN in their place with Docker before 23.0' '$TMP/nocap-agent.err'"
finish
