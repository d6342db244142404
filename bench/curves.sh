#!/bin/sh
# How close two wattprobe builds come to the truth on fake packages that follow
# published SPECpower_ssj2008 curves (docs/power-curves.md): each curve gets a
# fake powercap tree (build/tools/fakerapl, one package following every CPU),
# read by both builds at once under the same load (build/tools/loadsteps):
#
#   1. never idle: every CPU 20% to 100% busy, changing every 2.5 s (NEVER_S);
#   2. then the same with dips: 3 s of no load every 35 s (DIPS_S).
#
# For each build and curve it prints the idle baseline at the end of each phase
# against the curve's true idle, and what the processes got of their dynamic
# energy (energy - true idle x time) over each phase (the first 10 s and, in the
# second, what comes before the first dip left out), from `wattprobe json`.
#
#   bench/curves.sh OLD_WATTPROBE NEW_WATTPROBE [OUT]
#
# Needs root (BPF), jq, and the tools built (make OUT=build all build/tools/...).
# CURVES="R830 RX300S4" picks some; BATCH=4 curves run at a time (two agents
# each). A machine others keep busy cannot show the dips: the report says how
# busy the CPUs were.
set -eu
OLD=$1
NEW=$2
OUT=${3:-build}
NEVER_S=${NEVER_S:-60}
DIPS_S=${DIPS_S:-70}
BATCH=${BATCH:-4}
FULL=30

# name, year and the result's page under https://www.spec.org/power_ssj2008/results/,
# then power at active idle, 10%, ..., 100% (docs/power-curves.md cites them)
TABLE='
RX300S4  2008 res2008q1/power_ssj2008-20080116-00034 166,179,191,200,212,224,235,245,252,259,265
6025B    2008 res2008q1/power_ssj2008-20080115-00030 216,221,227,235,245,258,270,282,294,307,315
x3250    2009 res2009q4/power_ssj2008-20091104-00213 41.6,46.7,52.3,57.9,65.4,73,80.7,89.5,99.6,105,113
x3550    2010 res2010q2/power_ssj2008-20100315-00239 66,107,120,131,143,156,173,191,211,229,247
ML110G5  2011 res2011q1/power_ssj2008-20110124-00339 93.7,97,101,105,110,116,121,125,129,133,135
R620     2012 res2012q1/power_ssj2008-20120306-00434 54.1,78.4,88.5,99.5,115,126,143,165,196,226,243
R830     2016 res2016q3/power_ssj2008-20160705-00737 86.4,181,215,253,287,315,340,377,421,483,562
R640     2017 res2017q3/power_ssj2008-20170829-00781 55,125,151,176,202,232,261,301,357,421,469
R740     2019 res2019q2/power_ssj2008-20190409-00952 49.8,114,137,159,182,208,240,277,319,376,432
R240     2019 res2019q3/power_ssj2008-20190702-00979 20,25.1,28.5,32.3,36.6,41.7,47.5,55.9,67.2,81,93.1
R6515    2020 res2020q3/power_ssj2008-20200728-01041 54,123,139,150,161,169,181,194,207,218,231
DL345    2021 res2021q1/power_ssj2008-20210221-01065 58,104,120,134,150,169,197,217,236,255,272
'
CURVES=${CURVES:-$(printf '%s\n' "$TABLE" | awk 'NF { print $1 }')}

die() { echo "curves: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "needs root (the agents load BPF)"
command -v jq >/dev/null || die "needs jq"
for t in fakerapl loadsteps; do
	[ -x "$OUT/tools/$t" ] || die "no $OUT/tools/$t: make $OUT/tools/$t"
done
TMP=$(mktemp -d /tmp/wattprobe-curves.XXXXXX)
PIDS=
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null || :; done
	wait 2>/dev/null || :
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

# the load: phase 1 never idle, phase 2 the same with a 3 s dip every 35 s
steps() {
	awk -v never="$NEVER_S" -v dips="$DIPS_S" 'BEGIN {
		split("0.2 0.6 1 0.4 0.8 0.3 0.9 0.5 1 0.7 0.25 0.85", l, " ")
		for (t = 0; t < never; t += 2.5) { i++; printf "2.5:%s/%s ", l[(i - 1) % 12 + 1], l[(i + 4) % 12 + 1] }
		for (t = 0; t < dips;) {
			if (t >= 10 + 35 * d) { printf "3:0 "; t += 3; d++; continue }
			i++
			printf "2.5:%s/%s ", l[(i - 1) % 12 + 1], l[(i + 4) % 12 + 1]
			t += 2.5
		}
	}'
}

