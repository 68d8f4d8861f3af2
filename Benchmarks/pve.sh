#!/bin/sh
# lab.pve against python3-proxmoxer, on the Proxmox VE simulator
# (Tests/servers/pve_sim.py, HTTPS on loopback), end to end (a process per
# run), medians.
#   resources   lab.pve.resources() on 50 nodes, 2,000 guests, as records
#               vs proxmoxer's cluster.resources.get()       target <= 0.2 and < 50 ms
#   drain       node-drain of a node of 20 guests, migrations of 1 s each,
#               --parallel 20 (each wave's tasks waited for in one poll loop)
#               vs proxmoxer, migrate and blocking_status one after another
#                                                            target labsh < 3 s, peer >= 20 s
# PVE_BENCH_ONLY=resources runs the first part alone (default: both).
set -eu
labsh=${1:-.build/release/labsh}
runs=${RUNS:-10}
drain_runs=${DRAIN_RUNS:-3}
python=/usr/bin/python3   # Debian's: apt installs proxmoxer there
tmp=$(mktemp -d)
sim=""
trap '[ -n "$sim" ] && kill $sim 2>/dev/null; rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"

$python -c 'import proxmoxer' 2>/dev/null || die "python3-proxmoxer is not installed (make deps)"
mkdir "$tmp/sim"
python3 Tests/servers/pve_sim.py serve "$tmp/sim" > "$tmp/sim.log" 2>&1 &
sim=$!
i=0
while [ ! -s "$tmp/sim/pve.env" ]; do
    kill -0 $sim 2>/dev/null || { cat "$tmp/sim.log" >&2; die "the Proxmox VE simulator did not start"; }
    i=$((i + 1))
    [ $i -lt 300 ] || die "the Proxmox VE simulator did not start within 30 s"
    sleep 0.1
done
set -a
. "$tmp/sim/pve.env"
set +a

# A test-control request to the simulator; it must answer 200.
control() {
    curl -s --fail --cacert "$LABSH_TEST_PVE_CA" -X POST -H 'Content-Type: application/json' \
        -d "$2" "$LABSH_TEST_PVE_CONTROL/$1" > /dev/null || die "the simulator refused /_sim/$1 $2"
}

# An inventory whose proxmox section is the simulator, pinned; labsh's
# writes (the drain's audit) go to a state directory of the benchmark's own.
cat > "$tmp/inventory.lua" <<LUA
return {
  site = { name = "bench", domain = "bench.test", timezone = "UTC" },
  nodes = { { name = "node1", kind = "hypervisor", address = "10.9.0.1", vlans = { 9 },
              cpu = { model = "x", cores = 16, threads = 32 }, ram = "256GiB" } },
  vlans = { { id = 9, name = "lab", subnet = "10.9.0.0/16", gateway = "10.9.255.254", zone = "lab", trust = "high" } },
  policy = { default = "deny", rules = {} },
  proxmox = { urls = { { url = "$LABSH_TEST_PVE_URL", fingerprint = "$LABSH_TEST_PVE_FINGERPRINT" } },
              token = "env:LABSH_TEST_PVE_TOKEN" },
}
LUA
export LABSH_INVENTORY="$tmp/inventory.lua" LABSH_STATE_DIR="$tmp/state"

# ---- resources: 50 nodes, 2,000 guests ----------------------------------------
control seed '{"nodes": 50, "guests": 2000}'
cat > "$tmp/resources.lua" <<'LUA'
local rows, guests = lab.pve.resources(), 0
for _, r in ipairs(rows) do
  if r.type == "qemu" or r.type == "lxc" then guests = guests + 1 end
end
assert(guests == 2000, guests .. " guests listed, 2000 expected")
assert(getmetatable(rows[1]).__name == "lab.PveResource", "records")
LUA
# Both must work before anything is timed.
"$labsh" "$tmp/resources.lua" || die "lab.pve.resources() failed on the simulator"
$python Benchmarks/pve_peer.py resources 2000 || die "proxmoxer failed on the simulator"
ours=$(median_ms_of "$runs" "$labsh $tmp/resources.lua")
peer=$(median_ms_of "$runs" "$python Benchmarks/pve_peer.py resources 2000")

