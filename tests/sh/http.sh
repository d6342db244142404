#!/bin/sh
# The HTTP endpoint against a live agent, as scrapers and hostile clients meet it:
# a first page at once, --listen forms, gzip, the HTTP odds (NUL in the target,
# no Host), a slowloris while a scraper must still be served within a second,
# and TLS with basic authentication from a web config file, scraped by a real
# Prometheus server; bad web config files fail with clear errors. Needs root.
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
check "... and Vary names Accept-Encoding (and Accept: the format follows it too)" grep -qi '^Vary: Accept, Accept-Encoding' "$TMP/gz.h"
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

# --- TLS and basic authentication from a web config, scraped by a real Prometheus -------------
chmod 711 "$TMP"
mkdir -m 755 "$TMP/tls"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
	-keyout "$TMP/tls/server.key" -out "$TMP/tls/server.crt" 2>"$TMP/openssl.err" ||
	cat "$TMP/openssl.err"
chmod 600 "$TMP/tls/server.key"	# root's only: read before the drop to nobody
chmod 644 "$TMP/tls/server.crt"
# bcrypt as htpasswd -B makes it ($2y$ is $2b$ under another name), cost 10
bcrypt() {
	python3 -W ignore -c 'import crypt, sys
print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << int(sys.argv[2]))))' "$1" "$2"
}
hash=$(bcrypt 's3cret pass' 10 | sed 's/^\$2b\$/$2y$/')
cat >"$TMP/tls/web.yml" <<EOF
tls_server_config:
  cert_file: server.crt
  key_file: server.key
basic_auth_users:
  prometheus: $hash
EOF
chmod 644 "$TMP/tls/web.yml"
port=$(free_port)
url="https://127.0.0.1:$port/metrics"
# from $TMP: cert_file and key_file are relative to the config file's folder, not to here
wp=$(cd "$(dirname "$WP")" && pwd)/$(basename "$WP")
(cd "$TMP" && exec "$wp" prometheus --listen "127.0.0.1:$port" --web.config.file tls/web.yml \
	--user nobody -i 0.5 >/dev/null 2>"$TMP/tls.err") &
