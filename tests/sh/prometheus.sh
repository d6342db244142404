#!/bin/sh
# wattprobe prometheus as Prometheus uses it: the page passes promtool, HTTP
# answers 404/405 where it should, and a real Prometheus server started here
# scrapes the agent and answers a PromQL query for the host's power.
. "$(dirname "$0")/lib.sh"

port=$(free_port)
url="http://127.0.0.1:$port"
"$WP" prometheus --listen "127.0.0.1:$port" -i 0.5 --group-by pid >/dev/null 2>"$TMP/agent.err" &
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
finish
