#!/bin/sh
# labsh's retention decisions against restic's own (Debian's restic).
#   2,000 snapshots  lab.backup.prune on `restic snapshots --json`   vs restic forget --dry-run --json
#                    repo:forget{dry_run} end to end (runs restic)  vs restic forget --dry-run --json
#   100,000 snapshots in one group: the decision alone                target < 200 ms
# The 2,000-snapshot repository is made once (a few minutes: 2,000 restic
# backups with --time, in parallel) and kept in .build/bench/restic-2000.
set -eu
labsh=${1:-.build/release/labsh}
case $labsh in /*) ;; *) labsh=$(pwd)/$labsh ;; esac
runs=${RUNS:-10}
bench=${RESTIC_BENCH_DIR:-.build/bench/restic-2000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"

export RESTIC_REPOSITORY="$bench/repo" RESTIC_PASSWORD=labsh-bench RESTIC_CACHE_DIR="$bench/cache"
# One time zone for restic's buckets and labsh's; the audit log of the dry
# runs stays in the scratch directory.
export TZ=UTC LABSH_STATE_DIR="$tmp"
# Every snapshot of restic forget's policy flags, the same policy for labsh.
flags="--keep-last 3 --keep-daily 14 --keep-weekly 8 --keep-monthly 24 --keep-yearly 5"
policy='{ last = 3, daily = 14, weekly = 8, monthly = 24, yearly = 5 }'

# Times of snapshots still to make: the list less those in the repository.
# (A script file, not -e: after -e CODE, labsh, like lua, runs the next
# argument as the script.)
cat > "$tmp/missing.lua" <<'LUA'
local f = assert(io.open(arg[1])) local have = {}
for _, s in ipairs(lab.json.decode(f:read("a"))) do have[s.time:sub(1, 19):gsub("T", " ")] = true end
f:close()
local n = 0
for line in io.lines(arg[2]) do n = n + 1 if not have[line] then print(line) end end
assert(n == 2000, "the list of snapshot times has " .. n .. " lines, not 2000")
LUA
missing() {
    restic snapshots --json > "$tmp/have.json" || die "restic snapshots failed (repository $RESTIC_REPOSITORY)"
    "$labsh" "$tmp/missing.lua" "$tmp/have.json" "$bench/times" > "$tmp/missing" ||
        die "could not work out the snapshots still to make"
    cat "$tmp/missing"
}

# How many snapshots a `restic snapshots --json` file lists (0: no file).
cat > "$tmp/count.lua" <<'LUA'
local f = io.open(arg[1])
if not f then print(0) return end
print(#lab.json.decode(f:read("a")))
f:close()
LUA
count_snapshots() { "$labsh" "$tmp/count.lua" "$1" || die "cannot read $1"; }

# A repository marked complete must hold the 2,000 snapshots: one left
# empty or half made by an earlier failed run is made again.
if [ -f "$bench/complete" ] && [ "$(count_snapshots "$bench/snapshots.json")" != 2000 ]; then
    echo "restic bench: $bench is marked complete but does not hold 2,000 snapshots: making it again" >&2
    rm -rf "$bench"
fi

if [ ! -f "$bench/complete" ]; then
    echo "restic bench: creating 2,000 snapshots in $bench (once; takes a few minutes)..." >&2
    if [ ! -f "$bench/repo/config" ]; then
        rm -rf "$bench"
        mkdir -p "$bench/src"
        echo data > "$bench/src/file"
        restic init -q || die "restic init failed in $bench/repo"
        # Three years of history: every ~13 hours, some hours of jitter, so
        # hourly, daily, weekly, monthly and yearly buckets all matter.
        "$labsh" -e 'math.randomseed(2026) local t = 1640995200
            for _ = 1, 2000 do t = t + 46800 + math.random(0, 14400) print(os.date("!%Y-%m-%d %H:%M:%S", t)) end' \
            > "$bench/times" || die "could not make the list of snapshot times"
    fi
    # In parallel; a backup that loses a race for restic's lock files is
    # made again below, one at a time.
    [ "$(wc -l < "$bench/times")" = 2000 ] || die "could not make the list of snapshot times ($bench/times)"
    missing > "$tmp/todo"
    xargs -P 4 -I{} restic backup -q --host bench --time "{}" "$bench/src" < "$tmp/todo" > /dev/null 2>> "$bench/log" || true
    missing > "$tmp/todo"
    while read -r t; do
        restic backup -q --host bench --time "$t" "$bench/src" > /dev/null || die "restic backup --time '$t' failed"
    done < "$tmp/todo"
    missing > "$tmp/todo"
    [ ! -s "$tmp/todo" ] || die "could not create the snapshots (see $bench/log)"
    restic snapshots --json > "$bench/snapshots.json" || die "restic snapshots failed"
    [ "$(count_snapshots "$bench/snapshots.json")" = 2000 ] ||
        die "the repository does not hold 2,000 snapshots after making them"
    touch "$bench/complete"
fi

# The decision alone: decode restic's JSON and prune, inside one labsh
# (median of 20), and check it keeps what restic keeps.
cat > "$tmp/decide.lua" <<LUA
local f = assert(io.open("$bench/snapshots.json", "rb")) local text = f:read("a") f:close()
local times = {}
local plan
for i = 1, 20 do
  local t = lab.sys.monotonic()
  plan = lab.backup.prune(lab.json.decode(text), $policy, { semantics = "restic-0.14" })
  times[i] = (lab.sys.monotonic() - t) * 1000
end
table.sort(times)
local keep = {}
for _, s in ipairs(plan.keep) do keep[#keep + 1] = s.id end
table.sort(keep)
print(times[10] .. " " .. table.concat(keep, ","))
LUA
restic forget --dry-run --json $flags > "$tmp/restic.json" || die "restic forget --dry-run failed"
cat > "$tmp/restic-keep.lua" <<LUA
local f = assert(io.open("$tmp/restic.json", "rb")) local groups = lab.json.decode(f:read("a")) f:close()
local keep = {}
for _, g in ipairs(groups) do for _, s in ipairs(g.keep or {}) do keep[#keep + 1] = s.id end end
table.sort(keep)
print(table.concat(keep, ","))
LUA
"$labsh" "$tmp/decide.lua" > "$tmp/decide.out" || die "labsh's decision failed"
"$labsh" "$tmp/restic-keep.lua" > "$tmp/restic-keep.out" || die "cannot read restic's keep set"
decision=$(cut -d' ' -f1 "$tmp/decide.out")
positive "$decision"
labsh_keep=$(cut -d' ' -f2 "$tmp/decide.out")
restic_keep=$(cat "$tmp/restic-keep.out")
# Two empty sets are "identical" too: both must keep something.
[ -n "$labsh_keep" ] || die "labsh keeps no snapshot of 2,000"
[ -n "$restic_keep" ] || die "restic keeps no snapshot of 2,000"
same=no
[ "$labsh_keep" = "$restic_keep" ] && same=yes

cat > "$tmp/forget.lua" <<LUA
lab.restic(os.getenv("RESTIC_REPOSITORY")):forget($policy, { dry_run = true })
LUA
restic_ms=$(median_ms_of "$runs" "restic forget --dry-run --json $flags")
forget_ms=$(median_ms_of "$runs" "$labsh $tmp/forget.lua")

printf "%-34s %12s %12s  %-3s %7s   %s\n" "restic: 2,000 snapshots" "labsh" "peer" "" "ratio" "target"
row "decision (peer restic forget -n)" "$decision" "$restic_ms" ms 0.1
row "forget dry run, end to end" "$forget_ms" "$restic_ms" ms 3.0
echo "  keep sets of labsh and restic identical: $same"

# 100,000 snapshots in one group, times as restic prints them: the decision alone.
cat > "$tmp/big.lua" <<'LUA'
local snapshots, t0 = {}, 1600000000
for i = 1, 100000 do
  snapshots[i] = { time = os.date("!%Y-%m-%dT%H:%M:%S", t0 + i * 937) .. ".5Z", hostname = "h", paths = { "/d" } }
end
local times = {}
for i = 1, 5 do
  local t = lab.sys.monotonic()
  lab.backup.prune(snapshots, { hourly = 48, daily = 30, weekly = 12, monthly = 24, yearly = 10 }, { group_by = "" })
  times[i] = (lab.sys.monotonic() - t) * 1000
end
table.sort(times)
print(times[3])
LUA
big=$("$labsh" "$tmp/big.lua") || die "the 100,000-snapshot decision failed"
positive "$big"
awk -v m="$big" 'BEGIN {
    printf "%-34s %12.3f %12s  %-3s %7s   <  %-4s %s\n", "prune 100,000 snapshots, one group", m, "-", "ms", "-", "200", (m < 200 ? "ok" : "MISSED")
}'
