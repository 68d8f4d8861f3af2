-- labsh.diff: unified diffs of two texts, as `diff -u` prints them, for
-- check mode to show what a task would change.

local diff = {}

-- A last line without its newline differs from the same line with one, as
-- in diff: it carries this mark, which no line of text holds.
local NO_NEWLINE = "\0no newline"

--- The lines of `text` (nil: none) without their newlines, and the last
--- line when it has no newline of its own (it is also in the list).
function diff.lines(text)
  local lines = {}
  for line in (text or ""):gmatch("([^\n]*)\n") do lines[#lines + 1] = line end
  local tail = (text or ""):match("([^\n]+)$")
  if tail then lines[#lines + 1] = tail end
  return lines, tail
end

local function lines_of(text)
  local lines, tail = diff.lines(text)
  if tail then lines[#lines] = tail .. NO_NEWLINE end
  return lines
end

-- The edit script between a and b: a list of {op, line} with op " ", "-"
-- or "+". The common start and end are set aside first (most edits touch a
-- few lines), then the longest common subsequence of the middle.
local function edits(a, b)
  local first, last_a, last_b = 1, #a, #b
  while first <= last_a and first <= last_b and a[first] == b[first] do first = first + 1 end
  while last_a >= first and last_b >= first and a[last_a] == b[last_b] do
    last_a, last_b = last_a - 1, last_b - 1
  end
  local n, m = last_a - first + 1, last_b - first + 1
  -- lcs[i][j]: length of the LCS of a[first+i-1..] and b[first+j-1..] (middle only)
  local lcs = {}
  for i = n + 1, 1, -1 do
    local row, below = {}, lcs[i + 1]
    for j = m + 1, 1, -1 do
      if i > n or j > m then row[j] = 0
      elseif a[first + i - 1] == b[first + j - 1] then row[j] = below[j + 1] + 1
      else row[j] = math.max(below[j], row[j + 1]) end
    end
    lcs[i] = row
  end
  local script = {}
  for k = 1, first - 1 do script[#script + 1] = { " ", a[k] } end
  local i, j = 1, 1
  while i <= n or j <= m do
    if i <= n and j <= m and a[first + i - 1] == b[first + j - 1] then
      script[#script + 1] = { " ", a[first + i - 1] }
      i, j = i + 1, j + 1
    elseif i <= n and (j > m or lcs[i + 1][j] >= lcs[i][j + 1]) then
      script[#script + 1] = { "-", a[first + i - 1] }
      i = i + 1
    else
      script[#script + 1] = { "+", b[first + j - 1] }
      j = j + 1
    end
  end
  for k = last_a + 1, #a do script[#script + 1] = { " ", a[k] } end
  return script
end

-- "start,count", or "start" alone for one line, as diff writes a range.
local function range(start, count)
  return count == 1 and tostring(start) or ("%d,%d"):format(start, count)
end

--- The unified diff from text `old` to text `new` (nil: the file does not
--- exist), labelled with `from` and `to`; "" when they are equal. `context`
--- lines around each change (default 3).
function diff.unified(old, new, from, to, context)
  if old == new then return "" end
  context = context or 3
  local a, b = lines_of(old), lines_of(new)
  local script = edits(a, b)
  local out = { "--- " .. (old and from or "/dev/null"), "+++ " .. (new and to or "/dev/null") }
  -- Positions in a and b of each script entry.
  local at_a, at_b, pa, pb = {}, {}, 1, 1
  for k, e in ipairs(script) do
    at_a[k], at_b[k] = pa, pb
    if e[1] ~= "+" then pa = pa + 1 end
    if e[1] ~= "-" then pb = pb + 1 end
  end
  local k = 1
  while k <= #script do
    if script[k][1] == " " then k = k + 1
    else
      local start = math.max(1, k - context)
      local stop = k
      -- extend while the next change is within 2*context lines
      while true do
        local next_change = nil
        for q = stop + 1, math.min(#script, stop + 2 * context + 1) do
          if script[q][1] ~= " " then next_change = q break end
        end
        if not next_change then break end
        stop = next_change
      end
      local finish = math.min(#script, stop + context)
      local count_a, count_b = 0, 0
      for q = start, finish do
        if script[q][1] ~= "+" then count_a = count_a + 1 end
        if script[q][1] ~= "-" then count_b = count_b + 1 end
      end
      local from_a = count_a == 0 and at_a[start] - 1 or at_a[start]
      local from_b = count_b == 0 and at_b[start] - 1 or at_b[start]
      out[#out + 1] = ("@@ -%s +%s @@"):format(range(from_a, count_a), range(from_b, count_b))
      for q = start, finish do
        local line = script[q][2]
        local bare = line:sub(-#NO_NEWLINE) == NO_NEWLINE and line:sub(1, -#NO_NEWLINE - 1)
        out[#out + 1] = script[q][1] .. (bare or line)
        if bare then out[#out + 1] = "\\ No newline at end of file" end
      end
      k = finish + 1
    end
  end
  return table.concat(out, "\n") .. "\n"
end

return diff
