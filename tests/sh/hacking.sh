#!/bin/sh
# The recipes of docs/HACKING.md as a newcomer follows them: each ```diff block there
# applies to a copy of this tree, touches one new file and adds one line to a table,
# builds (reusing $OUT's objects: a few seconds), and the new output and sensor work:
# `wattprobe csv` prints its rows, `--sensor flat --tdp 10` reports 10 W a socket.
# Needs no root (the csv run loads BPF: as root only, else that check is skipped).
. "$(dirname "$0")/lib.sh"
OUT=$(realpath "$OUT")
cd "$(dirname "$0")/../.." || exit 1
COPY="$TMP/tree"

mkdir -p "$COPY"
tar -c Makefile src include bpf vmlinux scripts | tar -x -C "$COPY"
# the objects as they are, with their times: only what the recipes change is rebuilt
cp -a "$OUT" "$COPY/build"
awk '/^```diff$/ { on = 1; n++; next } /^```$/ { on = 0 } on { print > ("'"$TMP"'/recipe" n ".diff") }' \
	docs/HACKING.md
nr=$(ls "$TMP"/recipe*.diff 2>/dev/null | wc -l)
check "docs/HACKING.md holds the two recipes' diffs ($nr)" test "$nr" -eq 2

for diff in "$TMP"/recipe*.diff; do
	[ -e "$diff" ] || continue
	# one new file, and one line added to a table: nothing else changes
	stat=$(git apply --numstat "$diff" | awk '{ printf "%s %s %s;", $1, $2, $3 }')
	check "$(basename "$diff"): one new file and one table line ($stat)" sh -c "
		git apply --numstat '$diff' | awk '
			\$2 == 0 && \$3 ~ /^src\\/(output|energy)\\/[a-z_]+\\.c\$/ && \$3 !~ /s\\.c\$/ { f++ }
			\$1 == 1 && \$2 == 0 && \$3 ~ /^src\\/(output\\/outputs|energy\\/sensors)\\.c\$/ { t++ }
			END { exit !(NR == 2 && f == 1 && t == 1) }'"
	check "$(basename "$diff") applies to this tree" git -C "$COPY" apply "$diff"
done

check "the tree with both recipes builds" \
	sh -c "make -C '$COPY' --no-print-directory -j2 OUT=build build/wattprobe >'$TMP/build.log' 2>&1"
sed -n '/error\|warning/p' "$TMP/build.log"
CWP="$COPY/build/wattprobe"

"$CWP" --help >"$TMP/help" 2>&1
check "--help lists the new command csv" grep -q '^    csv  *one comma-separated line' "$TMP/help"
check "--help lists the new sensor flat under --sensor" grep -q 'flat (cpu): every socket draws' "$TMP/help"

if [ "$(id -u)" -eq 0 ]; then
	"$CWP" csv -c 2 -i 0.3 -n 3 >"$TMP/csv" 2>"$TMP/csv.err"
	check "wattprobe csv: a header, then rows of interval,\"key\",cpu_ns,energy_uj" sh -c "
		head -1 '$TMP/csv' | grep -qx 'interval,key,cpu_ns,energy_uj' &&
		[ \$(grep -cE '^[0-9]+,\".*\",[0-9]+,[0-9]+\$' '$TMP/csv') -ge 2 ]"
	"$CWP" json --sensor flat --tdp 10 -c 2 -i 0.3 >"$TMP/flat" 2>"$TMP/flat.err"
	check "json --sensor flat --tdp 10: sensor flat, estimated, 10 W a socket" \
		last_jqe "$TMP/flat" '.sensor == "flat" and .estimated == true and
			(.host.power_w / (.sockets | length) - 10 | fabs) < 0.01'
	check "json --sensor flat without --tdp: the sensor's reason, status 1" sh -c "
		'$CWP' json --sensor flat -c 1 >/dev/null 2>'$TMP/e'; [ \$? -eq 1 ] &&
		grep -q 'sensor flat: it needs --tdp' '$TMP/e'"
else
	echo "  skip  running csv and flat: loading BPF needs root"
fi
finish
