-- labsh.pve.perform with `decode`: a JSON answer is decoded once, as
-- lab.json.decode makes it (same values, same null, same metatables), and
-- comes as `decoded` instead of a body string; a body that is not JSON, or
-- none, stays the body, so lab.pve can still say "not JSON". Against the
-- HTTP fixture (Tests/servers/http_fixture.py, https with its own CA).
-- Runs under labsh only.

local rules = require "labsh.pve"

local fixture = dofile((os.getenv("LABSH_ROOT") or ".") .. "/Tests/lua/pve_fixture_support.lua")
local start = fixture.start

-- The same GET with and without `decode`.
local function both(route)
  local f = start()
  local request = { method = "GET", url = f.base .. route, ca_file = f.ca, timeout = 10 }
  local plain = rules.perform({ request })[1]
  request.decode = true
  return plain, rules.perform({ request })[1]
end

-- Values and metatables alike, all the way down.
local function same(a, b, where)
  where = where or "value"
  assert_eq(type(a), type(b), where)
  assert(getmetatable(a) == getmetatable(b), where .. ": metatable")
  if type(a) ~= "table" then
    assert_eq(a, b, where)
    return
  end
  for k, v in pairs(a) do same(v, b[k], where .. "." .. tostring(k)) end
  for k in pairs(b) do assert(a[k] ~= nil, where .. ": extra key " .. tostring(k)) end
end

test("a JSON answer comes decoded as lab.json.decode makes it, without its body string", function()
  for _, route in ipairs { "/json", "/echo/x?q=1", "/status/200?body=" .. lab.http.escape('{"data": null, "n": [1.5, {"a": []}]}') } do
    local plain, decoded = both(route)
    assert_eq(decoded.status, plain.status, route)
    assert_eq(decoded.body, nil, route)
    if route ~= "/echo/x?q=1" then  -- echo's answer differs between two requests (its headers)
      same(decoded.decoded, lab.json.decode(plain.body), route)
    else
      assert_eq(decoded.decoded.path, "/echo/x")
      assert_eq(getmetatable(decoded.decoded), getmetatable(lab.json.decode("{}")))
    end
  end
  local _, null = both("/status/200?body=" .. lab.http.escape('{"data": null}'))
  assert_eq(null.decoded.data, lab.json.null)
end)

test("a body that is not JSON, or none, stays the body", function()
  for _, case in ipairs { { "/status/200?body=not%20json", "not json" }, { "/status/500", "status 500 body\nsecond line" },
                          { "/status/200?body=" .. lab.http.escape('{"data": 1} trailing'), '{"data": 1} trailing' },
                          { "/status/200?body=", "" } } do
    local _, decoded = both(case[1])
    assert_eq(decoded.decoded, nil, case[1])
    assert_eq(decoded.body, case[2], case[1])
  end
end)

test("the fixture stops", fixture.stop)
