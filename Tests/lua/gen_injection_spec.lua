-- Issue 13, finding 4: generated files cannot be injected. Hostile text in an
-- inventory either is refused at load, with an error naming the field, or
-- reaches the generated file as data: the real validator accepts the file
-- (named-checkzone, promtool, amtool, ansible-inventory; UCI has none
-- installed, so a parser written to uci's quoting rules), the file holds
-- exactly the records, sections, rules and hosts of a benign inventory, and
-- the hostile text reads back as itself.
--
-- Hand-written attacks per format, then strings drawn from hostile pieces
-- with a fixed seed. Each inventory is a Lua file written to a temporary
-- directory and given to `labsh --inventory FILE -m gen TARGET --out DIR`.

local host = require "labsh.host"
local filesystem = require "labsh.filesystem"
local labsh = os.getenv("LABSH_BIN") or arg[-1]
local tmp = filesystem.temp_directory("labsh-gen-injection-spec")

----------------------------------------------------------------------------
-- Running programs

local function run(argv, env)
  return lab.process.run { argv = argv, env = env, timeout = 120 }
end

local function command_text(r) return ("exit %s\n%s%s"):format(r.status, r.stdout, r.stderr) end

--- The parsed YAML of `path` as plain Lua data, read by PyYAML (a YAML 1.1
--- reader, strict about line breaks), through JSON.
local function yaml_file(path)
  local r = run { "python3", "-c",
    "import sys, json, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1], encoding='utf-8'))))", path }
  assert_eq(r.status, 0, "PyYAML reads " .. path .. ": " .. r.stderr)
  return lab.json.decode(r.stdout)
end

----------------------------------------------------------------------------
-- Inventories

--- `value` as Lua source; strings through %q, which keeps every byte.
local function lua_source(value, indent)
  indent = indent or ""
  if type(value) == "string" then return ("%q"):format(value) end
  if type(value) ~= "table" then return tostring(value) end
  local inner = indent .. "  "
  local parts = {}
  for _, item in ipairs(value) do parts[#parts + 1] = inner .. lua_source(item, inner) end
  local keys = {}
  for k in pairs(value) do if type(k) == "string" then keys[#keys + 1] = k end end
  table.sort(keys)
  for _, k in ipairs(keys) do
    parts[#parts + 1] = inner .. "[" .. ("%q"):format(k) .. "] = " .. lua_source(value[k], inner)
  end
  return "{\n" .. table.concat(parts, ",\n") .. "\n" .. indent .. "}"
end

--- A small homelab with the text `h` in every free-text field a generator
--- writes; `zone` names the second VLAN's security zone (the OpenWrt
--- generator writes it into rule names and comments).
local function homelab(h, zone)
  zone = zone or "k8s"
  return {
    site = { name = h, domain = "homelab.local", timezone = "UTC", upstream = "192.168.55.0/24" },
    nodes = {
      { name = "pve1", kind = "hypervisor", address = "192.168.10.11", vlans = { 10, 30 },
        vendor = h, model = h, os = h, cluster = h, tags = { h }, notes = h,
        cpu = { model = h, cores = 4, threads = 8 }, gpus = { { model = h } } },
      { name = "gw1", kind = "gateway", vendor = h, model = h, address = "192.168.55.95", vlans = { 10, 30 },
        nics = { { name = "eth0", speed = "1GbE" }, { name = "eth1", speed = "2.5GbE" } } },
    },
    guests = {
      { name = "k8s-w1", kind = "vm", node = "pve1", vcpu = 2, ram = "4GiB", disk = "40GiB", role = "k8s-worker",
        ha_group = h, vlan = 30, address = "192.168.30.21" },
    },
    vlans = {
      { id = 10, name = "management", subnet = "192.168.10.0/24", gateway = "192.168.10.1", zone = "management",
        trust = "critical", purpose = h },
      { id = 30, name = "k8s", subnet = "192.168.30.0/24", gateway = "192.168.30.1", zone = zone,
        trust = "medium", purpose = h },
    },
    policy = { default = "deny", rules = {
      { from = "management", to = "*", action = "allow", note = h },
      { from = zone, to = "internet", action = "allow", note = h },
      { from = zone, to = "management", action = "allow", ports = { 443 }, proto = "tcp", note = h },
    } },
    services = {
      { name = h, tier = 2, runs_on = "pve1", vlan = 10, endpoint = "https://status.example.com/" .. h },
      { name = "grafana", tier = 2, runs_on = "k8s-w1", vlan = 30, endpoint = "https://grafana.homelab.local/" },
    },
    alerts = {
      { name = "node-down", severity = "P1", expr = "up == 0", summary = h,
        runbook = "https://runbooks.example.org/node-down", labels = { team = h }, annotations = { description = h } },
      { name = "backup-failed", severity = "P2", check = "backup-failed", ["for"] = "5m", summary = "A backup failed",
        runbook = "https://runbooks.example.org/backup" },
    },
    alerting = {
      receivers = { { name = h, webhook = { url = "https://hooks.example.org/page", bearer = "file:/etc/am/" .. h } },
                    { name = "mail", email = "ops@example.org" } },
      route = { default = h, P1 = h, P2 = h, P3 = "mail", P4 = "mail" },
      email = { smarthost = "smtp.example.org:587", from = "alertmanager@example.org", user = h,
                password = "file:/etc/am/smtp " .. h },
    },
  }
end

local case_number = 0

--- Writes `inventory` and runs `labsh -m gen TARGET` on it into a fresh
--- directory; returns the result and the directory.
local function generate(inventory, target)
  case_number = case_number + 1
  local dir = ("%s/case%d"):format(tmp, case_number)
  assert_eq(run({ "mkdir", "-p", dir .. "/out" }).status, 0, "mkdir " .. dir)
  local file = dir .. "/inventory.lua"
  write_file(file, "return " .. lua_source(inventory) .. "\n")
  local argv = { labsh, "--inventory", file, "-m", "gen", target, "--out", dir .. "/out" }
  if target == "bind" then argv[#argv + 1] = "--serial"; argv[#argv + 1] = "1" end
  return run(argv), dir .. "/out"
end

local function files_in(dir)
  local r = run { "ls", "-A", dir }
  local names = {}
  for name in r.stdout:gmatch("[^\n]+") do names[#names + 1] = name end
  return names
end

----------------------------------------------------------------------------
-- Which text labsh refuses

--- Why inventory text must be refused, or nil: not UTF-8, or holding a
--- control character (C0, DEL, C1, U+2028, U+2029).
local function refusal(h)
  if not utf8.len(h) then return "UTF-8" end
  for _, c in utf8.codes(h) do
    if c < 0x20 or (c >= 0x7f and c < 0xa0) or c == 0x2028 or c == 0x2029 then
      return "control characters are not allowed"
    end
  end
  return nil
end

--- The refusal of hostile text: exit 1, the reason and the fields named, no file.
local function assert_refused(r, out, why, paths, what)
  assert(r.status == 1, what .. ": expected a refusal, got " .. command_text(r))
  assert(r.stderr:find(why, 1, true), what .. ": the error does not say '" .. why .. "':\n" .. r.stderr)
  for _, path in ipairs(paths) do
    assert(r.stderr:find(path, 1, true), what .. ": the error does not name " .. path .. ":\n" .. r.stderr)
  end
  assert_eq(#files_in(out), 0, what .. ": files written despite the refusal")
end

-- The fields the load must name when every one of them holds bad text
-- (invalid UTF-8 stops at the first: only the reason is checked then).
local FREE_TEXT_PATHS = {
  "site.name", "nodes[1].vendor", "nodes[1].notes", "nodes[1].tags[1]", "nodes[1].cpu.model",
  "nodes[1].gpus[1].model", "guests[1].ha_group", "vlans[1].purpose", "policy.rules[1].note",
  "services[1].name", "services[1].endpoint", "alerts[1].summary", "alerts[1].labels.team", "alerts[1].annotations.description",
  "alerting.receivers[1].name", "alerting.email.user",
}

----------------------------------------------------------------------------
-- Per format: generate, validate with the real tool, compare with a benign run

local BENIGN = "plain text"

-- What the validators make of the benign files, read once per file.
local benign_reads = {}
local function benign_read(read, path)
  local key = tostring(read) .. path
  if benign_reads[key] == nil then benign_reads[key] = read(path) end
  return benign_reads[key]
end

local checks = {}

-- BIND: every zone passes named-checkzone, and named-compilezone's
-- canonical form of it (every record, comments gone) is the benign one's.
local function canonical_zones(out)
  local zones = {}
  for _, file in ipairs(files_in(out)) do
    local zone = file:match("^db%.(.+)$")
    assert(zone, "unexpected file " .. file)
    local path = out .. "/" .. file
    local check = run { "named-checkzone", "-k", "fail", "-n", "fail", zone, path }
    assert_eq(check.status, 0, "named-checkzone " .. zone .. ":\n" .. check.stdout .. check.stderr)
    local dump = run { "named-compilezone", "-q", "-o", "-", zone, path }
    assert_eq(dump.status, 0, "named-compilezone " .. zone .. ": " .. dump.stderr)
    zones[zone] = dump.stdout
  end
  return zones
end

function checks.bind(h)
  local r, out = generate(homelab(h), "bind")
  return r, out, function(benign_out)
    local got, expected = canonical_zones(out), benign_read(canonical_zones, benign_out)
    assert_same(got, expected, "zones for " .. ("%q"):format(h:sub(1, 80)))
    local forward = read_file(out .. "/db.homelab.local")
    assert(forward:find(h, 1, true), "the site's name is not in the zone's header comment")
  end
end

-- OpenWrt: uci's own quoting rules (file.c): words, '...' (no escapes, may
-- span lines), "..." (backslash escapes), adjacent pieces joined, '#' at the
-- start of a word comments out the rest of the line. Statements: config,
-- option, list.
local function uci_statements(text)
  local statements, words, word = {}, {}, nil
  local i, n = 1, #text
  local function finish_word() if word then words[#words + 1] = word; word = nil end end
  local function finish_statement()
    finish_word()
    if #words > 0 then statements[#statements + 1] = words; words = {} end
  end
  while i <= n do
    local c = text:sub(i, i)
    if c == "\n" then
      finish_statement(); i = i + 1
    elseif c == " " or c == "\t" then
      finish_word(); i = i + 1
    elseif c == "#" and word == nil then
      local eol = text:find("\n", i, true) or n + 1
      i = eol
    elseif c == "'" then
      local close = text:find("'", i + 1, true)
      assert(close, "unterminated ' in UCI text")
      word = (word or "") .. text:sub(i + 1, close - 1)
      i = close + 1
    elseif c == '"' then
      local piece = {}
      i = i + 1
      while true do
        local d = text:sub(i, i)
        assert(d ~= "", 'unterminated " in UCI text')
        if d == '"' then break end
        if d == "\\" then i = i + 1; d = text:sub(i, i) end
        piece[#piece + 1] = d
        i = i + 1
      end
      word = (word or "") .. table.concat(piece)
      i = i + 1
    elseif c == "\\" then
      word = (word or "") .. text:sub(i + 1, i + 1)
      i = i + 2
    else
      word = (word or "") .. c
      i = i + 1
    end
  end
  finish_statement()
  for _, s in ipairs(statements) do
    local kind = s[1]
    assert(kind == "config" and (#s == 2 or #s == 3) or (kind == "option" or kind == "list") and #s == 3,
      "not a UCI statement: " .. table.concat(s, " | "))
  end
  return statements
end

--- The shape of UCI text: each statement's kind, and the section type or key.
local function uci_shape(statements)
  local shape = {}
  for _, s in ipairs(statements) do shape[#shape + 1] = s[1] .. " " .. s[2] end
  return shape
end

function checks.openwrt(h)
  local r, out = generate(homelab(h, h), "openwrt")
  return r, out, function(benign_out)
    for _, file in ipairs { "network", "firewall" } do
      local got = uci_statements(read_file(out .. "/" .. file))
      local expected = uci_statements(benign_read(read_file, benign_out .. "/" .. file))
      assert_same(uci_shape(got), uci_shape(expected), file .. ": sections and options")
      if file == "firewall" then
        local names = {}
        for _, s in ipairs(got) do if s[1] == "option" and s[2] == "name" then names[s[3]] = true end end
        assert(names["Allow DHCP from " .. h], "the DHCP rule of zone " .. ("%q"):format(h:sub(1, 80)) .. " is not named after it")
      end
    end
  end
end

-- Ansible: ansible-inventory (the YAML plugin only, failing on a file it
-- cannot parse) lists exactly the benign hosts and groups, and every
-- variable reads back as the text; text holding a brace is marked unsafe,
-- so a play never expands it as a template.
local function ansible_list(out)
  local r = run({ "ansible-inventory", "-i", out .. "/inventory.yml", "--list" },
    { ANSIBLE_INVENTORY_ENABLED = "yaml", ANSIBLE_INVENTORY_UNPARSED_FAILED = "true",
      ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED = "true", ANSIBLE_LOCAL_TEMP = tmp, ANSIBLE_HOME = tmp })
  assert_eq(r.status, 0, "ansible-inventory: " .. r.stderr)
  assert(not r.stderr:find("WARNING", 1, true), "ansible-inventory warns: " .. r.stderr)
  return lab.json.decode(r.stdout)
end

local function ansible_groups(list)
  local names = {}
  for name in pairs(list) do if name ~= "_meta" then names[#names + 1] = name end end
  table.sort(names)
  return names
end

local function ansible_hosts(list)
  local names = {}
  for name in pairs(list._meta.hostvars) do names[#names + 1] = name end
  table.sort(names)
  return names
end

function checks.ansible(h)
  local r, out = generate(homelab(h), "ansible")
  return r, out, function(benign_out)
    local got, expected = ansible_list(out), benign_read(ansible_list, benign_out)
    assert_same(ansible_hosts(got), ansible_hosts(expected), "hosts")
    assert_same(ansible_groups(got), ansible_groups(expected), "groups")
    local vars = got._meta.hostvars
    local function text_of(value)
      if type(value) == "table" and value.__ansible_unsafe then return value.__ansible_unsafe, true end
      return value, false
    end
    for _, check in ipairs {
      { vars.pve1.vendor, "vendor" }, { vars.pve1.model, "model" }, { vars.pve1.os, "os" },
      { vars.pve1.cluster, "cluster" }, { vars.pve1.cpu_model, "cpu_model" }, { vars.pve1.host_tags[1], "host_tags" },
      { vars.pve1.gpus[1], "gpus" }, { vars["k8s-w1"].ha_group, "ha_group" }, { vars.gw1.site, "site" },
    } do
      local text, unsafe = text_of(check[1])
      assert_eq(text, h, "the variable " .. check[2])
      if h:find("[{}]") then assert(unsafe, check[2] .. " holds a brace but is not marked !unsafe") end
    end
  end
end

-- Prometheus: promtool checks the rules, PyYAML reads exactly the benign
-- groups and rules, and promtool's rule test proves that Prometheus renders
-- the label and annotations as the text itself (no template runs).
local function rule_names(doc)
  local names = {}
  for _, group in ipairs(doc.groups) do
    for _, rule in ipairs(group.rules) do names[#names + 1] = group.name .. "/" .. rule.alert end
  end
  return names
end

local function prometheus_renders(out, h)
  local test = out .. "/../rules-test.yml"
  local q = lab.json.encode
  write_file(test, table.concat({
    "rule_files: [" .. q(out .. "/labsh-alerts.rules.yml") .. "]",
    "evaluation_interval: 1m",
    "tests:",
    "  - interval: 1m",
    "    input_series:",
    "      - series: 'up{instance=\"a\", job=\"node\"}'",
    "        values: '0x3'",
    "    alert_rule_test:",
    "      - eval_time: 1m",
    "        alertname: NodeDown",
    "        exp_alerts:",
    "          - exp_labels: {instance: a, job: node, severity: P1, response: immediate, rule: node-down, team: " .. q(h) .. "}",
    "            exp_annotations: {summary: " .. q(h) .. ", description: " .. q(h)
      .. ", runbook_url: \"https://runbooks.example.org/node-down\"}",
  }, "\n") .. "\n")
  local r = run { "promtool", "test", "rules", test }
  assert_eq(r.status, 0, "promtool test rules (the alert's text as rendered):\n" .. r.stdout .. r.stderr)
end

checks["prometheus-rules"] = function(h)
  local r, out = generate(homelab(h), "prometheus-rules")
  return r, out, function(benign_out)
    local file = out .. "/labsh-alerts.rules.yml"
    local check = run { "promtool", "check", "rules", file }
    assert_eq(check.status, 0, "promtool check rules:\n" .. check.stdout .. check.stderr)
    local got, expected = yaml_file(file), benign_read(yaml_file, benign_out .. "/labsh-alerts.rules.yml")
    assert_same(rule_names(got), rule_names(expected), "groups and rules")
    local rule = got.groups[1].rules[1]
    assert_eq(rule.expr, "up == 0", "the expression")
    prometheus_renders(out, h)
  end
end

-- Alertmanager: amtool checks the configuration; it has exactly the benign
-- receivers and routes, and the texts read back as themselves.
local function route_receivers(doc)
  local list = { doc.route.receiver }
  for _, route in ipairs(doc.route.routes) do list[#list + 1] = route.receiver end
  return list
end

function checks.alertmanager(h)
  local r, out = generate(homelab(h), "alertmanager")
  return r, out, function(benign_out)
    local file = out .. "/alertmanager.yml"
    local check = run { "amtool", "check-config", file }
    assert_eq(check.status, 0, "amtool check-config:\n" .. check.stdout .. check.stderr)
    local got, expected = yaml_file(file), benign_read(yaml_file, benign_out .. "/alertmanager.yml")
    assert_eq(#got.receivers, #expected.receivers, "receivers")
    assert_eq(got.receivers[1].name, h, "the receiver's name")
    assert_same(route_receivers(got), { h, h, h, "mail", "mail" }, "the routes' receivers")
    assert_eq(#got.inhibit_rules, #expected.inhibit_rules, "inhibit rules")
    assert_eq(got.global.smtp_auth_username, h, "smtp_auth_username")
    assert_eq(got.global.smtp_auth_password_file, "/etc/am/smtp " .. h, "smtp_auth_password_file")
    assert_eq(got.receivers[1].webhook_configs[1].http_config.authorization.credentials_file, "/etc/am/" .. h,
      "credentials_file")
  end
end

local TARGETS = { "bind", "openwrt", "ansible", "prometheus-rules", "alertmanager" }

-- The benign run of each target, made once.
local benign = {}
local function benign_out(target)
  if not benign[target] then
    local r, out = checks[target](BENIGN)
    assert_eq(r.status, 0, target .. " on the benign inventory: " .. r.stderr)
    benign[target] = out
  end
  return benign[target]
end

--- Each target on text `h`: refused (and why) or written, valid and faithful.
local function check_text(h, label)
  local why = refusal(h)
  for _, target in ipairs(TARGETS) do
    local what = target .. " on " .. label
    local r, out, verify = checks[target](h)
    if why then
      assert_refused(r, out, why, why == "UTF-8" and {} or { "site.name" }, what)
    else
      assert(r.status == 0, what .. ": " .. command_text(r))
      local ok, err = pcall(verify, benign_out(target))
      if not ok then error(what .. ": " .. tostring(err), 0) end
    end
  end
end

----------------------------------------------------------------------------
-- Hand-written attacks

local ATTACKS = {
  -- line breaks that would start a directive
  { "bind: $INCLUDE after a newline", "lab\n$INCLUDE /etc/passwd" },
  { "bind: a record after CR LF", "x\r\nevil IN A 192.0.2.66" },
  { "uci: a rule after a newline", "x\nconfig rule\n\toption target 'ACCEPT'" },
  { "uci: a list after a newline in quotes", "x'\n\tlist network 'wan" },
  { "yaml: a key after a newline", "x\n  evil: 1" },
  { "yaml: a line separator", "x\u{2028}evil: 1" },
  { "yaml: NEL (C1)", "x\u{85}- evil" },
  { "a NUL byte", "a\0b" },
  { "a terminal escape", "\27[31mred\27[0m" },
  { "a tab", "a\tb" },
  { "DEL", "a\127b" },
  { "invalid UTF-8", "caf\xe9 \xff\xfe" },
  { "a truncated UTF-8 sequence", "x\xc3" },
  -- quoting
  { "uci: a single quote closing the value", "x' ; option target 'ACCEPT" },
  { "uci: the shell's quote escape", "a'\\''b" },
  { "double quotes and backslashes", [[say "hi" \ and \\ "\n" \x41]] },
  { "shell and printf specials", "100% $HOME ${PATH} $(id) `id` %s %n %d" },
  -- YAML specials as whole values
  { "yaml: mapping indicator", "key: value" },
  { "yaml: comment", "# not a comment" },
  { "yaml: sequence", "- item" },
  { "yaml: flow mapping", "{a: b, c: [1, 2]}" },
  { "yaml: anchor", "&anchor" },
  { "yaml: alias", "*anchor" },
  { "yaml: python tag", "!!python/object/apply:os.system ['id']" },
  { "yaml: explicit key", "? key" },
  { "yaml: block scalar", "| block" },
  { "yaml: directive", "%YAML 1.1" },
  { "yaml: document markers", "--- ..." },
  { "yaml: booleans and nulls", "yes" },
  { "yaml: null", "~" },
  { "yaml: a number", "0x1F" },
  { "yaml: BOM", "\u{FEFF}bom" },
  { "leading and trailing spaces", "  padded  " },
  -- templates: Go (Prometheus, Alertmanager) and Jinja (Ansible)
  { "go template: query", [[{{ query "up" }}]] },
  { "go template: braces around braces", "{{{{ x }}}} }}{{" },
  { "jinja: lookup", "{{ lookup('pipe', 'id') }}" },
  { "jinja: statement and comment", "{% for x in y %}{# c #}" },
  -- DNS zone specials in comments
  { "zone: semicolon and parentheses", "x ; ( @ IN NS evil. )" },
  { "non-ASCII text", "naïve ☃ 日本語 ∑" },
  -- size
  { "a 100 KB line", string.rep("A", 100000) },
  { "a 120 KB line of quotes and braces", string.rep("x'\"\\{{", 20000) },
}

for _, attack in ipairs(ATTACKS) do
  test("hostile text in every field: " .. attack[1], function()
    check_text(attack[2], attack[1])
  end)
end

----------------------------------------------------------------------------
-- Random text from hostile pieces, with a fixed seed

local PIECES = {
  "a", "Z", "9", " ", "  ", "'", '"', "\\", "%", "$", "{", "}", "{{", "}}", "{%", "[", "]", ":", ": ", "#", " #",
  "- ", "&a", "*a", "!", "!!str", "|", ">", "?", ",", ";", "(", ")", "@", "`", "=", "/", "*", "~",
  "é", "日", "☃", "\u{A0}", "\u{FEFF}", "\u{FFFD}", "\n", "\r", "\t", "\0", "\27", "\127", "\u{85}", "\u{2028}",
  "\xff", "\xc3", "config", "option", "list", "IN A", "$ORIGIN", "$INCLUDE", "${x}", "{{ $labels }}", "'\\''",
}

local function random_text(random)
  local parts = {}
  for _ = 1, random(1, 12) do parts[#parts + 1] = PIECES[random(1, #PIECES)] end
  return table.concat(parts)
end

test("random hostile text: refused exactly when it holds control characters or is not UTF-8", function()
  math.randomseed(20261204)
  local refused, written = 0, 0
  for n = 1, 24 do
    local h = random_text(math.random)
    check_text(h, ("random text %d %q"):format(n, h))
    if refusal(h) then refused = refused + 1 else written = written + 1 end
  end
  assert(refused > 0 and written > 0, ("both kinds drawn: %d refused, %d written"):format(refused, written))
end)

----------------------------------------------------------------------------
-- Fields with a rule of their own

--- A benign homelab with one field changed by `change(inventory)`.
local function with_change(change)
  local inventory = homelab(BENIGN)
  change(inventory)
  return inventory
end

local function assert_load_refused(target, change, path, why)
  local r, out = generate(with_change(change), target)
  assert_refused(r, out, why, { path }, target .. " " .. path)
end

test("every field that holds bad text is named, not only the first", function()
  local r, out = generate(homelab("two\nlines"), "bind")
  assert_refused(r, out, "contains a newline (control characters are not allowed)", FREE_TEXT_PATHS, "all fields")
end)

test("node and guest names are host names: patterns, ports and spaces are refused", function()
  for _, name in ipairs { "web[1:50]", "pve1:2222", "two words", "-dash", "under_score", "a..b", "" } do
    assert_load_refused("ansible", function(i) i.nodes[1].name = name; i.guests[1].node = name end,
      "nodes[1].name", "is not a host name")
    assert_load_refused("bind", function(i) i.guests[1].name = name end, "guests[1].name", "is not a host name")
  end
end)

test("the site's domain is a DNS domain", function()
  for _, domain in ipairs { "homelab.local IN NS evil.", "evil;x", "a/b" } do
    assert_load_refused("bind", function(i) i.site.domain = domain end, "site.domain", "is not a DNS domain")
  end
  local r = generate(with_change(function(i) i.site.domain = "homelab.local." end), "bind")
  assert_eq(r.status, 0, "a final dot is allowed: " .. r.stderr)
end)

test("an email receiver is one address, never a list or a template", function()
  for _, email in ipairs { "ops@example.org, evil@attacker.example", "ops@example.org;evil@x.example",
                           '{{ template "x" }}@example.org', "Ops <ops@example.org>", "nobody" } do
    assert_load_refused("alertmanager", function(i) i.alerting.receivers[2].email = email end,
      "alerting.receivers[2].email", "is not one email address")
  end
  assert_load_refused("alertmanager", function(i) i.alerting.email.from = "a@example.org,b@example.org" end,
    "alerting.email.from", "is not one email address")
end)

test("a PromQL expression may span lines, but holds no other control character", function()
  local r, out = generate(with_change(function(i) i.alerts[1].expr = "sum by (instance) (up)\n\t== 0" end),
    "prometheus-rules")
  assert_eq(r.status, 0, r.stderr)
  local check = run { "promtool", "check", "rules", out .. "/labsh-alerts.rules.yml" }
  assert_eq(check.status, 0, check.stdout .. check.stderr)
  assert_eq(yaml_file(out .. "/labsh-alerts.rules.yml").groups[1].rules[1].expr, "sum by (instance) (up)\n\t== 0")
  assert_load_refused("prometheus-rules", function(i) i.alerts[1].expr = "up\0 == 0" end, "alerts[1].expr",
    "control characters other than newline and tab are not allowed")
end)

test("a key with control characters is shown escaped in the error", function()
  local r = generate(with_change(function(i) i.nodes[1]["vendor\n\27[2J"] = "x" end), "bind")
  assert_eq(r.status, 1, r.stderr)
  assert(r.stderr:find("unknown key 'vendor\\n\\u{1B}[2J'", 1, true), r.stderr)
  assert(not r.stderr:find("\27", 1, true), "the escape character reached the terminal")
end)

test("label and annotation names are Prometheus names", function()
  assert_load_refused("prometheus-rules", function(i) i.alerts[1].labels = { ["team\n  evil"] = "x" } end,
    "alerts[1].labels.team\\n  evil: 'team\\n  evil' is not a Prometheus label name", "")
  assert_load_refused("prometheus-rules", function(i) i.alerts[1].annotations = { ["a: b"] = "x" } end,
    "alerts[1].annotations", "is not an annotation name")
end)

test("(cleanup)", function() assert(filesystem.remove_tree(tmp)) end)
