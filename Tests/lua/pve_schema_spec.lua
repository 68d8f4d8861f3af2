-- lab.pve without a cluster: the schema checks every call before anything
-- is sent (names with did-you-mean, types, enums, ranges, required), paths
-- cannot be steered with "..", "?" or encoded slashes, task ids from a
-- hostile server are parsed strictly, credentials are never echoed.
-- Runs under labsh only.

local rules = require "labsh.pve"

local function raised(fn, ...)
  local ok, err = pcall(fn, ...)
  assert(not ok, "expected an error")
  return err
end

local function message(err)
  return type(err) == "table" and tostring(err.message) or tostring(err)
end

-- A client that never reaches a server: nothing in these tests may need one.
local function offline_client(extra)
  local spec = { urls = { "https://127.0.0.1:9" }, token = "env:LABSH_TEST_NO_SUCH_TOKEN", insecure = true }
  for k, v in pairs(extra or {}) do spec[k] = v end
  return lab.pve.connect(spec)
end

test("a misspelt parameter fails locally with a did-you-mean and the path's parameters", function()
  local err = raised(offline_client().post, offline_client(), "/nodes/pve1/qemu/101/status/start", { timout = 30 })
  assert_eq(err.kind, "pve")
  assert_eq(err.reason, "param")
  assert_eq(err["local"], true, "checked before sending")
  assert(message(err):find("unknown parameter 'timout' (did you mean 'timeout'?)", 1, true), message(err))
  assert(message(err):find("parameters of POST /nodes/{node}/qemu/{vmid}/status/start:", 1, true), message(err))
  assert(message(err):find("\n  timeout integer", 1, true), message(err))
end)

test("types, enums, ranges and required parameters are checked", function()
  local c = offline_client()
  assert(message(raised(c.get, c, "/cluster/resources", { type = "vms" }))
    :find("'type' (string) must be one of vm, storage, node, sdn, not 'vms' (did you mean 'vm'?)", 1, true))
  assert(message(raised(c.get, c, "/nodes/pve1/qemu/99/status/current")):find("'vmid' (integer) must be at least 100", 1, true))
  assert(message(raised(c.get, c, "/nodes/pve1/qemu/abc/status/current")):find("'vmid' (integer) must be an integer", 1, true))
  assert(message(raised(c.post, c, "/nodes/pve1/qemu/101/migrate", {})):find("missing required parameter 'target'", 1, true))
  assert(message(raised(c.post, c, "/nodes/pve1/qemu/101/migrate", { target = "pve2", online = "yes" }))
    :find("'online' (boolean) must be a boolean, not a string", 1, true))
  assert(message(raised(c.get, c, "/no/such/path")):find("no such API path", 1, true))
  assert(message(raised(c.put, c, "/cluster/resources")):find("PUT is not an operation of /cluster/resources (it has GET)", 1, true))
end)

test("a checked call is encoded as PVE reads it: booleans 1/0, the template's segments encoded", function()
  local checked = rules.check("POST", "/nodes/pve1/qemu/101/migrate", { target = "pve2", online = true })
  assert_eq(checked.template, "/nodes/{node}/qemu/{vmid}/migrate")
  assert_same(checked.fields, { { "online", "1" }, { "target", "pve2" } })
  assert_eq(checked.privilege, "VM.Migrate on /vms/101")
  assert_eq(require("labsh.pve_client").describe("POST", checked),
    "POST /api2/json/nodes/pve1/qemu/101/migrate online=1&target=pve2")
end)

test("a plan never shows a password's value", function()
  local checked = rules.check("PUT", "/access/password", { userid = "ops@pve", password = "hunter2-long" })
  local said = require("labsh.pve_client").describe("PUT", checked)
  assert_eq(said, "PUT /api2/json/access/password password=<redacted>&userid=ops%40pve")
end)

test("paths cannot be steered: '..', '.', empty segments, '?', '#' and encoded '/' are refused", function()
  for _, path in ipairs { "/nodes/pve1/../../access/users", "/nodes/./status", "/nodes//status",
                          "/cluster/resources?type=vm", "/cluster/resources#x", "/nodes/pve1%2F..%2Fx/status",
                          "/nodes/pve1\n/status", "cluster/resources" } do
    local err = raised(rules.check, "GET", path)
    assert(message(err):find("path", 1, true), path .. ": " .. message(err))
  end
end)

test("a node name with odd bytes becomes one encoded segment, never a path", function()
  assert_eq(rules.segment("a/../b?x=1#y z"), "a%2F..%2Fb%3Fx%3D1%23y%20z")
  local checked = rules.check("GET", "/nodes/" .. rules.segment("pve 1") .. "/status")
  assert_eq(checked.variables.node, "pve 1")
  assert_eq(require("labsh.pve_client").describe("GET", checked), "GET /api2/json/nodes/pve%201/status")
end)

test("help lists a path's parameters, the privilege it needs and what it returns", function()
  local text = lab.pve.help("/nodes/pve1/qemu/101/status/start")
  assert(text:find("parameters of POST /nodes/{node}/qemu/{vmid}/status/start:", 1, true), text)
  assert(text:find("needs: VM.PowerMgmt on /vms/101", 1, true), text)
  assert(text:find("returns: string", 1, true), text)
  assert(lab.pve.help("/cluster/resources"):find("type string (vm|storage|node|sdn)", 1, true))
end)

