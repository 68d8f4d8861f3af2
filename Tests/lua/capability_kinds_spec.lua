-- Capabilities held by kind (issue 20, start-up measure): the host keeps
-- each kind's patterns in a field of its own (CapabilityKind.swift) instead
-- of String-keyed tables. What a script, an operator and the audit log see
-- stays as it was: the declared, granted and denied sets in the order of
-- their names, an empty list given as "kind=", a denied mutation as
-- "mutation=*", the trace's entries and what they resolved to.

local labsh = os.getenv("LABSH_BIN") or arg[-1]
local filesystem = require "labsh.filesystem"

local function quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

local function put(path, text)
  filesystem.make_directories((path:gsub("/[^/]*$", "")))
  write_file(path, text)
end

-- A trusted library "kinds" with `scripts` (file name -> text) and the
-- operator's grants file; runs are as from cron (stdin not a terminal).
local function library(scripts, grants)
  local dir = filesystem.temp_directory("labsh-kinds")
  local lib = dir .. "/lib"
  put(lib .. "/library.lua", 'return { name = "kinds", version = "1.0.0", labsh = ">= 0.1", description = "tests" }\n')
  for name, text in pairs(scripts) do put(lib .. "/scripts/" .. name .. ".lua", text) end
  if grants then put(dir .. "/config/labsh/grants/kinds.lua", grants) end
  local env = ("LABSH_STATE_DIR=%s XDG_CONFIG_HOME=%s LABSH_PATH=%s"):format(
    quote(dir .. "/state"), quote(dir .. "/config"), quote(lib))
  local function run(args, more_env)
    return run_shell(("%s %s %s %s 2>&1 </dev/null"):format(env, more_env or "", labsh, args))
  end
  assert(os.execute("sleep 0.1"))  -- the files are older than the trust
  local out, rc = run("-m library trust " .. quote(lib) .. " --yes")
  assert_eq(rc, 0, out)
  return {
    dir = dir,
    lib = lib,
    run = run,
    audit = function() return read_file(dir .. "/state/audit.log") or "" end,
  }
end

