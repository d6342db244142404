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

for t in tests/sh/*.sh; do
	[ -e "$t" ] && [ "$t" != tests/sh/lib.sh ] || continue
	step "$t"
	OUT="$OUT" sh "$t"
done

step "fuzzers (${FUZZ_SECONDS:-5} s each)"
make --no-print-directory fuzz OUT="$OUT" FUZZ_SECONDS="${FUZZ_SECONDS:-5}"

took
printf '\nall tests passed in %d s\n' $(($(date +%s) - T0))
