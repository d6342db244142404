#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Entrypoint of the wattprobe container image.
#
#   (no arguments)        wattprobe prometheus --listen 0.0.0.0:9725 --user wattprobe
#   prometheus [OPTIONS]  the same, OPTIONS last (so they win over the defaults)
#   json [OPTIONS]        wattprobe json --user wattprobe [OPTIONS]: JSON Lines on stdout,
#                         for log shippers
#   anything else         handed to wattprobe unchanged: `top -i 2`, `--help`, `--version`
#
# --listen 0.0.0.0:9725: all interfaces of the container's network namespace, so that
# Prometheus can scrape the pod IP (or a port published with docker run -p).
#
# The container starts as root with a few capabilities (see docs/deployment.md, "Container"); the
# agent loads its BPF program, opens the energy files and binds the port, then drops every
# capability and becomes the image's user `wattprobe`.
#
# In the two service modes (prometheus, json) these variables add options; unset or empty
# adds nothing, values are passed as single arguments and wattprobe checks them:
#   WATTPROBE_LISTEN         --listen (prometheus only; default 0.0.0.0:9725)
#   WATTPROBE_USER           --user, after start-up (default wattprobe; empty: none). Given
#                            only when started as root: switching user takes CAP_SETUID.
#   WATTPROBE_INTERVAL       --interval SECONDS
#   WATTPROBE_TOP            --top N
#   WATTPROBE_GROUP_BY       --group-by LEVELS (a comma list: pid,container,pod)
#   WATTPROBE_SENSOR         --sensor KIND
#   WATTPROBE_CGROUP         --cgroup PREFIX
#   WATTPROBE_VM_EXPORT      --vm-export DIR: each KVM guest's share, for its own agent
#                            (docs/vms.md); DIR is the host's folder mounted there,
#                            writable by the image's user
#   WATTPROBE_POD_UID        a sidecar: --cgroup of this pod's cgroup, found by its UID
#                            (downward API metadata.uid) under the host's cgroup tree,
#                            which must be mounted at /sys/fs/cgroup; ignored when
#                            WATTPROBE_CGROUP is set
#   WATTPROBE_POWERCAP_ROOT  --powercap-root DIR; unset: $WATTPROBE_HOST_SYS/class/powercap
#                            when it is there
#   WATTPROBE_HOST_SYS       where the host's /sys/class and /sys/devices/virtual are
#                            mounted (default /host/sys). Container runtimes mask
#                            /sys/devices/virtual/powercap, where the RAPL zones live, so
#                            RAPL is read through this second view of the host's sysfs.
#   WATTPROBE_CGROUP_FS      the host's cgroup tree (default /sys/fs/cgroup; for tests)
set -eu

me=wattprobe-entrypoint

case "${1-}" in
"")
	set -- prometheus
	;;
prometheus | json) ;;
*)
	exec wattprobe "$@"
	;;
esac

cmd=$1
shift
n=$#	# the caller's options, rotated behind ours below

if [ "$cmd" = prometheus ]; then
	set -- "$@" --listen "${WATTPROBE_LISTEN:-0.0.0.0:9725}"
fi

user=${WATTPROBE_USER-wattprobe}
uid=$(id -u)
# What the agent needs to start, from its effective set: CAP_BPF (39) and CAP_PERFMON (38),
# or CAP_SYS_ADMIN (21) in their place; CAP_SETUID (7) and CAP_SETGID (6) for --user.
eff=$(awk '/^CapEff:/ { print $2 }' /proc/self/status 2>/dev/null || true)
eff=${eff:-0}
has_cap() { [ $(((0x$eff >> $1) & 1)) -eq 1 ]; }
if ! { has_cap 39 && has_cap 38; } && ! has_cap 21; then
	last=$(cat /proc/sys/kernel/cap_last_cap 2>/dev/null || echo 40)
	if [ "$uid" -ne 0 ]; then
		why="started as uid $uid: a runtime gives added capabilities to root only, so start"
		why="$why the container as root (docker run --user 0:0; Kubernetes: runAsUser: 0)"
		why="$why with only the capabilities below; wattprobe drops them after start-up"
	else
		why="started as root without them"
	fi
	if [ "$last" -lt 39 ]; then
		how="this kernel (before Linux 5.8) has no CAP_BPF: --cap-add SYS_ADMIN"
	else
		how="Docker 23.0 or later, Podman, containerd, CRI-O and Kubernetes: --cap-add BPF"
		how="$how --cap-add PERFMON (capabilities.add: [BPF, PERFMON]); Docker before 23.0"
		how="$how (Debian 12's docker.io 20.10) rejects those two names (\"unknown"
		how="$how capability\"): --cap-add SYS_ADMIN in their place"
	fi
	echo "$me: without CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN), wattprobe cannot load" \
		"its BPF program; $why. $how." >&2
