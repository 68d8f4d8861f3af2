-- Issue 15, the last gaps an audit found: the capacity report and the
-- reviews' prose fit the terminal's width (COLUMNS when stdout is no
-- terminal) with every figure kept whole, and what follows `--` after
-- `-m NAME` reaches the script as its positional arguments.
--
-- labsh runs in a state directory of its own, on the built-in homelab or an
-- edited copy of it.

local host = require "labsh.host"
local filesystem = require "labsh.filesystem"
local sizes = require "labsh.sizes"

local labsh = os.getenv("LABSH_BIN") or arg[-1]
if not labsh:find("^/") then labsh = assert(os.getenv("PWD")) .. "/" .. labsh end
local tmp = filesystem.temp_directory("labsh-issue15-width")

-- labsh with `args` (a list) and COLUMNS `columns`: status, stdout, stderr.
local function run(args, columns)
  local argv = { labsh }
  for _, a in ipairs(args) do argv[#argv + 1] = a end
  local env = {
    LABSH_STATE_DIR = tmp .. "/state", XDG_CONFIG_HOME = tmp .. "/no-config", XDG_DATA_HOME = tmp .. "/no-data",
    HOME = tmp, LABSH_INVENTORY = false, LABSH_PATH = false, NO_COLOR = "1",
    COLUMNS = tostring(columns or 80),
  }
  return lab.process.run { argv = argv, env = env, cwd = tmp, timeout = 120, read_only = true }
end

local function write_file(path, text)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
end

local function lines_of(text)
  local lines = {}
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do lines[#lines + 1] = line end
  return lines
end

-- Every line of `text` is at most `columns` wide (UTF-8 characters).
local function assert_fits(text, columns, what)
  for i, line in ipairs(lines_of(text)) do
    local width = utf8.len(line) or #line
    assert(width <= columns, ("%s at COLUMNS=%d: line %d is %d wide:\n%s"):format(what, columns, i, width, line))
  end
end

-- The text with every run of spaces and newlines as one space: prose
-- wrapped at word boundaries reads the same as on one line.
local function words(text) return (text:gsub("%s+", " ")) end

local function assert_has(text, needle, what)
  assert(text:find(needle, 1, true), ("%s: '%s' missing from:\n%s"):format(what, needle, text))
end

----------------------------------------------------------------------------
-- labsh.pretty.wrap

test("pretty.wrap breaks prose at spaces within the width, later lines hanging under the first's text", function()
  local pretty = require "labsh.pretty"
  local note = "no Prometheus configured (monitoring.prometheus): used is nil, utilisation is allocation"
  local text = pretty.wrap(note, 40, "  note: ")
  assert_fits(text, 40, "pretty.wrap")
  local lines = lines_of(text)
  assert(#lines > 1, text)
  assert_eq(lines[1]:sub(1, 8), "  note: ")
  for i = 2, #lines do assert_eq(lines[i]:sub(1, 8), "        ", text) end
  assert_eq(words(text), words("  note: " .. note))
  -- a word wider than the room is cut, never run past the width
  assert_fits(pretty.wrap(("x"):rep(100), 30, "- "), 30, "a long word")
  assert_eq(pretty.wrap("short", 30, "- "), "- short")
end)

----------------------------------------------------------------------------
-- The capacity report

-- The figures of `labsh -m capacity --format json` as the terminal report
-- writes them, each of which must be there, whole, at every width.
local function capacity_figures()
  local r = run { "-m", "capacity", "--format", "json" }
  assert_eq(r.status, 0, r.stderr)
  local data = lab.json.decode(r.stdout)
  local function human(value, unit)
    if value == nil or value == lab.json.null then return nil end
    if unit == "bytes" then return sizes.size_text(value) end
    if unit == "bit/s" then
      local units, i = { "bit/s", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s" }, 1
      while math.abs(value) >= 1000 and i < #units do value, i = value / 1000, i + 1 end
      return ("%.1f %s"):format(value, units[i])
    end
    return ("%g %s"):format(math.floor(value * 10 + 0.5) / 10, unit)
  end
  local figures, prose = {}, {}
  for _, res in ipairs(data.resources) do
    figures[#figures + 1] = res.name
    figures[#figures + 1] = ("%.1f%%"):format(res.percent)
    for _, key in ipairs { "installed", "allocated", "used" } do
      figures[#figures + 1] = human(res[key], res.unit)
    end
    figures[#figures + 1] = res.crosses_85 ~= lab.json.null and res.crosses_85 or nil
    figures[#figures + 1] = res.crosses_95 ~= lab.json.null and res.crosses_95 or nil
  end
  for _, n in ipairs(data.n_minus_1) do
    figures[#figures + 1] = n.node
    figures[#figures + 1] = tostring(n.impact)
    prose[#prose + 1] = n.why[1]
  end
  for _, p in ipairs(data.spof) do
    prose[#prose + 1] = p.consequences[1]
    prose[#prose + 1] = "mitigation: " .. p.mitigation
  end
  prose[#prose + 1] = "note: " .. data.note
  assert(#data.resources > 0 and #data.n_minus_1 > 0 and #data.spof > 0, r.stdout)
  return figures, prose, r.stdout
end

test("labsh -m capacity fits COLUMNS 80, 60 and 200, with the same figures whole at each", function()
  local figures, prose = capacity_figures()
  for _, columns in ipairs { 80, 60, 200 } do
    local r = run({ "-m", "capacity" }, columns)
    assert_eq(r.status, 0, r.stderr)
    assert_fits(r.stdout, columns, "capacity")
    for _, figure in ipairs(figures) do assert_has(r.stdout, figure, ("capacity at COLUMNS=%d"):format(columns)) end
    -- prose wraps at word boundaries: it reads whole once lines are joined
    local joined = words(r.stdout)
    for _, text in ipairs(prose) do assert_has(joined, text, ("capacity prose at COLUMNS=%d"):format(columns)) end
  end
end)

test("capacity: the bar narrows and the 24-month sparkline stays, shortened or under its row", function()
  for _, columns in ipairs { 80, 60, 110, 200 } do
    local r = run({ "-m", "capacity" }, columns)
    assert_eq(r.status, 0, r.stderr)
    local sparklines, bars = 0, 0
    for _, line in ipairs(lines_of(r.stdout)) do
      if line:find("[▁▂▃▄▅▆▇]") then sparklines = sparklines + 1 end
      if line:find("[█░]") then bars = bars + 1 end
    end
    assert(sparklines >= 6, ("COLUMNS=%d: a sparkline per resource:\n%s"):format(columns, r.stdout))
    assert(bars >= 6, ("COLUMNS=%d: a bar per resource:\n%s"):format(columns, r.stdout))
  end
end)

test("capacity: the note wraps at a word boundary at COLUMNS=80", function()
  local r = run({ "-m", "capacity" }, 80)
  local lines, at = lines_of(r.stdout), nil
  for i, line in ipairs(lines) do
    if line:find("^  note: ") then at = i end
  end
  assert(at, r.stdout)
  assert(#lines[at] <= 80 and lines[at + 1]:find("^        %S"), "the note goes on, under its first word:\n" .. r.stdout)
  -- no word cut: the last word of the first line and the first of the
  -- next are whole words of the note
  local note = lab.json.decode(run { "-m", "capacity", "--format", "json" }.stdout).note
  local last, first = lines[at]:match("(%S+)$"), lines[at + 1]:match("^%s*(%S+)")
  assert_has(" " .. note .. " ", " " .. last .. " " .. first .. " ", "the break")
end)

test("capacity --format json and html do not depend on the terminal's width", function()
  local narrow, wide = run({ "-m", "capacity", "--format", "json" }, 60), run({ "-m", "capacity", "--format", "json" }, 200)
  assert_eq(narrow.status, 0, narrow.stderr)
  local function canonical(json) return lab.json.encode(lab.json.decode(json), { sort_keys = true }) end
  assert_eq(canonical(narrow.stdout), canonical(wide.stdout))
  local pages = {}
  for _, columns in ipairs { 60, 200 } do
    local out = ("%s/capacity-%d.html"):format(tmp, columns)
    local r = run({ "-m", "capacity", "--format", "html", "--out", out }, columns)
    assert_eq(r.status, 0, r.stderr)
    pages[columns] = assert(require("labsh.files").read(out)):gsub("Generated [^<]- by", "Generated by")
  end
  assert_eq(pages[60], pages[200])
end)

----------------------------------------------------------------------------
-- The reviews' prose

test("report, weekly-review and monthly-review prose wraps at word boundaries at COLUMNS=80", function()
  for _, script in ipairs { "report", "weekly-review", "monthly-review" } do
    local r = run({ "-m", script }, 80)
    assert(not r.stderr:find("stack traceback", 1, true), r.stderr)
    assert_fits(r.stdout, 80, script)
    local json = lab.json.decode(run({ "-m", script, "--format", "json" }, 80).stdout)
    local joined = words(r.stdout)
    for _, s in ipairs(json.sections) do
      assert_has(joined, words(s.summary), script)
      for _, note in ipairs(s.notes) do assert_has(joined, "- " .. words(note), script) end
    end
  end
end)

----------------------------------------------------------------------------
-- `--` after -m NAME

test("labsh.cli.parse reads every word after -- as a positional argument", function()
  local cli = require "labsh.cli"
  local opts = cli.parse({ "--", "--weird-name" }, { name = "t", args = { { "NAME", "a name" } } })
  assert_eq(opts.name, "--weird-name")
end)

test("labsh -m inventory host -- --weird-name looks up the host '--weird-name', no usage error", function()
  local r = run { "-m", "inventory", "host", "--", "--weird-name" }
  assert_eq(r.status, 1, r.stdout .. r.stderr)
  assert_has(r.stderr, 'no host "--weird-name"', "host")
  assert(not r.stderr:find("unknown option", 1, true), r.stderr)
  r = run { "-m", "inventory", "host", "--", "pve1" }
  assert_eq(r.status, 0, r.stderr)
  assert_has(r.stdout, "kind: hypervisor", "host after --")
end)

test("labsh -m inventory check -- -FILE checks the file named -FILE", function()
  local text = host.embedded("stdlib/labsh/homelab.lua")
  write_file(tmp .. "/-good.lua", text)
  local broken = text:gsub('uplinks = { "sw1" }', 'uplinks = { "sw9" }', 1)
  write_file(tmp .. "/-broken.lua", broken)
  local r = run { "-m", "inventory", "check", "--", "-good.lua" }
  assert_eq(r.status, 0, r.stdout .. r.stderr)
  r = run { "-m", "inventory", "check", "--", "-broken.lua" }
  assert_eq(r.status, 1, r.stdout .. r.stderr)
  assert_has(r.stderr, "'sw9'", "the broken file was checked")
end)

test("after --, --dry-run is the script's word: refused as an argument, not taken as labsh's option", function()
  local r = run { "-m", "inventory", "init", "--", "--dry-run" }
  assert_eq(r.status, 2, r.stdout .. r.stderr)
  assert_has(r.stderr, "unexpected argument '--dry-run'", "init")
end)

test("a runbook takes `--`: node-drain -- NODE reads NODE; a word after the runbook's options is refused", function()
  local labsh = os.getenv("LABSH_BIN") or arg[-1]
  local plain, plain_rc = run_shell(("%s -m node-drain --dry-run pve4 2>&1"):format(labsh))
  local out, rc = run_shell(("%s -m node-drain --dry-run -- pve4 2>&1"):format(labsh))
  assert_eq(rc, plain_rc, out)
  assert_eq(out, plain)  -- NODE read as without `--` (no "--node is required")
  out, rc = run_shell(("%s -m node-drain -- pve4 --yes 2>&1"):format(labsh))
  assert_eq(rc, 2, out)
  assert(out:find("unexpected argument '--yes'", 1, true), "after -- a word is not consent: " .. out)
  out, rc = run_shell(("%s -m patch-window -- extra 2>&1"):format(labsh))
  assert_eq(rc, 2, out)
  assert(out:find("unexpected argument 'extra'", 1, true), out)
  out, rc = run_shell(("%s -m patch-window --help -- 2>&1"):format(labsh))
  assert_eq(rc, 0, out)
end)
