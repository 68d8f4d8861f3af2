-- lab.json: decode and encode, exact and strict. Runs under labsh only
-- (`lab` is labsh's global); compares with lua-cjson where both apply.

local json = lab.json
local cjson = require "cjson"

local function encode_sorted(v) return json.encode(v, { sort_keys = true }) end

-- Raises unless fn(...) raises a json error object; returns it.
local function json_error(fn, ...)
  local ok, err = pcall(fn, ...)
  assert(not ok, "expected an error")
  assert_eq(type(err), "table", "error object")
  assert_eq(err.kind, "json")
  assert_eq(tostring(err), err.message, "tostring gives the message")
  return err
end

-- Deep equality that takes lab.json.null and cjson.null for the same thing.
local function same(a, b)
  if a == json.null then a = cjson.null end
  if b == json.null then b = cjson.null end
  if type(a) ~= "table" or type(b) ~= "table" then return a == b end
  for k, v in next, a do
    if not same(v, b[k]) then return false end
  end
  for k in next, b do
    if a[k] == nil then return false end
  end
  return true
end

test("values decode to the Lua types operators expect", function()
  local v = json.decode([==[{"s":"x","i":42,"f":2.5,"t":true,"n":null,"a":[1,"2"],"o":{"k":{}}}]==])
  assert_eq(v.s, "x")
  assert_eq(math.type(v.i), "integer")
  assert_eq(v.i, 42)
  assert_eq(math.type(v.f), "float")
  assert_eq(v.t, true)
  assert_eq(v.n, json.null)
  assert_same(v.a, { 1, "2" })
  assert_eq(next(v.o.k), nil)
end)

test("integers are exact over all of int64; beyond it they are floats", function()
  assert_eq(json.decode("9223372036854775807"), math.maxinteger)
  assert_eq(json.decode("-9223372036854775808"), math.mininteger)
  local big = json.decode("9223372036854775808")
  assert_eq(math.type(big), "float")
  assert_eq(big, 2.0 ^ 63)
  assert_eq(math.type(json.decode("1.0")), "float")
  assert_eq(math.type(json.decode("1e2")), "float", "an exponent makes a float")
  assert_eq(json.encode(math.mininteger), "-9223372036854775808")
  assert_eq(json.encode(math.maxinteger), "9223372036854775807")
end)

test("floats are correctly rounded and written shortest", function()
  assert_eq(json.decode("0.1"), 0.1)
  assert_eq(json.decode("1700000000.123"), 1700000000.123)
  assert_eq(json.decode("2.2250738585072014e-308"), 2.2250738585072014e-308)
  assert_eq(json.decode("0.30000000000000004"), 0.1 + 0.2)
  assert_eq(json.encode(0.1), "0.1")
  assert_eq(json.encode(0.1 + 0.2), "0.30000000000000004")
  assert_eq(json.encode(3.0), "3.0", "a float stays a float")
  assert_eq(json.encode(1e300), "1e+300")
  assert_eq(json.encode(-0.0), "-0.0")
  for _, x in ipairs { 1 / 3, 5e-324, 1.7976931348623157e308, 123456.789e-3, -2 ^ 60 + 0.0 } do
    assert_eq(json.decode(json.encode(x)), x, ("%.17g round trip"):format(x))
  end
  json_error(json.decode, "1e400")
end)

test("strings: escapes, surrogate pairs, UTF-8 both ways", function()
  assert_eq(json.decode([["a\"b\\c\/d\b\f\n\r\t"]]), "a\"b\\c/d\b\f\n\r\t")
  assert_eq(json.decode([["\u00e9\u20ac\ud83d\ude00\u0000"]]), "é€😀\0")
  assert_eq(json.encode("a\"b\\c/\n\t\1\0é😀"), [["a\"b\\c/\n\t\u0001\u0000é😀"]])
  json_error(json.decode, [["\ud83d"]])
  json_error(json.decode, [["\ude00"]])
  json_error(json.decode, [["\q"]])
  json_error(json.decode, "\"\xC0\xAF\"")      -- overlong
  json_error(json.decode, "\"\xED\xA0\x80\"")  -- a surrogate in UTF-8
  json_error(json.decode, "\"\xE2\x82\"")      -- truncated
  json_error(json.decode, "\"a\nb\"")          -- raw control character
  local err = json_error(json.encode, { name = "caf\xE9" })
  assert(err.message:find("not valid UTF-8", 1, true), err.message)
  assert_eq(err.path, "$.name")
end)

test("{} and [] stay distinct through decode and encode", function()
  local text = [[{"a":{},"b":[],"c":[{}],"d":{"e":[]}}]]
  assert_eq(encode_sorted(json.decode(text)), text)
  assert_eq(getmetatable(json.decode("[]")), json.array)
  assert_eq(getmetatable(json.decode("{}")), json.object)
  assert_eq(json.encode({}), "{}", "a plain empty table is an object")
  assert_eq(json.encode(setmetatable({}, json.array)), "[]")
  -- Edited decoded values keep their kind.
  local list = json.decode("[1]")
  list[1] = nil
  assert_eq(json.encode(list), "[]")
  list[1], list[2] = "x", "y"
  assert_eq(json.encode(list), '["x","y"]')
  local obj = json.decode([[{"a":1}]])
  obj.a = nil
  assert_eq(json.encode(obj), "{}")
end)

test("null: the sentinel, opts.null, and encoding", function()
  assert_eq(json.decode("null"), json.null)
  assert_eq(tostring(json.null), "null")
  assert_eq(json.decode("[null]")[1], json.null)
  assert_eq(json.decode("[null]", { null = false })[1], false)
  assert_eq(json.decode([[{"a":null}]], { null = 0 }).a, 0)
  assert_eq(json.encode({ json.null, 1 }), "[null,1]")
  assert_eq(json.encode(nil), "null")
  assert_eq(json.encode({ cjson.null }), "[null]", "cjson.null is null too")
end)

test("pretty and sort_keys give exact text", function()
  local v = json.decode([[{"b":[1,{"z":true,"y":null}],"a":"x","c":{},"d":[]}]])
  assert_eq(json.encode(v, { pretty = true, sort_keys = true }), table.concat({
    "{",
    '  "a": "x",',
    '  "b": [',
    "    1,",
    "    {",
    '      "y": null,',
    '      "z": true',
    "    }",
    "  ],",
    '  "c": {},',
    '  "d": []',
    "}",
  }, "\n"))
  assert_eq(encode_sorted({ b = 1, a = 2, ["A"] = 3, ["é"] = 4, [""] = 5 }), [[{"":5,"A":3,"a":2,"b":1,"é":4}]])
end)

test("decode errors are objects with offset, line and column", function()
  local err = json_error(json.decode, '{\n  "a": 1,\n  "b": 2\n  "c": 3\n}')
  assert_eq(err.line, 4)
  assert_eq(err.column, 3)
  assert_eq(err.offset, 24, "bytes counted from 1")
  assert_eq(err.message, [[json: expected ',' or '}', found '"' at line 4, column 3 (byte 24)]])
  err = json_error(json.decode, "[1, 2")
  assert_eq(err.message, "json: expected ',' or ']', found end of input at line 1, column 6 (byte 6)")
  json_error(json.decode, "")
  json_error(json.decode, "[1,]")
  json_error(json.decode, "{'a':1}")
  json_error(json.decode, "1 2")
  json_error(json.decode, "NaN")
  local ok, msg = pcall(json.decode, nil)
  assert(not ok and msg:find("bad argument #1 to '[%w.]*decode' %(string expected, got nil%)"), msg)
end)

test("encode errors name the value's path", function()
  local function path_of(v)
    return json_error(json.encode, v).path
  end
  assert_eq(path_of({ a = { b = { 1, print } } }), "$.a.b[2]")
  assert_eq(path_of({ ["x y"] = 0 / 0 }), '$["x y"]')
  assert_eq(path_of({ 1, 2, nil, 4 }), "$", "holes")
  assert_eq(path_of({ 1, 2, x = 3 }), "$", "mixed")
  assert_eq(path_of({ [true] = 1 }), "$")
  assert_eq(path_of({ [1.5] = 1 }), "$")
  assert_eq(path_of({ list = { [2] = "sparse" } }), "$.list")
  assert(json_error(json.encode, math.huge).message:find("infinity", 1, true))
  local t = {}
  t.self = t
  assert(json_error(json.encode, { t }).message:find("cycle", 1, true))
  -- The same table twice, not nested in itself, is fine.
  local shared = { 1 }
  assert_eq(json.encode({ shared, shared }), "[[1],[1]]")
end)

test("nesting is limited to 1,000 levels both ways", function()
  assert_eq(type(json.decode(("["):rep(1000) .. ("]"):rep(1000))), "table")
  local err = json_error(json.decode, ("["):rep(1001) .. ("]"):rep(1001))
  assert(err.message:find("nesting deeper than 1000", 1, true), err.message)
  json_error(json.decode, ('{"a":'):rep(100000))
  local deep = {}
  for _ = 1, 999 do deep = { deep } end
  assert_eq(#json.encode(deep), 2000)
  assert(json_error(json.encode, { deep }).message:find("nesting deeper than 1000", 1, true))
end)

test("large containers and duplicate keys decode right", function()
  local parts, expected = {}, {}
  for i = 1, 1000 do
    parts[#parts + 1] = ('"k%d":[%d,%d]'):format(i, i, -i)
    expected["k" .. i] = { i, -i }
  end
  local v = json.decode("{" .. table.concat(parts, ",") .. "}")
  assert_same(v, expected)
  local list = {}
  for i = 1, 5000 do list[i] = i * 2 end
  local decoded = json.decode(json.encode(list))
  assert_eq(#decoded, 5000)
  assert_same(decoded, list)
  assert_eq(json.decode([[{"a":1,"a":2}]]).a, 2, "the last duplicate wins")
  -- Duplicates across the point where waiting values move into the table.
  local dup = {}
  for i = 1, 300 do dup[i] = ('"d":%d'):format(i) end
  assert_eq(json.decode("{" .. table.concat(dup, ",") .. "}").d, 300)
end)

local samples = {
  [==[{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"up","instance":"pve1:9100","job":"node"},"value":[1700000000.123,"1"]}]}}]==],
  [==[{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"job":"node"},"values":[[1700000000,"0.5"],[1700000015.5,"NaN"],[1700000030.25,"+Inf"]]}]}}]==],
  [==[[1,-2,3.25,-0.5e-3,1E10,"\u00e9\ud83d\ude00\t",true,false,{"a":{"b":{"c":[[],[[]]]}}},12345678901234]]==],
  [==[{"alerts":[{"labels":{"alertname":"HostDown","severity":"critical"},"annotations":{"summary":"pve3 \"down\"\n"},"startsAt":"2026-01-15T10:00:00Z"}]}]==],
}