agent=$!
PIDS="$PIDS $agent"
CURL_TLS="--cacert $TMP/tls/server.crt"
i=0
while [ $i -lt 200 ] && [ "$(code $CURL_TLS "https://127.0.0.1:$port/")" = 000 ]; do
	sleep 0.1
	i=$((i + 1))
done
# (a bcrypt check that cannot finish within its deadline on a loaded machine is a 503
# with Retry-After: 1, as designed; then once more)
c=$(code $CURL_TLS -u 'prometheus:s3cret pass' "$url")
[ "$c" != 503 ] || { sleep 1.1; c=$(code $CURL_TLS -u 'prometheus:s3cret pass' "$url"); }
check "https with the password: 200 (agent runs as nobody; the key is root's only) ($c)" \
	test "$c" = 200
curl -s $CURL_TLS -D "$TMP/401.h" -o /dev/null "$url"
check "no password: 401 with WWW-Authenticate: Basic" \
	sh -c "head -1 '$TMP/401.h' | grep -q ' 401' && grep -qi '^WWW-Authenticate: Basic realm=' '$TMP/401.h'"
curl -s $CURL_TLS -D "$TMP/401w.h" -o /dev/null -u 'prometheus:s3cret' "$url"
check "a wrong password: 401 with WWW-Authenticate" \
	sh -c "head -1 '$TMP/401w.h' | grep -q ' 401' && grep -qi '^WWW-Authenticate: Basic' '$TMP/401w.h'"
# (a loaded machine may spend the second's bcrypt budget on the two checks before:
# 503 with Retry-After: 1, as designed; then once more)
c=$(code $CURL_TLS -u "root:s3cret pass" "$url")
[ "$c" != 503 ] || { sleep 1.1; c=$(code $CURL_TLS -u "root:s3cret pass" "$url"); }
check "an unknown user: 401 ($c)" test "$c" = 401
check "plain HTTP on the TLS port gets no page" \
	sh -c "[ \"\$(curl -s -m 3 -o /dev/null -w '%{http_code}' http://127.0.0.1:$port/metrics)\" != 200 ]"
check "TLS 1.2 is taken, TLS 1.1 refused (the toolkit's default min_version TLS12)" \
	sh -c "openssl s_client -connect 127.0.0.1:$port -tls1_2 </dev/null >/dev/null 2>&1 &&
	! openssl s_client -connect 127.0.0.1:$port -tls1_1 -cipher DEFAULT@SECLEVEL=0 </dev/null >/dev/null 2>&1"

pport=$(free_port)
cat >"$TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: wattprobe
    scheme: https
    tls_config:
      ca_file: $TMP/tls/server.crt
    basic_auth:
      username: prometheus
      password: 's3cret pass'
    static_configs:
      - targets: ["127.0.0.1:$port"]
  - job_name: wrong-password
    # a bcrypt per scrape (no cache for a wrong password): room for it on a loaded machine
    scrape_interval: 3s
    scrape_timeout: 3s
    scheme: https
    tls_config:
      ca_file: $TMP/tls/server.crt
    basic_auth:
      username: prometheus
      password: guess
    static_configs:
      - targets: ["127.0.0.1:$port"]
EOF
check "Prometheus starts" start_prometheus "$TMP/prometheus.yml" "$pport"
q() {
	curl -s "http://127.0.0.1:$pport/api/v1/query" --data-urlencode "query=$1" |
		jq -r '.data.result[0].value[1] // empty'
}
lasterr() {
	curl -s "http://127.0.0.1:$pport/api/v1/targets" |
		jq -r '.data.activeTargets[] | select(.labels.job == "wrong-password") | .lastError'
}
up=""
down=""
watts=""
lasterr=""
i=0
while [ $i -lt 30 ] && { [ "$up" != 1 ] || [ "$down" != 0 ] || [ -z "$watts" ] ||
	! echo "$lasterr" | grep -q 401; }; do
	sleep 1
	up=$(q 'up{job="wattprobe"}')
	down=$(q 'up{job="wrong-password"}')
	watts=$(q 'wattprobe_host_watts{job="wattprobe"}')
	lasterr=$(lasterr)
	i=$((i + 1))
done
check "Prometheus scrapes over https with the password: up 1, host power $watts W" \
	sh -c "[ '$up' = 1 ] && echo '$watts' | grep -Eq '^[0-9]+(\.[0-9]+)?$'"
check "... and with a wrong password: up 0, '$lasterr'" \
	sh -c "[ '$down' = 0 ] && echo '$lasterr' | grep -q 401"
check "the agent said nothing on stderr" test ! -s "$TMP/tls.err"
kill $agent
wait $agent 2>/dev/null

# --- bad web config files: clear errors, exit 2 (content) or 1 (a file unreadable), ---------
# found before anything is loaded: run as nobody, who could not load BPF
mkdir -m 755 "$TMP/bad"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=other \
	-keyout "$TMP/bad/other.key" -out "$TMP/bad/other.crt" 2>/dev/null
openssl pkey -in "$TMP/tls/server.key" -aes256 -passout pass:x -out "$TMP/bad/enc.key"
cp "$TMP/tls/server.crt" "$TMP/tls/server.key" "$TMP/bad/"
chmod 644 "$TMP/bad/"*
cp "$TMP/tls/server.key" "$TMP/bad/root-only.key"
chmod 600 "$TMP/bad/root-only.key"
bad() { # NAME STATUS PATTERN TEXT: web config $TMP/bad/NAME.yml holding TEXT fails so
	# (not from a pipe: a pipeline's last command runs in a subshell, which would lose FAILS)
	printf '%s\n' "$4" >"$TMP/bad/$1.yml"
	chmod 644 "$TMP/bad/$1.yml"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$WP" prometheus -c 1 \
		--web.config.file "$TMP/bad/$1.yml" >/dev/null 2>"$TMP/bad/$1.err"
	st=$?
	check "web config $1: exit $2, '$(head -1 "$TMP/bad/$1.err" | sed "s|$TMP/||g")'" \
		sh -c "[ $st -eq $2 ] && grep -q \"$3\" '$TMP/bad/$1.err' && ! grep -q CAP_BPF '$TMP/bad/$1.err'"
}
bad unknown-key 2 "unknown-key.yml:4: unknown key 'cert_fil' in tls_server_config" \
	"$(printf 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  cert_fil: x\n')"
bad plaintext-password 2 "password of user 'prometheus' is not a bcrypt hash" \
	"$(printf 'basic_auth_users:\n  prometheus: s3cret\n')"
bad not-yaml 2 "not-yaml.yml:3: not valid YAML" \
	"$(printf 'tls_server_config:\n  cert_file: server.crt\n   key_file: [\n')"
bad missing-cert 1 "failed to read cert_file .*none.crt: No such file or directory" \
	"$(printf 'tls_server_config:\n  cert_file: none.crt\n  key_file: server.key\n')"
bad unreadable-key 1 "failed to read key_file .*root-only.key: Permission denied" \
	"$(printf 'tls_server_config:\n  cert_file: server.crt\n  key_file: root-only.key\n')"
bad mismatched-key 2 "key_file .*/bad/other.key does not go with cert_file .*/bad/server.crt" \
	"$(printf 'tls_server_config:\n  cert_file: server.crt\n  key_file: other.key\n')"
bad encrypted-key 2 "key_file .*/bad/enc.key is encrypted" \
	"$(printf 'tls_server_config:\n  cert_file: server.crt\n  key_file: enc.key\n')"
bad key-as-cert 2 "cert_file .*/bad/server.key holds no PEM certificate" \
	"$(printf 'tls_server_config:\n  cert_file: server.key\n  key_file: server.key\n')"
setpriv --reuid=65534 --regid=65534 --clear-groups "$WP" prometheus \
	--web.config.file "$TMP/bad/none.yml" >/dev/null 2>"$TMP/err"
st=$?
check "a missing --web.config.file: exit 1 ($(cat "$TMP/err" | sed "s|$TMP/||g"))" \
	sh -c "[ $st -eq 1 ] && grep -q 'failed to read --web.config.file' '$TMP/err'"
# a FIFO would wait for a writer for ever (and SIGTERM with it): refused at once
mkfifo "$TMP/bad/fifo.yml"
timeout -k 2 10 "$WP" prometheus -c 1 --web.config.file "$TMP/bad/fifo.yml" >/dev/null 2>"$TMP/err"
st=$?
check "a FIFO as --web.config.file: exit 2 at once ($(sed "s|$TMP/||g" "$TMP/err"))" \
	sh -c "[ $st -eq 2 ] && grep -q 'is not a regular file' '$TMP/err'"
bad cost-17 2 "the hash of user 'prometheus' has cost 17, above 14" \
	"$(printf 'basic_auth_users:\n  prometheus: %s\n' "$(echo "$hash" | sed 's/^\$2y\$10/$2y$17/')")"

# --- password checks beside the server: SIGTERM within 2 s while they run ---------------------
# cost 14 (most of a second each); 20 wrong passwords queue more checks than that
slow=$(bcrypt 'right pass' 14)
printf 'basic_auth_users:\n  prometheus: %s\n' "$slow" >"$TMP/slow.yml"
port=$(free_port)
"$WP" prometheus --listen "127.0.0.1:$port" --web.config.file "$TMP/slow.yml" -i 0.5 \
	>/dev/null 2>"$TMP/slow.err" &
agent=$!
PIDS="$PIDS $agent"
wait_url "http://127.0.0.1:$port/" 20
c=$(code -u 'prometheus:right pass' "http://127.0.0.1:$port/metrics")
for i in $(seq 20); do
	curl -s -m 20 -o /dev/null -u "prometheus:guess$i" "http://127.0.0.1:$port/metrics" &
done
sleep 0.5
cached=$(code -m 2 -u 'prometheus:right pass' "http://127.0.0.1:$port/metrics")
t0=$(date +%s%N)
kill -TERM $agent
wait $agent
st=$?
ms=$((($(date +%s%N) - t0) / 1000000))
check "cost 14: a scrape with the password ($c), then again while 20 checks wait: $cached" \
	test "$c$cached" = 200200
check "SIGTERM while checks run: exit 0 within 2 s (${ms} ms)" \
	sh -c "[ $st -eq 0 ] && [ $ms -lt 2000 ]"
finish
