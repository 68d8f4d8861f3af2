-- Figures that rest on assumptions say so where they are read (issue 19):
-- lint's findings about totals and the capacity page's utilisation and n-1
-- rows carry the assumption mark and name the assumed values; a lab whose
-- inventory marks nothing assumed shows no mark.

local filesystem = require "labsh.filesystem"
local files = require "labsh.files"
local host = require "labsh.host"

local labsh = os.getenv("LABSH_BIN") or arg[-1]
if not labsh:find("^/") then labsh = assert(os.getenv("PWD")) .. "/" .. labsh end
local tmp = filesystem.temp_directory("labsh-model-contradictions-labels-spec")

local BUILT_IN = host.embedded("stdlib/labsh/homelab.lua")

-- The built-in homelab with every `assumed = {...}` taken out: the same
-- figures, stated as facts.
local function stated_homelab()
  local text, count = BUILT_IN:gsub("assumed%s*=%s*%b{}%s*,?", "")
  assert(count >= 10, "the built-in homelab marks its assumptions")
  local file = tmp .. "/stated.lua"
  write_file(file, text)
  return file
end

local function run(inventory, args)
  local argv = { labsh }
  if inventory then table.move({ "--inventory", inventory }, 1, 2, #argv + 1, argv) end
  table.move(args, 1, #args, #argv + 1, argv)
  return lab.process.run { argv = argv, timeout = 120, read_only = true,
                           env = { LABSH_STATE_DIR = tmp .. "/state", LABSH_INVENTORY = false, LABSH_PATH = false } }
end

test("lint: a total computed from assumed hardware says which values it rests on (text and JSON)", function()
  local text = run(nil, { "-m", "lint" })
  assert(text.stdout:find("all cores: the plan says 50+; the nodes add up to 48 (assumed: z440.cpu)\n", 1, true), text.stdout)
  local json = lab.json.decode(run(nil, { "--format", "json", "-m", "lint" }).stdout)
  local found = false
  for _, f in ipairs(json.findings) do found = found or f:find("(assumed: z440.cpu)", 1, true) ~= nil end
  assert(found, lab.json.encode(json))
  -- the totals of kinds without assumed hardware are plain
  assert(text.stdout:find("hypervisor ram: the plan says 112GB; the nodes add up to 116.0 GiB (124.6 GB)\n", 1, true),
    text.stdout)
  local stated = run(stated_homelab(), { "-m", "lint" })
  assert(stated.stdout:find("all cores: the plan says 50+", 1, true), stated.stdout)
  assert(not stated.stdout:find("(assumed", 1, true), stated.stdout)
end)

test("capacity --format html: assumed figures are marked, name their values and the page explains the mark", function()
  local page = tmp .. "/capacity.html"
  assert_eq(run(nil, { "--yes", "-m", "capacity", "--format", "html", "--out", page }).status, 0)
  local html = files.read(page)
  assert(html:find('<p class="meta" id="assumed">* assumed: computed from values the inventory marks as assumptions',
    1, true), "the footnote")
  -- the RAM row rests on the guests' assumed sizes
  assert(html:find('<tr><td>ram</td>.-<sup class="assumed" title="assumed: [^"]*k8s%-w1%.ram'), "the ram row's mark")
  local stated_page = tmp .. "/capacity-stated.html"
  assert_eq(run(stated_homelab(), { "--yes", "-m", "capacity", "--format", "html", "--out", stated_page }).status, 0)
  local plain = files.read(stated_page)
  assert(not plain:find('class="assumed"', 1, true) and not plain:find('id="assumed"', 1, true), "no mark without assumptions")
end)
