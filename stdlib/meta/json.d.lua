---@meta
-- Declarations of `lab.json`, for editors (LuaLS) and for help() at the
-- labsh prompt.

---JSON (RFC 8259), strict and exact: decode and encode.
---Integers that fit in 64 bits stay Lua integers; other numbers are correctly
---rounded floats. JSON null is `lab.json.null`. Decoded arrays and objects
---carry the metatables `lab.json.array` and `lab.json.object`, so `[]` and
---`{}` stay apart through decode and encode. Failures raise an error object
---of kind "json" whose message names the place, e.g.
---`json: expected ',' or '}', found ']' at line 3, column 7 (byte 41)`.
lab.json = {}

---Reads one JSON document into Lua values.
---Objects become tables with string keys, arrays tables 1..n; a key given
---twice keeps its last value. Integers beyond 64 bits become floats; a number
---beyond the double range is an error. The text must be UTF-8 without raw
---control characters; `\u` escapes (surrogate pairs included) become UTF-8.
---Nesting deeper than 1,000 levels is an error.
---On failure raises `{kind = "json", message =, offset =, line =, column =}`:
---offset is the byte (counted from 1, as string.sub counts), column counts
---characters from 1.
---@param text string
---@param opts {null: any}? null: the value JSON null becomes (default lab.json.null; e.g. false)
---@return any value
function lab.json.decode(text, opts) end

---Writes a Lua value as JSON text.
---Tables with keys 1..n are arrays, tables with string keys objects; a table
---whose metatable is lab.json.array or lab.json.object is that, even when
---empty. A plain empty table is `{}`: write `setmetatable({}, lab.json.array)`
---for `[]`. Integers are exact, floats the shortest text that reads back
---equal (`1.0` stays a float). Raises an error object of kind "json" with the
---`path` of the offending value (e.g. `$.checks[2].name`) for: mixed or
---sparse tables, non-string keys, functions and other userdata, NaN and
---infinity (JSON has none), strings that are not UTF-8, cycles, nesting
---deeper than 1,000 levels.
---pretty: newlines and two-space indentation, `"key": value`.
---sort_keys: object keys in byte order (stable output for diffs and tests).
---@param value any nil, boolean, number, string, table or lab.json.null
---@param opts {pretty: boolean?, sort_keys: boolean?}?
---@return string json
function lab.json.encode(value, opts) end

---JSON null, as decode returns it and encode writes it.
---A nil at the top level also encodes as null. It prints as "null" and is
---true in a test: compare with `v == lab.json.null`.
---@type userdata
lab.json.null = nil

---Metatable that marks a table as a JSON array (decoded arrays have it).
---`setmetatable({}, lab.json.array)` encodes as `[]`.
---@type table
lab.json.array = {}

---Metatable that marks a table as a JSON object (decoded objects have it).
---`setmetatable({}, lab.json.object)` encodes as `{}`, as a plain empty
---table does.
---@type table
lab.json.object = {}
