-- labsh.remote: inventory hosts reached with the system's OpenSSH client;
-- lab.ssh, lab.exec and playbooks (labsh.playbook) stand on it.
--
-- How to reach a host comes from the inventory: its `ssh` section (defaults)
-- and a node's or guest's own `ssh` table. A host with neither is never
-- contacted. Every connection runs with BatchMode (cron has no one to type
-- a password), host key checking on, and one master connection per host in
-- a private directory, reused by every command for 60 s.
--
-- Commands to many hosts run at once: lab.exec, and playbooks, whose tasks
-- call remote.run from coroutines that remote.concurrently resumes as the
-- commands they wait for end.
--
-- Under --dry-run no command runs on a host and nothing is copied, unless
-- the call says it only reads ({read_only = true}): each skipped command is
-- said on stderr and recorded (labsh.dryrun), and its outcome is a result
-- with dry_run = true and no status, never a success.
--
-- Under a script's manifest (labsh.script) a host is reached only when
-- requires.hosts covers it, and a command only when requires.commands
-- does: labsh.capabilities decides, and the ssh process carries the host's
-- record so that the host checks it again.

local host = require "labsh.host"
local os_ = require "labsh.os"
local filesystem = require "labsh.filesystem"
local secret = require "labsh.secret"
local dryrun = require "labsh.dryrun"
local capabilities = require "labsh.capabilities"
local sha256 = require("labsh.digest").sha256

local remote = {}

--- `text` as one word for a POSIX shell.
function remote.quote(text)
  return "'" .. tostring(text):gsub("'", "'\\''") .. "'"
end
local quote = remote.quote

--- An error object like the ones Swift raises (`kind`, `message`, fields;
--- prints as its message), returned rather than raised.
local function error_object(kind, message, fields)
  local _, err = pcall(host.fail, kind, message, fields)
  return err
end

----------------------------------------------------------------------------
-- Hosts and their access settings

local function record_named(name)
  local inventory = lab.inventory.current()
  for _, node in ipairs(inventory.nodes) do
    if node.name == name then return node end
  end
  for _, guest in ipairs(inventory.guests or {}) do
    if guest.name == name then return guest end
  end
end

local function name_of(target)
  if type(target) == "string" then return target end
  if type(target) == "table" and type(target.name) == "string" then return target.name end
  error(("expected a node, a guest or a host name, got a %s"):format(type(target)), 3)
end

