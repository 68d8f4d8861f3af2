-- monitoring-deploy: node_exporter on every Linux host, as a playbook.
--
-- Node_exporter on every Linux host, for Prometheus's
-- host metrics (plan §2.2 "Node Exporter", §5.2 alerts), as a playbook.
--
--   labsh --dry-run -m monitoring-deploy     check mode: what would change, with diffs
--   labsh -m monitoring-deploy               asks before changing anything
--   labsh --yes -m monitoring-deploy         no question (cron)
--
-- On every Linux host (the inventory's `linux` target, see Inventory.Target
-- in inventory.d.lua): Debian's node_exporter
-- on port 9100 (the `node` job of the node-down alert), with its textfile
-- collector reading the directory where the apt script writes the pending
-- updates (the security-updates alert) and labsh its own metrics.
-- On the Kubernetes nodes, turn off the node-exporter DaemonSet of a
-- Prometheus chart: it wants port 9100 too.

local LINUX_HOSTS = require("labsh.targets").or_nothing("linux", "monitoring-deploy")
if not LINUX_HOSTS then return end

-- Debian's default, where prometheus-node-exporter-collectors' timers write
-- (and the inventory's monitoring.textfile_dir, in its example). Said
-- explicitly, so that it holds for a node_exporter built with another default.
local TEXTFILE_DIR = "/var/lib/prometheus/node-exporter"

return lab.playbook {
  name = "monitoring-deploy",
  hosts = LINUX_HOSTS,
  sudo = true,
  requires = {
    hosts = { "target:linux" },
    -- every task runs in the play's /bin/sh sessions on the hosts: its
    -- state read, its changes sent
    commands = { "/bin/sh" },
    mutation = true,
  },
  tasks = {
    lab.task.package { "prometheus-node-exporter", "prometheus-node-exporter-collectors", update_cache = true },
    lab.task.file { path = TEXTFILE_DIR, state = "directory" },
    -- The unit reads ARGS from here; the package's comments stay.
    lab.task.line {
      path = "/etc/default/prometheus-node-exporter",
      regexp = "^ARGS=",
      line = ('ARGS="--collector.textfile.directory=%s"'):format(TEXTFILE_DIR),
      create = true,
      notify = "restart node_exporter",
    },
    lab.task.service { "prometheus-node-exporter", state = "started", enabled = true },
    -- apt_upgrades_pending, for the security-updates alert
    lab.task.service { "prometheus-node-exporter-apt.timer", state = "started", enabled = true },
  },
  handlers = {
    ["restart node_exporter"] = lab.task.service { "prometheus-node-exporter", state = "restarted" },
  },
}
