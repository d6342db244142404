#!/bin/sh
# The deployment files, without a Docker engine or a cluster:
# - deploy/entrypoint.sh: the exact wattprobe command line for each way it is called (a
#   fake wattprobe on PATH prints its arguments);
# - deploy/kubernetes/**/*.yaml: they parse and hold what Kubernetes and wattprobe need,
#   and so does what kubectl kustomize makes of the base and its overlays;
# - Dockerfile and .dockerignore: bookworm stages, a non-root USER, an ENTRYPOINT, a build
#   stage that builds from what it copies (run here as a plain make), runtime packages
#   that hold every library the binary needs;
# - deploy/wattprobe.service: systemd-analyze verify, and its security exposure;
# - as root: the real agent, started with exactly the capabilities the DaemonSet and the
#   unit give, reads a root-only RAPL file through the mounts the manifests use; under
#   strace, it makes no system call the unit's filter would refuse.
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/../.." || exit 1

EP=deploy/entrypoint.sh
SH=$(command -v dash || echo sh)	# the image's /bin/sh is dash
chmod 755 "$TMP"			# the checks that run as nobody read from here

# --- entrypoint -------------------------------------------------------------------------
mkdir -p "$TMP/fakebin" "$TMP/nohost"
cat >"$TMP/fakebin/wattprobe" <<'EOF'
#!/bin/sh
[ -n "${FAKE_PIDFILE:-}" ] && echo $$ >"$FAKE_PIDFILE"
printf '<%s>' "$@"
echo
EOF
chmod 755 "$TMP/fakebin/wattprobe"

# ep [VAR=value...] -- [ARG...]: run the entrypoint in a clean environment; its stdout
# (the fake's arguments) in $TMP/ep.out, stderr in $TMP/ep.err, status in $st
ep() {
	vars=""
	while [ "$#" -gt 0 ] && [ "$1" != -- ]; do
		vars="$vars
$1"
		shift
	done
	[ "$#" -gt 0 ] && shift
	(
		IFS='
'
		set -f
		# shellcheck disable=SC2086
		exec env -i PATH="$TMP/fakebin:/usr/sbin:/usr/bin:/sbin:/bin" \
			WATTPROBE_HOST_SYS="$TMP/nohost" $vars "$SH" "$EP" "$@"
	) >"$TMP/ep.out" 2>"$TMP/ep.err"
	st=$?
}
# expect DESCRIPTION EXPECTED: the fake wattprobe was called with exactly EXPECTED
expect() {
	got=$(cat "$TMP/ep.out")
	if [ "$st" -eq 0 ] && [ "$got" = "$2" ]; then
		ok "$1"
	else
		fail "$1"
		printf '        expected: wattprobe %s\n        got:      wattprobe %s (exit %s)\n' \
			"$2" "$got" "$st"
		sed 's/^/        stderr: /' "$TMP/ep.err"
	fi
}

ep --
expect "no arguments: prometheus on all interfaces, dropping to wattprobe" \
	"<prometheus><--listen><0.0.0.0:9725><--user><wattprobe>"
check "... and says RAPL is not mounted at \$WATTPROBE_HOST_SYS/class" \
	grep -q "$TMP/nohost/class is not mounted" "$TMP/ep.err"
ep -- json
expect "json: JSON Lines, dropping to wattprobe" "<json><--user><wattprobe>"
ep -- top -c 1
expect "top -c 1 is passed through unchanged" "<top><-c><1>"
ep -- --help
expect "--help is passed through unchanged" "<--help>"
ep WATTPROBE_INTERVAL=5 --
expect "WATTPROBE_INTERVAL=5 adds --interval 5" \
	"<prometheus><--listen><0.0.0.0:9725><--user><wattprobe><--interval><5>"
ep WATTPROBE_INTERVAL=5 -- top -c 1
expect "... but not to a passed-through command" "<top><-c><1>"
ep WATTPROBE_INTERVAL=2 -- json --comm 'nginx: worker' -n 3
expect "json OPTIONS: the caller's options come last, spaces kept" \
	"<json><--user><wattprobe><--interval><2><--comm><nginx: worker><-n><3>"
ep -- prometheus --listen 127.0.0.1:9999
expect "prometheus --listen: the caller's --listen comes after the default (and wins)" \
	"<prometheus><--listen><0.0.0.0:9725><--user><wattprobe><--listen><127.0.0.1:9999>"
ep WATTPROBE_LISTEN=0.0.0.0:9100 WATTPROBE_USER= WATTPROBE_TOP=10 WATTPROBE_GROUP_BY=container \
	WATTPROBE_SENSOR=rapl WATTPROBE_CGROUP=/kubepods.slice WATTPROBE_INTERVAL= --
expect "every variable maps to its option; empty ones add nothing" \
	"<prometheus><--listen><0.0.0.0:9100><--top><10><--group-by><container><--sensor><rapl><--cgroup></kubepods.slice>"
ep WATTPROBE_USER= WATTPROBE_GROUP_BY=vm WATTPROBE_VM_EXPORT=/run/wattprobe/vms --
expect "WATTPROBE_VM_EXPORT adds --vm-export (a KVM host, docs/vms.md)" \
	"<prometheus><--listen><0.0.0.0:9725><--group-by><vm><--vm-export></run/wattprobe/vms>"

mkdir -p "$TMP/hs/class/powercap"
ep WATTPROBE_HOST_SYS="$TMP/hs" -- json
expect "a mounted \$WATTPROBE_HOST_SYS/class/powercap becomes --powercap-root" \
	"<json><--user><wattprobe><--powercap-root><$TMP/hs/class/powercap>"
check "... with nothing on stderr" test ! -s "$TMP/ep.err"
ep WATTPROBE_POWERCAP_ROOT=/srv/pc -- json
expect "WATTPROBE_POWERCAP_ROOT wins" "<json><--user><wattprobe><--powercap-root></srv/pc>"
ep WATTPROBE_HOST_SYS="$TMP/hs" WATTPROBE_POWERCAP_ROOT= -- json
expect "WATTPROBE_POWERCAP_ROOT= (empty) leaves wattprobe's default" "<json><--user><wattprobe>"

