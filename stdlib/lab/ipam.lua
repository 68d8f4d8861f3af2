-- lab.ipam: addresses and prefixes, IPv4 and IPv6, exact. The arithmetic
-- is Swift (labsh.ipam, Sources/LabBindings/IpamModule.swift); this module
-- names its errors as lab.ipam's and lets next_free take a VLAN of the
-- inventory, skipping the addresses the inventory already uses.

local blame = require "labsh.blame"
local core = require "labsh.ipam"

local ipam = {}

-- core[name](...), its errors raised as lab.ipam.NAME's at the caller.
for name, fn in pairs(core) do
  ipam[name] = function(...) return (blame.call("lab.ipam." .. name, 0, 2, fn, ...)) end  -- no tail call: keeps the caller's line
end

-- The address in an endpoint or probe target ("https://192.0.2.7:8443/x",
-- "[2001:db8::5]:53", "192.0.2.7:53", "192.0.2.7"), or nil for a name.
local function address_in(text)
  if type(text) ~= "string" then return nil end
  local rest = text:gsub("^%a[%w+.%-]*://", "")
  local candidate = rest:match("^%[([^%]]+)%]") or rest:match("^([^/]+)")
  if not candidate then return nil end
  if not candidate:find(":.*:") then candidate = candidate:gsub(":%d+$", "") end  -- IPv4 or a name with a port
  local ok, inside = pcall(core.contains, candidate:find(":") and "::/0" or "0.0.0.0/0", candidate)
  return ok and inside and candidate or nil
end

--- The addresses the inventory gives out: nodes' and guests' addresses,
--- every VLAN's gateway, and service endpoints and probe targets written
--- as addresses. (The inventory models no DHCP range or reservation.)
function ipam.used()
  local used = {}
  for _, n in ipairs(lab.nodes()) do used[#used + 1] = n.address end
  for _, g in ipairs(lab.guests()) do used[#used + 1] = g.address end
  for _, v in ipairs(lab.vlans()) do used[#used + 1] = v.gateway end
  for _, s in ipairs(lab.services()) do
    used[#used + 1] = address_in(s.endpoint)
    used[#used + 1] = address_in(s.probe and s.probe.target)
  end
  return used
end

-- The inventory's VLAN that `which` names: a VLAN record, its id, its name
-- or its subnet; nil for a subnet no VLAN has. Anything else is the
-- caller's mistake, raised at their call with the known VLANs.
local function vlan_of(which)
  local vlans = lab.vlans()
  if type(which) == "table" or type(which) == "userdata" then which = which.id end
  for _, v in ipairs(vlans) do
    if v.id == which or v.name == which or v.subnet == which then return v end
  end
  if type(which) == "string" and which:find("/", 1, true) then return nil end
  local names, ids = {}, {}
  for _, v in ipairs(vlans) do names[#names + 1], ids[#ids + 1] = v.name, tostring(v.id) end
  local hint = type(which) == "string" and blame.hint(which, names, "VLANs")
    or "; VLANs: " .. table.concat(ids, ", ")  -- a near number is no better a guess than another
  blame.argument(1, "lab.ipam.next_free", ("no VLAN %s: an id, a name or a subnet of the inventory%s")
    :format(blame.shown(which), hint), 3)
end

--- next_free(vlan): the first free host address of an inventory VLAN (id,
--- name, subnet or record), skipping every address the inventory uses
--- (ipam.used). next_free(cidr, used, gateway): of any prefix, skipping
--- `used` and the gateway. nil when nothing is free.
function ipam.next_free(network, used, gateway)
  if used == nil and gateway == nil then
    local vlan = vlan_of(network)
    if vlan then return (blame.call("lab.ipam.next_free", 0, 2, core.next_free, vlan.subnet, ipam.used())) end
  end
  return (blame.call("lab.ipam.next_free", 0, 2, core.next_free, network, used, gateway))
end

return ipam
