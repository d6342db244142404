#!/bin/sh
# Totals that add up in a real Prometheus: one agent with the defaults (top 50,
# --rate-window 60) at 1 s intervals, scraped by one Prometheus server in two
# jobs, every 1 s and every 15 s, while processes come and go: long-a and
# long-b run from before the agent started (members of its first page, they
# count at once) and long-b exits after 60 s; long-c starts 20 s in, enters the
# top and counts once its series has shown 0 for 60 s; one of 6 s every 4 s
# enters the top and leaves before it counts; a short one every 0.3 s; and the
# rest of this shared machine. Prometheus itself computes, through its HTTP
# API,
#   sum(increase(process joules[60s])) + increase(others) + increase(idle)
# and increase(host joules[60s]) for both jobs, over two windows that end 80
# and 85 s after the agent started: they must agree within 2%, with the
# process series counting. About 90 seconds.
. "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/bin"
tools=$(cd "$OUT/tools" && pwd)
for n in long-a long-b long-c mid-0 mid-1 mid-2 mid-3; do ln -s "$tools/duty" "$TMP/bin/$n"; done
for i in 0 1 2 3 4 5 6 7; do ln -s "$tools/burn" "$TMP/bin/short-$i"; done

"$TMP/bin/long-a" 90 25 &
PIDS="$PIDS $!"
"$TMP/bin/long-b" 60 20 &
PIDS="$PIDS $!"
sleep 0.5
port=$(free_port)
pport=$(free_port)
"$WP" prometheus --listen "127.0.0.1:$port" -i 1 >/dev/null 2>"$TMP/agent.err" &
PIDS="$PIDS $!"
t0=$(date +%s)
check "the agent listens" wait_url "http://127.0.0.1:$port/metrics" 10
cat >"$TMP/prometheus.yml" <<CONF
global:
  evaluation_interval: 1s
scrape_configs:
  - job_name: fast
    scrape_interval: 1s
    static_configs:
      - targets: ["127.0.0.1:$port"]
  - job_name: slow
    scrape_interval: 15s
    static_configs:
      - targets: ["127.0.0.1:$port"]
CONF
check "Prometheus starts" start_prometheus "$TMP/prometheus.yml" "$pport"

# The churn, until the end.
(
	i=0
	while [ $(($(date +%s) - t0)) -lt 85 ]; do
		[ $i -eq 60 ] && { "$TMP/bin/long-c" 70 20 & echo $! >>"$TMP/churn.pids"; }
		if [ $((i % 13)) -eq 0 ]; then
			"$TMP/bin/mid-$((i / 13 % 4))" 6 20 &
			echo $! >>"$TMP/churn.pids"
		fi
		"$TMP/bin/short-$((i % 8))" 20 &
		sleep 0.3
		i=$((i + 1))
	done
	wait
) &
churn=$!
PIDS="$PIDS $churn"

q() { # QUERY TIME: the value of a one-number PromQL query
	curl -s "http://127.0.0.1:$pport/api/v1/query" --data-urlencode "query=$1" \
		--data-urlencode "time=$2" | jq -r '.data.result[0].value[1] // "none"'
}
close() { # A B: A within 2% of B
	python3 -c 'import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); sys.exit(not (b > 0 and abs(a - b) <= 0.02 * b))' "$1" "$2" 2>/dev/null
}
pct() {
	python3 -c 'import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print("%+.2f%%" % (100 * (a - b) / b))' "$1" "$2" 2>/dev/null || echo "?"
}
j() { python3 -c 'import sys; print("%.1f" % eval(sys.argv[1]))' "$1" 2>/dev/null || echo "$1"; }

# Windows of 60 s that end 80 and 85 s in: both jobs have scraped by 20 s.
while [ $(($(date +%s) - t0)) -lt 85 ]; do sleep 1; done
now=$(date +%s)
for job in fast slow; do
	for at in $((now - 5)) $now; do
		parts="sum(increase(wattprobe_process_joules_total{job=\"$job\"}[60s]))"
		others="sum(increase(wattprobe_others_joules_total{job=\"$job\"}[60s]))"
		idle="sum(increase(wattprobe_idle_joules_total{job=\"$job\"}[60s]))"
		host=$(q "sum(increase(wattprobe_host_joules_total{job=\"$job\"}[60s]))" $at)
		sum=$(q "$parts + $others + $idle" $at)
		procs=$(q "$parts" $at)
		long=$(q "sum(increase(wattprobe_process_joules_total{job=\"$job\",comm=\"long-a\"}[60s]))" $at)
		idle_j=$(q "$idle" $at)
		check "$job scrapes, 60 s to $(date -d @$at +%T): processes + others + idle = $(j "$sum") J, host $(j "$host") J ($(pct "$sum" "$host"))" \
			close "$sum" "$host"
		check "... the process series count: $(j "$procs") J of the $(j "$host - $idle_j") J attributed, long-a $(j "$long") J" \
			python3 -c "import sys; sys.exit(not ($procs >= $long > 0.5))"
	done
done
# the churn reached the series: the long ones went live, and more came and went than stayed
for n in long-a long-b long-c; do
	v=$(q "max(max_over_time(wattprobe_process_joules_total{job=\"fast\",comm=\"$n\"}[90s]))" $now)
	check "$n had a series that counted ($v J)" python3 -c "import sys; sys.exit(not ($v > 0))"
done
seen=$(q 'count(count by (pid, start) (count_over_time(wattprobe_process_joules_total{job="fast"}[90s])))' $now)
shown=$(q 'count(wattprobe_process_joules_total{job="fast"})' $now)
check "process series came and went: $seen over the run, $shown at the end" \
	python3 -c "import sys; sys.exit(not ($seen > $shown))"
dups=$(curl -s "http://127.0.0.1:$pport/metrics" |
	awk '/^prometheus_target_scrapes_sample_duplicate_timestamp_total / { print $2 }')
check "Prometheus rejected no sample as a duplicate ($dups)" test "$dups" = 0
kill $churn $(cat "$TMP/churn.pids") 2>/dev/null
finish
