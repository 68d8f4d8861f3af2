---@meta
-- Declarations of labsh's monitoring modules: lab.prom (Prometheus),
-- lab.alertmanager, lab.push (Pushgateway), lab.textfile (node_exporter's
-- textfile collector) and lab.metrics (the text format they share), for
-- editors (LuaLS) and for help() at the labsh prompt.

---One sample of a metric. Samples with the same name form one metric family
---(one # HELP and # TYPE); help and type may be given on the first only.
---@class lab.Metric
---@field name string metric name, e.g. "backup_last_success_time"
---@field value number integers are written exactly; 0/0, math.huge, -math.huge as NaN, +Inf, -Inf
---@field labels table<string, string|number>? e.g. {job = "restic", repo = "nas"}
---@field help string? one line (or more) of documentation
---@field type "counter"|"gauge"|"untyped"? default "untyped"

---Where a live system is and how to log in to it: a URL string, or this table
---(the shape of the inventory's monitoring.prometheus and friends). Secrets are
---references, read at each request: "env:NAME" or "file:PATH" (first line).
---@class lab.Endpoint
---@field url string "http://127.0.0.1:9090"
---@field ca_file string? PEM bundle to verify the server with
---@field insecure boolean? skip TLS verification
---@field bearer string? token reference, e.g. "env:PROM_TOKEN"
---@field user string? basic auth user (with password)
---@field password string? password reference, e.g. "file:/etc/labsh/prom.pass"
---@field timeout number? seconds for a whole request (30)

---Metrics as Prometheus text: the format lab.push sends and lab.textfile
---writes.
lab.metrics = {}

---Metrics as Prometheus text exposition format 0.0.4: per family a # HELP
---(escaped) and # TYPE line, then its samples, label names sorted and values
---escaped (\\ \" \n). Raises an error of kind "metrics" for a bad name, label,
---type or value, or a series given twice.
---@param metrics lab.Metric[]
---@return string text
function lab.metrics.render(metrics) end

---Metrics files for node_exporter's textfile collector.
lab.textfile = {}

---Writes metrics to DIR/NAME.prom atomically (".NAME.prom.PID.tmp" beside it,
---which the collector ignores, then renamed). `dir` nil: the inventory's
---monitoring.textfile_dir. Under --dry-run says what it would write and
---returns nil.
---@param dir string?
---@param name string e.g. "backup" or "backup.prom"
---@param metrics lab.Metric[]
---@return string? path
function lab.textfile.write(dir, name, metrics) end

---Pushes metrics to the inventory's Pushgateway (monitoring.pushgateway) as
---the group /metrics/job/JOB{/LABEL/VALUE}: `lab.push("backup", metrics,
---{grouping = {instance = "pve1"}})`. opts.method "put" (default) replaces
---the whole group, "post" only the metrics of the same names. Under --dry-run
---says what it would push and returns nil. Errors are of kind "pushgateway".
---@param job string
---@param metrics lab.Metric[]
---@param opts {grouping: table<string, string|number>?, method: "put"|"post"?}?
---@return string? url the group's URL
function lab.push(job, metrics, opts) end

---The Pushgateway path of a group: "/metrics/job/JOB/LABEL/VALUE...", labels
---sorted, values URL-escaped; a job or value with "/" (or an empty value) as
---"NAME@base64/..." (URL-safe base64).
---@param job string
---@param grouping table<string, string|number>?
---@return string path
function lab.push.path(job, grouping) end

---Deletes a group (job and opts.grouping) from the inventory's Pushgateway.
---@param job string
---@param opts {grouping: table<string, string|number>?}?
---@return string? url
function lab.push.delete(job, opts) end

---A client for any Pushgateway, with :push(job, metrics, opts) and
---:delete(job, opts) as above.
---@param endpoint string|lab.Endpoint
---@return lab.PushgatewayClient
function lab.push.connect(endpoint) end

---A Pushgateway client from lab.push.connect.
---@class lab.PushgatewayClient
local PushgatewayClient = {}

---Pushes metrics as the group of `job` and opts.grouping; see lab.push.
---@param job string
---@param metrics lab.Metric[]
---@param opts {grouping: table<string, string|number>?, method: "put"|"post"?}?
---@return string? url
function PushgatewayClient:push(job, metrics, opts) end

---Deletes the group of `job` and opts.grouping.
---@param job string
---@param opts {grouping: table<string, string|number>?}?
---@return string? url
function PushgatewayClient:delete(job, opts) end

---Prometheus's HTTP API: the functions ask the inventory's Prometheus
---(monitoring.prometheus), lab.prom.connect another. Times are Unix seconds,
---"now", "-1h"/"-15m"/"-2d" (from now) or RFC 3339 ("2026-11-27T03:00:00Z");
---steps are seconds or "15s"/"1m". Values are numbers (NaN, ±Inf included).
---Failures raise errors of kind "prometheus" with status, error_type
---("bad_data"...), url and the query in the message.
lab.prom = {}

---Evaluates PromQL at one time (default now). A vector gives a list of
---{metric = labels, value =, time =}; a range selector (up[5m]) a list of
---{metric =, samples = {{time, value}...}}; a scalar or string its value and time.
---@param expr string
---@param time number|string?
---@return table[]|number|string result
---@return number? time for a scalar or string
function lab.prom.query(expr, time) end

---Evaluates PromQL over a range (default the last hour, ~250 steps): a list of
---{metric = labels, samples = {{time, value}, ...}}.
---@param expr string
---@param start number|string? "-1h"
---@param stop number|string? "now"
---@param step number|string? seconds or "15s"
---@return table[] series
function lab.prom.query_range(expr, start, stop, step) end

---Alerts Prometheus evaluates now (pending and firing): labels, annotations,
---state, activeAt, value.
---@return table[] alerts
function lab.prom.alerts() end

---Rule groups with their rules, health and last evaluation.
---@param kind "alert"|"record"? only rules of this kind
---@return table[] groups
function lab.prom.rules(kind) end

---Scrape targets with labels, health ("up"/"down"), lastError, lastScrape.
---@param state "active"|"dropped"|"any"? default "active"
---@return table[] targets
function lab.prom.targets(state) end

---Label sets of the series that match a selector (or any of a list), by
---default over the last hour.
---@param match string|string[] e.g. 'up{job="node"}'
---@param start number|string?
---@param stop number|string?
---@return table[] label_sets
function lab.prom.series(match, start, stop) end

---A client for any Prometheus, with the methods above.
---@param endpoint string|lab.Endpoint
---@return lab.PromClient
function lab.prom.connect(endpoint) end

---The Prometheus a function's `prometheus` option names, as lab.alert.evaluate
---and lab.slo.report read it: a lab.prom client as it is, a URL or an endpoint
---table (`where` names the option in errors); nil: the inventory's
---monitoring.prometheus. nil when there is none, or when `given` is false.
---@param given lab.PromClient|string|lab.Endpoint|false?
---@param where string? e.g. "lab.slo.report{prometheus}"
---@return lab.PromClient?
function lab.prom.chosen(given, where) end

---A Prometheus client from lab.prom.connect; see lab.prom for each method.
---@class lab.PromClient
local PromClient = {}

---@param expr string
---@param time number|string?
---@return table[]|number|string result
function PromClient:query(expr, time) end

---@param expr string
---@param start number|string?
---@param stop number|string?
---@param step number|string?
---@return table[] series
function PromClient:query_range(expr, start, stop, step) end

---@return table[] alerts
function PromClient:alerts() end

---@param kind "alert"|"record"?
---@return table[] groups
function PromClient:rules(kind) end

---@param state "active"|"dropped"|"any"?
---@return table[] targets
function PromClient:targets(state) end

---@param match string|string[]
---@param start number|string?
---@param stop number|string?
---@return table[] label_sets
function PromClient:series(match, start, stop) end

---Alertmanager's HTTP API v2: the functions use the inventory's Alertmanager
---(monitoring.alertmanager), lab.alertmanager.connect another. Matchers are
---amtool's: "alertname=DiskFull", 'instance=~"pve[1-5].*"', "job!=node",
---"severity!~info|none", a word alone meaning alertname=WORD; a string may
---hold several separated by commas ('{a="1",b=~"2"}'), or give a list, or a
---table {label = value}. Changes honour --dry-run (printed, not made, nil
---returned); silences and their expiry are also written to the audit log.
---Failures raise errors of kind "alertmanager".
lab.alertmanager = {}

---Alerts Alertmanager holds, as the API gives them (labels, annotations,
---status = {state, silencedBy, inhibitedBy}, startsAt, endsAt, fingerprint).
---The booleans default to true in the API: `{silenced = false}` hides silenced ones.
---@param opts {filter: string|table?, active: boolean?, silenced: boolean?, inhibited: boolean?, unprocessed: boolean?, receiver: string?}?
---@return table[] alerts
function lab.alertmanager.alerts(opts) end

---Sends alerts as Prometheus does: {labels =, annotations =, starts =, ends =,
---generator_url =} or a list of them. Without `ends` an alert fires until
---Alertmanager's resolve_timeout (5m).
---@param alerts table|table[]
---@return integer? count sent
function lab.alertmanager.post_alerts(alerts) end

---Creates a silence and returns its id. Needs matchers, a comment, and ends
---or duration ("2h"); starts defaults to now, created_by to USER@host.
---@param opts {matchers: string|table, comment: string, starts: number|string?, ends: number|string?, duration: number|string?, created_by: string?}
---@return string? id
function lab.alertmanager.silence(opts) end

---Expires a silence now, so its alerts notify again.
---@param id string
---@return boolean? done
function lab.alertmanager.expire(id) end

---Silences, newest first: id, matchers, startsAt, endsAt, createdBy, comment,
---status = {state}.
---@param opts {state: "active"|"pending"|"expired"?, filter: string|table?}?
---@return table[] silences
function lab.alertmanager.silences(opts) end

---A client for any Alertmanager, with the methods above.
---@param endpoint string|lab.Endpoint
---@return lab.AlertmanagerClient
function lab.alertmanager.connect(endpoint) end

---An Alertmanager client from lab.alertmanager.connect; see lab.alertmanager.
---@class lab.AlertmanagerClient
local AlertmanagerClient = {}

---@param opts table?
---@return table[] alerts
function AlertmanagerClient:alerts(opts) end

---@param alerts table|table[]
---@return integer? count
function AlertmanagerClient:post_alerts(alerts) end

---@param opts table
---@return string? id
function AlertmanagerClient:silence(opts) end

---@param id string
---@return boolean? done
function AlertmanagerClient:expire(id) end

---@param opts table?
---@return table[] silences
function AlertmanagerClient:silences(opts) end
