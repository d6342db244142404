#!/bin/sh
# The Grafana dashboard and the recording rules against what the agent serves:
# promtool checks and unit-tests the rules; every metric the dashboard and the
# rules name is served by a live agent (by pid with RAPL subzones and psys, by
# unit, and by container); a real Prometheus scraping the agents, with the rules loaded,
# answers every query of the dashboard and every recorded series with data.
. "$(dirname "$0")/lib.sh"
PARSE="python3 $(dirname "$0")/promparse.py"
DASH=deploy/grafana/wattprobe.json
RULES=deploy/prometheus/wattprobe.rules.yml

check "promtool check rules $RULES" sh -c "promtool check rules $RULES >'$TMP/out' 2>&1 || { cat '$TMP/out'; false; }"
check "promtool test rules: the rules' unit tests pass" \
	sh -c "cd deploy/prometheus && promtool test rules wattprobe.rules.test.yml >'$TMP/out' 2>&1 || { cat '$TMP/out'; false; }"
# Record names follow Prometheus' level:metric:operations: a rate of a counter keeps the
# counter's name without _total (a rate of joules is watts, its name stays joules); a
# ratio says ratio_ in its operations (its metric the numerator's, a share of the host's);
# "attributed" is the sum of the process or group counters, a level's "others" may be
# derived as host - idle - attributed, and a rule may take its metric from a recorded
# series of that metric (level:metric:operations in its expression).
python3 - "$RULES" <<'EOF2'
import re, sys, yaml
bad = []
for g in yaml.safe_load(open(sys.argv[1]))["groups"]:
    for r in g["rules"]:
        name, expr = r.get("record"), r.get("expr", "")
        if not name:
            continue
        parts = name.split(":")
        if len(parts) != 3:
            bad.append(f"{name}: not level:metric:operations")
            continue
        level, metric, ops = parts
        used = set(re.findall(r"\b(wattprobe_[a-z_]+)", expr))
        unit = metric.rsplit("_", 1)[-1]
        recorded = re.search(r"[a-z_]+:" + metric + r":[a-z_0-9]+", expr)
        counted = metric + "_total" in used or bool(recorded) or (
            metric.startswith("wattprobe_attributed_") and
            bool(used & {f"wattprobe_process_{unit}_total", f"wattprobe_group_{unit}_total"})) or (
            metric.startswith("wattprobe_others_") and
            {f"wattprobe_host_{unit}_total", f"wattprobe_idle_{unit}_total"} <= used and
            re.search(r"[a-z_]+:wattprobe_attributed_" + unit + r":[a-z_0-9]+", expr))
        if "rate" in ops:
            ok = counted
        else:
            ok = metric in used
        if not ok:
            bad.append(f"{name}: the metric is not {metric}_total (or {metric}) of its expression")
print("\n".join("        " + b for b in bad))
sys.exit(1 if bad else 0)
EOF2
check "every recorded name is level:metric:operations, its metric the counter's it rates" test $? -eq 0
check "the dashboard is JSON with panels that all have queries" \
	sh -c "jq -e '[.panels[] | select(.type != \"row\")] | length > 10 and all(.[]; (.targets | length) > 0)' $DASH >/dev/null"

# What the dashboard asks for: every expression, and the variables' queries.
jq -r '[.. | objects | (.expr?, .definition?) | strings] | .[]' "$DASH" >"$TMP/exprs"
# (recorded series, level:metric:operations, are the rules' own)
cat "$TMP/exprs" "$RULES" | sed -E 's/[a-z_]+:[a-z_0-9]+:[a-z_0-9]+//g' |
	grep -oE '\b(wattprobe|process)_[a-z_]+' | sort -u >"$TMP/wanted"
check "the dashboard and the rules name $(wc -l <"$TMP/wanted") metrics" test "$(wc -l <"$TMP/wanted")" -ge 15