-- The audit lines with `action`, each without its time (it changes).
local function lines(audit, action)
  local found = {}
  for line in audit:gmatch("[^\n]+") do
    if line:find('"action":"' .. action .. '"', 1, true) then
      found[#found + 1] = (line:gsub(',"time":"[^"]*"', ""))
    end
  end
  return found
end

test("the declared line lists the sets in the order of their names, empty lists and a denied mutation as written", function()
  local l = library({
    s = [[
return labsh.script { name = "s", version = "1.0.0", description = "x",
  requires = { net = {}, commands = { "true", "printf" }, files = { read = { "/tmp" } },
               ["files.write"] = { "/tmp/kinds-x" }, hosts = { "role:db", "*" }, mutation = true },
  run = function() print(labsh.capabilities.allows("mutation"), labsh.capabilities.allows("commands", "printf")) end }
]],
  }, [[
return {
  ["*"] = { net = { "127.0.0.1:*" }, commands = { "true" }, secrets = {} },
  s = { commands = { "printf" }, hosts = {} },
  deny = { commands = { "rm" }, mutation = true },
}
]])
  local out, rc = l.run("-m s --grant commands=ls --grant mutation=true")
  assert_eq(rc, 0, out)
  assert_eq(out, "false\ttrue\n")  -- the deny of mutation wins over --grant mutation=true
  local declared = lines(l.audit(), "capability.declared")
  assert_eq(#declared, 1, l.audit())
  local host = declared[1]:match('"host":"([^"]*)"')
  local user = declared[1]:match('"user":"([^"]*)"')
  assert_eq(declared[1], '{"action":"capability.declared","denied":"commands=rm mutation=*",'
    .. '"granted":"commands=printf,true,ls hosts= net=127.0.0.1:* secrets=",'
    .. '"host":"' .. host .. '",'
    .. '"outcome":"commands=true,printf files.read=/tmp files.write=/tmp/kinds-x hosts=role:db,* net= mutation",'
    .. '"script":"' .. l.lib .. '/scripts/s.lua","target":"s","user":"' .. user .. '"}')
  assert_eq(user, run_shell("id -un"):gsub("\n$", ""))
end)

test("a denial's audit line has its kind as details, and the same user on every line of a run", function()
  local l = library({
    s = [[
return labsh.script { name = "s", version = "1.0.0", description = "x", requires = { commands = { "true" } },
  run = function()
    print(pcall(lab.process.run, { argv = { "false" } }))
    print(pcall(lab.process.run, { argv = { "true" } }))
  end }
]],
  }, 'return { s = { commands = { "true" } } }\n')
  local out, rc = l.run("-m s --yes")
  assert_eq(rc, 0, out)
  assert(out:find("cannot run 'false': not in requires.commands", 1, true), out)
  local denied = lines(l.audit(), "capability.denied")
  assert_eq(#denied, 1, l.audit())
  assert(denied[1]:match('^{"action":"capability.denied","details":"commands","host":"[^"]*","outcome":"not capable: s 1.0.0 %(.-s.lua:3%) cannot run \'false\': not in requires.commands; declare it and have an operator grant it","script":"[^"]*/scripts/s.lua","target":"false","user":"[^"]*"}$'), denied[1])
  assert_eq(denied[1]:match('"user":"([^"]*)"'), lines(l.audit(), "capability.declared")[1]:match('"user":"([^"]*)"'))
end)

test("a library script whose file name begins with a combining mark gets the grants of that name", function()
  -- Split by Characters, "/" and the mark after it were one Character: the
  -- script was named "scripts/<mark>x", and its own grants never applied.
  local name = "\204\129x"  -- U+0301 COMBINING ACUTE ACCENT, then "x"
  local l = library({
    [name] = [[
return labsh.script { name = "m", version = "1.0.0", description = "x", requires = { commands = { "true" } },
  run = function() print(pcall(lab.process.run, { argv = { "true" } })) end }
]],
  }, ('return { [%q] = { commands = { "true" } } }\n'):format(name))
  local out, rc = l.run("-m " .. quote(name))
  assert_eq(rc, 0, out)
  assert(out:find("\ntrue\t") and not out:find("not granted", 1, true), out)  -- (a dry run: no mutation declared)
  local declared = lines(l.audit(), "capability.declared")
  assert(declared[1] and declared[1]:find('"granted":"commands=true"', 1, true), l.audit())
end)

test("the trace names each entry, what it resolved to, and the entry that allowed a target", function()
  local l = library({
    t = [[
return labsh.script { name = "t", version = "1", description = "d", arguments = "own",
  requires = { commands = { "labsh", "true", "tru*", "true" }, files = { read = { "arguments", "/etc" } } },
  run = function()
    lab.process.run { argv = { "true" } }
    print(labsh.capabilities.allows("files.read", "/etc/hostname"), labsh.capabilities.allows("files.read", "/kinds/y"))
  end }
]],
  }, 'return { t = { commands = { "*" }, files = { read = { "/" } } } }\n')
  local trace = l.dir .. "/trace"
  local out, rc = l.run("-m t /kinds/y -q", "LABSH_CAPABILITY_TRACE=" .. quote(trace))
  assert_eq(rc, 0, out)
  assert(out:find("true\ttrue\n", 1, true), out)
  local text = read_file(trace)
  local own = text:match('"entry":"labsh","event":"declared","kind":"commands","resolved":"([^"]*)"')
  assert(own and own:match("^/%S+ labsh$"), text)  -- this labsh's path, then the name itself
  for _, line in ipairs {
    '{"event":"manifest","script":"t"}',
    '{"entry":"true","event":"declared","kind":"commands","resolved":"true","script":"t"}',
    '{"entry":"tru*","event":"declared","kind":"commands","resolved":"tru*","script":"t"}',
    '{"entry":"arguments","event":"declared","kind":"files.read","resolved":"/kinds/y","script":"t"}',
    '{"entry":"/etc","event":"declared","kind":"files.read","resolved":"/etc","script":"t"}',
    '{"entry":"true","event":"used","kind":"commands","script":"t","target":"true"}',
    '{"entry":"/etc","event":"used","kind":"files.read","script":"t","target":"/etc/hostname"}',
    '{"entry":"arguments","event":"used","kind":"files.read","script":"t","target":"/kinds/y"}',
  } do
    assert(text:find(line .. "\n", 1, true), line .. "\nnot in\n" .. text)
  end
  -- "true" is declared twice: one line for it, as for every event
  local _, declared = text:gsub('"entry":"true","event":"declared"', "")
  assert_eq(declared, 1, text)
end)

test("an unknown kind is refused by name, with the kinds there are", function()
  local l = library({
    d = [[
return labsh.script { name = "d", version = "1", description = "d", requires = {},
  run = function()
    print(pcall(labsh.capabilities.drop, "nett"))
    print(pcall(labsh.capabilities.allows, "file.read", "/x"))
    labsh.capabilities.drop("net")
    print(labsh.capabilities.allows("net", "127.0.0.1:1"))
  end }
]],
  })
  local out, rc = l.run("-m d")
  assert_eq(rc, 0, out)
  assert(out:find("labsh.capabilities.drop: unknown capability 'nett' (did you mean 'net'?)", 1, true), out)
  assert(out:find("labsh.capabilities.allows: unknown capability 'file.read'", 1, true), out)
  assert(out:find("\nfalse\n$"), out)
end)

test("os.getenv reads the plain variables and the locale's LC_* freely; any other name is a secret", function()
  local l = library({
    e = [[
return labsh.script { name = "e", version = "1", description = "d", requires = {},
  run = function()
    for _, name in ipairs { "HOME", "PATH", "XDG_CACHE_HOME", "RESTIC_PROGRESS_FPS", "LC_ALL", "LC_TIME" } do
      print(name, pcall(os.getenv, name))
    end
    for _, name in ipairs { "HOMEX", "LC", "lc_all", "KINDS_SECRET" } do
      local ok, why = pcall(os.getenv, name)
      print(name, ok, (tostring(why):match("cannot read 'env:[^']*': not in requires.secrets")))
    end
  end }
]],
  })
  local out, rc = l.run("-m e", "LC_ALL=C LC_TIME=C XDG_CACHE_HOME=/c RESTIC_PROGRESS_FPS=1 HOMEX=1 LC=1 lc_all=1 KINDS_SECRET=1")
  assert_eq(rc, 0, out)
  for _, name in ipairs { "HOME", "PATH", "XDG_CACHE_HOME", "RESTIC_PROGRESS_FPS", "LC_ALL", "LC_TIME" } do
    assert(out:find("\n?" .. name .. "\ttrue\t[^\n]+\n"), name .. ": " .. out)
  end
  for _, name in ipairs { "HOMEX", "LC", "lc_all", "KINDS_SECRET" } do
    assert(out:find(name .. "\tfalse\tcannot read 'env:" .. name .. "': not in requires.secrets\n", 1, true), name .. ": " .. out)
  end
end)

test("a mistake in a manifest names the list it is in", function()
  local function manifest(requires)
    return ('return labsh.script { name = "b", version = "1", description = "d", requires = %s, run = function() end }\n')
      :format(requires)
  end
  local l = library({
    list = manifest('{ files = { write = { "/tmp", 1 } } }'),
    selector = manifest('{ commands = { "true" }, net = { "monitoring:prometheu" } }'),
    option = manifest('{ hosts = { "option:-x" } }'),
  })
  local out, rc = l.run("-m list")
  assert(rc ~= 0 and out:find("list.lua: labsh.script: requires.files.write must be a list of non-empty strings", 1, true), out)
  out, rc = l.run("-m selector")
  assert(rc ~= 0 and out:find("selector.lua: labsh.script: requires.net: unknown selector 'monitoring:prometheu' (did you mean 'monitoring:prometheus'?)", 1, true), out)
  out, rc = l.run("-m option")
  assert(rc ~= 0 and out:find("option.lua: labsh.script: requires.hosts: 'option:-x' must name an option like option:--out", 1, true), out)
end)
