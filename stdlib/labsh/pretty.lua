-- labsh.pretty: turn Lua values into text for people.
--
-- The REPL prints every result through this module, so it favours what an
-- operator wants to read: Lua-like syntax that could be pasted back, keys in
-- a stable order, short tables on one line, and lists of records (the shape
-- most `lab.*` queries return) as an aligned table as wide as the terminal.
-- Records of a declared type (labsh.columns) show its columns first, and
-- their sizes and times in human units ("ram = 20 GiB"): that text is for
-- reading, the values themselves stay exact numbers.
--
-- Printing never follows __index or __pairs: looking at a value must not load
-- lazy modules or run user code, except a __tostring the value asks for.

local columns = require "labsh.columns"
local sizes = require "labsh.sizes"

local pretty = {}

-- Options a caller does not give come from here; an operator may change them
-- in init.lua, e.g. `require("labsh.pretty").defaults.depth = 6`.
pretty.defaults = {
  depth = 4,        -- tables nested deeper print as {...}
  max_lines = 200,  -- longer output is cut with "... (N more lines)"
  indent = "  ",
  color = false,    -- ANSI colours; the REPL turns them on for a terminal
  width = nil,      -- record tables fit this many columns; nil: the terminal's
}

--- The terminal's width in columns: stdout's terminal as it is now
--- (lab.sys.columns, which follows a resized window), else $COLUMNS, else 80.
function pretty.terminal_width()
  local ok, sys = pcall(require, "lab.sys")
  local columns = ok and type(sys) == "table" and sys.columns and sys.columns(1)
  columns = columns or math.tointeger(tonumber(os.getenv("COLUMNS") or ""))
  if columns and columns >= 20 then return columns end
  return 80
end

local LINE_WIDTH = 80   -- a table goes on one line only if it fits in this
local MIN_COLUMN = 3    -- record table columns never shrink below this
local MIN_WRAP = 8      -- nor, while wrapping at spaces will do, below this
local MIN_PROSE = 24    -- prose narrower than this goes under its row
local MAX_MISSING = 2   -- a record may lack this many of the common keys

local COLORS = { string = "32", number = "33", key = "36" }

local KEYWORDS = {}
for word in ([[and break do else elseif end false for function goto if in
  local nil not or repeat return then true until while]]):gmatch("%a+") do
  KEYWORDS[word] = true
end

local function paint(text, kind, opts)
  if not opts.color then return text end
  return "\27[" .. COLORS[kind] .. "m" .. text .. "\27[0m"
end

-- Columns a text takes on a terminal: colour codes take none, and each UTF-8
-- character one (wide East Asian characters are rare in a homelab).
local function text_width(text)
  local plain = text:gsub("\27%[[%d;]*m", "")
  return utf8.len(plain) or #plain
end

----------------------------------------------------------------------------
-- Strings

local ESCAPES = { ["\\"] = "\\\\", ['"'] = '\\"', ["\n"] = "\\n",
                  ["\r"] = "\\r", ["\t"] = "\\t" }

-- Length of the valid UTF-8 character starting at byte i, or nil.
local function utf8_length_at(s, i)
  local lead = s:byte(i)
  local n = lead >= 0xF0 and 4 or lead >= 0xE0 and 3 or lead >= 0xC2 and 2
  if not n or i + n - 1 > #s then return nil end
  if utf8.len(s, i, i + n - 1) ~= 1 then return nil end
  return n
end

-- Escape a byte as Lua does: \ddd, with three digits only when a digit
-- follows, so that "\0" then "1" cannot be misread as "\01".
local function escape_byte(s, i)
  local next_byte = s:sub(i + 1, i + 1)
  local format = next_byte:match("%d") and "\\%03d" or "\\%d"
  return format:format(s:byte(i))
end

