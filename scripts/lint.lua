-- lint: check the inventory and the totals the plan states.
--
-- Check the inventory, then hold the totals the plan states against
-- the totals of the nodes it lists.
--
--   labsh -m lint                      the inventory labsh uses
--   labsh --inventory FILE -m lint     another one
--
-- Prints one line per finding (--format json: {"findings": [...]}).
-- Exit status: 0 nothing to report, 1 findings or the inventory does not
-- load (its errors are printed), 2 usage.

local assumptions = require "labsh.assumptions"
local cli = require "labsh.cli"
local sizes = require "labsh.sizes"

return labsh.script {
  name = "lint",
  description = "check the inventory, then the totals the plan states against its nodes",
  formats = { "text", "json" },
  exit = "0 nothing to report, 1 findings or the inventory does not load, 2 usage",
  requires = {},  -- it reads the inventory, and only that
  run = function()

    local ok, err = pcall(lab.inventory.load, lab.inventory.path())
    if not ok then
      io.stderr:write(tostring(err), "\n")
      os.exit(1)
    end

    local findings = {}
    local function report(line) findings[#findings + 1] = line end

    for _, warning in ipairs(lab.inventory.summary().warnings) do
      report("warning: " .. warning)
    end

    -- "112GB", "2.9TB", "50+": the number, its unit, whether it means "at least".
    local function read_figure(text)
      local number, unit, plus = text:match("^([%d%.]+)(%a*)(%+?)$")
      if not number then return nil end
      return number, unit, plus == "+"
    end

    -- The values a stated figure may mean. A rounded figure covers half a step
    -- of its last digit either way; memory written "GB" may mean GiB, as the
    -- plan writes it, so both readings count.
    local function readings(number, unit)
      local decimals = #(number:match("%.(%d+)$") or "")
      local half_step = 0.5 / 10 ^ decimals
      if unit == "" then
        return { { value = tonumber(number), tolerance = half_step } }
      end
      local out = {}
      for _, u in ipairs { unit, (unit:gsub("^(%a)B$", "%1iB")) } do
        local one = sizes.bytes("1" .. u)
        out[#out + 1] = { value = tonumber(number) * one, tolerance = half_step * one }
      end
      return out
    end

    local function agrees(text, actual)
      local number, unit, at_least = read_figure(text)
      if not number then return false end
      for _, r in ipairs(readings(number, unit)) do
        if at_least and actual >= r.value - r.tolerance then return true end
        if math.abs(actual - r.value) <= r.tolerance then return true end
      end
      return false
    end

    local GiB, GB = 1 << 30, 1e9
    local function shown(key, value)
      if key == "ram" or key == "storage" then
        return ("%.1f GiB (%.1f GB)"):format(value / GiB, value / GB)
      end
      return tostring(value)
    end

    local totals = {}
    for _, row in ipairs(lab.totals()) do totals[row.kind] = row end

    -- The values a total of `kind`'s nodes rests on that the inventory marks
    -- assumed ("z440.cpu"): the finding says so, it is no plain fact.
    local RESOURCE = { cores = "cpu", threads = "cpu", ram = "ram", storage = "storage" }
    local function assumed_note(kind, key)
      local from = {}
      for _, node in ipairs(lab.inventory.current().nodes) do
        if kind == "all" or node.kind == kind then
          local found = assumptions.for_node(node.name, RESOURCE[key], { nodes = { node } })
          table.move(found, 1, #found, #from + 1, from)
        end
      end
      return #from > 0 and (" (assumed: %s)"):format(table.concat(from, ", ")) or ""
    end

    local stated = (lab.inventory.current().capacity or {}).stated or {}
    local kinds = {}
    for kind in pairs(stated) do kinds[#kinds + 1] = kind end
    table.sort(kinds)

    for _, kind in ipairs(kinds) do
      for _, key in ipairs { "cores", "threads", "ram", "storage" } do
        local text = stated[kind][key]
        local actual = totals[kind] and totals[kind][key]
        if text and actual == nil then
          report(("%s %s: the plan says %s; the inventory has no %s nodes"):format(kind, key, text, kind))
        elseif text and not agrees(text, actual) then
          report(("%s %s: the plan says %s; the nodes add up to %s%s"):format(kind, key, text, shown(key, actual),
            assumed_note(kind, key)))
        end
      end
    end

    if cli.json() then
      print(lab.json.encode({ findings = setmetatable(findings, lab.json.array) }))
    else
      for _, line in ipairs(findings) do print(line) end
    end
    os.exit(#findings == 0 and 0 or 1)
  end,
}
