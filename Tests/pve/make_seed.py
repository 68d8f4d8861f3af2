#!/usr/bin/env python3
"""The simulator's seed: the built-in homelab's Proxmox cluster, from labsh itself.

    make_seed.py LABSH            write Tests/pve/homelab-seed.json
    make_seed.py --check LABSH    exit 1 when the file no longer matches LABSH's model
                                  (--seed FILE: check another file)

The cluster is the nodes with a `cluster` (the first one's), the guests those
nodes carry; a guest's VMID is its inventory `vmid`, else 100 + its place in
the list (k8s-m1 is 101). Guests on other machines (the GPU workstation) are
not Proxmox's. The check runs in `make test-pve-sim`, so the seed cannot drift
from stdlib/labsh/homelab.lua.
"""

import json
import os
import subprocess
import sys

SEED_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "homelab-seed.json")

# Runs in labsh: the model as JSON, nothing invented here but the VMIDs.
MODEL_TO_JSON = r"""
local cluster, members = nil, {}
for _, n in ipairs(lab.nodes()) do
  if n.cluster and (cluster == nil or n.cluster == cluster) then
    cluster = n.cluster
    members[n.name] = true
  end
end
local seed = {cluster = cluster, nodes = {}, guests = {}, ha_groups = {}}
for _, n in ipairs(lab.nodes()) do
  if members[n.name] then
    seed.nodes[#seed.nodes + 1] = {name = n.name, address = n.address,
      cpus = n.threads or n.cores, ram = n.ram, storage = n.storage}
  end
end
local place = 0
for _, g in ipairs(lab.guests()) do
  if members[g.node] then
    place = place + 1
    seed.guests[#seed.guests + 1] = {vmid = g.vmid or 100 + place, name = g.name,
      kind = g.kind == "lxc" and "lxc" or "qemu", node = g.node, ram = g.ram,
      vcpu = g.vcpu, disk = g.disk, ha_group = g.ha_group}
  end
end
for _, group in ipairs(lab.inventory.current().ha_groups or {}) do
  local nodes = {}
  for i, n in ipairs(group.nodes) do nodes[i] = type(n) == "table" and n.node or n end
  seed.ha_groups[#seed.ha_groups + 1] = {name = group.name, nodes = nodes}
end
print(lab.json.encode(seed))
"""


def model(labsh):
    env = {k: v for k, v in os.environ.items() if k not in ("LABSH_INVENTORY", "XDG_CONFIG_HOME")}
    env["XDG_CONFIG_HOME"] = "/nonexistent"  # the built-in homelab, never a user's inventory
    out = subprocess.run([labsh, "-e", MODEL_TO_JSON], capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout)


def main(argv):
    args = argv[1:]
    check = "--check" in args
    seed_file = SEED_FILE
    if "--seed" in args and args.index("--seed") + 1 < len(args):
        seed_file = args.pop(args.index("--seed") + 1)
        args.remove("--seed")
    args = [a for a in args if a != "--check"]
    if len(args) != 1:
        sys.stderr.write(__doc__)
        return 2
    seed = model(args[0])
    if check:
        with open(seed_file) as f:
            stored = json.load(f)
        if stored != seed:
            sys.stderr.write("%s is stale: labsh's homelab changed; run Tests/pve/make_seed.py %s\n"
                             % (seed_file, args[0]))
            return 1
        print("homelab seed matches labsh's model (%d nodes, %d guests)"
              % (len(seed["nodes"]), len(seed["guests"])))
        return 0
    with open(SEED_FILE, "w") as f:
        json.dump(seed, f, indent=1, sort_keys=True)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
