#!/bin/sh
# lab.sim.n_minus_1() over 50 nodes and 2,000 guests (Benchmarks/sim-inventory.lua):
# every single-node failure with quorum, re-placement and service checks.
# Timed inside labsh (the inventory loaded and validated first), median of
# $RUNS calls; the "peer" column is the budget, 100 ms (issue 6 §5).
set -eu
labsh=${1:-.build/release/labsh}
case $labsh in /*) ;; *) labsh=$(pwd)/$labsh ;; esac
runs=${RUNS:-15}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"

"$labsh" "$(dirname "$0")/sim-inventory.lua" "$tmp/sim.lua" || die "could not write the simulation inventory"
[ -s "$tmp/sim.lua" ] || die "the simulation inventory is empty"
cat > "$tmp/bench.lua" <<'LUA'
  lab.inventory.model()
  local n = tonumber(arg[1])
  local times = {}
  for i = 1, n do
    local t0 = lab.sys.monotonic()
    local rows = lab.sim.n_minus_1()
    times[i] = (lab.sys.monotonic() - t0) * 1000
    assert(#rows == 53)
  end
  table.sort(times)
  print(("%.3f"):format(times[(n + 1) // 2]))
LUA
ms=$("$labsh" --inventory "$tmp/sim.lua" "$tmp/bench.lua" "$runs") || die "the simulation failed"
row "sim n_minus_1 50 nodes 2000 guests" "$ms" 100 ms 1.00
