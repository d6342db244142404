#!/bin/sh
# The HTTP endpoint against a live agent, as scrapers and hostile clients meet it:
# a first page at once, --listen forms, gzip, the HTTP odds (NUL in the target,
# no Host), and a slowloris while a scraper must still be served within a
# second. Needs root.
. "$(dirname "$0")/lib.sh"

# get URL: "CODE" of a GET with curl (000 when nothing answered)
code() { curl -s -m 5 -o /dev/null -w '%{http_code}' "$@"; }
# a raw request (printf escapes), the status line's code, or "none"
raw() {
	python3 - "$1" "$2" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(sys.argv[2].encode().decode("unicode_escape").encode("latin1"))
data = b""
try:
    while True:
        d = s.recv(65536)
        if not d:
            break
        data += d
except OSError:
    pass
print(data.split(b" ")[1].decode() if data.startswith(b"HTTP/") else "none")
PY
}

# --- a first page at once, even at one sample an hour --------------------------------------
port=$(free_port)
"$WP" prometheus --listen "127.0.0.1:$port" -i 3600 >/dev/null 2>"$TMP/agent.err" &
agent=$!
PIDS="$PIDS $agent"
wait_url "http://127.0.0.1:$port/" 20
first=""
i=0
while [ $i -lt 30 ]; do
	first=$(code "http://127.0.0.1:$port/metrics")
	[ "$first" = 200 ] && break
	sleep 0.1
	i=$((i + 1))
done
check "-i 3600: /metrics answers 200 within 3 s of serving, not 503 for an hour ($first after $i tries)" \
	test "$first" = 200
curl -s "http://127.0.0.1:$port/metrics" >"$TMP/first.prom"
check "... with a whole page (promtool check metrics)" \
	sh -c "promtool check metrics <'$TMP/first.prom' >'$TMP/lint' 2>&1 || { cat '$TMP/lint'; false; }"

# --- gzip, as node_exporter and Prometheus do it --------------------------------------------
curl -s -D "$TMP/gz.h" -H 'Accept-Encoding: gzip' -o "$TMP/page.gz" "http://127.0.0.1:$port/metrics"
curl -s -o "$TMP/page" "http://127.0.0.1:$port/metrics"
check "Accept-Encoding: gzip gets Content-Encoding: gzip" grep -qi '^Content-Encoding: gzip' "$TMP/gz.h"
check "... and Vary: Accept-Encoding" grep -qi '^Vary: Accept-Encoding' "$TMP/gz.h"
check "... which gzip -d turns into the same page, byte for byte ($(wc -c <"$TMP/page.gz") of $(wc -c <"$TMP/page") bytes)" \
	sh -c "gzip -dc '$TMP/page.gz' | cmp -s - '$TMP/page'"
curl -s -D "$TMP/id.h" -o /dev/null "http://127.0.0.1:$port/metrics"
check "no Accept-Encoding: the page as it is" sh -c "! grep -qi '^Content-Encoding' '$TMP/id.h'"

# --- the odds of issue 11 --------------------------------------------------------------------
check "GET /metrics\\0/../etc/passwd answers 400" \
	test "$(raw "$port" 'GET /metrics\0/../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')" = 400
check "GET /metrics%00 answers 404" \
	test "$(raw "$port" 'GET /metrics%00 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')" = 404
check "an HTTP/1.1 request without Host answers 400" \
	test "$(raw "$port" 'GET /metrics HTTP/1.1\r\nConnection: close\r\n\r\n')" = 400
check "an HTTP/1.0 request without Host answers 200" \
	test "$(raw "$port" 'GET /metrics HTTP/1.0\r\n\r\n')" = 200
check "a query string is allowed and ignored" test "$(code "http://127.0.0.1:$port/metrics?x=1")" = 200

# --- slowloris: 150 connections from 50 addresses trickling headers, reconnecting when --
# closed, while a new client scrapes every half second from an address of its own (a
# process of its own too: its times must not wait for the attacker's)
python3 - "$port" 150 9 >"$TMP/loris" 2>&1 <<'PY' &
import selectors, socket, sys, time
port, n, dur = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
sel = selectors.DefaultSelector()
conns = {}
closed = 0
def open_one(i):
    s = socket.socket()
    s.setblocking(False)
    s.bind(("127.0.0.%d" % (2 + i % 50), 0))
    try:
        s.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    conns[s] = [i, 0]
    sel.register(s, selectors.EVENT_READ)