# a sidecar finds its pod's cgroup from the pod UID, with either kubelet cgroup driver
uid=0e6f1e2a-6c2b-4f51-9d0e-3a1b2c3d4e5f
mkdir -p "$TMP/cg1/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod$(echo $uid | tr - _).slice/cri-containerd-abc.scope" \
	"$TMP/cg1/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod11111111_2222_3333_4444_555555555555.slice" \
	"$TMP/cg2/kubepods/burstable/pod$uid/abc"
ep WATTPROBE_POD_UID=$uid WATTPROBE_CGROUP_FS="$TMP/cg1" WATTPROBE_USER= --
expect "WATTPROBE_POD_UID, systemd driver: --cgroup of the pod's slice" \
	"<prometheus><--listen><0.0.0.0:9725><--cgroup></kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod$(echo $uid | tr - _).slice>"
ep WATTPROBE_POD_UID=$uid WATTPROBE_CGROUP_FS="$TMP/cg2" WATTPROBE_USER= --
expect "WATTPROBE_POD_UID, cgroupfs driver: --cgroup of the pod's folder" \
	"<prometheus><--listen><0.0.0.0:9725><--cgroup></kubepods/burstable/pod$uid>"
# cgroup v1 and hybrid nodes: a tmpfs of hierarchies (each with its cgroup.procs), the pod
# at the same path in each; "cpu" a link to "cpu,cpuacct", as systemd mounts them
for h in blkio cpu,cpuacct memory pids systemd unified; do
	mkdir -p "$TMP/cg3/$h/kubepods/burstable/pod$uid/abc"
	: >"$TMP/cg3/$h/cgroup.procs"
	[ "$h" = unified ] && continue
	mkdir -p "$TMP/cg4/$h/kubepods/burstable/pod$uid/abc"
	: >"$TMP/cg4/$h/cgroup.procs"
done
ln -s cpu,cpuacct "$TMP/cg3/cpu"
ep WATTPROBE_POD_UID=$uid WATTPROBE_CGROUP_FS="$TMP/cg3" WATTPROBE_USER= --
expect "WATTPROBE_POD_UID, hybrid node: the pod's path in its hierarchy, not /blkio/... or /unified/..." \
	"<prometheus><--listen><0.0.0.0:9725><--cgroup></kubepods/burstable/pod$uid>"
ep WATTPROBE_POD_UID=$uid WATTPROBE_CGROUP_FS="$TMP/cg4" WATTPROBE_USER= --
expect "WATTPROBE_POD_UID, cgroup v1 node: the same" \
	"<prometheus><--listen><0.0.0.0:9725><--cgroup></kubepods/burstable/pod$uid>"
ep WATTPROBE_POD_UID=$uid WATTPROBE_CGROUP=/x WATTPROBE_CGROUP_FS="$TMP/cg2" WATTPROBE_USER= --
expect "WATTPROBE_CGROUP wins over WATTPROBE_POD_UID" \
	"<prometheus><--listen><0.0.0.0:9725><--cgroup></x>"
ep WATTPROBE_POD_UID=99999999-0000-0000-0000-000000000000 WATTPROBE_CGROUP_FS="$TMP/cg1" --
check "a pod UID with no cgroup exits 1 and runs nothing" \
	sh -c "[ $st -eq 1 ] && [ ! -s '$TMP/ep.out' ] && grep -q 'no cgroup of pod' '$TMP/ep.err'"
ep 'WATTPROBE_POD_UID=*' WATTPROBE_CGROUP_FS="$TMP/cg1" --
check "a pod UID that is not one exits 2" sh -c "[ $st -eq 2 ] && [ ! -s '$TMP/ep.out' ]"

FAKE_PIDFILE="$TMP/fake.pid" PATH="$TMP/fakebin:$PATH" WATTPROBE_HOST_SYS="$TMP/hs" \
	"$SH" "$EP" json >/dev/null 2>&1 &
pid=$!
wait $pid
check "the entrypoint execs wattprobe (same PID: signals reach the agent)" \
	test "$(cat "$TMP/fake.pid" 2>/dev/null)" = "$pid"

if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	cp "$EP" "$TMP/ep.sh"
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all \
		env -i PATH="$TMP/fakebin:/usr/bin:/bin" WATTPROBE_HOST_SYS="$TMP/hs" \
		"$SH" "$TMP/ep.sh" >"$TMP/ep.out" 2>"$TMP/ep.err"
	st=$?
	expect "started as a non-root user: no --user (it would need CAP_SETUID)" \
		"<prometheus><--listen><0.0.0.0:9725><--powercap-root><$TMP/hs/class/powercap>"
	check "... and says to start the container as root with the few capabilities" \
		sh -c "grep -q 'without CAP_BPF' '$TMP/ep.err' && grep -q -- '--user 0:0' '$TMP/ep.err'"
else
	echo "  skip  entrypoint started as a non-root user (needs root and setpriv)"
fi

if command -v shellcheck >/dev/null; then
	check "shellcheck deploy/entrypoint.sh" shellcheck -s sh "$EP"
else
	echo "  skip  shellcheck (not installed)"
fi

# --- Kubernetes manifests -------------------------------------------------------------------
if ! python3 -c 'import yaml' 2>/dev/null; then
	fail "python3 cannot import yaml: install python3-yaml (scripts/deps.sh does)"
