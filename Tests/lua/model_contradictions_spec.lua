-- The model's own contradictions (issue 19), on the built-in homelab and on
-- every lab of Tests/inventories/ (shaped unlike the plan's):
--   * gen bind's zones pass named-checkzone, and every service record
--     resolves to addresses on the service's own VLAN (its `vlan`);
--   * the built-in homelab states a primary and a secondary name server;
--   * losing the node that holds the VLANs' gateway addresses (found from the
--     inventory, never by name) costs routing between VLANs: lab.sim.fail
--     says so and node-failure's verdict is "does NOT survive".

local filesystem = require "labsh.filesystem"
local files = require "labsh.files"
local host = require "labsh.host"

local labsh = os.getenv("LABSH_BIN") or arg[-1]
if not labsh:find("^/") then labsh = assert(os.getenv("PWD")) .. "/" .. labsh end
local tmp = filesystem.temp_directory("labsh-model-contradictions-spec")
local DIR = "Tests/inventories"

-- labsh on inventory `file` (nil: the built-in homelab), in a state of its own.
local function run(file, args)
  local argv = { labsh }
  if file then table.move({ "--inventory", DIR .. "/" .. file }, 1, 2, #argv + 1, argv) end
  table.move(args, 1, #args, #argv + 1, argv)
  local env = { LABSH_STATE_DIR = tmp .. "/state", XDG_CONFIG_HOME = tmp .. "/no-config",
                XDG_DATA_HOME = tmp .. "/no-data", LABSH_INVENTORY = false, LABSH_PATH = false }
  return lab.process.run { argv = argv, env = env, timeout = 120, read_only = true }
end

local function labs()
  local r = lab.process.run { argv = { "find", DIR, "-maxdepth", "1", "-name", "*.lua", "-printf", "%f\n" },
                              read_only = true }
  local names = { false }  -- false: the built-in homelab
  for file in r.stdout:gmatch("[^\n]+") do names[#names + 1] = file end
  assert(#names >= 5, "run from the repository's top directory")
  return names
end

local function title(file) return file or "built-in homelab" end

-- A new directory for gen's output (gen writes into one that exists).
local function out_dir(name)
  local dir = tmp .. "/" .. name
  assert_eq(lab.process.run { argv = { "mkdir", "-p", dir }, read_only = true }.status, 0)
  return dir
end

-- What the spec needs of an inventory's model, as labsh loads it.
local function model(file)
  local r = run(file or nil, { "-e", [[
    local inv = lab.inventory.current()
    print(lab.json.encode { domain = inv.site.domain, services = inv.services, vlans = inv.vlans, nodes = inv.nodes })
  ]] })
  assert_eq(r.status, 0, r.stderr)
  return lab.json.decode(r.stdout)
end

-- The forward zone's records: owner -> list of {type, data}.
local function records(text)
  local by_owner = {}
  for line in text:gmatch("[^\n]+") do
    local owner, kind, data = line:match("^(%S+)%s+IN%s+(%u+)%s+(%S+)")
    if owner then
      by_owner[owner] = by_owner[owner] or {}
      table.insert(by_owner[owner], { type = kind, data = data })
    end
  end
  return by_owner
end

-- The addresses a label resolves to inside the zone (CNAMEs followed).
local function resolve(zone, domain, label, depth)
  assert((depth or 0) < 8, "CNAME loop at " .. label)
  local addresses = {}
  for _, rr in ipairs(zone[label] or {}) do
    if rr.type == "A" or rr.type == "AAAA" then addresses[#addresses + 1] = rr.data
    elseif rr.type == "CNAME" then
      local target = rr.data:gsub("%." .. domain:gsub("%p", "%%%0") .. "%.$", "")
      for _, a in ipairs(resolve(zone, domain, target, (depth or 0) + 1)) do addresses[#addresses + 1] = a end
    end
  end
  return addresses
end

-- The in-domain label of a service's endpoint, if it has one.
local function endpoint_label(endpoint, domain)
  if not endpoint then return nil end
  local host = endpoint:gsub("^%a[%w+.-]*://", ""):gsub("[/?#].*$", ""):gsub(":%d+$", ""):lower()
  return host:match("^(.+)%." .. domain:gsub("%p", "%%%0") .. "$")
end

for _, file in ipairs(labs()) do
  test(title(file) .. ": every service's DNS record lies on the service's own VLAN; named-checkzone passes", function()
    local out = out_dir("zones-" .. (file or "builtin"))
    local r = run(file or nil, { "--yes", "-m", "gen", "bind", "--out", out })
    assert_eq(r.status, 0, r.stderr)
    local inv = model(file)
    local zones = lab.process.run { argv = { "find", out, "-name", "db.*", "-printf", "%f\n" }, read_only = true }
    for name in zones.stdout:gmatch("[^\n]+") do
      local check = lab.process.run { argv = { "named-checkzone", name:sub(4), out .. "/" .. name }, read_only = true }
      assert_eq(check.status, 0, name .. ": " .. check.stdout .. check.stderr)
    end
    local zone = records(files.read(out .. "/db." .. inv.domain))
    local machines = {}
    for _, node in ipairs(inv.nodes) do machines[node.name:lower()] = true end
    local subnet = {}
    for _, vlan in ipairs(inv.vlans) do subnet[vlan.id] = vlan.subnet end
    local checked = 0
    for _, service in ipairs(inv.services or {}) do
      local label = endpoint_label(service.endpoint, inv.domain)
      -- a machine's own name carries the machine's record, not the service's
      if label and zone[label] and not machines[label] and subnet[service.vlan] then
        for _, address in ipairs(resolve(zone, inv.domain, label)) do
          assert(lab.ipam.contains(subnet[service.vlan], address),
            ("%s (VLAN %d, %s): %s resolves to %s"):format(service.name, service.vlan, subnet[service.vlan], label, address))
          checked = checked + 1
        end
      end
    end
    if not file then assert(checked >= 20, "checked only " .. checked .. " service addresses") end
  end)
end

test("built-in homelab: a primary and a secondary name server, each with its glue record (plan §2.2)", function()
  local out = out_dir("zones-ns")
  assert_eq(run(nil, { "--yes", "-m", "gen", "bind", "--out", out }).status, 0)
  local text = files.read(out .. "/db.homelab.local")
  local zone = records(text)
  local servers = {}
  for _, rr in ipairs(zone["@"]) do if rr.type == "NS" then servers[#servers + 1] = rr.data end end
  assert_eq(#servers, 2, text)
  assert(text:find("IN SOA%s+" .. servers[1]:gsub("%p", "%%%0")), "the first name server is the SOA primary")
  for _, server in ipairs(servers) do
    local label = server:match("^([^.]+)%.homelab%.local%.$")
    assert_eq(#resolve(zone, "homelab.local", label), 1, server .. " has one glue address")
  end
end)

test("an inventory with one name server still makes one NS record", function()
  -- the built-in homelab with the DNS service's secondary address left out
  local built = host.embedded("stdlib/labsh/homelab.lua")
  local one, count = built:gsub('addresses = { "192%.168%.20%.53", "192%.168%.20%.54" }', 'addresses = { "192.168.20.53" }')
  assert_eq(count, 1, "the built-in DNS service states two addresses")
  local inventory = tmp .. "/one-ns.lua"
  write_file(inventory, one)
  local out = out_dir("zones-one-ns")
  local r = lab.process.run { argv = { labsh, "--yes", "--inventory", inventory, "-m", "gen", "bind", "--out", out },
                              env = { LABSH_STATE_DIR = tmp .. "/state" }, timeout = 120, read_only = true }
  assert_eq(r.status, 0, r.stderr)
  local zone = records(files.read(out .. "/db.homelab.local"))
  local servers = {}
  for _, rr in ipairs(zone["@"]) do if rr.type == "NS" then servers[#servers + 1] = rr.data end end
  assert_eq(table.concat(servers, " "), "dns.homelab.local.")
  assert_eq(table.concat(resolve(zone, "homelab.local", "dns"), " "), "192.168.20.53")
end)

-- The node holding the VLANs' gateway addresses: by address, else the
-- gateway node routing the VLAN (what the model says, not a name).
local function router(inv)
  for _, vlan in ipairs(inv.vlans) do
    for _, node in ipairs(inv.nodes) do
      if node.address == vlan.gateway then return node.name end
    end
    for _, node in ipairs(inv.nodes) do
      if node.kind == "gateway" then
        local routes = #(node.vlans or {}) == 0
        for _, id in ipairs(node.vlans or {}) do routes = routes or id == vlan.id end
        if routes then return node.name end
      end
    end
  end
end

for _, file in ipairs(labs()) do
  test(title(file) .. ": losing the VLANs' router costs routing between them (lab.sim.fail, node-failure)", function()
    local inv = model(file)
    local name = router(inv)
    if not name then return end  -- a lab whose VLAN gateways no node holds: nothing to lose
    local r = run(file or nil, { "-e", ([[
      local r = lab.sim.fail(%q)
      print(lab.json.encode { unrouted = r.unrouted, reasons = r.reasons, services = r.services, summary = tostring(r) })
    ]]):format(name) })
    assert_eq(r.status, 0, r.stderr)
    local report = lab.json.decode(r.stdout)
    assert(#report.unrouted >= 1, r.stdout)
    for _, u in ipairs(report.unrouted) do assert_eq(u.router, name) end
    local said = false
    for _, reason in ipairs(report.reasons) do said = said or reason:find("inter-VLAN routing lost: " .. name, 1, true) end
    assert(said, r.stdout)
    assert(report.summary:find("routing LOST (VLAN ", 1, true), report.summary)
    local drill = run(file or nil, { "--format", "json", "-m", "node-failure", name })
    assert_eq(drill.status, 1, drill.stdout .. drill.stderr)
    local verdict = lab.json.decode(drill.stdout)
    assert_eq(verdict.survives, false)
    assert(#verdict.unrouted >= 1, drill.stdout)
    -- another node's loss keeps routing: an empty list, not an object
    for _, node in ipairs(inv.nodes) do
      if node.name ~= name then
        local other = run(file or nil, { "--format", "json", "-m", "node-failure", node.name })
        assert(other.stdout:find('"unrouted":[]', 1, true), other.stdout)
        break
      end
    end
    local text = run(file or nil, { "-m", "node-failure", name })
    assert(text.stdout:find("verdict: the homelab does NOT survive this failure", 1, true), text.stdout)
    assert(text.stdout:find("inter-VLAN routing lost", 1, true), text.stdout)
  end)
end

test("built-in homelab: the services other VLANs reach are lost with the router, each with its reason", function()
  local inv = model(nil)
  local r = run(nil, { "-e", ([[
    local r = lab.sim.fail(%q)
    local out = {}
    for _, s in ipairs(r.services) do out[s.service] = s.reason end
    print(lab.json.encode(out))
  ]]):format(router(inv)) })
  local reasons = lab.json.decode(r.stdout)
  -- DNS (VLAN 20) is reached from management and k8s by the policy
  assert_eq(reasons.dns, "inter-VLAN routing lost (" .. router(inv) .. " down): management, k8s reach it across VLANs")
end)
