-- lab.task: idempotent tasks for playbooks (lab.playbook).
--
-- Each constructor checks its arguments at once and returns a task; a
-- playbook runs it on each host, where it reads the host's state, changes
-- only what differs, and reports "ok", "changed", "failed" or "skipped". In
-- check mode (--dry-run) it reads the same state and reports what it would
-- change, with a unified diff for files, changing nothing.
--
-- Every task takes `name` (shown in the output), `notify` (a handler name
-- or a list of them, run once at the end of the play if this task changed
-- something on the host), `when` (function(host, vars) -> boolean: false
-- skips the host) and `sudo` (run its commands as root through sudo; the
-- play's `sudo` is the default).
--
-- Commands that only read a host's state pass { read_only = true }: they
-- are the ones a dry run (check mode) sends; any other is not sent then.

local diff = require "labsh.diff"
local template = require "labsh.template"

local task = {}

local quote = require("labsh.remote").quote

----------------------------------------------------------------------------
-- Tasks and their arguments

local Task = {}
Task.__index = Task
Task.__name = "lab.Task"
function Task.__tostring(t) return ("task %s: %s"):format(t.kind, t.name) end

local common = { name = "string", notify = "string|table", when = "function", sudo = "boolean" }

-- Checks `args` against `fields` ({key = "type|type"}); errors name the task.
local function checked(kind, args, fields, required)
  if type(args) ~= "table" then error(("lab.task.%s: expected a table of arguments"):format(kind), 3) end
  for key, value in pairs(args) do
    -- fields["[]"]: the type of list items ({"chrony", "nftables"})
    local want = fields[key] or common[key] or (math.type(key) == "integer" and fields["[]"])
    if not want then
      local names = {}
      for k in pairs(fields) do
        if type(k) == "string" and k ~= "[]" then names[#names + 1] = k end
      end
      table.sort(names)
      error(("lab.task.%s: unknown argument '%s' (arguments: %s, name, notify, when, sudo)")
        :format(kind, tostring(key), table.concat(names, ", ")), 3)
    end
    local fits = false
    for t in want:gmatch("[^|]+") do
      if type(value) == t then fits = true end
    end
    if not fits then
      error(("lab.task.%s: '%s' must be a %s, got a %s"):format(kind, tostring(key), want:gsub("|", " or "), type(value)), 3)
    end
  end
  for _, key in ipairs(required or {}) do
    if args[key] == nil then error(("lab.task.%s: '%s' is required"):format(kind, key), 3) end
  end
end

local function choice(kind, args, key, options)
  local value = args[key] or options[1]
  for _, option in ipairs(options) do
    if value == option then return value end
  end
  error(("lab.task.%s: %s must be one of %s, got '%s'"):format(kind, key, table.concat(options, ", "), tostring(value)), 3)
end

-- Modes are octal strings ("0644"): a Lua number 0644 would be decimal 644.
local function octal(kind, mode)
  if mode == nil then return nil end
  local digits = type(mode) == "string" and mode:match("^0?([0-7][0-7][0-7][0-7]?)$")
  if not digits then error(("lab.task.%s: mode must be an octal string like \"0644\", got %s"):format(kind, tostring(mode)), 3) end
  return tonumber(digits, 8)
end

local function new(kind, args, describe, run)
  local notify = args.notify
  if type(notify) == "string" then notify = { notify } end
  return setmetatable({
    kind = kind, name = args.name or describe, notify = notify or {}, when = args.when, sudo = args.sudo,
    describe = describe, run = run,
  }, Task)
end

--- Whether `value` is a task.
function task.is(value) return getmetatable(value) == Task end

----------------------------------------------------------------------------
-- Reading and writing files on the host

local function report(status, msg, extra)
  local r = extra or {}
  r.status, r.msg = status, msg
  return r
end

-- One round trip: what is at `path` (file, directory, link, absent), its
-- mode, owner and group, and a file's content when `with_content`.
local function file_state(ctx, path, with_content)
  -- In check mode, what earlier tasks would have made stands in for the
  -- host's state, so a task that edits a file an earlier task creates
  -- reports its own change instead of failing.
  local planned = ctx.check and ctx.planned[path]
  if planned then return planned end
  if ctx.offline then return { kind = "absent" } end  -- a plan for a host never contacted
  local script = ('p=%s; if [ -L "$p" ]; then t=link; elif [ -d "$p" ]; then t=directory; '
    .. 'elif [ -e "$p" ]; then t=file; else t=absent; fi; '
    .. 'printf "%%s %%s\\n" "$t" "$(stat -c %%a:%%U:%%G -- "$p" 2>/dev/null)"; '
    .. '%s'):format(quote(path), with_content and 'if [ "$t" = file ]; then exec cat -- "$p"; fi' or "")
  local r = ctx:must(script, "read " .. path, { read_only = true })
  local kind, mode, owner, group, content = r.stdout:match("^(%a+) (%d*):?([^:\n]*):?([^\n]*)\n(.*)$")
  if not kind then ctx:fail("cannot read the state of " .. path .. ": " .. r.stdout:sub(1, 80)) end
  return { kind = kind, mode = tonumber(mode, 8), owner = owner, group = group,
           content = kind == "file" and with_content and content or nil }
end

local function ownership_changes(st, want, changes)
  if want.mode and st.mode ~= want.mode then
    changes[#changes + 1] = ("mode %s -> %04o"):format(st.mode and ("%04o"):format(st.mode) or "-", want.mode)
  end
  if want.owner and st.owner ~= want.owner then changes[#changes + 1] = ("owner %s -> %s"):format(st.owner, want.owner) end
  if want.group and st.group ~= want.group then changes[#changes + 1] = ("group %s -> %s"):format(st.group, want.group) end
end

local function ownership_script(target, want)
  local parts = {}
  if want.mode then parts[#parts + 1] = ("chmod %04o -- %s"):format(want.mode, target) end
  if want.owner or want.group then
    parts[#parts + 1] = ("chown %s -- %s"):format(quote((want.owner or "") .. (want.group and (":" .. want.group) or "")), target)
  end
  return parts
end

-- Makes the file at `path` hold `content` (nil: keep it) with `want`'s mode,
-- owner and group. A new content is written to a temporary file beside it
-- and renamed over it: the file is never half-written. `st`: its state,
-- when the caller has read it already.
local function ensure_file(ctx, path, content, want, st)
  st = st or file_state(ctx, path, content ~= nil)
  if st.kind == "directory" or st.kind == "link" then
    ctx:fail(("%s is a %s, not a file"):format(path, st.kind == "link" and "symbolic link" or "directory"))
  end
  local changes, patch = {}, nil
  local new_content = content ~= nil and (st.kind == "absent" or st.content ~= content)
  if st.kind == "absent" and content == nil then ctx:fail(path .. " does not exist") end
  if new_content then
    -- a secret's content never shows: no diff
    patch = not want.secret and diff.unified(st.content, content, path, path) or nil
    local lines = select(2, content:gsub("\n", ""))
    changes[#changes + 1] = (st.kind == "absent" and ("create (%d line%s)"):format(lines, lines == 1 and "" or "s")
      or "content") .. (want.secret and ", secret: no diff" or "")
  end
  if st.kind ~= "absent" then ownership_changes(st, want, changes) end
  if #changes == 0 then return report("ok") end
  local msg = table.concat(changes, ", ")
  if ctx.check then
    ctx.planned[path] = { kind = "file", content = content or st.content, mode = want.mode or st.mode,
                          owner = want.owner or st.owner, group = want.group or st.group }
    return report("changed", msg, { diff = patch })
  end
  local script
  if new_content then
    local keep = st.kind == "file"
      and 'chmod --reference="$p" -- "$t" && { chown --reference="$p" -- "$t" 2>/dev/null || true; } && ' or ""
    local mode = want.mode or (st.kind == "absent" and tonumber("644", 8)) or nil
    local fix = ownership_script('"$t"', { mode = mode, owner = want.owner, group = want.group })
    script = ('p=%s; t=$(mktemp -- "$(dirname -- "$p")/.labsh.XXXXXX") || exit 1; '
      .. 'trap \'rm -f -- "$t"\' EXIT; cat > "$t" && %s%s mv -f -- "$t" "$p"')
      :format(quote(path), keep, #fix > 0 and (table.concat(fix, " && ") .. " &&") or "")
  else
    script = table.concat(ownership_script(quote(path), want), " && ")
  end
  ctx:must(script, "write " .. path, { stdin = new_content and content or nil })
  return report("changed", msg, { diff = patch })
end

----------------------------------------------------------------------------
-- file, line, template

--- A file's content, mode, owner and group; or a directory; or nothing
--- there. {path, content | src (a local file), mode = "0644", owner, group,
--- state = "file" | "directory" | "absent", secret = true (no diff shown)}
function task.file(args)
  checked("file", args, { path = "string", content = "string", src = "string", mode = "string|number", owner = "string",
                          group = "string", state = "string", secret = "boolean" }, { "path" })
  local state = choice("file", args, "state", { "file", "directory", "absent" })
  local want = { mode = octal("file", args.mode), owner = args.owner, group = args.group, secret = args.secret }
  if args.content and args.src then error("lab.task.file: give content or src, not both", 2) end
  if state ~= "file" and (args.content or args.src) then error("lab.task.file: content belongs to state = \"file\"", 2) end
  local content = args.content
  if args.src then
    content = require("labsh.files").read(args.src) or error(("lab.task.file: cannot read src %s"):format(args.src), 2)
  end
  local path = args.path
  local describe = state == "absent" and ("absent " .. path)
    or state == "directory" and ("directory " .. path)
    or ("file " .. path)
  return new("file", args, describe, function(ctx)
    if state == "file" then return ensure_file(ctx, path, content, want) end
    local st = file_state(ctx, path, state == "absent")
    if state == "absent" then
      if st.kind == "absent" then return report("ok") end
      local patch = st.kind == "file" and diff.unified(st.content, nil, path, path) or nil
      if ctx.check then ctx.planned[path] = { kind = "absent" }
      else ctx:must("rm -rf -- " .. quote(path), "remove " .. path) end
      return report("changed", "remove " .. st.kind, { diff = patch })
    end
    if st.kind ~= "absent" and st.kind ~= "directory" then ctx:fail(path .. " exists and is a " .. st.kind) end
    local changes = {}
    if st.kind == "absent" then changes[1] = "create directory" end
    if st.kind == "directory" then ownership_changes(st, want, changes) end
    if #changes == 0 then return report("ok") end
    if ctx.check then
      ctx.planned[path] = { kind = "directory", mode = want.mode or st.mode, owner = want.owner or st.owner,
                            group = want.group or st.group }
    else
      local steps = ownership_script(quote(path), want)
      if st.kind == "absent" then table.insert(steps, 1, "mkdir -p -- " .. quote(path)) end
      ctx:must(table.concat(steps, " && "), "make directory " .. path)
    end
    return report("changed", table.concat(changes, ", "))
  end)
end

--- One line in a file, found by a Lua pattern. {path, line, regexp (the
--- last matching line is replaced; none: `line` is added at the end, or
--- after the last line matching `after`), state = "present" | "absent"
--- (removes every line matching regexp, or equal to line), create = true
--- (make the file if missing), mode, owner, group}
function task.line(args)
  checked("line", args, { path = "string", line = "string", regexp = "string", after = "string", state = "string",
                          create = "boolean", mode = "string|number", owner = "string", group = "string" }, { "path" })
  local state = choice("line", args, "state", { "present", "absent" })
  if state == "present" and not args.line then error("lab.task.line: 'line' is required for state = \"present\"", 2) end
  if state == "absent" and not (args.line or args.regexp) then error("lab.task.line: give regexp or line to remove", 2) end
  for _, key in ipairs { "regexp", "after" } do
    if args[key] and not pcall(string.find, "", args[key]) then
      error(("lab.task.line: %s is not a valid Lua pattern: %s"):format(key, args[key]), 2)
    end
  end
  local want = { mode = octal("line", args.mode), owner = args.owner, group = args.group }
  local function hit(text) return args.regexp and text:find(args.regexp) ~= nil or text == args.line end
  return new("line", args, ("line in %s"):format(args.path), function(ctx)
    local st = file_state(ctx, args.path, true)
    if st.kind == "absent" and not args.create then
      if state == "absent" then return report("ok") end
      ctx:fail(args.path .. " does not exist (create = true makes it)")
    end
    local original = diff.lines(st.content)
    local lines = {}
    for i, l in ipairs(original) do lines[i] = l end
    if state == "absent" then
      local kept = {}
      for _, l in ipairs(lines) do if not hit(l) then kept[#kept + 1] = l end end
      lines = kept
    else
      local found
      for i, l in ipairs(lines) do if hit(l) then found = i end end
      if found then lines[found] = args.line
      else
        local at = #lines + 1
        if args.after then
          for i, l in ipairs(lines) do if l:find(args.after) then at = i + 1 end end
        end
        table.insert(lines, at, args.line)
      end
    end
    local same = #lines == #original
    for i = 1, #lines do same = same and lines[i] == original[i] end
    -- Unchanged lines leave the file as it is (also without a final newline).
    local content = same and st.content or (#lines > 0 and (table.concat(lines, "\n") .. "\n") or "")
    return ensure_file(ctx, args.path, content, want, st)
  end)
end

--- A file rendered from a template (labsh.template: {{ expression }},
--- {% statements %}) with the play's vars, `host` (the inventory record),
--- `inventory` and `lab` in scope. {path, text | src (a local file), vars,
--- mode, owner, group}
function task.template(args)
  checked("template", args, { path = "string", text = "string", src = "string", vars = "table", mode = "string|number",
                              owner = "string", group = "string", secret = "boolean" }, { "path" })
  if (args.text == nil) == (args.src == nil) then error("lab.task.template: give text or src", 2) end
  local text = args.text or require("labsh.files").read(args.src)
    or error(("lab.task.template: cannot read src %s"):format(args.src), 2)
  local label = args.src or ("template for " .. args.path)
  local want = { mode = octal("template", args.mode), owner = args.owner, group = args.group, secret = args.secret }
  return new("template", args, "template " .. args.path, function(ctx)
    local scope = setmetatable({}, { __index = function(_, key)
      if args.vars and args.vars[key] ~= nil then return args.vars[key] end
      return ctx.scope[key]
    end })
    local ok, content = pcall(template.render, text, scope, label)
    if not ok then ctx:fail(content) end
    return ensure_file(ctx, args.path, content, want)
  end)
end

----------------------------------------------------------------------------
-- package, service, user

-- The names given as list items ({"chrony", "nftables"}), checked.
local function names_of(kind, list)
  local names = {}
  for i = 1, #list do names[i] = list[i] end
  if #names == 0 then error(("lab.task.%s: give what it is about first, e.g. lab.task.%s { \"ssh\", ... }"):format(kind, kind), 3) end
  for _, n in ipairs(names) do
    if type(n) ~= "string" or not n:match("^[%w][%w%.%+%-_:@]*$") then
      error(("lab.task.%s: '%s' is not a valid name"):format(kind, tostring(n)), 3)
    end
  end
  return names
end

local function quoted_list(names)
  local out = {}
  for i, n in ipairs(names) do out[i] = quote(n) end
  return table.concat(out, " ")
end

--- Debian packages with apt. {"chrony", "nftables", ..., state = "present"
--- | "absent" | "latest", update_cache = true (apt-get update first, when
--- something is to be installed)}
function task.package(args)
  checked("package", args, { ["[]"] = "string", state = "string", update_cache = "boolean" })
  local names = names_of("package", args)
  local state = choice("package", args, "state", { "present", "absent", "latest" })
  local list = quoted_list(names)
  local apt = "DEBIAN_FRONTEND=noninteractive apt-get -q -y -o Dpkg::Options::=--force-confold "
  return new("package", args, ("package %s %s"):format(table.concat(names, " "), state), function(ctx)
    local r = ctx:sh("dpkg-query -W -f='${Package} ${db:Status-Abbrev}\\n' " .. list .. " 2>/dev/null; true",
      { read_only = true })
    local installed = {}
    for name, status in r.stdout:gmatch("([^%s]+) (%a%a)") do installed[name:gsub(":.*", "")] = status == "ii" end
    local todo = {}
    for _, n in ipairs(names) do
      if (state == "absent") == (installed[n] == true) then todo[#todo + 1] = n end
    end
    if state == "latest" then
      -- what apt would do: "Inst" lines of a simulation
      local sim = ctx:must(apt .. "-s install " .. list, "simulate apt-get install", { read_only = true })
      todo = {}
      for n in ("\n" .. sim.stdout):gmatch("\nInst (%S+)") do todo[#todo + 1] = n end
    end
    if #todo == 0 then return report("ok") end
    local verb = state == "absent" and "remove" or (state == "latest" and "upgrade" or "install")
    local msg = verb .. " " .. table.concat(todo, " ")
    if not ctx.check then
      local update = args.update_cache and state ~= "absent" and (apt .. "update && ") or ""
      ctx:must(update .. apt .. (state == "absent" and "remove " or "install ") .. quoted_list(todo), msg)
    end
    return report("changed", msg)
  end)
end

--- A systemd unit. {"ssh", state = "started" | "stopped" | "restarted" |
--- "reloaded", enabled = true | false}. restarted and reloaded always act
--- (as handlers want).
function task.service(args)
  checked("service", args, { [1] = "string", state = "string", enabled = "boolean" }, { 1 })
  local unit_name = names_of("service", args)[1]
  if args.state == nil and args.enabled == nil then error("lab.task.service: give state or enabled", 2) end
  local state = args.state and choice("service", args, "state", { "started", "stopped", "restarted", "reloaded" })
  local unit = quote(unit_name)
  return new("service", args, ("service %s%s%s"):format(unit_name, state and (" " .. state) or "",
    args.enabled == nil and "" or (args.enabled and " enabled" or " disabled")), function(ctx)
    local r = ctx:sh(("systemctl is-active %s; systemctl is-enabled %s"):format(unit, unit), { read_only = true })
    if r.stderr:find("not been booted with systemd", 1, true) or r.stderr:find("Failed to connect to bus", 1, true) then
      ctx:fail("systemd is not running on this host")
    end
    local active, enabled = r.stdout:match("^(%S*)\n(%S*)")
    local steps, changes = {}, {}
    if state == "started" and active ~= "active" then steps[#steps + 1] = "start"; changes[#changes + 1] = "start" end
    if state == "stopped" and (active == "active" or active == "activating") then
      steps[#steps + 1] = "stop"; changes[#changes + 1] = "stop"
    end
    if state == "restarted" then steps[#steps + 1] = "restart"; changes[#changes + 1] = "restart" end
    if state == "reloaded" then steps[#steps + 1] = "reload"; changes[#changes + 1] = "reload" end
    if args.enabled == true and enabled ~= "enabled" then steps[#steps + 1] = "enable"; changes[#changes + 1] = "enable" end
    if args.enabled == false and enabled == "enabled" then steps[#steps + 1] = "disable"; changes[#changes + 1] = "disable" end
    if #steps == 0 then return report("ok") end
    if not ctx.check then
      local commands = {}
      for _, verb in ipairs(steps) do commands[#commands + 1] = ("systemctl %s %s"):format(verb, unit) end
      ctx:must(table.concat(commands, " && "), table.concat(changes, ", ") .. " " .. unit_name)
    end
    return report("changed", table.concat(changes, ", "))
  end)
end

--- A local user account. {"deploy", state = "present" | "absent", shell,
--- groups = {...} (added to, never removed from), home, system = true}
function task.user(args)
  checked("user", args, { [1] = "string", state = "string", shell = "string", groups = "table", home = "string",
                          system = "boolean" }, { 1 })
  local login = names_of("user", args)[1]
  local state = choice("user", args, "state", { "present", "absent" })
  local groups = args.groups and #args.groups > 0 and names_of("user", args.groups) or {}
  local user = quote(login)
  return new("user", args, ("user %s %s"):format(login, state), function(ctx)
    local r = ctx:sh(("getent passwd %s && id -nG %s"):format(user, user), { read_only = true })
    local fields = {}
    for field in ((r.stdout:match("^([^\n]*)") or "") .. ":"):gmatch("([^:]*):") do fields[#fields + 1] = field end
    local exists = r.status == 0 and #fields >= 7
    if state == "absent" then
      if not exists then return report("ok") end
      if not ctx.check then ctx:must("userdel -r " .. user .. " 2>/dev/null || userdel " .. user, "remove user " .. login) end
      return report("changed", "remove user")
    end
    local member = {}
    for g in (r.stdout:match("\n([^\n]*)") or ""):gmatch("%S+") do member[g] = true end
    local missing = {}
    for _, g in ipairs(groups) do if not member[g] then missing[#missing + 1] = g end end
    local command, changes
    if not exists then
      local options = { args.system and "-r" or "-m" }
      if args.shell then options[#options + 1] = "-s " .. quote(args.shell) end
      if args.home then options[#options + 1] = "-d " .. quote(args.home) end
      if #groups > 0 then options[#options + 1] = "-G " .. quote(table.concat(groups, ",")) end
      command, changes = ("useradd %s %s"):format(table.concat(options, " "), user), { "create user" }
    else
      local options
      options, changes = {}, {}
      if args.shell and fields[7] ~= args.shell then
        options[#options + 1] = "-s " .. quote(args.shell); changes[#changes + 1] = "shell " .. args.shell
      end
      if args.home and fields[6] ~= args.home then
        options[#options + 1] = "-d " .. quote(args.home); changes[#changes + 1] = "home " .. args.home
      end
      if #missing > 0 then
        options[#options + 1] = "-a -G " .. quote(table.concat(missing, ","))
        changes[#changes + 1] = "groups +" .. table.concat(missing, ",")
      end
      if #options == 0 then return report("ok") end
      command = ("usermod %s %s"):format(table.concat(options, " "), user)
    end
    if not ctx.check then ctx:must(command, table.concat(changes, ", ")) end
    return report("changed", table.concat(changes, ", "))
  end)
end

----------------------------------------------------------------------------
-- command, reboot

--- A shell command, run only when needed: creates (skip when this path
--- exists), removes (skip unless it exists), unless (skip when this command
--- succeeds), onlyif (skip unless it succeeds). {"command", creates, removes,
--- unless, onlyif, changed = false (it only reads: report ok)}. Without a
--- guard it runs every time and reports changed.
function task.command(args)
  checked("command", args, { [1] = "string", creates = "string", removes = "string", unless = "string",
                             onlyif = "string", changed = "boolean" }, { 1 })
  local guards = {}
  if args.creates then guards[#guards + 1] = ("[ -e %s ] && { echo 'creates %s exists'; exit 0; }"):format(quote(args.creates), args.creates:gsub("'", "")) end
  if args.removes then guards[#guards + 1] = ("[ -e %s ] || { echo 'removes %s is absent'; exit 0; }"):format(quote(args.removes), args.removes:gsub("'", "")) end
  if args.unless then guards[#guards + 1] = ("( %s ) >/dev/null 2>&1 && { echo 'unless succeeded'; exit 0; }"):format(args.unless) end
  if args.onlyif then guards[#guards + 1] = ("( %s ) >/dev/null 2>&1 || { echo 'onlyif failed'; exit 0; }"):format(args.onlyif) end
  -- The guards and the command go in one round trip; a marker line tells
  -- whether the guards let it run.
  local marker = "labsh:run"
  local guard = table.concat(guards, "; ")
  return new("command", args, "command " .. args[1], function(ctx)
    local script = (guard ~= "" and (guard .. "; ") or "") .. "echo " .. marker
    if not ctx.check then script = script .. "; " .. args[1] end
    -- in check mode only the guards run: they are checks, and must only read
    local r = ctx:sh(script, { read_only = ctx.check })
    local first, rest = r.stdout:match("^([^\n]*)\n?(.*)$")
    if first ~= marker then return report("ok", first) end
    if ctx.check then return report(args.changed == false and "ok" or "changed", "would run: " .. args[1]) end
    if r.status ~= 0 then
      ctx:fail(("exit %s: %s"):format(tostring(r.status), (r.stderr:match("([^\n]+)\n?$") or rest:match("([^\n]+)\n?$") or "")))
    end
    return report(args.changed == false and "ok" or "changed", rest:match("([^\n]+)\n?$"), { stdout = rest, stderr = r.stderr })
  end)
end

--- Reboots the host and waits until it is back: its boot id changed and it
--- answers over SSH. {timeout = 600 (seconds), command = "systemctl reboot"}
function task.reboot(args)
  args = args or {}
  checked("reboot", args, { timeout = "number", command = "string" })
  local timeout = args.timeout or 600
  local command = args.command or "systemctl reboot"
  local boot_id = "cat /proc/sys/kernel/random/boot_id"
  return new("reboot", args, "reboot", function(ctx)
    if ctx.check then return report("changed", "would reboot") end
    local before = ctx:must(boot_id, "read the boot id", { read_only = true }).stdout
    -- detached, so the SSH session ends before the host goes down
    ctx:sh(("nohup sh -c 'sleep 1; %s' >/dev/null 2>&1 &"):format(command:gsub("'", "'\\''")))
    ctx:close()
    local deadline = lab.sys.monotonic() + timeout
    while lab.sys.monotonic() < deadline do
      ctx:pause(2)
      local r = ctx:try(boot_id, { timeout = 15, read_only = true })
      if r and r.status == 0 and r.stdout ~= before then
        return report("changed", ("back after %.0f s"):format(timeout - (deadline - lab.sys.monotonic())))
      end
    end
    ctx:fail(("not back after %d s"):format(timeout))
  end)
end

return task
