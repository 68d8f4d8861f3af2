-- demo: a first look at the homelab labsh knows.
--
-- What `make run` shows until the daily report arrives (issue 7):
-- a first look at the homelab labsh knows. Run it with `labsh -m demo`;
-- copy it to start a script of your own.

return labsh.script {
  name = "demo",
  description = "a first look at the homelab labsh knows (copy it to start a script)",
  exit = "0 done, 2 usage",
  requires = {},  -- it reads the model and prints
  run = function()

    local pretty = require "labsh.pretty"

    local GiB = 1 << 30

    print(("labsh %s (%s) on %s"):format(lab.version, _VERSION, lab.sys.hostname()))
    local summary = lab.inventory.summary()
    print(("inventory: %s: %d nodes, %d guests, %d VLANs, %d services"):format(
      summary.file, summary.nodes, summary.guests, summary.vlans, summary.services))
    print()

    -- Plain data prints as an aligned table: here, each machine that runs
    -- guests and its RAM ("-" where the inventory gives no size).
    local function gib(bytes) return bytes and bytes // GiB or "-" end
    local rows = {}
    for _, node in ipairs(lab.nodes { kind = { "hypervisor", "server", "sbc" } }) do
      local has_ram = node.ram ~= nil and node.ram > 0
      rows[#rows + 1] = {
        name = node.name,
        model = node.model,
        cores = node.cores,
        ram_gib = gib(node.ram),
        guests = #node:guests(),
        free_gib = has_ram and gib(node:free()) or "-",
      }
    end
    print(pretty.format(rows))
    print()

    -- The policy between the least and the most trusted zones, both ways: what
    -- the inventory's own zones are called does not matter.
    local TRUST_ORDER = { isolated = 1, low = 2, medium = 3, high = 4, critical = 5 }
    local zones = {}
    for _, vlan in ipairs(lab.vlans()) do zones[#zones + 1] = vlan end
    table.sort(zones, function(a, b) return (TRUST_ORDER[a.trust] or 0) < (TRUST_ORDER[b.trust] or 0) end)
    local least, most = zones[1], zones[#zones]
    if least and most and least.zone ~= most.zone then
      print(lab.net.why(least.zone, most.zone))
      print(lab.net.why(most.zone, least.zone, 22))
    end
    print(("tier 1 error budget: %s a month"):format(lab.slo(1).budget))

    for _, warning in ipairs(summary.warnings) do print("warning: " .. warning) end
  end,
}
