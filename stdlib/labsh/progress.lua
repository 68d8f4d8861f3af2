-- labsh.progress: a one-line progress bar on stderr, for a person watching
-- a long job (callers show it only when stderr is a terminal).

local progress = {}

local Bar = {}
Bar.__index = Bar

local WIDTH = 30

--- A new bar; nothing is drawn until the first update.
function progress.new()
  return setmetatable({ drawn = false }, Bar)
end

--- Redraws the bar at `fraction` (0..1) with a short text after it.
function Bar:update(fraction, text)
  fraction = math.max(0, math.min(1, fraction))
  local full = math.floor(fraction * WIDTH + 0.5)
  io.stderr:write(("\r[%s%s] %3d%% %s\27[K"):format(("#"):rep(full), ("."):rep(WIDTH - full),
    math.floor(fraction * 100), text or ""))
  self.drawn = true
end

--- Clears the bar's line, so what follows starts clean.
function Bar:finish()
  if self.drawn then io.stderr:write("\r\27[K") end
  self.drawn = false
end

--- Bytes as people read them: 1.5 GiB.
function progress.bytes(n)
  local units = { "B", "KiB", "MiB", "GiB", "TiB" }
  local i = 1
  while n >= 1024 and i < #units do
    n = n / 1024
    i = i + 1
  end
  return i == 1 and ("%d B"):format(n) or ("%.1f %s"):format(n, units[i])
end

return progress