-- The inside of a quoted string: like %q, but on one line, and UTF-8 text
-- stays readable; control bytes and broken UTF-8 become escapes.
local function escape_text(s, quote)
  local parts, i = {}, 1
  local special = quote and '[%c"\\\128-\255]' or "[%c\128-\255]"
  while i <= #s do
    local at = s:find(special, i)
    if not at then
      parts[#parts + 1] = s:sub(i)
      break
    end
    parts[#parts + 1] = s:sub(i, at - 1)
    local char = s:sub(at, at)
    local n = char:byte() >= 0x80 and utf8_length_at(s, at)
    if n then
      parts[#parts + 1] = s:sub(at, at + n - 1)
      i = at + n
    else
      parts[#parts + 1] = ESCAPES[char] or escape_byte(s, at)
      i = at + 1
    end
  end
  return table.concat(parts)
end

--- `text` on one line as a message may show it: control bytes (a newline,
--- an escape sequence) and broken UTF-8 as Lua escapes, UTF-8 text as it is.
function pretty.escape(text)
  return escape_text(text, false)
end

local function quote(s)
  return '"' .. escape_text(s, true) .. '"'
end

----------------------------------------------------------------------------
-- Human units, where a record type asks for them (labsh.columns formats)

-- A byte count as people read it: exact in binary or decimal units when the
-- count is a whole number of them ("16 GiB", "512 GB"), else binary units
-- rounded ("1.5 GiB"). labsh.sizes writes it (Homelab's ByteSize).
local function bytes_text(n)
  local exact = sizes.size_text(n, "exact")
  if n < 1024 or not exact:find(" B$") then return exact end
  return sizes.size_text(n)
end

-- Seconds as the two largest units: "45s", "3h 36m", "2d 4h".
local function duration_text(seconds)
  local left, parts = math.floor(math.abs(seconds) + 0.5), {}
  for _, unit in ipairs { { 86400, "d" }, { 3600, "h" }, { 60, "m" }, { 1, "s" } } do
    local count = left // unit[1]
    if count > 0 and #parts < 2 then
      parts[#parts + 1] = count .. unit[2]
      left = left - count * unit[1]
    elseif #parts > 0 then
      break  -- "2d 0h 5m" reads as "2d"
    end
  end
  if #parts == 0 then return "0s" end
  return (seconds < 0 and "-" or "") .. table.concat(parts, " ")
end

-- Unix seconds as local time: "2026-12-08 02:30 CET".
local function time_text(seconds)
  return os.date("%Y-%m-%d %H:%M %Z", math.floor(seconds))
end

local HUMAN = { bytes = bytes_text, duration = duration_text, time = time_text }

-- The text `format` asks for `value`, or nil when it does not apply.
local function human(format, value)
  local text_of = HUMAN[format]
  if text_of and type(value) == "number" and value == value then return text_of(value) end
  return nil
end

-- A record type's declared columns and formats: in its metatable, or by
-- its __name from labsh.columns (lab.nodes and friends leave them there, so
-- that a query that prints nothing never loads them).
local function declared_of(mt)
  if type(mt) ~= "table" then return nil, nil end
  local declared, formats = rawget(mt, "__columns"), rawget(mt, "__formats")
  local name = rawget(mt, "__name")
  if declared == nil and formats == nil and type(name) == "string" and columns.types[name] then
    declared, formats = columns.of(name)
  end
  return declared, formats
end

-- The formats of a record: its type's, else those of the type opts.record
-- names.
local function formats_of(t, opts)
  local _, formats = declared_of(getmetatable(t))
  if type(formats) == "table" then return formats end
  if opts.record then return select(2, columns.of(opts.record)) end
  return nil
end

----------------------------------------------------------------------------
-- Values that print on their own (everything but a plain table)

local function has_tostring(value)
  local mt = getmetatable(value)
  return type(mt) == "table" and rawget(mt, "__tostring") ~= nil
end

local function is_leaf(value)
  return type(value) ~= "table" or has_tostring(value)
end

-- tostring, but a broken __tostring must not break printing.
local function safe_tostring(value)
  local ok, text = pcall(tostring, value)
  if ok and type(text) == "string" then return text end
  return "<" .. type(value) .. ": __tostring failed>"
end

local function leaf_text(value, opts)
  local kind = type(value)
  if kind == "string" then return paint(quote(value), "string", opts) end
  if kind == "number" then return paint(tostring(value), "number", opts) end
  return safe_tostring(value)
end

----------------------------------------------------------------------------
-- Table fields, in the order they print

local TYPE_RANK = { number = 1, string = 2 }

-- Numbers ascending, then strings alphabetically, then the rest by text.
local function key_before(a, b)
  local rank_a, rank_b = TYPE_RANK[type(a)] or 3, TYPE_RANK[type(b)] or 3
  if rank_a ~= rank_b then return rank_a < rank_b end
  if rank_a == 3 then return safe_tostring(a) < safe_tostring(b) end
  return a < b
end

local function is_identifier(key)
  return type(key) == "string" and key:match("^[%a_][%w_]*$") ~= nil
     and not KEYWORDS[key]
end

local function key_prefix(key, opts)
  if is_identifier(key) then return paint(key, "key", opts) .. " = " end
  return "[" .. leaf_text(key, opts) .. "] = "
end

-- Length of the array part: 1..n with no holes.
local function sequence_length(t)
  local n = 0
  while rawget(t, n + 1) ~= nil do n = n + 1 end
  return n
end

-- Fields as { prefix = "key = " or "", value = v, text = human units or
-- nil }: the array part first without keys, then the other keys sorted.
local function table_fields(t, opts)
  local fields, n = {}, sequence_length(t)
  local declared, formats = declared_of(getmetatable(t))
  formats = type(formats) == "table" and formats or {}
  for i = 1, n do
    local value = rawget(t, i)
    fields[i] = { prefix = "", value = value, text = human(formats["*"], value) }
  end
  local keys = {}
  for key in next, t do
    local in_array = math.type(key) == "integer" and key >= 1 and key <= n
    if not in_array then keys[#keys + 1] = key end
  end
  -- a record type's columns lead, in its order (the key column first)
  local rank = {}
  for i, key in ipairs(type(declared) == "table" and declared or {}) do rank[key] = i end
  table.sort(keys, function(a, b)
    local rank_a, rank_b = rank[a] or math.huge, rank[b] or math.huge
    if rank_a ~= rank_b then return rank_a < rank_b end
    return key_before(a, b)
  end)
  for _, key in ipairs(keys) do
    local value = rawget(t, key)
    fields[#fields + 1] = { prefix = key_prefix(key, opts), value = value, text = human(formats[key], value) }
  end
  for _, field in ipairs(fields) do
    if field.text then field.text = paint(field.text, "number", opts) end
  end
  return fields
end

----------------------------------------------------------------------------
-- Lua-like layout

-- `state` carries the options and the tables on the current path, which is
-- what tells a cycle (print <cycle>) from a table seen twice (print again).

-- What a table prints as without looking inside, or nil if it needs a look.
local function short_form(t, state, level)
  if state.path[t] then return "<cycle>" end
  if next(t) == nil then return "{}" end
  if level > state.opts.depth then return "{...}" end
  return nil
end

local inline  -- defined below; inline and inline_table call each other

-- "{ a, b = 1 }" for a table being visited, or nil when wider than `budget`.
local function inline_table(t, state, level, budget)
  local parts, used = {}, 4  -- "{ " and " }"
  for i, field in ipairs(table_fields(t, state.opts)) do
    if i > 1 then used = used + 2 end  -- ", "
    used = used + text_width(field.prefix)
    local text = used < budget and (field.text or inline(field.value, state, level + 1, budget - used))
    if not text then return nil end
    used = used + text_width(text)
    if used > budget then return nil end
    parts[i] = field.prefix .. text
  end
  return "{ " .. table.concat(parts, ", ") .. " }"
end

-- One-line text for a value, or nil when it would be wider than `budget`.
function inline(value, state, level, budget)
  if is_leaf(value) then return leaf_text(value, state.opts) end
  local short = short_form(value, state, level)
  if short then return short end
  state.path[value] = true
  local text = inline_table(value, state, level, budget)
  state.path[value] = nil
  return text
end

-- Lines for a value whose first line starts at column `used` (after its
-- indentation and key). Later lines carry their own indentation.
local function render(value, state, level, used)
  if is_leaf(value) then return { leaf_text(value, state.opts) } end
  local short = short_form(value, state, level)
  if short then return { short } end

  -- A nested table keeps room for the comma that may follow it.
  local comma = level > 1 and 1 or 0
  local one_line = inline(value, state, level, LINE_WIDTH - used - comma)
  if one_line then return { one_line } end

  local indent = state.opts.indent
  local pad = indent:rep(level)
  local fields = table_fields(value, state.opts)
  local lines = { "{" }
  state.path[value] = true
  for i, field in ipairs(fields) do
    local head = pad .. field.prefix
    local child = field.text and { field.text } or render(field.value, state, level + 1, text_width(head))
    child[1] = head .. child[1]
    if i < #fields then child[#child] = child[#child] .. "," end
    table.move(child, 1, #child, #lines + 1, lines)
  end
  state.path[value] = nil
  lines[#lines + 1] = indent:rep(level - 1) .. "}"
  return lines
end

----------------------------------------------------------------------------
-- Lists of records as aligned tables

local function is_scalar(value)
  local kind = type(value)
  return kind == "string" or kind == "number" or kind == "boolean"
end

-- Number of keys if `t` is a record (string keys, scalar values), else nil.
local function record_size(t)
  if type(t) ~= "table" or has_tostring(t) then return nil end
  local count = 0
  for key, value in next, t do
    if type(key) ~= "string" or not is_scalar(value) then return nil end
    count = count + 1
  end
  return count > 0 and count or nil
end

local function key_count(t)
  local count = 0
  for _ in next, t do count = count + 1 end
  return count
end

-- The columns of plain records: those their type (opts.record) lists, in
-- its order, then the others sorted with `id` and `name` leading: they
-- are how people find a row.
local function order_columns(keys, record_type)
  local rank = { id = -2, name = -1 }
  for i, key in ipairs(record_type and columns.of(record_type) or {}) do rank[key] = -100 + i end
  table.sort(keys, function(a, b)
    local rank_a, rank_b = rank[a] or 0, rank[b] or 0
    if rank_a ~= rank_b then return rank_a < rank_b end
    return a < b
  end)
  return keys
end

-- The columns a list of records of one kind declares in its metatable
-- (`__columns`, e.g. nodes), present in at least one record; else nil.
-- Other fields (lists, notes) stay out of the table.
local function declared_columns(list, n)
  local mt = getmetatable(rawget(list, 1))
  local declared = declared_of(mt)
  if type(declared) ~= "table" then return nil end
  for i = 1, n do
    local record = rawget(list, i)
    if type(record) ~= "table" or getmetatable(record) ~= mt then return nil end
  end
  local shown = {}
  for _, key in ipairs(declared) do
    for i = 1, n do
      local value = rawget(rawget(list, i), key)
      if type(value) == "table" then return nil end  -- not a cell
      if value ~= nil then shown[#shown + 1] = key break end
    end
  end
  return #shown > 0 and shown or nil
end

-- Column names if `list` is a non-empty sequence of records that share
-- their keys (each may miss a few), else nil.
local function record_columns(list, opts)
  if is_leaf(list) then return nil end
  local n = sequence_length(list)
  if n == 0 or key_count(list) ~= n then return nil end
  local declared = declared_columns(list, n)
  if declared then return declared end
  local sizes, seen, keys = {}, {}, {}
  for i = 1, n do
    sizes[i] = record_size(rawget(list, i))
    if not sizes[i] then return nil end
    for key in next, rawget(list, i) do
      if not seen[key] then seen[key], keys[#keys + 1] = true, key end
    end
  end
  for i = 1, n do
    if sizes[i] < #keys - MAX_MISSING then return nil end
  end
  return order_columns(keys, opts.record)
end

-- A cell in the units its record type asks for (labsh.columns).
local function formatted_cell(record, key, value, opts)
  local formats = formats_of(record, opts)
  return formats and human(formats[key], value)
end

-- Cut text to `width` columns, marking the cut with an ellipsis.
local function truncate(text, width)
  if text_width(text) <= width then return text end
  local cut = utf8.offset(text, width) or width
  return text:sub(1, cut - 1) .. "…"
end

-- Columns stand two spaces apart.
local GAP = "  "

-- How wide a row of columns of `widths` prints, the gaps included.
local function row_width(widths)
  local total = #GAP * (#widths - 1)
  for _, w in ipairs(widths) do total = total + w end
  return total
end

local function cell_text(value)
  if value == nil then return "" end
  if type(value) == "string" then return escape_text(value, false) end
  return tostring(value)
end

-- The narrowest a column may wrap to at spaces: its longest word (never
-- under MIN_WRAP); its full width when no cell has a space to wrap at.
local function wrap_limits(rows, widths)
  local limits = {}
  for c, width in ipairs(widths) do
    local longest, spaced = 0, false
    for _, row in ipairs(rows) do
      for word in row[c]:gmatch("%S+") do longest = math.max(longest, text_width(word)) end
      spaced = spaced or row[c]:find(" ", 1, true) ~= nil
    end
    limits[c] = spaced and math.min(width, math.max(MIN_WRAP, longest)) or width
  end
  return limits
end

-- Narrow the widest columns until a row fits in `width`: first down to
-- where their text wraps at spaces (`limits`), then, if that is not
-- enough, any column down to MIN_COLUMN, cut inside words.
local function fit_widths(widths, width, limits)
  local total = row_width(widths)
  for _, floor_of in ipairs { function(c) return limits[c] end, function() return MIN_COLUMN end } do
    while total > width do
      local widest
      for c, w in ipairs(widths) do
        if w > floor_of(c) and (not widest or w > widths[widest]) then widest = c end
      end
      if not widest then break end
      widths[widest] = widths[widest] - 1
      total = total - 1
    end
  end
end

-- Text in lines of at most `width` columns: broken at spaces where it
-- can, inside a word wider than the column.
local function wrap(text, width)
  if text_width(text) <= width then return { text } end
  local lines, line = {}, ""
  for word in text:gmatch("%S+") do
    while text_width(word) > width do
      if line ~= "" then lines[#lines + 1], line = line, "" end
      local cut = utf8.offset(word, width + 1) or #word + 1
      lines[#lines + 1], word = word:sub(1, cut - 1), word:sub(cut)
    end
    if line == "" then
      line = word
    elseif text_width(line) + 1 + text_width(word) <= width then
      line = line .. " " .. word
    else
      lines[#lines + 1], line = line, word
    end
  end
  if line ~= "" or #lines == 0 then lines[#lines + 1] = line end
  return lines
end

-- The lines of one row: a cell wider than its column wraps onto lines of
-- its own below, the other cells blank there.
local function format_row(cells, widths, right_aligned)
  local wrapped, height = {}, 1
  for i, text in ipairs(cells) do
    wrapped[i] = wrap(text, widths[i])
    height = math.max(height, #wrapped[i])
  end
  local lines = {}
  for l = 1, height do
    local parts = {}
    for i in ipairs(cells) do
      local text = wrapped[i][l] or ""
      local gap = (" "):rep(math.max(0, widths[i] - text_width(text)))
      parts[i] = right_aligned[i] and gap .. text or text .. gap
    end
    lines[l] = (table.concat(parts, GAP):gsub("%s+$", ""))
  end
  return lines
end

-- The column of prose (cells with spaces) to print under each row instead
-- of beside it: the widest such column, when the table fits the width only
-- by squeezing it below MIN_PROSE. nil when the table fits as it is.
local function detached_column(rows, widths, width)
  local total = row_width(widths)
  if total <= width or #widths < 2 then return nil end
  local limits, prose = wrap_limits(rows, widths), nil
  for c, w in ipairs(widths) do
    if limits[c] < w and (not prose or w > widths[prose]) then prose = c end
  end
  if prose and width - (total - widths[prose]) < MIN_PROSE then return prose end
  return nil
end

local function without(list, index)
  local copy = table.move(list, 1, #list, 1, {})
  table.remove(copy, index)
  return copy
end

-- A list of records as a table as wide as opts.width: the widest columns
-- narrow first, and what no longer fits a cell wraps within it; a column
-- of prose that would be squeezed goes under its row ("    why: ...").
local function record_table(list, names, opts)
  local rows, widths, right_aligned = {}, {}, {}
  for c, key in ipairs(names) do
    widths[c] = text_width(key)
    right_aligned[c] = true
  end
  for r = 1, sequence_length(list) do
    local record, row = rawget(list, r), {}
    for c, key in ipairs(names) do
      local value = rawget(record, key)
      row[c] = formatted_cell(record, key, value, opts) or cell_text(value)
      widths[c] = math.max(widths[c], text_width(row[c]))
      -- A column is right-aligned when every value present is a number.
      if value ~= nil and type(value) ~= "number" then right_aligned[c] = false end
    end
    rows[r] = row
  end
  local detached
  if type(opts.detach) == "string" then  -- the caller names the column to move
    for c, key in ipairs(names) do
      if key == opts.detach and row_width(widths) > opts.width then detached = c end
    end
  elseif opts.detach ~= false then
    detached = detached_column(rows, widths, opts.width)
  end
  local shown, detached_name = rows, detached and names[detached]
  if detached then
    shown = {}
    for r, row in ipairs(rows) do shown[r] = without(row, detached) end
    names, widths, right_aligned = without(names, detached), without(widths, detached),
      without(right_aligned, detached)
  end
  fit_widths(widths, opts.width, wrap_limits(shown, widths))

  local rules, header = {}, {}
  for c, w in ipairs(widths) do
    rules[c] = ("-"):rep(w)
    header[c] = truncate(names[c], w)
  end
  local lines = { paint(format_row(header, widths, right_aligned)[1], "key", opts), table.concat(rules, GAP) }
  local function add(more) table.move(more, 1, #more, #lines + 1, lines) end
  for r, row in ipairs(shown) do
    add(format_row(row, widths, right_aligned))
    if detached and rows[r][detached] ~= "" then
      local detail = wrap(detached_name .. ": " .. rows[r][detached], opts.width - 4)
      for i, line in ipairs(detail) do detail[i] = "    " .. line end
      add(detail)
    end
  end
  return lines
end

----------------------------------------------------------------------------
-- Public API

local function with_defaults(opts)
  local merged = {}
  for key, value in pairs(pretty.defaults) do merged[key] = value end
  for key, value in pairs(opts or {}) do merged[key] = value end
  merged.width = merged.width or pretty.terminal_width()
  return merged
end

local function limit_lines(lines, max_lines)
  local extra = #lines - max_lines
  if extra <= 0 then return lines end
  local kept = table.move(lines, 1, max_lines, 1, {})
  kept[#kept + 1] = ("... (%d more lines)"):format(extra)
  return kept
end

--- Text for any Lua value.
--- opts: depth, max_lines, indent, color, width (see pretty.defaults), and
--- record: the type (labsh.columns) of plain records, e.g. "report.policy",
--- for the order and units of their columns.
function pretty.format(value, opts)
  opts = with_defaults(opts)
  local names = record_columns(value, opts)
  local lines
  if names then
    lines = record_table(value, names, opts)
  else
    lines = render(value, { opts = opts, path = {} }, 1, 0)
  end
  return table.concat(limit_lines(lines, opts.max_lines), "\n")
end

--- A list of rows as a text table, columns `names` in that order (each
--- row a table by name), within opts.width (default: the terminal's) as
--- the prompt's tables are: what a script prints fits the terminal too.
--- opts.detach: the name of the column to print under each row when the
--- table is too wide (say a file's path), before any column narrows; false:
--- none (by default, prose squeezed too narrow goes under its row).
function pretty.table(rows, names, opts)
  return table.concat(record_table(rows, names, with_defaults(opts)), "\n")
end

--- Prose in lines of at most `width` columns (default: the terminal's),
--- broken at spaces (inside a word only when the word alone is wider):
--- `first` leads the first line and `hang` (default: spaces as wide as
--- `first`) the others, e.g. pretty.wrap(note, nil, "  note: ").
function pretty.wrap(text, width, first, hang)
  width, first = width or pretty.terminal_width(), first or ""
  hang = hang or (" "):rep(text_width(first))
  local room = math.max(MIN_COLUMN, width - math.max(text_width(first), text_width(hang)))
  local lines = wrap(text, room)
  for i, line in ipairs(lines) do lines[i] = (i == 1 and first or hang) .. line end
  return table.concat(lines, "\n")
end

--- Text for the n values that follow, as the REPL shows results: on one line
--- separated by tabs when each fits on one line, else one after another.
function pretty.results_with(opts, n, ...)
  local texts, one_line = {}, true
  for i = 1, n do
    texts[i] = pretty.format((select(i, ...)), opts)
    if texts[i]:find("\n", 1, true) then one_line = false end
  end
  return table.concat(texts, one_line and "\t" or "\n")
end

--- pretty.results_with with the default options.
function pretty.results(n, ...)
  return pretty.results_with(nil, n, ...)
end

return pretty
