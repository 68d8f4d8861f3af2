-- demo: a first look at the homelab labsh knows.
--
-- What `make run` shows until the daily report arrives (issue 7):
-- a first look at the homelab labsh knows. Run it with `labsh -m demo`;
-- copy it to start a script of your own.

require("labsh.cli").parse({ ... }, {
  name = "demo", summary = "a first look at the homelab labsh knows (copy it to start a script)",
  exit = "0 done, 2 usage",
})

local pretty = require "labsh.pretty"

local GiB = 1 << 30

print(("labsh %s (%s) on %s"):format(lab.version, _VERSION, lab.sys.hostname()))
local summary = lab.inventory.summary()
print(("inventory: %s: %d nodes, %d guests, %d VLANs, %d services"):format(
  summary.file, summary.nodes, summary.guests, summary.vlans, summary.services))
print()

-- Plain data prints as an aligned table: here, each hypervisor and its RAM.
local rows = {}
for _, node in ipairs(lab.nodes { kind = "hypervisor" }) do
  rows[#rows + 1] = {
    name = node.name,
    model = node.model,
    cores = node.cores,
    ram_gib = node.ram // GiB,
    guests = #node:guests(),
    free_gib = node:free() // GiB,
  }
end
print(pretty.format(rows))
print()

print(lab.net.why("k8s", "management"))
print(lab.net.why("ops", "k8s", 9100))
print(("tier 1 error budget: %s a month"):format(lab.slo(1).budget))

for _, warning in ipairs(summary.warnings) do print("warning: " .. warning) end
