# Shared by the Benchmarks/*.sh scripts (sourced; they set $tmp first).
#
# A figure measured on a failed setup or on nothing is worse than none: every
# step that can fail stops the benchmark with a message and exit status 1.

# Stops the benchmark: "restic.sh: MESSAGE" on stderr, exit 1.
die() {
    echo "$(basename "$0"): $*" >&2
    exit 1
}

# Fails unless every argument is a number greater than 0.
positive() {
    for value in "$@"; do
        awk -v v="$value" 'BEGIN { exit !(v ~ /^[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?$/ && v + 0 > 0) }' ||
            die "not a measurement: '$value'"
    done
}

# Median wall time in ms of one command (hyperfine, no shell in between),
# over $1 runs. The command must succeed every time.
median_ms_of() {
    hyperfine -N --style none --warmup 1 --runs "$1" --export-csv "$tmp/t.csv" "$2" > "$tmp/hyperfine.out" 2>&1 ||
        { cat "$tmp/hyperfine.out" >&2; die "failed: $2"; }
    awk -F, 'NR > 1 { printf "%.3f\n", $4 * 1000 }' "$tmp/t.csv"
}

# The median wall times in ms of two commands compared with each other, one
# a line: $1 runs of each, in five rounds that take turns on which runs first
# (A B, B A, ...). Measured one block after the other, a drift during the
# run (ssh's master connections, the page cache) counted against whichever
# ran second; alternating spreads it over both. Both must succeed every time.
medians_ms_alternating() {
    rounds=5
    per=$(( ($1 + rounds - 1) / rounds ))
    r=1
    while [ $r -le $rounds ]; do
        if [ $((r % 2)) -eq 1 ]; then set -- "$1" "$2" "$3" "$2" "$3"; else set -- "$1" "$2" "$3" "$3" "$2"; fi
        hyperfine -N --style none --warmup 1 --runs "$per" --export-json "$tmp/round$r.json" "$4" "$5" \
            > "$tmp/hyperfine.out" 2>&1 || { cat "$tmp/hyperfine.out" >&2; die "failed: $4 / $5"; }
        r=$((r + 1))
    done
    python3 - "$2" "$3" "$tmp"/round*.json <<'PY' || die "cannot read the rounds of $2 / $3"
import json, statistics, sys
a, b, files = sys.argv[1], sys.argv[2], sys.argv[3:]
times = {a: [], b: []}
for f in files:
    for result in json.load(open(f))["results"]:
        times[result["command"]] += result["times"]
for command in (a, b):
    print("%.3f" % (statistics.median(times[command]) * 1000))
PY
    rm -f "$tmp"/round*.json
}

# One result line: name, labsh figure, peer figure, unit, target ratio.
row() {
    positive "$2" "$3"
    awk -v n="$1" -v a="$2" -v b="$3" -v u="$4" -v t="$5" 'BEGIN {
        r = a / b
        printf "%-34s %12.3f %12.3f  %-3s %7.2f   <= %-4s %s\n", n, a, b, u, r, t, (r <= t ? "ok" : "MISSED")
    }'
}

# Starts the HTTP fixture (Tests/servers/http_fixture.py) in the background
# and waits until it answers; sets $fixture (its pid, for the caller's trap)
# and $fixture_port (its http port).
start_http_fixture() {
    python3 "$(dirname "$0")/../Tests/servers/http_fixture.py" > "$tmp/fixture" &
    fixture=$!
    i=0
    while ! grep -q pid= "$tmp/fixture" 2>/dev/null; do
        kill -0 "$fixture" 2>/dev/null || die "the HTTP fixture did not start"
        i=$((i + 1))
        [ $i -lt 300 ] || die "the HTTP fixture did not start within 30 s"
        sleep 0.1
    done
    fixture_port=$(sed 's/^http=\([0-9]*\).*/\1/' "$tmp/fixture")
    curl -s --fail -o /dev/null "http://127.0.0.1:$fixture_port/json" || die "the HTTP fixture does not answer"
}
