-- A labsh check's verdict where Prometheus reads it: the catalogue's check
-- rules fire on labsh_check_status{check = NAME} >= 2 (Monitoring Plugins
-- codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).
--
--   require("labsh.check_status").publish("backup-failed", "CRITICAL")
--
-- Written to node_exporter's textfile collector when the inventory has
-- monitoring.textfile_dir (labsh-check-NAME.prom), else pushed to its
-- monitoring.pushgateway (job labsh-check, grouping check = NAME); with
-- neither, nothing is published.

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

-- Where the status goes: the textfile collector, else the Pushgateway.
local function send(check, code)
  local monitoring = lab.inventory.current().monitoring or {}
  if monitoring.textfile_dir then
    return "textfile " .. tostring(lab.textfile.write(nil, "labsh-check-" .. check, metrics(check, code)))
  elseif monitoring.pushgateway then
    return "pushgateway " .. tostring(lab.push("labsh-check", metrics(check, code), { grouping = { check = check } }))
  end
  return nil
end

--- Publishes `status` ("OK".."UNKNOWN" or 0-3) for `check`. Returns where
--- it went ("textfile PATH" or "pushgateway URL"), or nil when the
--- inventory configures neither. A failure to publish is said on stderr
--- and returns nil: the check's own verdict (its output, its exit status)
--- stays what it found.
function check_status.publish(check, status)
  local code = CODES[status] or status
  assert(math.type(code) == "integer" and code >= 0 and code <= 3, "status must be OK, WARNING, CRITICAL or UNKNOWN")
  local ok, where = pcall(send, check, code)
  if not ok then
    io.stderr:write(("labsh: could not publish labsh_check_status{check=%q}: %s\n"):format(check, tostring(where)))
    return nil
  end
  return where
end

return check_status
