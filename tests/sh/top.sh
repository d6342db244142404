#!/bin/sh
# `wattprobe top` as a person meets it: in tmux (a real terminal) of a given
# size, driven with keys and read back with capture-pane; hostile process and
# cgroup names on the screen and in plain lines; plain output in pipes and on
# a full disk. Needs root (the agent loads BPF) and tmux.
. "$(dirname "$0")/lib.sh"

if ! command -v tmux >/dev/null 2>&1; then
	echo "  skip  tmux is not installed (apt-get install tmux, or scripts/deps.sh)"
	exit 0
fi
# tmux servers of our own, never the user's: a new one for each start_top
N=0
T="tmux -L wptest-$$-$N -f /dev/null"
trap '$T kill-server 2>/dev/null; cleanup' EXIT
R="$OUT/tools/rename"
ESC=$(printf '\033')

# start_top W H ARGS...: `wattprobe top ARGS` alone in a W x H terminal; its
# exit status goes to $TMP/status, and the terminal stays for capture-pane
start_top() {
	w=$1 h=$2
	shift 2
	$T kill-server 2>/dev/null
	N=$((N + 1))
	T="tmux -L wptest-$$-$N -f /dev/null"
	rm -f "$TMP/status"
	$T new-session -d -s top -x "$w" -y "$h" -c "$PWD" \
		"${TOP_ENV:-} $WP top $*; echo \$? >$TMP/status; sleep 30"
}
screen() { $T capture-pane -p -t top "$@"; }
# wait_for ERE [SECONDS]: until the screen shows it (bounded)
wait_for() {
	i=0
	while [ $i -lt $((${2:-6} * 10)) ]; do
		screen | grep -qE -- "$1" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "  (screen without /$1/:)"
	screen | sed 's/^/  | /'
	return 1
}
# the PIDs of rows that match ERE, in screen order
rows_of() { screen | grep -E -- "$1" | awk '{print $1}' | tr '\n' ' '; }
wait_exit() { # wait_exit SECONDS: until top exited
	i=0
	while [ $i -lt $(($1 * 10)) ]; do
		[ -s "$TMP/status" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# Processes of our own: two to sort, hostile names, some to fill the screen.
"$R" wp-zz 2 & pz=$!
"$R" wp-aa 40 & pa=$!
title_name=$(printf 'ev\033]0;PWNED\007')
clear_name=$(printf '\033[2J\r\nfake\t1')
"$R" "$title_name" 2 "$title_name" & p1=$!
"$R" "$clear_name" 2 "$clear_name" & p2=$!
"$R" "$(printf 'c1-\302\233x')" 2 & p3=$!
PIDS="$PIDS $pz $pa $p1 $p2 $p3"
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do
	"$R" wp-fill 1 &
	PIDS="$PIDS $!"
done
sleep 0.2	# renamed before the agent first sees them

# --- the screen at 80x24 ---------------------------------------------------------------
start_top 80 24 -i 0.5
wait_for '\[idle\]'
screen >"$TMP/s80"
# TOP_SCREEN=FILE keeps this screen (docs/top.md shows one)
[ -z "${TOP_SCREEN:-}" ] || cp "$TMP/s80" "$TOP_SCREEN"
check "80x24: the title on the first line" grep -qE '^wattprobe [0-9:]{8}  sensor model' "$TMP/s80"
check "... host power on the second" sh -c "sed -n 2p '$TMP/s80' | grep -qE '^host [0-9]+\.[0-9]{2} W  idle [0-9.]+ W  cpu'"
check "... the socket line whole (no number cut)" \
	sh -c "sed -n 3p '$TMP/s80' | grep -qE '^socket 0  package [0-9]+\.[0-9]{2} W  idle [0-9.]+ W .*cpu [0-9.]+% of 200%\$'"
check "... no dram field without DRAM" sh -c "! grep -q dram '$TMP/s80'"
check "... the column names" grep -qE '^ +PID +WATTS +JOULES +CPU% +COMMAND$' "$TMP/s80"
check "... rows fill the height: others on line 23, idle on line 24" \
	sh -c "sed -n 23p '$TMP/s80' | grep -q '\[others: [0-9]* processes\]' &&
	       sed -n 24p '$TMP/s80' | grep -qE '^ +- +[0-9.]+ +[0-9.]+ +[0-9.]+ +\[idle\]$'"
check "... whole command lines" grep -q 'build/tools/rename wp-aa 40' "$TMP/s80"

# A resize redraws for the new size.
$T resize-window -t top -x 60 -y 12
wait_for '^socket 0' && sleep 0.7
screen >"$TMP/s60"
check "resized to 60x12: still host, socket, idle, on 12 lines" \
	sh -c "grep -q '^host ' '$TMP/s60' && grep -q '^socket 0' '$TMP/s60' &&
	       sed -n 12p '$TMP/s60' | grep -q '\[idle\]'"
check "... no line wider than 60 columns" sh -c "! awk 'length > 60' '$TMP/s60' | grep -q ."
$T resize-window -t top -x 200 -y 50
wait_for '^socket 0.*of 200%$' 3 && sleep 0.7
check "resized to 200x50: socket on one line and more rows than at 80x24" \
	test "$(screen | grep -cE '^ +[0-9]+ ')" -gt "$(grep -cE '^ +[0-9]+ ' "$TMP/s80")"

$T send-keys -t top h
check "h shows the keys" wait_for 'wattprobe top: keys' 2
$T send-keys -t top x
check "... any key goes back" wait_for 'PID +WATTS' 2
$T send-keys -t top ' '
check "space pauses" wait_for '\[paused\]' 2
$T send-keys -t top q
check "q quits" wait_exit 3
check "... with status 0" test "$(cat "$TMP/status" 2>/dev/null)" = 0
no_table() { ! screen | grep -q 'PID  '; }
check "... and gives the terminal back (no table left on it)" no_table

# SIGHUP never ends top (a logrotate recipe's kill -HUP may reach it); a terminal that
# hangs up (its window closed) does.
start_top 80 24 -i 0.3
wait_for '\[idle\]' >/dev/null
pane=$($T display -p -t top '#{pane_pid}')
tp=""
for c in $(cat "/proc/$pane/task/$pane/children" 2>/dev/null); do
	[ "$(cat "/proc/$c/comm" 2>/dev/null)" = wattprobe ] && tp=$c
done
kill -HUP "${tp:-0}" 2>/dev/null
sleep 1
before=$(screen | head -1)
# the title's clock shows whole seconds: two redraws 0.7 s apart can show the same
# one (a clean clone failed so), so wait up to 3 s for it to move
redrawing() {
	[ -n "$tp" ] && kill -0 "$tp" || return 1
	i=0
	while [ $i -lt 30 ]; do
		[ "$(screen | head -1)" != "$before" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
check "SIGHUP sent to top ($tp): it goes on, redrawing" redrawing
$T kill-server
gone() { i=0; while kill -0 "$1" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done; ! kill -0 "$1" 2>/dev/null; }
check "... and ends when its terminal hangs up" gone "${tp:-0}"
[ -n "$tp" ] && kill "$tp" 2>/dev/null	# (if it did not)
# the same when it reads no keys (stdin elsewhere): the hangup shows on its output
start_top 80 24 -i 0.3 '</dev/null'
wait_for '\[idle\]' >/dev/null
pane=$($T display -p -t top '#{pane_pid}')
tp=""
for c in $(cat "/proc/$pane/task/$pane/children" 2>/dev/null); do
	[ "$(cat "/proc/$c/comm" 2>/dev/null)" = wattprobe ] && tp=$c
done
$T kill-server
check "top with stdin elsewhere ($tp) ends too when its terminal hangs up" gone "${tp:-0}"
[ -n "$tp" ] && kill "$tp" 2>/dev/null

# A run of --count intervals leaves its last screen on the terminal, as top -n does.
start_top 80 24 -i 0.3 -c 2
check "-c 2 ends by itself, status 0" wait_exit 4
last_screen() { screen | grep -q '^ *PID  ' && screen | grep -q '\[idle\]'; }
check "... leaving its last screen" last_screen

# A message while the table is up (here a counter that stops moving: energy missing,
# one warning) is held, not drawn into the table, and written out when top ends.
pcs=$TMP/stuck
mkdir -p "$pcs"
"$OUT/tools/fakerapl" --root "$pcs" --package 0:30 --once >/dev/null
start_top 100 30 -i 0.3 -c 6 --sensor rapl --powercap-root "$pcs"
wait_for 'energy missing' 4 >/dev/null
no_warning() { ! screen | grep -q 'wattprobe: warning'; }
check "a warning while the table is up is not drawn into it" no_warning
wait_exit 6
held_out() { screen -S - | grep -q "wattprobe: warning: $pcs/intel-rapl:0/energy_uj: .*stuck"; }
check "... and is written out when top ends" held_out

# A terminal curses does not know: plain lines, and why.
TOP_ENV="TERM=no-such-term" start_top 100 30 -i 0.3 -c 1 -n 3
wait_exit 4
check "an unknown TERM: plain lines with a timestamp" wait_for '^[0-9-]{10}T[0-9:.]{12}Z  sensor' 1
check "... after saying why" wait_for '^wattprobe: failed to set up the terminal: TERM=no-such-term' 1

# --- keys that sort and group -------------------------------------------------------------
start_top 100 20 -i 0.5 -p $pz -p $pa
wait_for ' wp-aa 40$' && wait_for ' wp-zz 2$'
check "sorted by watts: wp-aa (40% CPU) before wp-zz (2%)" test "$(rows_of ' wp-')" = "$pa $pz "
$T send-keys -t top N
if [ "$pz" -lt "$pa" ]; then want="$pz $pa "; else want="$pa $pz "; fi
wait_for 'sort pid' 2 >/dev/null
check "N sorts by PID ($want)" test "$(rows_of ' wp-')" = "$want"
$T send-keys -t top a
wait_for 'sort name' 2 >/dev/null
check "a sorts by name: wp-aa first" test "$(rows_of ' wp-')" = "$pa $pz "
$T send-keys -t top r
wait_for 'sort name \(reversed\)' 2 >/dev/null
check "r reverses: wp-zz first" test "$(rows_of ' wp-')" = "$pz $pa "
$T send-keys -t top E
wait_for 'sort energy' 2 >/dev/null
check "E sorts by energy since start: wp-aa first" test "$(rows_of ' wp-')" = "$pa $pz "
$T send-keys -t top g
check "g groups by comm" wait_for '^MEMBERS +WATTS +JOULES +CPU% +COMM$' 3
check "... rows are the names" wait_for '^ +1 +[0-9.]+ +[0-9.]+ +[0-9.]+ +wp-aa$' 3
sleep 1.2
j=$(screen | awk '$NF == "wp-aa" { print $3 }')
check "... a group's JOULES count from its first row ($j J for wp-aa at 40% CPU)" \
	awk -v j="${j:-0}" 'BEGIN { exit !(j > 0) }'
$T send-keys -t top g
check "g again groups by executable" wait_for '^MEMBERS +WATTS +JOULES +CPU% +EXE$' 3
exe_rows() { wait_for '^ +2 +[0-9.]+ +[0-9.]+ +[0-9.]+ +[^ ]*/tools/rename$' 3 && ! screen | grep -q '(unknown)'; }
check "... resolved as top -g exe does (both wp- processes run $R), none unknown" exe_rows
$T send-keys -t top q
wait_exit 3

# A tiny terminal keeps the title's line that says the figures are estimated.
start_top 30 8 -i 0.3
wait_for '\[idle\]|^ +- +[0-9.]+ +[0-9.]+' >/dev/null
check "30x8: the first line says the sensor, estimated" \
	sh -c "$T capture-pane -p -t top | head -1 | grep -q '^sensor model (estimated)'"
check "... and the host line is there too" sh -c "$T capture-pane -p -t top | grep -q '^host '"
$T send-keys -t top q
wait_exit 3

# --- several levels: g goes through those given, in their order ---------------------------
start_top 100 20 -i 0.5 -g pid,cgroup,comm -p $pa
check "-g pid,cgroup,comm: the first level (pid) first" wait_for '^ +PID +WATTS +JOULES +CPU% +COMMAND$' 3
$T send-keys -t top g
check "... g: the next given level, cgroup" wait_for '^MEMBERS +WATTS +JOULES +CPU% +CGROUP$' 3
$T send-keys -t top g
check "... g: comm" wait_for '^MEMBERS +WATTS +JOULES +CPU% +COMM$' 3
$T send-keys -t top g
check "... g: back to pid, not to a level not given" wait_for '^ +PID +WATTS +JOULES +CPU% +COMMAND$' 3
$T send-keys -t top G
check "... G: the one before, comm" wait_for '^MEMBERS +WATTS +JOULES +CPU% +COMM$' 3
$T send-keys -t top q
wait_exit 3
"$WP" top -c 1 -i 0.3 -g pid,comm -p $pa >"$TMP/levels"
check "plain lines, -g pid,comm: the header once, then each level's table" sh -c "
	[ \$(grep -c '^host ' '$TMP/levels') -eq 1 ] && [ \$(grep -c '\\[idle\\]' '$TMP/levels') -eq 2 ] &&
	grep -qE '^ +PID +WATTS +JOULES +CPU% +COMMAND\$' '$TMP/levels' &&
	grep -qE '^MEMBERS +WATTS +JOULES +CPU% +COMM\$' '$TMP/levels'"

# --- hostile names on the terminal ------------------------------------------------------
cg2=$(awk '$9 == "cgroup2" {print $5; exit}' /proc/self/mountinfo)
start_top 100 24 -i 0.5 -p $p1 -p $p2
wait_for 'PWNED'
screen >"$TMP/hostile"
screen -e >"$TMP/hostile-e"
check "a name with ESC ] 0 ; ... BEL is shown escaped" \
	grep -qF 'ev\e]0;PWNED\a: '"$R"' ev\e]0;PWNED\a 2' "$TMP/hostile"
check "a name with ESC [ 2 J, CR, LF, TAB is shown escaped" grep -qF '\e[2J\r\nfake\t1' "$TMP/hostile"
check "... and forges no row" sh -c "! grep -q '^fake' '$TMP/hostile'"
title=$($T display -p -t top '#{pane_title}')
check "the window title is not the process's ($title)" \
	sh -c "test -n '$title' && ! echo '$title' | grep -q PWNED"
# capture-pane -e gives tmux's own attribute escapes (SGR): anything else came through
sed "s/$ESC\[[0-9;]*m//g" "$TMP/hostile-e" >"$TMP/hostile-rest"
check "the captured screen (-e) holds no escape but tmux's own SGR" \
	sh -c "! grep -q \"$ESC\" '$TMP/hostile-rest' && ! grep -q \"$(printf '\007')\" '$TMP/hostile-rest'"
check "... and the table is still drawn (title and idle)" \
	sh -c "grep -q '^wattprobe ' '$TMP/hostile' && grep -q '\[idle\]' '$TMP/hostile'"
$T send-keys -t top q
wait_exit 3

# --- plain lines ----------------------------------------------------------------------------
LC_ALL=C "$WP" top -c 2 -i 0.3 -p $p1 -p $p2 -p $p3 >"$TMP/plain" 2>"$TMP/err"
check "plain: exit 0" test $? -eq 0
check "plain: each block starts with a UTC timestamp" \
	test "$(grep -cE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z  sensor ' "$TMP/plain")" -eq 2
check "plain: no control byte but newlines" \
	sh -c "! tr -d '\n' <'$TMP/plain' | LC_ALL=C grep -q '[[:cntrl:]]'"
check "plain: the hostile names escaped" \
	sh -c "grep -qF 'ev\e]0;PWNED\a' '$TMP/plain' && grep -qF '\e[2J\r\nfake\t1' '$TMP/plain'"
check "plain, C locale: a C1 control in UTF-8 as bytes (c1-\\xc2\\x9bx)" grep -qF 'c1-\xc2\x9bx' "$TMP/plain"
LC_ALL=C.UTF-8 "$WP" top -c 1 -i 0.3 -p $p3 >"$TMP/plain-utf8"
check "plain, UTF-8 locale: the same as a character (c1-\\u009bx)" grep -qF 'c1-\u009bx' "$TMP/plain-utf8"
check "plain: no dram field without DRAM" sh -c "! grep -q dram '$TMP/plain'"

if [ -n "$cg2" ]; then
	cgname=$(printf 'wptop-\033]0;CG\007\033[2J')
	mkdir "$cg2/$cgname"
	"$R" wp-cg 2 & pc=$!
	PIDS="$PIDS $pc"
	echo $pc >"$cg2/$cgname/cgroup.procs"
	"$WP" top -c 1 -i 0.3 -g cgroup -p $pc >"$TMP/cg"
	kill $pc
	wait $pc 2>/dev/null
	rmdir "$cg2/$cgname"
	check "plain: a hostile cgroup path escaped (-g cgroup)" grep -qF '/wptop-\e]0;CG\a\e[2J' "$TMP/cg"
	check "... with no control byte" sh -c "! tr -d '\n' <'$TMP/cg' | LC_ALL=C grep -q '[[:cntrl:]]'"
else
	echo "  skip  no cgroup2 mount: hostile cgroup path"
fi

# Write errors, as json: a closed pipe ends quietly, others are reported.
(timeout 10 "$WP" top -i 0.1 2>"$TMP/err"; echo $? >"$TMP/pipe-status") | head -1 >/dev/null
check "top | head -1 ends, status 0" test "$(cat "$TMP/pipe-status")" = 0
check "... with nothing on stderr" test ! -s "$TMP/err"
timeout 10 "$WP" top -i 0.1 -c 20 >/dev/full 2>"$TMP/err"
check "top > /dev/full exits 1" test $? -eq 1
check "... saying why" grep -q 'failed to write to stdout: No space left on device' "$TMP/err"

finish