for i in range(n):
    open_one(i)
end, last = time.time() + dur, 0
while time.time() < end:
    for key, _ in sel.select(0.1):
        s = key.fileobj
        try:
            d = s.recv(100)
        except OSError:
            d = b""
        if not d:
            i, _ = conns.pop(s)
            sel.unregister(s)
            s.close()
            closed += 1
            open_one(i)
    if time.time() - last >= 1:
        last = time.time()
        for s, st in list(conns.items()):
            try:
                s.send(b"GET /metrics HTTP/1.1\r\nHost: x\r\n" if st[1] == 0 else b"X-Slow: 1\r\n")
                st[1] += 1
            except OSError:
                pass
print("%d connections closed by the agent" % closed)
PY
loris=$!
sleep 1
python3 - "$port" 7 >"$TMP/scrapes" 2>&1 <<'PY'
import socket, sys, time
port, dur = int(sys.argv[1]), float(sys.argv[2])
lat, codes = [], []
end = time.time() + dur
while time.time() < end:
    t0 = time.time()
    try:
        c = socket.socket()
        c.bind(("127.0.0.250", 0))
        c.settimeout(5)
        c.connect(("127.0.0.1", port))
        c.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            d = c.recv(65536)
            if not d:
                break
            data += d
        c.close()
        codes.append(data.split(b" ")[1].decode() if data else "none")
    except OSError as e:
        codes.append(type(e).__name__)
    lat.append(time.time() - t0)
    time.sleep(0.5)
bad = [c for c in codes if c != "200"]
print("%d scrapes, %d not 200, the slowest in %.3f s" % (len(codes), len(bad), max(lat)))
sys.exit(1 if bad or max(lat) >= 1.0 else 0)
PY
st=$?
wait $loris
check "slowloris (150 trickling connections, 50 addresses): every scrape 200 within 1 s ($(cat "$TMP/scrapes"); $(cat "$TMP/loris"))" \
	test $st -eq 0
check "... and the agent lives on" kill -0 $agent
kill $agent
wait $agent 2>/dev/null

# --- --listen forms --------------------------------------------------------------------------
p1=$(free_port)
p2=$(free_port)
p3=$(free_port)
"$WP" prometheus --listen "localhost:$p1" -i 0.5 >/dev/null 2>&1 &
a1=$!
"$WP" prometheus --listen ":$p2" -i 0.5 >/dev/null 2>&1 &
a2=$!
"$WP" prometheus --listen "[::1]:$p3" -i 0.5 >/dev/null 2>&1 &
a3=$!
PIDS="$PIDS $a1 $a2 $a3"
wait_url "http://127.0.0.1:$p1/" 20
wait_url "http://127.0.0.1:$p2/" 20
wait_url "http://[::1]:$p3/" 20
check "--listen localhost:PORT serves on 127.0.0.1" test "$(code "http://127.0.0.1:$p1/")" = 200
check "--listen :PORT serves on 127.0.0.1" test "$(code "http://127.0.0.1:$p2/")" = 200
if [ -e /proc/net/if_inet6 ]; then
	check "--listen :PORT serves on [::1] too" test "$(code "http://[::1]:$p2/")" = 200
	check "--listen [::1]:PORT serves on [::1]" test "$(code "http://[::1]:$p3/")" = 200
	check "... and not on 127.0.0.1" test "$(code "http://127.0.0.1:$p3/")" = 000
else
	echo "  skip  IPv6 forms: no IPv6 on this host"
fi
kill $a1 $a2 $a3
wait $a1 $a2 $a3 2>/dev/null
# a bad value is a usage error found before anything is loaded: as nobody, who cannot load
# BPF, the answer is still exit 2 about --listen, not exit 1 about CAP_BPF
for v in abc 127.0.0.1:99999 "::1:80" "[::1]" "no-such-host.invalid:9725" "127.1:80"; do
	setpriv --reuid=65534 --regid=65534 --clear-groups "$WP" prometheus --listen "$v" \
		>/dev/null 2>"$TMP/err"
	st=$?
	check "--listen '$v' exits 2 before loading anything ($(head -1 "$TMP/err"))" \
		sh -c "[ $st -eq 2 ] && grep -qF -- \"--listen '$v'\" '$TMP/err'"
done

finish
