-- Which Prometheus lab.alert.evaluate and lab.slo.report ask: one rule,
-- lab.prom.chosen (it was written in each module, and lab.slo's copy took
-- no endpoint table and named lab.prom.connect in its errors). Nothing
-- here reaches a real Prometheus: 127.0.0.1:1 refuses every connection.

local REFUSED = "http://127.0.0.1:1"

-- Runs fn with the built-in homelab plus `monitoring` (nil: none).
local function with_monitoring(monitoring, fn)
  local text = require("labsh.host").embedded("stdlib/labsh/homelab.lua")
  if monitoring then
    text = text:gsub("}%s*$", ("  monitoring = { prometheus = %q },\n}\n"):format(monitoring))
  end
  with_inventory(text, fn)
end

local function failure(f, ...)
  local ok, err = pcall(f, ...)
  assert(not ok, "expected an error")
  return type(err) == "table" and err or { message = tostring(err) }
end

test("a URL, an endpoint table and a client all give a lab.prom client", function()
  local from_url = lab.prom.chosen(REFUSED, "here")
  assert_eq(from_url.endpoint.base, REFUSED)
  assert_eq(from_url.endpoint.where, "here")
  assert_eq(type(from_url.query), "function", "a lab.prom client")
  local from_table = lab.prom.chosen({ url = REFUSED .. "/", timeout = 2 }, "here")
  assert_eq(from_table.endpoint.base, REFUSED)
  local client = lab.prom.connect(REFUSED)
  assert(lab.prom.chosen(client, "here") == client, "a client is used as it is")
end)

test("without one given: the inventory's monitoring.prometheus, else none; false is none", function()
  with_monitoring(REFUSED, function()
    local chosen = lab.prom.chosen(nil, "here")
    assert_eq(chosen.endpoint.base, REFUSED)
    assert_eq(chosen.endpoint.where, "monitoring.prometheus")
    assert_eq(lab.prom.chosen(false, "here"), nil)
  end)
  with_monitoring(nil, function()
    assert_eq(lab.prom.chosen(nil, "here"), nil)
  end)
end)

test("lab.slo.report takes an endpoint table, as lab.alert.evaluate does", function()
  local err = failure(lab.slo.report, { prometheus = { url = REFUSED, timeout = 2 } })
  assert_eq(err.kind, "prometheus")
  assert_eq(err.reason, "connect", "it asked that Prometheus: " .. tostring(err.message))
end)

test("a wrong prometheus option is named as the caller's option", function()
  local err = failure(lab.slo.report, { prometheus = "ftp://127.0.0.1:1" })
  assert(err.message:find("lab.slo.report{prometheus}", 1, true), err.message)
  err = failure(lab.alert.evaluate, { prometheus = "ftp://127.0.0.1:1" })
  assert(err.message:find("lab.alert.evaluate{prometheus}", 1, true), err.message)
end)

test("lab.slo.report with prometheus = false, or none configured, says where to set one", function()
  with_monitoring(nil, function()
    for _, given in ipairs { false, "none" } do
      local opts = given == "none" and {} or { prometheus = given }
      local err = failure(lab.slo.report, opts)
      assert(err.message:find("no Prometheus: give lab.slo.report{prometheus = URL}", 1, true), err.message)
    end
  end)
end)
