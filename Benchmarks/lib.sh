# Shared by the Benchmarks/*.sh scripts (sourced; they set $tmp first).

# Median wall time in ms of one command (hyperfine, no shell in between),
# over $1 runs.
median_ms_of() {
    hyperfine -N --style none --warmup 1 --runs "$1" --export-csv "$tmp/t.csv" "$2" >/dev/null 2>&1
    awk -F, 'NR > 1 { printf "%.3f\n", $4 * 1000 }' "$tmp/t.csv"
}

# One result line: name, labsh figure, peer figure, unit, target ratio.
row() {
    awk -v n="$1" -v a="$2" -v b="$3" -v u="$4" -v t="$5" 'BEGIN {
        r = a / b
        printf "%-34s %12.3f %12.3f  %-3s %7.2f   <= %-4s %s\n", n, a, b, u, r, t, (r <= t ? "ok" : "MISSED")
    }'
}
