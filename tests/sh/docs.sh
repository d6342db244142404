#!/bin/sh
# The documentation as a reader meets it: the manual page renders without a warning and
# lists exactly the commands and options of --help; every relative link of README.md,
# BENCHMARKS.md and docs/ leads to a file and, with a #fragment, to a heading there;
# docs/ARCHITECTURE.md names every source file; README.md stays short. Needs no root
# (only `wattprobe --help`); about a second.
. "$(dirname "$0")/lib.sh"
WP=$(realpath "$WP")
cd "$(dirname "$0")/../.." || exit 1
MAN=docs/wattprobe.8
missing_sec="" missing_cmd="" unnamed="" unlayered=""

# --- the manual page renders cleanly ------------------------------------------------------
# groff's own check, every warning on, and man(1) as a reader runs it at 80 columns
groff -ww -z -man "$MAN" >"$TMP/groff" 2>&1
check "groff -ww -man: $MAN has no warning" test ! -s "$TMP/groff"
sed 's/^/        /' "$TMP/groff"
MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings -E UTF-8 -l "$MAN" >"$TMP/man.txt" 2>"$TMP/man.err"
check "man --warnings -l $MAN renders, no warning" \
	sh -c "[ \$(wc -l <'$TMP/man.txt') -gt 100 ] && [ ! -s '$TMP/man.err' ]"
sed 's/^/        /' "$TMP/man.err"
# ... and the check sees a broken page: an unknown macro and a line too long to break
{ cat "$MAN"; printf '.XX unknown\n%s\n' "$(printf 'x%.0s' $(seq 120))"; } >"$TMP/bad.8"
MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings -E UTF-8 -l "$TMP/bad.8" >/dev/null 2>"$TMP/bad.err"
check "... and the same check warns about a broken page" \
	sh -c "grep -q \"macro 'XX' not defined\" '$TMP/bad.err' && grep -q \"can't break line\" '$TMP/bad.err'"
for s in NAME SYNOPSIS DESCRIPTION COMMANDS OPTIONS "EXIT STATUS" SIGNALS ENVIRONMENT FILES \
	EXAMPLES "SEE ALSO"; do
	grep -qx "$s" "$TMP/man.txt" || missing_sec="$missing_sec '$s'"
done
check "the manual page has its sections${missing_sec:+ (missing:$missing_sec)}" test -z "$missing_sec"
grep -q 'WATTPROBE_CARBON_INTENSITY' "$TMP/man.txt"
check "ENVIRONMENT names WATTPROBE_CARBON_INTENSITY" test $? -eq 0
version=$("$WP" --version | awk '{ print $2 }')
check "the page is of this version ($version)" grep -q "^\.TH WATTPROBE 8 .*\"wattprobe $version\"" "$MAN"

# --- ... in step with --help ---------------------------------------------------------------
# the OPTIONS section, rendered as ASCII: from its heading to the next one
MANWIDTH=80 LC_ALL=C man -l "$MAN" 2>/dev/null >"$TMP/man.ascii"
awk '/^OPTIONS$/ { on = 1; next } on && /^[A-Z]/ { exit } on' "$TMP/man.ascii" >"$TMP/man.opts"
longs() { grep -oE -- '--[a-z][a-z0-9.-]*[a-z0-9]' | sort -u; }
"$WP" --help >"$TMP/help"
cmds=$(awk '/^COMMANDS$/ { on = 1; next } on && /^[A-Z]/ { exit } on && /^    [a-z]/ { print $1 }' \
	"$TMP/help")
check "--help lists the four commands" test "$(printf '%s ' $cmds)" = "top json prometheus run "
for c in $cmds; do
	"$WP" "$c" --help >>"$TMP/help"
	grep -qE "^       $c( |$)" "$TMP/man.ascii" || missing_cmd="$missing_cmd $c"
done
check "COMMANDS of the manual page has every command${missing_cmd:+ (missing:$missing_cmd)}" \
	test -z "$missing_cmd"
longs <"$TMP/help" >"$TMP/help.longs"
longs <"$TMP/man.opts" >"$TMP/man.longs"
check "--help lists options (at least 30)" test "$(wc -l <"$TMP/help.longs")" -ge 30
missing=$(comm -23 "$TMP/help.longs" "$TMP/man.longs" | tr '\n' ' ')
check "every option of --help and CMD --help is in OPTIONS of the page${missing:+ (missing: $missing)}" \
	test -z "$missing"
unknown=$(comm -13 "$TMP/help.longs" "$TMP/man.longs" | tr '\n' ' ')
check "no option in OPTIONS of the page is unknown to --help${unknown:+ (unknown: $unknown)}" \
	test -z "$unknown"
