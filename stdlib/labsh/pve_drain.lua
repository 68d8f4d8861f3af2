-- labsh.pve_drain: emptying a Proxmox VE node of its running guests, for
-- the runbooks (node-drain, patch-window) and the node-failure drill. All
-- of it reads the live cluster through a lab.pve client; nothing here
-- names a node, a guest or a role of any particular homelab.
--
--   local drain = require "labsh.pve_drain"
--   local plan = drain.plan(client, "node2")      -- where each guest goes, or why not
--   drain.migrate(client, plan.moves, { parallel = 2 })
--   drain.verify(client, plan.moves)             -- placement, from /cluster/resources
--   drain.back(client, plan.moves)               -- what moved goes home again
--
-- The rules of the plan, stated so they can be argued with:
-- - The node is counted gone (it is drained to be rebooted): Proxmox keeps
--   quorum only when a strict majority of all nodes stays online.
-- - etcd: the guests of the inventory's `k8s_servers` target (the model's
--   marker, as lab.sim reads it) keep distinct nodes (one host, one vote);
--   a container's migration restarts it, so it counts as down for the
--   drain, as does a member that is not running. The members left running
--   must be a strict majority.
-- - HA node-affinity rules (/cluster/ha/rules): a strict rule allows only
--   its nodes; otherwise its nodes come first, higher priority first.
-- - RAM: a target takes a guest while the RAM of its running guests stays
--   within its RAM less a reserve (lab.sim's default, 2 GiB); the biggest
--   guests are placed first, each on the allowed node with the most free.

local rules = require "labsh.pve"
local targets = require "labsh.targets"

local drain = {}

drain.RAM_RESERVE = 2 * 1024 ^ 3
drain.VERIFY_SECONDS = 120  -- how long HA may take to finish what a migration asked for

local function say(...) io.stderr:write(...) io.stderr:write("\n") end

local function is_true(value) return value == 1 or value == true end

local function gib(bytes) return ("%.1f GiB"):format((bytes or 0) / 1024 ^ 3) end

-- The HA id of a guest: "vm:101" or "ct:101".
local function sid(guest) return (guest.type == "lxc" and "ct:" or "vm:") .. guest.vmid end

--- The cluster now: {status = lab.pve.status(), nodes = {name -> {name,
--- online, maxmem, used}}, guests = {/cluster/resources vm records}}; a
--- node's `used` is the RAM of the guests running on it.
function drain.cluster(client)
  local view = { status = lab.pve.status(client), nodes = {}, guests = {} }
  for _, r in ipairs(client:get("/cluster/resources")) do
    if r.type == "node" then
      view.nodes[r.node] = { name = r.node, online = r.status == "online", maxmem = r.maxmem or 0, used = 0 }
    elseif r.type == "qemu" or r.type == "lxc" then
      view.guests[#view.guests + 1] = r
    end
  end
  for _, g in ipairs(view.guests) do
    local host = view.nodes[g.node]
    if host and g.status == "running" then host.used = host.used + (g.maxmem or 0) end
  end
  return view
end

-- HA node-affinity by guest id: {rule, strict, priority = {node -> n}}.
local function affinities(client)
  local by_sid = {}
  for _, rule in ipairs(client:get("/cluster/ha/rules")) do
    if rule.type == "node-affinity" and not is_true(rule.disable) then
      local priority = {}
      for item in tostring(rule.nodes or ""):gmatch("[^,%s]+") do
        local name, level = item:match("^([^:]+):?(%d*)$")
        if name then priority[name] = tonumber(level) or 0 end
      end
      for id in tostring(rule.resources or ""):gmatch("[^,%s]+") do
        by_sid[id] = { rule = rule.rule, strict = is_true(rule.strict), priority = priority }
      end
    end
  end
  return by_sid
end

-- The etcd members: the cluster's guests of the inventory's k8s_servers
-- target (by vmid, else by name), vmid -> resource; and the names of all
-- its hosts (a member that is a node itself counts where the caller finds
-- it among the cluster's nodes).
local function etcd_members(guests)
  local vmids, names, hosts = {}, {}, {}
  for _, host in ipairs((targets.hosts("k8s_servers"))) do
    if host.vmid then vmids[host.vmid] = true else names[host.name] = true end
    hosts[host.name] = true
  end
  local members = {}
  for _, g in ipairs(guests) do
    if vmids[g.vmid] or names[g.name] then members[g.vmid] = g end
  end
  return members, hosts
end

-- The order guests are placed in: etcd members first (they have the
-- fewest places), then the biggest, then by VMID.
local function placing_order(members)
  return function(a, b)
    local ma, mb = members[a.vmid] ~= nil, members[b.vmid] ~= nil
    if ma ~= mb then return ma end
    if (a.maxmem or 0) ~= (b.maxmem or 0) then return (a.maxmem or 0) > (b.maxmem or 0) end
    return a.vmid < b.vmid
  end
end

-- The allowed target for `g` with the most free RAM (rule priority first),
-- or nil and why not.
local function place(g, free, affinity, is_member, holds_member)
  local best, best_key, why = nil, nil, {}
  for name, room in pairs(free) do
    local priority = affinity and affinity.priority[name]
    if affinity and affinity.strict and priority == nil then
      why[#why + 1] = name .. ": not in HA rule " .. affinity.rule
    elseif is_member and holds_member[name] then
      why[#why + 1] = name .. ": holds another etcd member"
    elseif room < (g.maxmem or 0) then
      why[#why + 1] = ("%s: %s free"):format(name, gib(room))
    else
      local key = { priority or -1, room, name }
      if not best_key or key[1] > best_key[1] or (key[1] == best_key[1] and (key[2] > best_key[2]
          or (key[2] == best_key[2] and key[3] < best_key[3]))) then
        best, best_key = name, key
      end
    end
  end
  table.sort(why)
  return best, table.concat(why, "; ")
end

-- The analysis behind plan and loss: `node` counted gone, its running
-- guests placed (all of them for a drain; HA-managed ones for a loss).
local function analyse(client, node, opts, loss)
  local reserve = opts.ram_reserve or drain.RAM_RESERVE
  local view = drain.cluster(client)
  local plan = { node = node, moves = {}, stays = {}, stranded = {}, refusals = {} }
  local function refuse(text) plan.refusals[#plan.refusals + 1] = text end
  local here = view.nodes[node]
  if not here then
    local names = {}
    for name in pairs(view.nodes) do names[#names + 1] = name end
    table.sort(names)
    refuse(("%s is not a node of the cluster (its nodes: %s)"):format(node, table.concat(names, ", ")))
    return plan
  end

  -- Proxmox quorum with the node gone.
  local s = view.status
  local needed = s.total // 2 + 1
  local after = s.online - (here.online and 1 or 0)
  plan.quorum = { total = s.total, online = s.online, needed = needed, after = after, quorate = s.quorate }
  if not s.quorate then
    refuse(("Proxmox quorum: the cluster has none now (%d of %d nodes online)"):format(s.online, s.total))
  elseif after < needed then
    refuse(("Proxmox quorum: without %s, %d of %d nodes stay online and %d are needed"):format(node, after, s.total, needed))
  end
  if not here.online and not loss then refuse(node .. " is offline: nothing can be migrated off it") end
  local quorate_after = s.quorate and after >= needed

  local members, member_hosts = etcd_members(view.guests)
  local affinity = affinities(client)
  local managed = {}
  if loss then
    for _, r in ipairs(client:get("/cluster/ha/resources")) do managed[r.sid] = true end
  end
  local free, holds_member = {}, {}
  for name, n in pairs(view.nodes) do
    if name ~= node and n.online then free[name] = n.maxmem - n.used - reserve end
  end
  for _, g in pairs(members) do if g.node ~= node then holds_member[g.node] = true end end

  local leaving = {}
  for _, g in ipairs(view.guests) do
    if g.node == node then
      if g.status ~= "running" and not (loss and g.status == "unknown") then
        plan.stays[#plan.stays + 1] = g
      elseif loss and not managed[sid(g)] then
        plan.stranded[#plan.stranded + 1] = { guest = g.name, vmid = g.vmid, why = "not HA-managed: down with " .. node }
      elseif loss and not quorate_after then
        plan.stranded[#plan.stranded + 1] = { guest = g.name, vmid = g.vmid, why = "no quorum: HA recovers nothing" }
      else
        leaving[#leaving + 1] = g
      end
    end
  end
  table.sort(leaving, placing_order(members))
  for _, g in ipairs(leaving) do
    local is_member = members[g.vmid] ~= nil
    local to, why = place(g, free, affinity[sid(g)], is_member, holds_member)
    if to then
      free[to] = free[to] - (g.maxmem or 0)
      if is_member then holds_member[to] = true end
      plan.moves[#plan.moves + 1] = { vmid = g.vmid, name = g.name, type = g.type, from = node, to = to,
                                      ram = g.maxmem or 0, etcd = is_member }
    else
      why = why ~= "" and why or "no other node online"
      if loss then plan.stranded[#plan.stranded + 1] = { guest = g.name, vmid = g.vmid, why = "fits on no node: " .. why } end
      refuse(("%s (VMID %d, %s) fits on no node: %s"):format(g.name or "?", g.vmid, gib(g.maxmem), why))
    end
  end

  -- etcd quorum: a member down with the node (a loss) or restarting on the
  -- way (a container's migration), or not running, does not vote.
  local total, down = 0, 0
  for _, g in pairs(members) do
    total = total + 1
    local away = g.node == node and (loss or g.type == "lxc")
    if g.status ~= "running" or away then down = down + 1 end
  end
  for name in pairs(member_hosts) do
    if view.nodes[name] then total = total + 1; if name == node or not view.nodes[name].online then down = down + 1 end end
  end
  if total > 0 then
    plan.etcd = { members = total, running = total - down, needed = total // 2 + 1 }
    if total - down < plan.etcd.needed then
      refuse(("etcd quorum: %d of %d members would run %s and %d are needed (%s; members not running count as down)")
        :format(total - down, total, loss and "without the node" or "during the drain", plan.etcd.needed,
          loss and "members on the node are down until HA restarts them" or "a container's migration restarts it"))
    end
  end
  return plan
end

--- Where each running guest of `node` goes: {node, moves = {{vmid, name,
--- type, from, to, ram, etcd}}, stays = {stopped guests left on it},
--- refusals = {why not}, quorum = {...}, etcd = {...}}. Read-only.
function drain.plan(client, node, opts)
  return analyse(client, node, opts or {}, false)
end

--- What losing `node` now does, from the live cluster: HA re-places its
--- HA-managed guests (moves), the others are down (stranded: {guest,
--- vmid, why}); refusals say what breaks (quorum, etcd, no room).
function drain.loss(client, node, opts)
  return analyse(client, node, opts or {}, true)
end

--- The API call that migrates `move`: path and parameters (a running VM
--- moves live, a container restarts on the target).
function drain.call(move, from, to)
  from, to = from or move.from, to or move.to
  local path = ("/nodes/%s/%s/%d/migrate"):format(rules.segment(from), move.type == "lxc" and "lxc" or "qemu", move.vmid)
  local params = { target = to }
  if move.type == "lxc" then params.restart = true else params.online = true end
  return path, params
end

--- The plan as text: quorum, etcd, each move with its exact API call.
function drain.describe(plan)
  local pve_client = require "labsh.pve_client"
  local lines = {}
  if plan.quorum then
    lines[#lines + 1] = ("Proxmox quorum: %d of %d online now, %d without %s, %d needed"):format(
      plan.quorum.online, plan.quorum.total, plan.quorum.after, plan.node, plan.quorum.needed)
  end
  if plan.etcd then
    lines[#lines + 1] = ("etcd: %d of %d members run during the drain, %d needed"):format(
      plan.etcd.running, plan.etcd.members, plan.etcd.needed)
  end
  for _, m in ipairs(plan.moves) do
    local path, params = drain.call(m)
    local checked = pve_client.check("POST", path, params)
    lines[#lines + 1] = ("%s (VMID %d, %s%s) -> %s: %s"):format(m.name or "?", m.vmid, gib(m.ram),
      m.etcd and ", etcd" or "", m.to, pve_client.describe("POST", checked))
  end
  for _, g in ipairs(plan.stays) do
    lines[#lines + 1] = ("%s (VMID %d) is %s: stays on %s"):format(g.name or "?", g.vmid, tostring(g.status), plan.node)
  end
  for _, why in ipairs(plan.refusals) do lines[#lines + 1] = "REFUSED: " .. why end
  return table.concat(lines, "\n    ")
end

-- Starts the migrations of `batch` (moves) from -> to; the started ones
-- get `upid`. A call that fails stops the batch: the error is returned
-- with the UPIDs started so far.
local function start(client, batch, back)
  local upids, started = {}, {}
  for _, m in ipairs(batch) do
    local from, to = m.from, m.to
    if back then from, to = m.to, m.from end
    local path, params = drain.call(m, from, to)
    local ok, upid = pcall(client.post, client, path, params, {
      wait = false, action = "pve.migrate", target = m.name or tostring(m.vmid),
      summary = ("migrate %s (VMID %d) from %s to %s"):format(m.name or "?", m.vmid, from, to),
    })
    if not ok then return upids, started, upid end
    if type(upid) ~= "string" then return upids, started, ("migration of VMID %d not sent (%s)"):format(m.vmid, tostring(upid)) end
    m.upid, m.running = upid, true
    upids[#upids + 1], started[#started + 1] = upid, m
    say(("started migration of %s (VMID %d): %s -> %s"):format(m.name or "?", m.vmid, from, to))
  end
  return upids, started
end

-- Migrates `moves` (back: from their target to their origin) at most
-- `parallel` at a time, each wave's tasks waited for in one poll loop.
-- Raises the first failure once the wave it happened in has ended.
local function run(client, moves, opts, back)
  local parallel = opts.parallel or 2
  for first = 1, #moves, parallel do
    local batch = { table.unpack(moves, first, math.min(#moves, first + parallel - 1)) }
    local upids, started, failure = start(client, batch, back)
    if #upids > 0 then
      local ok, err = pcall(client.wait, client, upids, { timeout = opts.timeout })
      local results = ok and err or (type(err) == "table" and err.results) or {}
      -- Only a task with a result has surely ended: after a stop or a
      -- timeout the others may still run, and a rollback waits for them.
      for i, m in ipairs(started) do
        if results[i] then m.running, m.moved = false, not back end
      end
      failure = failure or (not ok and err) or nil
    end
    if failure then error(failure, 0) end
  end
end

--- Migrates the plan's moves; opts: parallel (default 2), timeout (per
--- wave, seconds). Each move that ended well gets moved = true.
function drain.migrate(client, moves, opts)
  run(client, moves, opts or {}, false)
end

--- Where the cluster runs each of `moves` now: vmid -> {node, lock, status}.
local function placement(client)
  local where = {}
  for _, r in ipairs(client:get("/cluster/resources", { type = "vm" })) do where[r.vmid] = r end
  return where
end

--- True once /cluster/resources shows every move on its target, unlocked;
--- else (after opts.timeout seconds) an error naming the misplaced.
function drain.verify(client, moves, opts)
  local deadline = lab.sys.monotonic() + ((opts or {}).timeout or drain.VERIFY_SECONDS)
  local pause = 0.1
  while true do
    local where, wrong = placement(client), {}
    for _, m in ipairs(moves) do
      local r = where[m.vmid]
      if not r or r.node ~= m.to or r.lock then
        wrong[#wrong + 1] = ("%s (VMID %d) on %s%s, expected on %s"):format(m.name or "?", m.vmid,
          r and r.node or "no node", r and r.lock and (" locked (" .. r.lock .. ")") or "", m.to)
      end
    end
    if #wrong == 0 then return true end
    if lab.sys.monotonic() >= deadline then error("placement not as planned: " .. table.concat(wrong, "; "), 0) end
    require("labsh.os").sleep(pause)
    pause = math.min(pause * 2, 2)
  end
end

--- Brings home what left: waits for migrations still running, then
--- migrates every guest of `moves` that is not on its origin back there.
--- Returns the number migrated back.
function drain.back(client, moves, opts)
  opts = opts or {}
  local running = {}
  for _, m in ipairs(moves) do if m.running and m.upid then running[#running + 1] = m.upid end end
  if #running > 0 then
    say(("waiting for %d migration(s) still running"):format(#running))
    pcall(client.wait, client, running, { timeout = opts.timeout })
    for _, m in ipairs(moves) do m.running = false end
  end
  -- A guest still locked (HA finishing what it was asked) cannot move yet.
  local deadline = lab.sys.monotonic() + (opts.timeout or drain.VERIFY_SECONDS)
  local where = placement(client)
  while lab.sys.monotonic() < deadline do
    local locked = false
    for _, m in ipairs(moves) do if where[m.vmid] and where[m.vmid].lock then locked = true end end
    if not locked then break end
    require("labsh.os").sleep(0.5)
    where = placement(client)
  end
  local away = {}
  for _, m in ipairs(moves) do
    local r = where[m.vmid]
    if r and r.node ~= m.from then
      away[#away + 1] = { vmid = m.vmid, name = m.name, type = m.type, from = m.from, to = r.node }
    end
  end
  if #away == 0 then return 0 end
  run(client, away, opts, true)
  drain.verify(client, (function()
    local home = {}
    for i, m in ipairs(away) do home[i] = { vmid = m.vmid, name = m.name, to = m.from } end
    return home
  end)(), opts)
  return #away
end

-- The node's uptime in /cluster/resources (nil while it is offline).
local function uptime(client, node)
  for _, r in ipairs(client:get("/cluster/resources", { type = "node" })) do
    if r.node == node then return r.status == "online" and r.uptime or nil end
  end
end

--- Reboots `node` through the API and waits (opts.timeout seconds, default
--- 900) until it has been down, or its uptime started again, and is back
--- online with the cluster quorate in /cluster/status.
function drain.reboot(client, node, opts)
  local timeout = (opts or {}).timeout or 900
  local before = uptime(client, node)
  client:post(("/nodes/%s/status"):format(rules.segment(node)), { command = "reboot" },
    { action = "pve.reboot", target = node, summary = "reboot node " .. node })
  local deadline, pause, went_down = lab.sys.monotonic() + timeout, 0.2, false
  while true do
    local ok, status = pcall(lab.pve.status, client)
    local online = false
    if ok then
      for _, n in ipairs(status.nodes) do if n.name == node then online = n.online end end
    end
    local up = ok and online and uptime(client, node) or nil
    if ok and (not online or (up and before and up < before)) then went_down = true end
    if went_down and online and status.quorate then
      say(("%s is back: online, the cluster quorate (%d of %d nodes)"):format(node, status.online, status.total))
      return true
    end
    if lab.sys.monotonic() >= deadline then
      error(("%s is not back after %s s (%s)"):format(node, tostring(timeout),
        went_down and "it went down and did not return online and quorate" or "it never went down"), 0)
    end
    require("labsh.os").sleep(pause)
    pause = math.min(pause * 2, 5)
  end
end

return drain