local function describe(selector)
  local parts = {}
  for key, value in pairs(selector) do
    parts[#parts + 1] = ("%s = %s"):format(key, type(value) == "table" and table.concat(value, "|") or tostring(value))
  end
  table.sort(parts)
  return "{" .. table.concat(parts, ", ") .. "}"
end

--- The host names a selector picks, in inventory order: "all" (every node
--- and guest), one name, a list of names, nodes or guests, or a filter as
--- lab.nodes takes it ({role = "k8s-worker"}, {tag = "test"}), applied to
--- nodes and guests alike. A selector that picks nothing is an error.
function remote.hosts(selector)
  local names = {}
  if type(selector) == "string" and selector ~= "all" then
    if not record_named(selector) then error(("no node or guest '%s' in the inventory"):format(selector), 2) end
    return { selector }
  elseif type(selector) == "table" and selector[1] ~= nil then
    for _, target in ipairs(selector) do
      local name = name_of(target)
      if not record_named(name) then error(("no node or guest '%s' in the inventory"):format(name), 2) end
      names[#names + 1] = name
    end
    return names
  end
  if type(selector) == "table" and next(selector) == nil then error("an empty selector picks no host", 2) end
  local filter = type(selector) == "table" and selector or {}
  names = require("labsh.query").host_names(filter)
  if #names == 0 then error("no node or guest matches " .. describe(filter), 2) end
  return names
end

--- Under a script's manifest, raises the denial unless requires.hosts
--- covers every host of `names` (and requires.commands `command`, if
--- given): checked before anything runs, so a denied fan-out changes nothing.
function remote.check_capable(names, command)
  if not capabilities.active() then return end
  if command then capabilities.check_command(command) end
  for _, name in ipairs(names) do
    local record = record_named(name)
    if record then capabilities.check_host(record) end
  end
end

--- How to reach `target`: the inventory's ssh defaults with the host's own
--- settings over them, `name`, `host` (default: its address) and `record`
--- (the node or guest) filled in.
--- nil and why when the inventory gives no way to reach it.
function remote.access(target)
  local name = name_of(target)
  local record = record_named(name)
  if not record then return nil, ("no node or guest '%s' in the inventory"):format(name) end
  capabilities.check_host(record)
  local defaults, own = lab.inventory.current().ssh, record.ssh
  if not defaults and not own then
    return nil, name .. ": the inventory gives no ssh access (no ssh section), so labsh does not connect"
  end
  local access = {}
  for key, value in pairs(defaults or {}) do access[key] = value end
  for key, value in pairs(own or {}) do access[key] = value end
  access.name = name
  access.host = access.host or record.address
  access.record = record  -- what requires.hosts is checked against when ssh starts
  if access.jump == name then access.jump = nil end  -- the bastion itself is reached directly
  return access
end

----------------------------------------------------------------------------
-- The ssh command line

local control_dir_path

--- The private directory of the master connections' sockets:
--- $XDG_RUNTIME_DIR/labsh-ssh, else /tmp/labsh-ssh-USER (mode 0700, ours).
function remote.control_dir()
  if not control_dir_path then
    local runtime = os.getenv("XDG_RUNTIME_DIR")
    control_dir_path = (runtime and runtime ~= "") and (runtime .. "/labsh-ssh") or ("/tmp/labsh-ssh-" .. os_.user())
    filesystem.private_directory(control_dir_path)
  end
  return control_dir_path
end

-- Key files written this run, removed when labsh ends (a finalizer of the
-- Lua state, which runs also after an error, a signal or --timeout).
local written_keys = setmetatable({}, { __gc = function(paths)
  for path in pairs(paths) do os.remove(path) end
end })

-- The key file for a reference: file:PATH is used in place; env:NAME holds
-- the key itself, written to a 0600 file in the private directory while
-- labsh runs.
local function key_file(access)
  local kind, rest = access.key:match("^(%a+):(.+)$")
  if kind == "file" then return rest end
  local key = secret.resolve(access.key, access.name .. ": ssh.key")
  local path = remote.control_dir() .. "/key-" .. sha256(key):sub(1, 16)
  if not written_keys[path] then
    filesystem.write_private(path, key:sub(-1) == "\n" and key or key .. "\n")
    written_keys[path] = true
  end
  return path
end

local warned_unchecked = {}

--- The options ssh and scp share for `access` (a list of arguments).
function remote.options(access)
  local args = {}
  local function option(name, value) args[#args + 1] = "-o"; args[#args + 1] = name .. "=" .. tostring(value) end
  if access.config then args[#args + 1] = "-F"; args[#args + 1] = access.config end
  local checking = access.host_key_checking or "yes"
  if checking == "no" and not warned_unchecked[access.name] then
    warned_unchecked[access.name] = true
    io.stderr:write(("warning: %s: host key checking is off (ssh.host_key_checking = \"no\"): anyone on the path can pose as this host\n"):format(access.name))
  end
  option("BatchMode", "yes")
  option("StrictHostKeyChecking", checking)
  if access.known_hosts then option("UserKnownHostsFile", access.known_hosts) end
  option("ConnectTimeout", access.connect_timeout or 10)
  option("ControlMaster", "auto")
  -- A master is shared only by connections that trust and log in alike:
  -- changing known_hosts, key or jump host never reuses an old master.
  local trust = table.concat({ access.known_hosts or "", access.key or "", access.config or "", access.jump or "",
                               checking }, "\0")
  option("ControlPath", ("%s/%s-%%C"):format(remote.control_dir(), sha256(trust):sub(1, 8)))
  option("ControlPersist", 60)
  option("ServerAliveInterval", 15)
  if access.port then option("Port", access.port) end
  if access.user then option("User", access.user) end
  if access.key then
    option("IdentityFile", key_file(access))
    option("IdentitiesOnly", "yes")
  end
  if access.jump then
    local through, why = remote.access(access.jump)
    if not through then error(why, 0) end
    -- ProxyCommand expands %h and %p, so the inner command's own % are doubled.
    local words = { "ssh" }
    for _, word in ipairs(remote.options(through)) do words[#words + 1] = quote(word:gsub("%%", "%%%%")) end
    words[#words + 1] = "-W"
    words[#words + 1] = "%h:%p"
    words[#words + 1] = quote(through.host:gsub("%%", "%%%%"))
    option("ProxyCommand", table.concat(words, " "))
  end
  return args
end

-- Each host's access and ssh options, worked out once per inventory: every
-- command to a host (a playbook sends one per task) starts from them.
local prepared = setmetatable({}, { __mode = "k" })  -- inventory -> name -> {access, options | why}

local function connection(target)
  local name = name_of(target)
  local inventory = lab.inventory.current()
  local hosts = prepared[inventory] or {}
  prepared[inventory] = hosts
  if not hosts[name] then
    local access, why = remote.access(name)
    hosts[name] = access and { access = access, options = remote.options(access) } or { why = why }
  end
  return hosts[name].access, hosts[name].options or hosts[name].why
end

-- `program`, the host's ssh options, then the other words.
local function command_line(program, options, ...)
  local argv = { program }
  for _, word in ipairs(options) do argv[#argv + 1] = word end
  for _, word in ipairs { ... } do argv[#argv + 1] = word end
  return argv
end

-- Exports and sudo around a shell command, and the bytes its stdin starts with.
local function remote_script(access, command, opts)
  local script = command
  if opts.env then
    local exports = {}
    for name, value in pairs(opts.env) do
      if type(name) ~= "string" or not name:match("^[%a_][%w_]*$") then
        error(("env: '%s' is not a variable name"):format(tostring(name)), 0)
      end
      exports[#exports + 1] = ("export %s=%s; "):format(name, quote(value))
    end
    table.sort(exports)
    script = table.concat(exports) .. script
  end
  -- Logged in as root, root needs no sudo (stock Proxmox has none).
  local as_root = access.user == "root" and (opts.user == nil or opts.user == "root")
  if not (opts.sudo or opts.user) or as_root then return script, "" end
  local run_as = "sudo -H -n -u " .. quote(opts.user or "root") .. " -- /bin/sh -c " .. quote(script)
  if not access.sudo_password then return run_as, "" end
  -- The password travels as the first line of stdin, read by the remote
  -- shell's builtin: never an argument, never in a process listing.
  local password = secret.resolve(access.sudo_password, access.name .. ": ssh.sudo_password")
  return "IFS= read -r labsh_pw; printf '%s\\n' \"$labsh_pw\" | sudo -S -p '' -v 2>/dev/null; unset labsh_pw; " .. run_as,
    password .. "\n"
end

----------------------------------------------------------------------------
-- Outcomes

local Result = {}
local result_meta = { __index = Result, __name = "lab.ExecResult" }

--- The command exited 0 (false for a command a dry run did not run).
function Result:ok() return self.status == 0 end

-- The outcome of a command a dry run did not send: no status, dry_run set.
local function not_run(name)
  return setmetatable({ host = name, dry_run = true, stdout = "", stderr = "", elapsed = 0 }, result_meta)
end

-- What ssh says on stderr when it, not the command, failed (exit 255). Its
-- own messages only: a command that exits 255 after printing "Connection
-- refused" of its own is the command's result.
local reasons = {
  { "host_key", "^Host key verification failed" },
  { "host_key", "REMOTE HOST IDENTIFICATION HAS CHANGED" },
  { "host_key", "^No %S+ host key is known" },
  { "auth", ": Permission denied %(" },
  { "auth", "^Received disconnect .*Too many authentication failures" },
  { "auth", "^Load key " },
  { "unreachable", "^ssh: connect to host " },
  { "unreachable", "^ssh: Could not resolve hostname " },
  { "unreachable", "^kex_exchange_identification: " },
  { "unreachable", "^Connection closed by " },
  { "unreachable", "^Connection reset by " },
  { "unreachable", "^Connection timed out during banner exchange" },
  { "unreachable", "^ssh_exchange_identification: " },
  { "unreachable", "^Control socket connect" },
  { "unreachable", "^ssh: " },
}

local function ssh_failure(stderr)
  for line in stderr:gmatch("[^\r\n]+") do
    for _, reason in ipairs(reasons) do
      if line:find(reason[2]) then return reason[1] end
    end
  end
end

local function last_line(text)
  local line = ""
  for l in text:gmatch("[^\n]+") do if not l:match("^Warning: Permanently added") then line = l end end
  return line
end

-- A process result as the outcome of a remote command: a Result, or an
-- error object of kind "ssh" with a reason.
local function outcome(access, command, ran)
  local function failed(reason, message)
    return error_object("ssh", ("%s: %s"):format(access.name, message), {
      host = access.name, reason = reason, command = command,
      stderr = ran.stderr, elapsed = ran.elapsed,
    })
  end
  if ran.kind == "process" then return failed("local", tostring(ran.message)) end
  if ran.timed_out then return failed("timeout", ("timed out after %.1f s"):format(ran.elapsed)) end
  if ran.status == 255 then
    local reason = ssh_failure(ran.stderr)
    if reason then return failed(reason, last_line(ran.stderr)) end
  end
  if ran.status ~= 0 and (ran.stderr:find("sudo: a password is required", 1, true)
      or ran.stderr:find("incorrect password attempt", 1, true)) then
    return failed("sudo", "sudo refused: " .. last_line(ran.stderr))
  end
  return setmetatable({
    host = access.name, status = ran.status, signal = ran.signal,
    stdout = ran.stdout, stderr = ran.stderr, elapsed = ran.elapsed,
  }, result_meta)
end

--- Whether `value` is an outcome that failed to run at all (an ssh error).
function remote.is_error(value)
  return type(value) == "table" and value.kind == "ssh"
end

----------------------------------------------------------------------------
-- Requests: one ssh process, and what its result means

local function opts_check(opts)
  for key in pairs(opts) do
    if not ({ timeout = true, sudo = true, env = true, stdin = true, user = true, read_only = true })[key] then
      error(("unknown option '%s' (options are timeout, sudo, env, stdin, user, read_only)"):format(tostring(key)), 0)
    end
  end
end

local function no_access(target, why, command)
  return error_object("ssh", why, { host = name_of(target), reason = "no_access", command = command })
end

--- The process to run `command` on `target` and how to read its result:
--- {spec = <lab.process.run table>, finish = function(result) -> outcome}.
--- A request whose outcome is known without running anything has `outcome`
--- instead: a host without access (that error), or a dry run's skipped
--- command (opts.read_only = true: the command only reads, and runs).
function remote.request(target, command, opts)
  opts = opts or {}
  opts_check(opts)
  capabilities.check_command(command)
  if dryrun.active() and not opts.read_only then
    local access, why = remote.access(target)
    if not access then return { outcome = no_access(target, why, command) } end
    dryrun.skips(("run on %s: %s"):format(access.name, command), "ssh.exec", access.name, { command = command })
    return { host = access.name, outcome = not_run(access.name) }
  end
  local access, options = connection(target)
  if not access then return { outcome = no_access(target, options, command) } end
  local script, input = remote_script(access, command, opts)
  local argv = command_line("ssh", options, "-T", "--", access.host, script)
  local stdin = input .. (opts.stdin or "")
  return {
    host = access.name,
    -- the ssh client itself runs under --dry-run only for a read
    spec = { argv = argv, stdin = stdin ~= "" and stdin or nil, timeout = opts.timeout, read_only = opts.read_only,
             host = access.record },
    finish = function(ran) return outcome(access, command, ran) end,
  }
end

-- Coroutines run by remote.concurrently, which answer their requests.
local scheduled = setmetatable({}, { __mode = "k" })

-- Runs the requests' processes together (lab.process.run_all); a request
-- with a known outcome (no access, dry run) is not run.
local function perform(requests, parallel, on_line, on_exit)
  local specs, at = {}, {}
  local outcomes = {}
  for i, request in ipairs(requests) do
    if request.outcome then outcomes[i] = request.outcome
    else
      specs[#specs + 1] = request.spec
      at[#specs] = i
    end
  end
  if #specs > 0 then
    local results = lab.process.run_all(specs, {
      parallel = parallel,
      on_line = on_line and function(j, stream, line) on_line(requests[at[j]], stream, line) end,
      on_exit = on_exit and function(j) on_exit(requests[at[j]]) end,
    })
    for j, ran in ipairs(results) do
      local i = at[j]
      outcomes[i] = requests[i].finish(ran)
    end
  end
  return outcomes
end

--- Runs `command` on `target` and returns its outcome: a result {host,
--- status, stdout, stderr, elapsed} or an ssh error object (reason
--- unreachable, auth, host_key, timeout, sudo, no_access), never raising for
--- the host's failure. Called from a coroutine of remote.concurrently, it waits
--- while the other hosts' commands run.
function remote.run(target, command, opts)
  local request = remote.request(target, command, opts)
  local co = coroutine.running()
  if scheduled[co] then return coroutine.yield(request) end
  if request.outcome then return request.outcome end
  local ran = lab.process.run(request.spec)
  return request.finish(ran)
end

--- Calls fn(item) for each item, each in its own coroutine; the remote.run
--- calls they make run together, at most `parallel` at once. Returns what
--- each returned, in order (an error raised in one becomes its value).
--- `observe` (optional): {on_line(request, stream, line), on_exit(request)}.
function remote.concurrently(items, fn, parallel, observe)
  observe = observe or {}
  local results, waiting = {}, {}
  local function step(i, co, ...)
    local ok, value = coroutine.resume(co, ...)
    if not ok then
      results[i] = value
    elseif coroutine.status(co) == "dead" then
      results[i] = value
    else
      waiting[#waiting + 1] = { index = i, co = co, request = value }
    end
  end
  for i, item in ipairs(items) do
    local co = coroutine.create(fn)
    scheduled[co] = true
    step(i, co, item)
  end
  while #waiting > 0 do
    local batch = waiting
    waiting = {}
    local requests = {}
    for k, w in ipairs(batch) do requests[k] = w.request end
    local outcomes = perform(requests, parallel or 16, observe.on_line, observe.on_exit)
    for k, w in ipairs(batch) do step(w.index, w.co, outcomes[k]) end
  end
  return results
end

----------------------------------------------------------------------------
-- Fan-out

local Results = {}

-- Prints as a table: host, status, seconds, first line of output or the error.
local function results_text(list)
  local rows, width = {}, 4
  for _, r in ipairs(list) do
    local status, text
    if remote.is_error(r) then
      status, text = r.reason, r.message
    elseif r.dry_run then
      status, text = "dry run", "not run (dry run)"
    else
      status = tostring(r.status or ("signal " .. tostring(r.signal)))
      text = last_line(r.stdout ~= "" and r.stdout or r.stderr)
    end
    rows[#rows + 1] = { r.host or "?", status, r.elapsed and ("%.2fs"):format(r.elapsed) or "", text }
    width = math.max(width, #(r.host or "?"))
  end
  local lines = { ("%-" .. width .. "s  %-11s  %7s  %s"):format("host", "status", "elapsed", "output") }
  for _, row in ipairs(rows) do
    lines[#lines + 1] = ("%-" .. width .. "s  %-11s  %7s  %s"):format(row[1], row[2], row[3], row[4])
  end
  return table.concat(lines, "\n")
end

local results_meta = {
  __name = "lab.ExecResults",
  __tostring = results_text,
  -- results.pve1: the outcome of host pve1
  __index = function(list, key)
    if type(key) ~= "string" then return nil end
    if Results[key] then return Results[key] end
    for i = 1, rawlen(list) do
      if rawget(list, i).host == key then return rawget(list, i) end
    end
  end,
}

--- The hosts whose command did not run (also under --dry-run) or did not exit 0.
function Results:failed()
  local out = {}
  for _, r in ipairs(self) do
    if remote.is_error(r) or r.status ~= 0 then out[#out + 1] = r.host end
  end
  return out
end

--- Runs `command` on every host `targets` selects (see remote.hosts), at most
--- opts.parallel (default 16) at once. Returns the outcomes in host order,
--- also by name (`results.pve1`); one host's failure never stops the others.
--- opts: timeout, sudo, user, env, stdin as for exec, stream = true to print
--- output lines as they come, prefixed by host. A progress bar shows on a
--- terminal while hosts are outstanding.
function remote.exec(targets, command, opts)
  opts = opts or {}
  local parallel, stream = opts.parallel or 16, opts.stream
  local per_host = {}
  for key, value in pairs(opts) do
    if key ~= "parallel" and key ~= "stream" then per_host[key] = value end
  end
  if type(parallel) ~= "number" or parallel < 1 then error("parallel must be a number >= 1", 2) end
  local names = remote.hosts(targets)
  remote.check_capable(names, command)
  local bar, done = nil, 0
  if not stream and #names > 1 and lab.sys.isatty(2) then
    bar = require("labsh.progress").new()
    bar:update(0, ("0/%d hosts"):format(#names))
  end
  local width = 0
  for _, name in ipairs(names) do width = math.max(width, #name) end
  local observe = {
    on_line = stream and function(request, which, line)
      local out = which == "stderr" and io.stderr or io.stdout
      out:write(("%-" .. width .. "s | %s\n"):format(request.host, line))
      out:flush()
    end,
    on_exit = bar and function()
      done = done + 1
      bar:update(done / #names, ("%d/%d hosts"):format(done, #names))
    end,
  }
  local outcomes = remote.concurrently(names, function(name) return remote.run(name, command, per_host) end,
    parallel, observe)
  if bar then bar:finish() end
  return setmetatable(outcomes, results_meta)
end

--- Runs `command` on one host and returns its result; raises the ssh error
--- (unreachable, auth, host_key, timeout, sudo, no_access) instead of
--- returning it. `node:exec(command, opts)` is this for a node.
function remote.exec_host(target, command, opts)
  local result = remote.run(target, command, opts)
  if remote.is_error(result) then error(result, 0) end
  return result
end

----------------------------------------------------------------------------
-- Files

local function scp(target, from_remote, src, dst)
  if dryrun.active() then
    local access, why = remote.access(target)
    if not access then host.fail("ssh", why, { host = name_of(target), reason = "no_access" }) end
    local text = from_remote and ("fetch %s:%s to %s"):format(access.name, src, dst)
      or ("copy %s to %s:%s"):format(src, access.name, dst)
    dryrun.skips(text, from_remote and "ssh.fetch" or "ssh.copy", access.name, { src = src, dst = dst })
    return nil, "dry run"
  end
  local access, options = connection(target)
  if not access then host.fail("ssh", options, { host = name_of(target), reason = "no_access" }) end
  local address = access.host:find(":", 1, true) and ("[" .. access.host .. "]") or access.host
  local argv = from_remote and command_line("scp", options, "-q", "--", address .. ":" .. src, dst)
    or command_line("scp", options, "-q", "--", src, address .. ":" .. dst)
  local result = outcome(access, "scp " .. src .. " " .. dst,
    lab.process.run { argv = argv, host = access.record })
  if remote.is_error(result) then error(result, 0) end
  if result.status ~= 0 then
    host.fail("ssh", ("%s: copying %s to %s failed: %s"):format(access.name, src, dst, last_line(result.stderr)),
      { host = access.name, reason = "copy" })
  end
  return true
end

--- Copies the local file `src` to `dst` on `target` (scp over the host's
--- master connection). Raises an ssh error on failure. Under --dry-run it
--- copies nothing, says so and returns nil, "dry run".
function remote.copy(target, src, dst)
  return scp(target, false, src, dst)
end

--- Copies the file `src` on `target` to the local path `dst` (under
--- --dry-run: nothing, nil and "dry run").
function remote.fetch(target, src, dst)
  return scp(target, true, src, dst)
end

--- Closes the master connection to each host `targets` selects (default:
--- all), e.g. after a host's key or address changed.
function remote.close(targets)
  for _, name in ipairs(remote.hosts(targets or "all")) do
    -- a host the script may not reach has no master of its own to close
    local reachable, access, options = pcall(connection, name)
    if reachable and access then
      -- talks to the local master only: changes nothing on the host
      lab.process.run { argv = command_line("ssh", options, "-O", "exit", "--", access.host), timeout = 5,
                        read_only = true, host = access.record }
    end
  end
end

return remote
