#!/bin/sh
# The Grafana dashboard and the recording rules against what the agent serves:
# promtool checks and unit-tests the rules; every metric the dashboard and the
# rules name is served by one live agent with four levels (-g pid,container,pod,unit;
# on fake RAPL with subzones and psys, a Docker container and a Kubernetes pod shaped
# as on a node, named by a fake Docker root and kubelet log folders); a real
# Prometheus scraping that one target, with the rules loaded, answers every query of
# the dashboard (at every level the dashboard's level variable offers) and every
# recorded series with data.
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
{ cat "$TMP/exprs"; grep -v "^ *- name:" "$RULES"; } | sed -E 's/[a-z_]+:[a-z_0-9]+:[a-z_0-9]+//g' |
	grep -oE '\b(wattprobe|process)_[a-z_]+' | sort -u >"$TMP/wanted"
check "the dashboard and the rules name $(wc -l <"$TMP/wanted") metrics" test "$(wc -l <"$TMP/wanted")" -ge 15

# One agent, four levels: by pid, container, pod and unit, on fake RAPL with a core
# subzone, DRAM and psys; a busy process in a cgroup shaped like Docker's (v2), named by a
# fake Docker root, and one in a pod's container (the systemd driver's cgroup), named by
# kubelet's log folders: for wattprobe_group_info and the rule that joins it.
cg2=$(awk '$9 == "cgroup2" {print $5; exit}' /proc/self/mountinfo)
[ -n "$cg2" ] || { fail "no cgroup2 mount for the container agent"; finish; exit 1; }
id=$(printf 'd%063d' $$)
ctr=$cg2/wpdash$$.slice/docker-$id.scope
mkdir -p "$TMP/docker/containers/$id" "$ctr"
printf '{"ID":"%s","Name":"/web"}\n' "$id" >"$TMP/docker/containers/$id/config.v2.json"
uid=5e1ad0b2-7c3d-4e8f-9a0b-1c2d3e$(printf '%06d' $$ | tail -c 6)
pid_id=$(printf 'c%063d' $$)
pod=$cg2/wpdash$$.slice/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod$(echo "$uid" | tr - _).slice
mkdir -p "$pod/cri-containerd-$pid_id.scope" "$TMP/log/pods/shop_api-0_$uid/app" "$TMP/log/containers"
echo log >"$TMP/log/pods/shop_api-0_$uid/app/0.log"
ln -s "/var/log/pods/shop_api-0_$uid/app/0.log" "$TMP/log/containers/api-0_shop_app-$pid_id.log"
sh -c "echo \$\$ > '$ctr/cgroup.procs' && exec '$OUT/tools/duty' 60 20" &
PIDS="$PIDS $!"
sh -c "echo \$\$ > '$pod/cri-containerd-$pid_id.scope/cgroup.procs' && exec '$OUT/tools/duty' 60 20" &
PIDS="$PIDS $!"
mkdir -p "$TMP/pc"
"$OUT/tools/fakerapl" --root "$TMP/pc" --package 0:30 --core 0:12 --dram 0:4 --psys 50 &
PIDS="$PIDS $!"
sleep 0.3
p1=$(free_port)
"$WP" prometheus --listen "127.0.0.1:$p1" -i 0.5 --rate-window 1 --sensor rapl \
	--powercap-root "$TMP/pc" -g pid,container,pod,unit --docker-root "$TMP/docker" \
	--log-root "$TMP/log" >/dev/null 2>"$TMP/a1.err" &
PIDS="$PIDS $!"
wait_url "http://127.0.0.1:$p1/metrics" 10

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
      - targets: ["127.0.0.1:$p1"]
CONF
check "Prometheus starts with the rules" start_prometheus "$TMP/prometheus.yml" "$pport"

sleep 2
curl -s "http://127.0.0.1:$p1/metrics" >"$TMP/page1"
$PARSE families "$TMP/page1" | sort -u >"$TMP/served"
missing=$(comm -23 "$TMP/wanted" "$TMP/served" | tr '\n' ' ')
check "every metric they name is on the agent's page${missing:+ (not served: $missing)}" \
	test -z "$missing"

# Every query of the dashboard, as Grafana sends it, has data; so has every rule.
sleep 6
q() {
	curl -s "http://127.0.0.1:$pport/api/v1/query" --data-urlencode "query=$1" |
		jq -r 'if .status == "success" then (.data.result | length) else "error: \(.error)" end'
}
# the levels the dashboard's variable offers: each query with $level is asked at each
levels=$(curl -s -G "http://127.0.0.1:$pport/api/v1/label/group_by/values" --data-urlencode \
	'match[]=wattprobe_others_joules_total' | jq -r '.data | join(" ")')
check "the level variable offers the agent's four levels ($levels)" test "$levels" = "container pid pod unit"
bad=""
n=0
while IFS= read -r e; do
	e=$(printf '%s' "$e" | sed 's/\$__rate_interval/5s/g; s/\$top/10/g; s/\$job/.+/g; s/\$instance/.+/g')
	case "$e" in label_values*) e=$(printf '%s' "$e" | sed 's/^label_values(\(.*\), [a-z_]*)$/\1/') ;; esac
	case "$e" in *'$level'*) ls=$levels ;; *) ls=- ;; esac
	for l in $ls; do
		x=$(printf '%s' "$e" | sed "s/\\\$level/$l/g")
		r=$(q "$x")
		n=$((n + 1))
		[ "$r" -gt 0 ] 2>/dev/null || bad="$bad
      $x -> $r"
	done
done <"$TMP/exprs"
check "all $n queries of the dashboard return data from one target in a real Prometheus$bad" test -z "$bad"
# ... and at every level the stack adds up to the host
for l in $levels; do
	stack=$(jq -r '.panels[] | select(.id == 7) | [.targets[].expr] | map("(" + . + ")") | join(" + ")' "$DASH" |
		sed "s/\\\$__rate_interval/5s/g; s/\\\$job/.+/g; s/\\\$instance/.+/g; s/\\\$level/$l/g")
	v=$(curl -s "http://127.0.0.1:$pport/api/v1/query" --data-urlencode "query=($stack) / sum(rate(wattprobe_host_joules_total[5s]))" |
		jq -r '.data.result[0].value[1] // "none"')
	check "... the stack of level $l is the host's power ($v of it)" \
		awk "BEGIN { exit !(\"$v\" != \"none\" && $v > 0.999999 && $v < 1.000001) }"
done
pods=$(q 'wattprobe_group_info{group_by="pod",pod_name="api-0",pod_namespace="shop"}')
check "the pod is named by kubelet's folders (shop/api-0)" test "$pods" = 1
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
rmdir "$ctr" "$pod/cri-containerd-$pid_id.scope" "$pod" "${pod%/*}" "${pod%/*/*}" \
	"$cg2/wpdash$$.slice" 2>/dev/null
finish
