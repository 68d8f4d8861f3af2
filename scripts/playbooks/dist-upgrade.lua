-- dist-upgrade: bring the hypervisors' packages up to date (§4.3).
--
-- patch-window runs it on one node at a time, after draining the node
-- and before rebooting it.
--
--   labsh --dry-run -m dist-upgrade --limit NODE   check mode: apt-get -s says what would change
--   labsh --yes -m dist-upgrade --limit NODE       upgrade NODE
--
-- On the inventory's `hypervisors` target (by default the nodes of kind
-- hypervisor): `apt-get update`, then `apt-get dist-upgrade` when a
-- simulation (`apt-get -s`, which only reads) lists a package to install
-- or upgrade; configuration files the admin changed are kept. The reboot
-- a new kernel needs is not done here: patch-window reboots through the
-- Proxmox VE API once the node is empty.

local targets = require "labsh.targets"

local HOSTS = targets.or_nothing("hypervisors", "dist-upgrade")
if not HOSTS then return end

local APT = "DEBIAN_FRONTEND=noninteractive apt-get -q -y -o Dpkg::Options::=--force-confold"

return lab.playbook {
  name = "dist-upgrade",
  hosts = HOSTS,
  sudo = true,
  requires = {
    hosts = { "target:hypervisors" },
    -- every task runs in the play's /bin/sh sessions on the hosts: its
    -- state read, its changes sent
    commands = { "/bin/sh" },
    mutation = true,
  },
  tasks = {
    lab.task.command {
      "apt-get -q update && " .. APT .. " dist-upgrade",
      onlyif = "apt-get -s -o Debug::NoLocking=1 dist-upgrade | grep -q '^Inst '",
    },
  },
}
