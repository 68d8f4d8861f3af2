#!/bin/sh
# lab.http against curl: 200 GETs to a loopback fixture that answers each
# after 50 ms (Tests/servers/http_fixture.py), medians.
#   parallel    lab.http.parallel{max = 50}         vs curl --parallel --parallel-max 50   target <= 1.2
#   sequential  200 lab.http.get one after another  vs the parallel run above (the gain)
set -eu
labsh=${1:-.build/release/labsh}
runs=${RUNS:-10}
n=200
tmp=$(mktemp -d)
fixture=
trap '[ -z "$fixture" ] || kill $fixture 2>/dev/null; rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"
start_http_fixture
port=$fixture_port
base="http://127.0.0.1:$port/delay/50"
# The server must answer before anything is timed.
curl -s --fail -o /dev/null "$base?i=0" || die "the HTTP fixture does not answer at $base"

# The same 200 URLs for both: a curl config file and a Lua list.
i=1
: > "$tmp/curl.cfg"
while [ $i -le $n ]; do
    printf 'url = "%s?i=%d"\noutput = "/dev/null"\n' "$base" $i >> "$tmp/curl.cfg"
    i=$((i + 1))
done
cat > "$tmp/urls.lua" <<LUA
local urls = {}
for i = 1, $n do urls[i] = "$base?i=" .. i end
return urls
LUA
cat > "$tmp/parallel.lua" <<LUA
local results = lab.http.parallel(dofile("$tmp/urls.lua"), { max = 50 })
for i, r in ipairs(results) do assert(r.status == 200, tostring(r)) end
LUA
cat > "$tmp/sequential.lua" <<LUA
for _, url in ipairs(dofile("$tmp/urls.lua")) do assert(lab.http.get(url).status == 200) end
LUA

parallel=$(median_ms_of "$runs" "$labsh $tmp/parallel.lua")
curl=$(median_ms_of "$runs" "curl -s --fail --parallel --parallel-max 50 -K $tmp/curl.cfg")
sequential=$(median_ms_of 3 "$labsh $tmp/sequential.lua")

printf "%-34s %12s %12s  %-3s %7s   %s\n" "http: $n GETs, 50 ms each" "labsh" "peer" "" "ratio" "target"
row "parallel max 50 (peer curl)" "$parallel" "$curl" ms 1.2
positive "$sequential" "$parallel"
awk -v a="$sequential" -v b="$parallel" 'BEGIN {
    printf "%-34s %12.3f %12.3f  %-3s %7.2f   (the gain of parallel)\n", "sequential get (peer parallel)", a, b, "ms", a / b
}'
