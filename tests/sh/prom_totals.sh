#!/bin/sh
# Totals that add up in a real Prometheus: one agent with four levels
# (-g pid,comm,unit,cgroup) and the defaults (top 50, --rate-window 60) at 1 s
# intervals, scraped by one Prometheus server with the shipped recording rules
# in two jobs, every 1 s and every 15 s, while processes come and go: long-a and
# long-b run from before the agent started (members of its first page, they
# count at once) and long-b exits after 60 s; long-c starts 15 s in, enters the
# top and counts once its series has shown 0 for 60 s; one of 6 s every 4 s
# enters the top and leaves before it counts; a short one every 0.3 s; and the
# rest of this shared machine. Prometheus itself computes, through its HTTP
# API:
# - on every page of both jobs, for every level: the change of its series (on
#   that page and the one before) + of its others + of idle = the host's, to
#   the microjoule;
# - the recording rules, at 15 s scrapes over 1m: per level, attributed +
#   others + idle watts = the host's, and the shares add up to 1, within 2%;
# - at 1 s scrapes, sum(increase(level[60s])) + increase(others) +
#   increase(idle) = increase(host joules[60s]) within 2%, over two windows that
#   end 80 and 85 s after the agent started, with the level's series counting;
#   at 15 s the same sums of the counters' own increases are reported, not
#   checked (they fall short, docs/prometheus.md "Totals over short windows").
# About 90 seconds.
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
"$WP" prometheus --listen "127.0.0.1:$port" -i 1 -g pid,comm,unit,cgroup >/dev/null \
	2>"$TMP/agent.err" &
PIDS="$PIDS $!"
t0=$(date +%s)
check "the agent listens" wait_url "http://127.0.0.1:$port/metrics" 10
cat >"$TMP/prometheus.yml" <<CONF
global:
  evaluation_interval: 1s
rule_files:
  - $PWD/deploy/prometheus/wattprobe.rules.yml
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
	i=0 c=""
	while [ $(($(date +%s) - t0)) -lt 85 ]; do
		if [ -z "$c" ] && [ $(($(date +%s) - t0)) -ge 15 ]; then
			"$TMP/bin/long-c" 70 20 &
			c=$!
			echo $c >>"$TMP/churn.pids"
		fi
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
# Arithmetic in awk (a query that found nothing gives "none": the check fails)
is() { # CONDITION with the numbers in it: true or false
	case "$1" in *none*) return 1 ;; esac
	awk "BEGIN { exit !($1) }"
}
j() { # EXPRESSION: its value, 1 decimal
	case "$1" in *none*) echo none; return ;; esac
	awk "BEGIN { printf \"%.1f\", $1 }"
}
pct() { # A B: A's difference from B in %
	case "$1$2" in *none*) echo "?"; return ;; esac
	awk "BEGIN { printf \"%+.2f%%\", 100 * (($1) - ($2)) / ($2) }"
}

LEVELS="pid comm unit cgroup"
rows() { # JOB LEVEL: the counters of a level's rows
	if [ "$2" = pid ]; then
		echo "wattprobe_process_joules_total{job=\"$1\"}"
	else
		echo "wattprobe_group_joules_total{job=\"$1\",group_by=\"$2\"}"
	fi
}
while [ $(($(date +%s) - t0)) -lt 85 ]; do sleep 1; done
now=$(date +%s)

