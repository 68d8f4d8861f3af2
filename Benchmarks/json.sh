#!/bin/sh
# lab.json against lua-cjson (Debian lua-cjson), one labsh process, medians:
#   decode  a 10 MB Prometheus query_range response   target: ratio <= 1.0
#   encode  the decoded value back to text            target: ratio <= 1.5
#   Benchmarks/json.sh LABSH [RUNS]
set -eu
labsh=${1:-.build/release/labsh}
runs=${2:-9}
here=$(dirname "$0")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"

"$labsh" "$here/json-gen.lua" "$tmp/range.json" 10 || die "could not make the 10 MB response"
[ -s "$tmp/range.json" ] || die "the 10 MB response is empty"
"$labsh" "$here/json-bench.lua" "$tmp/range.json" "$runs" > "$tmp/figures" || die "the JSON benchmark failed"
set -- $(cat "$tmp/figures")
[ $# = 4 ] || die "expected 4 figures, got: $*"

row "json decode 10 MB (peer cjson)" "$1" "$2" ms 1.0
row "json encode 10 MB (peer cjson)" "$3" "$4" ms 1.5