# busy share of all CPUs in /proc/stat between two calls
stat_busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat; }

# idle at the end of each phase and the processes' share of the dynamic energy
report() { # FILE IDLE_W T0 T1 T2 (epoch seconds: load start, phase 2, first dip end)
	jq -rs --argjson idle "$2" --argjson t0 "$3" --argjson t1 "$4" --argjson t2 "$5" '
		map(. + { t: (.timestamp | sub("\\.[0-9]+Z$"; "Z") | fromdateiso8601) })
		| map(select(.host.energy_j != null)) as $l
		| def base(f): ($l | map(select(f)) | last | .sockets[0].baseline.package);
		  def share(f): ($l | map(select(f))
			| { got: (map(.host.energy_j - .idle.energy_j) | add),
			    dyn: (map(.host.energy_j - $idle * .interval_s) | add) }
			| .got / .dyn - 1);
		  base(.t < $t1) as $b1 | base(true) as $b2
		| [ $b1.idle_w, ($b1.idle_w / $idle - 1), ($b1.idle_range_w // [null, null]),
		    share(.t >= $t0 + 10 and .t < $t1),
		    $b2.idle_w, ($b2.idle_w / $idle - 1), ($b2.idle_range_w // [null, null]),
		    share(.t >= $t2), $b2.source ]
		| flatten | map(if type == "number" then (. * 1000 | round / 1000) else . end)
		| @tsv' "$1"
}

printf 'curve\tyear\tidle_W\tbuild\tnever_idle_W\terr\tlow\thigh\tprocs_err\tdips_idle_W\terr\tlow\thigh\tprocs_err\tsource\n'
set -- $CURVES
while [ $# -gt 0 ]; do
	batch=
	n=0
	while [ $# -gt 0 ] && [ $n -lt "$BATCH" ]; do
		batch="$batch $1"
		shift
		n=$((n + 1))
	done
	PIDS=
	for c in $batch; do
		line=$(printf '%s\n' "$TABLE" | awk -v c="$c" '$1 == c')
		[ -n "$line" ] || die "no curve $c (one of: $(printf '%s\n' "$TABLE" | awk 'NF { printf "%s ", $1 }'))"
		pts=$(echo "$line" | awk -v f=$FULL '{ n = split($4, p, ","); for (i = 1; i <= n; i++) printf "%s%.4f", (i > 1 ? "," : ""), p[i] * f / p[n] }')
		mkdir -p "$TMP/$c"
		"$OUT/tools/fakerapl" --root "$TMP/$c/pc" --package "0:$pts" --noise 0.3 --period-ms 5 \
			--busy-from cpuacct 2>/dev/null &
		PIDS="$PIDS $!"
		echo "$pts" | cut -d, -f1 >"$TMP/$c/idle"
	done
	sleep 1
	for c in $batch; do
		for b in old new; do
			wp=$OLD
			[ $b = new ] && wp=$NEW
			"$wp" json -i 0.5 --sensor rapl --powercap-root "$TMP/$c/pc" >"$TMP/$c/$b.jsonl" \
				2>"$TMP/$c/$b.err" &
			PIDS="$PIDS $!"
		done
	done
	sleep 2
	s0=$(stat_busy)
	t0=$(date +%s)
	# shellcheck disable=SC2046 # the steps are words
	"$OUT/tools/loadsteps" $(steps) &
	load=$!
	sleep "$NEVER_S"
	t1=$(date +%s)
	s1=$(stat_busy)
	sleep 10.5
	s2=$(stat_busy)
	sleep 2
	s3=$(stat_busy)
	wait $load
	sleep 1
	for p in $PIDS; do kill "$p" 2>/dev/null || :; done
	wait 2>/dev/null || :
	echo "$s0 $s1 $s2 $s3" | awk '{ printf "# by /proc/stat, the CPUs were %.0f%% busy never idle, %.0f%% in the first dip\n",
		100 * ($3 - $1) / ($4 - $2), 100 * ($7 - $5) / ($8 - $6) }' >&2
	for c in $batch; do
		year=$(printf '%s\n' "$TABLE" | awk -v c="$c" '$1 == c { print $2 }')
		for b in old new; do
			printf '%s\t%s\t%s\t%s\t' "$c" "$year" "$(cat "$TMP/$c/idle")" "$b"
			report "$TMP/$c/$b.jsonl" "$(cat "$TMP/$c/idle")" "$t0" "$t1" $((t1 + 14))
		done
	done
done
