#!/bin/sh
# json --flat through a real rsyslog, as a log shipper reads it: imfile follows
# the file that `json --flat --output` appends to, mmjsonparse parses each line
# (default settings but for cookie="", as the lines are plain JSON, not CEE),
# and every record must parse, including the line of a process whose command
# line is 4 KB of control bytes with a secret in it. Meanwhile the file is
# moved away and the agent gets SIGHUP, as logrotate does: no line is lost.
# A default record (one line per interval) through the same rsyslog does not
# parse: rsyslog cuts it at its 8 KB message limit.
. "$(dirname "$0")/lib.sh"

if ! command -v rsyslogd >/dev/null; then
	echo "  skip  rsyslogd is not installed (apt-get install rsyslog, or scripts/deps.sh)"
	exit 0
fi

# A process with a long command line: a secret, then 4000 control bytes.
mkdir -p "$TMP/bin" "$TMP/rs"
ln -s "$(cd "$OUT/tools" && pwd)/duty" "$TMP/bin/secretjob"
"$TMP/bin/secretjob" 30 20 --password=hunter2 "$(python3 -c 'print("\x01" * 4000)')" &
PIDS="$PIDS $!"

cat >"$TMP/rs/rsyslog.conf" <<CONF
global(workDirectory="$TMP/rs")
module(load="imfile")
module(load="mmjsonparse")
template(name="ok" type="string" string="%\$!record% %\$!timestamp% %\$!comm% %\$!cut%\n")
template(name="raw" type="string" string="%msg:1:60%\n")
ruleset(name="wattprobe") {
	action(type="mmjsonparse" cookie="")
	if \$parsesuccess == "OK" then
		action(type="omfile" file="$TMP/rs/parsed" template="ok")
	else
		action(type="omfile" file="$TMP/rs/failed" template="raw")
}
input(type="imfile" file="$TMP/wattprobe.log" tag="wattprobe" ruleset="wattprobe")
input(type="imfile" file="$TMP/records.log" tag="wattprobe" ruleset="wattprobe")
# logger's messages on sockets of our own: one for default --flat lines, one for
# --max-line-bytes 1024
module(load="imuxsock" SysSock.Use="off")
ruleset(name="logger4k") {
	action(type="mmjsonparse" cookie="")
	if \$parsesuccess == "OK" then
		action(type="omfile" file="$TMP/rs/logger4k.parsed" template="ok")
	else
		action(type="omfile" file="$TMP/rs/logger4k.failed" template="raw")
}
ruleset(name="logger1k") {
	action(type="mmjsonparse" cookie="")
	if \$parsesuccess == "OK" then
		action(type="omfile" file="$TMP/rs/logger1k.parsed" template="ok")
	else
		action(type="omfile" file="$TMP/rs/logger1k.failed" template="raw")
}
input(type="imuxsock" Socket="$TMP/rs/4k.sock" Ruleset="logger4k" RateLimit.Interval="0")
input(type="imuxsock" Socket="$TMP/rs/1k.sock" Ruleset="logger1k" RateLimit.Interval="0")
CONF
rsyslogd -n -f "$TMP/rs/rsyslog.conf" -i "$TMP/rs/rsyslogd.pid" >"$TMP/rs/log" 2>&1 &
PIDS="$PIDS $!"
sleep 1

"$WP" json --flat -i 0.5 -c 16 --output "$TMP/wattprobe.log" 2>"$TMP/agent.err" &
agent=$!
PIDS="$PIDS $agent"
sleep 3.8
mv "$TMP/wattprobe.log" "$TMP/wattprobe.log.1"
kill -HUP $agent
wait $agent
check "json --flat --output, moved away and sent SIGHUP mid-run, exits 0" test $? -eq 0
check "... and reopened the file: both have lines" \
	test -s "$TMP/wattprobe.log" -a -s "$TMP/wattprobe.log.1"
cat "$TMP/wattprobe.log.1" "$TMP/wattprobe.log" >"$TMP/all"
lines=$(wc -l <"$TMP/all")
check "no interval lost across the move: 16 host lines" \
	test "$(grep -c '"record":"host"' "$TMP/all")" -eq 16
check "every one of the $lines lines is at most 4096 bytes with its newline" \
	sh -c "LC_ALL=C awk 'length(\$0) + 1 > 4096 { bad++ } END { exit bad > 0 }' '$TMP/all'"
check "every line is JSON with timestamp, interval_s and sensor" \
	sh -c "jq -e 'has(\"timestamp\") and has(\"interval_s\") and has(\"sensor\")' '$TMP/all' >/dev/null"
