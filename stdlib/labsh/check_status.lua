-- A labsh check's verdict where Prometheus reads it: the catalogue's check
-- rules fire on labsh_check_status{check = NAME} >= 2 (Monitoring Plugins
-- codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).
--
--   require("labsh.check_status").publish("backup-failed", "CRITICAL")
--
-- Written to node_exporter's textfile collector when the inventory has
-- monitoring.textfile_dir (labsh-check-NAME.prom), else pushed to its
-- monitoring.pushgateway (job labsh-check, grouping check = NAME); with
-- neither, nothing is published and publish says so.

local check_status = {}

local CODES = { OK = 0, WARNING = 1, CRITICAL = 2, UNKNOWN = 3 }

local function metrics(check, code)
  return {
    { name = "labsh_check_status", type = "gauge", value = code, labels = { check = check },
      help = "A labsh check's last status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN" },
    { name = "labsh_check_last_run_timestamp_seconds", type = "gauge", value = os.time(), labels = { check = check },
      help = "When the labsh check last ran (Unix seconds)" },
  }
end

--- Publishes `status` ("OK".."UNKNOWN" or 0-3) for `check`. Returns where
--- it went ("textfile PATH" or "pushgateway URL"), or nil and why not.
function check_status.publish(check, status)
  local code = CODES[status] or status
  assert(math.type(code) == "integer" and code >= 0 and code <= 3, "status must be OK, WARNING, CRITICAL or UNKNOWN")
  local monitoring = lab.inventory.current().monitoring or {}
  if monitoring.textfile_dir then
    local path = lab.textfile.write(nil, "labsh-check-" .. check, metrics(check, code))
    return "textfile " .. tostring(path)
  elseif monitoring.pushgateway then
    return "pushgateway " .. tostring(lab.push("labsh-check", metrics(check, code), { grouping = { check = check } }))
  end
  return nil, "no monitoring.textfile_dir or monitoring.pushgateway in the inventory"
end

return check_status
