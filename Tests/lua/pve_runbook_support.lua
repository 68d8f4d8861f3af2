-- Helpers for the Proxmox runbook specs (pve_runbooks_spec and friends): a
-- homelab shaped unlike the plan's (nodes node1..nodeN, guests guest1..M,
-- as the simulator's POST /_sim/seed {nodes, guests} makes them), seeded
-- into the simulator, and child labsh runs on it with their own state.
-- Not a spec itself.
--
--   local rb = dofile((os.getenv("LABSH_ROOT") or ".") .. "/Tests/lua/pve_runbook_support.lua")

local s = dofile((os.getenv("LABSH_ROOT") or ".") .. "/Tests/lua/pve_support.lua")

local rb = { sim = s }

-- The simulator's synthetic cluster: guest i (from 1) is VMID 999 + i on
-- node ((i - 1) % nodes) + 1, a container when (i - 1) % 4 == 0, 4 GiB;
-- nodes have 256 GiB.
function rb.guest_node(i, nodes) return "node" .. ((i - 1) % nodes + 1) end
function rb.guest_kind(i) return (i - 1) % 4 == 0 and "lxc" or "vm" end
function rb.vmid(i) return 999 + i end

--- The inventory's text for a seeded cluster of `nodes` and `guests`;
--- opts.etcd: guest numbers marked as the inventory's k8s_servers (role
--- "control"); opts.token: the token reference (default: the full one);
--- opts.extra: more Lua fields for the inventory table.
function rb.inventory_text(nodes, guests, opts)
  opts = opts or {}
  local etcd = {}
  for _, i in ipairs(opts.etcd or {}) do etcd[i] = true end
  local lines = {
    "return {",
    '  site = { name = "harbour", domain = "harbour.test", timezone = "UTC" },',
    "  nodes = {",
  }
  for n = 1, nodes do
    lines[#lines + 1] = ('    { name = "node%d", kind = "hypervisor", cluster = "bench", address = "10.9.0.%d", vlans = { 9 },'
      .. ' cpu = { model = "x", cores = 16, threads = 32 }, ram = "256GiB" },'):format(n, n)
  end
  lines[#lines + 1] = "  },"
  lines[#lines + 1] = "  guests = {"
  for i = 1, guests do
    lines[#lines + 1] = ('    { name = "guest%d", vmid = %d, kind = "%s", node = "%s", vcpu = 2, ram = "4GiB", disk = "32GiB",'
      .. ' vlan = 9, address = "10.9.1.%d"%s },'):format(i, rb.vmid(i), rb.guest_kind(i), rb.guest_node(i, nodes), i,
      etcd[i] and ', role = "control"' or "")
  end
  lines[#lines + 1] = "  },"
  lines[#lines + 1] = '  vlans = { { id = 9, name = "lab", subnet = "10.9.0.0/16", gateway = "10.9.255.254", zone = "lab", trust = "high" } },'
  lines[#lines + 1] = '  policy = { default = "deny", rules = {} },'
  lines[#lines + 1] = '  targets = { k8s_servers = { role = "control" } },'
  lines[#lines + 1] = ("  proxmox = { urls = { { url = %q, fingerprint = %q } }, token = %q },")
    :format(s.env("URL"), s.env("FINGERPRINT"), opts.token or "env:LABSH_TEST_PVE_TOKEN")
  if opts.extra then lines[#lines + 1] = opts.extra end
  lines[#lines + 1] = "}"
  return table.concat(lines, "\n") .. "\n"
end

--- The simulator seeded with `nodes` and `guests`, tasks quick; a scratch
--- directory with the matching inventory and a state directory.
function rb.setup(nodes, guests, opts)
  s.control("reset")
  s.control("seed", { nodes = nodes, guests = guests })
  s.control("config", { task_seconds = 0.2, migrate_seconds = (opts or {}).migrate_seconds or 0.3 })
  local dir = os.tmpname()
  os.remove(dir)
  require("labsh.filesystem").make_directories(dir .. "/state")
  local f = assert(io.open(dir .. "/inventory.lua", "w"))
  f:write(rb.inventory_text(nodes, guests, opts))
  f:close()
  return dir
end

-- A child labsh's environment: the scratch directory's state and inventory.
local function env_of(dir)
  return { LABSH_STATE_DIR = dir .. "/state", LABSH_INVENTORY = dir .. "/inventory.lua",
           LABSH_PATH = os.getenv("LABSH_TEST_RUNBOOK_PATH") or false }
end

--- A child labsh on the scratch directory: {status, stdout, stderr}.
function rb.labsh(dir, args)
  local argv = { os.getenv("LABSH_BIN") or arg[-1] }
  for _, a in ipairs(args) do argv[#argv + 1] = a end
  return lab.process.run { argv = argv, timeout = 120, env = env_of(dir) }
end

--- A child labsh on the scratch directory, sent SIGINT once its stderr
--- shows `mark` (or after 20 s): its exit status and its stderr.
function rb.interrupted(dir, args, mark)
  local words = {}
  for i, w in ipairs { os.getenv("LABSH_BIN") or arg[-1], table.unpack(args) } do
    words[i] = "'" .. w:gsub("'", "'\\''") .. "'"
  end
  local err = dir .. "/stderr"
  local script = table.concat(words, " ") .. " 2>" .. err .. " & p=$!\n"
    .. "i=0; while ! grep -q '" .. mark .. "' " .. err .. " && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done\n"
    .. "kill -INT $p; wait $p; echo $?"
  local r = lab.process.run { argv = { "sh", "-c", script }, timeout = 120, env = env_of(dir) }
  return tonumber(r.stdout:match("(%d+)%s*$")), read_file(err) or ""
end

--- Where each guest runs now: vmid -> {node, status, lock}.
function rb.placement()
  local client = lab.pve.connect(s.section())
  local where = {}
  for _, r in ipairs(client:get("/cluster/resources", { type = "vm" })) do where[r.vmid] = r end
  return where
end

--- The VMIDs on `node` now, sorted.
function rb.on(node)
  local list = {}
  for vmid, r in pairs(rb.placement()) do if r.node == node then list[#list + 1] = vmid end end
  table.sort(list)
  return list
end

--- The audit log's runbook end lines (action "runbook").
function rb.runbook_audit(dir)
  local out = {}
  for _, line in ipairs(s.audit(dir)) do if line.action == "runbook" then out[#out + 1] = line end end
  return out
end

return rb
