---@meta
-- Declarations of `lab.check`, for editors (LuaLS) and help() at the prompt.

---A check's description: `name` and either `status` or `value` with
---threshold ranges; `unit` is the performance data's UOM (s, ms, %, B, c...).
---@class lab.CheckSpec
---@field name string shown first, e.g. "BACKUPS"
---@field value number?
---@field status "OK"|"WARNING"|"CRITICAL"|"UNKNOWN"? instead of thresholds
---@field warn string|number? range, e.g. "10", "10:", "~:10", "10:20", "@10:20"
---@field crit string|number?
---@field unit string?
---@field text string? what follows "STATUS: "; default the value
---@field label string? the value's performance data label; default the name in lower case
---@field min number?
---@field max number?
---@field perfdata {label: string, value: number, unit: string?, warn: string?, crit: string?, min: number?, max: number?}[]?

---Monitoring Plugins checks (Nagios, Icinga): `lab.check{...}` prints
---"NAME STATUS: text | 'label'=value[UOM];warn;crit;min;max" and exits with
---0 OK, 1 WARNING, 2 CRITICAL or 3 UNKNOWN (no value and no status, or a
---spec it cannot judge: a threshold that is not a range prints "NAME
---UNKNOWN: threshold 'abc' is not a range ..." and exits 3; stderr names
---the caller's line).
---@overload fun(spec: lab.CheckSpec)
lab.check = {}

---Exit codes by status.
lab.check.codes = {}
---@type integer 0
lab.check.codes.OK = 0
---@type integer 1
lab.check.codes.WARNING = 1
---@type integer 2
lab.check.codes.CRITICAL = 2
---@type integer 3
lab.check.codes.UNKNOWN = 3

---A threshold range as the Monitoring Plugins guidelines define it: "10"
---alerts outside 0..10, "10:" below 10, "~:10" above 10, "10:20" outside
---10..20, "@10:20" inside 10..20 (ends included). Raises on a bad range.
---@param text string|number
---@return {text: string, alerts: fun(value: number): boolean}
function lab.check.range(text) end

---CRITICAL when `value` alerts on `crit`, else WARNING when it alerts on
---`warn`, else OK.
---@param value number
---@param warn string|number?
---@param crit string|number?
---@return "OK"|"WARNING"|"CRITICAL"
function lab.check.status(value, warn, crit) end

---One performance data item, 'label'=value[UOM];warn;crit;min;max.
---@param item {label: string, value: number, unit: string?, warn: string?, crit: string?, min: number?, max: number?}
---@return string
function lab.check.perfdata(item) end

---The check's line and exit code, without printing or exiting.
---@param spec lab.CheckSpec
---@return string line
---@return integer code
function lab.check.result(spec) end

---Runs `body(...)`; if it raises, prints "NAME UNKNOWN: error" (the
---message without the code position that raised it) and exits 3, so a
---broken check never looks healthy; stderr gets the error with its position.
---Under --format json stdout gets {"name", "status": "UNKNOWN", "reason"}.
---@param name string
---@param body function
function lab.check.guard(name, body, ...) end
