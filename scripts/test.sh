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

# Two shell tests spend their minutes waiting rather than timing anything:
# docker.sh on debootstrap, the engine and the image build, prom_totals.sh on
# a real Prometheus filling 85 s of windows. They run one after the other beside
# the rest (their output comes when they end), unless WP_TEST_SERIAL=1.
BESIDE="tests/sh/docker.sh tests/sh/prom_totals.sh"
[ "${WP_TEST_SERIAL:-0}" != 1 ] || BESIDE=
bglog=$(mktemp -d /tmp/wattprobe-beside.XXXXXX)
bgpid=
if [ -n "$BESIDE" ]; then
	(
		c=
		trap '[ -z "$c" ] || { kill "$c" 2>/dev/null; wait "$c"; }; exit 143' TERM
		for t in $BESIDE; do
			t0=$(date +%s)
			OUT="$OUT" sh "$t" >"$bglog/$(basename "$t").log" 2>&1 &
			c=$!
			st=0
			wait "$c" || st=$?
			c=
			echo "$st $(($(date +%s) - t0))" >"$bglog/$(basename "$t").status"
		done
	) &
	bgpid=$!
	printf '\n== started beside the others: %s\n' "$BESIDE"
fi
# a failing test ends make test: what runs beside it is stopped and cleans up
trap 'st=$?; [ -z "$bgpid" ] || { kill "$bgpid" 2>/dev/null; wait "$bgpid" || :; }; rm -rf "$bglog"; exit $st' EXIT

for t in tests/sh/*.sh; do
	[ -e "$t" ] && [ "$t" != tests/sh/lib.sh ] || continue
	case " $BESIDE " in *" $t "*) continue ;; esac
	step "$t"
	OUT="$OUT" sh "$t"
done

if [ -n "$bgpid" ]; then
	step "waiting for $BESIDE"
	wait "$bgpid" || true
	bgpid=
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
