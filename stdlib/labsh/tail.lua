-- labsh.tail: the end of a stream of lines, bounded in lines and in bytes
-- whatever the lines' lengths, so one endless line cannot fill memory or a
-- database. What is left out is counted and said in a note at the front:
--
--   local t = tail.new { lines = 40, bytes = 64 * 1024 }
--   t:add(line) ...
--   t:text()   --> "[... 99.9 MiB cut ...]\nlast lines"

local sizes = require "labsh.sizes"

local Tail = {}
Tail.__index = Tail

local tail = {}

--- A new tail keeping at most `opts.lines` lines and `opts.bytes` bytes
--- (newlines between lines counted).
function tail.new(opts)
  return setmetatable({ max_lines = opts.lines or math.huge, max_bytes = opts.bytes,
                        lines = {}, first = 1, last = 0, bytes = 0, cut = 0 }, Tail)
end

-- Drops the oldest kept line.
function Tail:drop_first()
  local line = self.lines[self.first]
  self.lines[self.first] = nil
  self.first = self.first + 1
  self.bytes = self.bytes - #line - 1
  self.cut = self.cut + #line + 1
end

--- Adds one line (without its newline).
function Tail:add(line)
  if #line >= self.max_bytes then  -- it alone fills the tail: only its end is kept
    self.cut = self.cut + #line - self.max_bytes
    line = line:sub(#line - self.max_bytes + 1)
  end
  self.last = self.last + 1
  self.lines[self.last] = line
  self.bytes = self.bytes + #line + 1
  while self.last >= self.first and (self.bytes - 1 > self.max_bytes or self.last - self.first + 1 > self.max_lines) do
    self:drop_first()
  end
end

--- The kept lines joined by newlines, with a note first when bytes were
--- left out ("[... 1.2 MiB cut ...]").
function Tail:text()
  local kept = table.concat(self.lines, "\n", self.first, self.last)
  if self.cut == 0 then return kept end
  return ("[... %s cut ...]\n"):format(sizes.size_text(self.cut)) .. kept
end

return tail
