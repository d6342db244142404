#!/bin/sh
# Install what wattprobe needs to build, test and benchmark, from Debian 12's
# packages only. Called by `make run`, `make test` and `make bench`; does nothing
# when everything is already there. `deps.sh bench` (make bench) also installs the
# peers the benchmark runs beside the agent; make test never needs them.
set -eu

PKGS="make gcc clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev pkg-config
libcriterion-dev libmicrohttpd-dev libcap-dev libncurses-dev prometheus rt-tests linux-perf
jq curl strace python3 python3-yaml python3-prometheus-client util-linux procps tmux rsyslog logrotate
libcurl4-gnutls-dev prometheus-pushgateway libyaml-dev libgnutls28-dev libcrypt-dev openssl
man-db groff-base
libmicrohttpd12 libgnutls30 libyaml-0-2 libcrypt1 libncursesw6 libtinfo6 libcurl3-gnutls"
# The last line: libraries the agent loads at run time (dlopen) rather than links, named
# for themselves (their -dev packages above bring the headers the build reads).
# The tools `make bench` runs beside the agent (bench/peers.sh), only for `deps.sh bench`.
# One that cannot be installed does not stop the build: the benchmark reports it as not installed.
PEERS="prometheus-process-exporter prometheus-node-exporter sysstat atop bpftrace"

missing_of() {
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			printf ' %s' "$p"
	done
}

# shellcheck disable=SC2086 # lists of package names
missing=$(missing_of $PKGS)
# kubectl kustomize (tests/sh/deploy.sh): Debian's, unless a kubectl is there already
command -v kubectl >/dev/null 2>&1 || missing="$missing kubernetes-client"
peers=
# shellcheck disable=SC2086
[ "${1:-}" = bench ] && peers=$(missing_of $PEERS)
[ -z "$missing$peers" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	[ -n "$missing" ] || exit 0	# only benchmark peers: make bench reports them missing
	echo "deps: missing packages:$missing" >&2
	echo "deps: run as root (or: sudo apt-get install$missing)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
if [ -n "$missing" ]; then
	echo "deps: installing$missing"
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
# one at a time, so that one the archive lacks leaves the others installed
for p in $peers; do
	echo "deps: installing $p (a peer for make bench)"
	apt-get install -y -qq --no-install-recommends "$p" >/dev/null ||
		echo "deps: could not install $p; make bench reports it as not installed" >&2
done
