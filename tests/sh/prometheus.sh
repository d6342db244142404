#!/bin/sh
# wattprobe prometheus as Prometheus uses it: the page passes promtool, HTTP
# answers 404/405 where it should, OpenMetrics when asked passes the parser of
# prometheus_client (python3-prometheus-client) with the same samples, --no-metric
# leaves families out, and a real Prometheus server started here scrapes the agent
# (in OpenMetrics, as it asks) and answers a PromQL query for the host's power.
. "$(dirname "$0")/lib.sh"

port=$(free_port)
url="http://127.0.0.1:$port"
"$WP" prometheus --listen "127.0.0.1:$port" -i 0.5 --group-by pid >/dev/null 2>"$TMP/agent.err" &
PIDS="$PIDS $!"
port2=$(free_port)
"$WP" prometheus --listen "127.0.0.1:$port2" -i 0.5 -g pid,comm --no-metric 'wattprobe_process_.*' \
	--no-metric '.*_created' >/dev/null 2>"$TMP/agent2.err" &
PIDS="$PIDS $!"
check "the agent listens on 127.0.0.1:$port" wait_url "$url/metrics" 10
sleep 1.2
code=$(curl -s -o "$TMP/metrics" -w '%{http_code} %{content_type}' "$url/metrics")
check "GET /metrics answers 200 text/plain version 0.0.4 ($code)" \
	sh -c "echo '$code' | grep -q '^200 text/plain; version=0.0.4'"
check "promtool check metrics passes" sh -c "promtool check metrics <'$TMP/metrics' >'$TMP/lint' 2>&1 || { cat '$TMP/lint'; false; }"
check "host power and energy families are there" \
	sh -c "grep -q '^wattprobe_host_watts ' '$TMP/metrics' && grep -q '^wattprobe_host_joules_total ' '$TMP/metrics'"
check "the sensor is labelled estimated" grep -q 'wattprobe_sensor_info{sensor="model",source="model",estimated="true"} 1' "$TMP/metrics"
check "every family has HELP and TYPE" sh -c "test \$(grep -c '^# HELP' '$TMP/metrics') -eq \$(grep -c '^# TYPE' '$TMP/metrics')"
# names end in a base unit or what is counted (node_exporter's and the Prometheus docs'
# practice): _total after it for counters, _info for info gauges
odd=$(awk '$1 == "#" && $2 == "TYPE" { print $3 }' "$TMP/metrics" | grep -vE \
	'_(joules|watts|seconds|ratio|bytes|fds|processes|records|intervals|grams|per_kwh)(_total)?$|_info$|^wattprobe_[a-z_]+_total$' |
	tr '\n' ' ')
check "every family ends in a unit or what it counts${odd:+ (not: $odd)}" test -z "$odd"
# OpenMetrics, as Prometheus asks for it
OM='application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1'
type=$(curl -s -o "$TMP/om" -w '%{content_type}' -H "Accept: $OM" "$url/metrics")
check "Accept preferring OpenMetrics gets it ($type)" \
	test "$type" = "application/openmetrics-text; version=1.0.0; charset=utf-8"
check "... it ends with # EOF, and counters have _created" \
	sh -c "[ \"\$(tail -1 '$TMP/om')\" = '# EOF' ] && grep -q '^wattprobe_host_joules_created [0-9.e+]*\$' '$TMP/om'"
if /usr/bin/python3 -c 'import prometheus_client.openmetrics.parser' 2>/dev/null; then
	# the strict parser of the OpenMetrics reference library, and the same families and
	# series as the text page (of a sample or two later: names and labels only)
	curl -s "$url/metrics" >"$TMP/text"
	/usr/bin/python3 - "$TMP/om" "$TMP/text" >"$TMP/om.check" 2>&1 <<'PY'