else
	# the manifests as they are (every file below deploy/kubernetes, but kustomize's own),
	# then each kustomize base and overlay as kubectl renders it
	manifests() {
		python3 - "$@" <<'EOF'
import glob, os, re, sys, yaml

caps_out, whole, files = sys.argv[1], sys.argv[2] == "whole", sys.argv[3:]
DNS1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
CAPS = {"BPF", "PERFMON", "SYS_NICE", "SETUID", "SETGID", "SETPCAP"}
MOUNTS = {"/host/sys/class": "/sys/class", "/host/sys/devices/virtual": "/sys/devices/virtual",
          "/sys/fs/cgroup": "/sys/fs/cgroup"}
WORKLOADS = {"DaemonSet", "Deployment", "StatefulSet", "Pod"}

# a FAIL line for each broken expectation, one ok line for each object that has none
fails, passed, failed_here = 0, 0, 0
def check(ok, what):
    global fails, passed, failed_here
    if ok:
        passed += 1
    else:
        print("  FAIL  " + what)
        fails += 1
        failed_here += 1
    return ok
def done(what):
    global passed, failed_here
    if not failed_here:
        print(f"  ok    {what} ({passed} checks)")
    passed, failed_here = 0, 0

def check_workload(d, kind, meta, where, fname, kinds):
    if kind == "Pod":
        tmeta, spec = meta, d.get("spec") or {}
    else:
        sel = ((d.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        tmpl = (d.get("spec") or {}).get("template") or {}
        tmeta, spec = tmpl.get("metadata") or {}, tmpl.get("spec") or {}
        labels = tmeta.get("labels") or {}
        check(bool(sel) and all(labels.get(k) == v for k, v in sel.items()),
              f"{where}: spec.selector.matchLabels {sel} must match the template's labels {labels}")
    check(spec.get("hostPID") is True, f"{where}: hostPID: true (host PIDs, the host's /proc)")
    ann = tmeta.get("annotations") or {}
    check(ann.get("prometheus.io/scrape") == "true" and ann.get("prometheus.io/port") == "9725",
          f"{where}: annotations prometheus.io/scrape \"true\" and prometheus.io/port \"9725\" "
          f"(strings), got {ann}")
    if kind == "DaemonSet":
        check(any(t.get("operator") == "Exists" and not t.get("key")
                  for t in spec.get("tolerations") or []),
              f"{where}: a toleration with operator Exists and no key (every node)")
        sa = spec.get("serviceAccountName")
        check(sa is not None and ("ServiceAccount", sa) in kinds,
              f"{where}: serviceAccountName {sa} must be a ServiceAccount of the file")
    containers = spec.get("containers") or []
    names = [c.get("name") for c in containers]
    check(len(containers) > 0, f"{where}: no containers")
    check(all(isinstance(n, str) and DNS1123.match(n) for n in names) and len(set(names)) == len(names),
          f"{where}: container names must be valid and unique, got {names}")
    check(all(c.get("image") for c in containers), f"{where}: a container has no image")
    volumes = {v.get("name"): v for v in spec.get("volumes") or []}
    wps = [c for c in containers if c.get("name") == "wattprobe"]
    if not check(len(wps) == 1, f"{where}: needs one container named wattprobe"):
        return
    c = wps[0]
    sc = c.get("securityContext") or {}
    cap = sc.get("capabilities") or {}
    add = set(cap.get("add") or [])
    check(cap.get("drop") == ["ALL"], f"{where}: capabilities must drop [ALL], got {cap.get('drop')}")
    check(add == CAPS, f"{where}: capabilities must add exactly {sorted(CAPS)}, got {sorted(add)}")
    check(sc.get("runAsUser") == 0, f"{where}: runAsUser must be 0 (added capabilities reach root "
          f"only; wattprobe drops to its user), got {sc.get('runAsUser')}")
    check(sc.get("allowPrivilegeEscalation") is False and sc.get("privileged") is not True,
          f"{where}: must not be privileged, allowPrivilegeEscalation false")
    check(sc.get("readOnlyRootFilesystem") is True, f"{where}: readOnlyRootFilesystem: true")
    ports = c.get("ports") or []
    check(any(p.get("containerPort") == 9725 for p in ports), f"{where}: containerPort 9725")
    pnames = {p.get("name") for p in ports if p.get("containerPort") == 9725}
    for probe in ("livenessProbe", "readinessProbe"):
        hg = (c.get(probe) or {}).get("httpGet") or {}
        check(hg.get("path") == "/metrics" and (hg.get("port") == 9725 or hg.get("port") in pnames),
              f"{where}: {probe} must GET /metrics on 9725, got {hg}")
    res = c.get("resources") or {}
    check(all(k in (res.get(s) or {}) for s in ("requests", "limits") for k in ("cpu", "memory")),
          f"{where}: resources requests and limits for cpu and memory, got {res}")
    mounts = {m.get("mountPath"): m for m in c.get("volumeMounts") or []}
    for path, host in MOUNTS.items():
        m = mounts.get(path)
        v = volumes.get(m.get("name")) if m else None
        check(m is not None and m.get("readOnly") is True and v is not None
              and (v.get("hostPath") or {}).get("path") == host,
              f"{where}: the host's {host} must be mounted read-only at {path}")
    for m in c.get("volumeMounts") or []:
        check(m.get("name") in volumes, f"{where}: volumeMount {m.get('name')} has no volume")
    args = c.get("args") or []
    check(not args or args[0] in ("prometheus", "json"),
          f"{where}: args must start with an entrypoint mode (prometheus, json), got {args[:1]}")
    if fname == "sidecar.yaml":
        env = {e.get("name"): e for e in c.get("env") or []}
        ref = ((env.get("WATTPROBE_POD_UID") or {}).get("valueFrom") or {}).get("fieldRef") or {}
        check(ref.get("fieldPath") == "metadata.uid",
              f"{where}: WATTPROBE_POD_UID must come from the downward API (metadata.uid)")
    if kind == "DaemonSet" or fname == "sidecar.yaml":
        # kubelet's log folders name containers and pods without the API server
        for path in ("/var/log/pods", "/var/log/containers"):
            m = mounts.get(path)
            v = volumes.get(m.get("name")) if m else None
            check(m is not None and m.get("readOnly") is True and v is not None
                  and (v.get("hostPath") or {}).get("path") == path,
                  f"{where}: the host's {path} must be mounted read-only at {path}")
        pods.append((tmeta.get("labels") or {}, {p.get("name") for p in ports}))
        with open(caps_out, "w") as out:
            out.write(",".join("+" + x.lower() for x in sorted(add)))
        # its levels, for the real agent below
        env = {e.get("name"): e.get("value") for e in c.get("env") or []}
        with open(caps_out + ".group-by", "w") as out:
            out.write(env.get("WATTPROBE_GROUP_BY") or "")

def selects(sel, labels):
    return bool(sel) and all(labels.get(k) == v for k, v in sel.items())

def check_podmonitor(d, where):
    spec = d.get("spec") or {}
    sel = (spec.get("selector") or {}).get("matchLabels") or {}
    eps = spec.get("podMetricsEndpoints") or []
    check(any(selects(sel, l) for l, _ in pods),
          f"{where}: spec.selector.matchLabels {sel} must select the DaemonSet's pods")
    check(len(eps) > 0 and all(e.get("port") in names and e.get("path", "/metrics") == "/metrics"
                               for e in eps for _, names in pods[:1]),
          f"{where}: podMetricsEndpoints must scrape the DaemonSet's named port at /metrics, got {eps}")

def check_service(d, where):
    spec = d.get("spec") or {}
    ports = spec.get("ports") or []
    check(any(selects(spec.get("selector") or {}, l) for l, _ in pods),
          f"{where}: spec.selector must select the DaemonSet's pods")
    check(spec.get("clusterIP") == "None", f"{where}: headless (clusterIP: None): one agent per node")
    check(len(ports) > 0 and all(p.get("name") and p.get("targetPort") in names
                                 for p in ports for _, names in pods[:1]),
          f"{where}: ports must be named and target the pods' named port, got {ports}")

def check_servicemonitor(d, where):
    spec = d.get("spec") or {}
    sel = (spec.get("selector") or {}).get("matchLabels") or {}
    eps = spec.get("endpoints") or []
    svc = [s for s in services if selects(sel, (s.get("metadata") or {}).get("labels") or {})]
    check(len(svc) == 1, f"{where}: spec.selector.matchLabels {sel} must select one Service, got {len(svc)}")
    names = {p.get("name") for s in svc for p in (s.get("spec") or {}).get("ports") or []}
    ns = (spec.get("namespaceSelector") or {}).get("matchNames") or []
    check(all((s.get("metadata") or {}).get("namespace") in ns for s in svc) and bool(ns),
          f"{where}: namespaceSelector.matchNames {ns} must hold the Service's namespace")
    check(len(eps) > 0 and all(e.get("port") in names and e.get("path", "/metrics") == "/metrics"
                               for e in eps),
          f"{where}: endpoints must scrape the Service's named port at /metrics, got {eps}")

kinds_found = set()
for f in files:
    with open(f) as fh:
        try:
            kinds_found |= {d.get("kind") for d in yaml.safe_load_all(fh) if isinstance(d, dict)}
        except yaml.YAMLError:
            pass
if whole:
    check({"DaemonSet", "Deployment", "PodMonitor", "Service", "ServiceMonitor"} <= kinds_found,
          "deploy/kubernetes holds the DaemonSet, the sidecar (Deployment), a PodMonitor, and a "
          f"Service with its ServiceMonitor (found: {sorted(k for k in kinds_found if k)})")
# a file may use a Namespace made by another (the monitors and the Service, the DaemonSet's)
pods, monitors, services, all_ns = [], [], [], set()
for f in files:
    try:
        with open(f) as fh:
            all_ns |= {(d.get("metadata") or {}).get("name") for d in yaml.safe_load_all(fh)
                       if isinstance(d, dict) and d.get("kind") == "Namespace"}
    except yaml.YAMLError:
        pass
for f in files:
    fname = os.path.basename(f)
    try:
        with open(f) as fh:
            docs = [d for d in yaml.safe_load_all(fh) if d is not None]
    except yaml.YAMLError as e:
        check(False, f"{fname} does not parse: {e}")
        continue
    check(len(docs) > 0 and all(isinstance(d, dict) for d in docs),
          f"{fname}: must hold objects (mappings)")
    done(f"{fname} parses ({len(docs)} objects)")
    docs = [d for d in docs if isinstance(d, dict)]
    kinds = {(d.get("kind"), (d.get("metadata") or {}).get("name")) for d in docs}
    for d in docs:
        kind, meta = d.get("kind"), d.get("metadata") or {}
        where = f"{fname}: {kind}/{meta.get('name')}"
        check(bool(d.get("apiVersion")) and bool(kind), f"{where}: apiVersion and kind are required")
        check(isinstance(meta.get("name"), str) and DNS1123.match(meta["name"]) is not None
              and len(meta["name"]) <= 63, f"{where}: metadata.name must be a DNS-1123 label")
        if kind != "Namespace":
            ns = meta.get("namespace")
            check(ns is not None and (("Namespace", ns) in kinds or
                                      (kind in ("PodMonitor", "ServiceMonitor", "Service")
                                       and ns in all_ns)),
                  f"{where}: metadata.namespace ({ns}) must be a Namespace of the file")
        if kind in WORKLOADS:
            check_workload(d, kind, meta, where, fname, kinds)
        if kind in ("PodMonitor", "ServiceMonitor"):
            check(d.get("apiVersion") == "monitoring.coreos.com/v1",
                  f"{where}: apiVersion monitoring.coreos.com/v1")
            monitors.append((d, where))
        elif kind == "Service":
            services.append(d)
            monitors.append((d, where))
        else:
            done(where)
for d, where in monitors:
    {"PodMonitor": check_podmonitor, "ServiceMonitor": check_servicemonitor,
     "Service": check_service}[d["kind"]](d, where)
    done(where)
sys.exit(fails)
EOF
	}
	# shellcheck disable=SC2046
	manifests "$TMP/k8s-caps" whole $(find deploy/kubernetes -name '*.yaml' ! -name kustomization.yaml | sort)
	FAILS=$((FAILS + $?))

	# the kustomize base and its two overlays, rendered by kubectl (Debian's
	# kubernetes-client: kubectl 1.20 with kustomize 2.0, or a later one), each checked
	# as the files are; then the overlay of docs/deployment.md, "Kustomize"
	if command -v kubectl >/dev/null 2>&1; then
		kinds() { grep '^kind:' "$1" | awk '{print $2}' | sort | tr '\n' ' '; }
		# rendered FILE: the checks of the files, on what kubectl made (failures only)
		rendered() {
			manifests "$TMP/kz-caps" part "$1" >"$TMP/kz.out"
			st=$?
			grep -v '^  ok' "$TMP/kz.out"
			check "... and it holds to the checks of the files ($(basename "$1"))" test "$st" -eq 0
		}
		for k in base podmonitor servicemonitor; do
			kubectl kustomize "deploy/kubernetes/$k" >"$TMP/kustomize-$k.yaml" 2>"$TMP/kz.err"
			check "kubectl kustomize deploy/kubernetes/$k renders ($(kinds "$TMP/kustomize-$k.yaml"))" \
				test $? -eq 0 -a -s "$TMP/kustomize-$k.yaml"
			rendered "$TMP/kustomize-$k.yaml"
		done
		check "... the base: the namespace, its service account and the DaemonSet" \
			test "$(kinds "$TMP/kustomize-base.yaml")" = "DaemonSet Namespace ServiceAccount "
		check "... podmonitor: with a PodMonitor, no ServiceMonitor" \
			test "$(kinds "$TMP/kustomize-podmonitor.yaml")" = "DaemonSet Namespace PodMonitor ServiceAccount "
		check "... servicemonitor: with a Service and a ServiceMonitor, no PodMonitor" \
			test "$(kinds "$TMP/kustomize-servicemonitor.yaml")" = "DaemonSet Namespace Service ServiceAccount ServiceMonitor "
		ov=$TMP/overlay
		mkdir -p "$ov"
		for f in kustomization.yaml settings.yaml; do
			awk -v f="    # my-wattprobe/$f" '$0 == f { on = 1 } on && /^$/ { exit } on { print substr($0, 5) }' \
				docs/deployment.md >"$ov/$f"
		done
		rel=$(python3 -c 'import os, sys; print(os.path.relpath(sys.argv[1], sys.argv[2]))' "$(pwd)" "$ov")
		sed -i "s|\.\./wattprobe/|$rel/|" "$ov/kustomization.yaml"
		kubectl kustomize "$ov" >"$TMP/kustomize-mine.yaml" 2>"$TMP/kz.err"
		check "docs/deployment.md's overlay renders: the image, the grouping and the label it sets" \
			sh -c "grep -q 'image: registry.example/wattprobe:0.2.0' '$TMP/kustomize-mine.yaml' &&
				grep -A1 'name: WATTPROBE_GROUP_BY' '$TMP/kustomize-mine.yaml' | grep -q 'value: pod' &&
				grep -q 'release: kube-prometheus-stack' '$TMP/kustomize-mine.yaml'"
		rendered "$TMP/kustomize-mine.yaml"
	else
		echo "  skip  kubectl kustomize (kubectl is not installed: scripts/deps.sh installs Debian's kubernetes-client)"
	fi
fi

# --- Dockerfile, .dockerignore, and its build stage run as a plain make --------------------
python3 - Dockerfile .dockerignore "$TMP/ctx" "$TMP/image-bin" <<'EOF'
import json, os, re, shutil, subprocess, sys

dockerfile, ignore, ctx, bin_out = sys.argv[1:5]
fails = 0
def check(ok, what, detail=""):
    global fails
    print(("  ok    " if ok else "  FAIL  ") + what)
    if not ok and detail:
        print("        " + detail.strip().replace("\n", "\n        "))
    fails += not ok
    return ok

# the legacy builder (Docker's default before 23, and Debian 12's docker.io 20.10) and an
# offline build: no frontend to fetch (# syntax=), no BuildKit-only flags or heredocs
text = open(dockerfile).read()
check(not re.search(r"^\s*#\s*syntax\s*=", text, re.M | re.I),
      "no `# syntax=` directive (BuildKit would fetch that frontend from a registry)")
bk = [l.strip() for l in text.splitlines() if not l.lstrip().startswith("#") and
      (re.search(r"--(chmod|link|mount|network|security|parents|exclude|checksum|keep-git-dir)\b", l)
       or re.search(r"<<-?\s*['\"]?[A-Z]+", l))]
check(not bk, "no BuildKit-only feature (COPY --chmod/--link, RUN --mount, heredocs)",
      "\n".join(bk))
# logical lines: continuations joined, comments dropped
lines, cur = [], ""
for raw in open(dockerfile):
    s = raw.rstrip("\n")
    if not cur and s.lstrip().startswith("#"):
        continue
    if s.endswith("\\"):
        cur += s[:-1] + " "
        continue
    cur += s
    if cur.strip():
        lines.append(cur.strip())
    cur = ""
stages, args = [], {}
for l in lines:
    instr, _, rest = l.partition(" ")
    instr = instr.upper()
    if instr == "ARG" and not stages:
        # an ARG before the first FROM names the base image; --build-arg can change it
        name, _, default = rest.strip().partition("=")
        args[name] = default
    if instr == "FROM":
        image = re.sub(r"\$\{?(\w+)\}?", lambda m: args.get(m.group(1), m.group(0)), rest.split()[0])
        stages.append({"from": image, "alias": rest.split()[-1] if " AS " in rest.upper() else None,
                       "lines": []})
    elif stages:
        stages[-1]["lines"].append((instr, rest.strip()))
check(len(stages) >= 2, f"Dockerfile is multi-stage ({len(stages)} stages)")
for s in stages:
    check(re.match(r"^debian:bookworm(-slim)?(@sha256:[0-9a-f]{64})?$", s["from"]) is not None,
          f"FROM {s['from']} is Debian 12 (bookworm)")
build, run = stages[0], stages[-1]
check(run["from"].startswith("debian:bookworm-slim"), "the runtime stage is bookworm-slim")
def get(stage, instr):
    return [r for i, r in stage["lines"] if i == instr]
users = get(run, "USER")
check(bool(users) and users[-1].split(":")[0] not in ("root", "0"),
      f"the runtime stage sets a non-root USER ({users[-1] if users else 'none'})")
eps = get(run, "ENTRYPOINT")
try:
    ep = json.loads(eps[-1]) if eps else None
except ValueError:
    ep = None
check(isinstance(ep, list) and len(ep) >= 1, f"the runtime stage has an exec-form ENTRYPOINT ({eps})")
copies = [r.split() for r in get(run, "COPY")]
from_build = [c for c in copies if c[0].startswith("--from=")]
check(len(from_build) == 1 and len(copies) == 1 and from_build[0][-1] == "/",
      "the runtime stage takes what it runs in one COPY --from the build stage, onto /")
check(not any(re.search(r"\bchmod\b", r) for r in get(run, "RUN")),
      "no RUN chmod in the runtime stage (a layer of its own, copies of both files)")
check(any("9725" in r for r in get(run, "EXPOSE")), "EXPOSE 9725")
check(not any(re.match(r"https?://", w) for r in get(build, "ADD") + get(run, "ADD") for w in r.split()),
      "nothing is downloaded with ADD")
for s in stages:
    for r in get(s, "RUN"):
        if "apt-get install" in r:
            check("--no-install-recommends" in r and "rm -rf /var/lib/apt/lists" in r,
                  f"FROM {s['from']}: apt-get install --no-install-recommends, lists removed")
            # a base made with debootstrap keeps every downloaded .deb (79 MB here) unless
            # told: Debian's official image has an apt.conf.d file that removes them
            check(re.search(r"apt-get install.*&& apt-get clean\b", r) is not None,
                  f"FROM {s['from']}: apt-get clean in the same RUN as apt-get install")
run_pkgs = set()
for r in get(run, "RUN"):
    m = re.search(r"apt-get install (.*?)(&&|$)", r)
    if m:
        run_pkgs |= {w for w in m.group(1).split() if not w.startswith("-")}

# .dockerignore, as Docker reads it: the last matching pattern wins, a pattern also
# matches a file through the file's parent folders
pats = []
for l in open(ignore):
    l = l.strip()
    if not l or l.startswith("#"):
        continue
    neg = l.startswith("!")
    p = l[1:] if neg else l
    p = os.path.normpath(p).lstrip("/")
    rx = "^" + re.escape(p).replace(r"\*\*", ".*").replace(r"\*", "[^/]*").replace(r"\?", "[^/]") + "$"
    pats.append((neg, re.compile(rx), p.count("/") + 1))
def excluded(path):
    out = False
    parts = path.split("/")
    for neg, rx, n in pats:
        if rx.match(path) or (len(parts) > n and rx.match("/".join(parts[:n]))):
            out = not neg
    return out

# the build stage: copy what it copies, run its make
workdir = (get(build, "WORKDIR") or ["/"])[-1]
os.makedirs(ctx)
for c in [r.split() for r in get(build, "COPY")]:
    srcs = [w for w in c[:-1] if not w.startswith("--")]
    for s in srcs:
        s = os.path.normpath(s)
        if not check(os.path.exists(s) and not excluded(s),
                     f"build stage: COPY {s} exists and .dockerignore lets it in"):
            continue
        dst = os.path.join(ctx, s)
        if os.path.isdir(s):
            shutil.copytree(s, dst)
        else:
            os.makedirs(os.path.dirname(dst) or ctx, exist_ok=True)
            shutil.copy2(s, dst)
check(excluded("build/wattprobe") and excluded(".git/config"),
      ".dockerignore keeps build/ and .git out of the context")
makes = [r for r in get(build, "RUN") if re.match(r"make\b", r)]
if check(len(makes) == 1, "the build stage runs make"):
    # make, then what follows it in the build stage (what the image gets, with its modes)
    runs = get(build, "RUN")
    after = runs[runs.index(makes[0]):]
    p = subprocess.run(["sh", "-ec", " && ".join(after)], cwd=ctx, capture_output=True, text=True)
    tree = os.path.join(ctx, os.path.relpath(from_build[0][-2], workdir)) if from_build else ""
    built = os.path.join(tree, "usr/local/sbin/wattprobe")
    epath = os.path.join(tree, ep[0].lstrip("/")) if ep else ""
    check(bool(epath) and os.path.isfile(epath) and
          open(epath, "rb").read() == open("deploy/entrypoint.sh", "rb").read() and
          os.stat(epath).st_mode & 0o777 == 0o755,
          "the ENTRYPOINT is deploy/entrypoint.sh, at the path it names, mode 0755")
    if check(p.returncode == 0 and os.path.isfile(built) and os.stat(built).st_mode & 0o777 == 0o755,
             f"`{makes[0]}` and the steps after it make /usr/local/sbin/wattprobe (mode 0755) "
             "from the copied files alone", (p.stdout + p.stderr)[-3000:]):
        shutil.copy2(built, bin_out)
        # every library it loads comes from a runtime package (or libc6, in the base image)
        needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(.*?)\]",
                            subprocess.run(["readelf", "-d", built], capture_output=True,
                                           text=True).stdout)
        cache = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout
        for lib in needed:
            m = re.search(r"^\s*" + re.escape(lib) + r" \(.*?\) => (\S+)$", cache, re.M)
            pkg = None
            if m:
                path = m.group(1)
                for cand in (path, os.path.realpath(path), "/usr" + path):
                    q = subprocess.run(["dpkg", "-S", cand], capture_output=True, text=True)
                    if q.returncode == 0:
                        pkg = q.stdout.split(":")[0]
                        break
            check(pkg is not None and (pkg in run_pkgs or pkg == "libc6"),
                  f"{lib} (package {pkg}) is installed in the runtime stage")