# Three agents: by pid on fake RAPL with a core subzone, DRAM and psys; by unit on the
# model; by container, a busy process in a cgroup shaped like Docker's (v2) and named
# by a fake Docker root, for wattprobe_group_info and the rule that joins it.
cg2=$(awk '$9 == "cgroup2" {print $5; exit}' /proc/self/mountinfo)
[ -n "$cg2" ] || { fail "no cgroup2 mount for the container agent"; finish; exit 1; }
id=$(printf 'd%063d' $$)
ctr=$cg2/wpdash$$.slice/docker-$id.scope
mkdir -p "$TMP/docker/containers/$id" "$ctr"
printf '{"ID":"%s","Name":"/web"}\n' "$id" >"$TMP/docker/containers/$id/config.v2.json"
sh -c "echo \$\$ > '$ctr/cgroup.procs' && exec '$OUT/tools/duty' 60 20" &
PIDS="$PIDS $!"
mkdir -p "$TMP/pc"
"$OUT/tools/fakerapl" --root "$TMP/pc" --package 0:30 --core 0:12 --dram 0:4 --psys 50 &
PIDS="$PIDS $!"
sleep 0.3
p1=$(free_port)
p2=$(free_port)
"$WP" prometheus --listen "127.0.0.1:$p1" -i 0.5 --rate-window 1 --sensor rapl \
	--powercap-root "$TMP/pc" >/dev/null 2>"$TMP/a1.err" &
PIDS="$PIDS $!"
"$WP" prometheus --listen "127.0.0.1:$p2" -i 0.5 --rate-window 1 --group-by unit \
	>/dev/null 2>"$TMP/a2.err" &
PIDS="$PIDS $!"
p3=$(free_port)
"$WP" prometheus --listen "127.0.0.1:$p3" -i 0.5 --rate-window 1 --group-by container \
	--docker-root "$TMP/docker" >/dev/null 2>"$TMP/a3.err" &
PIDS="$PIDS $!"
wait_url "http://127.0.0.1:$p1/metrics" 10
wait_url "http://127.0.0.1:$p2/metrics" 10
wait_url "http://127.0.0.1:$p3/metrics" 10

pport=$(free_port)
cat >"$TMP/prometheus.yml" <<CONF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $PWD/$RULES
scrape_configs:
  - job_name: wattprobe
    static_configs:
      - targets: ["127.0.0.1:$p1", "127.0.0.1:$p2", "127.0.0.1:$p3"]
CONF
check "Prometheus starts with the rules" start_prometheus "$TMP/prometheus.yml" "$pport"

sleep 2
curl -s "http://127.0.0.1:$p1/metrics" >"$TMP/page1"
curl -s "http://127.0.0.1:$p2/metrics" >"$TMP/page2"
curl -s "http://127.0.0.1:$p3/metrics" >"$TMP/page3"
for f in "$TMP/page1" "$TMP/page2" "$TMP/page3"; do $PARSE families "$f"; done | sort -u >"$TMP/served"
missing=$(comm -23 "$TMP/wanted" "$TMP/served" | tr '\n' ' ')
check "every metric they name is on the agents' pages${missing:+ (not served: $missing)}" \
	test -z "$missing"

# Every query of the dashboard, as Grafana sends it, has data; so has every rule.
sleep 6
q() {
	curl -s "http://127.0.0.1:$pport/api/v1/query" --data-urlencode "query=$1" |
		jq -r 'if .status == "success" then (.data.result | length) else "error: \(.error)" end'
}
bad=""
n=0
while IFS= read -r e; do
	e=$(printf '%s' "$e" | sed 's/\$__rate_interval/5s/g; s/\$top/10/g; s/\$job/.+/g; s/\$instance/.+/g')
	case "$e" in label_values*) e=$(printf '%s' "$e" | sed 's/^label_values(\(.*\), [a-z]*)$/\1/') ;; esac
	r=$(q "$e")
	n=$((n + 1))
	[ "$r" -gt 0 ] 2>/dev/null || bad="$bad
      $e -> $r"
done <"$TMP/exprs"
check "all $n queries of the dashboard return data from a real Prometheus$bad" test -z "$bad"
bad=""
for r in $(grep -oE 'record: [a-z_:0-9]+' "$RULES" | cut -d' ' -f2); do
	[ "$(q "$r")" -gt 0 ] 2>/dev/null || bad="$bad $r"
done
check "every recording rule records series${bad:+ (none for:$bad)}" test -z "$bad"
named=$(q 'instance_key_name:wattprobe_group_joules:rate1m{container_name="web"}')
check "... the container's watts under its name (container_name=\"web\")" test "$named" = 1
for p in $PIDS; do kill "$p" 2>/dev/null; done
wait 2>/dev/null
PIDS=""
rmdir "$ctr" "$cg2/wpdash$$.slice" 2>/dev/null
finish
