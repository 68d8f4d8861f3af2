-- lab.push: Pushgateway group paths (pure) and pushes that Prometheus then
-- scrapes (against the real servers: run with `make test`).

local support = dofile((os.getenv("LABSH_ROOT") or ".") .. "/Tests/lua/monitoring_support.lua")
local base64 = require "labsh.base64"

test("URL-safe base64 (RFC 4648 test vectors, section 5 alphabet)", function()
  local vectors = { [""] = "", f = "Zg==", fo = "Zm8=", foo = "Zm9v", foob = "Zm9vYg==",
    fooba = "Zm9vYmE=", foobar = "Zm9vYmFy", ["/var/tmp"] = "L3Zhci90bXA=", ["\251\255\191"] = "-_-_" }
  for plain, encoded in pairs(vectors) do assert_eq(base64.url_encode(plain), encoded, plain) end
end)

test("group paths: labels sorted, values escaped, / and empty as @base64", function()
  assert_eq(lab.push.path("backup"), "/metrics/job/backup")
  assert_eq(lab.push.path("backup", { instance = "pve1", repo = "nas" }),
    "/metrics/job/backup/instance/pve1/repo/nas")
  assert_eq(lab.push.path("backup", { path = "/var/tmp" }), "/metrics/job/backup/path@base64/L3Zhci90bXA=",
    "the Pushgateway's documented example")
  assert_eq(lab.push.path("a/b", { instance = "" }), "/metrics/job@base64/YS9i/instance@base64/=")
  assert_eq(lab.push.path("backup", { note = "a b?&%", n = 3 }), "/metrics/job/backup/n/3/note/a%20b%3F%26%25")
  for _, bad in ipairs { { "" }, { "x", { job = "y" } }, { "x", { ["a-b"] = "y" } } } do
    assert_eq(support.error_of("pushgateway", lab.push.path, bad[1], bad[2]).kind, "pushgateway")
  end
end)

local function gauge(name, value, labels)
  return { { name = name, help = "labsh push test", type = "gauge", value = value, labels = labels } }
end

test("a pushed metric is scraped by Prometheus, grouping labels included", function()
  local gateway = lab.push.connect(support.server("PUSHGATEWAY"))
  local prom = lab.prom.connect(support.server("PROMETHEUS"))
  local name, value = support.unique("labsh_pushed"), math.random(1, 1000000)
  local grouping = { instance = "pve1", path = "/var/backups" }
  local url = gateway:push("labsh_test", gauge(name, value, { repo = "nas" }), { grouping = grouping })
  assert_eq(url, support.server("PUSHGATEWAY") .. "/metrics/job/labsh_test/instance/pve1/path@base64/L3Zhci9iYWNrdXBz")
  local sample = support.eventually("Prometheus shows " .. name, function()
    return prom:query(name)[1]
  end)
  assert_eq(sample.value, value)
  assert_eq(sample.metric.job, "labsh_test", "honor_labels keeps the pushed job")
  assert_eq(sample.metric.instance, "pve1")
  assert_eq(sample.metric.path, "/var/backups", "a value with / arrives whole")
  assert_eq(sample.metric.repo, "nas")
  gateway:delete("labsh_test", { grouping = grouping })
end)

test("put replaces the group, post only metrics of the same name", function()
  local gateway_url = support.server("PUSHGATEWAY")
  local gateway = lab.push.connect(gateway_url)
  local grouping = { instance = support.unique("i") }
  local function exposed()
    local response = lab.http.get(gateway_url .. "/metrics")
    local names = {}
    for name in response.body:gmatch("\n(labsh_[%w_]+){[^\n]*instance=\"" .. grouping.instance .. "\"") do
      names[name] = true
    end
    return names
  end
  gateway:push("labsh_test", gauge("labsh_a", 1), { grouping = grouping })
  gateway:push("labsh_test", gauge("labsh_b", 2), { grouping = grouping, method = "post" })
  assert_same(exposed(), { labsh_a = true, labsh_b = true }, "post added")
  gateway:push("labsh_test", gauge("labsh_c", 3), { grouping = grouping })
  assert_same(exposed(), { labsh_c = true }, "put replaced")
  gateway:delete("labsh_test", { grouping = grouping })
  assert_same(exposed(), {}, "deleted")
end)

test("push under --dry-run sends nothing and returns nil", function()
  local gateway_url = support.server("PUSHGATEWAY")
  local gateway = lab.push.connect(gateway_url)
  local name, result = support.unique("labsh_dry"), "not called"
  local said = support.with_dry_run(function() result = gateway:push("labsh_test", gauge(name, 1)) end)
  assert_eq(result, nil)
  assert(said:find("^dry run: would PUT %d+ bytes of metrics to " .. gateway_url:gsub("%p", "%%%0")
    .. "/metrics/job/labsh_test\n$"), said)
  assert(not lab.http.get(gateway_url .. "/metrics").body:find(name, 1, true), "nothing pushed")
end)

test("a Pushgateway error is an error of kind pushgateway", function()
  local gateway = lab.push.connect(support.server("PUSHGATEWAY"))
  -- The Pushgateway refuses a metric whose type contradicts the same name
  -- in another group.
  local name = support.unique("labsh_typed")
  gateway:push("labsh_test", gauge(name, 1), { grouping = { instance = "a" } })
  local err = support.error_of("pushgateway", gateway.push, gateway, "labsh_test",
    { { name = name, type = "counter", value = 1 } }, { grouping = { instance = "b" } })
  assert_eq(err.status, 400)
  assert(err.url:find("/metrics/job/labsh_test/instance/b", 1, true), err.url)
  assert(err.message:find("Pushgateway: ", 1, true), err.message)
  gateway:delete("labsh_test", { grouping = { instance = "a" } })
end)
