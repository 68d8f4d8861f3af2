-- Issue 15's contract for the prompt's bindings: queries check their
-- filters, errors blame the caller (position, argument number, public
-- name, a did-you-mean), help works in batch mode and knows its types, and
-- output reads well (columns in declared order, human units, summaries,
-- the terminal's width). Run under labsh on the built-in homelab.

local pretty = require "labsh.pretty"

-- This file's name as error positions show it.
local HERE = "contract_query_spec.lua:%d+: "

-- The message of the error fn raises; fails when it raises none. The
-- closures given call without `return`: a tail call would drop their frame,
-- the caller's line the message should name.
local function error_of(fn, ...)
  local ok, err = pcall(fn, ...)
  assert(not ok, "expected an error")
  return tostring(err)
end

-- Fails unless `message` holds every plain piece of `pieces`.
local function assert_holds(message, pieces)
  for _, piece in ipairs(pieces) do
    assert(message:find(piece, 1, true), ("%q lacks %q"):format(message, piece))
  end
end

-- Fails unless `message` starts with this file's position: the caller's
-- line, not one inside the stdlib.
local function assert_blames_here(message)
  assert(message:find("^" .. HERE) or message:find("^[^\n]-/" .. HERE), message)
  assert(not message:find("stdlib/", 1, true), message)
end

local function labsh(args, env)
  local command = ("%s%s %s 2>&1; echo \"rc=$?\""):format(env or "", os.getenv("LABSH_BIN") or arg[-1], args)
  local p = assert(io.popen(command))
  local out = p:read("a")
  p:close()
  local text, rc = out:match("^(.-)rc=(%d+)\n$")
  return text, tonumber(rc)
end

----------------------------------------------------------------------------
-- Typos return nothing: queries check their filters

test("an unknown filter key is an error with a did-you-mean", function()
  local message = error_of(function() local _ = lab.nodes { knd = "hypervisor" } end)
  assert_blames_here(message)
  assert_holds(message, { "bad argument #1 to 'lab.nodes'", 'unknown filter key "knd"', 'did you mean "kind"?' })
  message = error_of(function() local _ = lab.guests { nod = "pve4" } end)
  assert_blames_here(message)
  assert_holds(message, { "bad argument #1 to 'lab.guests'", 'did you mean "node"?' })
end)

test("a value outside a closed set is an error with a did-you-mean", function()
  local message = error_of(function() local _ = lab.nodes { kind = "hypervsior" } end)
  assert_blames_here(message)
  assert_holds(message, { "lab.nodes", 'unknown kind "hypervsior"', 'did you mean "hypervisor"?' })
  message = error_of(function() local _ = lab.guests { node = "pve9" } end)
  assert_holds(message, { "lab.guests", 'unknown node "pve9"', 'did you mean "pve1"?' })
  message = error_of(function() local _ = lab.guests { role = "k8s-wroker" } end)
  assert_holds(message, { 'did you mean "k8s-worker"?' })
end)

test("a number written as text is named as the number it means", function()
  local message = error_of(function() local _ = lab.services { tier = "1" } end)
  assert_blames_here(message)
  assert_holds(message, { "bad argument #1 to 'lab.services'", 'unknown tier "1"', "did you mean 1?" })
  assert_holds(error_of(function() local _ = lab.nodes { ram = "20GiB" } end), { "ram takes a number" })
end)

test("a tag no node has is an error listing the tags there are", function()
  local message = error_of(function() local _ = lab.nodes { tag = "ha" } end)
  assert_holds(message, { 'unknown tag "ha"', "high-capacity" })
end)

test("right filters still select, VLANs by id or name", function()
  assert_eq(#lab.nodes { kind = "hypervisor" }, 5)
  assert_eq(#lab.nodes { kind = "router" }, 1)
  assert_eq(#lab.nodes { tag = "high-capacity" }, 2)
  assert_eq(#lab.nodes { vlan = "k8s" }, #lab.nodes { vlan = 30 })
  assert_eq(#lab.services { tier = 1 }, 8)
  assert_eq(#lab.guests { node = "pve4" }, 2)
  assert_eq(#lab.nodes { kind = { "switch", "router" } }, 2)
end)

test("lab.ssh selectors accept what nodes or guests know, and only that", function()
  local query = require "labsh.query"
  assert_eq(#query.host_names { role = "k8s-worker" }, 7)
  assert_eq(#query.host_names { kind = "vm" }, 11)
  assert_eq(#query.host_names { tag = "spof" }, 2)
  assert_holds(error_of(query.host_names, { role = "k8s-wroker" }), { 'did you mean "k8s-worker"?' })
end)

test("every example in help(lab.nodes) and friends selects something on the built-in homelab", function()
  local declarations = require("labsh.help").declarations()
  for _, name in ipairs { "lab.nodes", "lab.guests", "lab.services" } do
    local doc = declarations[name].doc
    local examples = 0
    for example in doc:gmatch("`(" .. name:gsub("%.", "%%.") .. "%b{})`") do
      examples = examples + 1
      local found = assert(load("return " .. example))()
      assert(#found > 0, example .. " selects nothing")
    end
    assert(examples >= 1, doc)
  end
end)

----------------------------------------------------------------------------
-- Errors blame the caller

test("lab.nodes given a name says how to get one node", function()
  local message = error_of(function() local _ = lab.nodes("pve1") end)
  assert_blames_here(message)
  assert_holds(message, { "bad argument #1 to 'lab.nodes'", 'lab.node("pve1")' })
end)

test("a method called with . says to use :", function()
  local message = error_of(function() local _ = lab.node("pve1").free() end)
  assert_blames_here(message)
  assert_holds(message, { "lab.Node:free", "use `:` to call a method" })
  assert_eq(lab.node("pve1"):free(), lab.node("pve1").ram - lab.node("pve1"):allocated())
end)

test("an unknown node name names the nodes and the likely one", function()
  local message = error_of(function() local _ = lab.node("pve9") end)
  assert_blames_here(message)
  assert_holds(message, { "no node 'pve9'", "did you mean 'pve1'?" })
end)

test("lab.slo and the lookups by name blame the caller", function()
  local message = error_of(function() local _ = lab.slo(150) end)
  assert_blames_here(message)
  assert_holds(message, { "bad argument #1 to 'lab.slo'", "not an availability target" })
  assert_holds(error_of(function() local _ = lab.service("grafan") end), { "did you mean 'grafana'?" })
  assert_holds(error_of(function() local _ = lab.guest("k8s-gpu2") end), { "did you mean 'k8s-gpu1'?" })
  assert_holds(error_of(function() local _ = lab.vlan({}) end), { "bad argument #1 to 'lab.vlan'" })
end)

test("lab.net blames the caller's argument, not its own helpers", function()
  local message = error_of(function() local _ = lab.net.why("k8s", "mgmt") end)
  assert_blames_here(message)
  assert_holds(message, { "bad argument #2 to 'lab.net.why'", "'mgmt' is not a zone", "management" })
  message = error_of(function() local _ = lab.net.allows("k8z", "management") end)
  assert_holds(message, { "bad argument #1 to 'lab.net.allows'", "did you mean 'k8s'?" })
  message = error_of(function() local _ = lab.net.why("k8s", "management", 22, "tcpp") end)
  assert_blames_here(message)
  assert_holds(message, { "bad argument #4 to 'lab.net.why'", "unknown protocol 'tcpp'" })
end)

test("lab.sim.fail counts the caller's arguments and names itself", function()
  local message = error_of(function() local _ = lab.sim.fail { "nosuch" } end)
  assert_blames_here(message)
  assert_holds(message, { "bad argument #1 to 'lab.sim.fail'", "'nosuch' is neither a node" })
  assert_holds(error_of(function() local _ = lab.sim.fail { "pve9" } end), { "did you mean 'pve1'?" })
  message = error_of(function() local _ = lab.sim.fail({ "pve1" }, { reapir = 3600 }) end)
  assert_blames_here(message)
  assert_holds(message, { "bad argument #2 to 'lab.sim.fail'", 'did you mean "repair"?' })
end)

test("at the prompt, errors point at stdin", function()
  local repl = require "labsh.repl"
  for _, line in ipairs { 'lab.nodes("pve1")', 'lab.node("pve1").free()', 'lab.net.why("k8s", "mgmt")',
                          'lab.sim.fail{"nosuch"}', 'lab.nodes{knd = "hypervisor"}', '=lab.nodes("pve1")' } do
    local status, message = repl.eval(line)
    assert_eq(status, "error", line)
    assert(message:find("^stdin:1: "), message)
  end
end)

----------------------------------------------------------------------------
-- Discoverable: help in batch mode, type names that resolve

test("help works in batch mode", function()
  local out, rc = labsh("-e 'help(lab.nodes)'")
  assert_eq(rc, 0, out)
  assert_holds(out, { "lab.nodes(filter)", "Nodes matching a filter" })
  out, rc = labsh("-e 'help()'")
  assert_eq(rc, 0, out)
  assert_holds(out, { "lab.nodes", "Types" })
end)

-- The dotted names a help() overview lists, in its values part and in
-- its types part.
local function overview_names()
  local text = require("labsh.help").help(nil, require("labsh.help").declarations())
  local values_part, types_part = text:match("^(.-)\nTypes[^\n]*\n(.*)$")
  assert(values_part, text)
  local function names(part)
    local found = {}
    for name in part:gmatch("\n  (lab[%w_%.]*)") do found[#found + 1] = name end
    return found
  end
  return names(values_part), names(types_part)
end

test("every name help() lists as a value is one, and every type has help", function()
  local values, types = overview_names()
  assert(#values > 20 and #types > 10, #values .. " values, " .. #types .. " types")
  for _, name in ipairs(values) do
    local value = assert(load("return " .. name))()
    assert(value ~= nil, name .. " is listed but nil")
  end
  local help = require "labsh.help"
  for _, name in ipairs(types) do
    assert(assert(load("return " .. name))() == nil, name .. " is a value, listed as a type")
    local text = help.help(name, help.declarations())
    assert(text:find("^class " .. name:gsub("%p", "%%%0")), text)
  end
end)

test("help() overview sentences end where their sentence ends", function()
  local help = require "labsh.help"
  local text = help.help(nil, help.declarations())
  -- entries: "  lab.x  text" with its wrapped lines "        more text"
  local entries, current = {}, nil
  for line in text:gmatch("[^\n]+") do
    local name, rest = line:match("^  (lab[%w_%.]*)%s*(.*)$")
    if name then
      current = { name = name, text = rest }
      entries[#entries + 1] = current
    elseif current and line:match("^%s%s%s+%S") then
      current.text = current.text .. " " .. line:match("^%s*(.-)%s*$")
    else
      current = nil
    end
  end
  assert(#entries > 30, #entries)
  for _, entry in ipairs(entries) do
    if entry.text ~= "" then
      assert(entry.text:match("[%.%?!%)`\"]$"), entry.name .. " stops mid-sentence: " .. entry.text)
    end
  end
  assert_eq(help.first_sentence("Ansible YAML inventories: export the model for `x`,\nor import one. More."),
    "Ansible YAML inventories: export the model for `x`, or import one.")
  assert_eq(help.first_sentence("Fetch it, e.g. `a.b`. Then more."), "Fetch it, e.g. `a.b`.")
end)

test("completion does not offer types as fields of lab", function()
  local help = require "labsh.help"
  local decls = help.declarations()
  local offered = require("labsh.complete").candidates("lab.N", { lab = {} }, {}, decls.values, decls)
  assert_same(offered, {})
  offered = require("labsh.complete").candidates("lab.no", { lab = {} }, {}, decls.values, decls)
  assert_same(offered, { "lab.node", "lab.nodes" })
end)

----------------------------------------------------------------------------
-- Readable output

local function header(text) return text:match("^[^\n]*") end

test("the matrix shows its row label first", function()
  assert(header(pretty.format(lab.net.matrix())):match("^from%s+lan%s+management"),
    pretty.format(lab.net.matrix()))
end)

test("the report's tables keep their declared column order", function()
  local out = labsh("-m report", "COLUMNS=200 ")
  assert(out:find("\nfrom%s+to%s+expected%s+actual%s+result%s+why\n"), out)
  assert(out:find("\nresource%s+percent%s+position%s+crosses_85%s+crosses_95%s+basis\n"), out)
  assert(out:find("\nkind%s+nodes%s+cores%s+ram%s+storage%s+basis\n"), out)  -- basis: stated or assumed
end)

test("one record shows sizes in human units, its values stay exact", function()
  local node = lab.node("pve1")
  local text = pretty.format(node)
  assert(text:find('^{\n  name = "pve1",\n'), text)
  assert(text:find("\n  ram = 20 GiB,\n", 1, true), text)
  assert_eq(node.ram, 20 * 1024 * 1024 * 1024)
  assert_eq(math.type(node.ram), "integer")
end)

test("schedule times print as times, and are Unix seconds", function()
  local times = lab.schedule.next("30 2 * * *", { from = 1796434200, count = 2, tz = "UTC" })
  assert_eq(math.type(times[1]), "integer")
  assert_eq(pretty.format(times), ("{ %s, %s }"):format(os.date("%Y-%m-%d %H:%M %Z", times[1]),
    os.date("%Y-%m-%d %H:%M %Z", times[2])))
end)

test("a simulated failure prints as a summary, its detail a field away", function()
  local report = lab.sim.fail { "pve1" }
  local text = pretty.format(report)
  assert_eq(text, tostring(report))
  local lines = select(2, text:gsub("\n", "")) + 1
  assert(lines <= 10, text)
  assert_holds(text, { "pve1 fails", "proxmox 4/5 ok", "stranded", "fields: moved, stranded" })
  assert(header(pretty.format(report.stranded)):match("^guest%s+node%s+ram%s+reason"), pretty.format(report.stranded))
  assert(pretty.format(report.stranded):find("14 GiB", 1, true))
  assert_eq(math.type(report.stranded[1].ram), "integer")
end)

-- The widest line of what `code` prints, run by labsh with `env`.
local function widest(code, env)
  local out, rc = labsh(("-e '%s'"):format(code), env)
  assert_eq(rc, 0, out)
  local width = 0
  for line in out:gmatch("[^\n]*") do width = math.max(width, utf8.len(line) or #line) end
  return width, out
end

test("tables fit the terminal: COLUMNS, else 80", function()
  local code = 'print(require("labsh.pretty").format(lab.sim.n_minus_1()))'
  local width, out = widest(code, "COLUMNS=60 ")
  assert(width <= 60, out)
  assert(out:find("\n    why: "), out)
  width, out = widest(code, "env -u COLUMNS ")
  assert(width <= 80, out)
  width, out = widest('print(require("labsh.pretty").format(lab.nodes()))', "env -u COLUMNS ")
  assert(width <= 80, out)
  assert(header(out):match("^name%s+kind"), out)
end)

test("every type help() lists says what it is", function()
  local _, types = overview_names()
  local help = require "labsh.help"
  for _, name in ipairs(types) do
    assert(help.declarations()[name].doc ~= "", name .. " has no description")
  end
end)

test("r:forget with a misspelt policy key blames the caller's line, before restic runs", function()
  local path = os.tmpname()
  write_file(path, 'local r = lab.restic("/nonexistent/repo", { password = "env:SPEC_NO_SUCH_PASSWORD" })\n'
    .. "r:forget { dialy = 1 }\n")
  local r = lab.process.run { argv = { os.getenv("LABSH_BIN") or arg[-1], path } }
  os.remove(path)
  assert_eq(r.status, 1, "exit code")
  assert(r.stderr:find(":2: bad argument #1 to 'forget' (unknown key 'dialy' (did you mean 'daily'?))", 1, true), r.stderr)
end)
