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

# Shell tests that spend their time waiting, or building, rather than timing
# anything run in two lanes beside the others, each lane one test after the
# other (their output comes when they end): docker.sh (debootstrap, the engine,
# the image build), then prom_totals.sh (a real Prometheus filling 85 s of
# windows: not beside the image build, whose bursts of load moved its 15 s
# windows' rules 2.7% off the host); hacking.sh, deploy.sh and dashboard.sh
# (copies built, manifests and rules checked). WP_TEST_SERIAL=1 runs
# everything in turn.
LANES="tests/sh/docker.sh tests/sh/prom_totals.sh
tests/sh/hacking.sh tests/sh/deploy.sh tests/sh/dashboard.sh"
[ "${WP_TEST_SERIAL:-0}" != 1 ] || LANES=
# shellcheck disable=SC2086 # the lanes' tests, on one line
BESIDE=$(echo $LANES)
bglog=$(mktemp -d /tmp/wattprobe-beside.XXXXXX)
bgpids=

# lane TESTS...: one after the other, each one's output and "status seconds" in $bglog
lane() {
	c=
	trap '[ -z "$c" ] || { kill "$c" 2>/dev/null; wait "$c"; }; exit 143' TERM
	for t; do
		t0=$(date +%s)
		OUT="$OUT" sh "$t" >"$bglog/$(basename "$t").log" 2>&1 &
		c=$!
		st=0
		wait "$c" || st=$?
		c=
		echo "$st $(($(date +%s) - t0))" >"$bglog/$(basename "$t").status"
	done
}
if [ -n "$LANES" ]; then
	while read -r l; do
		# shellcheck disable=SC2086 # a lane is a list of test files
		lane $l &
		bgpids="$bgpids $!"
	done <<EOF
$LANES
EOF
	printf '\n== started beside the others: %s\n' "$BESIDE"
fi
# a failing test ends make test: what runs beside it is stopped and cleans up
trap 'st=$?; for p in $bgpids; do kill "$p" 2>/dev/null; wait "$p" || :; done; rm -rf "$bglog"; exit $st' EXIT

for t in tests/sh/*.sh; do
	[ -e "$t" ] && [ "$t" != tests/sh/lib.sh ] || continue
	case " $BESIDE " in *" $t "*) continue ;; esac
	step "$t"
	OUT="$OUT" sh "$t"
done

if [ -n "$bgpids" ]; then
	step "waiting for $BESIDE"
	for p in $bgpids; do wait "$p" || :; done
	bgpids=
	for t in $BESIDE; do
		n=$(basename "$t")
		printf '\n== %s (beside)\n' "$t"
		cat "$bglog/$n.log"
		read -r st secs <"$bglog/$n.status" 2>/dev/null || { st=1; secs=?; }
		printf '   (%s s)\n' "$secs"
		[ "$st" -eq 0 ] || exit "$st"
	done
fi

step "fuzzers (${FUZZ_SECONDS:-5} s each)"
make --no-print-directory fuzz OUT="$OUT" FUZZ_SECONDS="${FUZZ_SECONDS:-5}"

took
printf '\nall tests passed in %d s\n' $(($(date +%s) - T0))