test("task ids are parsed strictly: node, type, id and user; odd bytes refused", function()
  local u = rules.upid("UPID:pve1:0000C0DE:00ABCDEF:65F00000:qmigrate:101:root@pam!labsh:")
  assert_eq(u.node, "pve1")
  assert_eq(u.pid, 0xC0DE)
  assert_eq(u.type, "qmigrate")
  assert_eq(u.id, "101")
  assert_eq(u.user, "root@pam!labsh")
  for _, bad in ipairs {
    "UPID:pve1:0000C0DE:00ABCDEF:65F00000:qmigrate:101:root@pam",            -- no final ':'
    "UPID:../x:0000C0DE:00ABCDEF:65F00000:qmigrate:101:root@pam:",           -- node is not a name
    "UPID:pve1:0000C0DE:00ABCDEF:65F00000:qm/../x:101:root@pam:",            -- a slash
    "UPID:pve1:0000C0DE:00ABCDEF:65F00000:qmigrate:101:root@pam\r\nX: 1:",   -- a header
    "UPID:pve1:zz:00ABCDEF:65F00000:qmigrate:101:root@pam:",                 -- not hex
    "UPID:pve1:0000C0DE:00ABCDEF:65F00000:qmigrate:1%2F:root@pam:",          -- an escape
    "UPID:pve1:0000C0DE:00ABCDEF:65F00000:qmigrate:101:r\xc3\xa9@pam:",      -- not ASCII
    ("UPID:pve1:0:0:0:t:" .. ("x"):rep(600) .. ":u@pam:"),                    -- too long
  } do
    assert(not pcall(rules.upid, bad), bad)
  end
end)

test("lab.pve.connect checks the section as the inventory does", function()
  local fp = ("AB:"):rep(31) .. "AB"
  assert(message(raised(lab.pve.connect, { urls = { "https://127.0.0.1:8006" }, token = "root@pam!x=secretvalue" }))
    :find("never as the secret itself", 1, true))
  assert(not message(raised(lab.pve.connect, { urls = { "https://127.0.0.1:8006" }, token = "root@pam!x=secretvalue" }))
    :find("secretvalue", 1, true), "the secret is not echoed")
  assert(message(raised(lab.pve.connect, { urls = { { url = "https://127.0.0.1:8006", fingerprint = "AB:CD" } }, token = "env:T" }))
    :find("fingerprint must be the SHA-256", 1, true))
  assert(message(raised(lab.pve.connect, { urls = { "http://127.0.0.1:8006" }, token = "env:T" }))
    :find("is not an https:// URL", 1, true))
  assert(message(raised(lab.pve.connect, { urls = { { url = "https://127.0.0.1:8006", fingerprint = fp } }, token = "env:T",
    insecure = true })):find("contradict", 1, true))
  assert(message(raised(lab.pve.connect, { urls = { "https://127.0.0.1:8006" }, token = "env:T", user = "root@pam",
    password = "env:P" })):find("not both", 1, true))
end)

test("a token with a control byte, space or quote is refused before anything is sent, and not echoed", function()
  local path = os.tmpname()
  for _, value in ipairs { "root@pam!x=abc\rX-Evil: 1\n", "root@pam!x=ab c\n", "root@pam!x=ab\"c\n",
                           "no-realm-abc\n", "root@pam!x=\n" } do
    local f = assert(io.open(path, "w"))
    f:write(value)
    f:close()
    local c = lab.pve.connect { urls = { "https://127.0.0.1:9" }, token = "file:" .. path, insecure = true }
    local err = raised(c.get, c, "/version")
    assert_eq(err.reason, "config", value)
    assert(not message(err):find("abc", 1, true) and not message(err):find("Evil", 1, true), "echoed: " .. message(err))
  end
  os.remove(path)
end)

test("the connector loads only when used: queries and printing guests leave it unloaded", function()
  local r = lab.process.run { argv = { os.getenv("LABSH_BIN") or arg[-1], "-e", [[
    local g = lab.guests()
    local _ = require("labsh.pretty").format(g), g[1].vmid, g[1].no_such_field, #lab.nodes()
    print(package.loaded["lab.pve"] ~= nil, package.loaded["labsh.pve"] ~= nil, package.loaded["labsh.pve_model"] ~= nil)
    local _ = lab.guest("k8s-m1").status
    print(package.loaded["labsh.pve_model"] ~= nil)]] }, env = { LABSH_PATH = false } }
  assert_eq(r.stdout, "false\tfalse\tfalse\ntrue\n", r.stderr)
end)

test("a malformed task id from the node is a protocol error, never audited or waited for", function()
  local state = os.tmpname()
  os.remove(state)
  local r = lab.process.run { argv = { os.getenv("LABSH_BIN") or arg[-1], "--yes", "-e", [[
    local c = lab.pve.connect { urls = { "https://127.0.0.1:9" }, token = "env:X", insecure = true }
    c.send = function() return "UPID:pve1:0000C0DE:00ABCDEF:65F00000:qmstart:101:root@pam\r\nX-Evil: 1:" end
    local ok, err = pcall(c.post, c, "/nodes/pve1/qemu/101/status/start")
    print(err.reason)]] }, env = { LABSH_STATE_DIR = state, LABSH_PATH = false } }
  assert_eq(r.stdout, "protocol\n", r.stderr)
  local f = io.open(state .. "/audit.log")
  local audit = f and f:read("a") or ""
  if f then f:close() end
  assert(not audit:find("task started", 1, true), audit)
  os.execute("rm -rf '" .. state .. "'")
end)
