-- pve: the Proxmox VE cluster of the inventory's `proxmox` section.
--
--   labsh -m pve trust URL           shows the node's certificate (SHA-256
--                                    fingerprint, subject, issuer, expiry),
--                                    learned by a TLS handshake that sends
--                                    nothing else; confirmed (or --yes), prints
--                                    the `urls` entry to put in the inventory
--   labsh -m pve help PATH           an API path's parameters and privileges
--   labsh -m pve status              quorum and nodes online
--   labsh -m pve drift               the inventory against /cluster/resources:
--                                    guests missing on either side, on another
--                                    node, with other RAM or cores, stopped;
--                                    exit 1 on drift (--format json)

local cli = require "labsh.cli"


----------------------------------------------------------------------------
-- trust

-- A person's yes at the terminal, or --yes.
local function confirmed(question)
  if lab.options.yes then return true end
  if not (lab.sys.isatty(0) and lab.sys.isatty(2)) then return false end
  io.stderr:write(question, " [y/N] ")
  io.stderr:flush()
  local answer = (io.stdin:read("l") or ""):lower():match("^%s*(.-)%s*$")
  return answer == "y" or answer == "yes"
end

local function trust(url, usage_error)
  local ok, problem = pcall(require("labsh.pve").config, { urls = { url }, token = "env:PVE_TOKEN" }, "URL")
  if not ok then usage_error(type(problem) == "table" and tostring(problem.message) or tostring(problem)) end
  local leaf, reason, message = require("labsh.pve").probe(url, 10)
  if not leaf then
    io.stderr:write(("pve trust: %s: %s (%s)\n"):format(url, message, reason))
    os.exit(1)
  end
  if cli.json() then
    print(lab.json.encode({ url = url, fingerprint = leaf.fingerprint, subject = leaf.subject, issuer = leaf.issuer,
                            expires = leaf.expires }))
    return
  end
  io.stderr:write(("certificate of %s\n  subject      %s\n  issuer       %s\n  expires      %s\n  fingerprint  %s\n")
    :format(url, leaf.subject, leaf.issuer, leaf.expires, leaf.fingerprint))
  io.stderr:write("Compare the fingerprint with the node's own: pvenode cert info (on the node, or its web UI).\n")
  if not confirmed("Trust this certificate?") then
    io.stderr:write("not trusted: nothing printed (run again with --yes once the fingerprint is checked)\n")
    os.exit(1)
  end
  io.stderr:write("Put this in the inventory's proxmox.urls:\n")
  print(('{ url = %q, fingerprint = %q },'):format(url, leaf.fingerprint))
end

----------------------------------------------------------------------------
-- drift

local columns = require "labsh.columns"
columns.types["pve.Drift"] = { "change", "guest", "field", "inventory", "cluster" }

-- A row of the drift table: what differs for one guest.
local function row(kind, guest, field, inventory, cluster)
  return columns.mark("pve.Drift", { change = kind, guest = guest, field = field,
                                     inventory = inventory ~= nil and tostring(inventory) or "-",
                                     cluster = cluster ~= nil and tostring(cluster) or "-" })
end

local function size(bytes) return require("labsh.sizes").size_text(bytes) end

-- The drift between the inventory's guests and the cluster's, in the order
-- of the inventory, then the cluster's extra guests. Guests the inventory
-- places on nodes outside the cluster are not Proxmox's: left out.
local function drift()
  local rows = {}
  local cluster, used, members = {}, {}, {}
  for _, n in ipairs(lab.pve.status().nodes) do members[n.name] = true end
  for _, r in ipairs(lab.pve.resources { type = "vm" }) do
    if r.template ~= 1 then cluster[#cluster + 1] = r end
  end
  local guests, matches = lab.guests(), {}
  local guest_of = require("labsh.pve_model").matcher(guests)
  for _, r in ipairs(cluster) do
    local g = guest_of(r)
    if g then matches[g] = r end
  end
  for _, g in ipairs(guests) do
    if not members[g.node] then goto next_guest end
    local match = matches[g]
    if not match then
      rows[#rows + 1] = row("-", g.name, "guest", g.vmid and ("VMID " .. g.vmid) or g.node, "missing")
    else
      used[match] = true
      local want_type = g.kind == "lxc" and "lxc" or "qemu"
      if match.type ~= want_type then rows[#rows + 1] = row("~", g.name, "type", want_type, match.type) end
      if match.node ~= g.node then rows[#rows + 1] = row("~", g.name, "node", g.node, match.node) end
      if match.maxmem and match.maxmem ~= g.ram then
        rows[#rows + 1] = row("~", g.name, "ram", size(g.ram), size(match.maxmem))
      end
      if match.maxcpu and match.maxcpu ~= g.vcpu then rows[#rows + 1] = row("~", g.name, "cores", g.vcpu, match.maxcpu) end
      if match.status ~= "running" then rows[#rows + 1] = row("~", g.name, "status", "running", match.status) end
    end
    ::next_guest::
  end
  for _, r in ipairs(cluster) do
    if not used[r] then
      rows[#rows + 1] = row("+", r.name or ("VMID " .. r.vmid), "guest", "missing", ("VMID %d on %s"):format(r.vmid, r.node))
    end
  end
  return rows
end

----------------------------------------------------------------------------

return labsh.script {
  name = "pve",
  description = "the Proxmox VE cluster: trust a node's certificate, API help, status, drift",
  formats = { "text", "json" },
  commands = {
    { "trust", "show a node's certificate; confirmed, print its inventory entry",
      args = { { "URL", "the node's API URL, https://NODE:8006", required = true } } },
    { "help", "the parameters and required privilege of an API path",
      args = { { "PATH", "e.g. /nodes/NODE/qemu/VMID/migrate", required = true } } },
    { "status", "quorum and nodes online" },
    { "drift", "the inventory against the cluster (exit 1 on drift)" },
  },
  exit = "0 done (drift: none), 1 drift found or not confirmed, 2 usage",
  requires = {
    net = { "proxmox", "arguments" },  -- the cluster; the node `trust URL` names
    secrets = { "proxmox" },
    proxmox = { "Sys.Audit" },         -- status and drift read the cluster
  },
  run = function(ctx, opts)
    if opts.command == "trust" then
      trust(opts.url, function(why) ctx:usage_error(why) end)
    elseif opts.command == "help" then
      local text = lab.pve.help(opts.path)
      print(cli.json() and lab.json.encode({ path = opts.path, help = text }) or text)
    elseif opts.command == "status" then
      local status = lab.pve.status()
      if cli.json() then
        print(lab.json.encode(status))
      else
        print(("cluster %s: %s, %d of %d nodes online"):format(status.name or "-",
          status.quorate and "quorate" or "NOT QUORATE", status.online, status.total))
        print(require("labsh.pretty").format(status.nodes))
      end
    elseif opts.command == "drift" then
      local rows = drift()
      if cli.json() then
        local plain = {}
        for i, r in ipairs(rows) do plain[i] = { change = r.change, guest = r.guest, field = r.field,
                                                inventory = r.inventory, cluster = r.cluster } end
        print(lab.json.encode({ in_sync = #rows == 0, drift = setmetatable(plain, lab.json.array) }))
      elseif #rows == 0 then
        print("no drift: the cluster's guests are the inventory's")
      else
        print(require("labsh.pretty").format(rows))
        print(("%d difference(s): - in the inventory only, + in the cluster only, ~ differs"):format(#rows))
      end
      if #rows > 0 then os.exit(1) end
    end
  end,
}