# short options go with the same long ones: "-i, --interval"
grep -oE -- '(^| )-[a-zA-Z], --[a-z][a-z0-9.-]*' "$TMP/help" | sed 's/^ //' | sort -u >"$TMP/help.shorts"
grep -oE -- '(^| )-[a-zA-Z], --[a-z][a-z0-9.-]*' "$TMP/man.opts" | sed 's/^ //' | sort -u >"$TMP/man.shorts"
check "short options pair with the same long ones in both" cmp -s "$TMP/help.shorts" "$TMP/man.shorts"
# a test that could not fail would prove nothing: an option the page lacks is seen
grep -v -- 'rate\\-window' "$MAN" >"$TMP/less.8"
MANWIDTH=80 LC_ALL=C man -l "$TMP/less.8" 2>/dev/null |
	awk '/^OPTIONS$/ { on = 1; next } on && /^[A-Z]/ { exit } on' | longs >"$TMP/less.longs"
check "... and a page without --rate-window would fail it" \
	sh -c "[ \$(comm -23 '$TMP/help.longs' '$TMP/less.longs') = --rate-window ]"

# --- links and the pages ------------------------------------------------------------------
check "README.md is short (at most 300 lines: $(wc -l <README.md))" test "$(wc -l <README.md)" -le 300
cat >"$TMP/links.py" <<'EOF'
# Relative links [text](path#fragment) must name a file or folder that exists, and a
# fragment must be the anchor of a heading of that page, made as GitHub makes it.
import os, re, sys

def anchors(path):
    seen, out, fence = {}, set(), False
    for line in open(path, encoding="utf-8"):
        if line.startswith("```"):
            fence = not fence
        if fence or not re.match(r"#{1,6} ", line):
            continue
        a = line.lstrip("#").strip().lower()
        a = re.sub(r"[^\w\- ]", "", a).replace(" ", "-")
        n = seen.get(a, 0)
        seen[a] = n + 1
        out.add(a if n == 0 else "%s-%d" % (a, n))
    return out

bad = links = 0
for page in sys.argv[1:]:
    text = open(page, encoding="utf-8").read()
    text = re.sub(r"^(    |\t).*$", "", text, flags=re.M)      # indented code blocks
    text = re.sub(r"`[^`\n]*`", "", text)                       # code spans
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue                                            # https:, mailto:
        links += 1
        path, _, frag = target.partition("#")
        dest = os.path.normpath(os.path.join(os.path.dirname(page), path)) if path else page
        if not os.path.exists(dest):
            print("%s: link to %s: no such file" % (page, target))
            bad += 1
        elif frag and dest.endswith(".md") and frag not in anchors(dest):
            print("%s: link to %s: no heading #%s in %s" % (page, target, frag, dest))
            bad += 1
print("%d links checked, %d broken" % (links, bad))
sys.exit(1 if bad else 0)
EOF
python3 "$TMP/links.py" README.md BENCHMARKS.md docs/*.md >"$TMP/links" 2>&1
check "every relative link and #anchor of README.md, BENCHMARKS.md and docs/ resolves ($(tail -1 "$TMP/links"))" \
	test $? -eq 0
grep -v 'links checked' "$TMP/links" | sed 's/^/        /'
# the checker sees a broken anchor and a missing file, and takes a good anchor
# shellcheck disable=SC2016 # backquotes of Markdown, not of the shell
printf '# A page: `x`\n[a](#a-page-x) [b](#no-such-heading) [c](no-such-file.md)\n' >"$TMP/broken.md"
python3 "$TMP/links.py" "$TMP/broken.md" >"$TMP/broken.out" 2>&1
check "... and finds the two broken links of a page made to have them" \
	grep -q '3 links checked, 2 broken' "$TMP/broken.out"

# --- the architecture page names every file ------------------------------------------------
for f in src/*/*.c src/*/*.h bpf/*.c bpf/*.h include/*.h; do
	re=$(basename "$f" | sed 's/\./\\./g')
	grep -qE -- "(^|[^a-z_])$re" docs/ARCHITECTURE.md 2>/dev/null || unnamed="$unnamed $f"
done
check "docs/ARCHITECTURE.md names every file of src/, bpf/ and include/${unnamed:+ (not:$unnamed)}" \
	test -z "$unnamed"
for l in $(awk -F'\t' 'NF == 3 && $2 ~ /^[0-9]+$/ { print $1 }' scripts/layers.sh); do
	grep -q "^$l/" docs/ARCHITECTURE.md 2>/dev/null || unlayered="$unlayered $l"
done
check "docs/ARCHITECTURE.md draws every layer of scripts/layers.sh${unlayered:+ (not:$unlayered)}" \
	test -z "$unlayered"
finish
