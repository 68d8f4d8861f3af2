-- security-hardening: the host side of the plan's security framework, as a playbook.
--
-- The host side of the plan's security framework (§4.2
-- access control, §4.3 patch management, §4.4 CIS benchmarks), as a playbook.
--
--   labsh --dry-run -m security-hardening     check mode: what would change, with diffs
--   labsh -m security-hardening               asks before changing anything
--   labsh --yes -m security-hardening         no question (cron)
--
-- On every Linux host: the inventory's `linux` target (by default the
-- nodes of kind hypervisor, server and sbc and every guest; not
-- workstations, NAS, gateways or switches, which are configured their own
-- way; see Inventory.Target in inventory.d.lua):
--   ssh       keys only; root keeps its key login, which Proxmox uses
--             between cluster nodes
--   patches   Debian's security updates installed daily, no automatic
--             reboot: reboots wait for the maintenance window (§5.3)
--   fail2ban  bans addresses that keep failing ssh logins (§9: <10 a day)
--   sysctl    no ICMP redirects, no source routing (CIS): the gateway
--             routes between the VLANs, none of these hosts (§1.2)
-- Passwords stop working for ssh: give every admin a key first. labsh
-- itself logs in with a key (BatchMode), so a run cannot lock it out.
-- §4.2's SSH MFA is not here: labsh and cron log in without a person to
-- answer; MFA belongs on the bastion in the Management VLAN.

local targets = require "labsh.targets"

local LINUX_HOSTS = targets.or_nothing("linux", "security-hardening")
if not LINUX_HOSTS then return end

-- The management networks (VLANs of trust "critical"), never banned: the
-- text after "::1" on fail2ban's ignoreip line ("" when the lab has none).
local function management_subnets()
  local text = ""
  for _, vlan in ipairs(lab.vlans()) do
    if vlan.trust == "critical" then text = text .. " " .. vlan.subnet end
  end
  return text
end

-- Key-only logins (§4.2). `shown`: the value as `sshd -T` prints it.
local SSHD = {
  { key = "PasswordAuthentication",       value = "no" },
  { key = "KbdInteractiveAuthentication", value = "no" },
  { key = "PermitRootLogin",              value = "prohibit-password", shown = "without-password|prohibit-password" },
}

-- sshd takes the first value it reads: a line earlier in the file or in
-- /etc/ssh/sshd_config.d/ (Ubuntu cloud images allow passwords there)
-- beats ours. `sshd -T` prints what sshd would really use.
local function sshd_effective_check()
  local wants = {}
  for _, s in ipairs(SSHD) do
    wants[#wants + 1] = lab.ssh.quote(("%s (%s)"):format(s.key:lower(), s.shown or s.value))
  end
  return "settings=$(sshd -T) || exit 1; for want in " .. table.concat(wants, " ") .. "; do "
    .. [[printf '%s\n' "$settings" | grep -Eqix "$want" || ]]
    .. [[{ echo "sshd -T does not say '$want': an earlier line or /etc/ssh/sshd_config.d/ wins" >&2; exit 1; }; done]]
end

-- Debian's default origins in 50unattended-upgrades are the security
-- updates only: Proxmox's own packages and K3s wait for the patch window.
local AUTO_UPGRADES = [[
// Managed by labsh (playbooks/security-hardening).
APT::Periodic::Update-Package-Lists "1";
APT::Periodic::Unattended-Upgrade "1";
]]

-- Bookworm writes no /var/log/auth.log: sshd's failures are in the journal.
-- The management VLANs (trust "critical") are never banned: a typo there
-- must not lock out the bastion and labsh.
local JAIL_LOCAL = [[
# Managed by labsh (playbooks/security-hardening).
[DEFAULT]
ignoreip = 127.0.0.1/8 ::1{{ management }}
bantime  = 1h
findtime = 10m
maxretry = 5

[sshd]
enabled = true
backend = systemd
]]

-- The CIS benchmark's network parameters for hosts that are not routers.
local SYSCTL = [[
# Managed by labsh (playbooks/security-hardening).
net.ipv4.conf.all.accept_redirects = 0
net.ipv4.conf.default.accept_redirects = 0
net.ipv6.conf.all.accept_redirects = 0
net.ipv6.conf.default.accept_redirects = 0
net.ipv4.conf.all.send_redirects = 0
net.ipv4.conf.default.send_redirects = 0
net.ipv4.conf.all.accept_source_route = 0
net.ipv4.conf.default.accept_source_route = 0
fs.suid_dumpable = 0
]]

local tasks = {}
local function add(...)
  for _, t in ipairs { ... } do tasks[#tasks + 1] = t end
end

-- ssh (§4.2). Debian's file has each key commented out: the line takes its place.
for _, s in ipairs(SSHD) do
  add(lab.task.line {
    name = ("sshd %s %s"):format(s.key, s.value),
    path = "/etc/ssh/sshd_config",
    regexp = "^#?%s*" .. s.key .. "%s",
    line = s.key .. " " .. s.value,
    notify = "reload ssh",
  })
end
add(lab.task.command { name = "sshd uses these settings", sshd_effective_check(), changed = false })

-- patches (§4.3)
add(lab.task.package { "unattended-upgrades", update_cache = true },
    lab.task.file { path = "/etc/apt/apt.conf.d/20auto-upgrades", content = AUTO_UPGRADES, mode = "0644" })

-- failed logins (§5.2 security dashboard, §9)
add(lab.task.package { "fail2ban", "python3-systemd", update_cache = true },
    lab.task.template { path = "/etc/fail2ban/jail.local", text = JAIL_LOCAL, mode = "0644", notify = "restart fail2ban",
                      vars = { management = management_subnets() } },
    lab.task.service { "fail2ban", state = "started", enabled = true })

-- kernel (§4.4)
add(lab.task.file {
  path = "/etc/sysctl.d/90-labsh-hardening.conf",
  content = SYSCTL,
  mode = "0644",
  notify = "apply sysctl settings",
})

return lab.playbook {
  name = "security-hardening",
  hosts = LINUX_HOSTS,
  sudo = true,
  requires = {
    hosts = { "target:linux" },
    -- every task runs in the play's /bin/sh sessions on the hosts: its
    -- state read, its changes sent
    commands = { "/bin/sh" },
    mutation = true,
  },
  tasks = tasks,
  handlers = {
    -- Debian's ssh.service runs `sshd -t` before it reloads: a broken
    -- file fails the handler and the running sshd keeps its settings.
    ["reload ssh"] = lab.task.service { "ssh", state = "reloaded" },
    ["restart fail2ban"] = lab.task.service { "fail2ban", state = "restarted" },
    ["apply sysctl settings"] = lab.task.command { "sysctl --system" },
  },
}
