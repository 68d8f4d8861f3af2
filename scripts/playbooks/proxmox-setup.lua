-- proxmox-setup: the base configuration of the Proxmox VE nodes, as a playbook.
--
-- The base configuration of the Proxmox VE nodes (plan §1.1,
-- §3.1 "Proxmox host configuration"), as a playbook.
--
--   labsh --dry-run -m proxmox-setup     check mode: what would change, with diffs
--   labsh -m proxmox-setup               asks before changing anything
--   labsh --yes -m proxmox-setup         no question (cron)
--
-- On every Proxmox node (the inventory's `hypervisors` target, by default
-- the nodes of kind hypervisor; see Inventory.Target in inventory.d.lua):
-- the no-subscription package repository
-- in place of the enterprise one, time from chrony, kernel settings,
-- /etc/hosts and the time zone, all from the inventory. Every task reads
-- first and changes only what differs, so a second run reports ok.
-- Without an ssh section in the inventory nothing is contacted: --dry-run
-- lists the plan, a real run refuses.
--
-- apt and NTP need a way out of the Management VLAN, which §4.1 does not
-- give it: apt needs a proxy or a firewall rule; time comes from the gateway.

local site = lab.inventory.current().site

-- Proxmox VE's major version fixes its Debian release.
local DEBIAN_RELEASE = {
  ["Proxmox VE 8"] = "bookworm",
  ["Proxmox VE 9"] = "trixie",
}

local function debian_release(host)
  if host.os == nil then
    error(('%s: the inventory gives no os; set os = "Proxmox VE 8" (or 9) on the node'):format(host.name), 0)
  end
  return DEBIAN_RELEASE[host.os]
    or error(("%s: no Debian release known for os '%s' (known: Proxmox VE 8, Proxmox VE 9)"):format(host.name, host.os), 0)
end

-- The time sources of a host: the gateway of its VLAN (assumption: the
-- OpenWrt gateway serves NTP), and the public pool only where the §4.1
-- policy lets the host reach the internet on udp/123.
local function time_sources(host)
  local sources = {}
  for _, vlan in ipairs(lab.vlans()) do
    if vlan.gateway and lab.ipam.contains(vlan.subnet, host.address) then
      sources[#sources + 1] = ("server %s iburst"):format(vlan.gateway)
    end
  end
  if lab.net.allows(host.name, "internet", 123, "udp") then
    sources[#sources + 1] = "pool 2.debian.pool.ntp.org iburst"
  end
  if #sources == 0 then error(host.name .. ": no VLAN holds its address " .. host.address) end
  return sources
end

-- Debian's chrony.conf with the inventory's time sources in place of its pool.
local CHRONY_CONF = [[
# Managed by labsh (playbooks/proxmox-setup): changes here are overwritten.
{% for _, source in ipairs(time_sources(host)) do %}
{{ source }}
{% end %}
confdir /etc/chrony/conf.d
sourcedir /etc/chrony/sources.d
keyfile /etc/chrony/chrony.keys
driftfile /var/lib/chrony/chrony.drift
ntsdumpdir /var/lib/chrony
logdir /var/log/chrony
maxupdateskew 100.0
rtcsync
makestep 1 3
leapsectz right/UTC
]]

-- Every node and guest by name, so that the cluster and the guests resolve
-- without the DNS server, which itself runs on the cluster (§2.2). Proxmox
-- wants its own name on its real address, not 127.0.1.1.
local HOSTS = [[
# Managed by labsh (playbooks/proxmox-setup) from the inventory.
127.0.0.1 localhost
::1       localhost ip6-localhost ip6-loopback
ff02::1   ip6-allnodes
ff02::2   ip6-allrouters

{% for _, list in ipairs { inventory.nodes, inventory.guests or {} } do %}
{% for _, h in ipairs(list) do if h.address then %}
{{ ("%-15s"):format(h.address) }} {{ h.name }}.{{ inventory.site.domain }} {{ h.name }}
{% end end %}
{% end %}
]]

-- Why each kernel setting, in words that fit any lab; the built-in homelab
-- also cites the plan (its §5.4 figure and §4.1 rule), which only it has.
local builtin = lab.inventory.summary().file == "(built-in homelab)"
local SYSCTL = ([[
# Managed by labsh (playbooks/proxmox-setup).
# The nodes' memory belongs to their guests%s: swap late.
vm.swappiness = 10
# A node that panics reboots and rejoins the cluster.
kernel.panic = 10
# The guests are bridged and the gateway routes; a node forwarding
# between its VLANs would bypass the firewall policy%s.
net.ipv4.ip_forward = 0
]]):format(builtin and " (plan §5.4: 79% in use)" or "",
           builtin and " (plan §4.1: \"K8s -> Management denied\")" or "")

local HYPERVISORS = require("labsh.targets").or_nothing("hypervisors", "proxmox-setup")
if not HYPERVISORS then return end

return lab.playbook {
  name = "proxmox-setup",
  hosts = HYPERVISORS,
  sudo = true,
  requires = {
    hosts = { "target:hypervisors" },
    -- every task runs in the play's /bin/sh sessions on the hosts: its
    -- state read, its changes sent
    commands = { "/bin/sh" },
    mutation = true,
  },
  vars = { time_sources = time_sources, debian_release = debian_release },
  tasks = {
    -- Without a subscription the enterprise repositories answer 401 and
    -- break every apt-get update.
    lab.task.template {
      name = "pve-no-subscription repository",
      path = "/etc/apt/sources.list.d/pve-no-subscription.list",
      text = "deb http://download.proxmox.com/debian/pve {{ debian_release(host) }} pve-no-subscription\n",
      mode = "0644",
      notify = "refresh apt lists",
    },
    lab.task.file {
      name = "no pve-enterprise repository",
      path = "/etc/apt/sources.list.d/pve-enterprise.list",
      state = "absent",
      notify = "refresh apt lists",
    },
    -- The installer also lists Ceph's enterprise repository; Ceph itself
    -- comes in Phase 2 (§1.3) with its no-subscription repository.
    lab.task.line {
      name = "no ceph enterprise repository",
      path = "/etc/apt/sources.list.d/ceph.list",
      regexp = "enterprise%.proxmox%.com",
      state = "absent",
      notify = "refresh apt lists",
    },

    -- Corosync, HA and live migration (§1.1) want the nodes' clocks together.
    lab.task.package { "chrony", update_cache = true },
    lab.task.template {
      path = "/etc/chrony/chrony.conf",
      text = CHRONY_CONF,
      mode = "0644",
      notify = "restart chrony",
    },
    lab.task.service { "chrony", state = "started", enabled = true },

    lab.task.file {
      path = "/etc/sysctl.d/90-labsh.conf",
      content = SYSCTL,
      mode = "0644",
      notify = "apply sysctl settings",
    },

    lab.task.template { path = "/etc/hosts", text = HOSTS, mode = "0644" },

    lab.task.command {
      name = "time zone " .. site.timezone,
      "timedatectl set-timezone " .. lab.ssh.quote(site.timezone),
      unless = ('[ "$(timedatectl show --property=Timezone --value)" = %s ]'):format(lab.ssh.quote(site.timezone)),
    },
  },
  handlers = {
    ["refresh apt lists"] = lab.task.command { "apt-get -q update" },
    ["restart chrony"] = lab.task.service { "chrony", state = "restarted" },
    ["apply sysctl settings"] = lab.task.command { "sysctl --system" },
  },
}
