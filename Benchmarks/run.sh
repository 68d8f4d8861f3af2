#!/bin/sh
# make bench: labsh against its peers, measured in one run, medians.
#   startup     labsh -e ''                      vs lua5.4 -e ''         target <= 1.5
#   swift call  10M calls of lab.sys.pid()       vs 10M calls of rawlen  target <= 2.0
#   peak RSS    labsh -e ''                      vs lua5.4 -e ''         target <= 2.0
#   inventory   labsh -e 'return #lab.nodes()'   vs lua5.4 -e ''         target <= 1.5 (issue 13)
#   big load    1,000 nodes, 10,000 guests, 200 VLANs: load and validate  target < 100 ms
set -eu
labsh=${1:-.build/release/labsh}
lua=${LUA:-lua5.4}
runs=${RUNS:-30}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"

# Median wall time in ms of each command (hyperfine, no shell in between);
# every command must succeed every time.
median_ms() {
    hyperfine -N --style none --warmup 3 --runs "$runs" --export-csv "$tmp/t.csv" "$@" > "$tmp/hyperfine.out" 2>&1 ||
        { cat "$tmp/hyperfine.out" >&2; die "failed: $*"; }
    awk -F, 'NR > 1 { printf "%.3f\n", $4 * 1000 }' "$tmp/t.csv"
}

# Median peak RSS in KB over $runs runs.
median_rss() {
    i=0
    : > "$tmp/rss"
    while [ $i -lt "$runs" ]; do
        /usr/bin/time -f %M -o "$tmp/one" "$@" >/dev/null 2>&1 || die "failed: $*"
        cat "$tmp/one" >> "$tmp/rss"
        i=$((i + 1))
    done
    sort -n "$tmp/rss" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

printf "%-34s %12s %12s  %-3s %7s   %s\n" "benchmark (medians, $runs runs)" "labsh" "peer" "" "ratio" "target"

median_ms "$labsh -e ''" "$lua -e ''" > "$tmp/m"
set -- $(cat "$tmp/m")
row "startup: -e '' (peer lua5.4)" "$1" "$2" ms 1.5

# The same loop around a trivial Swift-bound function and around a C builtin.
echo 'local f = lab.sys.pid for i = 1, 10000000 do f() end' > "$tmp/swift.lua"
echo 'local f = rawlen local t = {} for i = 1, 10000000 do f(t) end' > "$tmp/rawlen.lua"
median_ms "$labsh $tmp/swift.lua" "$labsh $tmp/rawlen.lua" > "$tmp/m"
set -- $(cat "$tmp/m")
row "10M calls: Swift fn (peer rawlen)" "$1" "$2" ms 2.0

median_rss "$labsh" -e '' > "$tmp/rss.labsh"
median_rss "$lua" -e '' > "$tmp/rss.lua"
row "peak RSS: -e '' (peer lua5.4)" "$(cat "$tmp/rss.labsh")" "$(cat "$tmp/rss.lua")" KB 2.0

echo 'return #lab.nodes()' > "$tmp/nodes.lua"
median_ms "$labsh $tmp/nodes.lua" "$lua -e ''" > "$tmp/m"
set -- $(cat "$tmp/m")
row "#lab.nodes(): built-in homelab" "$1" "$2" ms 1.5

# Loading inside one process, so the figure is the load alone.
"$labsh" Benchmarks/big-inventory.lua "$tmp/big.lua" || die "could not write the big inventory"
[ -s "$tmp/big.lua" ] || die "the big inventory is empty"
echo 'local t = lab.sys.monotonic() lab.inventory.load(arg[1]) io.write((lab.sys.monotonic() - t) * 1000)' > "$tmp/load.lua"
i=0
: > "$tmp/loads"
while [ $i -lt 10 ]; do
    "$labsh" "$tmp/load.lua" "$tmp/big.lua" >> "$tmp/loads" || die "loading the big inventory failed"
    echo >> "$tmp/loads"
    i=$((i + 1))
done
positive $(cat "$tmp/loads")
sort -n "$tmp/loads" | awk 'NF { v[++n] = $1 } END {
    m = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
    printf "%-34s %12.3f %12s  %-3s %7s   <  %-4s %s\n", "load 1k nodes/10k guests (10 runs)", m, "-", "ms", "-", "100", (m < 100 ? "ok" : "MISSED")
}'

# Live data: JSON against lua-cjson, HTTP fan-out against curl; retention
# decisions against restic forget (the first run builds a 2,000-snapshot
# repository once, a few minutes); the n-1 simulation over 50 nodes; remote
# execution and a playbook on 10 sshd test hosts against Ansible; the
# Proxmox VE connector and node-drain against proxmoxer on the simulator;
# what declared capabilities cost (a library script with a manifest). A
# part that fails stops make bench.
for part in json http restic sim ssh pve capabilities; do
    [ -x "Benchmarks/$part.sh" ] || die "Benchmarks/$part.sh is missing or not executable"
    RUNS=$runs "Benchmarks/$part.sh" "$labsh" || die "the $part benchmark failed (exit $?)"
done
