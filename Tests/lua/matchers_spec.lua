-- labsh.matchers: amtool's matcher syntax to Alertmanager API v2 objects.

local matchers = require "labsh.matchers"

local function m(name, value, isRegex, isEqual)
  return { name = name, value = value, isRegex = isRegex, isEqual = isEqual }
end

test("the four operators", function()
  assert_same(matchers.parse("alertname=DiskFull"), m("alertname", "DiskFull", false, true))
  assert_same(matchers.parse("job!=node"), m("job", "node", false, false))
  assert_same(matchers.parse("instance=~pve[1-5]:9100"), m("instance", "pve[1-5]:9100", true, true))
  assert_same(matchers.parse("severity!~info|none"), m("severity", "info|none", true, false))
  assert_same(matchers.parse("  job != node  "), m("job", "node", false, false), "spaces around")
end)

test("quoted values, with escapes", function()
  assert_same(matchers.parse('instance=~"pve[1-5].*"'), m("instance", "pve[1-5].*", true, true))
  assert_same(matchers.parse([[summary="disk \"sda\" at 95%, a\\b\nnext"]]),
    m("summary", 'disk "sda" at 95%, a\\b\nnext', false, true))
  assert_same(matchers.parse('team=""'), m("team", "", false, true), "empty value")
end)

test("a word alone is an alertname, as in amtool silence add", function()
  assert_same(matchers.parse("DiskFull"), m("alertname", "DiskFull", false, true))
end)

test("lists: strings with commas, braces, tables of equalities", function()
  assert_same(matchers.list('{alertname="X", job=~"a,b"}'),
    { m("alertname", "X", false, true), m("job", "a,b", true, true) })
  assert_same(matchers.list { "alertname=X", "job!=y" },
    { m("alertname", "X", false, true), m("job", "y", false, false) })
  assert_same(matchers.list { severity = "page", alertname = "X" },
    { m("alertname", "X", false, true), m("severity", "page", false, true) })
  assert_same(matchers.list(nil), {})
end)

test("format writes what parse reads", function()
  for _, text in ipairs { 'a="b"', 'a!="b"', 'a=~"b|c"', 'a!~"b.*"', [[a="q\"\\\n"]] } do
    assert_eq(matchers.format(matchers.parse(text)), text)
  end
end)

test("bad matchers are refused, naming the text", function()
  for _, text in ipairs { "=x", "a", "a b", "a==b", 'a="x', 'a="\\q"', "1a=b", "a<b" } do
    local ok, err = pcall(matchers.parse, text)
    if text == "a" then
      assert(ok, "a word alone is an alertname")
    else
      assert(not ok, "refused: " .. text)
      assert(tostring(err):find("bad matcher", 1, true), tostring(err))
    end
  end
end)
