-- lab.pve's clients come the way lab.prom's, lab.alertmanager's and lab.push's
-- do (labsh.endpoint.client_ways), and its credential rule is the monitoring
-- endpoints' (Credentials.check in Swift). No server needed.

local dir = os.tmpname()
os.remove(dir)
require("labsh.filesystem").make_directories(dir)

-- An inventory file: the built-in homelab with `extra` appended as sections.
local function inventory(name, extra)
  local text = require("labsh.host").embedded("stdlib/labsh/homelab.lua")
  local path = dir .. "/" .. name .. ".lua"
  local f = assert(io.open(path, "w"))
  f:write((text:gsub("}%s*$", extra .. "\n}\n")))
  f:close()
  return path
end

test("lab.pve.get asks the current inventory's cluster, looked up at each call", function()
  lab.inventory.load(inventory("none", ""))
  local ok, err = pcall(lab.pve.get, "/version")
  assert(not ok and err.reason == "config", tostring(err))
  -- port 1 on loopback: nothing listens, so the call fails as offline
  lab.inventory.load(inventory("closed", [[  proxmox = { urls = { { url = "https://127.0.0.1:1",
    fingerprint = "]] .. ("AB:"):rep(31) .. [[AB" } }, token = "env:NO_SUCH_TOKEN" },]]))
  ok, err = pcall(lab.pve.get, "/version")
  assert(not ok and err.reason == "offline", tostring(err and err.message))
  lab.inventory.load(nil)
end)

test("lab.pve.connect and lab.prom.connect share the credential rule and its words", function()
  local ok, err = pcall(lab.pve.connect, { urls = { "https://127.0.0.1:8006" }, token = "env:T",
    user = "a@pve", password = "env:P" })
  assert(not ok and tostring(err.message):find("give either 'token' or 'user' and 'password', not both", 1, true),
    tostring(err.message))
  ok, err = pcall(lab.prom.connect, { url = "http://127.0.0.1:9090", bearer = "env:T", user = "a", password = "env:P" })
  assert(not ok and tostring(err.message):find("give either 'bearer' or 'user' and 'password', not both", 1, true),
    tostring(err.message))
  ok, err = pcall(lab.pve.connect, { urls = { "https://127.0.0.1:8006" }, user = "a@pve" })
  assert(not ok and tostring(err.message):find("'user' and 'password' go together", 1, true), tostring(err.message))
end)

-- The schema is read without the shapes inside `returns` and `format`
-- objects (ProxmoxModule.ValueSink): parameters named so must stay.
test("the schema skips returns' shapes and format objects, never a parameter called format", function()
  local rules = require "labsh.pve"
  local call = rules.check("GET", "/nodes/pve1/storage", { format = true })
  assert_eq(call.returns, "array")
  assert_eq(call.fields[1][1], "format")
  assert(rules.help("/nodes/pve1/qemu/101/clone"):find("  format string", 1, true), rules.help("/nodes/pve1/qemu/101/clone"))
  local ok, err = pcall(rules.check, "GET", "/nodes/pve1/storage", { formt = true })
  assert(not ok and tostring(err.message or err):find("format", 1, true), tostring(err.message or err))
  -- a parameter whose format is an object still checks by name: net0 of a VM's config
  assert_eq(rules.check("PUT", "/nodes/pve1/qemu/101/config", { net0 = "virtio,bridge=vmbr0" }).fields[1][1], "net0")
end)

test("one rule matches cluster guests to inventory guests: the VMID when given, else the name", function()
  local a, b = { name = "a", vmid = 101 }, { name = "x" }
  local guest_of = require("labsh.pve_model").matcher { a, b }
  assert_eq(guest_of { vmid = 101, name = "x" }, a, "a VMID beats a name")
  assert_eq(guest_of { vmid = 5, name = "x" }, b)
  assert_eq(guest_of { vmid = 5, name = "a" }, nil, "a guest with a vmid is never matched by name")
end)
