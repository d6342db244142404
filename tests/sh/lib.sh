# Helpers for the shell tests (sourced). OUT is the build folder.
OUT=${OUT:-build}
WP="$OUT/wattprobe"
FAILS=0
TMP=$(mktemp -d /tmp/wattprobe-sh.XXXXXX)
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
# stopped (make test stops the tests it runs beside the others when one fails): clean up too
trap 'exit 143' TERM INT HUP

ok() { printf '  ok    %s\n' "$1"; }
fail() { printf '  FAIL  %s\n' "$1"; FAILS=$((FAILS + 1)); }
check() { # check DESCRIPTION COMMAND...; its status: 1 when it failed (check ... || show)
	d=$1
	shift
	if "$@"; then ok "$d"; else fail "$d"; return 1; fi
}
finish() {
	if [ "$FAILS" -ne 0 ]; then
		echo "$FAILS check(s) failed"
		exit 1
	fi
}
# jq -e EXPR FILE that also fails when there is nothing to read: jq 1.6's -e exits 0
# when it reads no input at all, so an empty output would pass every check.
jqe() {
	_last=$(jq -c "$1" "${2:--}" 2>/dev/null | tail -1)
	[ -n "$_last" ] && [ "$_last" != false ] && [ "$_last" != null ]
}
# jqe on the last line of FILE: last_jqe FILE EXPR
last_jqe() { tail -1 "$1" | jqe "$2"; }
# A free TCP port on loopback.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
# Wait until URL answers (any status), up to $2 seconds.
wait_url() {
	i=0
	while [ $i -lt $(($2 * 10)) ]; do
		curl -s -o /dev/null "$1" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
# Wait until the agent's output, $TMP/out, has N lines (5 s at the most).
wait_lines() {
	i=0
	while [ "$(wc -l <"$TMP/out")" -lt "$1" ] && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
}
# start_prometheus CONFIG PORT: a Prometheus of the test's own on 127.0.0.1:PORT (its data
# and log in $TMP, stopped with the test); true once it is ready, 30 s at the most.
start_prometheus() {
	prometheus --config.file="$1" --storage.tsdb.path="$TMP/tsdb" \
		--web.listen-address="127.0.0.1:$2" >"$TMP/prom.log" 2>&1 &
	PIDS="$PIDS $!"
	wait_url "http://127.0.0.1:$2/-/ready" 30
}
# Accept header of Prometheus 2.x, preferring OpenMetrics.
OM_ACCEPT='application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1'
# om_created FILE: the OpenMetrics page in FILE passes the reference library's strict parser
# (python3-prometheus-client) and every counter sample (_total) has its _created, same labels;
# prints "N families, M counter samples" or what is wrong.
om_created() {
	/usr/bin/python3 - "$1" <<'PY'
import sys
try:
    from prometheus_client.openmetrics.parser import text_string_to_metric_families as om
except ImportError:
    sys.exit("python3-prometheus-client is not installed (scripts/deps.sh installs it)")
try:
    fams = list(om(open(sys.argv[1]).read()))
except Exception as e:
    sys.exit("not OpenMetrics: %s" % e)
key = lambda s, suffix: (s.name[: -len(suffix)], tuple(sorted(s.labels.items())))
counters = [s for f in fams if f.type == "counter" for s in f.samples]
totals = {key(s, "_total") for s in counters if s.name.endswith("_total")}
created = {key(s, "_created") for s in counters if s.name.endswith("_created")}
if not totals or totals != created:
    sys.exit("without _created: %s" % sorted(n for n, _ in totals - created))
print(len(fams), "families,", len(totals), "counter samples")
PY
}