hadolint = shutil.which("hadolint")
if hadolint:
    # DL3008: Debian point releases replace package versions, pins would break the build
    p = subprocess.run([hadolint, "--ignore", "DL3008", dockerfile], capture_output=True, text=True)
    check(p.returncode == 0, "hadolint Dockerfile", p.stdout + p.stderr)
else:
    print("  skip  hadolint (not installed)")
sys.exit(fails)
EOF
FAILS=$((FAILS + $?))

# --- systemd unit -------------------------------------------------------------------------------
UNIT=deploy/wattprobe.service
check "the unit runs /usr/local/sbin/wattprobe prometheus (make install rewrites that path)" \
	grep -q '^ExecStart=/usr/local/sbin/wattprobe prometheus' "$UNIT"
sdir=$(sed -n 's/^StateDirectory=//p' "$UNIT")
check "its --state-file is in its StateDirectory ($sdir), the one place it may write" \
	grep -q "^ExecStart=.* --state-file /var/lib/${sdir:-none}/[^ /]" "$UNIT"
check "systemctl reload sends SIGHUP, which never ends the agent (ExecReload)" \
	grep -q '^ExecReload=/bin/kill -HUP \$MAINPID$' "$UNIT"
amb=$(sed -n 's/^AmbientCapabilities=//p' "$UNIT")
bnd=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT")
check "AmbientCapabilities and CapabilityBoundingSet are the same set ($amb)" \
	test -n "$amb" -a "$amb" = "$bnd"
