-- Helpers for the lab.pve specs that talk to the Proxmox VE simulator
-- (Tests/servers/pve_sim.py, started by Tests/run-with-servers.sh): its
-- variables, its test-control calls, inventories that point at it, child
-- labsh runs with their own state directory. Not a spec itself.
--
--   local pve = dofile((os.getenv("LABSH_ROOT") or ".") .. "/Tests/lua/pve_support.lua")

local support = {}

--- LABSH_TEST_PVE_<name>; fails, not skips, without it.
function support.env(name)
  local value = os.getenv("LABSH_TEST_PVE_" .. name)
  if not value or value == "" then
    error(("LABSH_TEST_PVE_%s is not set: run this spec with Tests/run-with-servers.sh"):format(name), 2)
  end
  return value
end

--- POST /_sim/<op> with a JSON body: the simulator's answer, decoded.
function support.control(op, body)
  local response = lab.http.request { method = "POST", url = support.env("CONTROL") .. "/" .. op,
    json = body or {}, ca_file = support.env("CA"), timeout = 10 }
  return response.body ~= "" and lab.json.decode(response.body) or nil
end

--- GET /_sim/<what>, decoded.
function support.state(what)
  local response = lab.http.request { url = support.env("CONTROL") .. "/" .. what, ca_file = support.env("CA") }
  return lab.json.decode(response.body)
end

--- The simulator back to its seed, tasks quick.
function support.reset()
  support.control("reset")
  support.control("config", { task_seconds = 0.2, migrate_seconds = 0.3 })
end

--- A `proxmox` section pinned to the simulator, with the full token.
function support.section(extra)
  local spec = {
    urls = { { url = support.env("URL"), fingerprint = support.env("FINGERPRINT") } },
    token = "env:LABSH_TEST_PVE_TOKEN",
  }
  for k, v in pairs(extra or {}) do spec[k] = v end
  return spec
end

-- A Lua constructor for a plain value (strings, numbers, booleans, tables).
local function literal(value)
  if type(value) == "table" then
    local parts = {}
    for k, v in pairs(value) do
      parts[#parts + 1] = (type(k) == "number" and "" or ("[%q] = "):format(k)) .. literal(v)
    end
    return "{ " .. table.concat(parts, ", ") .. " }"
  end
  return type(value) == "string" and ("%q"):format(value) or tostring(value)
end

--- The text of the built-in homelab with `section` as its `proxmox`, and
--- `vmids` (guest name -> VMID) written into its guests.
function support.inventory_text(section, vmids)
  local text = require("labsh.host").embedded("stdlib/labsh/homelab.lua")
  for name, vmid in pairs(vmids or {}) do
    text = text:gsub(('{ name = "%s",'):format(name:gsub("%-", "%%-")), ('{ name = "%s", vmid = %d,'):format(name, vmid))
  end
  return (text:gsub("}%s*$", "  proxmox = " .. literal(section or support.section()) .. ",\n}\n"))
end

--- A new scratch directory: state (audit log) and the inventory file.
function support.scratch(section, vmids)
  local dir = os.tmpname()
  os.remove(dir)
  require("labsh.filesystem").make_directories(dir .. "/state")
  local f = assert(io.open(dir .. "/inventory.lua", "w"))
  f:write(support.inventory_text(section, vmids))
  f:close()
  return dir
end

--- Runs a child labsh (`args` before `-e code`) on the scratch directory's
--- inventory and state: {status, stdout, stderr}.
function support.labsh(dir, args, code)
  local argv = { os.getenv("LABSH_BIN") or arg[-1] }
  for _, a in ipairs(args or {}) do argv[#argv + 1] = a end
  if code then argv[#argv + 1] = "-e"; argv[#argv + 1] = code end
  return lab.process.run { argv = argv, timeout = 120,
    env = { LABSH_STATE_DIR = dir .. "/state", LABSH_INVENTORY = dir .. "/inventory.lua", LABSH_PATH = false } }
end

--- The audit log's lines in the scratch directory, decoded.
function support.audit(dir)
  local f = io.open(dir .. "/state/audit.log")
  if not f then return {} end
  local lines = {}
  for line in f:lines() do lines[#lines + 1] = lab.json.decode(line) end
  f:close()
  return lines
end

--- The error `fn(...)` raises.
function support.raised(fn, ...)
  local ok, err = pcall(fn, ...)
  assert(not ok, "expected an error")
  return err
end

return support