test("decoding agrees with lua-cjson on sample documents", function()
  for i, text in ipairs(samples) do
    assert(same(json.decode(text), cjson.decode(text)), "sample " .. i)
    assert(same(json.decode(json.encode(json.decode(text))), cjson.decode(text)), "sample " .. i .. " round trip")
  end
end)

-- Mutated documents: decode returns a value or raises a json error object,
-- never anything else; what it accepts survives encode and decode again.
test("mutated documents: a value or a json error, never a crash", function()
  local seed = 12345
  local function rand(n)  -- a small LCG: the same inputs every run
    seed = (seed * 1103515245 + 12345) % 2147483648
    return seed % n
  end
  local bits = { "\\u", "\\ud800", "\"", "\\", "[", "]", "{", "}", ",", ":", "1e999", "-", "\xC0", "\xE2\x82", "\xED\xA0\x80", "\0" }
  local accepted = 0
  for n = 1, 50000 do
    local d = samples[n % #samples + 1]
    for _ = 1, 1 + rand(3) do
      local at = rand(#d + 1)
      local op = rand(5)
      if op == 0 then d = d:sub(1, at - 1) .. d:sub(at + 1)
      elseif op == 1 then d = d:sub(1, at) .. string.char(rand(256)) .. d:sub(at + 1)
      elseif op == 2 then d = d:sub(1, at) .. bits[rand(#bits) + 1] .. d:sub(at + 1)
      elseif op == 3 then d = d:sub(1, at)
      else d = d:sub(1, at) .. ("["):rep(rand(1200)) .. d:sub(at + 1) end
    end
    local ok, v = pcall(json.decode, d)
    if ok then
      accepted = accepted + 1
      assert(same(json.decode(json.encode(v)), v), "round trip of " .. d)
    else
      assert(type(v) == "table" and v.kind == "json" and v.offset >= 1 and v.offset <= #d + 1,
        "not a json error for " .. ("%q"):format(d) .. ": " .. tostring(v))
    end
  end
  assert(accepted > 100, "some mutations stay valid")
end)
