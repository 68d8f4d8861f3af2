---@meta
-- Declarations of the `lab` namespace, for editors (LuaLS) and for help()
-- at the labsh prompt. A test checks that every binding is declared here and
-- every declaration exists.

---The homelab at hand: labsh's one global. Submodules load on first use.
lab = {}

---labsh's version, e.g. "0.1.0".
---@type string
lab.version = ""

---labsh's own command-line options, as parsed.
---@class lab.Options
---@field dry_run boolean --dry-run: plan changes, make none
---@field yes boolean --yes: do not ask before changes (for cron)
---@field format "text"|"json" --format: output for people or machines
---@field inventory string? --inventory FILE
---@field timeout number? --timeout SECONDS
---@field memory_limit integer? --memory-limit SIZE, in bytes

---The options labsh was started with.
---@type lab.Options
lab.options = {}

---Facts about this process and host.
lab.sys = {}

---Process id of this labsh.
---@return integer pid
function lab.sys.pid() end

---This host's name (gethostname).
---@return string hostname
function lab.sys.hostname() end

---Wall-clock time in seconds since the Unix epoch, with sub-second precision.
---@return number seconds
function lab.sys.now() end

---Seconds on a clock that never jumps (CLOCK_MONOTONIC): for measuring durations.
---@return number seconds
function lab.sys.monotonic() end
