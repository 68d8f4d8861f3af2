-- labsh.blame: errors for a caller's mistakes, in the words Lua uses for its
-- own ("bad argument #1 to 'lab.nodes' (...)"), raised at the caller's line
-- rather than inside the stdlib, with a did-you-mean where a typo is likely.
--
-- Levels count as error() counts them, from the function that calls blame:
-- 1 is that function, 2 (the default) its caller.

local blame = {}

-- Homelab's Suggestion decides what counts as a typo, for Lua as for Swift.
local function suggestion(word, candidates)
  local names = {}
  for _, candidate in ipairs(candidates) do names[#names + 1] = tostring(candidate) end
  return require("labsh.host").closest(tostring(word), names)
end

--- A value as an error message shows it: strings quoted, the rest as Lua
--- prints it, so `"1"` and `1` read differently.
function blame.shown(value)
  if type(value) == "string" then return ("%q"):format(value) end
  return tostring(value)
end

--- The candidate `word` most likely meant, or nil. A number typed as text
--- ("30" for 30) or text typed as a number is found too.
function blame.closest(word, candidates)
  for _, candidate in ipairs(candidates) do
    if type(candidate) ~= type(word) and tostring(candidate) == tostring(word) then return candidate end
  end
  local name = suggestion(word, candidates)
  if name == nil then return nil end
  for _, candidate in ipairs(candidates) do
    if tostring(candidate) == name then return candidate end
  end
end

--- "; did you mean "kind"?" when a candidate is close, else "; <what>: a, b, c"
--- listing the candidates (at most 20), or "" when there are none.
function blame.hint(word, candidates, what)
  local meant = blame.closest(word, candidates)
  if meant ~= nil then return ("; did you mean %s?"):format(blame.shown(meant)) end
  if #candidates == 0 then return "" end
  local listed = {}
  for i = 1, math.min(#candidates, 20) do listed[i] = tostring(candidates[i]) end
  local more = #candidates > 20 and ", ..." or ""
  return ("; %s: %s%s"):format(what or "there are", table.concat(listed, ", "), more)
end

--- Raises "bad argument #n to 'func' (unknown option "x"; did you mean ...)"
--- when the table `opts` has a key not in the list `known`: a misspelt
--- option would otherwise change nothing, quietly. `level` as for argument.
function blame.options(n, func, opts, known, level)
  if type(opts) ~= "table" then return end
  for key in pairs(opts) do
    local found = false
    for _, name in ipairs(known) do found = found or key == name end
    if not found then
      blame.argument(n, func, ("unknown option %s%s"):format(blame.shown(key), blame.hint(key, known, "options")),
        (level or 2) + 1)
    end
  end
end

--- Raises "bad argument #n to 'func' (why)" at the caller of the function
--- that calls this (or `level` levels above it; 0: without a position).
function blame.argument(n, func, why, level)
  level = level or 2
  error(("bad argument #%d to '%s' (%s)"):format(n, func, why), level == 0 and 0 or level + 1)
end

--- fn(...) for a Swift binding of labsh's own whose "bad argument #n to
--- 'f'" errors speak of its arguments: raised again as the public
--- function's, named `func`, the number less `shift` (arguments the stdlib
--- put in front, such as the model), at `level` as blame.argument counts
--- it. Other messages get that position too (called through pcall, the
--- binding could not name one); error objects pass unchanged.
function blame.call(func, shift, level, fn, ...)
  local results = table.pack(pcall(fn, ...))
  if results[1] then return table.unpack(results, 2, results.n) end
  local err = results[2]
  if type(err) ~= "string" then error(err, 0) end
  local n, why = err:match("bad argument #(%d+) to '[^']*' %((.*)%)$")
  if n then blame.argument(tonumber(n) - shift, func, why, level + 1) end
  error(err, level + 1)
end

--- Raises "calling 'lab.Node:free' without an object: use `:` ..." for a
--- method called with `.`: Lua would fail later, inside it, on a nil self.
function blame.method(class, method, level)
  error(("calling '%s:%s' without an object: use `:` to call a method, e.g. x:%s()")
    :format(class, method, method), (level or 2) + 1)
end

return blame
