---@meta
-- Declarations of `lab.capacity`, for editors (LuaLS) and help() at the prompt.

---Capacity planning (§5.4): what is installed, allocated and used, where it
---stands against the target band, and when growth crosses 85% and 95%.
lab.capacity = {}

---The capacity report. `resources`: per resource (cpu_cores, cpu_threads,
---ram, storage_<tier>, storage_nas, network) name, unit, installed, allocated
---(to guests), used (live, or nil), free, utilisation (0..1), percent, basis
---("live", "allocated", "baseline", "installed"), assumed (true when computed
---from values the inventory marks `assumed`, listed in assumed_from as
---"k8s-w1.ram"), position ("below", "within", "above"
---the band), growth, months_85/months_95 and crosses_85/crosses_95
---("YYYY-MM"). Also `band`, `first` (the resource crossing 85% first),
---`buy` (the expansion item for it), `buy_phase`, `buy_when`, `source` and
---`note` (why used is nil). Used figures come from the inventory's
---Prometheus when it names one. Guest capacity is the CPU, RAM and disks
---of hypervisors, workstations, servers and sbcs; a NAS's disks are
---storage_nas (storage for others: installed only, utilisation when live).
---`source = "live"` (with `proxmox` configured): installed and allocated
---from the inventory with the Proxmox VE cluster's guests (their RAM, vCPUs,
---disks and nodes now); the default "inventory" asks no network.
---`sources` says where each figure came from: {installed, allocated, used}.
---@param opts {used: table<string, number>?, now: integer?, source: "inventory"|"live"?}?
---@return table
function lab.capacity.report(opts) end

---Live usage by resource name from Prometheus (node_exporter: busy CPUs, MemTotal - MemAvailable, network bit/s);
---`client` defaults to the inventory's Prometheus (lab.prom).
---@param client table?
---@return table<string, number>
function lab.capacity.used(client) end

---The least-squares line through {{time, value}, ...} with its intercept at
---`at` (Unix seconds), computed as PromQL's predict_linear does: slope per
---second and the value at `at`; nil for fewer than two samples.
---@param samples number[][]
---@param at number
---@return number? slope
---@return number? intercept
function lab.capacity.fit(samples, at) end

---Forecast from live data: for each series of `expr` over `opts.window`
---("1h") ending at `opts.at` (default now), the same answer as
---predict_linear(expr[window], ahead). `opts.ahead` seconds or "30d";
---`opts.threshold`: when the line reaches it (`reaches`, Unix seconds);
---`opts.step` makes it a subquery so any expression works; `opts.prom` a
---client. Rows of metric, slope, value_at, predicted, samples, reaches.
---@param expr string
---@param opts {window: string?, ahead: number|string?, at: number|string?, threshold: number?, step: string?, prom: table?}?
---@return table[]
function lab.capacity.forecast(expr, opts) end
