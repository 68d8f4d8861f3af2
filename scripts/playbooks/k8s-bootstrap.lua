-- k8s-bootstrap: the Kubernetes cluster of plan §2.1 with K3s, as a playbook.
--
-- The Kubernetes cluster of plan §2.1 with K3s: three
-- servers with embedded etcd, then the workers, as three plays in order.
--
--   labsh --dry-run -m k8s-bootstrap     check mode: the plan, nothing installed
--   labsh -m k8s-bootstrap               asks before each play
--   labsh --yes -m k8s-bootstrap         no question
--
--   1. the first host of the inventory's k8s_servers target starts the
--      cluster (cluster-init);
--   2. the other servers join it one at a time: etcd takes one new member
--      at a time and keeps quorum while it does;
--   3. the hosts of the k8s_agents target join as agents, together.
-- (The built-in homelab: roles k8s-master, and k8s-worker/k8s-gpu-worker.)
-- Each host gets /etc/rancher/k3s/config.yaml from the inventory, then K3s
-- from its install script (https://get.k3s.io), fetched and run by the host
-- itself. A host that has K3s is left alone: upgrades are K3s's own (§4.3).
-- The join token is read from the first server after play 1 and written to
-- the others as a 0600 file; check mode reads nothing and shows a
-- placeholder. A play that fails ends the script before the next one.

local times = require "labsh.times"

-- assumption: one pinned release for every node, so that a node added later
-- is not newer than the servers (K3s agents must not be).
local K3S_VERSION = "v1.31.4+k3s1"
local CONFIG_DIR = "/etc/rancher/k3s"
local TOKEN_FILE = CONFIG_DIR .. "/cluster-token"

-- The servers and agents are the inventory's targets k8s_servers and
-- k8s_agents (Inventory.Target in inventory.d.lua); a lab without servers
-- has no Kubernetes, and nothing to do here.
local targets = require "labsh.targets"
local masters = targets.hosts("k8s_servers")
if #masters == 0 then
  require("labsh.playbook").nothing_to_do("k8s-bootstrap", "the inventory has no Kubernetes (no host in targets.k8s_servers)")
  return
end
local agents = targets.names("k8s_agents")
local first = masters[1]
local joining = {}
for i = 2, #masters do joining[#joining + 1] = masters[i].name end

-- The API's names in the service catalogue (§6.1) go into the servers'
-- certificate now, for the day a load balancer answers there: every
-- service whose endpoint is https on 6443, the Kubernetes API's port,
-- whatever the lab calls it. Until then the others join by the first
-- server's address: the DNS server runs on this very cluster (§2.2).
local function api_names()
  local names = {}
  for _, service in ipairs(lab.services()) do
    local name = (service.endpoint or ""):match("^https://([^:/]+):6443%f[^%d]")
    if name then names[#names + 1] = name end
  end
  return names
end

-- §5.1: etcd snapshots on the schedule of the inventory's backup whose
-- `resource` names etcd (the built-in homelab's "K8s etcd"), as many kept
-- as its retention holds (every 6 hours for 7 days: 28). They stay on the
-- servers until the S3 storage (§1.3, Phase 2) exists.
local function etcd_snapshots()
  for _, backup in ipairs(lab.inventory.current().backups or {}) do
    if (backup.resource or ""):lower():find("%f[%w]etcd%f[^%w]") then
      local now = os.time()
      local horizon, kept = now + times.duration(backup.retention), 0
      for _, at in ipairs(lab.schedule.next(backup.schedule, { from = now, count = 1000 })) do
        if at <= horizon then kept = kept + 1 end
      end
      return { schedule = backup.schedule, retention = kept }
    end
  end
end

-- `role`: "first", "server" or "agent". The topology zone is the Proxmox
-- node, so that spreading replicas spreads them over the machines (§2.1).
-- Secrets are encrypted at rest (§4.4), set before the first start.
local CONFIG = [[
# Managed by labsh (playbooks/k8s-bootstrap): K3s reads it at every start.
{% if role == "first" then %}
cluster-init: true
{% else %}
server: https://{{ first.address }}:6443
token-file: {{ token_file }}
{% end %}
node-ip: {{ host.address }}
{% if host.node then %}
node-label:
  - topology.kubernetes.io/zone={{ host.node }}
{% end %}
{% if role ~= "agent" then %}
secrets-encryption: true
{% if #tls_san > 0 then %}
tls-san:
{% for _, name in ipairs(tls_san) do %}
  - {{ name }}
{% end %}
{% end %}
{% if etcd then %}
etcd-snapshot-schedule-cron: "{{ etcd.schedule }}"
etcd-snapshot-retention: {{ etcd.retention }}
{% end %}
{% end %}
]]

-- The install script runs on the host, never in labsh. It is saved first:
-- a failed download piped into sh would run nothing and succeed.
local function install(command)
  return ('script=$(mktemp) && curl -fsSL https://get.k3s.io -o "$script" && '
    .. 'INSTALL_K3S_VERSION=%s sh "$script" %s; status=$?; rm -f "$script"; exit $status')
    :format(lab.ssh.quote(K3S_VERSION), command)
end

-- The token the first server made, to join it. Only a real run reads it
-- (play 1 has made it by then); the placeholder keeps check mode from
-- contacting the first server and the secret out of the output.
local function join_token()
  if lab.options.dry_run then return ("<the token of %s>"):format(first.name) end
  local r = lab.ssh.run(first.name, "cat /var/lib/rancher/k3s/server/token", { sudo = true })
  if r.kind == "ssh" or r.status ~= 0 then
    error(("k8s-bootstrap: cannot read the join token on %s: %s"):format(first.name, r.message or r.stderr), 0)
  end
  return (r.stdout:gsub("%s+$", ""))
end

-- The plays differ in their role; `token` is for the joining ones.
local function k3s_play(name, hosts, role, token)
  local command = role == "agent" and "agent" or "server"
  local service = role == "agent" and "k3s-agent" or "k3s"
  local tasks = {
    lab.task.package { "curl", update_cache = true },
    lab.task.file { path = CONFIG_DIR, state = "directory", mode = "0755" },
  }
  if token then
    -- secret: the token travels on stdin and never shows in a diff.
    tasks[#tasks + 1] = lab.task.file {
      name = "join token of " .. first.name, path = TOKEN_FILE, content = token .. "\n", mode = "0600", secret = true,
    }
  end
  -- On a new host the restart it notifies follows the install: harmless.
  tasks[#tasks + 1] = lab.task.template {
    path = CONFIG_DIR .. "/config.yaml", text = CONFIG, mode = "0600", vars = { role = role },
    notify = "restart " .. service,
  }
  tasks[#tasks + 1] = lab.task.command {
    name = ("install K3s %s (%s)"):format(K3S_VERSION, command),
    install(command),
    creates = "/etc/systemd/system/" .. service .. ".service",
  }
  tasks[#tasks + 1] = lab.task.service { service, state = "started", enabled = true }
  return {
    name = name,
    hosts = hosts,
    serial = role == "server" and 1 or nil,
    sudo = true,
    -- the manifest of all three plays: the first one declares it
    requires = {
      hosts = { "target:k8s_servers", "target:k8s_agents" },
      -- every task runs in the play's /bin/sh sessions on the hosts: its
      -- state read, its changes sent; cat reads the first server's join token
      commands = { "/bin/sh", "cat" },
      mutation = true,
    },
    vars = { first = first, token_file = TOKEN_FILE, tls_san = api_names(), etcd = etcd_snapshots() },
    tasks = tasks,
    handlers = { ["restart " .. service] = lab.task.service { service, state = "restarted" } },
  }
end

-- A play declined at the prompt returns nil: the later ones need it done.
if not lab.playbook(k3s_play("k8s-bootstrap: first server", { first.name }, "first")) then return end
local token = join_token()
if #joining > 0 then
  if not lab.playbook(k3s_play("k8s-bootstrap: servers", joining, "server", token)) then return end
end
if #agents == 0 then return true end
return lab.playbook(k3s_play("k8s-bootstrap: agents", agents, "agent", token))
