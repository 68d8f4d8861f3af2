-- What the homelab's queries share (labsh.query: nodes; labsh.query_records:
-- guests, VLANs, services): record types, the inventory's sections, filters
-- and lookups by name.

local records = {}

-- Loaded on the first mistake (labsh.blame) and the first print
-- (labsh.columns, by each metatable's __name): a query that goes well and
-- prints nothing loads neither.
local blame = setmetatable({}, { __index = function(_, key) return require("labsh.blame")[key] end })
records.blame = blame

-- The metatable of each record type, by name.
local metatables = {}

--- The metatable of a record type: its name, for labsh.columns and pretty,
--- and the fields of `extra`.
function records.meta(name, extra)
  local mt = metatables[name]
  if not mt then mt = { __name = name }; metatables[name] = mt end
  for key, value in pairs(extra or {}) do mt[key] = value end
  return mt
end

--- `record` marked as a record of type `name`.
function records.mark(name, record) return setmetatable(record, records.meta(name)) end

--- One section of the inventory: a query of nodes makes only the nodes of
--- the built-in homelab.
function records.section(name) return lab.inventory.section(name) end

--- The records a filter selects: all of them (a new list) without one; a
--- filter is checked and applied by labsh.query_filter, loaded for it. A
--- mistake in the filter is raised at the caller of the query that calls this.
function records.selected(list, filter, kind, func)
  if filter == nil then return table.move(list, 1, #list, 1, {}) end
  local found = require("labsh.query_filter").select(list, filter, kind, func, 4)
  return found
end

--- The one record called `name` in `list`, or an error at the caller of
--- the public function `func` (that calls this) naming what there is.
function records.named(list, name, what, func, key)
  if type(name) ~= "string" and not (key == "id" and math.type(name) == "integer") then
    local expected = key == "id" and ("a %s id or name"):format(what) or ("a %s name"):format(what)
    blame.argument(1, func, ("%s expected, got %s"):format(expected, type(name)), 3)
  end
  local names = {}
  for _, item in ipairs(list) do
    if item.name == name or (key and item[key] == name) then return item end
    names[#names + 1] = item.name
  end
  local meant = blame.closest(name, names)
  error(("%s: no %s '%s' in the inventory (there are: %s)%s"):format(func, what, tostring(name),
    table.concat(names, ", "), meant and ("; did you mean '%s'?"):format(meant) or ""), 3)
end

return records
