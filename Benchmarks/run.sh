#!/bin/sh
# make bench: labsh against its peers, measured in one run, medians.
#   startup     labsh -e ''                      vs lua5.4 -e ''         target <= 1.5
#   swift call  10M calls of lab.sys.pid()       vs 10M calls of rawlen  target <= 2.0
#   peak RSS    labsh -e ''                      vs lua5.4 -e ''         target <= 2.0
#   inventory   labsh -e 'return #lab.nodes()'   vs lua5.4 -e ''         target <= 2.0
#   big load    1,000 nodes, 10,000 guests, 200 VLANs: load and validate  target < 100 ms
set -eu
labsh=${1:-.build/release/labsh}
lua=${LUA:-lua5.4}
runs=${RUNS:-30}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"

# Median wall time in ms of each command (hyperfine, no shell in between).
median_ms() {
    hyperfine -N --style none --warmup 3 --runs "$runs" --export-csv "$tmp/t.csv" "$@" >/dev/null 2>&1
    awk -F, 'NR > 1 { printf "%.3f\n", $4 * 1000 }' "$tmp/t.csv"
}

# Median peak RSS in KB over $runs runs.
median_rss() {
    i=0
    : > "$tmp/rss"
    while [ $i -lt "$runs" ]; do
        /usr/bin/time -f %M -o "$tmp/one" "$@" >/dev/null 2>&1
        cat "$tmp/one" >> "$tmp/rss"
        i=$((i + 1))
    done
    sort -n "$tmp/rss" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

printf "%-34s %12s %12s  %-3s %7s   %s\n" "benchmark (medians, $runs runs)" "labsh" "peer" "" "ratio" "target"

set -- $(median_ms "$labsh -e ''" "$lua -e ''")
row "startup: -e '' (peer lua5.4)" "$1" "$2" ms 1.5

# The same loop around a trivial Swift-bound function and around a C builtin.
echo 'local f = lab.sys.pid for i = 1, 10000000 do f() end' > "$tmp/swift.lua"
echo 'local f = rawlen local t = {} for i = 1, 10000000 do f(t) end' > "$tmp/rawlen.lua"
set -- $(median_ms "$labsh $tmp/swift.lua" "$labsh $tmp/rawlen.lua")
row "10M calls: Swift fn (peer rawlen)" "$1" "$2" ms 2.0

row "peak RSS: -e '' (peer lua5.4)" "$(median_rss "$labsh" -e '')" "$(median_rss "$lua" -e '')" KB 2.0

echo 'return #lab.nodes()' > "$tmp/nodes.lua"
set -- $(median_ms "$labsh $tmp/nodes.lua" "$lua -e ''")
row "#lab.nodes(): built-in homelab" "$1" "$2" ms 2.0

# Loading inside one process, so the figure is the load alone.
"$labsh" Benchmarks/big-inventory.lua "$tmp/big.lua"
echo 'local t = lab.sys.monotonic() lab.inventory.load(arg[1]) io.write((lab.sys.monotonic() - t) * 1000)' > "$tmp/load.lua"
i=0
: > "$tmp/loads"
while [ $i -lt 10 ]; do "$labsh" "$tmp/load.lua" "$tmp/big.lua" >> "$tmp/loads"; echo >> "$tmp/loads"; i=$((i + 1)); done
sort -n "$tmp/loads" | awk 'NF { v[++n] = $1 } END {
    m = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
    printf "%-34s %12.3f %12s  %-3s %7s   <  %-4s %s\n", "load 1k nodes/10k guests (10 runs)", m, "-", "ms", "-", "100", (m < 100 ? "ok" : "MISSED")
}'

# Live data: JSON against lua-cjson, HTTP fan-out against curl; retention
# decisions against restic forget (the first run builds a 2,000-snapshot
# repository once, a few minutes); the n-1 simulation over 50 nodes; remote
# execution and a playbook on 10 sshd test hosts against Ansible.
for part in json http restic sim ssh; do
    [ -x "Benchmarks/$part.sh" ] && RUNS=$runs "Benchmarks/$part.sh" "$labsh"
done
exit 0
