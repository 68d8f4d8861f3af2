---@meta
-- Declarations of `lab.slo.report`, availability objectives measured from
-- the services' blackbox probes, for editors (LuaLS) and help() at the
-- labsh prompt. `lab.slo(x)` itself is declared in lab.d.lua.

---A probed service's (or a tier's) objective against what the probes saw.
---@class lab.SloRow
---@field service string? the service (service rows)
---@field tier integer
---@field slo number the objective in percent (a tier: its strictest service's)
---@field attainment number? percent of probes that succeeded over the window; nil without data
---@field budget_seconds number the downtime the objective allows over the window
---@field budget_left number? fraction of the budget left; negative when overspent
---@field budget_left_seconds number?
---@field met boolean? attainment >= slo
---@field burn table<string, number?>? service rows: budget spend rate over "5m", "1h", "6h", "3d" (1 spends the budget over the window)
---@field services integer? tier rows: its probed services
---@field measured integer? tier rows: those with data

---Attainment, budget left and burn rates per probed service and per tier,
---from probe_success in Prometheus (`labsh -m gen blackbox` sets the probes
---up). One query per window for all services. opts.prometheus: a lab.prom
---client, URL or endpoint table (default: the inventory's
---monitoring.prometheus; lab.prom.chosen);
---opts.window: "30d" (default), "7d" or seconds; opts.time: when. `labsh -m
---slo` prints it and publishes labsh_check_status{check="service-degraded"}.
---An unknown option is an error with a did-you-mean.
---@param opts {prometheus: any?, window: string|integer?, time: any?}?
---@return {window: string, services: lab.SloRow[], tiers: lab.SloRow[]} report
function lab.slo.report(opts) end