import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families as om
from prometheus_client.parser import text_string_to_metric_families as text
a = list(om(open(sys.argv[1]).read()))
b = list(text(open(sys.argv[2]).read()))
fa = {f.name for f in a}
fb = {f.name for f in b}
assert fa == fb, "families differ: %s" % (fa ^ fb)
created = [s for f in a if f.type == "counter" for s in f.samples if s.name.endswith("_created")]
totals = [s for f in a if f.type == "counter" for s in f.samples if s.name.endswith("_total")]
assert len(created) == len(totals) and created, "%d _created for %d _total" % (len(created), len(totals))
print(len(a), "families,", len(totals), "counter samples")
PY
	check "... prometheus_client's OpenMetrics parser reads it: $(tail -1 "$TMP/om.check"), each with _created; the text page has the same families" \
		test $? -eq 0
else
	fail "python3-prometheus-client is not installed (scripts/deps.sh installs it)"
fi

# --no-metric: whole families out, _created too (the agent started with the first)
wait_url "http://127.0.0.1:$port2/metrics" 10
curl -s -H "Accept: $OM" "http://127.0.0.1:$port2/metrics" >"$TMP/om2"
check "--no-metric 'wattprobe_process_.*' --no-metric '.*_created': neither is on the page, the comm level is" \
	sh -c "! grep -q 'wattprobe_process_\|_created' '$TMP/om2' && grep -q '^wattprobe_group_joules_total{group_by=\"comm\"' '$TMP/om2'"
check "a bad --no-metric is a usage error" \
	sh -c "'$WP' prometheus --no-metric '(' 2>'$TMP/bad'; [ \$? -eq 2 ] && grep -q \"invalid --no-metric '('\" '$TMP/bad'"

check "GET /nope answers 404" test "$(curl -s -o /dev/null -w '%{http_code}' "$url/nope")" = 404
check "POST /metrics answers 405" test "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$url/metrics")" = 405
check "DELETE /metrics answers 405" test "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$url/metrics")" = 405
printf 'GARBAGE\r\n\r\n' | timeout 3 python3 -c 'import socket,sys; s=socket.create_connection(("127.0.0.1", int(sys.argv[1]))); s.sendall(sys.stdin.buffer.read()); s.settimeout(2); s.recv(100)' "$port" 2>/dev/null
check "a malformed request does not stop it" test "$(curl -s -o /dev/null -w '%{http_code}' "$url/metrics")" = 200

# A real Prometheus server, scraping every second.
pport=$(free_port)
cat >"$TMP/prometheus.yml" <<CONF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: wattprobe
    static_configs:
      - targets: ["127.0.0.1:$port"]
CONF
check "Prometheus starts" start_prometheus "$TMP/prometheus.yml" "$pport"
value=""
i=0
while [ $i -lt 30 ] && [ -z "$value" ]; do
	sleep 1
	value=$(curl -s "http://127.0.0.1:$pport/api/v1/query?query=wattprobe_host_watts" |
		jq -r '.data.result[0].value[1] // empty')
	i=$((i + 1))
done
check "PromQL wattprobe_host_watts returns the host power ($value W)" \
	sh -c "echo '$value' | grep -Eq '^[0-9]+(\.[0-9]+)?$'"
# rate() of the energy counter is the power: compare with the gauge over the
# same window, once a few scrapes are in.
sleep 6
q() { curl -s "http://127.0.0.1:$pport/api/v1/query" --data-urlencode "query=$1" | jq -r '.data.result[0].value[1] // empty'; }
rate=$(q 'rate(wattprobe_host_joules_total[5s])')
avg=$(q 'avg_over_time(wattprobe_host_watts[5s])')
check "rate(wattprobe_host_joules_total[5s]) = $rate W, close to the gauge's $avg W" \
	python3 -c "import sys; r, a = float(sys.argv[1]), float(sys.argv[2]); sys.exit(abs(r - a) > 0.3 * a)" "$rate" "$avg"
up=$(curl -s "http://127.0.0.1:$pport/api/v1/query?query=up" | jq -r '.data.result[0].value[1] // empty')
check "the scrape target is up" test "$up" = 1
# Prometheus 2.42 asks for OpenMetrics and keeps each _created as a series of its own
created=$(q 'wattprobe_host_joules_created')
check "Prometheus scraped OpenMetrics (it holds wattprobe_host_joules_created = $created)" \
	sh -c "echo '$created' | grep -Eq '^[0-9]{10}'"
finish
