---@meta
-- Declarations of `lab.alert`, the plan's P1-P4 alert catalogue (§5.2), for
-- editors (LuaLS) and help() at the labsh prompt.

---The inventory's alert rules and what fires now (loaded on first use).
---`labsh -m gen prometheus-rules` and `labsh -m gen alertmanager` export
---them for Prometheus and Alertmanager.
lab.alert = {}

---A rule of the catalogue, as labsh validated it.
---@class lab.AlertRule
---@field name string the inventory's name, e.g. "node-down"
---@field alertname string the Prometheus alert name, e.g. "NodeDown"
---@field severity "P1"|"P2"|"P3"|"P4"
---@field response string "immediate", "30m", "4h" or "daily"
---@field response_seconds integer 0, 1800, 14400 or 86400
---@field channel string "page", "chat", "ticket" or "digest"
---@field summary string
---@field expr string? the PromQL condition as written
---@field check string? the labsh check that decides it where no metric exists
---@field publisher string? a check rule's publisher: the labsh command that publishes its status ("labsh -m check-backups", "labsh -m slo"), or "none" (no publisher in labsh: only an external signal, such as an IDS, can fire it)
---@field query string the PromQL Prometheus evaluates (a check's: labsh_check_status{check=...} >= 2)
---@field for integer? seconds the condition must hold
---@field runbook string?
---@field labels table<string, string> all labels, severity, response and rule included
---@field annotations table<string, string> summary, runbook_url and the inventory's
---@field model {usage: string, above: number}? how the model judges it without Prometheus

---An alert that fires.
---@class lab.Alert
---@field name string
---@field alertname string
---@field severity "P1"|"P2"|"P3"|"P4"
---@field summary string
---@field runbook string?
---@field response string
---@field labels table<string, string> the series' labels (live) or {usage = ...} (model)
---@field value number the value that crossed the threshold (a percentage for the model)
---@field source "prometheus"|"model"

---A rule's verdict.
---@class lab.AlertVerdict
---@field name string
---@field severity "P1"|"P2"|"P3"|"P4"
---@field state "firing"|"ok"|"unknown"
---@field reason string? why unknown, or the model's comparison
---@field alerts integer how many series fire

---The rules in inventory order, or those matching `filter`: severity,
---component (the label) or name; another key is an error (did-you-mean).
---@param filter {severity: "P1"|"P2"|"P3"|"P4"?, component: string?, name: string?}?
---@return lab.AlertRule[]
function lab.alert.rules(filter) end

---The rule named `name`, or nil.
---@param name string
---@return lab.AlertRule?
function lab.alert.rule(name) end

---The PromQL that evaluate() sends for a rule: its condition held over its
---`for` (a subquery at a tenth of `for`), or a check rule's published status.
---@param rule lab.AlertRule
---@return string promql
function lab.alert.live_query(rule) end

---What fires now, most severe first, and a verdict per rule. Live when a
---Prometheus is given (opts.prometheus: a lab.prom client, URL or endpoint
---table) or configured (monitoring.prometheus): one instant query per rule,
---all in parallel. Otherwise from the model: rules with a `model` threshold
---against the capacity baseline; every other rule is "unknown".
---opts.prometheus = false judges from the model even when one is configured.
---An unknown option is an error with a did-you-mean.
---@param opts {severity: "P1"|"P2"|"P3"|"P4"?, prometheus: any?, time: number?}?
---@return lab.Alert[] firing
---@return lab.AlertVerdict[] verdicts
function lab.alert.evaluate(opts) end