grep '"comm":"secretjob"' "$TMP/all" >"$TMP/secret"
check "the secret job's line is cut and says so" jqe 'select(.cut == ["cmdline"])' "$TMP/secret"

# Through rsyslog: every line of both files parsed (imfile reads the new file
# from its start; the moved one it has read up to the move).
"$WP" json -i 0.5 -c 1 --output "$TMP/records.log" 2>/dev/null
i=0
while [ $i -lt 100 ] && [ "$(cat "$TMP/rs/parsed" "$TMP/rs/failed" 2>/dev/null | wc -l)" -lt $((lines + 1)) ]; do
	sleep 0.1
	i=$((i + 1))
done
parsed=$(grep -c '^\(host\|process\) ' "$TMP/rs/parsed" 2>/dev/null)
check "rsyslog (imfile + mmjsonparse) parsed all $lines lines of json --flat ($parsed)" \
	test "${parsed:-0}" -eq "$lines"
check "... the secret job's too, marked as cut" grep -q '^process .* secretjob \[ "cmdline" \]' "$TMP/rs/parsed"
check "... while the default record of one line per interval does not parse (cut at 8 KB)" \
	sh -c "test \$(wc -l <'$TMP/rs/failed') -eq 1 && test \$(wc -c <'$TMP/records.log') -gt 8192"

# Through logger(1), which cuts messages at 1 KiB by default (its --size, RFC 3164's
# limit): default --flat lines of up to 4 KiB break, --max-line-bytes 1024 ones do not.
if command -v logger >/dev/null; then
	"$WP" json --flat -i 0.3 -c 3 2>/dev/null | logger -u "$TMP/rs/4k.sock" -t wattprobe
	"$WP" json --flat -i 0.3 -c 3 --max-line-bytes 1024 >"$TMP/1k.jsonl" 2>/dev/null
	logger -u "$TMP/rs/1k.sock" -t wattprobe <"$TMP/1k.jsonl"
	n1k=$(wc -l <"$TMP/1k.jsonl")
	i=0
	while [ $i -lt 50 ] && [ "$(cat "$TMP/rs/logger1k.parsed" "$TMP/rs/logger1k.failed" 2>/dev/null | wc -l)" -lt "$n1k" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	broken=$(wc -l <"$TMP/rs/logger4k.failed" 2>/dev/null || echo 0)
	check "logger at its default 1 KiB breaks default --flat lines ($broken pieces that do not parse)" \
		test "$broken" -gt 0
	check "--max-line-bytes 1024: every line at most 1024 bytes with its newline" \
		sh -c "LC_ALL=C awk 'length(\$0) + 1 > 1024 { bad++ } END { exit bad > 0 }' '$TMP/1k.jsonl'"
	parsed=$(wc -l <"$TMP/rs/logger1k.parsed" 2>/dev/null || echo 0)
	check "... through logger, rsyslog parses all $n1k of them ($parsed), none broken" \
		sh -c "test '$parsed' -eq '$n1k' && test ! -s '$TMP/rs/logger1k.failed'"
	check "... the secret job's line among them, marked as cut" \
		grep -q '^process .* secretjob \[ "cmdline"' "$TMP/rs/logger1k.parsed"
else
	echo "  skip  logger is not installed (util-linux)"
fi
"$WP" json --max-line-bytes 1024 -c 1 >/dev/null 2>&1
check "--max-line-bytes without --flat is a usage error (exit 2)" test $? -eq 2
"$WP" json --flat --max-line-bytes 512 -c 1 >/dev/null 2>&1
check "--max-line-bytes below 1024 is a usage error (exit 2)" test $? -eq 2

# --omit: no command line at all, not even the secret.
"$WP" json --flat -i 0.3 -c 2 --omit cmdline,cpus >"$TMP/omit"
check "--omit cmdline,cpus: neither field on any line, no secret" \
	sh -c "! grep -q 'cmdline\|\"cpus\"\|hunter2' '$TMP/omit' && test -s '$TMP/omit'"
check "a bad --omit is a usage error (exit 2)" \
	sh -c "'$WP' json --omit cmdline,passwords -c 1 >/dev/null 2>&1; test \$? -eq 2"
"$WP" json --output "$TMP/no/such/dir/x.log" -c 1 >/dev/null 2>"$TMP/err"
check "an --output that cannot be opened fails at once (exit 1), naming it" \
	sh -c "test $? -eq 1 && grep -q 'failed to open --output .*no/such/dir' '$TMP/err'"
finish
