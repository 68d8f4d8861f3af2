-- One rule, one place (issue 17 item 10): sizes are written for people by
-- Homelab's ByteSize only (labsh.sizes.size_text); the Lua formatters that
-- wrote them their own way are gone. The weekly and monthly reviews share
-- one checklist runner (labsh.review.run_cycle).

local sizes = require "labsh.sizes"
local pretty = require "labsh.pretty"
local tail = require "labsh.tail"
local filesystem = require "labsh.filesystem"

local labsh = os.getenv("LABSH_BIN") or arg[-1]
local tmp = filesystem.temp_directory("labsh-one-place-bytes-spec")
local GiB, MiB = 1 << 30, 1 << 20

local function run(args)
  local argv = { labsh }
  for _, a in ipairs(args) do argv[#argv + 1] = a end
  return lab.process.run { argv = argv, timeout = 60,
                           env = { LABSH_STATE_DIR = tmp .. "/state", LABSH_PATH = tmp .. "/nothing" } }
end

test("labsh.sizes.size_text is ByteSize.formatted: iec by default, si, digits, exact", function()
  assert_eq(sizes.size_text(16e9), "14.9 GiB")
  assert_eq(sizes.size_text(16e9, "si"), "16 GB")
  assert_eq(sizes.size_text(16e9, "iec", 0), "15 GiB")
  assert_eq(sizes.size_text(1023.6 * GiB), "1023.6 GiB")
  assert_eq(sizes.size_text(1023.99 * GiB), "1 TiB")  -- rounds up into the next unit
  assert_eq(sizes.size_text(512), "512 B")
  assert_eq(sizes.size_text(512e9, "exact"), "512 GB")
  assert_eq(sizes.size_text(1537, "exact"), "1537 B")
  local ok, err = pcall(sizes.size_text, 1, "gb")
  assert(not ok and tostring(err):find("'gb' is not a style: use iec, si or exact", 1, true), tostring(err))
end)

test("pretty's byte columns: exact units when exact, else ByteSize's rounded binary units", function()
  local meta = { __columns = { "name", "ram" }, __formats = { ram = "bytes" } }
  local function cell(n) return pretty.format { setmetatable({ name = "x", ram = n }, meta) }:match("(%S+ %S+)$") end
  assert_eq(cell(20 * GiB), "20 GiB")
  assert_eq(cell(2048), "2 KiB")              -- was "2048 B"
  assert_eq(cell(3 * MiB // 2 + 1), "1.5 MiB") -- was "0.0 GiB"
  assert_eq(cell(1536 * MiB + 1), "1.5 GiB")
end)

test("a tail's cut note writes its size as ByteSize does", function()
  local t = tail.new { lines = 1, bytes = 10 }
  t:add(("x"):rep(2 * MiB + 10))
  assert_eq(t:text(), "[... 2 MiB cut ...]\n" .. ("x"):rep(10))  -- was "2.0 MiB"
end)

test("capacity prints sizes as ByteSize does", function()
  local r = run { "-m", "capacity" }
  assert_eq(r.status, 0, r.stderr)
  assert(r.stdout:find("%s164 GiB%s"), r.stdout)  -- was "164.0 GiB"
  assert(not r.stdout:find("%d%.0 [KMGT]iB"), r.stdout)
end)

test("weekly and monthly reviews tick their checklists off through one runner", function()
  local weekly = run { "-m", "weekly-review", "--now", "1700000000" }
  assert(weekly.stdout:find("Checklist (§12, weekly):\n  [not configured] Review monitoring dashboards (see alerts)\n", 1, true),
         weekly.stdout)
  assert(weekly.stdout:find("\nWeekly review: ", 1, true), weekly.stdout)
  local monthly = run { "--format", "json", "-m", "monthly-review", "--now", "1700000000" }
  local report = lab.json.decode(monthly.stdout)
  assert_eq(report.checklist[4].item, "Documentation updates")
  assert_eq(report.checklist[4].status, "by hand")
  assert_eq(report.checklist[4].section, lab.json.null)
  local names = {}
  for i, section in ipairs(report.sections) do names[i] = section.name end
  assert_same(names, { "patches", "capacity", "growth", "roadmap", "budget" })
end)
