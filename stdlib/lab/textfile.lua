-- lab.textfile: metrics for node_exporter's textfile collector.
--
-- node_exporter reads every *.prom file in its --collector.textfile.directory
-- at each scrape. A file must never be seen half written, so it is written
-- under a temporary name that does not end in .prom (".NAME.prom.PID.tmp",
-- which the collector skips), in the same directory, and renamed.

local textfile = {}

local function fail(message, fields)
  require("labsh.host").fail("textfile", message, fields)
end

-- The directory to use: the one given, else the inventory's.
local function directory(dir)
  if dir then return dir end
  local monitoring = lab.inventory.current().monitoring
  dir = monitoring and monitoring.textfile_dir
  if not dir then fail("no textfile directory given or configured: set monitoring.textfile_dir in the inventory") end
  return dir
end

--- Writes `metrics` (see lab.metrics.render) to DIR/NAME.prom, atomically.
--- `dir` nil means the inventory's monitoring.textfile_dir; `name` may end
--- in ".prom". Returns the path written (nil under --dry-run).
function textfile.write(dir, name, metrics)
  if type(name) ~= "string" or not name:match("^[%w_%-%.]+$") or name:match("^%.") then
    fail(("bad textfile name %s: letters, digits, - _ . only, not starting with a dot"):format(tostring(name)))
  end
  local file = name:gsub("%.prom$", "") .. ".prom"
  local path = directory(dir):gsub("/+$", "") .. "/" .. file
  local text = lab.metrics.render(metrics)  -- before the gate: a bad metric fails a dry run too
  if not require("labsh.gate").allows(("write %d bytes of metrics to %s"):format(#text, path)) then
    return nil
  end
  local ok, why = require("labsh.files").write_atomically(path, text)
  if not ok then fail(("cannot write %s: %s"):format(path, why), { path = path }) end
  return path
end

return textfile