printf "%-34s %12s %12s  %-3s %7s   %s\n" "pve: simulator on loopback" "labsh" "peer" "" "ratio" "target"
row "resources 2,000 guests (proxmoxer)" "$ours" "$peer" ms 0.2
awk -v a="$ours" 'BEGIN { printf "%-34s %12.3f %12s  %-3s %7s   <  %-4s %s\n", "resources 2,000 guests: labsh", a, "-", "ms", "-", "50", (a < 50 ? "ok" : "MISSED") }'

[ "${PVE_BENCH_ONLY:-}" = resources ] && exit 0

# ---- drain: a node of 20 guests, migrations of 1 s ----------------------------
# 50 nodes, 1,000 guests: node1 holds 20 of them. Each run starts from that.
cat > "$tmp/reseed.sh" <<SH
#!/bin/sh
set -e
curl -s --fail --cacert "$LABSH_TEST_PVE_CA" -X POST -H 'Content-Type: application/json' \
    -d '{"nodes": 50, "guests": 1000}' "$LABSH_TEST_PVE_CONTROL/seed" > /dev/null
curl -s --fail --cacert "$LABSH_TEST_PVE_CA" -X POST -H 'Content-Type: application/json' \
    -d '{"task_seconds": 0.2, "migrate_seconds": 1.0}' "$LABSH_TEST_PVE_CONTROL/config" > /dev/null
SH
chmod +x "$tmp/reseed.sh"
"$tmp/reseed.sh" || die "could not seed the drain's cluster"
cat > "$tmp/on_node1.lua" <<'LUA'
local n = 0
for _, r in ipairs(lab.pve.resources({ type = "vm" })) do if r.node == "node1" and r.status == "running" then n = n + 1 end end
io.write(n)
LUA
count=$("$labsh" "$tmp/on_node1.lua") || die "could not count node1's guests"
[ "$count" = 20 ] || die "node1 holds $count running guests, 20 expected"
# One drain of each, checked, before anything is timed.
"$labsh" --yes --emergency -m node-drain node1 --parallel 20 > "$tmp/drain.out" 2>&1 ||
    { cat "$tmp/drain.out" >&2; die "node-drain failed on the simulator"; }
[ "$("$labsh" "$tmp/on_node1.lua")" = 0 ] || die "node-drain left guests on node1"
"$tmp/reseed.sh"
drain="$labsh --yes --emergency -m node-drain node1 --parallel 20"
hyperfine -N --style none --runs "$drain_runs" --prepare "$tmp/reseed.sh" --export-csv "$tmp/d.csv" "$drain" \
    > "$tmp/hyperfine.out" 2>&1 || { cat "$tmp/hyperfine.out" >&2; die "failed: $drain"; }
ours=$(awk -F, 'NR > 1 { printf "%.3f\n", $4 * 1000 }' "$tmp/d.csv")
peer_drain="$python Benchmarks/pve_peer.py drain node1 20"
hyperfine -N --style none --runs "$drain_runs" --prepare "$tmp/reseed.sh" --export-csv "$tmp/p.csv" "$peer_drain" \
    > "$tmp/hyperfine.out" 2>&1 || { cat "$tmp/hyperfine.out" >&2; die "failed: $peer_drain"; }
peer=$(awk -F, 'NR > 1 { printf "%.3f\n", $4 * 1000 }' "$tmp/p.csv")
positive "$ours" "$peer"
awk -v a="$ours" -v b="$peer" -v n="$drain_runs" 'BEGIN {
    printf "%-34s %12.3f %12.3f  %-3s %7.2f   labsh < 3000 ms %s, peer >= 20000 ms %s\n",
        "drain 20 guests x 1 s (" n " runs)", a, b, "ms", a / b, (a < 3000 ? "ok" : "MISSED"), (b >= 20000 ? "ok" : "MISSED")
}'
