#!/bin/sh
# Run every test: unit tests, the same under ASan/UBSan, integration tests that
# load the BPF program (root), the shell tests of the commands, and the fuzzers
# for a short fixed time. Called by `make test` after the build.
set -eu
OUT=${1:-build}
cd "$(dirname "$0")/.."

# each step's wall time is printed after it, so that a slow one shows in CI's log
T0=$(date +%s)
T=
took() { [ -z "$T" ] || printf '   (%d s)\n' $(($(date +%s) - T)); }
step() { took; printf '\n== %s\n' "$*"; T=$(date +%s); }

step "layers: a lower layer never includes an upper one"
scripts/layers.sh

step "unit tests"
"$OUT/tests/unit" --jobs 2

step "unit tests under AddressSanitizer + UndefinedBehaviorSanitizer"
make --no-print-directory check-asan OUT="$OUT"

if [ "$(id -u)" -ne 0 ]; then
	echo "integration tests need root (they load BPF): run make test as root" >&2
	exit 1
fi

step "integration tests (load the BPF program)"
# one at a time: they measure CPU time and must not compete for the CPUs
"$OUT/tests/integration" --jobs 1

# docker.sh spends most of its minute or more on debootstrap, the engine and the
# image build, not on timing anything: it runs beside the other shell tests (its
# output comes when it ends), unless WP_TEST_SERIAL=1
bg=
if [ "${WP_TEST_SERIAL:-0}" != 1 ] && [ -e tests/sh/docker.sh ]; then
	bg=tests/sh/docker.sh
	bglog=$(mktemp /tmp/wattprobe-docker-test.XXXXXX)
	bgt0=$(date +%s)
	OUT="$OUT" sh "$bg" >"$bglog" 2>&1 &
	bgpid=$!
	trap 'kill "$bgpid" 2>/dev/null; rm -f "$bglog"' EXIT
	printf '\n== %s started beside the others\n' "$bg"
fi

for t in tests/sh/*.sh; do
	[ -e "$t" ] && [ "$t" != tests/sh/lib.sh ] && [ "$t" != "$bg" ] || continue
	step "$t"
	OUT="$OUT" sh "$t"
done

if [ -n "$bg" ]; then
	step "$bg (waited for)"
	st=0
	wait "$bgpid" || st=$?
	trap - EXIT
	cat "$bglog"
	rm -f "$bglog"
	printf '   (%d s since it started)\n' $(($(date +%s) - bgt0))
	[ "$st" -eq 0 ] || exit "$st"
fi

step "fuzzers (${FUZZ_SECONDS:-5} s each)"
make --no-print-directory fuzz OUT="$OUT" FUZZ_SECONDS="${FUZZ_SECONDS:-5}"

took
printf '\nall tests passed in %d s\n' $(($(date +%s) - T0))