fi
if [ -n "$user" ]; then
	if [ "$uid" -eq 0 ]; then
		set -- "$@" --user "$user"
		if ! { has_cap 6 && has_cap 7; }; then
			echo "$me: without CAP_SETUID and CAP_SETGID, wattprobe cannot become '$user'" \
				"after start-up: add them (--cap-add SETUID --cap-add SETGID), or set" \
				"WATTPROBE_USER= to stay root without capabilities" >&2
		fi
	fi
	# as another user, no --user: switching user takes CAP_SETUID, which it has not
fi

[ -n "${WATTPROBE_INTERVAL:-}" ] && set -- "$@" --interval "$WATTPROBE_INTERVAL"
[ -n "${WATTPROBE_TOP:-}" ] && set -- "$@" --top "$WATTPROBE_TOP"
[ -n "${WATTPROBE_GROUP_BY:-}" ] && set -- "$@" --group-by "$WATTPROBE_GROUP_BY"
[ -n "${WATTPROBE_SENSOR:-}" ] && set -- "$@" --sensor "$WATTPROBE_SENSOR"
[ -n "${WATTPROBE_VM_EXPORT:-}" ] && set -- "$@" --vm-export "$WATTPROBE_VM_EXPORT"

if [ -n "${WATTPROBE_CGROUP:-}" ]; then
	set -- "$@" --cgroup "$WATTPROBE_CGROUP"
elif [ -n "${WATTPROBE_POD_UID:-}" ]; then
	uid=$WATTPROBE_POD_UID
	cgfs=${WATTPROBE_CGROUP_FS:-/sys/fs/cgroup}
	case "$uid" in
	*[!0-9a-fA-F-]*)
		echo "$me: WATTPROBE_POD_UID '$uid' is not a pod UID" >&2
		exit 2
		;;
	esac
	# cgroupfs driver: .../pod<uid>; systemd driver: .../kubepods-<qos>-pod<uid, - as _>.slice
	uid_=$(printf '%s' "$uid" | tr - _)
	# --cgroup is a path below the root of a hierarchy, as the agent reads paths. On a
	# pure v2 node $cgfs is that root (its cgroup.procs is there). On a v1 or hybrid
	# node each folder of $cgfs is a hierarchy (unified, systemd, cpu,cpuacct, ...)
	# holding the pod at the same path: look in the ones the agent reads first (cgroup2,
	# then name=systemd, cpu, cpuacct, pids, memory), then the others.
	roots=$cgfs
	if [ ! -e "$cgfs/cgroup.procs" ]; then
		v1=""
		for h in unified systemd cpu,cpuacct cpu cpuacct pids memory "$cgfs"/*; do
			h=${h#"$cgfs/"}
			d=$cgfs/$h
			if [ -d "$d" ] && [ ! -L "$d" ] && [ -e "$d/cgroup.procs" ]; then
				case " $v1 " in *" $d "*) ;; *) v1="$v1 $d" ;; esac
			fi
		done
		[ -n "$v1" ] && roots=$v1
	fi
	dir="" root=""
	for r in $roots; do
		dir=$(find "$r" -maxdepth 6 -type d \( -name "pod$uid" -o -name "*-pod$uid_.slice" \) \
			-print -quit 2>/dev/null || true)
		[ -n "$dir" ] && root=$r && break
	done
	if [ -z "$dir" ]; then
		echo "$me: no cgroup of pod $uid under $cgfs: mount the host's /sys/fs/cgroup" \
			"there (hostPath, read-only)" >&2
		exit 1
	fi
	set -- "$@" --cgroup "${dir#"$root"}"
fi

host_sys=${WATTPROBE_HOST_SYS:-/host/sys}
if [ -n "${WATTPROBE_POWERCAP_ROOT+set}" ]; then
	[ -n "$WATTPROBE_POWERCAP_ROOT" ] && set -- "$@" --powercap-root "$WATTPROBE_POWERCAP_ROOT"
elif [ -d "$host_sys/class/powercap" ]; then
	set -- "$@" --powercap-root "$host_sys/class/powercap"
elif [ ! -d "$host_sys/class" ]; then
	echo "$me: $host_sys/class is not mounted: RAPL cannot be read (runtimes mask" \
		"/sys/devices/virtual/powercap); mount the host's /sys/class and" \
		"/sys/devices/virtual read-only at $host_sys/class and $host_sys/devices/virtual" >&2
fi

# the caller's options go last
i=0
while [ "$i" -lt "$n" ]; do
	set -- "$@" "$1"
	shift
	i=$((i + 1))
done

exec wattprobe "$cmd" "$@"
