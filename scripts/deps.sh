#!/bin/sh
# Install what wattprobe needs to build, test and benchmark, from Debian 12's
# packages only. Called by `make run`, `make test` and `make bench`; does nothing
# when everything is already there.
set -eu

PKGS="make gcc clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev pkg-config
libcriterion-dev libmicrohttpd-dev libcap-dev libncurses-dev prometheus rt-tests linux-perf
jq curl strace python3 python3-yaml util-linux procps tmux rsyslog logrotate
libcurl4-gnutls-dev prometheus-pushgateway libyaml-dev libgnutls28-dev libcrypt-dev openssl
man-db groff-base"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
# kubectl kustomize (tests/sh/deploy.sh): Debian's, unless a kubectl is there already
command -v kubectl >/dev/null 2>&1 || missing="$missing kubernetes-client"
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages:$missing" >&2
	echo "deps: run as root (or: sudo apt-get install$missing)" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