# Every page: from each scrape to the one before (offset by the scrape interval; the series
# on both), evaluated at every second of the run; the largest miss in joules.
for job in fast:1s slow:15s; do
	jb=${job%:*} o=${job#*:}
	d() { echo "(sum($1) - sum($1 offset $o))"; }
	host=$(d "wattprobe_host_joules_total{job=\"$jb\"}")
	idle=$(d "wattprobe_idle_joules_total{job=\"$jb\"}")
	for l in $LEVELS; do
		r=$(rows "$jb" "$l")
		oth=$(d "wattprobe_others_joules_total{job=\"$jb\",group_by=\"$l\"}")
		miss=$(q "max_over_time(abs($host - $idle - $oth - (sum($r - $r offset $o) or vector(0)))[80s:1s])" $now)
		pages=$(q "count_over_time(($host)[80s:1s])" $now)
		check "$jb scrapes, level $l: at every page (evaluated $pages times) the level + its others + idle changed as the host did; largest miss $miss J" \
			is "$miss < 1e-6 && $pages > 5"
	done
	# ... and the check sees a level matched with another level's others
	r=$(rows "$jb" comm)
	oth=$(d "wattprobe_others_joules_total{job=\"$jb\",group_by=\"pid\"}")
	miss=$(q "max_over_time(abs($host - $idle - $oth - (sum($r - $r offset $o) or vector(0)))[80s:1s])" $now)
	check "... and the same check of comm's rows with pid's others misses ($miss J)" is "$miss > 1e-3"
done

# The recording rules at 15 s scrapes over 1m: per level, attributed + others + idle = host
# and the shares add up to 1, at three times; the counters' own increase() beside them.
# The rules hold what they saw at their last evaluation (every second, later on a loaded
# machine), so the host's and idle's rates are taken at that evaluation's own time, and the
# three times fall 3, 7 and 11 s after a 15 s scrape, not beside one: a rule evaluated just
# before a scrape next to a rate() just after it once missed by 17%.
last=$(q 'max(timestamp(up{job="slow"}))' $now)
last=${last%.*}
case "$last" in none | "") last=$now ;; esac
[ $((now - last)) -ge 12 ] || last=$((last - 15))
for at in $((last + 3)) $((last + 7)) $((last + 11)); do
	for l in $LEVELS; do
		sel="{job=\"slow\",group_by=\"$l\"}"
		ts=$(q "max(timestamp(instance_group_by:wattprobe_attributed_joules:rate1m$sel))" $at)
		case "$ts" in none) ts=$at ;; esac
		idle=$(q "sum(rate(wattprobe_idle_joules_total{job=\"slow\"}[1m]))" $ts)
		host=$(q "sum(rate(wattprobe_host_joules_total{job=\"slow\"}[1m]))" $ts)
		att=$(q "sum(instance_group_by:wattprobe_attributed_joules:rate1m$sel)" $at)
		oth=$(q "sum(instance_group_by:wattprobe_others_joules:rate1m$sel)" $at)
		share=$(q "sum(instance_group_by:wattprobe_attributed_joules:ratio_rate1m$sel) + sum(instance_group_by:wattprobe_others_joules:ratio_rate1m$sel) + sum(instance:wattprobe_idle_joules:ratio_rate1m{job=\"slow\"})" $at)
		own=$(q "(sum(increase($(rows slow "$l")[1m])) + sum(increase(wattprobe_others_joules_total$sel[1m]))) / 60" $ts)
		check "rules, 15 s scrapes, level $l at $(date -d @$at +%T): $(j "$att") + $(j "$oth") + $(j "$idle") W = $(j "$att + $oth + $idle") W, host $(j "$host") W ($(pct "$att + $oth + $idle" "$host")); shares add up to $share (the counters' own increase(): $(pct "$own + $idle" "$host"))" \
			is "$host > 0 && $att > 0 && $oth >= -0.02 * $host && ($att + $oth + $idle - $host) <= 0.02 * $host && ($host - $att - $oth - $idle) <= 0.02 * $host && ($share - 1) <= 0.02 && (1 - $share) <= 0.02"
	done
done

# The counters' own increases at 1 s scrapes, 60 s windows that end 80 and 85 s in.
for at in $((now - 5)) $now; do
	host=$(q 'sum(increase(wattprobe_host_joules_total{job="fast"}[60s]))' $at)
	idle=$(q 'sum(increase(wattprobe_idle_joules_total{job="fast"}[60s]))' $at)
	for l in $LEVELS; do
		part=$(q "sum(increase($(rows fast "$l")[60s]))" $at)
		oth=$(q "sum(increase(wattprobe_others_joules_total{job=\"fast\",group_by=\"$l\"}[60s]))" $at)
		check "fast scrapes, level $l, 60 s to $(date -d @$at +%T): rows + others + idle = $(j "$part + $oth + $idle") J, host $(j "$host") J ($(pct "$part + $oth + $idle" "$host")); the rows hold $(j "$part") J of the $(j "$host - $idle") J attributed" \
			is "$host > 0 && $part > 0.5 && ($part + $oth + $idle - $host) <= 0.02 * $host && ($host - $part - $oth - $idle) <= 0.02 * $host"
	done
	long=$(q 'sum(increase(wattprobe_process_joules_total{job="fast",comm="long-a"}[60s]))' $at)
	check "... long-a's series counts ($(j "$long") J)" is "$long > 0.5"
done
# the churn reached the series: the long ones went live, and more came and went than stayed
for n in long-a long-b long-c; do
	v=$(q "max(max_over_time(wattprobe_process_joules_total{job=\"fast\",comm=\"$n\"}[90s]))" $now)
	check "$n had a series that counted ($v J)" is "$v > 0"
done
seen=$(q 'count(count by (pid, start) (count_over_time(wattprobe_process_joules_total{job="fast"}[90s])))' $now)
shown=$(q 'count(wattprobe_process_joules_total{job="fast"})' $now)
check "process series came and went: $seen over the run, $shown at the end" is "$seen > $shown"
dups=$(curl -s "http://127.0.0.1:$pport/metrics" |
	awk '/^prometheus_target_scrapes_sample_duplicate_timestamp_total / { print $2 }')
check "Prometheus rejected no sample as a duplicate ($dups)" test "$dups" = 0
kill $churn $(cat "$TMP/churn.pids") 2>/dev/null
finish
