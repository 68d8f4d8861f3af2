-- lab.process.run_all: many programs in one poll loop. Runs under labsh.
-- (lab.process.run itself: restic_spec.lua.)

local labsh = os.getenv("LABSH_BIN") or arg[-1]

-- Our own children, from the kernel's list (empty when all are reaped).
local function children()
  local pid = lab.sys.pid()
  return read_file(("/proc/%d/task/%d/children"):format(pid, pid))
end

-- Gone for good: reaped (not even a zombie is left).
local function gone(pid)
  return read_file("/proc/" .. pid .. "/stat") == nil
end

-- Running (a zombie waiting for init is not).
local function alive(pid)
  local stat = read_file("/proc/" .. pid .. "/stat")
  return stat ~= nil and not stat:match("^%d+ %b() [ZX]")
end

local function sh(command, extra)
  local spec = { argv = { "sh", "-c", command } }
  for k, v in pairs(extra or {}) do spec[k] = v end
  return spec
end

test("run_all: results in order, parallel programs take one wave's time", function()
  local list = {}
  for i = 1, 20 do list[i] = sh("sleep 0.2; echo $N", { env = { N = tostring(i) } }) end
  local t = lab.sys.monotonic()
  local results = lab.process.run_all(list, { parallel = 10 })
  local elapsed = lab.sys.monotonic() - t
  assert_eq(#results, 20)
  for i, r in ipairs(results) do
    assert_eq(r.stdout, i .. "\n")
    assert_eq(r.status, 0)
    assert_eq(r.timed_out, false)
  end
  assert(elapsed > 0.38 and elapsed < 1.5, "two waves of 0.2 s, got " .. elapsed)
  assert_eq(children(), "", "children left")
end)

test("run_all: the same result tables as run, the default parallel is 16", function()
  local one = lab.process.run(sh("echo out; echo err >&2; exit 3"))
  local all = lab.process.run_all { sh("echo out; echo err >&2; exit 3") }
  one.elapsed, all[1].elapsed = nil, nil
  assert_same(all[1], one)
  assert_same(lab.process.run_all {}, {})
  -- 32 programs of 0.2 s: two waves at the default of 16.
  local list = {}
  for i = 1, 32 do list[i] = sh("sleep 0.2") end
  local t = lab.sys.monotonic()
  lab.process.run_all(list)
  local elapsed = lab.sys.monotonic() - t
  assert(elapsed > 0.38 and elapsed < 1.5, "elapsed " .. elapsed)
end)

test("run_all: a program that cannot start is an error object at its place", function()
  local _, raised = pcall(lab.process.run, { argv = { "labsh-no-such-program", "x" } })
  local results = lab.process.run_all {
    sh("echo 1"),
    { argv = { "labsh-no-such-program", "x" } },
    { argv = { "true" }, cwd = "/labsh-no-such-directory" },
    sh("echo 4"),
  }
  assert_eq(results[1].stdout, "1\n")
  assert_eq(results[4].stdout, "4\n")
  local err = results[2]
  assert_eq(err.kind, "process")
  assert_eq(err.message, "cannot run 'labsh-no-such-program': not found on PATH")
  assert_same(err.argv, { "labsh-no-such-program", "x" })
  assert_eq(err.errno, 2)
  assert_eq(tostring(err), err.message)
  assert_eq(getmetatable(err), getmetatable(raised), "the metatable of raised errors")
  assert(results[3].message:find("no directory", 1, true), results[3].message)
end)

test("run_all: on_line gets the program's index, stream and line", function()
  local list = {}
  for i = 1, 12 do list[i] = sh(("echo out%d; echo err%d >&2; printf last%d"):format(i, i, i)) end
  local seen = {}
  lab.process.run_all(list, { parallel = 5, on_line = function(i, stream, line)
    seen[#seen + 1] = true
    if stream == "stderr" then
      assert_eq(line, "err" .. i)
    else
      assert(line == "out" .. i or line == "last" .. i, i .. ": " .. line)
    end
  end })
  assert_eq(#seen, 36)
end)

test("run_all: on_exit gets each index once, with the table returned", function()
  local list = {}
  for i = 1, 10 do list[i] = sh("sleep 0.0" .. (10 - i) .. "; exit " .. i) end
  list[11] = { argv = { "labsh-no-such-program" } }
  local got, order = {}, {}
  local results = lab.process.run_all(list, { parallel = 4, on_exit = function(i, result)
    assert_eq(got[i], nil, "once")
    got[i] = result
    order[#order + 1] = i
  end })
  assert_eq(#order, 11)
  for i = 1, 11 do assert(rawequal(got[i], results[i]), "same table at " .. i) end
  for i = 1, 10 do assert_eq(results[i].status, i) end
  assert_eq(results[11].kind, "process")
end)

test("run_all: each timeout stops only its program; stdin goes to each", function()
  local results = lab.process.run_all({
    sh("sleep 0.4; echo done"),
    sh("sleep 30", { timeout = 0.2 }),
    { argv = { "cat" }, stdin = "one" },
    { argv = { "cat" }, stdin = ("x"):rep(200000) },
  }, { parallel = 4 })
  assert_eq(results[1].stdout, "done\n")
  assert_eq(results[1].timed_out, false)
  assert_eq(results[2].timed_out, true)
  assert_eq(results[2].signal, 15)
  assert(results[2].elapsed < 1, "elapsed " .. results[2].elapsed)
  assert_eq(results[3].stdout, "one")
  assert_eq(results[4].stdout, ("x"):rep(200000))
end)

test("run_all: an error in on_line stops every program and is raised", function()
  local pids = {}
  local list = {}
  for i = 1, 6 do list[i] = sh("echo $$; exec sleep 30") end
  local t = lab.sys.monotonic()
  local ok, err = pcall(lab.process.run_all, list, { parallel = 3, on_line = function(_, _, line)
    pids[#pids + 1] = line
    error("seen enough")
  end })
  assert_eq(ok, false)
  assert(tostring(err):find("seen enough"), tostring(err))
  assert(lab.sys.monotonic() - t < 2.5, "stopped at once")
  assert_eq(#pids, 1)
  assert(gone(pids[1]), "reaped")
  assert_eq(children(), "", "children left")
end)

test("run_all: an error in on_exit stops the rest and is raised", function()
  local list = { sh("exit 0") }
  for i = 2, 5 do list[i] = sh("sleep 30") end
  local exits = 0
  local t = lab.sys.monotonic()
  local ok, err = pcall(lab.process.run_all, list, { parallel = 5, on_exit = function(i)
    exits = exits + 1
    error({ code = i })
  end })
  assert_eq(ok, false)
  assert_eq(err.code, 1, "the value raised there")
  assert_eq(exits, 1)
  assert(lab.sys.monotonic() - t < 2.5, "stopped at once")
  assert_eq(children(), "", "children left")
end)

test("run_all: bad arguments name the list position", function()
  local function message(...)
    local ok, err = pcall(lab.process.run_all, ...)
    assert_eq(ok, false)
    return tostring(err)
  end
  local m = message({ sh("true"), { argv = {} } })
  assert(m:find("list[2]: argv must be a non-empty list of strings", 1, true), m)
  m = message({ sh("true", { on_line = print }) })
  assert(m:find("list[1]: unknown option 'on_line'", 1, true), m)
  m = message({ "true" })
  assert(m:find("list[1] must be a table", 1, true), m)
  m = message({ argv = { "true" } })
  assert(m:find("list must be a list", 1, true), m)
  m = message({ sh("true") }, { parallel = 0 })
  assert(m:find("parallel must be an integer >= 1", 1, true), m)
  m = message({ sh("true") }, { max = 2 })
  assert(m:find("unknown option 'max'", 1, true), m)
  m = message({ sh("true") }, { on_exit = 1 })
  assert(m:find("on_exit must be a function", 1, true), m)
end)

test("run_all: 100 short programs, 20 at a time", function()
  local list = {}
  for i = 1, 100 do list[i] = { argv = { "true" } } end
  local t = lab.sys.monotonic()
  local results = lab.process.run_all(list, { parallel = 20 })
  local elapsed = lab.sys.monotonic() - t
  assert_eq(#results, 100)
  for _, r in ipairs(results) do assert_eq(r.status, 0) end
  assert(elapsed < 2, "elapsed " .. elapsed)
  assert_eq(children(), "", "children left")
end)

test("run_all: labsh --timeout stops every program, then labsh", function()
  local code = [[
    local list = {}
    for i = 1, 6 do list[i] = {argv = {"sh", "-c", "echo $$; exec sleep 30"}} end
    lab.process.run_all(list, {parallel = 4, on_line = function(_, _, l) io.stderr:write(l, "\n") end})
  ]]
  local r = lab.process.run { argv = { labsh, "--timeout", "1", "-e", code } }
  assert_eq(r.status, 124)
  assert(r.elapsed < 1.6, "elapsed " .. r.elapsed)
  local n = 0
  for line in r.stderr:gmatch("[^\n]+") do
    local pid = line:match("^%d+$")
    if pid then
      n = n + 1
      assert(not alive(pid), "program " .. pid .. " is gone")
    end
  end
  assert_eq(n, 4, "four were running: " .. r.stderr)
end)