if command -v systemd-analyze >/dev/null; then
	mkdir -p "$TMP/unit"
	# as make install does, pointing at a binary that exists (verify checks ExecStart)
	bin=$(pwd)/$WP
	[ -x "$bin" ] || bin=$TMP/image-bin
	[ -x "$bin" ] || bin=/bin/true	# no build: the unit's syntax is still worth checking
	sed "s|/usr/local/sbin/wattprobe|$bin|" "$UNIT" >"$TMP/unit/wattprobe.service"
	# its own warnings name it; other units of this machine are not its business
	if systemd-analyze verify "$TMP/unit/wattprobe.service" >"$TMP/verify" 2>&1 &&
		! grep -q -e wattprobe -e "$bin" "$TMP/verify"; then
		ok "systemd-analyze verify deploy/wattprobe.service"
	else
		fail "systemd-analyze verify deploy/wattprobe.service"
		sed 's/^/        /' "$TMP/verify"
	fi
	if systemd-analyze security --help 2>/dev/null | grep -q -- '--offline'; then
		systemd-analyze security --offline=yes --threshold=25 "$TMP/unit/wattprobe.service" \
			>"$TMP/security" 2>&1
		st=$?
		level=$(grep -o 'exposure level for [^:]*: [0-9.]*' "$TMP/security" | awk '{print $NF}')
		if [ $st -eq 0 ]; then
			ok "systemd-analyze security: exposure $level, at most 2.5"
		else
			fail "systemd-analyze security: exposure $level, at most 2.5"
			grep '✗' "$TMP/security" | sed 's/^/        /'
		fi
	else
		echo "  skip  systemd-analyze security --offline (this systemd is too old)"
	fi
