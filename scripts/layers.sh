#!/bin/sh
# The agent's layers, bottom up: a file in src/<layer>/ may include headers of its
# own layer and of the layers below it, never of one above or of a peer (the same
# rank). docs/ARCHITECTURE.md explains each layer; `make check-layers` runs this,
# and so does `make test`. Exit 1, naming each include that breaks the order.
set -eu
cd "$(dirname "$0")/.."

LAYERS="
lib	0	helpers that know nothing of wattprobe: strings, JSON, text formats, files
kernel	1	the BPF program's loader and what the kernel says: CPU time, topology
http	1	the HTTP server, its TLS and basic auth, and the HTTP client
meta	1	names of groups: cgroups, containers, pods, systemd units
procs	2	the table of processes and what /proc says of them
energy	3	energy sensors, idle baselines, the split of energy over processes
sample	4	one interval's figures (sample.h), and views of it
output	5	formatting a sample: top, json, prometheus
run	6	wattprobe run: one command's energy
cli	7	the command line and the agent's loop
"

rank() {
	printf '%s\n' "$LAYERS" | awk -v l="$1" -F'\t' '$1 == l { print $2; f = 1 } END { if (!f) print "?" }'
}

bad=0
for dir in src/*/; do
	layer=$(basename "$dir")
	r=$(rank "$layer")
	if [ "$r" = "?" ]; then
		echo "layers: src/$layer/ is not in scripts/layers.sh: give it a rank" >&2
		bad=1
		continue
	fi
	for f in "$dir"*.c "$dir"*.h; do
		[ -e "$f" ] || continue
		for inc in $(sed -n 's/^#include "\([a-z_]*\)\/.*/\1/p' "$f" | sort -u); do
			[ "$inc" = "$layer" ] && continue
			ri=$(rank "$inc")
			[ "$ri" != "?" ] && [ "$ri" -lt "$r" ] && continue
			grep -n "^#include \"$inc/" "$f" | while IFS= read -r line; do
				echo "$f:${line%%:*}: $layer (rank $r) includes $inc (rank $ri):" \
					"${line#*:}" >&2
			done
			bad=1
		done
	done
done
# every include of the agent names its layer
if grep -n '^#include "[a-z_]*\.h"' src/*/*.c src/*/*.h | grep -v 'wattprobe\(\.skel\)\?\.h"' >&2; then
	echo "layers: include headers of src/ by their path (\"energy/sensor.h\")" >&2
	bad=1
fi
[ "$bad" -eq 0 ] && echo "layers: every include goes down the layers"
exit "$bad"
