-- library: shared script libraries, trusted on first use.
--
-- A library is a directory (a git repository) on LABSH_PATH with a
-- library.lua ({name =, version =, labsh =, description =}), scripts/,
-- lib/ (modules), specs/. Nothing of it runs until its files, as they are
-- now, are trusted: at a terminal labsh asks, from cron it refuses.
--
--   labsh -m library status DIR    trusted, or what changed since (exit 1)
--   labsh -m library trust DIR     shows what changed, records the files as trusted
--   labsh -m library check DIR     library.lua valid, lua-check clean, every
--                                  script's --help works, specs pass
--
-- Exit status: 0 done (status: trusted; check: all clean), 1 not trusted or
-- a check failed, 2 usage.

local cli = require "labsh.cli"
local library = require "labsh.library"

return labsh.script {
  name = "library",
  description = "shared script libraries: trust status, trust, check",
  formats = { "text", "json" },
  commands = {
    { "status", "trusted, or what changed since it was trusted (exit 1 when not trusted)",
      args = { { "DIR", "the library", key = "dir", required = true } } },
    { "trust", "show what changed and record the library's files as trusted",
      args = { { "DIR", "the library", key = "dir", required = true } } },
    { "check", "library.lua valid, lua-check clean, every script's --help works, specs pass",
      args = { { "DIR", "the library", key = "dir", required = true } } },
  },
  exit = "0 done (status: trusted; check: clean), 1 not trusted or a check failed, 2 usage",
  requires = {
    files = { read = { "arguments" } },  -- the library DIR
    commands = { "luacheck", "labsh" },  -- check: lua-check, each script's --help and the specs in a labsh of their own
    mutation = true,                     -- trust records the library's files
  },
  run = function(_, opts)

    local function fail(message)
      io.stderr:write("library: ", message, "\n")
      os.exit(1)
    end

    if not library.is_library(opts.dir) then
      fail(("%s is not a library: it has no library.lua"):format(opts.dir))
    end

    -- The library's status, or the refusal of its files (a device, a huge tree).
    local function status()
      local ok, result = pcall(library.status, opts.dir)
      if not ok then fail(type(result) == "table" and result.message or tostring(result)) end
      return result
    end

    -- "changed: a, b; added: c" or "never trusted".
    local function changes_text(s)
      if not s.changes then return "never trusted" end
      local parts = {}
      for _, kind in ipairs { "changed", "added", "removed" } do
        if #s.changes[kind] > 0 then parts[#parts + 1] = kind .. ": " .. table.concat(s.changes[kind], ", ") end
      end
      return #parts > 0 and table.concat(parts, "; ") or "unchanged"
    end

    ----------------------------------------------------------------------------
    -- check

    -- library.lua is data: evaluated as an inventory is (labsh.sandbox).
    local function manifest(problems)
      local path = opts.dir .. "/library.lua"
      local text = require("labsh.files").read(path)
      local ok, fields = pcall(require("labsh.sandbox").fields, text or "", path, 2, 64 * 1024 * 1024,
                               { "name", "version", "labsh", "description" })
      if not ok then
        problems[#problems + 1] = type(fields) == "table" and fields.message or tostring(fields)
        return {}
      end
      if type(fields.name) ~= "string" or not fields.name:match("^[%a][%w%-_]*$") then
        problems[#problems + 1] = path .. ": name must be a name (letters, digits, - and _)"
      end
      if type(fields.version) ~= "string" or not fields.version:match("^%d+%.%d+%.%d+$") then
        problems[#problems + 1] = path .. ": version must be MAJOR.MINOR.PATCH"
      end
      if fields.labsh ~= nil and (type(fields.labsh) ~= "string" or not fields.labsh:match("^>=%s*%d+%.%d+")) then
        problems[#problems + 1] = path .. ': labsh, when given, is the least labsh version: ">= 0.1"'
      end
      return fields
    end

    -- The library's scripts: scripts/NAME.lua.
    local function script_names()
      local names = {}
      for _, file in ipairs(require("labsh.filesystem").list(opts.dir .. "/scripts") or {}) do
        names[#names + 1] = file:match("^(.+)%.lua$")
      end
      return names
    end

    local function run(argv, env)
      return lab.process.run { argv = argv, env = env, timeout = 120, read_only = true }
    end

    local function check()
      local problems, done = {}, {}
      local fields = manifest(problems)
      done[#done + 1] = "library.lua"
      local s = status()
      if not s.trusted then
        fail(("%s is not trusted (%s): checking runs its code; review it, then run: labsh -m library trust %s")
          :format(s.path, changes_text(s), opts.dir))
      end
      local labsh = require("labsh.os").executable()
      local env = { LABSH_PATH = s.path }
      for _, name in ipairs(script_names()) do
        local r = run({ labsh, "-m", name, "--help" }, env)
        if r.status ~= 0 or r.stdout == "" then
          problems[#problems + 1] = ("scripts/%s.lua: --help exited %s: %s"):format(name, tostring(r.status),
            (r.stderr:match("[^\n]*")))
        end
      end
      done[#done + 1] = "--help of each script"
      local lint = run({ "luacheck", "--quiet", "--no-color", "--codes", "--std", "lua54", "--globals", "lab", "--read-globals",
                         "labsh", "help", "test", "assert_eq", "assert_same", "run_script", "temp_dir", "assert_dry_run_changes_nothing",
                         "read_file", "write_file", "write_temp", "with_inventory", "run_labsh", "run_shell", "--", s.path })
      if lint.status == nil or lint.status >= 3 then
        problems[#problems + 1] = "lua-check could not run (install Debian's lua-check): " .. (lint.stderr or "")
      elseif lint.status ~= 0 then
        problems[#problems + 1] = "lua-check:\n" .. lint.stdout
      end
      done[#done + 1] = "lua-check"
      if #(require("labsh.filesystem").list(opts.dir .. "/specs") or {}) > 0 then
        local r = run({ labsh, "-m", "test", s.path }, {})
        if r.status ~= 0 then problems[#problems + 1] = "specs: " .. (r.stdout .. r.stderr):gsub("%s+$", "") end
        done[#done + 1] = "specs"
      end
      if cli.json() then
        print(lab.json.encode({ library = s.path, name = fields.name, version = fields.version, checked = done,
                                problems = setmetatable(problems, lab.json.array) }))
      else
        for _, problem in ipairs(problems) do print(problem) end
        print(("%s %s: %s (%s)"):format(fields.name or "?", fields.version or "?",
          #problems == 0 and "clean" or (#problems .. " problem(s)"), table.concat(done, ", ")))
      end
      if #problems > 0 then os.exit(1) end
    end

    ----------------------------------------------------------------------------

    if opts.command == "status" then
      local s = status()
      if cli.json() then
        print(lab.json.encode(s))
      else
        print(("%s: %s"):format(s.path, s.trusted and "trusted" or ("NOT trusted, " .. changes_text(s))))
      end
      if not s.trusted then os.exit(1) end
    elseif opts.command == "trust" then
      local s = status()
      if s.trusted then
        print(("%s: trusted already"):format(s.path))
      elseif lab.options.dry_run then
        print(("would trust %s (%s)"):format(s.path, changes_text(s)))
      else
        local ok, err = pcall(library.trust, opts.dir)
        if not ok then fail(type(err) == "table" and err.message or tostring(err)) end
        print(("trusted %s (%s)"):format(s.path, changes_text(s)))
      end
    elseif opts.command == "check" then
      check()
    end
  end,
}