else
	echo "  skip  systemd-analyze verify (systemd-analyze is not installed)"
fi

# --- the real agent, with exactly the privileges the deployments give it (root) ------------
if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null || [ ! -x "$TMP/image-bin" ]; then
	echo "  skip  the agent under the deployments' privileges (needs root, setpriv, a build)"
	finish
	exit 0
fi
# the host's sysfs as the manifests mount it at /host/sys: /sys/class/powercap holds
# relative links into /sys/devices/virtual/powercap, energy_uj is root-only
hs=$TMP/hostsys
zone=devices/virtual/powercap/intel-rapl/intel-rapl:0
mkdir -p "$hs/$zone" "$hs/class/powercap" "$TMP/bin"
echo package-0 >"$hs/$zone/name"
echo 262143328850 >"$hs/$zone/max_energy_range_uj"
echo 123456789 >"$hs/$zone/energy_uj"
chmod 0400 "$hs/$zone/energy_uj"
ln -s ../../devices/virtual/powercap/intel-rapl/intel-rapl:0 "$hs/class/powercap/intel-rapl:0"
# a counter that does not move is a gap, never 0 W: keep it moving, as real ones do
"$OUT/tools/fakerapl" --root "$hs/devices/virtual/powercap/intel-rapl" --package 0:30 \
	--no-constraints >/dev/null &
PIDS="$PIDS $!"
ln -s "$TMP/image-bin" "$TMP/bin/wattprobe"

# Docker and Kubernetes: uid 0, the DaemonSet's capabilities as the bounding set (a
# runtime's root gets exactly those), and its levels, through the entrypoint; the host has
# no user wattprobe, so nobody stands in for it
caps=$(cat "$TMP/k8s-caps" 2>/dev/null)
levels=$(cat "$TMP/k8s-caps.group-by" 2>/dev/null)
if [ -n "$caps" ]; then
	setpriv --bounding-set=-all,"$caps" --inh-caps=-all \
		env -i PATH="$TMP/bin:/usr/bin:/bin" WATTPROBE_HOST_SYS="$hs" WATTPROBE_USER=nobody \
		WATTPROBE_GROUP_BY="$levels" \
		"$SH" "$EP" json -c 2 -i 0.2 --sensor rapl >"$TMP/k8s.out" 2>"$TMP/k8s.err"
	st=$?
	if [ $st -eq 0 ] && tail -1 "$TMP/k8s.out" | jqe ".sensor == \"rapl\" and .host.energy_j != null and
		(if .levels then [.levels[].group_by] else [.group_by] end | join(\",\")) == \"$levels\""; then
		ok "as the DaemonSet runs it (root, capabilities $caps, levels $levels): loads, reads the root-only RAPL file through /host/sys, drops to a user"
	else
		fail "as the DaemonSet runs it (root, capabilities $caps, levels $levels): loads, reads the root-only RAPL file through /host/sys, drops to a user"
		sed 's/^/        /' "$TMP/k8s.err"
	fi
fi

# systemd: a user that is not root, the unit's ambient capabilities, under strace
sdcaps=$(echo "$amb" | tr '[:upper:]' '[:lower:]' | sed 's/cap_/+/g; s/ /,/g')
# its StateDirectory, as systemd makes it: the user's, writable by it alone
mkdir -p "$TMP/sd" && chown 65534:65534 "$TMP/sd" && chmod 755 "$TMP/sd"
# a root-only Docker root, as dockerd keeps it: the agent forks its name helper, which
# keeps CAP_DAC_READ_SEARCH alone; its system calls are traced too
mkdir -p "$TMP/sd-docker/containers" && chmod 0710 "$TMP/sd-docker" "$TMP/sd-docker/containers"
port=$(free_port)
tracer=""
command -v strace >/dev/null && tracer="strace -f -qq -o $TMP/sd/trace"
# shellcheck disable=SC2086
setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all,"$sdcaps" \
	--ambient-caps=-all,"$sdcaps" --bounding-set=-all,"$sdcaps" \
	$tracer "$TMP/image-bin" prometheus --listen "127.0.0.1:$port" -c 8 -i 0.25 --sensor rapl \
	--powercap-root "$hs/class/powercap" --docker-root "$TMP/sd-docker" \
	--state-file "$TMP/sd/baselines" >/dev/null 2>"$TMP/sd.err" &
sdpid=$!
# the first page with a sample (503 before it), while it runs its 8 intervals
i=0
while [ $i -lt 50 ]; do
	curl -s "http://127.0.0.1:$port/metrics" >"$TMP/sd.metrics" 2>/dev/null &&
		grep -q '^wattprobe_sensor_info' "$TMP/sd.metrics" && break
	sleep 0.1
	i=$((i + 1))
done
wait $sdpid
st=$?
if [ $st -eq 0 ] && grep -q 'wattprobe_sensor_info{sensor="rapl"' "$TMP/sd.metrics"; then
	ok "as the unit runs it (uid 65534, ambient $amb): serves RAPL energy from the root-only file"
else
	fail "as the unit runs it (uid 65534, ambient $amb): serves RAPL energy from the root-only file"
	sed 's/^/        /' "$TMP/sd.err"
fi
if [ -n "$tracer" ] && [ -s "$TMP/sd/trace" ]; then
	check "... and sets its ring buffer's drain thread at nice -20 (the unit's CAP_SYS_NICE)" \
		grep -Eq 'setpriority\(PRIO_PROCESS, [0-9]+, -20\) += 0' "$TMP/sd/trace"
fi
# the unit's --state-file, written at exit by the agent without privileges, in a directory
# of its own as StateDirectory= makes it
check "... and keeps its idle baselines in --state-file (the unit's StateDirectory)" \
	sh -c "grep -q '^wattprobe-baselines' '$TMP/sd/baselines' && [ \"\$(stat -c %u '$TMP/sd/baselines')\" = 65534 ]"
nodac=$(echo "$sdcaps" | sed 's/,*+dac_read_search//')
setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all,"$nodac" \
	--ambient-caps=-all,"$nodac" --bounding-set=-all,"$nodac" \
	"$TMP/image-bin" json -c 1 -i 0.2 --sensor rapl --powercap-root "$hs/class/powercap" \
	>/dev/null 2>"$TMP/nodac.err"
st=$?
check "... and without CAP_DAC_READ_SEARCH it cannot (so the check above means something)" \
	sh -c "[ $st -eq 1 ] && grep -q 'Permission denied' '$TMP/nodac.err'"

if [ -n "$tracer" ] && [ -s "$TMP/sd/trace" ]; then
	# what the unit's SystemCallFilter, RestrictAddressFamilies and MemoryDenyWriteExecute allow
	filter=$(sed -n 's/^SystemCallFilter=//p' "$UNIT")
	python3 - "$TMP/sd/trace" "$filter" <<'EOF'
import re, subprocess, sys

trace, filt = sys.argv[1], sys.argv[2].split()
groups, cur = {}, None
for l in subprocess.run(["systemd-analyze", "syscall-filter"], capture_output=True,
                        text=True).stdout.splitlines():
    s = l.strip()
    if not s or s.startswith("#"):
        continue
    if not l.startswith(" "):
        cur = groups.setdefault(s, set())
    elif cur is not None:
        cur.add(s)
def expand(names, seen=()):
    out = set()
    for n in names:
        if n.startswith("@") and n not in seen:
            out |= expand(groups.get(n, ()), seen + (n,))
        elif not n.startswith("@"):
            out.add(n)
    return out
allowed = expand(filt)
used, families, wx = set(), set(), []
for l in open(trace):
    m = re.match(r"^\d+\s+([a-z0-9_]+)\((.*)", l)
    if not m:
        continue
    used.add(m.group(1))
    if m.group(1) == "socket":
        families.add(m.group(2).split(",")[0])
    if m.group(1) in ("mmap", "mprotect", "pkey_mprotect") and "PROT_WRITE" in l and "PROT_EXEC" in l:
        wx.append(l.strip())
fails = 0
def check(ok, what):
    global fails
    print(("  ok    " if ok else "  FAIL  ") + what)
    fails += not ok
# execve is the tracer starting it, before the unit's filter would apply
refused = sorted(used - allowed - {"execve"})
check(bool(allowed) and not refused,
      f"... it makes only system calls SystemCallFilter={' '.join(filt)} allows ({len(used)} kinds)"
      + (f"; refused: {refused}" if refused else ""))
check(families <= {"AF_INET", "AF_INET6", "AF_UNIX"},
      f"... it opens only AF_INET, AF_INET6, AF_UNIX sockets ({sorted(families)})")
check(not wx, "... it never maps memory writable and executable (MemoryDenyWriteExecute)"
      + ("".join("\n        " + w for w in wx[:3])))
sys.exit(fails)
EOF
	FAILS=$((FAILS + $?))
else
	echo "  skip  system calls against the unit's filter (strace is not installed)"
fi

finish
